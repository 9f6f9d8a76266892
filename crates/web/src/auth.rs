//! API key authentication: `Authorization: Bearer phk_…` (or `X-Api-Key: phk_…`).

use crate::AppState;
use crate::problem::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use philia_domain::roles::{Access, KeyRole};
use philia_engine::{Engine, EngineError, TenantContext};

/// The tenant and role a request acts with.
pub struct Auth {
    pub ctx: TenantContext,
    pub role: KeyRole,
    pub key_id: i64,
}

impl Auth {
    pub fn require(&self, needed: Access) -> Result<(), ApiError> {
        Engine::authorize(self.role, needed).map_err(ApiError::from)
    }

    /// Who acts, as written in audit trails.
    pub fn actor(&self) -> String {
        format!("api_key:{}", self.key_id)
    }
}

/// The token presented, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let header = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    header
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))
        .map(str::trim)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let key = bearer(&parts.headers).ok_or(EngineError::Unauthenticated)?;
        let (ctx, role, key_id) = state.engine.authenticate(key).await?;
        Ok(Auth { ctx, role, key_id })
    }
}
