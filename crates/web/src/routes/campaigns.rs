//! Broadcast campaigns: create, schedule, send now, cancel, and the report against the hold-out.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use philia_domain::campaigns::CampaignInput;
use philia_domain::roles::Access;
use philia_engine::campaigns::{CampaignRecord, CampaignReport, ReportQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_campaigns, create_campaign))
        .routes(routes!(get_campaign, update_campaign))
        .routes(routes!(send_campaign))
        .routes(routes!(cancel_campaign))
        .routes(routes!(campaign_report))
}

#[utoipa::path(get, path = "/campaigns", tag = "messaging", responses((status = 200, body = Vec<CampaignRecord>)))]
async fn list_campaigns(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<CampaignRecord>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.campaigns(&auth.ctx).await?))
}

/// Adds a campaign: a template to a segment, a list or everyone, with an optional random hold-out
/// (0–50 %). With `send_at` it is scheduled; without, it is a draft until sent.
#[utoipa::path(post, path = "/campaigns", tag = "messaging", request_body = CampaignInput,
    responses((status = 201, body = CampaignRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_campaign(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<CampaignInput>,
) -> ApiResult<(StatusCode, Json<CampaignRecord>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_campaign(&auth.ctx, &input).await?)))
}

#[utoipa::path(get, path = "/campaigns/{code}", tag = "messaging", params(("code" = String, Path)),
    responses((status = 200, body = CampaignRecord), (status = 404, body = crate::problem::Problem)))]
async fn get_campaign(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<CampaignRecord>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.campaign(&auth.ctx, &code).await?))
}

/// Changes a draft or scheduled campaign.
#[utoipa::path(put, path = "/campaigns/{code}", tag = "messaging", params(("code" = String, Path)), request_body = CampaignInput,
    responses((status = 200, body = CampaignRecord), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_campaign(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<CampaignInput>,
) -> ApiResult<Json<CampaignRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_campaign(&auth.ctx, &code, &input).await?))
}

/// Sends now: the whole audience is queued (or held out) before the answer; a second call is
/// refused with `campaign_started`.
#[utoipa::path(post, path = "/campaigns/{code}/send", tag = "messaging", params(("code" = String, Path)),
    responses((status = 200, body = CampaignRecord), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn send_campaign(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<CampaignRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.send_campaign(&auth.ctx, &code).await?))
}

#[utoipa::path(post, path = "/campaigns/{code}/cancel", tag = "messaging", params(("code" = String, Path)),
    responses((status = 200, body = CampaignRecord), (status = 409, body = crate::problem::Problem)))]
async fn cancel_campaign(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<CampaignRecord>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.cancel_campaign(&auth.ctx, &code).await?))
}

/// What the sent group and the hold-out bought in the `days` after the launch: conversion rate,
/// net sales per customer, and the lift with 95 % confidence intervals.
#[utoipa::path(get, path = "/campaigns/{code}/report", tag = "messaging", params(("code" = String, Path), ReportQuery),
    responses((status = 200, body = CampaignReport), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn campaign_report(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Json<CampaignReport>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.campaign_report(&auth.ctx, &code, &q).await?))
}
