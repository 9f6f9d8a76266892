//! The customer's session as club handlers receive it, and the club's cookies. Cookies are
//! scoped to the club's own path, so the clubs of two brands on one host never share them.

use super::view::ClubView;
use crate::admin::failure::PanelError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use philia_domain::club::Branding;
use philia_engine::club_sign_in::CustomerSession;

pub const CLUB_COOKIE: &str = "philia_club";
/// Carries the sign-in forms' CSRF token before there is a session (double submit).
pub const CLUB_PRE_COOKIE: &str = "philia_club_pre";
/// The language chosen before signing in.
pub const CLUB_LANG_COOKIE: &str = "philia_club_lang";

/// A cookie for one club: never readable by scripts, sent only to this site and this club.
pub fn club_cookie(slug: &str, name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/club/{slug}; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// The signed-in customer with the brand of their club (put in place by the club's guard).
#[derive(Clone)]
pub struct Member {
    pub session: CustomerSession,
    pub brand: Branding,
}

impl Member {
    pub fn view(&self) -> ClubView {
        ClubView::new(&self.session.ctx, self.brand.clone(), self.session.lang, self.session.csrf.clone(), true)
    }

    pub fn ctx(&self) -> &philia_engine::TenantContext {
        &self.session.ctx
    }

    pub fn id(&self) -> i64 {
        self.session.customer_id
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Member {
    type Rejection = PanelError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Member>().cloned().ok_or_else(PanelError::forbidden)
    }
}
