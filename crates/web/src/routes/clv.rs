//! Predictive CLV: the tenant's fitted BG/NBD and Gamma-Gamma models, refitting them, and a
//! customer's chance of still being a customer, expected purchases and 12-month value.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json};
use crate::problem::{ApiError, ApiResult};
use axum::extract::State;
use philia_domain::roles::Access;
use philia_engine::clv::{ClvModel, CustomerClv};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(model)).routes(routes!(fit)).routes(routes!(customer_clv))
}

/// The tenant's models (fitted now if they never were; refitted daily). 422 while too few
/// customers have bought to fit them.
#[utoipa::path(get, path = "/clv", tag = "segments",
    responses((status = 200, body = ClvModel), (status = 422, body = crate::problem::Problem)))]
async fn model(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<ClvModel>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.clv_model(&auth.ctx).await?))
}

/// Fits both models again on every purchase up to now.
#[utoipa::path(post, path = "/clv/fit", tag = "segments",
    responses((status = 200, body = ClvModel), (status = 422, body = crate::problem::Problem)))]
async fn fit(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<ClvModel>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.fit_clv(&auth.ctx).await?))
}

/// A customer's predictions; 404 for a customer without a purchase.
#[utoipa::path(get, path = "/customers/{id}/clv", tag = "segments", params(("id" = i64, Path)),
    responses((status = 200, body = CustomerClv), (status = 404, body = crate::problem::Problem)))]
async fn customer_clv(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<CustomerClv>> {
    auth.require(Access::Read)?;
    match s.engine.customer_clv(&auth.ctx, id).await? {
        Some(c) => Ok(Json(c)),
        None => Err(ApiError::from(philia_engine::EngineError::NotFound("purchases of this customer"))),
    }
}
