//! Earning rules: the list with each rule's terms, a form for a new rule (its condition built
//! like a segment's), turning a rule off, and the dry run: paste an invoice, see what it earns.

use crate::AppState;
use crate::admin::condition_builder::{builder_named, invoice_rule_fields};
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::forms::SavedQuery;
use crate::admin::forms::number;
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::Issue;
use philia_domain::earning::{Caps, INVOICE_SCHEMA, RuleInput};
use philia_domain::invoice::InvoiceInput;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use philia_engine::earning::DryRun;
use serde::Deserialize;

#[derive(Default)]
struct Forms {
    rule: FormState,
    dry_run: FormState,
    result: Option<DryRun>,
    saved: bool,
}

async fn render(state: &AppState, staff: &Staff, forms: Forms) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let rules = state.engine.rules(ctx).await?;
    let types = state.engine.point_types(ctx).await?;
    let type_name = |code: &str| types.iter().find(|t| t.code == code).map(|t| t.name.clone()).unwrap_or(code.to_string());
    let f = &forms.rule;
    let condition = match f.value("condition") {
        "" => r#"{"all": []}"#,
        typed => typed,
    };
    let body = html! {
        @if forms.saved { (layout::notice(v.t(T::Saved), false)) }
        section.card #rules {
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Trigger)) } th { (v.t(T::PointType)) } th.num { (v.t(T::PointsAwarded)) } th { (v.t(T::Status)) } th {} } }
                tbody { @for r in &rules { tr {
                    td { (r.rule.name) }
                    td { @if r.rule.trigger == "event" { (v.t(T::TriggerEvent)) ": " code { (r.rule.event_type.as_deref().unwrap_or("")) } } @else { (v.t(T::TriggerInvoice)) } }
                    td { (type_name(&r.rule.point_type)) }
                    td.num { (v.num(r.rule.points)) @if let Some(per) = r.rule.per_amount { " / " (v.money(per)) } }
                    td { @if r.active { span.pill { (v.t(T::Active)) } } }
                    td { @if r.active && v.may(Access::Write) {
                        form method="post" action=(format!("/admin/programme/rules/{}/disable", r.id)) {
                            (csrf_field(&v)) button.link type="submit" { (v.t(T::Disable)) }
                        }
                    } }
                } } }
            } }
        }
        section.card #dry-run {
            h2 { (v.t(T::DryRun)) }
            form method="post" action="/admin/programme/rules/dry-run" {
                @if let Some(g) = &forms.dry_run.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                div.field {
                    label for="f-invoice" { (v.t(T::DryRunHint)) }
                    textarea #f-invoice name="invoice" rows="6" dir="ltr" { (forms.dry_run.value("invoice")) }
                }
                button type="submit" { (v.t(T::Try)) }
            }
            @if let Some(result) = &forms.result { (dry_run_result(&v, result, &type_name)) }
        }
        @if v.may(Access::Write) {
            section.card {
                h2 { (v.t(T::NewRule)) }
                form #new-rule method="post" action="/admin/programme/rules" {
                    @if let Some(g) = &f.general { (layout::notice(g, true)) }
                    (csrf_field(&v))
                    (field(v.t(T::Name), "name", "text", f.value("name"), f.error("name")))
                    div.inline {
                        div.field {
                            label for="f-trigger" { (v.t(T::Trigger)) }
                            select #f-trigger name="trigger" {
                                option value="invoice" selected[f.value("trigger") != "event"] { (v.t(T::TriggerInvoice)) }
                                option value="event" selected[f.value("trigger") == "event"] { (v.t(T::TriggerEvent)) }
                            }
                        }
                        (field(v.t(T::EventType), "event_type", "text", f.value("event_type"), f.error("event_type")))
                        div.field {
                            label for="f-point_type" { (v.t(T::PointType)) }
                            select #f-point_type name="point_type" {
                                @for t in &types { option value=(t.code) selected[f.value("point_type") == t.code] { (t.name) } }
                            }
                        }
                    }
                    div.inline {
                        (field(v.t(T::PointsAwarded), "points", "text", f.value("points"), f.error("points")))
                        (field(v.t(T::PerAmount), "per_amount", "text", f.value("per_amount"), f.error("per_amount")))
                        (field(v.t(T::MinAmount), "min_amount", "text", f.value("min_amount"), f.error("min_amount")))
                        (field(v.t(T::CapPerDay), "cap_per_day", "text", f.value("cap_per_day"), f.error("caps")))
                        (field(v.t(T::CapPerCustomer), "cap_per_customer", "text", f.value("cap_per_customer"), f.error("caps")))
                    }
                    p.muted { small { (v.t(T::PerAmountHint)) } }
                    (builder_named(&v, "condition", condition, &invoice_rule_fields(&v, &INVOICE_SCHEMA), None, f.error("condition")))
                    button type="submit" { (v.t(T::Save)) }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Programme, v.t(T::EarningRules), body))
}

fn dry_run_result(v: &View, result: &DryRun, type_name: &dyn Fn(&str) -> String) -> Markup {
    html! {
        div #dry-run-result {
            @if result.awards.is_empty() { p { (v.t(T::NothingEarned)) } } @else {
                p { strong { (v.t(T::WouldEarn)) } }
                table {
                    thead { tr { th { (v.t(T::Name)) } th { (v.t(T::PointType)) } th.num { (v.t(T::PointsAwarded)) } th.num { (v.t(T::Capped)) } } }
                    tbody { @for a in &result.awards { tr {
                        td { (a.rule) } td { (type_name(&a.point_type)) } td.num { (v.num(a.points)) } td.num { (v.num(a.capped)) }
                    } } }
                    tfoot { @for (t, n) in &result.totals { tr { th { (v.t(T::Total)) } th { (type_name(t)) } th.num { (v.num(*n)) } th {} } } }
                }
            }
        }
    }
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    render(&state, &staff, Forms { saved: q.is_saved(), ..Forms::default() }).await
}

#[derive(Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    trigger: String,
    #[serde(default)]
    event_type: String,
    #[serde(default)]
    point_type: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    per_amount: String,
    #[serde(default)]
    min_amount: String,
    #[serde(default)]
    cap_per_day: String,
    #[serde(default)]
    cap_per_customer: String,
    #[serde(default)]
    condition: String,
}

impl RuleForm {
    fn input(&self) -> Result<RuleInput, EngineError> {
        let condition: serde_json::Value = match self.condition.trim() {
            "" => serde_json::Value::Null,
            text => serde_json::from_str(text).map_err(|_| {
                EngineError::field(Issue::new("not_json", "is not a valid condition", "شرط‌ها خوانا نیستند").at("condition"))
            })?,
        };
        // An empty group means "always": no condition.
        let condition = match &condition {
            serde_json::Value::Null => None,
            serde_json::Value::Object(m)
                if m.get("all").and_then(|a| a.as_array()).is_some_and(|a| a.is_empty()) && m.len() == 1 =>
            {
                None
            }
            _ => Some(condition),
        };
        let caps = Caps {
            per_day: number(&self.cap_per_day, "caps")?,
            per_customer: number(&self.cap_per_customer, "caps")?,
            ..Caps::default()
        };
        let event = self.trigger == "event";
        Ok(RuleInput {
            name: self.name.clone(),
            trigger: if event { "event".into() } else { "invoice".into() },
            event_type: Some(self.event_type.trim().to_string()).filter(|e| event && !e.is_empty()),
            point_type: self.point_type.clone(),
            condition,
            points: number(&self.points, "points")?.unwrap_or(0),
            per_amount: number(&self.per_amount, "per_amount")?,
            min_amount: number(&self.min_amount, "min_amount")?,
            line_multipliers: None,
            multipliers: None,
            caps: (caps != Caps::default()).then_some(caps),
            starts_at: None,
            ends_at: None,
        })
    }

    fn typed(&self) -> Vec<(&str, &str)> {
        vec![
            ("name", &self.name),
            ("trigger", &self.trigger),
            ("event_type", &self.event_type),
            ("point_type", &self.point_type),
            ("points", &self.points),
            ("per_amount", &self.per_amount),
            ("min_amount", &self.min_amount),
            ("cap_per_day", &self.cap_per_day),
            ("cap_per_customer", &self.cap_per_customer),
            ("caps", ""),
            ("condition", &self.condition),
        ]
    }
}

pub async fn create(State(state): State<AppState>, staff: Staff, Form(f): Form<RuleForm>) -> PanelResult<Response> {
    let saved = match f.input() {
        Ok(input) => state.engine.create_rule(staff.ctx(), &input, &staff.actor()).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to("/admin/programme/rules?saved=1").into_response()),
        Err(e) => {
            let rule = FormState::refused(&staff.view(), &f.typed(), e);
            let page = render(&state, &staff, Forms { rule, ..Forms::default() }).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn disable(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PanelResult<Response> {
    state.engine.disable_rule(staff.ctx(), id).await?;
    Ok(Redirect::to("/admin/programme/rules?saved=1").into_response())
}

#[derive(Deserialize)]
pub struct DryRunForm {
    #[serde(default)]
    invoice: String,
}

pub async fn dry_run(State(state): State<AppState>, staff: Staff, Form(f): Form<DryRunForm>) -> PanelResult<Response> {
    let result = match serde_json::from_str::<InvoiceInput>(&f.invoice) {
        Ok(invoice) => state.engine.dry_run(staff.ctx(), &invoice).await,
        Err(e) => Err(EngineError::field(
            Issue::new("not_json", format!("is not an invoice: {e}"), format!("فاکتور خوانا نیست: {e}")).at("invoice"),
        )),
    };
    let typed = [("invoice", f.invoice.as_str())];
    let forms = match result {
        Ok(r) => Forms { dry_run: FormState::filled(&typed), result: Some(r), ..Forms::default() },
        Err(e) => {
            let mut dry_run = FormState::refused(&staff.view(), &typed, e);
            // The box is one field: show its error above it.
            if dry_run.general.is_none() {
                dry_run.general = dry_run.error("invoice").map(str::to_string);
            }
            Forms { dry_run, ..Forms::default() }
        }
    };
    Ok(render(&state, &staff, forms).await?.into_response())
}
