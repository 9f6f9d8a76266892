//! The rewards catalogue (SPEC C3): each reward with its cost, stock left and redemptions, taken
//! off or put back on the store.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::SavedQuery;
use crate::admin::layout::{self, Section, csrf_field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::roles::Access;

pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let (rewards, types) = tokio::try_join!(state.engine.rewards(ctx), state.engine.point_types(ctx))?;
    let type_name = |code: &str| types.iter().find(|t| t.code == code).map(|t| t.name.clone()).unwrap_or(code.to_string());
    let body = html! {
        @if q.is_saved() { (layout::notice(v.t(T::Saved), false)) }
        div.card.table-wrap { table #rewards {
            thead { tr {
                th { (v.t(T::Name)) } th { (v.t(T::Code)) } th.num { (v.t(T::Cost)) } th.num { (v.t(T::StockLeft)) }
                th.num { (v.t(T::Redeemed)) } th { (v.t(T::Status)) } th {}
            } }
            tbody { @for r in &rewards { tr {
                @let active = r.reward.active != Some(false);
                td { (r.reward.name) @if let Some(d) = &r.reward.description { br; small.muted { (d) } } }
                td { code { (r.reward.code) } }
                td.num { (v.num(r.reward.cost)) " " (type_name(&r.reward.point_type)) }
                td.num { (r.stock_left.map(|s| v.num(s)).unwrap_or_else(|| v.t(T::Unlimited).to_string())) }
                td.num { (v.num(r.redeemed)) }
                td { @if active { span.pill { (v.t(T::Active)) } } @else { span.muted { (v.t(T::Paused)) } } }
                td { @if v.may(Access::Write) {
                    form method="post" action=(format!("/admin/rewards/{}/{}", r.reward.code, if active { "off" } else { "on" })) {
                        (csrf_field(&v))
                        button.link type="submit" { (if active { v.t(T::TakeOffer) } else { v.t(T::PutOnOffer) }) }
                    }
                } }
            } } }
        } }
    };
    Ok(layout::page(&v, Section::Programme, v.t(T::Rewards), body))
}

async fn set_active(state: &AppState, staff: &Staff, code: &str, active: bool) -> PanelResult<Response> {
    let mut input = state.engine.reward(staff.ctx(), code).await?.reward;
    input.active = Some(active);
    state.engine.update_reward(staff.ctx(), code, &input).await?;
    Ok(Redirect::to("/admin/rewards?saved=1").into_response())
}

pub async fn take_off(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    set_active(&state, &staff, &code, false).await
}

pub async fn put_on(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    set_active(&state, &staff, &code, true).await
}
