//! Tiers: the programme, evaluation on demand, and each customer's standing.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json};
use crate::problem::ApiResult;
use axum::extract::State;
use philia_domain::records::TierStatus;
use philia_domain::roles::Access;
use philia_domain::tiers::TierProgrammeInput;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_programme, set_programme)).routes(routes!(evaluate)).routes(routes!(customer_tier))
}

/// The tier programme: metric, window, grace period and the ordered tiers with their benefits.
#[utoipa::path(get, path = "/tiers", tag = "tiers", responses((status = 200, body = TierProgrammeInput)))]
async fn get_programme(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<TierProgrammeInput>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.tier_programme(&auth.ctx).await?))
}

/// Replaces the tier programme. Every customer is evaluated against it at once: up now, down
/// after the grace period.
#[utoipa::path(put, path = "/tiers", tag = "tiers", request_body = TierProgrammeInput,
    responses((status = 200, body = TierProgrammeInput), (status = 422, body = crate::problem::Problem)))]
async fn set_programme(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<TierProgrammeInput>,
) -> ApiResult<Json<TierProgrammeInput>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_tier_programme(&auth.ctx, &input).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Evaluated {
    /// Customers whose tier changed.
    pub moved: usize,
}

/// Evaluates every customer now (the server does it daily): moves down those whose grace period
/// has ended.
#[utoipa::path(post, path = "/tiers/evaluate", tag = "tiers", responses((status = 200, body = Evaluated)))]
async fn evaluate(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Evaluated>> {
    auth.require(Access::Manage)?;
    let moved = s.engine.evaluate_all_tiers(&auth.ctx, philia_engine::now_ms(), "evaluation").await?;
    Ok(Json(Evaluated { moved }))
}

/// A customer's tier, qualifying metric, what is missing to the next tier, and tier history.
#[utoipa::path(get, path = "/customers/{id}/tier", tag = "tiers", params(("id" = i64, Path)),
    responses((status = 200, body = TierStatus), (status = 404, body = crate::problem::Problem)))]
async fn customer_tier(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<TierStatus>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.tier_status(&auth.ctx, id).await?))
}
