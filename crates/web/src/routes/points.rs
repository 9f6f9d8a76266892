//! Points: point types, earning rules (versioned) with a dry run, balances, the ledger, spending,
//! adjustments and the expiry job.

use super::{created_or_repeated, idempotency_header};
use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use philia_domain::earning::RuleInput;
use philia_domain::invoice::InvoiceInput;
use philia_domain::points::PointTypeInput;
use philia_domain::records::{EarningRuleRecord, LedgerEntry, PointBalance, PointTypeRecord};
use philia_domain::roles::Access;
use philia_engine::customers::Page;
use philia_engine::earning::DryRun;
use philia_engine::expiry::ExpiryReport;
use philia_engine::points::PointsChangeInput;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_point_types, create_point_type))
        .routes(routes!(update_point_type))
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(rule_history, update_rule, disable_rule))
        .routes(routes!(dry_run))
        .routes(routes!(balances))
        .routes(routes!(ledger))
        .routes(routes!(spend))
        .routes(routes!(adjust))
        .routes(routes!(run_expiry))
}

#[utoipa::path(get, path = "/point-types", tag = "points", responses((status = 200, body = Vec<PointTypeRecord>)))]
async fn list_point_types(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<PointTypeRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.point_types(&auth.ctx).await?))
}

/// Defines a point type: expiry (`never`, `after_days`, `end_of_period`), whether it counts
/// toward tiers and whether it can be spent.
#[utoipa::path(post, path = "/point-types", tag = "points", request_body = PointTypeInput,
    responses((status = 201, body = PointTypeRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_point_type(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<PointTypeInput>,
) -> ApiResult<(StatusCode, Json<PointTypeRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_point_type(&auth.ctx, &input).await?)))
}

/// Changes a point type; a new expiry applies to points earned from now on.
#[utoipa::path(put, path = "/point-types/{code}", tag = "points", params(("code" = String, Path)), request_body = PointTypeInput,
    responses((status = 200, body = PointTypeRecord), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_point_type(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<PointTypeInput>,
) -> ApiResult<Json<PointTypeRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_point_type(&auth.ctx, &code, &input).await?))
}

/// The current version of every earning rule.
#[utoipa::path(get, path = "/earning-rules", tag = "points", responses((status = 200, body = Vec<EarningRuleRecord>)))]
async fn list_rules(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<EarningRuleRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.rules(&auth.ctx).await?))
}

/// Creates an earning rule. Conditions use the shared condition language
/// (`{"all": […]}`, `{"any": […]}`, `{"not": …}`, `{"field", "op", "value"}`); errors name the path.
#[utoipa::path(post, path = "/earning-rules", tag = "points", request_body = RuleInput,
    responses((status = 201, body = EarningRuleRecord), (status = 422, body = crate::problem::Problem)))]
async fn create_rule(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<RuleInput>,
) -> ApiResult<(StatusCode, Json<EarningRuleRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_rule(&auth.ctx, &input, &auth.actor()).await?)))
}

/// Every version of a rule, newest first.
#[utoipa::path(get, path = "/earning-rules/{id}", tag = "points", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EarningRuleRecord>), (status = 404, body = crate::problem::Problem)))]
async fn rule_history(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<Vec<EarningRuleRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.rule_history(&auth.ctx, id).await?))
}

/// Replaces a rule with a new version from now on; facts of the past keep the version of their time.
#[utoipa::path(put, path = "/earning-rules/{id}", tag = "points", params(("id" = i64, Path)), request_body = RuleInput,
    responses((status = 200, body = EarningRuleRecord), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_rule(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Json(input): Json<RuleInput>,
) -> ApiResult<Json<EarningRuleRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_rule(&auth.ctx, id, &input, &auth.actor()).await?))
}

/// Ends a rule now; its history stays.
#[utoipa::path(delete, path = "/earning-rules/{id}", tag = "points", params(("id" = i64, Path)),
    responses((status = 200, body = EarningRuleRecord), (status = 404, body = crate::problem::Problem)))]
async fn disable_rule(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<EarningRuleRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.disable_rule(&auth.ctx, id).await?))
}

/// What an invoice would earn, rule by rule, with the rules in force at its time. Writes nothing.
#[utoipa::path(post, path = "/earning-rules/dry-run", tag = "points", request_body = InvoiceInput,
    responses((status = 200, body = DryRun), (status = 422, body = crate::problem::Problem)))]
async fn dry_run(auth: Auth, State(s): State<AppState>, Json(input): Json<InvoiceInput>) -> ApiResult<Json<DryRun>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.dry_run(&auth.ctx, &input).await?))
}

/// A customer's balance per point type.
#[utoipa::path(get, path = "/customers/{id}/points", tag = "points", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PointBalance>), (status = 404, body = crate::problem::Problem)))]
async fn balances(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<Vec<PointBalance>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.balances(&auth.ctx, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    pub point_type: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The entries that explain a customer's balances, newest first.
#[utoipa::path(get, path = "/customers/{id}/points/ledger", tag = "points", params(("id" = i64, Path), LedgerQuery),
    responses((status = 200, body = Page<LedgerEntry>), (status = 404, body = crate::problem::Problem)))]
async fn ledger(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Query(q): Query<LedgerQuery>,
) -> ApiResult<Json<Page<LedgerEntry>>> {
    auth.require(Access::Read)?;
    let limit = q.limit.unwrap_or(super::DEFAULT_LIMIT);
    Ok(Json(s.engine.ledger(&auth.ctx, id, q.point_type.as_deref(), q.cursor.as_deref(), limit).await?))
}

/// Spends points, oldest usable first. Needs an idempotency key (body or `Idempotency-Key`
/// header): a retry returns the first entry with 200.
#[utoipa::path(post, path = "/customers/{id}/points/spend", tag = "points", params(("id" = i64, Path)), request_body = PointsChangeInput,
    responses((status = 201, body = LedgerEntry), (status = 200, body = LedgerEntry, description = "a retry"),
        (status = 409, body = crate::problem::Problem, description = "not enough points, or the key was used for another request"),
        (status = 422, body = crate::problem::Problem)))]
async fn spend(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    headers: HeaderMap,
    Json(input): Json<PointsChangeInput>,
) -> ApiResult<(StatusCode, Json<LedgerEntry>)> {
    auth.require(Access::Write)?;
    Ok(created_or_repeated(s.engine.spend_points(&auth.ctx, id, &input, idempotency_header(&headers), &auth.actor()).await?))
}

/// A correction by staff, positive or negative, with a required reason; recorded with who made it.
#[utoipa::path(post, path = "/customers/{id}/points/adjust", tag = "points", params(("id" = i64, Path)), request_body = PointsChangeInput,
    responses((status = 201, body = LedgerEntry), (status = 200, body = LedgerEntry, description = "a retry"),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn adjust(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    headers: HeaderMap,
    Json(input): Json<PointsChangeInput>,
) -> ApiResult<(StatusCode, Json<LedgerEntry>)> {
    auth.require(Access::Manage)?;
    Ok(created_or_repeated(s.engine.adjust_points(&auth.ctx, id, &input, idempotency_header(&headers), &auth.actor()).await?))
}

/// Runs this tenant's expiry job now (the server also runs it every minute): records due
/// expiries and raises `points_expiring` events.
#[utoipa::path(post, path = "/points/expire", tag = "points", responses((status = 200, body = ExpiryReport)))]
async fn run_expiry(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<ExpiryReport>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.run_point_expiry(philia_engine::now_ms(), Some(auth.ctx.id)).await?))
}
