//! Behavioural events.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::Json;
use crate::problem::{ApiError, ApiResult};
use crate::routes::invoices::BatchResponse;
use axum::extract::State;
use axum::http::StatusCode;
use philia_domain::event::EventInput;
use philia_domain::roles::Access;
use philia_engine::invoices::{BatchSummary, ItemResult};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record_event)).routes(routes!(record_event_batch))
}

/// Records one event; a repeated `event_id` is recognised and not counted again.
#[utoipa::path(post, path = "/events", tag = "events", request_body = EventInput,
    responses((status = 201, body = ItemResult), (status = 200, body = ItemResult, description = "already recorded"), (status = 422, body = crate::problem::Problem)))]
async fn record_event(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<EventInput>,
) -> ApiResult<(StatusCode, Json<ItemResult>)> {
    auth.require(Access::Write)?;
    let r = s.engine.record_events(&auth.ctx, std::slice::from_ref(&input)).await?.remove(0);
    match r.status.as_str() {
        "created" => Ok((StatusCode::CREATED, Json(r))),
        "duplicate" => Ok((StatusCode::OK, Json(r))),
        _ => Err(ApiError::invalid(r.errors)),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    /// Up to 10,000 events.
    pub events: Vec<EventInput>,
}

#[utoipa::path(post, path = "/events/batch", tag = "events", request_body = EventBatch, responses((status = 200, body = BatchResponse)))]
async fn record_event_batch(
    auth: Auth,
    State(s): State<AppState>,
    Json(batch): Json<EventBatch>,
) -> ApiResult<Json<BatchResponse>> {
    auth.require(Access::Write)?;
    let mut results = s.engine.record_events(&auth.ctx, &batch.events).await?;
    for r in &mut results {
        let prefix = format!("events[{}]", r.index);
        r.errors = std::mem::take(&mut r.errors).into_iter().map(|e| e.within(&prefix)).collect();
    }
    Ok(Json(BatchResponse { summary: BatchSummary::of(&results), results }))
}
