//! Automations (SPEC E2): each trigger with its actions, pausing and resuming, the latest runs
//! with what each did, and the edit form (`automation_editor`).

use super::automation_editor;
use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, SavedQuery};
use crate::admin::layout::{self, Section, csrf_field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::automations::{Action, AutomationInput, Trigger};
use philia_domain::roles::Access;

fn trigger_text(v: &View, t: &Trigger) -> String {
    match t {
        Trigger::Invoice {} => v.t(T::OnPurchase).into(),
        Trigger::Event { event_type } => format!("{}: {event_type}", v.t(T::OnEvent)),
        Trigger::Signup {} => v.t(T::OnSignup).into(),
        Trigger::Birthday { days_before } => format!("{} {}", v.num(*days_before as i64), v.t(T::OnBirthday)),
        Trigger::Inactive { days } => format!("{} {}", v.num(*days as i64), v.t(T::OnInactive)),
    }
}

fn actions_text(a: &AutomationInput) -> String {
    a.actions
        .iter()
        .map(|x| match x {
            Action::Send { template } => format!("send {template}"),
            Action::Points { point_type, points } => format!("+{points} {point_type}"),
            Action::Code { promotion, .. } => format!("code {promotion}"),
            Action::Tag { add, remove } => format!("tag +{} -{}", add.join(","), remove.join(",")),
            Action::Webhook { webhook } => format!("webhook {webhook}"),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn toggle(v: &View, a: &AutomationInput) -> Markup {
    let paused = a.paused == Some(true);
    html! {
        @if v.may(Access::Write) {
            form method="post" action=(format!("/admin/automations/{}/{}", a.code, if paused { "resume" } else { "pause" })) {
                (csrf_field(v))
                button.link type="submit" { (if paused { v.t(T::Resume) } else { v.t(T::Pause) }) }
            }
        }
    }
}

pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    let v = staff.view();
    let automations = state.engine.automations(staff.ctx()).await?;
    let body = html! {
        @if q.is_saved() { (layout::notice(v.t(T::Saved), false)) }
        @if v.may(Access::Write) { div.toolbar { a.button href="/admin/automations/new" { (v.t(T::NewAutomation)) } } }
        div.card.table-wrap { table #automations {
            thead { tr { th { (v.t(T::Name)) } th { (v.t(T::StartsWhen)) } th { (v.t(T::Actions)) } th { (v.t(T::Status)) } th {} } }
            tbody { @for a in &automations { tr {
                td { a href=(format!("/admin/automations/{}", a.input.code)) { (a.input.name) } }
                td { (trigger_text(&v, &a.input.trigger)) }
                td dir="ltr" { small { (actions_text(&a.input)) } }
                td { @if a.input.paused == Some(true) { span.muted { (v.t(T::Paused)) } } @else { span.pill { (v.t(T::Active)) } } }
                td { (toggle(&v, &a.input)) }
            } } }
        } }
    };
    Ok(layout::page(&v, Section::Messaging, v.t(T::Automations), body))
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    render_show(&state, &staff, &code, None, q.is_saved()).await
}

async fn render_show(state: &AppState, staff: &Staff, code: &str, form: Option<FormState>, saved: bool) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let a = state.engine.automation(ctx, code).await?;
    let runs = state.engine.automation_runs(ctx, code, None, 100).await?;
    let editor = if v.may(Access::Write) {
        let c = automation_editor::choices(state, staff, &v).await?;
        let form = form.unwrap_or_else(|| {
            let stored = automation_editor::stored(&a.input);
            FormState::filled(&stored.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>())
        });
        Some(automation_editor::render_form(&v, &form, &c, &format!("/admin/automations/{code}"), true))
    } else {
        None
    };
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        dl.facts.card {
            dt { (v.t(T::StartsWhen)) } dd { (trigger_text(&v, &a.input.trigger)) }
            dt { (v.t(T::Delay)) } dd { (v.num(a.input.delay_minutes.unwrap_or(0) as i64)) }
            dt { (v.t(T::Actions)) } dd dir="ltr" { (actions_text(&a.input)) }
            dt { (v.t(T::Status)) } dd { (if a.input.paused == Some(true) { v.t(T::Paused) } else { v.t(T::Active) }) " " (toggle(&v, &a.input)) }
        }
        section.card #runs {
            h2 { (v.t(T::Runs)) }
            @if runs.is_empty() { p.muted { (v.t(T::NothingHere)) } }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Customers)) } th { (v.t(T::Status)) } th { (v.t(T::Due)) } th {} } }
                tbody { @for r in &runs { tr {
                    td { a href=(format!("/admin/customers/{}", r.customer_id)) { "#" (v.digits(r.customer_id)) } }
                    td { (r.status) } td { (v.date_time(&r.due_at)) }
                    td dir="ltr" { small.muted { (r.result.as_ref().map(|x| x.to_string()).unwrap_or_default()) } }
                } } }
            } }
        }
        @if let Some(editor) = editor {
            h2 { (v.t(T::EditAutomation)) }
            (editor)
        }
    };
    Ok(layout::page(&v, Section::Messaging, &a.input.name, body))
}

/// Saves the edit form; the code stays, and a paused automation stays paused.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    let mut fields = automation_editor::renumbered(&fields);
    fields.retain(|(k, _)| k != "code");
    fields.push(("code".into(), code.clone()));
    let before = state.engine.automation(staff.ctx(), &code).await?.input;
    let result = match automation_editor::parse(&fields, Some(&before)) {
        Ok(input) => state.engine.update_automation(staff.ctx(), &code, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/automations/{code}?saved=1")).into_response()),
        Err(e) => {
            let form = FormState::refused(&staff.view(), &automation_editor::typed(&fields), e);
            let page = render_show(&state, &staff, &code, Some(form), false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn set_paused(state: &AppState, staff: &Staff, code: &str, paused: bool) -> PanelResult<Response> {
    let mut input = state.engine.automation(staff.ctx(), code).await?.input;
    input.paused = Some(paused);
    state.engine.update_automation(staff.ctx(), code, &input).await?;
    Ok(Redirect::to("/admin/automations?saved=1").into_response())
}

pub async fn pause(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    set_paused(&state, &staff, &code, true).await
}

pub async fn resume(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    set_paused(&state, &staff, &code, false).await
}
