//! Staff notes on customers, their history, and staff inboxes of mentions.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use philia_domain::notes::NoteInput;
use philia_domain::roles::Access;
use philia_engine::notes::{NoteRecord, NoteVersion, Notification};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notes, add_note))
        .routes(routes!(edit_note))
        .routes(routes!(note_history))
        .routes(routes!(inbox))
        .routes(routes!(mark_read))
}

#[utoipa::path(get, path = "/customers/{id}/notes", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<NoteRecord>), (status = 404, body = crate::problem::Problem)))]
async fn list_notes(auth: Auth, State(s): State<AppState>, Path(id): Path<i64>) -> ApiResult<Json<Vec<NoteRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.notes(&auth.ctx, id, 200).await?))
}

/// Adds a staff note. `@name` (the name part of a colleague's email) or `@email` mentions a
/// colleague: they get an inbox entry, and an email when an email provider is set up.
#[utoipa::path(post, path = "/customers/{id}/notes", tag = "customers", params(("id" = i64, Path)), request_body = NoteInput,
    responses((status = 201, body = NoteRecord), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn add_note(
    auth: Auth,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Json(input): Json<NoteInput>,
) -> ApiResult<(StatusCode, Json<NoteRecord>)> {
    auth.require(Access::Write)?;
    Ok((StatusCode::CREATED, Json(s.engine.add_note(&auth.ctx, id, &input).await?)))
}

/// Replaces a note's text: only its author may (`not_author` otherwise); the earlier text is kept.
#[utoipa::path(put, path = "/customers/{id}/notes/{note}", tag = "customers", params(("id" = i64, Path), ("note" = i64, Path)),
    request_body = NoteInput,
    responses((status = 200, body = NoteRecord), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn edit_note(
    auth: Auth,
    State(s): State<AppState>,
    Path((id, note)): Path<(i64, i64)>,
    Json(input): Json<NoteInput>,
) -> ApiResult<Json<NoteRecord>> {
    auth.require(Access::Write)?;
    Ok(Json(s.engine.edit_note(&auth.ctx, id, note, &input).await?))
}

/// The earlier texts of a note, oldest first.
#[utoipa::path(get, path = "/customers/{id}/notes/{note}/history", tag = "customers", params(("id" = i64, Path), ("note" = i64, Path)),
    responses((status = 200, body = Vec<NoteVersion>), (status = 404, body = crate::problem::Problem)))]
async fn note_history(
    auth: Auth,
    State(s): State<AppState>,
    Path((id, note)): Path<(i64, i64)>,
) -> ApiResult<Json<Vec<NoteVersion>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.note_history(&auth.ctx, id, note).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only notifications not yet read.
    pub unread: Option<bool>,
    pub limit: Option<i64>,
}

/// A staff member's notifications (mentions), newest first, each with a link to the customer.
#[utoipa::path(get, path = "/staff/{id}/inbox", tag = "tenants", params(("id" = i64, Path), InboxQuery),
    responses((status = 200, body = Vec<Notification>), (status = 404, body = crate::problem::Problem)))]
async fn inbox(
    auth: Auth,
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<InboxQuery>,
) -> ApiResult<Json<Vec<Notification>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.staff_inbox(&auth.ctx, id, q.unread.unwrap_or(false), q.limit.unwrap_or(super::DEFAULT_LIMIT)).await?))
}

#[utoipa::path(post, path = "/staff/{id}/inbox/{notification}/read", tag = "tenants", params(("id" = i64, Path), ("notification" = i64, Path)),
    responses((status = 204), (status = 404, body = crate::problem::Problem)))]
async fn mark_read(auth: Auth, State(s): State<AppState>, Path((id, notification)): Path<(i64, i64)>) -> ApiResult<StatusCode> {
    auth.require(Access::Write)?;
    s.engine.mark_notification_read(&auth.ctx, id, notification).await?;
    Ok(StatusCode::NO_CONTENT)
}
