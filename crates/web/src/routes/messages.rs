//! Message templates (with the ready-made library and previews), sending a template to a
//! customer, and the delivery log.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use philia_domain::message_templates::TemplateInput;
use philia_domain::roles::Access;
use philia_engine::message_queue::{MessageRecord, SendInput};
use philia_engine::message_templates::{EnableLibraryInput, Preview, PreviewInput, TemplateRecord};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, update_template))
        .routes(routes!(preview_template))
        .routes(routes!(library))
        .routes(routes!(enable_library_template))
        .routes(routes!(send_to_customer, customer_messages))
        .routes(routes!(list_messages))
        .routes(routes!(get_message))
}

#[utoipa::path(get, path = "/message-templates", tag = "messaging", responses((status = 200, body = Vec<TemplateRecord>)))]
async fn list_templates(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<TemplateRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.templates(&auth.ctx).await?))
}

/// Adds a template: a text per language (`fa`, `en`) in the Jinja syntax with the variables
/// `customer`, `tenant`, `tier`, `points`, `points_by_type`, `wallet`, `expiring_points`,
/// `expiring_at`, `code`, `code_expires_at`, `referral_code`, `referral_link`, `club_link`,
/// `mission`, `data` and the filters `number`, `digits` and `date` (Persian digits and the
/// tenant's calendar in Persian text).
#[utoipa::path(post, path = "/message-templates", tag = "messaging", request_body = TemplateInput,
    responses((status = 201, body = TemplateRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_template(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<TemplateInput>,
) -> ApiResult<(StatusCode, Json<TemplateRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_template(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/message-templates/{code}", tag = "messaging", params(("code" = String, Path)),
    responses((status = 200, body = TemplateRecord), (status = 404, body = crate::problem::Problem)))]
async fn get_template(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<TemplateRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.template(&auth.ctx, &code).await?))
}

#[utoipa::path(put, path = "/message-templates/{code}", tag = "messaging", params(("code" = String, Path)), request_body = TemplateInput,
    responses((status = 200, body = TemplateRecord), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_template(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<TemplateInput>,
) -> ApiResult<Json<TemplateRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_template(&auth.ctx, &code, &input).await?))
}

/// Renders a template for a customer (or a sample customer) without sending: the text, and for
/// SMS its length, encoding and parts (Persian: 70 characters in one part, 67 per part after).
#[utoipa::path(post, path = "/message-templates/{code}/preview", tag = "messaging", params(("code" = String, Path)), request_body = PreviewInput,
    responses((status = 200, body = Preview), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn preview_template(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<PreviewInput>,
) -> ApiResult<Json<Preview>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.preview_template(&auth.ctx, &code, &input).await?))
}

/// Ready-made templates, one per trigger, in Persian and English.
#[utoipa::path(get, path = "/message-template-library", tag = "messaging", responses((status = 200, body = Vec<TemplateInput>)))]
async fn library(auth: Auth) -> ApiResult<Json<Vec<TemplateInput>>> {
    auth.require(Access::Read)?;
    Ok(Json(philia_engine::message_templates::library()))
}

/// Copies a ready-made template into the tenant's templates, optionally with a promotion whose
/// personal code its messages carry.
#[utoipa::path(post, path = "/message-template-library/{code}/enable", tag = "messaging", params(("code" = String, Path)),
    request_body = EnableLibraryInput,
    responses((status = 201, body = TemplateRecord), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn enable_library_template(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<EnableLibraryInput>,
) -> ApiResult<(StatusCode, Json<TemplateRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.enable_library_template(&auth.ctx, &code, &input).await?)))
}

/// Sends a template to a customer. Marketing messages respect consent, frequency caps and quiet
/// hours (held, then sent); a message a rule stops is logged as `skipped` with the reason. Needs an
/// idempotency key: a retry returns the first message with 200.
#[utoipa::path(post, path = "/customers/{id}/messages", tag = "messaging", params(("id" = i64, Path)), request_body = SendInput,
    responses((status = 201, body = MessageRecord), (status = 200, body = MessageRecord, description = "a retry"),
        (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn send_to_customer(
    auth: Auth,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(input): Json<SendInput>,
) -> ApiResult<(StatusCode, Json<MessageRecord>)> {
    auth.require(Access::Write)?;
    let header = super::idempotency_header(&headers);
    Ok(super::created_or_repeated(s.engine.send_to_customer(&auth.ctx, id, &input, header).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Messages with ids below this (the last id of the previous page).
    pub before: Option<i64>,
    /// Default 50, at most 1000.
    pub limit: Option<i64>,
}

/// A customer's messages, newest first, with their delivery status.
#[utoipa::path(get, path = "/customers/{id}/messages", tag = "messaging", params(("id" = i64, Path), LogQuery),
    responses((status = 200, body = Vec<MessageRecord>), (status = 404, body = crate::problem::Problem)))]
async fn customer_messages(
    auth: Auth,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<LogQuery>,
) -> ApiResult<Json<Vec<MessageRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.message_log(&auth.ctx, Some(id), None, q.before, q.limit.unwrap_or(super::DEFAULT_LIMIT)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Only messages of this cause, e.g. `api` or `campaign:42`.
    pub source: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// The tenant's delivery log, newest first.
#[utoipa::path(get, path = "/messages", tag = "messaging", params(MessagesQuery), responses((status = 200, body = Vec<MessageRecord>)))]
async fn list_messages(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<MessagesQuery>,
) -> ApiResult<Json<Vec<MessageRecord>>> {
    auth.require(Access::Read)?;
    let limit = q.limit.unwrap_or(super::DEFAULT_LIMIT);
    Ok(Json(s.engine.message_log(&auth.ctx, None, q.source.as_deref(), q.before, limit).await?))
}

#[utoipa::path(get, path = "/messages/{id}", tag = "messaging", params(("id" = i64, Path)),
    responses((status = 200, body = MessageRecord), (status = 404, body = crate::problem::Problem)))]
async fn get_message(auth: Auth, State(s): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<MessageRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.message(&auth.ctx, id).await?))
}
