//! The club's branding: name, logo, colours, font, layout and the brand's own host name.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::Json;
use crate::problem::ApiResult;
use axum::extract::State;
use philia_domain::club::{Branding, BrandingInput};
use philia_domain::roles::Access;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_branding, set_branding))
}

/// How the customer club at `/club/{tenant}` looks (defaults until set).
#[utoipa::path(get, path = "/club/branding", tag = "club", responses((status = 200, body = Branding)))]
async fn get_branding(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Branding>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.branding(&auth.ctx).await?))
}

/// Sets the club's look. Fields left out take their defaults; a host name another brand has
/// is refused.
#[utoipa::path(put, path = "/club/branding", tag = "club", request_body = BrandingInput,
    responses((status = 200, body = Branding), (status = 422, body = crate::problem::Problem)))]
async fn set_branding(auth: Auth, State(s): State<AppState>, Json(input): Json<BrandingInput>) -> ApiResult<Json<Branding>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_branding(&auth.ctx, &input).await?))
}
