//! The wallet: balance, ledger and staff corrections.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::ApiResult;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use philia_domain::records::{WalletBalance, WalletEntry};
use philia_domain::roles::Access;
use philia_engine::customers::Page;
use philia_engine::wallet::WalletAdjustInput;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(balance)).routes(routes!(ledger)).routes(routes!(adjust))
}

#[utoipa::path(get, path = "/customers/{id}/wallet", tag = "wallet", params(("id" = i64, Path)),
    responses((status = 200, body = WalletBalance), (status = 404, body = crate::problem::Problem)))]
async fn balance(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<WalletBalance>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.wallet(&auth.ctx, id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WalletQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// The entries that explain the wallet, newest first.
#[utoipa::path(get, path = "/customers/{id}/wallet/ledger", tag = "wallet", params(("id" = i64, Path), WalletQuery),
    responses((status = 200, body = Page<WalletEntry>), (status = 404, body = crate::problem::Problem)))]
async fn ledger(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Query(q): Query<WalletQuery>,
) -> ApiResult<Json<Page<WalletEntry>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.wallet_ledger(&auth.ctx, id, q.cursor.as_deref(), q.limit.unwrap_or(super::DEFAULT_LIMIT)).await?))
}

/// A staff correction with a reason; needs an idempotency key.
#[utoipa::path(post, path = "/customers/{id}/wallet/adjust", tag = "wallet", params(("id" = i64, Path)), request_body = WalletAdjustInput,
    responses((status = 201, body = WalletEntry), (status = 200, body = WalletEntry, description = "a retry"),
        (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn adjust(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    headers: HeaderMap,
    Json(input): Json<WalletAdjustInput>,
) -> ApiResult<(StatusCode, Json<WalletEntry>)> {
    auth.require(Access::Manage)?;
    Ok(super::created_or_repeated(
        s.engine.adjust_wallet(&auth.ctx, id, &input, super::idempotency_header(&headers), &auth.actor()).await?,
    ))
}
