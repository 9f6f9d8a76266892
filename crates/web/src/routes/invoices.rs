//! Invoices (single and batch) and refunds.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::{ApiError, ApiResult};
use axum::extract::State;
use axum::http::StatusCode;
use philia_domain::invoice::{InvoiceInput, RefundInput};
use philia_domain::records::{Invoice, Refund};
use philia_domain::roles::Access;
use philia_engine::customers::Page;
use philia_engine::invoices::{BatchSummary, ItemResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invoices, record_invoice))
        .routes(routes!(record_invoice_batch))
        .routes(routes!(get_invoice))
        .routes(routes!(list_refunds, refund_invoice))
}

/// Records one invoice. A retry with the same source + external id returns the first result.
#[utoipa::path(post, path = "/invoices", tag = "invoices", request_body = InvoiceInput,
    responses((status = 201, body = ItemResult, description = "recorded"), (status = 200, body = ItemResult, description = "already recorded"),
        (status = 409, body = crate::problem::Problem, description = "already recorded with different content"), (status = 422, body = crate::problem::Problem)))]
async fn record_invoice(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<InvoiceInput>,
) -> ApiResult<(StatusCode, Json<ItemResult>)> {
    auth.require(Access::Write)?;
    let r = s.engine.record_invoice(&auth.ctx, &input).await?;
    metrics::counter!("philia_invoices_recorded_total").increment(u64::from(r.status == "created"));
    match r.status.as_str() {
        "created" => Ok((StatusCode::CREATED, Json(r))),
        "duplicate" => Ok((StatusCode::OK, Json(r))),
        "conflict" => Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_conflict",
            "an invoice with this source and external_id was recorded with different content",
            "فاکتوری با همین شناسه و محتوای دیگر ثبت شده است",
        )),
        _ => Err(ApiError::invalid(r.errors)),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceBatch {
    /// Up to 10,000 invoices.
    pub invoices: Vec<InvoiceInput>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchResponse {
    pub summary: BatchSummary,
    pub results: Vec<ItemResult>,
}

/// Records up to 10,000 invoices in one transaction: valid ones are recorded, invalid ones
/// reported with their fields (`invoices[i].…`), repeats recognised.
#[utoipa::path(post, path = "/invoices/batch", tag = "invoices", request_body = InvoiceBatch,
    responses((status = 200, body = BatchResponse), (status = 413, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn record_invoice_batch(
    auth: Auth,
    State(s): State<AppState>,
    Json(batch): Json<InvoiceBatch>,
) -> ApiResult<Json<BatchResponse>> {
    auth.require(Access::Write)?;
    let mut results = s.engine.record_invoices(&auth.ctx, &batch.invoices).await?;
    for r in &mut results {
        let prefix = format!("invoices[{}]", r.index);
        r.errors = std::mem::take(&mut r.errors).into_iter().map(|e| e.within(&prefix)).collect();
    }
    let summary = BatchSummary::of(&results);
    metrics::counter!("philia_invoices_recorded_total").increment(summary.created as u64);
    Ok(Json(BatchResponse { summary, results }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    pub customer_id: Option<i64>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Invoices, newest first.
#[utoipa::path(get, path = "/invoices", tag = "invoices", params(InvoiceQuery), responses((status = 200, body = Page<Invoice>)))]
async fn list_invoices(auth: Auth, State(s): State<AppState>, Query(q): Query<InvoiceQuery>) -> ApiResult<Json<Page<Invoice>>> {
    auth.require(Access::Read)?;
    Ok(Json(
        s.engine.list_invoices(&auth.ctx, q.customer_id, q.cursor.as_deref(), q.limit.unwrap_or(super::DEFAULT_LIMIT)).await?,
    ))
}

#[utoipa::path(get, path = "/invoices/{id}", tag = "invoices", params(("id" = i64, Path)), responses((status = 200, body = Invoice), (status = 404, body = crate::problem::Problem)))]
async fn get_invoice(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<Invoice>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.invoice(&auth.ctx, id).await?))
}

/// Refunds all (no `amount`) or part of an invoice. A retry with the same refund id returns the
/// first result; the refunded total never exceeds the invoice total.
#[utoipa::path(post, path = "/invoices/{id}/refunds", tag = "invoices", params(("id" = i64, Path)), request_body = RefundInput,
    responses((status = 201, body = Refund), (status = 200, body = Refund, description = "already recorded"), (status = 404, body = crate::problem::Problem),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn refund_invoice(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Json(input): Json<RefundInput>,
) -> ApiResult<(StatusCode, Json<Refund>)> {
    auth.require(Access::Write)?;
    let (refund, created) = s.engine.refund_invoice(&auth.ctx, id, &input).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(refund)))
}

#[utoipa::path(get, path = "/invoices/{id}/refunds", tag = "invoices", params(("id" = i64, Path)), responses((status = 200, body = Vec<Refund>)))]
async fn list_refunds(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<Vec<Refund>>> {
    auth.require(Access::Read)?;
    s.engine.invoice(&auth.ctx, id).await?;
    Ok(Json(s.engine.refunds_of(&auth.ctx, id).await?))
}
