//! RFC 9457 problem details: every error the API returns, with a stable `code`, a message in
//! English and Persian and, for validation, the fields at fault.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use philia_domain::FieldError;
use philia_engine::EngineError;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code.
    pub code: String,
    pub detail: String,
    pub detail_fa: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An error on its way to becoming a problem response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub detail_fa: String,
    pub errors: Vec<FieldError>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>, detail_fa: impl Into<String>) -> Self {
        ApiError { status, code: code.into(), detail: detail.into(), detail_fa: detail_fa.into(), errors: Vec::new() }
    }

    /// A query-string parameter that cannot be used: 400 with the fields at fault.
    pub fn bad_query(errors: Vec<FieldError>) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, code: "invalid_query".into(), ..ApiError::invalid(errors) }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed".into(),
            detail: "the request has invalid fields".into(),
            detail_fa: "برخی فیلدهای درخواست نامعتبرند".into(),
            errors,
        }
    }
}

impl From<philia_domain::Invalid> for ApiError {
    fn from(e: philia_domain::Invalid) -> Self {
        ApiError::invalid(e.0)
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Invalid(inv) => ApiError::invalid(inv.0),
            EngineError::NotFound(what) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"), "یافت نشد")
            }
            EngineError::Conflict { code, message, message_fa } => ApiError::new(StatusCode::CONFLICT, code, message, message_fa),
            EngineError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "a valid API key is required (Authorization: Bearer phk_…)",
                "کلید API معتبر لازم است",
            ),
            EngineError::Forbidden => ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this key's role may not do this",
                "این کلید اجازه این کار را ندارد",
            ),
            EngineError::Race => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many concurrent changes; try again",
                "تغییرات هم‌زمان زیاد است؛ دوباره تلاش کنید",
            ),
            other => {
                tracing::error!(error = %other, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred", "خطای داخلی رخ داد")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("/problems/{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_string(),
            status: self.status.as_u16(),
            code: self.code,
            detail: self.detail,
            detail_fa: self.detail_fa,
            errors: self.errors,
        };
        let mut response = (self.status, axum::Json(problem)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// A handler that panicked answers 500 like any internal error; the connection survives.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "an internal error occurred", "خطای داخلی رخ داد")
        .into_response()
}
