//! Missions: those in progress with their bars, steps and time left, those to start, and those
//! done.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::club::layout::{self, Tab, csrf_field, progress};
use crate::club::session::Member;
use crate::club::text::C;
use crate::club::view::ClubView;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_engine::missions::CustomerMission;

pub async fn page(State(state): State<AppState>, member: Member) -> PanelResult<Markup> {
    let v = member.view();
    let missions = state.engine.customer_missions(member.ctx(), member.id()).await?;
    let group = |status: &str| missions.iter().filter(|m| m.status == status).collect::<Vec<_>>();
    let (doing, open, done) = (group("in_progress"), group("available"), group("completed"));
    let body = html! {
        @if missions.is_empty() { p.muted { (v.t(C::NoMissions)) } }
        @if !doing.is_empty() {
            h2 { (v.t(C::InProgress)) }
            @for m in &doing { (card(&v, m)) }
        }
        @if !open.is_empty() {
            h2 { (v.t(C::Available2)) }
            @for m in &open { (card(&v, m)) }
        }
        @if !done.is_empty() {
            h2 { (v.t(C::Completed)) }
            @for m in &done { (card(&v, m)) }
        }
    };
    Ok(layout::page(&v, Tab::Missions, v.t(C::Missions), body))
}

fn time_left(v: &ClubView, secs: i64) -> String {
    let days = secs / 86_400;
    if days >= 1 {
        format!("{} {}", v.fmt.num(days), v.t(C::Days))
    } else {
        format!("{} {}", v.fmt.num((secs / 3600).max(1)), v.t(C::Hours))
    }
}

fn card(v: &ClubView, m: &CustomerMission) -> Markup {
    let percent = if m.target > 0 { ((m.current.min(m.target) * 100) / m.target) as u8 } else { 0 };
    html! {
        article.card.mission data-mission=(m.code) data-status=(m.status) {
            h3 { (m.name) }
            @if let Some(d) = &m.description { p.muted { (d) } }
            @if m.status == "in_progress" {
                @if m.steps > 1 {
                    p { (v.t(C::Step)) " " (v.fmt.num(m.steps_done as i64 + 1)) " " (v.t(C::Of)) " " (v.fmt.num(m.steps as i64))
                        @if let Some(l) = &m.step_label { ": " (l) } }
                }
                (progress(percent, &m.name))
                p.count { (v.fmt.num(m.current)) " / " (v.fmt.num(m.target)) }
                @if let Some(s) = m.seconds_left { p.muted { (v.t(C::TimeLeft)) ": " (time_left(v, s)) } }
            }
            @if let Some(p) = m.reward.points { p.reward { (v.t(C::Reward)) ": " (v.fmt.num(p)) " " (v.t(C::Points)) } }
            @if m.status == "available" && m.opt_in {
                form method="post" action=(v.href(&format!("/missions/{}/start", m.code))) {
                    (csrf_field(v))
                    button type="submit" { (v.t(C::Start)) }
                }
            }
            @if m.status == "completed" { p.done { "✓ " (v.t(C::Completed)) } }
        }
    }
}

pub async fn start(
    State(state): State<AppState>,
    member: Member,
    Path((_, code)): Path<(String, String)>,
) -> PanelResult<Response> {
    state.engine.start_mission(member.ctx(), member.id(), &code).await?;
    Ok(Redirect::to(&member.view().href("/missions")).into_response())
}
