//! Loyalty classes: the business's own definition of "loyal".

use crate::AppState;
use crate::auth::Auth;
use crate::extract::Json;
use crate::problem::ApiResult;
use axum::extract::State;
use philia_domain::classes::LoyaltyClasses;
use philia_domain::roles::Access;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_classes, set_classes))
}

#[utoipa::path(get, path = "/loyalty-classes", tag = "tiers", responses((status = 200, body = LoyaltyClasses)))]
async fn get_classes(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<LoyaltyClasses>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.loyalty_classes(&auth.ctx).await?))
}

/// Replaces the loyalty classes (checked in order) and places every customer at once; each
/// profile shows its class, kept current after purchases, refunds and daily.
#[utoipa::path(put, path = "/loyalty-classes", tag = "tiers", request_body = LoyaltyClasses,
    responses((status = 200, body = LoyaltyClasses), (status = 422, body = crate::problem::Problem)))]
async fn set_classes(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<LoyaltyClasses>,
) -> ApiResult<Json<LoyaltyClasses>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_loyalty_classes(&auth.ctx, &input).await?))
}
