//! Errors of panel pages. A handler returns one with `?`; the panel's guard, which knows the
//! reader's language, turns it into a page.

use crate::problem::ApiError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use philia_engine::EngineError;

/// A failed page, carried to the guard inside the response.
#[derive(Debug, Clone)]
pub struct PanelFailure {
    pub status: StatusCode,
    pub message_en: String,
    pub message_fa: String,
}

#[derive(Debug)]
pub struct PanelError(pub PanelFailure);

pub type PanelResult<T> = Result<T, PanelError>;

impl PanelError {
    pub fn not_found() -> Self {
        PanelError(PanelFailure {
            status: StatusCode::NOT_FOUND, message_en: "Not found".into(), message_fa: "پیدا نشد".into()
        })
    }

    pub fn forbidden() -> Self {
        PanelError(PanelFailure {
            status: StatusCode::FORBIDDEN,
            message_en: "Your role may not do this".into(),
            message_fa: "نقش شما اجازه این کار را نمی‌دهد".into(),
        })
    }
}

impl From<EngineError> for PanelError {
    fn from(e: EngineError) -> Self {
        let api = ApiError::from(e);
        let field =
            |f: &philia_domain::FieldError, fa: bool| format!("{}: {}", f.field, if fa { &f.message_fa } else { &f.message });
        let (message_en, message_fa) = if api.errors.is_empty() {
            (api.detail, api.detail_fa)
        } else {
            (
                api.errors.iter().map(|f| field(f, false)).collect::<Vec<_>>().join("; "),
                api.errors.iter().map(|f| field(f, true)).collect::<Vec<_>>().join("؛ "),
            )
        };
        PanelError(PanelFailure { status: api.status, message_en, message_fa })
    }
}

impl PanelError {
    /// The message in the reader's language.
    pub fn message(&self, lang: philia_domain::staff_auth::Lang) -> &str {
        if lang == philia_domain::staff_auth::Lang::Fa { &self.0.message_fa } else { &self.0.message_en }
    }
}

impl IntoResponse for PanelError {
    fn into_response(self) -> Response {
        let mut response = self.0.status.into_response();
        response.extensions_mut().insert(self.0);
        response
    }
}
