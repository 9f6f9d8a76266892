//! Message providers per channel (the tenant's own, or the platform's default set by the
//! operator) and the tenant's delivery rules. Keys and passwords go in and never come out.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::Json;
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use philia_domain::messaging::DeliveryRulesInput;
use philia_domain::roles::Access;
use philia_engine::messaging::ChannelView;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_channel, set_channel, remove_channel))
        .routes(routes!(get_platform_channel, set_platform_channel))
        .routes(routes!(get_delivery_rules, set_delivery_rules))
}

/// The provider the tenant's messages on `sms`, `email` or `push` go through: its own or the
/// platform's. A brand's push key pair is made the first time its club offers notifications.
#[utoipa::path(get, path = "/channels/{channel}", tag = "messaging", params(("channel" = String, Path, description = "sms, email or push")),
    responses((status = 200, body = ChannelView), (status = 404, body = crate::problem::Problem)))]
async fn get_channel(auth: Auth, State(s): State<AppState>, Path(channel): Path<String>) -> ApiResult<Json<ChannelView>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.channel(Some(&auth.ctx), &channel).await?))
}

/// Sets the tenant's own provider. SMS: `{"provider": "kavenegar", "api_key", "sender"}`,
/// `{"provider": "ippanel", "api_key", "from_number"}` or `{"provider": "http", "url", "format",
/// "fields", …}`; email: `{"provider": "smtp", "host", "port", "security", "username", "password",
/// "from"}` or `{"provider": "mailgun", "domain", "api_key", "from"}`; push: `{"provider":
/// "web_push", "subject"}` with the VAPID `public_key` and `private_key` (left out: the stored
/// pair, or a new one; a new pair forgets every subscribed browser). A secret left empty keeps
/// the stored one. Secrets are sealed at rest and shown only as `api_key_set`.
#[utoipa::path(put, path = "/channels/{channel}", tag = "messaging", params(("channel" = String, Path)),
    request_body(content = Object, description = "provider settings"),
    responses((status = 200, body = ChannelView), (status = 422, body = crate::problem::Problem)))]
async fn set_channel(
    auth: Auth,
    State(s): State<AppState>,
    Path(channel): Path<String>,
    Json(settings): Json<serde_json::Value>,
) -> ApiResult<Json<ChannelView>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_channel(Some(&auth.ctx), &channel, settings).await?))
}

/// Removes the tenant's own provider: its messages go through the platform's default.
#[utoipa::path(delete, path = "/channels/{channel}", tag = "messaging", params(("channel" = String, Path)),
    responses((status = 204), (status = 404, body = crate::problem::Problem)))]
async fn remove_channel(auth: Auth, State(s): State<AppState>, Path(channel): Path<String>) -> ApiResult<StatusCode> {
    auth.require(Access::Manage)?;
    s.engine.remove_channel(Some(&auth.ctx), &channel).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The platform's default provider of a channel (operator token).
#[utoipa::path(get, path = "/platform/channels/{channel}", tag = "messaging", params(("channel" = String, Path)),
    responses((status = 200, body = ChannelView), (status = 401, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
async fn get_platform_channel(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(channel): Path<String>,
) -> ApiResult<Json<ChannelView>> {
    super::tenants::require_operator(&s, &headers)?;
    Ok(Json(s.engine.channel(None, &channel).await?))
}

/// Sets the platform's default provider, used by tenants without their own (operator token).
#[utoipa::path(put, path = "/platform/channels/{channel}", tag = "messaging", params(("channel" = String, Path)),
    request_body(content = Object, description = "provider settings"),
    responses((status = 200, body = ChannelView), (status = 401, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn set_platform_channel(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(channel): Path<String>,
    Json(settings): Json<serde_json::Value>,
) -> ApiResult<Json<ChannelView>> {
    super::tenants::require_operator(&s, &headers)?;
    Ok(Json(s.engine.set_channel(None, &channel, settings).await?))
}

/// Quiet hours for SMS (default 22:00–08:00 in the tenant's zone: held, not dropped) and the most
/// marketing messages a customer gets per day and per week.
#[utoipa::path(get, path = "/delivery-rules", tag = "messaging", responses((status = 200, body = DeliveryRulesInput)))]
async fn get_delivery_rules(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<DeliveryRulesInput>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.delivery_rules(&auth.ctx).await?))
}

#[utoipa::path(put, path = "/delivery-rules", tag = "messaging", request_body = DeliveryRulesInput,
    responses((status = 200, body = DeliveryRulesInput), (status = 422, body = crate::problem::Problem)))]
async fn set_delivery_rules(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<DeliveryRulesInput>,
) -> ApiResult<Json<DeliveryRulesInput>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_delivery_rules(&auth.ctx, &input).await?))
}
