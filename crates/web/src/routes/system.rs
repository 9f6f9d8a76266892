//! Health, metrics, the OpenAPI document, and the question a TLS-terminating proxy asks before
//! it fetches a certificate for a host name.

use crate::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi))
        .route("/tls/allowed", get(tls_allowed))
}

#[derive(serde::Deserialize)]
struct TlsQuestion {
    #[serde(default)]
    domain: String,
}

/// Whether `domain` is a brand's own club host name: a proxy with on-demand certificates (Caddy's
/// `on_demand_tls { ask … }`) asks this before it requests one, so certificates are issued for
/// brands' domains only and not for any name pointed at the server.
async fn tls_allowed(
    axum::extract::State(s): axum::extract::State<AppState>,
    axum::extract::Query(q): axum::extract::Query<TlsQuestion>,
) -> impl IntoResponse {
    use axum::http::StatusCode;
    if q.domain.trim().is_empty() {
        return (StatusCode::BAD_REQUEST, "domain is required");
    }
    match s.engine.club_for_host(&q.domain).await {
        Ok(Some(_)) => (StatusCode::OK, "a club's host name"),
        Ok(None) => (StatusCode::NOT_FOUND, "not a club's host name"),
        Err(e) => {
            tracing::error!(error = %e, "looking up a club host name for TLS");
            (StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}

/// Healthy when the database answers.
async fn healthz(axum::extract::State(s): axum::extract::State<AppState>) -> impl IntoResponse {
    match s.engine.list_tenants().await {
        Ok(_) => (axum::http::StatusCode::OK, axum::Json(serde_json::json!({"status": "ok"}))),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"status": "database unavailable"})))
        }
    }
}

async fn metrics() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], crate::metrics::handle().render())
}

async fn openapi() -> impl IntoResponse {
    axum::Json(crate::openapi::document())
}
