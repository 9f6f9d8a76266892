//! Automations: trigger, conditions, delay and actions; pausing; their runs.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use philia_domain::automations::AutomationInput;
use philia_domain::roles::Access;
use philia_engine::automations::{AutomationRecord, RunRecord};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_automations, create_automation))
        .routes(routes!(get_automation, update_automation))
        .routes(routes!(automation_runs))
}

#[utoipa::path(get, path = "/automations", tag = "messaging", responses((status = 200, body = Vec<AutomationRecord>)))]
async fn list_automations(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<AutomationRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.automations(&auth.ctx).await?))
}

/// Adds an automation. Triggers: `invoice`, `event` (custom or system events such as
/// `mission_completed`, `tier_changed`, `segment_entered`, `points_expiring`), `signup`,
/// `birthday` (`days_before`), `inactive` (`days` since the last purchase). Conditions are a rule on
/// the customer in the segment language, checked after the delay. Actions: `send` a template,
/// award `points`, issue a `code` of a promotion (shown to later `send` actions as `code`),
/// `tag` (add/remove). It fires at most once per customer per occurrence, and only for facts
/// from its creation on.
#[utoipa::path(post, path = "/automations", tag = "messaging", request_body = AutomationInput,
    responses((status = 201, body = AutomationRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_automation(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<AutomationInput>,
) -> ApiResult<(StatusCode, Json<AutomationRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_automation(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/automations/{code}", tag = "messaging", params(("code" = String, Path)),
    responses((status = 200, body = AutomationRecord), (status = 404, body = crate::problem::Problem)))]
async fn get_automation(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<AutomationRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.automation(&auth.ctx, &code).await?))
}

/// Replaces an automation; `"paused": true` pauses it (runs already queued wait until it resumes).
#[utoipa::path(put, path = "/automations/{code}", tag = "messaging", params(("code" = String, Path)), request_body = AutomationInput,
    responses((status = 200, body = AutomationRecord), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_automation(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<AutomationInput>,
) -> ApiResult<Json<AutomationRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_automation(&auth.ctx, &code, &input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Runs with ids below this (the last id of the previous page).
    pub before: Option<i64>,
    /// Default 50, at most 1000.
    pub limit: Option<i64>,
}

/// An automation's runs, newest first: who, what started it, and what each action did.
#[utoipa::path(get, path = "/automations/{code}/runs", tag = "messaging", params(("code" = String, Path), RunsQuery),
    responses((status = 200, body = Vec<RunRecord>), (status = 404, body = crate::problem::Problem)))]
async fn automation_runs(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<RunsQuery>,
) -> ApiResult<Json<Vec<RunRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.automation_runs(&auth.ctx, &code, q.before, q.limit.unwrap_or(super::DEFAULT_LIMIT)).await?))
}
