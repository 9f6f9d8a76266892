//! Missions and journeys: definitions, ready-made templates, a customer's missions, starting an
//! opt-in mission, and the participation funnel.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use philia_domain::missions::MissionInput;
use philia_domain::reports::PeriodQuery;
use philia_domain::roles::Access;
use philia_engine::missions::{CustomerMission, MissionFunnel, MissionRecord};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_missions, create_mission))
        .routes(routes!(get_mission, update_mission))
        .routes(routes!(list_templates))
        .routes(routes!(enable_template))
        .routes(routes!(customer_missions))
        .routes(routes!(start_mission))
        .routes(routes!(funnel))
}

#[utoipa::path(get, path = "/missions", tag = "missions", responses((status = 200, body = Vec<MissionRecord>)))]
async fn list_missions(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<MissionRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.missions(&auth.ctx).await?))
}

/// Adds a mission (`goal`) or journey (`steps`): goals count invoices, events or rewarded
/// referrals, filtered in the condition language, by count, amount or distinct values.
#[utoipa::path(post, path = "/missions", tag = "missions", request_body = MissionInput,
    responses((status = 201, body = MissionRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_mission(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<MissionInput>,
) -> ApiResult<(StatusCode, Json<MissionRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_mission(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/missions/{code}", tag = "missions", params(("code" = String, Path)),
    responses((status = 200, body = MissionRecord), (status = 404, body = crate::problem::Problem)))]
async fn get_mission(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<MissionRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.mission(&auth.ctx, &code).await?))
}

/// Replaces a mission; progress already made is kept.
#[utoipa::path(put, path = "/missions/{code}", tag = "missions", params(("code" = String, Path)), request_body = MissionInput,
    responses((status = 200, body = MissionRecord), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_mission(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<MissionInput>,
) -> ApiResult<Json<MissionRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_mission(&auth.ctx, &code, &input).await?))
}

/// The ready-made missions a tenant can switch on in one step.
#[utoipa::path(get, path = "/mission-templates", tag = "missions", responses((status = 200, body = Vec<MissionInput>)))]
async fn list_templates(auth: Auth) -> ApiResult<Json<Vec<MissionInput>>> {
    auth.require(Access::Read)?;
    Ok(Json(philia_engine::missions::templates()))
}

#[utoipa::path(post, path = "/mission-templates/{code}/enable", tag = "missions", params(("code" = String, Path)),
    responses((status = 201, body = MissionRecord), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn enable_template(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<(StatusCode, Json<MissionRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.enable_template(&auth.ctx, &code).await?)))
}

/// The missions open to a customer now with their progress: current / target, steps done,
/// time left.
#[utoipa::path(get, path = "/customers/{id}/missions", tag = "missions", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CustomerMission>), (status = 404, body = crate::problem::Problem)))]
async fn customer_missions(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<Vec<CustomerMission>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.customer_missions(&auth.ctx, id).await?))
}

/// The customer presses "start" (opt-in missions; facts from now on count). Starting again
/// returns the same progress with 200.
#[utoipa::path(post, path = "/customers/{id}/missions/{code}/start", tag = "missions", params(("id" = i64, Path), ("code" = String, Path)),
    responses((status = 201, body = CustomerMission), (status = 200, body = CustomerMission, description = "already started"),
        (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn start_mission(
    auth: Auth,
    State(s): State<AppState>,
    Path((id, code)): Path<(i64, String)>,
) -> ApiResult<(StatusCode, Json<CustomerMission>)> {
    auth.require(Access::Write)?;
    Ok(super::created_or_repeated(s.engine.start_mission(&auth.ctx, id, &code).await?))
}

/// Participation: eligible now → started in the period → each step → completed → rewarded.
#[utoipa::path(get, path = "/missions/{code}/funnel", tag = "missions", params(("code" = String, Path), PeriodQuery),
    responses((status = 200, body = MissionFunnel), (status = 400, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
async fn funnel(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<MissionFunnel>> {
    auth.require(Access::Read)?;
    let p = super::reports::period(&s, &auth, &q)?;
    Ok(Json(s.engine.mission_funnel(&auth.ctx, &code, &p).await?))
}
