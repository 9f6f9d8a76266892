//! The club's home: points per type, wallet, tier with the way to the next one and its
//! benefits, and points expiring soon.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::club::layout::{self, Tab, progress};
use crate::club::session::Member;
use crate::club::text::C;
use crate::club::view::ClubView;
use axum::extract::{Query, State};
use maud::{Markup, html};
use philia_domain::tiers::TierMetric;
use philia_engine::club::{ClubHome, TierProgress};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    welcome: Option<String>,
}

pub async fn page(State(state): State<AppState>, member: Member, Query(q): Query<HomeQuery>) -> PanelResult<Markup> {
    let v = member.view();
    let home = state.engine.club_home(member.ctx(), member.id()).await?;
    let name = home.customer.first_name.clone().unwrap_or_default();
    let title = if name.is_empty() { v.t(C::Hello).to_string() } else { format!("{} {name}", v.t(C::Hello)) };
    Ok(layout::page(&v, Tab::Home, &title, body(&v, &home, q.welcome.is_some())))
}

fn body(v: &ClubView, home: &ClubHome, welcome: bool) -> Markup {
    html! {
        @if welcome { (layout::notice(v.t(C::Welcome), false)) }
        div.tiles {
            @for b in &home.balances {
                div.tile.points {
                    span.label { (b.name) }
                    strong.value data-points=(b.balance.point_type) { (v.fmt.num(b.balance.balance)) }
                    span.unit { (v.t(C::Points)) }
                    @if b.balance.expiring_soon > 0 {
                        p.expiring {
                            (v.t(C::Expiring)) ": " (v.fmt.num(b.balance.expiring_soon))
                            @if let Some(at) = &b.balance.next_expiry { " — " (v.t(C::On)) " " (v.fmt.date(at)) }
                        }
                    }
                }
            }
            div.tile.wallet {
                span.label { (v.t(C::Wallet)) }
                strong.value #wallet { (v.fmt.money(home.wallet.available)) }
                @if home.wallet.pending > 0 { span.unit { (v.t(C::Pending)) ": " (v.fmt.money(home.wallet.pending)) } }
            }
        }
        (tier_card(v, &home.tier))
        nav.shortcuts {
            a.button href=(v.href("/missions")) { (v.t(C::Missions)) }
            a.button href=(v.href("/games")) { (v.t(C::Games)) }
            a.button href=(v.href("/rewards")) { (v.t(C::Rewards)) }
        }
    }
}

fn metric_words(v: &ClubView, metric: Option<&TierMetric>, amount: i64) -> String {
    match metric {
        Some(TierMetric::Spend) => format!("{} {}", v.fmt.money(amount), v.t(C::Spend)),
        Some(TierMetric::Invoices) => format!("{} {}", v.fmt.num(amount), v.t(C::Purchases)),
        _ => format!("{} {}", v.fmt.num(amount), v.t(C::Points)),
    }
}

fn tier_card(v: &ClubView, t: &TierProgress) -> Markup {
    let s = &t.status;
    html! {
        section.card.tier #tier {
            h2 { (v.t(C::Tier)) }
            p.tier-name { strong { (s.name.as_deref().or(s.tier.as_deref()).unwrap_or(v.t(C::NoTier))) } }
            @if let (Some(next), Some(needed)) = (&t.next_name, s.needed) {
                (progress(t.percent, next))
                p.muted { (metric_words(v, t.metric.as_ref(), needed)) " " (v.t(C::ToNext)) " " strong { (next) } }
            } @else if s.tier.is_some() {
                p.muted { (v.t(C::TopTier)) }
            }
            @let perks = benefits(v, s.benefits.as_ref());
            @if !perks.is_empty() {
                h3 { (v.t(C::Benefits)) }
                ul.benefits { @for p in &perks { li { (p) } } }
            }
        }
    }
}

/// A tier's benefits as lines a customer reads; those that change nothing are left out.
fn benefits(v: &ClubView, b: Option<&philia_domain::tiers::TierBenefits>) -> Vec<String> {
    let Some(b) = b else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(m) = b.earn_multiplier.filter(|m| *m != 1.0) {
        out.push(format!("{}: ×{}", v.t(C::EarnBoost), v.fmt.decimal(m)));
    }
    if let Some(c) = b.cashback_percent.filter(|c| *c > 0.0) {
        out.push(format!("{}: {}", v.t(C::Cashback), v.fmt.percent(c)));
    }
    if let Some(d) = b.discount_percent.filter(|d| *d > 0.0) {
        out.push(format!("{}: {}", v.t(C::Discount), v.fmt.percent(d)));
    }
    out.extend(b.perks.iter().cloned());
    out
}
