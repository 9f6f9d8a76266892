//! Settings → Outgoing webhooks (owners and admins): endpoints with their topics, the signing
//! secret shown once, pausing, and each endpoint's delivery log with a replay button.

use crate::AppState;
use crate::admin::failure::{PanelError, PanelResult};
use crate::admin::forms::{FormState, SavedQuery};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::roles::Access;
use philia_domain::webhooks::WebhookInput;
use serde::Deserialize;

async fn render_list(state: &AppState, staff: &Staff, form: FormState, secret: Option<String>) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let v = staff.view();
    let endpoints = state.engine.webhooks(staff.ctx()).await?;
    let body = html! {
        @if let Some(secret) = &secret {
            div.notice role="status" { (v.t(T::WebhookSecretOnce)) ": " code #webhook-secret dir="ltr" { (secret) } }
        }
        section.card {
            p.muted { (v.t(T::WebhooksLead)) }
            div.table-wrap { table #webhooks {
                thead { tr { th { (v.t(T::Address)) } th { (v.t(T::Topics)) } th { (v.t(T::Status)) } } }
                tbody { @for e in &endpoints { tr {
                    td dir="ltr" { a href=(format!("/admin/webhooks/{}", e.id)) { (e.url) } }
                    td dir="ltr" { (e.topics.join(", ")) }
                    td { (v.t(if e.active { T::Active } else { T::Paused })) }
                } } }
            } }
            form #new-webhook method="post" action="/admin/webhooks" {
                h2 { (v.t(T::NewWebhook)) }
                @if let Some(g) = &form.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                (field(v.t(T::Address), "url", "url", form.value("url"), form.error("url")))
                (field(v.t(T::Topics), "topics", "text", form.value("topics"), form.error("topics")))
                p.muted { small dir="ltr" { "invoice.created, customer.created, customer.merged, points.earned, points.spent, points.expired, points.*, event.tier_changed, event.*" } }
                (field(v.t(T::Description), "description", "text", form.value("description"), form.error("description")))
                button type="submit" { (v.t(T::Add)) }
            }
        }
    };
    Ok(layout::page(&v, Section::Settings, v.t(T::Webhooks), body))
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    render_list(&state, &staff, FormState::default(), None).await
}

#[derive(Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    topics: String,
    #[serde(default)]
    description: String,
}

pub async fn create(State(state): State<AppState>, staff: Staff, Form(f): Form<WebhookForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let topics: Vec<String> =
        f.topics.split([',', '،', ' ', '\n']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect();
    let input = WebhookInput { url: f.url.clone(), topics, description: Some(f.description.clone()) };
    match state.engine.create_webhook(staff.ctx(), &input).await {
        // The secret is shown in this answer only, not behind a redirect.
        Ok(created) => Ok(render_list(&state, &staff, FormState::default(), created.secret).await?.into_response()),
        Err(e) => {
            let typed = [("url", f.url.as_str()), ("topics", &f.topics), ("description", &f.description)];
            // `topics[2]` belongs to the topics field.
            let form = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_list(&state, &staff, form, None).await?).into_response())
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let v = staff.view();
    let ctx = staff.ctx();
    let endpoint = state.engine.webhooks(ctx).await?.into_iter().find(|e| e.id == id).ok_or_else(PanelError::not_found)?;
    let deliveries = state.engine.webhook_deliveries(ctx, id, 100).await?;
    let body = html! {
        @if q.is_saved() { (layout::notice(v.t(T::Saved), false)) }
        p { a href="/admin/webhooks" { (v.t(T::Webhooks)) } }
        section.card {
            h2 dir="ltr" { (endpoint.url) }
            p dir="ltr" { (endpoint.topics.join(", ")) }
            form.inline method="post" action=(format!("/admin/webhooks/{id}/{}", if endpoint.active { "pause" } else { "resume" })) {
                (csrf_field(&v))
                button type="submit" { (v.t(if endpoint.active { T::Pause } else { T::Resume })) }
            }
        }
        section.card {
            h2 { (v.t(T::Deliveries)) }
            div.table-wrap { table #deliveries {
                thead { tr { th { (v.t(T::Topic)) } th { (v.t(T::Status)) } th.num { (v.t(T::Attempts)) } th { (v.t(T::Answer)) } th { (v.t(T::Created)) } th {} } }
                tbody { @for d in &deliveries { tr data-delivery=(d.id) {
                    td dir="ltr" { (d.topic) }
                    td { (d.status) }
                    td.num { (v.num(d.attempts)) }
                    td dir="ltr" { @if let Some(code) = d.response_status { (code) } @else if let Some(e) = &d.last_error { (e) } }
                    td { (v.date_time(&d.created_at)) }
                    td { @if d.status == "sent" || d.status == "failed" {
                        form.inline method="post" action=(format!("/admin/webhooks/{id}/deliveries/{}/replay", d.id)) {
                            (csrf_field(&v)) button.link type="submit" { (v.t(T::Replay)) }
                        }
                    } }
                } } }
            } }
        }
    };
    Ok(layout::page(&v, Section::Settings, v.t(T::Webhooks), body))
}

pub async fn pause(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.set_webhook_active(staff.ctx(), id, false).await?;
    Ok(Redirect::to(&format!("/admin/webhooks/{id}?saved=1")).into_response())
}

pub async fn resume(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.set_webhook_active(staff.ctx(), id, true).await?;
    Ok(Redirect::to(&format!("/admin/webhooks/{id}?saved=1")).into_response())
}

pub async fn replay(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, delivery)): Path<(i64, i64)>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.replay_webhook_delivery(staff.ctx(), id, delivery).await?;
    Ok(Redirect::to(&format!("/admin/webhooks/{id}?saved=1")).into_response())
}
