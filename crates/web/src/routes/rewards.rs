//! The rewards catalogue, redemption, fulfilment of physical gifts, and entitlements.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use philia_domain::records::{Entitlement, Redemption, RewardRecord};
use philia_domain::rewards::RewardInput;
use philia_domain::roles::Access;
use philia_engine::rewards::{RedeemInput, RedemptionStatusInput};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rewards, create_reward))
        .routes(routes!(get_reward, update_reward))
        .routes(routes!(redeem))
        .routes(routes!(customer_redemptions))
        .routes(routes!(list_redemptions))
        .routes(routes!(set_status))
        .routes(routes!(entitlements))
}

#[utoipa::path(get, path = "/rewards", tag = "rewards", responses((status = 200, body = Vec<RewardRecord>)))]
async fn list_rewards(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<RewardRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.rewards(&auth.ctx).await?))
}

/// Adds a reward: `kind` is `discount_code`, `vip_access`, `early_access`, `wallet_credit`,
/// `physical_gift` or `game_spins`, with the fields of that kind.
#[utoipa::path(post, path = "/rewards", tag = "rewards", request_body = RewardInput,
    responses((status = 201, body = RewardRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_reward(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<RewardInput>,
) -> ApiResult<(StatusCode, Json<RewardRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_reward(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/rewards/{code}", tag = "rewards", params(("code" = String, Path)),
    responses((status = 200, body = RewardRecord), (status = 404, body = crate::problem::Problem)))]
async fn get_reward(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<RewardRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.reward(&auth.ctx, &code).await?))
}

/// Replaces a reward; `stock` is the new total (what is left follows).
#[utoipa::path(put, path = "/rewards/{code}", tag = "rewards", params(("code" = String, Path)), request_body = RewardInput,
    responses((status = 200, body = RewardRecord), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_reward(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<RewardInput>,
) -> ApiResult<Json<RewardRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_reward(&auth.ctx, &code, &input).await?))
}

/// Redeems a reward with points, atomically. Needs an idempotency key (body or header); a retry
/// returns the first redemption with 200. Refusals say why: `reward_unavailable`,
/// `tier_required`, `segment_required` (the customer is in none of the reward's stored segments),
/// `reward_limit_reached`, `out_of_stock`, `insufficient_points`.
#[utoipa::path(post, path = "/customers/{id}/rewards/{code}/redeem", tag = "rewards", params(("id" = i64, Path), ("code" = String, Path)),
    request_body = RedeemInput,
    responses((status = 201, body = Redemption), (status = 200, body = Redemption, description = "a retry"),
        (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn redeem(
    auth: Auth,
    State(s): State<AppState>,
    Path((id, code)): Path<(i64, String)>,
    headers: HeaderMap,
    Json(input): Json<RedeemInput>,
) -> ApiResult<(StatusCode, Json<Redemption>)> {
    auth.require(Access::Write)?;
    let header = super::idempotency_header(&headers);
    Ok(super::created_or_repeated(s.engine.redeem(&auth.ctx, id, &code, input.idempotency_key.as_deref(), header).await?))
}

#[utoipa::path(get, path = "/customers/{id}/redemptions", tag = "rewards", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Redemption>), (status = 404, body = crate::problem::Problem)))]
async fn customer_redemptions(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<Vec<Redemption>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.redemptions(&auth.ctx, Some(id), None).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedemptionQuery {
    /// e.g. `requested` for gifts waiting for approval.
    pub status: Option<String>,
}

/// The latest redemptions (500), optionally of one status.
#[utoipa::path(get, path = "/redemptions", tag = "rewards", params(RedemptionQuery), responses((status = 200, body = Vec<Redemption>)))]
async fn list_redemptions(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<RedemptionQuery>,
) -> ApiResult<Json<Vec<Redemption>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.redemptions(&auth.ctx, None, q.status.as_deref()).await?))
}

/// Moves a physical gift along requested → approved → shipped → delivered, or cancels it before
/// shipping (the points and the stock come back).
#[utoipa::path(put, path = "/redemptions/{id}/status", tag = "rewards", params(("id" = i64, Path)), request_body = RedemptionStatusInput,
    responses((status = 200, body = Redemption), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn set_status(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Json(input): Json<RedemptionStatusInput>,
) -> ApiResult<Json<Redemption>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_redemption_status(&auth.ctx, id, &input, &auth.actor()).await?))
}

/// What a customer may use now: VIP or early access, game spins.
#[utoipa::path(get, path = "/customers/{id}/entitlements", tag = "rewards", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Entitlement>), (status = 404, body = crate::problem::Problem)))]
async fn entitlements(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<Vec<Entitlement>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.entitlements(&auth.ctx, id).await?))
}
