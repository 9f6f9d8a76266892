//! The session cookie, and the signed-in staff member as handlers receive them.

use super::failure::PanelError;
use super::view::View;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use philia_domain::roles::Access;
use philia_engine::staff_sessions::StaffSession;

pub const SESSION_COOKIE: &str = "philia_session";
/// Carries the sign-in form's CSRF token before there is a session (double submit).
pub const PRE_SESSION_COOKIE: &str = "philia_pre";
/// The language chosen on the sign-in page.
pub const LANG_COOKIE: &str = "philia_lang";

/// The value of one cookie of the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the panel: never readable by scripts, sent only to this site, and
/// only over HTTPS when the product is served over HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// The signed-in staff member (put in place by the panel's guard).
#[derive(Clone)]
pub struct Staff(pub StaffSession);

impl Staff {
    pub fn view(&self) -> View {
        View::for_session(&self.0)
    }

    pub fn require(&self, needed: Access) -> Result<(), PanelError> {
        if self.0.role.allows(needed) { Ok(()) } else { Err(PanelError::forbidden()) }
    }

    pub fn ctx(&self) -> &philia_engine::TenantContext {
        &self.0.ctx
    }

    /// Who acts, as written in audit trails.
    pub fn actor(&self) -> String {
        format!("staff:{}", self.0.staff_id)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = PanelError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<StaffSession>().cloned().map(Staff).ok_or_else(PanelError::forbidden)
    }
}

pub use philia_engine::secrets::{random_hex, same_secret};
