//! Connections to shops and other systems: create (the secret is shown once), read, pause,
//! API keys for backfill and reconciliation, the delivery log and retrying a failed delivery;
//! an accounting feed's mapping, its preview and the files it posts.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use philia_domain::connections::ConnectionInput;
use philia_domain::feed::FeedMapping;
use philia_domain::roles::Access;
use philia_engine::connections::{ConnectionSecret, ConnectionView, DeliveryView};
use philia_engine::feed::{FeedPreview, FeedReceipt};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections, create_connection))
        .routes(routes!(get_connection, set_access))
        .routes(routes!(rotate_secret))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(backfill))
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(retry_delivery))
        .routes(routes!(get_mapping, set_mapping))
        .routes(routes!(preview_feed))
        .routes(routes!(post_feed))
}

/// A feed's saved mapping (`null` before one is saved).
#[utoipa::path(get, path = "/connections/{code}/mapping", tag = "integrations", responses((status = 200, body = Option<FeedMapping>)))]
async fn get_mapping(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<Option<FeedMapping>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.feed_mapping_of(&auth.ctx, &code).await?))
}

/// Saves which of the source's columns holds each invoice field (see docs/INTEGRATIONS.md).
#[utoipa::path(put, path = "/connections/{code}/mapping", tag = "integrations", request_body = FeedMapping,
    responses((status = 200, body = FeedMapping), (status = 422, body = crate::problem::Problem)))]
async fn set_mapping(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(mapping): Json<FeedMapping>,
) -> ApiResult<Json<FeedMapping>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_feed_mapping(&auth.ctx, &code, &mapping).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PreviewInput {
    /// A sample of the export: CSV with its header row, or JSON.
    sample: String,
    /// A mapping to try; the saved one when absent.
    mapping: Option<FeedMapping>,
}

/// What a sample would become under a mapping, writing nothing: the columns found, the first
/// invoices as they would be recorded, and every refusal with its row and column.
#[utoipa::path(post, path = "/connections/{code}/preview", tag = "integrations", request_body = PreviewInput,
    responses((status = 200, body = FeedPreview), (status = 422, body = crate::problem::Problem)))]
async fn preview_feed(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<PreviewInput>,
) -> ApiResult<Json<FeedPreview>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.preview_feed(&auth.ctx, &code, &input.sample, input.mapping.as_ref()).await?))
}

/// An accounting system posts its invoice export (CSV or JSON, UTF-8) with an integration key.
/// Every invoice is kept before the answer and applied from the queue; sending a file again
/// changes nothing, an edited invoice is recorded anew, a cancelled one taken back. Refusals
/// found while reading are in the answer and in the delivery log.
#[utoipa::path(post, path = "/connections/{code}/feed", tag = "integrations", request_body(content = String, content_type = "text/csv"),
    responses((status = 202, body = FeedReceipt), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn post_feed(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    body: bytes::Bytes,
) -> ApiResult<(StatusCode, Json<FeedReceipt>)> {
    auth.require(Access::Write)?;
    let text = std::str::from_utf8(&body).map_err(|_| {
        philia_engine::EngineError::field(
            philia_domain::Issue::new("not_utf8", "must be UTF-8 text", "متن باید UTF-8 باشد").at("file"),
        )
    })?;
    Ok((StatusCode::ACCEPTED, Json(s.engine.receive_feed(&auth.ctx, &code, text).await?)))
}

#[utoipa::path(get, path = "/connections", tag = "integrations", responses((status = 200, body = [ConnectionView])))]
async fn list_connections(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<ConnectionView>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.connections(&auth.ctx).await?))
}

/// Creates a connection. The answer holds the secret to paste into the shop's webhook settings;
/// it is not shown again (a new one can be made).
#[utoipa::path(post, path = "/connections", tag = "integrations", request_body = ConnectionInput,
    responses((status = 201, body = ConnectionSecret), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_connection(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<ConnectionInput>,
) -> ApiResult<(StatusCode, Json<ConnectionSecret>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_connection(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/connections/{code}", tag = "integrations", responses((status = 200, body = ConnectionView), (status = 404, body = crate::problem::Problem)))]
async fn get_connection(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<ConnectionView>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.connection(&auth.ctx, &code).await?))
}

/// Sets the shop's address and REST API keys (all three, or none to clear), a Sepidar
/// connection's service address, device serial, user and password (all four, or none), the key
/// a shop signs with (`secret`), the name or the currency. `kind` and `code` in the body are
/// ignored.
#[utoipa::path(put, path = "/connections/{code}", tag = "integrations", request_body = ConnectionInput,
    responses((status = 200, body = ConnectionView), (status = 422, body = crate::problem::Problem)))]
async fn set_access(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<ConnectionInput>,
) -> ApiResult<Json<ConnectionView>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_connection_access(&auth.ctx, &code, &input).await?))
}

/// Makes a new secret; the old one stops verifying at once.
#[utoipa::path(post, path = "/connections/{code}/secret", tag = "integrations", responses((status = 200, body = ConnectionSecret)))]
async fn rotate_secret(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<ConnectionSecret>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.rotate_connection_secret(&auth.ctx, &code).await?))
}

/// Stops applying what the connection sends (deliveries are still answered and kept as skipped).
#[utoipa::path(post, path = "/connections/{code}/pause", tag = "integrations", responses((status = 200, body = ConnectionView)))]
async fn pause(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<ConnectionView>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_connection_status(&auth.ctx, &code, false).await?))
}

#[utoipa::path(post, path = "/connections/{code}/resume", tag = "integrations", responses((status = 200, body = ConnectionView)))]
async fn resume(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<ConnectionView>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_connection_status(&auth.ctx, &code, true).await?))
}

/// Starts bringing in every customer, product and order of the shop through its REST API;
/// progress is in the connection's `sync.backfill`. For Sepidar, reads the service now (what
/// changed since the last read is queued; `sync.reconciled_orders` says how many). Needs the
/// API keys or the sign-in; a refusal is 409 with the other system's reason.
#[utoipa::path(post, path = "/connections/{code}/backfill", tag = "integrations",
    responses((status = 202, body = ConnectionView), (status = 409, body = crate::problem::Problem)))]
async fn backfill(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<(StatusCode, Json<ConnectionView>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::ACCEPTED, Json(s.engine.start_backfill(&auth.ctx, &code).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DeliveryQuery {
    /// `queued`, `processing`, `applied`, `skipped`, `failed` or `rejected`.
    status: Option<String>,
    /// Deliveries older than this id (the last id of the previous page).
    before: Option<i64>,
    limit: Option<i64>,
}

/// The delivery log, newest first.
#[utoipa::path(get, path = "/connections/{code}/deliveries", tag = "integrations", params(DeliveryQuery),
    responses((status = 200, body = [DeliveryView])))]
async fn list_deliveries(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    auth.require(Access::Read)?;
    let limit = q.limit.unwrap_or(super::DEFAULT_LIMIT);
    Ok(Json(s.engine.deliveries(&auth.ctx, &code, q.status.as_deref(), q.before, limit).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DeliveryWithBody {
    #[serde(flatten)]
    delivery: DeliveryView,
    /// The raw body as received (none for a delivery refused at the door).
    body: Option<String>,
}

#[utoipa::path(get, path = "/connections/{code}/deliveries/{id}", tag = "integrations", responses((status = 200, body = DeliveryWithBody)))]
async fn get_delivery(
    auth: Auth,
    State(s): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<Json<DeliveryWithBody>> {
    auth.require(Access::Manage)?;
    let (delivery, body) = s.engine.delivery_body(&auth.ctx, &code, id).await?;
    Ok(Json(DeliveryWithBody { delivery, body }))
}

/// Sends a failed delivery through again; nothing it already did counts twice.
#[utoipa::path(post, path = "/connections/{code}/deliveries/{id}/retry", tag = "integrations",
    responses((status = 200, body = DeliveryView), (status = 409, body = crate::problem::Problem)))]
async fn retry_delivery(
    auth: Auth,
    State(s): State<AppState>,
    Path((code, id)): Path<(String, i64)>,
) -> ApiResult<Json<DeliveryView>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.retry_delivery(&auth.ctx, &code, id).await?))
}
