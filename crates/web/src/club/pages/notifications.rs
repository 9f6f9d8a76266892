//! Notifications on the customer's own browsers (Web Push): the club's service worker, and
//! turning notifications on or off for the browser the customer is using. The account page holds
//! the switch; the script posts the browser's subscription here.

use crate::AppState;
use crate::club::guard::{club, plain_failure};
use crate::club::session::Member;
use crate::club::text::C;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use philia_engine::EngineError;
use philia_engine::push::PushSubscriptionInput;
use serde::Deserialize;

const SERVICE_WORKER: &str = include_str!("../assets/service-worker.js");

/// The service worker, served under the club's path so that its scope is the club.
pub async fn service_worker(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    if !matches!(club(&state, &slug).await, Ok(Some(_))) {
        return plain_failure(StatusCode::NOT_FOUND, C::NotFound);
    }
    // Browsers look for a new worker on every visit when it is not cached.
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")], SERVICE_WORKER)
        .into_response()
}

#[derive(Deserialize)]
pub struct SubscriptionForm {
    endpoint: String,
    p256dh: String,
    auth: String,
}

#[derive(Deserialize)]
pub struct EndpointForm {
    endpoint: String,
}

/// What the script reads back: nothing on success, else the reason with its field.
fn answer(result: Result<(), EngineError>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(EngineError::Invalid(invalid)) => {
            let fields: Vec<String> = invalid.0.iter().map(|i| format!("{}: {}", i.field, i.message)).collect();
            (StatusCode::UNPROCESSABLE_ENTITY, fields.join("; ")).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "keeping a push subscription");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Keeps this browser's subscription (posted again on visits, so a lost copy comes back).
pub async fn subscribe(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Form(f): Form<SubscriptionForm>,
) -> Response {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    let input = PushSubscriptionInput { endpoint: f.endpoint, p256dh: f.p256dh, auth: f.auth };
    answer(state.engine.subscribe_push(member.ctx(), member.id(), &input, agent).await)
}

/// Forgets this browser: the customer turned its notifications off.
pub async fn unsubscribe(State(state): State<AppState>, member: Member, Form(f): Form<EndpointForm>) -> Response {
    answer(state.engine.unsubscribe_push(member.ctx(), member.id(), &f.endpoint).await.map(|_| ()))
}
