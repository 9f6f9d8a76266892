//! The tenant's plan and metered usage (SPEC J3), and its audit log.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use crate::routes::tenants::require_operator;
use axum::extract::{Path, State};
use philia_domain::records::Tenant;
use philia_domain::roles::Access;
use philia_engine::audit::{AuditPage, AuditQuery};
use philia_engine::usage::UsageReport;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(usage)).routes(routes!(set_plan)).routes(routes!(audit_log))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageParams {
    /// The last month shown, `YYYY-MM` in the tenant's calendar (`1405-09`); a year from 1700
    /// on is read as Gregorian. Default: this month.
    pub month: Option<String>,
    /// How many months back from it (1–36, default 12).
    pub months: Option<i32>,
}

/// Sales invoices per month and what each month costs on the tenant's plan.
#[utoipa::path(get, path = "/usage", tag = "platform", params(UsageParams),
    responses((status = 200, body = UsageReport), (status = 400, body = crate::problem::Problem)))]
async fn usage(auth: Auth, State(s): State<AppState>, Query(q): Query<UsageParams>) -> ApiResult<Json<UsageReport>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.usage(&auth.ctx, q.month.as_deref(), q.months.unwrap_or(12)).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// `economic` or `prime`.
    pub plan: String,
}

/// Moves a tenant to another plan (platform operator only: `Authorization: Bearer
/// <PHILIA_OPERATOR_TOKEN>`).
#[utoipa::path(put, path = "/tenants/{slug}/plan", tag = "platform", params(("slug" = String, Path)), request_body = PlanInput,
    responses((status = 200, body = Tenant), (status = 401, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn set_plan(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(slug): Path<String>,
    Json(input): Json<PlanInput>,
) -> ApiResult<Json<Tenant>> {
    require_operator(&s, &headers)?;
    let ctx = s.engine.tenant(&slug).await?.acting_as(philia_engine::audit::Actor::Operator);
    Ok(Json(s.engine.set_plan(&ctx, &input.plan).await?))
}

/// Every change staff, API keys and the operator made to configuration, points, rewards and
/// customers, newest first (admin keys only).
#[utoipa::path(get, path = "/audit", tag = "platform", params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = crate::problem::Problem)))]
async fn audit_log(auth: Auth, State(s): State<AppState>, Query(q): Query<AuditQuery>) -> ApiResult<Json<AuditPage>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.audit_log(&auth.ctx, &q).await?))
}
