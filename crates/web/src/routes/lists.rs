//! Static lists (SPEC B3): upload a CSV of mobiles, emails or external ids; see who matched.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use philia_domain::roles::Access;
use philia_engine::lists::{ListRecord, ListUpload};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(all)).routes(routes!(get_one, delete)).routes(routes!(upload)).routes(routes!(members))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The list's name when the upload creates it (default: its code).
    pub name: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/lists", tag = "segments", responses((status = 200, body = Vec<ListRecord>)))]
async fn all(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<ListRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.lists(&auth.ctx).await?))
}

#[utoipa::path(get, path = "/lists/{code}", tag = "segments", params(("code" = String, Path)), responses((status = 200, body = ListRecord)))]
async fn get_one(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<ListRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.list(&auth.ctx, &code).await?))
}

#[utoipa::path(delete, path = "/lists/{code}", tag = "segments", params(("code" = String, Path)), responses((status = 204)))]
async fn delete(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<StatusCode> {
    auth.require(Access::Manage)?;
    s.engine.delete_list(&auth.ctx, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adds the customers a CSV file names (the request body; header with a `mobile`, `email` or
/// `external_id` column, optional `source`) to the list, creating it if needed; reports every row
/// that named no customer.
#[utoipa::path(post, path = "/lists/{code}/upload", tag = "segments", params(("code" = String, Path), UploadQuery),
    request_body(content = String, content_type = "text/csv"), responses((status = 200, body = ListUpload), (status = 422, body = crate::problem::Problem)))]
async fn upload(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<UploadQuery>,
    body: bytes::Bytes,
) -> ApiResult<Json<ListUpload>> {
    auth.require(Access::Write)?;
    Ok(Json(s.engine.upload_list(&auth.ctx, &code, q.name.as_deref(), &body).await?))
}

/// Members (customers merged away are left out), by customer id.
#[utoipa::path(get, path = "/lists/{code}/members", tag = "segments", params(("code" = String, Path), MembersQuery),
    responses((status = 200, body = Vec<i64>)))]
async fn members(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<MembersQuery>,
) -> ApiResult<Json<Vec<i64>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.list_members(&auth.ctx, &code, q.after.unwrap_or(i64::MIN), q.limit.unwrap_or(super::DEFAULT_LIMIT)).await?))
}
