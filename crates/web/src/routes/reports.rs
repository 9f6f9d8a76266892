//! Reports (SPEC G1–G6): the series behind each dashboard chart as JSON, or as CSV with
//! `format=csv`. Definitions: `docs/REPORTS.md`.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::{ApiError, ApiResult};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use philia_domain::reports::{EffectQuery, Period, PeriodQuery};
use philia_domain::roles::Access;
use philia_engine::campaign_effect::CampaignEffectReport;
use philia_engine::reports::{
    CustomersReport, DEFAULT_ACTIVITY_WINDOW, EngagementReport, PointsTiersReport, ReportTable, SalesReport, TopCustomersReport,
};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sales))
        .routes(routes!(customers))
        .routes(routes!(engagement))
        .routes(routes!(points_tiers))
        .routes(routes!(top_customers))
        .routes(routes!(cashiers))
        .routes(routes!(campaign_effect))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CashierQuery {
    /// First day (`2026-12-01` or `1405/09/10`); today when absent.
    pub from: Option<String>,
    /// Last day, included; today when absent.
    pub to: Option<String>,
    /// One branch's code; every branch when absent.
    pub branch: Option<String>,
}

/// The till per cashier and branch: sales, their totals and discounts, stock overrides, returns
/// and the net, for a period of days.
#[utoipa::path(get, path = "/reports/cashiers", tag = "reports", params(CashierQuery),
    responses((status = 200, body = philia_engine::pos::CashierReport), (status = 422, body = crate::problem::Problem)))]
async fn cashiers(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<CashierQuery>,
) -> ApiResult<Json<philia_engine::pos::CashierReport>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.cashier_report(&auth.ctx, q.from.as_deref(), q.to.as_deref(), q.branch.as_deref()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportOptions {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Customers and campaign-effect reports: days a purchase keeps a customer active (default 90).
    pub window: Option<i64>,
    /// Top customers: how many (default 20, at most 1000).
    pub limit: Option<i64>,
}

pub(crate) fn period(s: &AppState, auth: &Auth, q: &PeriodQuery) -> ApiResult<Period> {
    s.engine.report_period(&auth.ctx, q).map_err(query_error)
}

/// A report's bad query is a 400 naming its fields, not a 422 about a body.
fn query_error(e: philia_engine::EngineError) -> ApiError {
    match e {
        philia_engine::EngineError::Invalid(inv) => ApiError::bad_query(inv.0),
        other => other.into(),
    }
}

fn respond<T: Serialize + ReportTable>(report: T, o: &ReportOptions, name: &str) -> ApiResult<Response> {
    match o.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(report).into_response()),
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
            ],
            report.to_csv(),
        )
            .into_response()),
        _ => Err(ApiError::bad_query(vec![philia_domain::Issue::one_of(&["json", "csv"]).at("format")])),
    }
}

/// G1: net sales and invoices per bucket, and the average historic CLV at each bucket's end.
#[utoipa::path(get, path = "/reports/sales", tag = "reports", params(PeriodQuery, ReportOptions),
    responses((status = 200, body = SalesReport), (status = 400, body = crate::problem::Problem)))]
async fn sales(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<PeriodQuery>,
    Query(o): Query<ReportOptions>,
) -> ApiResult<Response> {
    auth.require(Access::Read)?;
    let p = period(&s, &auth, &q)?;
    respond(s.engine.sales_report(&auth.ctx, &p).await?, &o, "sales")
}

/// G2: new and total customers, active customers, retention and churn per bucket; time between
/// purchases.
#[utoipa::path(get, path = "/reports/customers", tag = "reports", params(PeriodQuery, ReportOptions),
    responses((status = 200, body = CustomersReport), (status = 400, body = crate::problem::Problem)))]
async fn customers(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<PeriodQuery>,
    Query(o): Query<ReportOptions>,
) -> ApiResult<Response> {
    auth.require(Access::Read)?;
    let p = period(&s, &auth, &q)?;
    let window = activity_window(&o)?;
    respond(s.engine.customers_report(&auth.ctx, &p, window).await?, &o, "customers")
}

/// The activity window asked for, 1–3650 days (default 90).
fn activity_window(o: &ReportOptions) -> ApiResult<i64> {
    let window = o.window.unwrap_or(DEFAULT_ACTIVITY_WINDOW);
    if !(1..=3650).contains(&window) {
        return Err(ApiError::bad_query(vec![
            philia_domain::Issue::new("out_of_range", "must be between 1 and 3650 days", "باید بین ۱ و ۳۶۵۰ روز باشد")
                .at("window"),
        ]));
    }
    Ok(window)
}

/// G7: equal windows before and after a day (or a campaign's launch day) compared: net sales,
/// invoices, buyers, active customers, retention, churn, events and engagers.
#[utoipa::path(get, path = "/reports/campaign-effect", tag = "reports", params(EffectQuery, ReportOptions),
    responses((status = 200, body = CampaignEffectReport), (status = 400, body = crate::problem::Problem)))]
async fn campaign_effect(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<EffectQuery>,
    Query(o): Query<ReportOptions>,
) -> ApiResult<Response> {
    auth.require(Access::Read)?;
    let window = activity_window(&o)?;
    let report = s.engine.campaign_effect(&auth.ctx, &q, window).await.map_err(query_error)?;
    respond(report, &o, "campaign-effect")
}

/// G3: events per type and bucket, active engagers, mission and game participants, rewards claimed.
#[utoipa::path(get, path = "/reports/engagement", tag = "reports", params(PeriodQuery, ReportOptions),
    responses((status = 200, body = EngagementReport), (status = 400, body = crate::problem::Problem)))]
async fn engagement(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<PeriodQuery>,
    Query(o): Query<ReportOptions>,
) -> ApiResult<Response> {
    auth.require(Access::Read)?;
    let p = period(&s, &auth, &q)?;
    respond(s.engine.engagement_report(&auth.ctx, &p).await?, &o, "engagement")
}

/// G5: points held per point type and customers per tier, now.
#[utoipa::path(get, path = "/reports/points-tiers", tag = "reports", params(ReportOptions),
    responses((status = 200, body = PointsTiersReport)))]
async fn points_tiers(auth: Auth, State(s): State<AppState>, Query(o): Query<ReportOptions>) -> ApiResult<Response> {
    auth.require(Access::Read)?;
    respond(s.engine.points_tiers_report(&auth.ctx).await?, &o, "points-tiers")
}

/// G6: the customers with the highest net spend in the period.
#[utoipa::path(get, path = "/reports/top-customers", tag = "reports", params(PeriodQuery, ReportOptions),
    responses((status = 200, body = TopCustomersReport), (status = 400, body = crate::problem::Problem)))]
async fn top_customers(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<PeriodQuery>,
    Query(o): Query<ReportOptions>,
) -> ApiResult<Response> {
    auth.require(Access::Read)?;
    let p = period(&s, &auth, &q)?;
    respond(s.engine.top_customers_report(&auth.ctx, &p, o.limit.unwrap_or(20)).await?, &o, "top-customers")
}
