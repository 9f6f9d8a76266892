//! Tenant statistics per day, from the rollups.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::State;
use philia_domain::records::DailyStats;
use philia_domain::roles::Access;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(daily_stats))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// First day (ISO or Jalali), default 30 days ago.
    pub from: Option<String>,
    /// Last day, default today.
    pub to: Option<String>,
}

/// Sales, invoices, refunds, new and active customers and events per tenant-local day.
#[utoipa::path(get, path = "/stats/daily", tag = "stats", params(DailyQuery), responses((status = 200, body = Vec<DailyStats>), (status = 422, body = crate::problem::Problem)))]
async fn daily_stats(auth: Auth, State(s): State<AppState>, Query(q): Query<DailyQuery>) -> ApiResult<Json<Vec<DailyStats>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.daily_stats(&auth.ctx, q.from.as_deref(), q.to.as_deref()).await?))
}
