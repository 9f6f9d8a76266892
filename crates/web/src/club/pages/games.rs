//! Chance games: the list, and each game's page (also its public link) with the wheel or the
//! reels, the cost and plays left, the chance of each prize, and the play itself. The server
//! draws; the page then spins the wheel (or runs the reels) to land on what was drawn.

use crate::AppState;
use crate::admin::failure::{PanelError, PanelResult};
use crate::admin::session::random_hex;
use crate::club::layout::{self, Tab, csrf_field};
use crate::club::session::Member;
use crate::club::text::C;
use crate::club::view::ClubView;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use philia_domain::games::GameKind;
use philia_engine::game_play::{PlayInput, PlayRecord};
use philia_engine::games::GameForCustomer;
use serde::Deserialize;

pub async fn list(State(state): State<AppState>, member: Member) -> PanelResult<Markup> {
    let v = member.view();
    let games = state.engine.games(member.ctx()).await?;
    Ok(list_page(&v, &games))
}

/// The games a customer can open (switched-off games are left out).
pub(crate) fn list_page(v: &ClubView, games: &[philia_engine::games::GameRecord]) -> Markup {
    let games: Vec<_> = games.iter().filter(|g| g.game.active != Some(false)).collect();
    let body = html! {
        @if games.is_empty() { p.muted { (v.t(C::NoGames)) } }
        div.tiles {
            @for g in &games {
                a.tile.game href=(v.games_href(&format!("/{}", g.game.code))) {
                    span.icon aria-hidden="true" { @if g.game.kind == GameKind::Wheel { "◔" } @else { "🎰" } }
                    strong { (g.game.name) }
                    @if let Some(d) = &g.game.description { span.muted { (d) } }
                }
            }
        }
    };
    layout::page(v, Tab::Games, v.t(C::Games), body)
}

pub async fn show(State(state): State<AppState>, member: Member, Path((_, code)): Path<(String, String)>) -> PanelResult<Markup> {
    let v = member.view();
    let game = state.engine.game_for_customer(member.ctx(), member.id(), &code).await?;
    Ok(page(&v, &game, None, None))
}

#[derive(Deserialize)]
pub struct PlayForm {
    pub(crate) key: String,
}

pub async fn play(
    State(state): State<AppState>,
    member: Member,
    Path((_, code)): Path<(String, String)>,
    Form(form): Form<PlayForm>,
) -> PanelResult<Response> {
    let v = member.view();
    let input = PlayInput { idempotency_key: Some(format!("club:{}", form.key)), client_seed: None };
    let played = state.engine.play_game(member.ctx(), member.id(), &code, &input, None).await;
    let game = state.engine.game_for_customer(member.ctx(), member.id(), &code).await?;
    Ok(match played {
        Ok((record, _)) => page(&v, &game, Some(&record), None).into_response(),
        Err(e) => {
            let message = PanelError::from(e).message(v.lang).to_string();
            (StatusCode::CONFLICT, page(&v, &game, None, Some(&message))).into_response()
        }
    })
}

pub(crate) fn page(v: &ClubView, g: &GameForCustomer, played: Option<&PlayRecord>, error: Option<&str>) -> Markup {
    let land = played.and_then(|p| g.prizes.iter().position(|x| x.code == p.prize));
    let body = html! {
        @if let Some(d) = &g.description { p.muted { (d) } }
        @if let Some(e) = error { (layout::notice(e, true)) }
        div.game-stage {
            @match g.kind {
                GameKind::Wheel => (wheel(g, land)),
                GameKind::Slot => (reels(g, played)),
            }
        }
        @if let Some(p) = played { (result(v, g, p)) }
        (play_form(v, g))
        dl.facts {
            dt { (v.t(C::CostPerPlay)) }
            dd { @match g.cost.points { Some(p) if p > 0 => { (v.fmt.num(p)) " " (v.t(C::Points)) }, _ => { (v.t(C::Free)) } } }
            @if g.spins_left > 0 { dt { (v.t(C::SpinsLeft)) } dd #spins-left { (v.fmt.num(g.spins_left)) } }
            @if let Some(n) = g.plays_left_today { dt { (v.t(C::PlaysLeftToday)) } dd #plays-left { (v.fmt.num(n)) } }
        }
        details.odds {
            summary { (v.t(C::Odds)) }
            table { tbody { @for p in &g.prizes { tr { td { (p.label) } td.num { (v.fmt.percent(p.chance_percent)) } } } } }
            p.muted.small { (v.t(C::Fairness)) ": " code.commitment dir="ltr" { (&g.commitment[..16.min(g.commitment.len())]) "…" } }
        }
    };
    let title = g.look.title.as_deref().unwrap_or(&g.name);
    layout::page(v, Tab::Games, title, body)
}

fn play_form(v: &ClubView, g: &GameForCustomer) -> Markup {
    let label = g
        .look
        .button_label
        .clone()
        .unwrap_or_else(|| if g.kind == GameKind::Wheel { v.t(C::Spin) } else { v.t(C::Pull) }.to_string());
    html! {
        @if let Some(r) = &g.refusal {
            p.notice.error role="alert" { (v.pick(&r.message, &r.message_fa)) }
        } @else {
            form.play method="post" action=(v.games_href(&format!("/{}/play", g.code))) {
                (csrf_field(v))
                input type="hidden" name="key" value=(random_hex(12));
                button.wide.play type="submit" { (label) }
            }
        }
    }
}

const PALETTE: [&str; 6] = ["var(--brand)", "var(--accent)", "#0e9384", "#2e90fa", "#ee46bc", "#f79009"];

/// The wheel: one equal slice per prize, the first centred under the pointer at the top.
fn wheel(g: &GameForCustomer, land: Option<usize>) -> Markup {
    let n = g.prizes.len().max(1);
    let slice = 360.0 / n as f64;
    let point = |deg: f64, r: f64| {
        let rad = (deg - 90.0).to_radians();
        (r * rad.cos(), r * rad.sin())
    };
    html! {
        div.wheel-wrap {
            svg.wheel viewBox="-110 -110 220 220" role="img" aria-label=(g.name) {
                g.wheel-face data-count=(n) data-land=[land] {
                    @for (i, p) in g.prizes.iter().enumerate() {
                        @let (a0, a1) = (i as f64 * slice - slice / 2.0, i as f64 * slice + slice / 2.0);
                        @let ((x0, y0), (x1, y1)) = (point(a0, 100.0), point(a1, 100.0));
                        @let large = if slice > 180.0 { 1 } else { 0 };
                        @let fill = p.colour.clone().unwrap_or_else(|| PALETTE[i % PALETTE.len()].to_string());
                        path d=(format!("M0 0 L{x0:.2} {y0:.2} A100 100 0 {large} 1 {x1:.2} {y1:.2} Z")) style=(format!("fill:{fill}")) {}
                        @let (tx, ty) = point(i as f64 * slice, 64.0);
                        text x=(format!("{tx:.2}")) y=(format!("{ty:.2}")) transform=(format!("rotate({:.2} {tx:.2} {ty:.2})", i as f64 * slice))
                            text-anchor="middle" dominant-baseline="middle" { (p.label) }
                    }
                    circle r="12" class="hub" {}
                }
                path.pointer d="M-9 -112 L9 -112 L0 -92 Z" {}
            }
        }
    }
}

/// The slot machine's three reels, showing the drawn symbols (or the first symbols before a play).
fn reels(g: &GameForCustomer, played: Option<&PlayRecord>) -> Markup {
    let symbols: Vec<String> = g.prizes.iter().map(|p| p.symbol.clone().unwrap_or_else(|| p.label.clone())).collect();
    let shown: Vec<String> = match played.and_then(|p| p.reels.clone()) {
        Some(r) => r,
        None => symbols.iter().cycle().take(3).cloned().collect(),
    };
    html! {
        div.reels data-symbols=(serde_json::to_string(&symbols).unwrap_or_default()) data-spin=[played.map(|_| "1")] {
            @for s in &shown { span.reel { (s) } }
        }
    }
}

fn result(v: &ClubView, g: &GameForCustomer, p: &PlayRecord) -> Markup {
    let label = g.prizes.iter().find(|x| x.code == p.prize).map(|x| x.label.clone()).unwrap_or_else(|| p.prize.clone());
    html! {
        div.result.pending #result role="status" data-prize=(p.prize) {
            @if p.prize_kind == "nothing" {
                p { (v.t(C::NothingWon)) }
            } @else {
                p { (v.t(C::YouWon)) " " strong { (label) } }
                @if let Some(code) = p.outcome.get("code").and_then(|c| c.as_str()) {
                    p { (v.t(C::YourCode)) ": " code.copy dir="ltr" { (code) } " " button.link type="button" data-copy=(code) { (v.t(C::Copy)) } }
                }
            }
        }
    }
}
