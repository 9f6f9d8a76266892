//! A customer's data rights over the API: everything held about them (JSON or CSV) and erasure
//! of their personal data (admin keys only).

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::{ApiError, ApiResult};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use philia_domain::roles::Access;
use philia_engine::privacy::{CustomerExport, Erasure};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export)).routes(routes!(erase))
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
