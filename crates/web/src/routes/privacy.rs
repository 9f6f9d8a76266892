//! A customer's data rights over the API: everything held about them (JSON or CSV) and erasure
//! of their personal data (admin keys only).

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::{ApiError, ApiResult};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use philia_domain::privacy::Retention;
use philia_domain::roles::Access;
use philia_engine::data_retention::RetentionRun;
use philia_engine::privacy::{CustomerExport, Erasure};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(routes!(erase))
        .routes(routes!(get_retention, set_retention))
        .routes(routes!(apply_retention))
}

/// How long old records keep their raw detail (event properties, message texts, shop delivery
/// bodies); empty keeps it for good.
#[utoipa::path(get, path = "/retention", tag = "platform", responses((status = 200, body = Retention)))]
async fn get_retention(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Retention>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.data_retention(&auth.ctx).await?))
}

/// Sets the retention periods (7–3,650 days each, or null); applied once a day.
#[utoipa::path(put, path = "/retention", tag = "platform", request_body = Retention,
    responses((status = 200, body = Retention), (status = 422, body = crate::problem::Problem)))]
async fn set_retention(auth: Auth, State(s): State<AppState>, Json(input): Json<Retention>) -> ApiResult<Json<Retention>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.set_data_retention(&auth.ctx, input).await?))
}

/// Applies the retention periods now rather than at the daily pass.
#[utoipa::path(post, path = "/retention/apply", tag = "platform", responses((status = 200, body = RetentionRun)))]
async fn apply_retention(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<RetentionRun>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.apply_data_retention(&auth.ctx, philia_engine::now_ms()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `json` (default) or `csv` (one `path,value` row per field).
    pub format: Option<String>,
}

/// Everything held about a customer: profile, consent history, points and wallet ledgers,
/// purchases, refunds, events, notes, messages, rewards, missions, referrals and changes.
#[utoipa::path(get, path = "/customers/{id}/export", tag = "customers", params(("id" = i64, Path), ExportParams),
    responses((status = 200, body = CustomerExport), (status = 404, body = crate::problem::Problem)))]
async fn export(auth: Auth, State(s): State<AppState>, Id(id): Id, Query(q): Query<ExportParams>) -> ApiResult<Response> {
    auth.require(Access::Manage)?;
    let disposition = |ext: &str| format!("attachment; filename=\"customer-{id}.{ext}\"");
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let doc = s.engine.export_customer(&auth.ctx, id).await?;
            Ok(([(header::CONTENT_DISPOSITION, disposition("json"))], Json(doc)).into_response())
        }
        "csv" => {
            let body = s.engine.export_customer_csv(&auth.ctx, id).await?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, disposition("csv")),
                ],
                body,
            )
                .into_response())
        }
        _ => Err(ApiError::bad_query(vec![philia_domain::Issue::one_of(&["json", "csv"]).at("format")])),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseInput {
    /// Why (e.g. the customer's request and its date); kept in the audit log.
    pub reason: Option<String>,
}

/// Erases the customer's personal data for good; purchases, points and figures stay under an
/// id that no longer leads to the person. A repeat changes nothing.
#[utoipa::path(post, path = "/customers/{id}/erase", tag = "customers", params(("id" = i64, Path)), request_body = EraseInput,
    responses((status = 200, body = Erasure), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn erase(auth: Auth, State(s): State<AppState>, Id(id): Id, Json(input): Json<EraseInput>) -> ApiResult<Json<Erasure>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.erase_customer(&auth.ctx, id, input.reason.as_deref()).await?))
}
