//! Chance games: definitions, what a customer sees before playing, playing, the plays, the
//! audit of a day's draws and the game report.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use philia_domain::games::GameInput;
use philia_domain::reports::PeriodQuery;
use philia_domain::roles::Access;
use philia_engine::game_audit::{GameAudit, GameReport};
use philia_engine::game_play::{PlayInput, PlayRecord};
use philia_engine::games::{GameForCustomer, GameRecord};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_games, create_game))
        .routes(routes!(get_game, update_game))
        .routes(routes!(game_for_customer))
        .routes(routes!(play))
        .routes(routes!(plays))
        .routes(routes!(audit))
        .routes(routes!(report))
        .routes(routes!(list_game_templates))
        .routes(routes!(enable_game_template))
}

/// The ready games (the Economic plan's) a tenant can switch on in one step.
#[utoipa::path(get, path = "/game-templates", tag = "games", responses((status = 200, body = Vec<GameInput>)))]
async fn list_game_templates(auth: Auth) -> ApiResult<Json<Vec<GameInput>>> {
    auth.require(Access::Read)?;
    Ok(Json(philia_engine::games::game_templates()))
}

#[utoipa::path(post, path = "/game-templates/{code}/enable", tag = "games", params(("code" = String, Path)),
    responses((status = 201, body = GameRecord), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn enable_game_template(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<(axum::http::StatusCode, Json<GameRecord>)> {
    auth.require(Access::Manage)?;
    Ok((axum::http::StatusCode::CREATED, Json(s.engine.enable_game_template(&auth.ctx, &code).await?)))
}

#[utoipa::path(get, path = "/games", tag = "games", responses((status = 200, body = Vec<GameRecord>)))]
async fn list_games(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<GameRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.games(&auth.ctx).await?))
}

/// Adds a wheel of fortune (`kind: wheel`) or slot machine (`kind: slot`) with its prizes
/// (`points`, `wallet`, `reward`, `discount_code`, `spins`, `nothing`), weights per tier, stock,
/// daily limits, cost and play limits.
#[utoipa::path(post, path = "/games", tag = "games", request_body = GameInput,
    responses((status = 201, body = GameRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_game(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<GameInput>,
) -> ApiResult<(StatusCode, Json<GameRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_game(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/games/{code}", tag = "games", params(("code" = String, Path)),
    responses((status = 200, body = GameRecord), (status = 404, body = crate::problem::Problem)))]
async fn get_game(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<GameRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.game(&auth.ctx, &code).await?))
}

/// Replaces a game; a prize's `stock` is its new total (what is left follows).
#[utoipa::path(put, path = "/games/{code}", tag = "games", params(("code" = String, Path)), request_body = GameInput,
    responses((status = 200, body = GameRecord), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_game(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<GameInput>,
) -> ApiResult<Json<GameRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_game(&auth.ctx, &code, &input).await?))
}

/// The game as the customer sees it now: the odds of their tier (after stock-outs), the cost,
/// spins and plays left, and the commitment (SHA-256) to the seed of their next play.
#[utoipa::path(get, path = "/customers/{id}/games/{code}", tag = "games", params(("id" = i64, Path), ("code" = String, Path)),
    responses((status = 200, body = GameForCustomer), (status = 404, body = crate::problem::Problem)))]
async fn game_for_customer(
    auth: Auth,
    State(s): State<AppState>,
    Path((id, code)): Path<(i64, String)>,
) -> ApiResult<Json<GameForCustomer>> {
    auth.require(Access::Write)?;
    Ok(Json(s.engine.game_for_customer(&auth.ctx, id, &code).await?))
}

/// Plays once, atomically with its cost and prize. Needs an idempotency key (body or header): a
/// double click returns the first play with 200. Refusals: `game_unavailable`, `tier_required`,
/// `daily_play_limit`, `play_limit`, `no_spins`, `insufficient_points`, `no_prize_available`.
#[utoipa::path(post, path = "/customers/{id}/games/{code}/play", tag = "games", params(("id" = i64, Path), ("code" = String, Path)),
    request_body = PlayInput,
    responses((status = 201, body = PlayRecord), (status = 200, body = PlayRecord, description = "a retry"),
        (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn play(
    auth: Auth,
    State(s): State<AppState>,
    Path((id, code)): Path<(i64, String)>,
    headers: HeaderMap,
    Json(input): Json<PlayInput>,
) -> ApiResult<(StatusCode, Json<PlayRecord>)> {
    auth.require(Access::Write)?;
    let header = super::idempotency_header(&headers);
    Ok(super::created_or_repeated(s.engine.play_game(&auth.ctx, id, &code, &input, header).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlaysQuery {
    pub customer_id: Option<i64>,
    /// Plays with ids below this (the last id of the previous page).
    pub before: Option<i64>,
    /// Default 50, at most 1000.
    pub limit: Option<i64>,
}

/// Plays of a game, newest first, each with its revealed seed and proof.
#[utoipa::path(get, path = "/games/{code}/plays", tag = "games", params(("code" = String, Path), PlaysQuery),
    responses((status = 200, body = Vec<PlayRecord>), (status = 404, body = crate::problem::Problem)))]
async fn plays(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<PlaysQuery>,
) -> ApiResult<Json<Vec<PlayRecord>>> {
    auth.require(Access::Read)?;
    let limit = q.limit.unwrap_or(super::DEFAULT_LIMIT);
    Ok(Json(s.engine.game_plays(&auth.ctx, &code, q.customer_id, q.before, limit).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The day to check (Gregorian `2026-11-22` or Jalali `1405/09/01`).
    pub day: String,
}

/// Recomputes every draw of a day from its revealed seed and checks the seed chain.
#[utoipa::path(get, path = "/games/{code}/audit", tag = "games", params(("code" = String, Path), AuditQuery),
    responses((status = 200, body = GameAudit), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn audit(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<GameAudit>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.audit_game_day(&auth.ctx, &code, &q.day).await?))
}

/// Plays, unique players, prizes by type, cost against prize value, per period (SPEC D4, G3).
#[utoipa::path(get, path = "/games/{code}/report", tag = "games", params(("code" = String, Path), PeriodQuery),
    responses((status = 200, body = GameReport), (status = 400, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
async fn report(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> ApiResult<Json<GameReport>> {
    auth.require(Access::Read)?;
    let p = super::reports::period(&s, &auth, &q)?;
    Ok(Json(s.engine.game_report(&auth.ctx, &code, &p).await?))
}
