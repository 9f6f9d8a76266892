//! RFM (SPEC B1, G4): the exact table at any date, its segment distribution, the editable grid,
//! a customer's scores and segment history.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::{ApiError, ApiResult};
use axum::extract::State;
use philia_domain::rfm::{Cuts, Grid, Scores, Segment, parse_as_of};
use philia_domain::roles::Access;
use philia_engine::rfm::{CustomerRfm, RfmRefresh, SegmentCount};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(rfm_table))
        .routes(routes!(get_grid, set_grid))
        .routes(routes!(refresh))
        .routes(routes!(customer_rfm))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RfmQuery {
    /// An instant, or a date (Gregorian or Jalali) meaning the end of that day; default now.
    pub as_of: Option<String>,
    /// Customer rows after this customer id.
    pub after: Option<i64>,
    /// Rows per page (default 50, at most 1000).
    pub limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RfmCustomerRow {
    pub customer_id: i64,
    pub last_purchase_at: String,
    pub recency_days: i64,
    pub frequency: i64,
    /// Net spend: the customer's historic CLV at `as_of`.
    pub monetary: i64,
    #[serde(flatten)]
    pub scores: Scores,
    pub segment: Segment,
    /// First and last sign-in to the club (now, whatever `as_of`).
    pub first_login_at: Option<String>,
    pub last_login_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RfmPage {
    pub as_of: String,
    pub population: i64,
    pub cuts: Cuts,
    /// Every segment, in the order of the grid's legend, with its count and share.
    pub distribution: Vec<SegmentCount>,
    pub customers: Vec<RfmCustomerRow>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

/// The RFM table at `as_of` with the segment distribution; customer rows are paginated by id.
#[utoipa::path(get, path = "/rfm", tag = "segments", params(RfmQuery),
    responses((status = 200, body = RfmPage), (status = 400, body = crate::problem::Problem)))]
async fn rfm_table(auth: Auth, State(s): State<AppState>, Query(q): Query<RfmQuery>) -> ApiResult<Json<RfmPage>> {
    auth.require(Access::Read)?;
    let as_of = q
        .as_of
        .as_deref()
        .map(|t| parse_as_of(t, &auth.ctx.zone))
        .transpose()
        .map_err(|e| ApiError::bad_query(vec![e.at("as_of")]))?;
    let limit = q.limit.unwrap_or(super::DEFAULT_LIMIT).clamp(1, 1000) as usize;
    let table = s.engine.rfm_table(&auth.ctx, as_of).await?;
    let (page, next_after) = table.page(q.after.unwrap_or(i64::MIN), limit);
    let ids: Vec<i64> = page.iter().map(|r| r.customer_id).collect();
    let mut logins = s.engine.logins_of(&auth.ctx, &ids).await?;
    let customers = page
        .iter()
        .map(|r| {
            let (first_login_at, last_login_at) = logins.remove(&r.customer_id).unwrap_or_default();
            RfmCustomerRow {
                customer_id: r.customer_id,
                last_purchase_at: philia_domain::calendar::from_millis(r.last_purchase_at).to_string(),
                recency_days: r.figures.recency_days,
                frequency: r.figures.frequency,
                monetary: r.figures.monetary,
                scores: r.scores,
                segment: r.segment,
                first_login_at,
                last_login_at,
            }
        })
        .collect();
    Ok(Json(RfmPage {
        as_of: philia_domain::calendar::from_millis(table.as_of).to_string(),
        population: table.cuts.population,
        distribution: table.distribution,
        customers,
        cuts: table.cuts,
        next_after,
    }))
}

#[utoipa::path(get, path = "/rfm/grid", tag = "segments", responses((status = 200, body = Grid)))]
async fn get_grid(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Grid>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.rfm_grid(&auth.ctx).await?))
}

/// Replaces the segment grid (rows R = 5 down to 1, columns FM = 1 to 5) and re-places every
/// customer at once.
#[utoipa::path(put, path = "/rfm/grid", tag = "segments", request_body = Grid,
    responses((status = 200, body = Grid), (status = 422, body = crate::problem::Problem)))]
async fn set_grid(auth: Auth, State(s): State<AppState>, Json(grid): Json<Grid>) -> ApiResult<Json<Grid>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_rfm_grid(&auth.ctx, &grid).await?))
}

/// Recomputes the cut points now and re-scores every stored customer (also done daily).
#[utoipa::path(post, path = "/rfm/refresh", tag = "segments", responses((status = 200, body = RfmRefresh)))]
async fn refresh(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<RfmRefresh>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.refresh_rfm(&auth.ctx).await?))
}

/// A customer's stored scores (kept current after each purchase and refund) and segment history.
#[utoipa::path(get, path = "/customers/{id}/rfm", tag = "segments", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerRfm)))]
async fn customer_rfm(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<CustomerRfm>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.customer_rfm(&auth.ctx, id).await?))
}
