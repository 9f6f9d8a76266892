//! The rewards catalogue (SPEC C3): each reward with its cost, stock left and redemptions, taken
//! off or put back on the store; new rewards and editing one.

use super::reward_form::{self, RewardForm};
use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, SavedQuery};
use crate::admin::layout::{self, Section, csrf_field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::roles::Access;

pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    render_list(&state, &staff, FormState::default(), q.is_saved()).await
}

async fn render_list(state: &AppState, staff: &Staff, form: FormState, saved: bool) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let (rewards, types) = tokio::try_join!(state.engine.rewards(ctx), state.engine.point_types(ctx))?;
    let type_name = |code: &str| types.iter().find(|t| t.code == code).map(|t| t.name.clone()).unwrap_or(code.to_string());
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        div.card.table-wrap { table #rewards {
            thead { tr {
                th { (v.t(T::Name)) } th { (v.t(T::Code)) } th.num { (v.t(T::Cost)) } th.num { (v.t(T::StockLeft)) }
                th.num { (v.t(T::Redeemed)) } th { (v.t(T::Status)) } th {}
            } }
            tbody { @for r in &rewards { tr {
                @let active = r.reward.active != Some(false);
                td {
                    a href=(format!("/admin/rewards/{}", r.reward.code)) { (r.reward.name) }
                    @if let Some(d) = &r.reward.description { br; small.muted { (d) } }
                }
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
        @if v.may(Access::Write) {
            section.card {
                h2 { (v.t(T::NewReward)) }
                (reward_form::render(&v, &form, &types, "/admin/rewards", false))
            }
        }
    };
    Ok(layout::page(&v, Section::Programme, v.t(T::Rewards), body))
}

pub async fn create(State(state): State<AppState>, staff: Staff, Form(f): Form<RewardForm>) -> PanelResult<Response> {
    let result = match f.input(None) {
        Ok(input) => state.engine.create_reward(staff.ctx(), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/rewards?saved=1").into_response()),
        Err(e) => {
            let form = FormState::refused(&staff.view(), &f.typed(), e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_list(&state, &staff, form, false).await?).into_response())
        }
    }
}

async fn render_edit(state: &AppState, staff: &Staff, code: &str, form: Option<FormState>, saved: bool) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let (reward, types) = tokio::try_join!(state.engine.reward(ctx, code), state.engine.point_types(ctx))?;
    let stored = RewardForm::of(&reward.reward);
    let form = form.unwrap_or_else(|| FormState::filled(&stored.typed()));
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        p { a href="/admin/rewards" { (v.t(T::Rewards)) } }
        dl.facts.card {
            dt { (v.t(T::StockLeft)) } dd { (reward.stock_left.map(|s| v.num(s)).unwrap_or_else(|| v.t(T::Unlimited).to_string())) }
            dt { (v.t(T::Redeemed)) } dd { (v.num(reward.redeemed)) }
        }
        @if v.may(Access::Write) {
            section.card {
                h2 { (v.t(T::EditReward)) }
                (reward_form::render(&v, &form, &types, &format!("/admin/rewards/{code}"), true))
            }
        }
    };
    Ok(layout::page(&v, Section::Programme, &reward.reward.name, body))
}

pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    render_edit(&state, &staff, &code, None, q.is_saved()).await
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(mut f): Form<RewardForm>,
) -> PanelResult<Response> {
    // The code names the reward in the address; it is not changed by the form.
    f.code = code.clone();
    let before = state.engine.reward(staff.ctx(), &code).await?.reward;
    let result = match f.input(Some(&before)) {
        Ok(input) => state.engine.update_reward(staff.ctx(), &code, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/rewards/{code}?saved=1")).into_response()),
        Err(e) => {
            let form = FormState::refused(&staff.view(), &f.typed(), e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_edit(&state, &staff, &code, Some(form), false).await?).into_response())
        }
    }
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
