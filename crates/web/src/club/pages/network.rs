//! The brand's coalition networks in the club: joining (the customer's consent to be known by
//! mobile at the partner brands), the shared balance, moving points between this brand and the
//! network, and partner brands' offers with the codes claimed.

use crate::AppState;
use crate::admin::failure::{PanelError, PanelResult};
use crate::admin::session::random_hex;
use crate::club::layout::{self, Tab, csrf_field};
use crate::club::session::Member;
use crate::club::text::C;
use crate::club::view::ClubView;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_engine::coalition::{CustomerNetwork, ExchangeInput};
use philia_engine::coalition_offers::PartnerOffer;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

pub async fn page(State(state): State<AppState>, member: Member, Query(q): Query<Done>) -> PanelResult<Markup> {
    let notice = q.done.is_some().then(|| (member.view().t(C::Exchanged).to_string(), false));
    render(&state, &member, notice).await
}

async fn render(state: &AppState, member: &Member, notice: Option<(String, bool)>) -> PanelResult<Markup> {
    let v = member.view();
    let networks = state.engine.customer_networks(member.ctx(), member.id()).await?;
    let body = html! {
        @if let Some((text, error)) = &notice { (layout::notice(text, *error)) }
        @if networks.is_empty() { p.muted { (v.t(C::NoNetworks)) } }
        @for n in &networks { (network_card(&v, n)) }
    };
    Ok(layout::page(&v, Tab::Rewards, v.t(C::Networks), body))
}

fn network_card(v: &ClubView, n: &CustomerNetwork) -> Markup {
    html! {
        section.card data-network=(n.network) {
            h2 { (n.name) }
            p.muted { (v.t(C::Partners)) ": " (n.partners.join("، ")) }
            @if !n.joined {
                p { (v.t(C::JoinLead)) }
                form method="post" action=(v.href(&format!("/network/{}/join", n.network))) {
                    (csrf_field(v))
                    button type="submit" { (v.t(C::JoinNetwork)) }
                }
            } @else {
                p.balance { strong data-balance=(n.balance) { (v.fmt.num(n.balance)) } " " (n.point_name) }
                p.muted { (v.t(C::RateHere)) ": " span dir="ltr" { (n.rate) } " · " (v.t(C::WorthHere)) " " (v.fmt.num(n.worth_here)) " " (v.t(C::Points)) }
                (exchange_form(v, n, "to_network", C::MoveToNetwork))
                (exchange_form(v, n, "to_brand", C::MoveHere))
                @if !n.history.is_empty() {
                    h3 { (v.t(C::History)) }
                    ul.history { @for e in &n.history { li {
                        span { (v.fmt.date(&e.at)) } " " (e.brand) " "
                        strong dir="ltr" { (v.fmt.digits(format!("{}{}", if e.direction == "to_brand" { "−" } else { "+" }, e.points))) }
                        " " (n.point_name)
                    } } }
                }
                form.inline method="post" action=(v.href(&format!("/network/{}/leave", n.network))) {
                    (csrf_field(v))
                    button.link type="submit" { (v.t(C::LeaveNetwork)) }
                }
            }
        }
    }
}

fn exchange_form(v: &ClubView, n: &CustomerNetwork, direction: &str, label: C) -> Markup {
    let id = format!("x-{}-{direction}", n.network);
    html! {
        form.inline.exchange method="post" action=(v.href(&format!("/network/{}/exchange", n.network))) {
            (csrf_field(v))
            input type="hidden" name="direction" value=(direction);
            input type="hidden" name="key" value=(random_hex(12));
            label for=(id) { (v.t(label)) }
            input id=(id) name="points" type="number" min="1" inputmode="numeric" required placeholder=(n.point_name);
            button type="submit" { (v.t(C::Move)) }
        }
    }
}

#[derive(Deserialize)]
pub struct ExchangeForm {
    direction: String,
    points: String,
    key: String,
}

pub async fn exchange(
    State(state): State<AppState>,
    member: Member,
    Path((_, network)): Path<(String, String)>,
    Form(form): Form<ExchangeForm>,
) -> PanelResult<Response> {
    let v = member.view();
    let digits = philia_domain::digits::ascii_digits(form.points.trim());
    let Ok(points) = digits.parse::<i64>() else {
        let page = render(&state, &member, Some((v.t(C::WholeNumber).to_string(), true))).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let input = ExchangeInput { direction: form.direction, points, idempotency_key: Some(format!("club:{}", form.key)) };
    match state.engine.exchange_points(member.ctx(), member.id(), &network, &input, None).await {
        Ok(_) => Ok(Redirect::to(&v.href("/network?done=1")).into_response()),
        Err(e) => {
            let message = PanelError::from(e).message(v.lang).to_string();
            Ok((StatusCode::CONFLICT, render(&state, &member, Some((message, true))).await?).into_response())
        }
    }
}

pub async fn join(
    State(state): State<AppState>,
    member: Member,
    Path((_, network)): Path<(String, String)>,
) -> PanelResult<Response> {
    state.engine.join_network(member.ctx(), member.id(), &network).await?;
    Ok(Redirect::to(&member.view().href("/network")).into_response())
}

pub async fn leave(
    State(state): State<AppState>,
    member: Member,
    Path((_, network)): Path<(String, String)>,
) -> PanelResult<Response> {
    state.engine.leave_network_as_customer(member.ctx(), member.id(), &network).await?;
    Ok(Redirect::to(&member.view().href("/network")).into_response())
}

/// Partner brands' offers, shown in the rewards store.
pub fn partner_offers(v: &ClubView, offers: &[PartnerOffer]) -> Markup {
    html! {
        @if !offers.is_empty() {
            h2 { (v.t(C::PartnerOffers)) }
            div.tiles {
                @for o in offers {
                    article.tile.offer data-offer=(o.id) {
                        span.muted.small { (o.brand) }
                        strong { (o.title) }
                        @if let Some(d) = &o.description { span.muted { (d) } }
                        @if let Some(code) = &o.code {
                            p { (v.t(C::YourCode)) ": " code.copy dir="ltr" { (code) } " " button.link type="button" data-copy=(code) { (v.t(C::Copy)) } }
                        } @else if o.joined {
                            form method="post" action=(v.href(&format!("/partner-offers/{}/{}", o.network, o.id))) {
                                (csrf_field(v))
                                button type="submit" { (v.t(C::GetCode)) }
                            }
                        } @else {
                            a.button href=(v.href("/network")) { (v.t(C::JoinNetwork)) " " (o.network_name) }
                        }
                    }
                }
            }
        }
    }
}

pub async fn claim(
    State(state): State<AppState>,
    member: Member,
    Path((_, network, offer)): Path<(String, String, i64)>,
) -> PanelResult<Response> {
    state.engine.claim_offer(member.ctx(), member.id(), &network, offer).await?;
    Ok(Redirect::to(&member.view().href("/rewards")).into_response())
}
