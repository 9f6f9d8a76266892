//! Outgoing webhooks (SPEC H4): endpoints that receive new invoices, customers and events,
//! signed, with their delivery log.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use philia_domain::roles::Access;
use philia_domain::webhooks::WebhookInput;
use philia_engine::webhooks::{WebhookDelivery, WebhookEndpoint};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(deliveries))
        .routes(routes!(replay))
}

/// Sends a delivered or failed delivery again now, with the same id and body.
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery}/replay", tag = "integrations",
    params(("id" = i64, Path), ("delivery" = i64, Path)), responses((status = 202), (status = 404, body = crate::problem::Problem)))]
async fn replay(
    auth: Auth,
    State(s): State<AppState>,
    axum::extract::Path((id, delivery)): axum::extract::Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    auth.require(Access::Manage)?;
    s.engine.replay_webhook_delivery(&auth.ctx, id, delivery).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Registers an endpoint. The answer holds its signing secret, shown this once: each delivery
/// carries `Philia-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
#[utoipa::path(post, path = "/webhooks", tag = "integrations", request_body = WebhookInput,
    responses((status = 201, body = WebhookEndpoint), (status = 422, body = crate::problem::Problem)))]
async fn create(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WebhookEndpoint>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_webhook(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/webhooks", tag = "integrations", responses((status = 200, body = Vec<WebhookEndpoint>)))]
async fn list(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<WebhookEndpoint>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.webhooks(&auth.ctx).await?))
}

/// Stops queuing deliveries for an endpoint; those queued still go.
#[utoipa::path(post, path = "/webhooks/{id}/pause", tag = "integrations", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = crate::problem::Problem)))]
async fn pause(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<WebhookEndpoint>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_webhook_active(&auth.ctx, id, false).await?))
}

/// Starts queuing again, from what happens next.
#[utoipa::path(post, path = "/webhooks/{id}/resume", tag = "integrations", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookEndpoint), (status = 404, body = crate::problem::Problem)))]
async fn resume(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<WebhookEndpoint>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_webhook_active(&auth.ctx, id, true).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Default 50, at most 500.
    pub limit: Option<i64>,
}

/// An endpoint's deliveries, newest first, with their outcome and payload.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "integrations", params(("id" = i64, Path), DeliveryQuery),
    responses((status = 200, body = Vec<WebhookDelivery>), (status = 404, body = crate::problem::Problem)))]
async fn deliveries(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<Vec<WebhookDelivery>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.webhook_deliveries(&auth.ctx, id, q.limit.unwrap_or(50)).await?))
}
