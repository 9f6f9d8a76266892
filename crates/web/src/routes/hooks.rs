//! Where other systems deliver: `/hooks/woocommerce/{tenant}/{connection}`. The signature is
//! checked over the raw bytes and the delivery kept before the answer; applying it is the
//! queue's work, so the shop hears back in milliseconds.

use crate::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use philia_engine::EngineError;
use philia_engine::inbound::{Incoming, Received};

/// Largest delivery accepted: an order with hundreds of lines is well under this.
const HOOK_BODY_LIMIT: usize = 4 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hooks/woocommerce/{tenant}/{connection}", post(woocommerce))
        .layer(DefaultBodyLimit::max(HOOK_BODY_LIMIT))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn woocommerce(
    State(s): State<AppState>,
    Path((tenant, connection)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let incoming = Incoming {
        topic: header(&headers, "x-wc-webhook-topic"),
        signature: header(&headers, "x-wc-webhook-signature"),
        delivery_ref: header(&headers, "x-wc-webhook-delivery-id"),
        body: &body,
    };
    match s.engine.receive_delivery("woocommerce", &tenant, &connection, incoming).await {
        Ok(Received::Ping) => (StatusCode::OK, "ok"),
        Ok(Received::Queued(_) | Received::Paused(_)) => (StatusCode::OK, "accepted"),
        Err(EngineError::Unauthenticated) => (StatusCode::UNAUTHORIZED, "signature missing or wrong"),
        Err(EngineError::NotFound(_)) => (StatusCode::NOT_FOUND, "no such connection"),
        Err(e) => {
            tracing::error!(error = %e, "keeping a delivery failed");
            (StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}
