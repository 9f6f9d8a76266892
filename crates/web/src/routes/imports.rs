//! CSV upload of customers, products, categories and invoices.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use philia_domain::roles::Access;
use philia_engine::import::{ImportKind, ImportOptions, ImportReport};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_csv))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// All rows or none (default: the valid rows, the rest reported).
    pub atomic: Option<bool>,
    /// The system the file's external ids come from (default `csv`).
    pub source: Option<String>,
}

/// Imports a CSV file sent as the request body (UTF-8, with or without BOM; English or Persian
/// headers; see docs/IMPORT.md). The report lists every refused row with its column and reason.
#[utoipa::path(post, path = "/imports/{kind}", tag = "imports", params(("kind" = String, Path, description = "customers, products, categories or invoices"), ImportQuery),
    request_body(content = String, content_type = "text/csv"), responses((status = 200, body = ImportReport), (status = 422, body = crate::problem::Problem)))]
async fn import_csv(
    auth: Auth,
    State(s): State<AppState>,
    Path(kind): Path<String>,
    Query(q): Query<ImportQuery>,
    body: bytes::Bytes,
) -> ApiResult<Json<ImportReport>> {
    auth.require(Access::Write)?;
    let kind = ImportKind::parse(&kind)?;
    let source = match q.source.as_deref() {
        Some(src) => philia_domain::customer::parse_source(src).map_err(|e| philia_engine::EngineError::field(e.at("source")))?,
        None => "csv".into(),
    };
    let options = ImportOptions { atomic: q.atomic.unwrap_or(false), source };
    let report = s.engine.import_csv(&auth.ctx, kind, std::io::Cursor::new(body), &options, &mut |_| {}, &mut |_| {}).await?;
    Ok(Json(report))
}
