//! Segments (SPEC B2–B5): the list, the builder with its live count, a segment's members and what
//! they buy, and its export as CSV or Excel.

use crate::AppState;
use crate::admin::condition_builder::{builder, segment_fields};
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::forms::{SavedQuery, rule_json};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Json, Redirect, Response};
use maud::{Markup, html};
use philia_domain::roles::Access;
use philia_domain::segments::{SCHEMA, SegmentInput};
use philia_engine::EngineError;
use serde::Deserialize;
use serde_json::json;

const EMPTY_RULE: &str = r#"{"all": []}"#;

/// The fields the condition builder offers for rules on customers (also automations' conditions).
pub(crate) async fn fields(state: &AppState, staff: &Staff, v: &View) -> PanelResult<serde_json::Value> {
    let types = state.engine.point_types(staff.ctx()).await?;
    let pairs: Vec<(String, String)> = types.into_iter().map(|t| (t.code, t.name)).collect();
    Ok(segment_fields(v, &SCHEMA, &pairs))
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    let v = staff.view();
    let segments = state.engine.segments(staff.ctx()).await?;
    let body = html! {
        div.toolbar {
            @if v.may(Access::Write) { a.button href="/admin/segments/new" { (v.t(T::NewSegment)) } }
            a href="/admin/rfm" { (v.t(T::Rfm)) }
            " "
            a href="/admin/lists" { (v.t(T::Lists)) }
        }
        @if segments.is_empty() { p.muted { (v.t(T::NothingHere)) } } @else {
            div.card.table-wrap { table #segments {
                thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Code)) } th.num { (v.t(T::Members)) } th { (v.t(T::Export)) } } }
                tbody { @for s in &segments { tr {
                    td { a href=(format!("/admin/segments/{}", s.code)) { (s.name) } }
                    td { code { (s.code) } }
                    td.num { (v.num(s.members)) }
                    td { a href=(format!("/admin/segments/{}/export?format=csv", s.code)) { "CSV" } " · "
                         a href=(format!("/admin/segments/{}/export?format=xlsx", s.code)) { "Excel" } }
                } } }
            } }
        }
    };
    Ok(layout::page(&v, Section::Segments, v.t(T::Segments), body))
}

/// The segment form, new or existing.
fn segment_form(v: &View, action: &str, form: &FormState, fields: &serde_json::Value, is_new: bool) -> Markup {
    let rule = match form.value("rule") {
        "" => EMPTY_RULE,
        typed => typed,
    };
    html! {
        form.card #segment method="post" action=(action) {
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
            @if is_new {
                (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code")))
                p.muted { small { (v.t(T::CodeHint)) } }
            } @else {
                input type="hidden" name="code" value=(form.value("code"));
            }
            (field(v.t(T::Description), "description", "text", form.value("description"), form.error("description")))
            (builder(v, rule, fields, Some("/admin/segments/count"), form.error("rule")))
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

pub async fn new(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    staff.require(Access::Write)?;
    let v = staff.view();
    let fields = fields(&state, &staff, &v).await?;
    let body = segment_form(&v, "/admin/segments", &FormState::default(), &fields, true);
    Ok(layout::page(&v, Section::Segments, v.t(T::NewSegment), body))
}

#[derive(Deserialize)]
pub struct SegmentForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    rule: String,
}

impl SegmentForm {
    fn typed(&self) -> [(&str, &str); 4] {
        [("code", &self.code), ("name", &self.name), ("description", &self.description), ("rule", &self.rule)]
    }

    fn input(&self) -> Result<SegmentInput, EngineError> {
        let rule = rule_json(&self.rule, "rule")?;
        Ok(SegmentInput {
            code: self.code.trim().to_string(),
            name: self.name.clone(),
            description: Some(self.description.trim().to_string()).filter(|d| !d.is_empty()),
            rule,
        })
    }
}

pub async fn create(State(state): State<AppState>, staff: Staff, Form(f): Form<SegmentForm>) -> PanelResult<Response> {
    let v = staff.view();
    let saved = match f.input() {
        Ok(input) => state.engine.create_segment(staff.ctx(), &input).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(s) => Ok(Redirect::to(&format!("/admin/segments/{}?saved=1", s.code)).into_response()),
        Err(e) => {
            let form = FormState::refused(&v, &f.typed(), e);
            let fields = fields(&state, &staff, &v).await?;
            let body = segment_form(&v, "/admin/segments", &form, &fields, true);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, layout::page(&v, Section::Segments, v.t(T::NewSegment), body)).into_response())
        }
    }
}

async fn render_segment(
    state: &AppState,
    staff: &Staff,
    code: &str,
    form: Option<FormState>,
    saved: bool,
) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let segment = state.engine.segment(ctx, code).await?;
    let analysis = state.engine.segment_analysis(ctx, code).await?;
    let fields = fields(state, staff, &v).await?;
    let form = form.unwrap_or_else(|| {
        let rule = serde_json::to_string_pretty(&segment.rule).unwrap_or_default();
        FormState::filled(&[
            ("code", &segment.code),
            ("name", &segment.name),
            ("description", segment.description.as_deref().unwrap_or("")),
            ("rule", &rule),
        ])
    });
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        div.toolbar {
            a.button href=(format!("/admin/segments/{code}/export?format=csv")) { (v.t(T::Export)) " CSV" }
            a.button href=(format!("/admin/segments/{code}/export?format=xlsx")) { (v.t(T::Export)) " Excel" }
        }
        div.figures #analysis {
            div.figure { span.label { (v.t(T::Members)) } span.value #members { (v.num(analysis.members)) } }
            div.figure { span.label { (v.t(T::NetSpend)) } span.value { (v.money(analysis.net_spend)) } }
            div.figure { span.label { (v.t(T::Invoices)) } span.value { (v.num(analysis.invoices)) } }
            div.figure { span.label { (v.t(T::AverageOrder)) } span.value { (v.money(analysis.average_order_value)) } }
            div.figure { span.label { (v.t(T::PurchaseFrequency)) } span.value { (v.decimal(analysis.purchase_frequency)) } }
        }
        @if !analysis.top_categories.is_empty() {
            section.card {
                h2 { (v.t(T::TopCategories)) }
                table {
                    thead { tr { th { (v.t(T::Category)) } th.num { (v.t(T::Customers)) } th.num { (v.t(T::Sales)) } } }
                    tbody { @for c in &analysis.top_categories { tr {
                        td { (c.category) } td.num { (v.num(c.customers)) } td.num { (v.money(c.spend)) }
                    } } }
                }
            }
        }
        @if !analysis.top_products.is_empty() {
            section.card #top-products {
                h2 { (v.t(T::TopProducts)) }
                table {
                    thead { tr { th { (v.t(T::Item)) } th.num { (v.t(T::Customers)) } th.num { (v.t(T::UnitsSold)) } th.num { (v.t(T::Sales)) } } }
                    tbody { @for p in &analysis.top_products { tr {
                        td { (p.name.as_deref().unwrap_or(&p.product)) " " small.muted dir="ltr" { (p.product) } }
                        td.num { (v.num(p.customers)) } td.num { (v.decimal(p.quantity)) } td.num { (v.money(p.spend)) }
                    } } }
                }
            }
        }
        @if v.may(Access::Write) {
            h2 { (v.t(T::Edit)) }
            (segment_form(&v, &format!("/admin/segments/{code}"), &form, &fields, false))
        }
    };
    Ok(layout::page(&v, Section::Segments, &segment.name, body))
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    render_segment(&state, &staff, &code, None, q.is_saved()).await
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(f): Form<SegmentForm>,
) -> PanelResult<Response> {
    let saved = match f.input() {
        Ok(mut input) => {
            input.code = code.clone();
            state.engine.update_segment(staff.ctx(), &code, &input).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/admin/segments/{code}?saved=1")).into_response()),
        Err(e) => {
            let form = FormState::refused(&staff.view(), &f.typed(), e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_segment(&state, &staff, &code, Some(form), false).await?)
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct CountForm {
    #[serde(default)]
    rule: String,
}

/// The live count while a rule is edited: `{"count", "shown"}` or `{"error"}`.
pub async fn count(State(state): State<AppState>, staff: Staff, Form(f): Form<CountForm>) -> Json<serde_json::Value> {
    let v = staff.view();
    let result = match rule_json(&f.rule, "rule") {
        Ok(rule) => state.engine.preview_segment(staff.ctx(), &rule).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => Json(json!({"count": n, "shown": v.num(n)})),
        Err(e) => Json(json!({"error": crate::admin::failure::PanelError::from(e).message(v.lang)})),
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
}

pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<ExportQuery>,
) -> PanelResult<Response> {
    let ctx = staff.ctx();
    let (body, kind, ext) = match q.format.as_deref().unwrap_or("csv") {
        "xlsx" => (
            state.engine.export_segment_xlsx(ctx, &code).await?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        _ => {
            let mut out = Vec::new();
            state.engine.export_segment(ctx, &code, &mut out).await?;
            (out, "text/csv; charset=utf-8", "csv")
        }
    };
    let disposition = format!("attachment; filename=\"segment-{code}.{ext}\"");
    Ok(([(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response())
}
