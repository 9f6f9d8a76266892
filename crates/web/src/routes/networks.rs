//! Coalition networks (SPEC I1–I4): the operator's networks and invitations; a brand's
//! memberships, statements, reports and offers; a customer's joining, exchanges and partner
//! offers.

use super::{created_or_repeated, idempotency_header};
use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use crate::routes::tenants::require_operator;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use philia_domain::roles::Access;
use philia_engine::coalition::{
    AcceptInput, CustomerNetwork, Exchange, ExchangeInput, InviteInput, Membership, Network, NetworkInput,
};
use philia_engine::coalition_offers::{Offer, OfferInput, PartnerOffer};
use philia_engine::coalition_reports::{NetworkReport, Statement};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_network, list_networks))
        .routes(routes!(invite))
        .routes(routes!(all_statements))
        .routes(routes!(memberships))
        .routes(routes!(accept))
        .routes(routes!(leave))
        .routes(routes!(statement))
        .routes(routes!(report))
        .routes(routes!(publish_offer, list_offers))
        .routes(routes!(withdraw_offer))
        .routes(routes!(customer_networks))
        .routes(routes!(join))
        .routes(routes!(leave_as_customer))
        .routes(routes!(exchange))
        .routes(routes!(partner_offers))
        .routes(routes!(claim))
}

/// Creates a network (platform operator only: `Authorization: Bearer <PHILIA_OPERATOR_TOKEN>`).
#[utoipa::path(post, path = "/networks", tag = "networks", request_body = NetworkInput,
    responses((status = 201, body = Network), (status = 401, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_network(
    State(s): State<AppState>,
    headers: HeaderMap,
    Json(input): Json<NetworkInput>,
) -> ApiResult<(StatusCode, Json<Network>)> {
    require_operator(&s, &headers)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_network(&input).await?)))
}

/// Every network with its members (platform operator only).
#[utoipa::path(get, path = "/networks", tag = "networks", responses((status = 200, body = Vec<Network>), (status = 401, body = crate::problem::Problem)))]
async fn list_networks(State(s): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Vec<Network>>> {
    require_operator(&s, &headers)?;
    Ok(Json(s.engine.networks().await?))
}

/// Invites a brand at an exchange rate, or sets a member's rate (platform operator only).
#[utoipa::path(post, path = "/networks/{network}/members", tag = "networks", params(("network" = String, Path)), request_body = InviteInput,
    responses((status = 200, body = Network), (status = 401, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn invite(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(network): Path<String>,
    Json(input): Json<InviteInput>,
) -> ApiResult<Json<Network>> {
    require_operator(&s, &headers)?;
    Ok(Json(s.engine.invite_to_network(&network, &input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MonthParams {
    /// `YYYY-MM` in the network's calendar (`1405-09`); a year from 1700 on is Gregorian.
    /// Default: this month.
    pub month: Option<String>,
    /// Months back from it that a report covers (1–24, default 1).
    pub months: Option<i32>,
}

/// Every member's settlement statement for a month (platform operator only).
#[utoipa::path(get, path = "/networks/{network}/settlements", tag = "networks", params(("network" = String, Path), MonthParams),
    responses((status = 200, body = Vec<Statement>), (status = 401, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
async fn all_statements(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(network): Path<String>,
    Query(q): Query<MonthParams>,
) -> ApiResult<Json<Vec<Statement>>> {
    require_operator(&s, &headers)?;
    Ok(Json(s.engine.settlement_statements(&network, q.month.as_deref()).await?))
}

/// The networks this brand was invited to or belongs to.
#[utoipa::path(get, path = "/network-memberships", tag = "networks", responses((status = 200, body = Vec<Membership>)))]
async fn memberships(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<Membership>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.memberships(&auth.ctx).await?))
}

/// Accepts an invitation with the point type exchanged with network points.
#[utoipa::path(post, path = "/network-memberships/{network}/accept", tag = "networks", params(("network" = String, Path)), request_body = AcceptInput,
    responses((status = 200, body = Membership), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn accept(
    auth: Auth,
    State(s): State<AppState>,
    Path(network): Path<String>,
    Json(input): Json<AcceptInput>,
) -> ApiResult<Json<Membership>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.accept_network(&auth.ctx, &network, &input).await?))
}

/// Leaves a network or declines its invitation.
#[utoipa::path(post, path = "/network-memberships/{network}/leave", tag = "networks", params(("network" = String, Path)),
    responses((status = 204), (status = 404, body = crate::problem::Problem)))]
async fn leave(auth: Auth, State(s): State<AppState>, Path(network): Path<String>) -> ApiResult<StatusCode> {
    auth.require(Access::Manage)?;
    s.engine.leave_network(&auth.ctx, &network).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This brand's settlement statement for a month: what it owes and is owed, per member.
#[utoipa::path(get, path = "/network-memberships/{network}/statement", tag = "networks", params(("network" = String, Path), MonthParams),
    responses((status = 200, body = Statement), (status = 400, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
async fn statement(
    auth: Auth,
    State(s): State<AppState>,
    Path(network): Path<String>,
    Query(q): Query<MonthParams>,
) -> ApiResult<Json<Statement>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.settlement_statement(&auth.ctx, &network, q.month.as_deref()).await?))
}

/// The network's shared analysis: aggregates only, none about fewer than ten people.
#[utoipa::path(get, path = "/network-memberships/{network}/report", tag = "networks", params(("network" = String, Path), MonthParams),
    responses((status = 200, body = NetworkReport), (status = 400, body = crate::problem::Problem), (status = 404, body = crate::problem::Problem)))]
async fn report(
    auth: Auth,
    State(s): State<AppState>,
    Path(network): Path<String>,
    Query(q): Query<MonthParams>,
) -> ApiResult<Json<NetworkReport>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.network_report(&auth.ctx, &network, q.month.as_deref(), q.months.unwrap_or(1)).await?))
}

/// Publishes one of this brand's promotions to the network's other clubs.
#[utoipa::path(post, path = "/network-memberships/{network}/offers", tag = "networks", params(("network" = String, Path)), request_body = OfferInput,
    responses((status = 201, body = Offer), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn publish_offer(
    auth: Auth,
    State(s): State<AppState>,
    Path(network): Path<String>,
    Json(input): Json<OfferInput>,
) -> ApiResult<(StatusCode, Json<Offer>)> {
    auth.require(Access::Write)?;
    Ok((StatusCode::CREATED, Json(s.engine.publish_offer(&auth.ctx, &network, &input).await?)))
}

/// Every offer of the network, live and withdrawn.
#[utoipa::path(get, path = "/network-memberships/{network}/offers", tag = "networks", params(("network" = String, Path)),
    responses((status = 200, body = Vec<Offer>), (status = 404, body = crate::problem::Problem)))]
async fn list_offers(auth: Auth, State(s): State<AppState>, Path(network): Path<String>) -> ApiResult<Json<Vec<Offer>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.network_offers(&auth.ctx, &network).await?))
}

/// Takes one of this brand's offers off the network; codes already claimed stay valid.
#[utoipa::path(delete, path = "/network-memberships/{network}/offers/{id}", tag = "networks",
    params(("network" = String, Path), ("id" = i64, Path)), responses((status = 204), (status = 404, body = crate::problem::Problem)))]
async fn withdraw_offer(
    auth: Auth,
    State(s): State<AppState>,
    Path((network, id)): Path<(String, i64)>,
) -> ApiResult<StatusCode> {
    auth.require(Access::Write)?;
    s.engine.withdraw_offer(&auth.ctx, &network, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The networks a customer can join at this brand, with their balance and exchanges.
#[utoipa::path(get, path = "/customers/{id}/networks", tag = "networks", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<CustomerNetwork>), (status = 404, body = crate::problem::Problem)))]
async fn customer_networks(
    auth: Auth,
    State(s): State<AppState>,
    crate::extract::Id(id): crate::extract::Id,
) -> ApiResult<Json<Vec<CustomerNetwork>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.customer_networks(&auth.ctx, id).await?))
}

/// The customer joins the network here: consent to be known by mobile across its brands.
#[utoipa::path(post, path = "/customers/{id}/networks/{network}/join", tag = "networks", params(("id" = i64, Path), ("network" = String, Path)),
    responses((status = 204), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn join(auth: Auth, State(s): State<AppState>, Path((id, network)): Path<(i64, String)>) -> ApiResult<StatusCode> {
    auth.require(Access::Write)?;
    s.engine.join_network(&auth.ctx, id, &network).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The customer withdraws their consent here; network points held stay theirs.
#[utoipa::path(post, path = "/customers/{id}/networks/{network}/leave", tag = "networks", params(("id" = i64, Path), ("network" = String, Path)),
    responses((status = 204), (status = 404, body = crate::problem::Problem)))]
async fn leave_as_customer(
    auth: Auth,
    State(s): State<AppState>,
    Path((id, network)): Path<(i64, String)>,
) -> ApiResult<StatusCode> {
    auth.require(Access::Write)?;
    s.engine.leave_network_as_customer(&auth.ctx, id, &network).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves points between this brand and the network at the brand's rate.
#[utoipa::path(post, path = "/customers/{id}/networks/{network}/exchange", tag = "networks", params(("id" = i64, Path), ("network" = String, Path)),
    request_body = ExchangeInput,
    responses((status = 201, body = Exchange), (status = 200, body = Exchange, description = "a retry"),
        (status = 409, body = crate::problem::Problem, description = "not enough points, not joined, or the key was used for another request"),
        (status = 422, body = crate::problem::Problem)))]
async fn exchange(
    auth: Auth,
    State(s): State<AppState>,
    Path((id, network)): Path<(i64, String)>,
    headers: HeaderMap,
    Json(input): Json<ExchangeInput>,
) -> ApiResult<(StatusCode, Json<Exchange>)> {
    auth.require(Access::Write)?;
    Ok(created_or_repeated(s.engine.exchange_points(&auth.ctx, id, &network, &input, idempotency_header(&headers)).await?))
}

/// The live offers of this brand's partners, with the customer's claimed codes.
#[utoipa::path(get, path = "/customers/{id}/partner-offers", tag = "networks", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<PartnerOffer>), (status = 404, body = crate::problem::Problem)))]
async fn partner_offers(
    auth: Auth,
    State(s): State<AppState>,
    crate::extract::Id(id): crate::extract::Id,
) -> ApiResult<Json<Vec<PartnerOffer>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.partner_offers(&auth.ctx, id).await?))
}

/// Claims a partner's offer: a personal code of the offering brand; again, the same code.
#[utoipa::path(post, path = "/customers/{id}/partner-offers/{network}/{offer}/claim", tag = "networks",
    params(("id" = i64, Path), ("network" = String, Path), ("offer" = i64, Path)),
    responses((status = 201, body = PartnerOffer), (status = 200, body = PartnerOffer, description = "claimed before"),
        (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn claim(
    auth: Auth,
    State(s): State<AppState>,
    Path((id, network, offer)): Path<(i64, String, i64)>,
) -> ApiResult<(StatusCode, Json<PartnerOffer>)> {
    auth.require(Access::Write)?;
    Ok(created_or_repeated(s.engine.claim_offer(&auth.ctx, id, &network, offer).await?))
}
