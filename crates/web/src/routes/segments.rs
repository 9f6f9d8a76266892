//! Dynamic segments (SPEC B2, B4): definitions, live counts, members and CSV export, and a
//! preview count for a rule being edited.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use philia_domain::roles::Access;
use philia_domain::segments::SegmentInput;
use philia_engine::segments::{RfmTierCell, SegmentAnalysis, SegmentRecord};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(count))
        .routes(routes!(members))
        .routes(routes!(export))
        .routes(routes!(preview))
        .routes(routes!(analysis))
        .routes(routes!(rfm_by_tier))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Count {
    pub count: i64,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PreviewInput {
    /// A rule in the condition language.
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Customers after this id.
    pub after: Option<i64>,
    /// At most 1000 (default 50).
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Members {
    pub customer_ids: Vec<i64>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

#[utoipa::path(get, path = "/segments", tag = "segments", responses((status = 200, body = Vec<SegmentRecord>)))]
async fn list(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<SegmentRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.segments(&auth.ctx).await?))
}

/// Creates a segment; its members are evaluated at once.
#[utoipa::path(post, path = "/segments", tag = "segments", request_body = SegmentInput,
    responses((status = 201, body = SegmentRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<SegmentInput>,
) -> ApiResult<(StatusCode, Json<SegmentRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_segment(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/segments/{code}", tag = "segments", params(("code" = String, Path)), responses((status = 200, body = SegmentRecord)))]
async fn get_one(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<SegmentRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.segment(&auth.ctx, &code).await?))
}

/// Replaces the name, description and rule (the code stays).
#[utoipa::path(put, path = "/segments/{code}", tag = "segments", params(("code" = String, Path)), request_body = SegmentInput,
    responses((status = 200, body = SegmentRecord), (status = 422, body = crate::problem::Problem)))]
async fn update(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<SegmentInput>,
) -> ApiResult<Json<SegmentRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_segment(&auth.ctx, &code, &input).await?))
}

#[utoipa::path(delete, path = "/segments/{code}", tag = "segments", params(("code" = String, Path)), responses((status = 204)))]
async fn delete(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<StatusCode> {
    auth.require(Access::Manage)?;
    s.engine.delete_segment(&auth.ctx, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The live count: customers matching the rule now.
#[utoipa::path(get, path = "/segments/{code}/count", tag = "segments", params(("code" = String, Path)), responses((status = 200, body = Count)))]
async fn count(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<Count>> {
    auth.require(Access::Read)?;
    Ok(Json(Count { count: s.engine.segment_count(&auth.ctx, &code).await? }))
}

/// Live members, by customer id.
#[utoipa::path(get, path = "/segments/{code}/members", tag = "segments", params(("code" = String, Path), MembersQuery),
    responses((status = 200, body = Members)))]
async fn members(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<MembersQuery>,
) -> ApiResult<Json<Members>> {
    auth.require(Access::Read)?;
    let limit = q.limit.unwrap_or(super::DEFAULT_LIMIT).clamp(1, 1000);
    let ids = s.engine.segment_members(&auth.ctx, &code, q.after.unwrap_or(i64::MIN), limit).await?;
    let next_after = (ids.len() as i64 == limit).then(|| ids.last().copied()).flatten();
    Ok(Json(Members { customer_ids: ids, next_after }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
}

/// Every live member (customer id, external ids, mobile) as CSV or Excel.
#[utoipa::path(get, path = "/segments/{code}/export", tag = "segments", params(("code" = String, Path), ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = crate::problem::Problem)))]
async fn export(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    auth.require(Access::Read)?;
    let (body, kind, ext) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => {
            let mut out = Vec::new();
            s.engine.export_segment(&auth.ctx, &code, &mut out).await?;
            (out, "text/csv; charset=utf-8", "csv")
        }
        "xlsx" => (
            s.engine.export_segment_xlsx(&auth.ctx, &code).await?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => return Err(crate::problem::ApiError::bad_query(vec![philia_domain::Issue::one_of(&["csv", "xlsx"]).at("format")])),
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{code}.{ext}\"")),
        ],
        body,
    )
        .into_response())
}

/// How many customers a rule matches now, without saving it (the live count while editing).
#[utoipa::path(post, path = "/segments/preview", tag = "segments", request_body = PreviewInput,
    responses((status = 200, body = Count), (status = 422, body = crate::problem::Problem)))]
async fn preview(auth: Auth, State(s): State<AppState>, Json(input): Json<PreviewInput>) -> ApiResult<Json<Count>> {
    auth.require(Access::Read)?;
    Ok(Json(Count { count: s.engine.preview_segment(&auth.ctx, &input.rule).await? }))
}

/// What the members buy: spend, invoices, average order value, purchase frequency, top categories.
#[utoipa::path(get, path = "/segments/{code}/analysis", tag = "segments", params(("code" = String, Path)),
    responses((status = 200, body = SegmentAnalysis)))]
async fn analysis(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<SegmentAnalysis>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.segment_analysis(&auth.ctx, &code).await?))
}

/// Customers per RFM segment and tier (the stored segments, kept current after purchases).
#[utoipa::path(get, path = "/rfm/tiers", tag = "segments", responses((status = 200, body = Vec<RfmTierCell>)))]
async fn rfm_by_tier(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<RfmTierCell>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.rfm_by_tier(&auth.ctx).await?))
}
