//! The rewards store: what the customer can afford, redeeming with a confirmation step, and the
//! rewards and codes they already have (codes copyable, gifts with their status).

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
use philia_domain::records::{Redemption, RewardRecord};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct StoreQuery {
    got: Option<i64>,
}

pub async fn store(State(state): State<AppState>, member: Member, Query(q): Query<StoreQuery>) -> PanelResult<Markup> {
    let v = member.view();
    let (ctx, id) = (member.ctx(), member.id());
    // Tiles for what this customer may take now; every reward names past redemptions.
    let judged = state.engine.rewards_for(ctx, id).await?;
    let offered: Vec<&RewardRecord> = judged.iter().filter(|(_, ok)| *ok).map(|(r, _)| r).collect();
    let rewards: Vec<&RewardRecord> = judged.iter().map(|(r, _)| r).collect();
    let balances = state.engine.balances(ctx, id).await?;
    let mine = state.engine.redemptions(ctx, Some(id), None).await?;
    let networks = state.engine.customer_networks(ctx, id).await?;
    let partner_offers = state.engine.partner_offers(ctx, id).await?;
    let balance_of = |t: &str| balances.iter().find(|b| b.point_type == t).map_or(0, |b| b.balance);
    let body = html! {
        @if q.got.is_some() { (layout::notice(v.t(C::RedeemedNow), false)) }
        @for n in &networks {
            a.card.network href=(v.href("/network")) {
                strong { (n.name) } " · " (v.fmt.num(n.balance)) " " (n.point_name)
                @if !n.joined { " — " (v.t(C::JoinNetwork)) }
            }
        }
        div.tiles {
            @for r in &offered {
                @let affordable = balance_of(&r.reward.point_type) >= r.reward.cost;
                @let out = r.stock_left == Some(0);
                article.tile.reward data-reward=(r.reward.code) {
                    strong { (r.reward.name) }
                    @if let Some(d) = &r.reward.description { span.muted { (d) } }
                    span.cost { (v.fmt.num(r.reward.cost)) " " (v.t(C::Points)) }
                    @if out {
                        span.pill { (v.t(C::StockOut)) }
                    } @else if affordable {
                        a.button href=(v.href(&format!("/rewards/{}", r.reward.code))) { (v.t(C::Get)) }
                    } @else {
                        span.muted.small { (v.t(C::NeedMore)) }
                    }
                }
            }
        }
        (super::network::partner_offers(&v, &partner_offers))
        h2 { (v.t(C::MyRewards)) }
        @if mine.is_empty() { p.muted { (v.t(C::NoRewards)) } }
        ul.mine { @for r in &mine { (redemption(&v, &rewards, r)) } }
    };
    Ok(layout::page(&v, Tab::Rewards, v.t(C::Store), body))
}

fn status_text(v: &ClubView, status: &str) -> &'static str {
    v.t(match status {
        "requested" => C::Requested,
        "approved" => C::Approved,
        "shipped" => C::Shipped,
        "delivered" => C::Delivered,
        "cancelled" => C::Cancelled,
        "withdrawn" => C::Withdrawn,
        _ => C::Fulfilled,
    })
}

fn redemption(v: &ClubView, rewards: &[&RewardRecord], r: &Redemption) -> Markup {
    let name = rewards.iter().find(|x| x.reward.code == r.reward).map_or(r.reward.as_str(), |x| x.reward.name.as_str());
    // A code taken back with a returned purchase no longer works: it is not offered for copying.
    let code = r.outcome.get("code").and_then(|c| c.as_str()).filter(|_| r.status != "withdrawn");
    html! {
        li.card data-redemption=(r.id) {
            strong { (name) } " "
            span.pill { (status_text(v, &r.status)) }
            span.muted.small { " " (v.fmt.date(&r.created_at)) }
            @if let Some(code) = code {
                p { (v.t(C::YourCode)) ": " code.copy dir="ltr" { (code) } " " button.link type="button" data-copy=(code) { (v.t(C::Copy)) } }
            }
        }
    }
}

/// The confirmation step before points are spent.
pub async fn confirm(
    State(state): State<AppState>,
    member: Member,
    Path((_, code)): Path<(String, String)>,
) -> PanelResult<Markup> {
    let v = member.view();
    let judged = state.engine.rewards_for(member.ctx(), member.id()).await?;
    let (reward, _) = judged.into_iter().find(|(r, ok)| *ok && r.reward.code == code).ok_or_else(PanelError::not_found)?;
    Ok(confirm_page(&v, &reward, None))
}

fn confirm_page(v: &ClubView, r: &RewardRecord, error: Option<&str>) -> Markup {
    let body = html! {
        @if let Some(e) = error { (layout::notice(e, true)) }
        div.card {
            h2 { (r.reward.name) }
            @if let Some(d) = &r.reward.description { p { (d) } }
            p { (v.t(C::ItCosts)) ": " strong { (v.fmt.num(r.reward.cost)) " " (v.t(C::Points)) } }
            form.inline method="post" action=(v.href(&format!("/rewards/{}", r.reward.code))) {
                (csrf_field(v))
                input type="hidden" name="key" value=(random_hex(12));
                button type="submit" { (v.t(C::Confirm)) }
                a href=(v.href("/rewards")) { (v.t(C::Cancel)) }
            }
        }
    };
    layout::page(v, Tab::Rewards, v.t(C::ConfirmRedeem), body)
}

#[derive(Deserialize)]
pub struct RedeemForm {
    key: String,
}

pub async fn redeem(
    State(state): State<AppState>,
    member: Member,
    Path((_, code)): Path<(String, String)>,
    Form(form): Form<RedeemForm>,
) -> PanelResult<Response> {
    let v = member.view();
    let key = format!("club:{}", form.key);
    match state.engine.redeem(member.ctx(), member.id(), &code, Some(&key), None).await {
        Ok((r, _)) => Ok(Redirect::to(&v.href(&format!("/rewards?got={}", r.id))).into_response()),
        Err(e) => {
            let reward = state.engine.reward(member.ctx(), &code).await?;
            let message = PanelError::from(e).message(v.lang).to_string();
            Ok((StatusCode::CONFLICT, confirm_page(&v, &reward, Some(&message))).into_response())
        }
    }
}
