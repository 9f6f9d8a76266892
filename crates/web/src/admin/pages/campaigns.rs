//! Campaigns (SPEC E4, G7): the list, a new campaign to a segment, a list or everyone with a
//! random hold-out, sending a draft, and the results: who bought in each group and the lift.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::forms::SavedQuery;
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::campaigns::CampaignInput;
use philia_domain::roles::Access;
use philia_engine::campaigns::{CampaignRecord, ReportQuery};
use serde::Deserialize;

fn status(v: &View, s: &str) -> String {
    match s {
        "draft" => v.t(T::StatusDraft).into(),
        "scheduled" => v.t(T::StatusScheduled).into(),
        "sending" => v.t(T::StatusSending).into(),
        "sent" => v.t(T::StatusSent).into(),
        "cancelled" => v.t(T::StatusCancelled).into(),
        other => other.into(),
    }
}

/// A message's delivery status in the reader's words.
pub fn message_status(v: &View, s: &str) -> String {
    match s {
        "queued" => v.t(T::MsgQueued).into(),
        "sending" => v.t(T::MsgSending).into(),
        "sent" => v.t(T::MsgSent).into(),
        "delivered" => v.t(T::MsgDelivered).into(),
        "failed" => v.t(T::MsgFailed).into(),
        "skipped" => v.t(T::MsgSkipped).into(),
        other => other.into(),
    }
}

fn message_counts(v: &View, c: &CampaignRecord) -> String {
    c.messages.iter().map(|(k, n)| format!("{}: {}", message_status(v, k), v.num(*n))).collect::<Vec<_>>().join(" · ")
}

async fn render_list(state: &AppState, staff: &Staff, form: FormState) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let (campaigns, templates, segments, lists) = tokio::try_join!(
        state.engine.campaigns(ctx),
        state.engine.templates(ctx),
        state.engine.segments(ctx),
        state.engine.lists(ctx),
    )?;
    let audience = form.value("audience");
    let body = html! {
        div.card.table-wrap { table #campaigns {
            thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Template)) } th { (v.t(T::Status)) } th { (v.t(T::Messages)) } } }
            tbody { @for c in &campaigns { tr {
                td { a href=(format!("/admin/campaigns/{}", c.input.code)) { (c.input.name) } }
                td { code { (c.input.template) } }
                td { span.pill { (status(&v, &c.status)) } }
                td { (message_counts(&v, c)) }
            } } }
        } }
        @if v.may(Access::Write) {
            section.card {
                h2 { (v.t(T::NewCampaign)) }
                form #new-campaign method="post" action="/admin/campaigns" {
                    @if let Some(g) = &form.general { (layout::notice(g, true)) }
                    (csrf_field(&v))
                    (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
                    (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code")))
                    div.field.invalid[form.error("template").is_some()] {
                        label for="f-template" { (v.t(T::Template)) }
                        select #f-template name="template" {
                            @for t in &templates { option value=(t.template.code) selected[form.value("template") == t.template.code] { (t.template.name) " (" (t.template.channel) ")" } }
                        }
                        @if let Some(e) = form.error("template") { p.error role="alert" { (e) } }
                    }
                    div.field.invalid[form.error("segment").is_some() || form.error("list").is_some()] {
                        label for="f-audience" { (v.t(T::Audience)) }
                        select #f-audience name="audience" {
                            option value="" { (v.t(T::Everyone)) }
                            @for s in &segments {
                                @let value = format!("segment:{}", s.code);
                                option value=(value) selected[audience == value] { (v.t(T::Segments)) ": " (s.name) }
                            }
                            @for l in &lists {
                                @let value = format!("list:{}", l.code);
                                option value=(value) selected[audience == value] { (v.t(T::List)) ": " (l.name) }
                            }
                        }
                        @if let Some(e) = form.error("segment").or(form.error("list")) { p.error role="alert" { (e) } }
                    }
                    (field(v.t(T::HoldoutPercent), "holdout_percent", "text", form.value("holdout_percent"), form.error("holdout_percent")))
                    p.muted { small { (v.t(T::HoldoutHint)) } }
                    (field(v.t(T::SendAt), "send_at", "text", form.value("send_at"), form.error("send_at")))
                    button type="submit" { (v.t(T::Save)) }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Messaging, v.t(T::Campaigns), body))
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    render_list(&state, &staff, FormState::default()).await
}

#[derive(Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    template: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    holdout_percent: String,
    #[serde(default)]
    send_at: String,
}

pub async fn create(State(state): State<AppState>, staff: Staff, Form(f): Form<CampaignForm>) -> PanelResult<Response> {
    let holdout = crate::admin::forms::count(&f.holdout_percent, "holdout_percent");
    let result = match holdout {
        Err(e) => Err(e),
        Ok(holdout) => {
            let input = CampaignInput {
                code: f.code.trim().to_string(),
                name: f.name.clone(),
                template: f.template.clone(),
                segment: f.audience.strip_prefix("segment:").map(str::to_string),
                list: f.audience.strip_prefix("list:").map(str::to_string),
                // Above 255 stays above the domain's 50 % limit, which names the field.
                holdout_percent: holdout.map(|h| h.min(255) as u8),
                send_at: Some(f.send_at.trim().to_string()).filter(|s| !s.is_empty()),
            };
            state.engine.create_campaign(staff.ctx(), &input).await
        }
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/admin/campaigns/{}?saved=1", c.input.code)).into_response()),
        Err(e) => {
            let typed = [
                ("name", f.name.as_str()),
                ("code", &f.code),
                ("template", &f.template),
                ("audience", &f.audience),
                ("segment", ""),
                ("list", ""),
                ("holdout_percent", &f.holdout_percent),
                ("send_at", &f.send_at),
            ];
            let form = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_list(&state, &staff, form).await?).into_response())
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let c = state.engine.campaign(ctx, &code).await?;
    let report = if c.launched_at.is_some() {
        Some(state.engine.campaign_report(ctx, &code, &ReportQuery::default()).await?)
    } else {
        None
    };
    let may = v.may(Access::Write);
    let audience = match (&c.input.segment, &c.input.list) {
        (Some(s), _) => format!("{}: {s}", v.t(T::Segments)),
        (_, Some(l)) => format!("{}: {l}", v.t(T::List)),
        _ => v.t(T::Everyone).to_string(),
    };
    let body = html! {
        @if q.is_saved() { (layout::notice(v.t(T::Saved), false)) }
        dl.facts.card #campaign {
            dt { (v.t(T::Status)) } dd #status { (status(&v, &c.status)) }
            dt { (v.t(T::Template)) } dd { code { (c.input.template) } }
            dt { (v.t(T::Audience)) } dd { (audience) }
            dt { (v.t(T::HoldoutPercent)) } dd { (v.percent(c.input.holdout_percent.unwrap_or(0) as f64)) }
            @if let Some(at) = &c.scheduled_for { dt { (v.t(T::SendAt)) } dd { (v.date_time(at)) } }
            dt { (v.t(T::Messages)) } dd #messages { (message_counts(&v, &c)) }
        }
        @if may && (c.status == "draft" || c.status == "scheduled") {
            div.toolbar {
                form method="post" action=(format!("/admin/campaigns/{code}/send")) { (csrf_field(&v)) button #send type="submit" { (v.t(T::SendNow)) } }
                form method="post" action=(format!("/admin/campaigns/{code}/cancel")) { (csrf_field(&v)) button.link type="submit" { (v.t(T::CancelCampaign)) } }
            }
        }
        @if let Some(r) = &report {
            section.card #results {
                h2 { (v.t(T::Results)) }
                table {
                    thead { tr { th {} th.num { (v.t(T::Members)) } th.num { (v.t(T::Converted)) } th.num { (v.t(T::ConversionRate)) } th.num { (v.t(T::SalesPerCustomer)) } } }
                    tbody {
                        @for (label, g) in [(T::SentGroup, &r.sent), (T::HeldOutGroup, &r.held_out)] { tr {
                            th { (v.t(label)) } td.num { (v.num(g.members)) } td.num { (v.num(g.converted)) }
                            td.num { (v.percent(g.conversion_rate * 100.0)) } td.num { (v.money(g.sales_per_customer.round() as i64)) }
                        } }
                    }
                }
                @if let Some(l) = &r.conversion_lift {
                    p { (v.t(T::Lift)) " — " (v.t(T::ConversionRate)) ": " (v.percent(l.value * 100.0)) " [" (v.percent(l.low * 100.0)) " … " (v.percent(l.high * 100.0)) "]" }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Messaging, &c.input.name, body))
}

pub async fn send(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    state.engine.send_campaign(staff.ctx(), &code).await?;
    Ok(Redirect::to(&format!("/admin/campaigns/{code}?saved=1")).into_response())
}

pub async fn cancel(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    state.engine.cancel_campaign(staff.ctx(), &code).await?;
    Ok(Redirect::to(&format!("/admin/campaigns/{code}?saved=1")).into_response())
}
