//! Checkout quotes and the cashback programme.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::Json;
use crate::problem::ApiResult;
use axum::extract::State;
use philia_domain::checkout::CashbackProgramme;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use philia_engine::checkout::{Quote, QuoteInput};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(quote)).routes(routes!(get_cashback, set_cashback))
}

/// Prices a cart for a customer — codes, tier discount, points and wallet — and says what it
/// earns (points, cashback, progress to the next tier). Writes nothing. An invoice carrying the
/// same `checkout` fields applies them atomically.
#[utoipa::path(post, path = "/checkout/quote", tag = "checkout", request_body = QuoteInput,
    responses((status = 200, body = Quote), (status = 422, body = crate::problem::Problem)))]
async fn quote(auth: Auth, State(s): State<AppState>, Json(input): Json<QuoteInput>) -> ApiResult<Json<Quote>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.quote(&auth.ctx, &input).await?))
}

#[utoipa::path(get, path = "/cashback", tag = "checkout", responses((status = 200, body = CashbackProgramme), (status = 404, body = crate::problem::Problem)))]
async fn get_cashback(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<CashbackProgramme>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.cashback_programme(&auth.ctx).await?.ok_or(EngineError::NotFound("cashback programme"))?))
}

/// Sets the cashback programme: credited to the wallet (after `maturity_days`) or as points, at
/// the tier's `cashback_percent` or a category's own rate.
#[utoipa::path(put, path = "/cashback", tag = "checkout", request_body = CashbackProgramme,
    responses((status = 200, body = CashbackProgramme), (status = 422, body = crate::problem::Problem)))]
async fn set_cashback(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<CashbackProgramme>,
) -> ApiResult<Json<CashbackProgramme>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_cashback_programme(&auth.ctx, &input).await?))
}
