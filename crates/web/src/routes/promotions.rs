//! Promotions and discount codes: definitions, bulk generation and download, validation,
//! reservation and release.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use philia_domain::discounts::{CartLine, PromotionInput};
use philia_domain::records::PromotionRecord;
use philia_domain::roles::Access;
use philia_engine::promotions::{CodeCheck, GenerateInput, Generated, Reservation};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_promotions, create_promotion))
        .routes(routes!(get_promotion, update_promotion))
        .routes(routes!(generate))
        .routes(routes!(download))
        .routes(routes!(check))
        .routes(routes!(reserve))
        .routes(routes!(release))
}

#[utoipa::path(get, path = "/promotions", tag = "codes", responses((status = 200, body = Vec<PromotionRecord>)))]
async fn list_promotions(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<PromotionRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.promotions(&auth.ctx).await?))
}

/// Defines a promotion: percentage (with a cap) or fixed discount, window, minimum, categories
/// and products, total and per-customer limits, tiers, stacking, and optionally a shared code.
#[utoipa::path(post, path = "/promotions", tag = "codes", request_body = PromotionInput,
    responses((status = 201, body = PromotionRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_promotion(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<PromotionInput>,
) -> ApiResult<(StatusCode, Json<PromotionRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_promotion(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/promotions/{code}", tag = "codes", params(("code" = String, Path)),
    responses((status = 200, body = PromotionRecord), (status = 404, body = crate::problem::Problem)))]
async fn get_promotion(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<PromotionRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.promotion(&auth.ctx, &code).await?))
}

#[utoipa::path(put, path = "/promotions/{code}", tag = "codes", params(("code" = String, Path)), request_body = PromotionInput,
    responses((status = 200, body = PromotionRecord), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_promotion(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<PromotionInput>,
) -> ApiResult<Json<PromotionRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_promotion(&auth.ctx, &code, &input).await?))
}

/// Generates unique codes (up to 5,000,000 at once) from an alphabet without look-alike
/// characters, all in one transaction.
#[utoipa::path(post, path = "/promotions/{code}/codes", tag = "codes", params(("code" = String, Path)), request_body = GenerateInput,
    responses((status = 201, body = Generated), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn generate(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<GenerateInput>,
) -> ApiResult<(StatusCode, Json<Generated>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.generate_codes(&auth.ctx, &code, &input).await?)))
}

/// Every code of a promotion as CSV: `code,customer_id,used`.
#[utoipa::path(get, path = "/promotions/{code}/codes.csv", tag = "codes", params(("code" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = crate::problem::Problem)))]
async fn download(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<impl IntoResponse> {
    auth.require(Access::Read)?;
    let csv = s.engine.codes_csv(&auth.ctx, &code).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"codes.csv\"")],
        csv,
    ))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLineInput {
    pub sku: Option<String>,
    pub category: Option<String>,
    /// The line's amount after its own discount.
    pub total: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// As typed: any case, Persian digits accepted.
    pub code: String,
    pub customer_id: Option<i64>,
    #[serde(default)]
    pub lines: Vec<CartLineInput>,
    /// For reservations; also accepted as the `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

fn cart(lines: &[CartLineInput]) -> Vec<CartLine> {
    lines.iter().map(|l| CartLine { sku: l.sku.clone(), category: l.category.clone(), total: l.total }).collect()
}

/// Says whether a code can be used on a cart, and why not (English and Persian).
#[utoipa::path(post, path = "/codes/check", tag = "codes", request_body = CodeRequest, responses((status = 200, body = CodeCheck)))]
async fn check(auth: Auth, State(s): State<AppState>, Json(req): Json<CodeRequest>) -> ApiResult<Json<CodeCheck>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.check_code(&auth.ctx, &req.code, req.customer_id, &cart(&req.lines)).await?))
}

/// Holds one use of a code for 15 minutes while a checkout completes; an invoice that names the
/// reservation redeems it.
#[utoipa::path(post, path = "/codes/reserve", tag = "codes", request_body = CodeRequest,
    responses((status = 201, body = Reservation), (status = 200, body = Reservation, description = "a retry"), (status = 409, body = crate::problem::Problem)))]
async fn reserve(
    auth: Auth,
    State(s): State<AppState>,
    headers: HeaderMap,
    Json(req): Json<CodeRequest>,
) -> ApiResult<(StatusCode, Json<Reservation>)> {
    auth.require(Access::Write)?;
    let header = super::idempotency_header(&headers);
    let lines = cart(&req.lines);
    Ok(super::created_or_repeated(
        s.engine.reserve_code(&auth.ctx, &req.code, req.customer_id, &lines, req.idempotency_key.as_deref(), header).await?,
    ))
}

/// Releases a reservation (a cancelled checkout); the use goes back to the code.
#[utoipa::path(delete, path = "/codes/reservations/{id}", tag = "codes", params(("id" = i64, Path)),
    responses((status = 200, body = Reservation), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn release(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<Reservation>> {
    auth.require(Access::Write)?;
    Ok(Json(s.engine.release_reservation(&auth.ctx, id).await?))
}
