//! Referrals: codes and links, joining with a code, the programme.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json};
use crate::problem::ApiResult;
use axum::extract::State;
use axum::http::StatusCode;
use philia_domain::records::{ReferralInfo, ReferralRecord};
use philia_domain::referrals::ReferralProgramme;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(info, join)).routes(routes!(get_programme, set_programme))
}

/// A customer's referral code and link, who referred them, and the friends they referred.
#[utoipa::path(get, path = "/customers/{id}/referral", tag = "referrals", params(("id" = i64, Path)),
    responses((status = 200, body = ReferralInfo), (status = 404, body = crate::problem::Problem)))]
async fn info(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<ReferralInfo>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.referral_info(&auth.ctx, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinInput {
    /// The friend's referral code.
    pub code: String,
}

/// Links a new customer to the friend whose code they signed up with. Both are rewarded when the
/// newcomer's first purchase qualifies.
#[utoipa::path(post, path = "/customers/{id}/referral", tag = "referrals", params(("id" = i64, Path)), request_body = JoinInput,
    responses((status = 201, body = ReferralRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn join(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Json(input): Json<JoinInput>,
) -> ApiResult<(StatusCode, Json<ReferralRecord>)> {
    auth.require(Access::Write)?;
    Ok((StatusCode::CREATED, Json(s.engine.join_with_code(&auth.ctx, id, &input.code).await?)))
}

#[utoipa::path(get, path = "/referrals/programme", tag = "referrals", responses((status = 200, body = ReferralProgramme), (status = 404, body = crate::problem::Problem)))]
async fn get_programme(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<ReferralProgramme>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.referral_programme(&auth.ctx).await?.ok_or(EngineError::NotFound("referral programme"))?))
}

/// Sets the rewards of referrer and referee and the condition on the referee's first purchase.
#[utoipa::path(put, path = "/referrals/programme", tag = "referrals", request_body = ReferralProgramme,
    responses((status = 200, body = ReferralProgramme), (status = 422, body = crate::problem::Problem)))]
async fn set_programme(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<ReferralProgramme>,
) -> ApiResult<Json<ReferralProgramme>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_referral_programme(&auth.ctx, &input).await?))
}
