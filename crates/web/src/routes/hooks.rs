//! Where other systems deliver: `/hooks/woocommerce/{tenant}/{connection}` and
//! `/hooks/shopify/{tenant}/{connection}`. The signature is checked over the raw bytes and the
//! delivery kept before the answer; applying it is the queue's work, so the shop hears back in
//! milliseconds.

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
        .route("/hooks/shopify/{tenant}/{connection}", post(shopify))
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
        event_id: None,
        body: &body,
    };
    answer(s.engine.receive_delivery("woocommerce", &tenant, &connection, incoming).await)
}

/// Shopify retries a delivery not answered with 2xx within five seconds, for up to 48 hours,
/// under the same `X-Shopify-Event-Id`.
async fn shopify(
    State(s): State<AppState>,
    Path((tenant, connection)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let incoming = Incoming {
        topic: header(&headers, "x-shopify-topic"),
        signature: header(&headers, "x-shopify-hmac-sha256"),
        delivery_ref: header(&headers, "x-shopify-webhook-id"),
        event_id: header(&headers, "x-shopify-event-id"),
        body: &body,
    };
    answer(s.engine.receive_delivery("shopify", &tenant, &connection, incoming).await)
}

fn answer(received: Result<Received, EngineError>) -> (StatusCode, &'static str) {
    match received {
        Ok(Received::Ping) => (StatusCode::OK, "ok"),
        Ok(Received::Queued(_) | Received::Paused(_) | Received::Repeat(_)) => (StatusCode::OK, "accepted"),
        Err(EngineError::Unauthenticated) => (StatusCode::UNAUTHORIZED, "signature missing or wrong"),
        Err(EngineError::NotFound(_)) => (StatusCode::NOT_FOUND, "no such connection"),
        Err(e) => {
            tracing::error!(error = %e, "keeping a delivery failed");
            (StatusCode::SERVICE_UNAVAILABLE, "try again")
        }
    }
}
