//! Extractors whose rejections are problem documents that name the field at fault.

use crate::problem::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use philia_domain::Issue;
use serde::de::DeserializeOwned;

/// A JSON body. Malformed JSON is a 400 naming the path of the bad value; a body over the limit
/// is a 413.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = bytes::Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!("the body is larger than {} bytes", crate::BODY_LIMIT),
                    "حجم درخواست بیش از حد مجاز است",
                )
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "unreadable_body", e.body_text(), "بدنه درخواست خوانا نیست")
            }
        })?;
        // The fast path parses once; only a body that fails is parsed again to find the path of
        // the bad value.
        if let Ok(value) = serde_json::from_slice(&bytes) {
            return Ok(Json(value));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize::<_, T>(&mut de).map(Json).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            let inner = e.into_inner();
            let mut err = ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not valid JSON for this request: {inner}"),
                "بدنه JSON معتبر نیست",
            );
            err.errors.push(Issue::new("invalid_json", inner.to_string(), "مقدار یا نوع نادرست").at(field));
            err
        })
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Query parameters; a bad one is a 400 naming it.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(Query).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let mut err = ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("invalid query parameter: {inner}"),
                "پارامتر نشانی نامعتبر است",
            );
            err.errors.push(Issue::new("invalid_query", inner.to_string(), "مقدار نادرست").at(field));
            err
        })
    }
}

/// A numeric id in the path.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(raw): axum::extract::Path<String> =
            axum::extract::Path::from_request_parts(parts, state)
                .await
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text(), "نشانی نامعتبر است"))?;
        raw.parse().map(Id).map_err(|_| {
            ApiError::invalid(vec![Issue::new("invalid_id", "must be a numeric id", "شناسه باید عدد باشد").at("id")])
        })
    }
}
