//! Discount codes (SPEC C6): promotions with their terms, bulk generation of unique codes and the
//! download of every code with its use.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, SavedQuery};
use crate::admin::forms::{count, decimal, number, required};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::discounts::PromotionInput;
use philia_domain::records::PromotionRecord;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use philia_engine::promotions::GenerateInput;
use serde::Deserialize;

/// The terms of a promotion as form fields, for a new one (with its code) or an edit.
fn promotion_fields(v: &View, form: &FormState, editing: bool) -> Markup {
    html! {
        div.inline {
            (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
            @if !editing { (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code"))) }
            div.field {
                label for="f-discount" { (v.t(T::DiscountKindLabel)) }
                select #f-discount name="discount" {
                    option value="percent" selected[form.value("discount") != "fixed"] { (v.t(T::Percent)) }
                    option value="fixed" selected[form.value("discount") == "fixed"] { (v.t(T::Fixed)) }
                }
            }
            (field(v.t(T::Value), "value", "text", form.value("value"), form.error("value")))
        }
        div.inline {
            (field(v.t(T::MaxDiscount), "max_discount", "text", form.value("max_discount"), form.error("max_discount")))
            (field(v.t(T::MinAmount), "min_amount", "text", form.value("min_amount"), form.error("min_amount")))
            (field(v.t(T::TotalLimit), "total_limit", "text", form.value("total_limit"), form.error("total_limit")))
            (field(v.t(T::PerCustomerLimit), "per_customer_limit", "text", form.value("per_customer_limit"), form.error("per_customer_limit")))
            (field(v.t(T::SharedCode), "shared_code", "text", form.value("shared_code"), form.error("shared_code")))
        }
        @if editing {
            div.field {
                label { input type="checkbox" name="active" value="1" checked[form.value("active") == "1"]; " " (v.t(T::Active)) }
            }
        }
    }
}

fn discount_text(v: &View, p: &PromotionRecord) -> String {
    if p.promotion.discount == "percent" { v.percent(p.promotion.value) } else { v.money(p.promotion.value as i64) }
}

async fn render_list(state: &AppState, staff: &Staff, form: FormState) -> PanelResult<Markup> {
    let v = staff.view();
    let promotions = state.engine.promotions(staff.ctx()).await?;
    let body = html! {
        div.card.table-wrap { table #promotions {
            thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Code)) } th { (v.t(T::DiscountKindLabel)) } th.num { (v.t(T::Used)) } } }
            tbody { @for p in &promotions { tr {
                td { a href=(format!("/admin/promotions/{}", p.promotion.code)) { (p.promotion.name) } }
                td { code { (p.promotion.code) } }
                td { (discount_text(&v, p)) }
                td.num { (v.num(p.used)) }
            } } }
        } }
        @if v.may(Access::Write) {
            section.card {
                h2 { (v.t(T::NewPromotion)) }
                form #new-promotion method="post" action="/admin/promotions" {
                    @if let Some(g) = &form.general { (layout::notice(g, true)) }
                    (csrf_field(&v))
                    (promotion_fields(&v, &form, false))
                    button type="submit" { (v.t(T::Save)) }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Programme, v.t(T::DiscountCodes), body))
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    render_list(&state, &staff, FormState::default()).await
}

#[derive(Deserialize)]
pub struct PromotionForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    discount: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    max_discount: String,
    #[serde(default)]
    min_amount: String,
    #[serde(default)]
    total_limit: String,
    #[serde(default)]
    per_customer_limit: String,
    #[serde(default)]
    shared_code: String,
    /// The edit form's box; a new promotion is active.
    #[serde(default)]
    active: String,
}

impl PromotionForm {
    /// The form's values as stored.
    fn of(p: &PromotionInput) -> Vec<(&'static str, String)> {
        let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        vec![
            ("name", p.name.clone()),
            ("code", p.code.clone()),
            ("discount", p.discount.clone()),
            ("value", p.value.to_string()),
            ("max_discount", opt(p.max_discount)),
            ("min_amount", opt(p.min_amount)),
            ("total_limit", opt(p.total_limit)),
            ("per_customer_limit", opt(p.per_customer_limit)),
            ("shared_code", p.shared_code.clone().unwrap_or_default()),
            ("active", if p.active != Some(false) { "1".into() } else { String::new() }),
        ]
    }

    fn typed(&self) -> [(&'static str, &str); 10] {
        [
            ("name", self.name.as_str()),
            ("code", &self.code),
            ("discount", &self.discount),
            ("value", &self.value),
            ("max_discount", &self.max_discount),
            ("min_amount", &self.min_amount),
            ("total_limit", &self.total_limit),
            ("per_customer_limit", &self.per_customer_limit),
            ("shared_code", &self.shared_code),
            ("active", &self.active),
        ]
    }

    /// The promotion the form describes; on an edit, what the form does not show (dates,
    /// categories, products, tiers, combining) is kept from `before`.
    fn input(&self, before: Option<&PromotionInput>) -> Result<PromotionInput, EngineError> {
        let value = required(decimal(&self.value, "value")?, "value")?;
        Ok(PromotionInput {
            code: self.code.trim().to_string(),
            name: self.name.clone(),
            discount: self.discount.clone(),
            value,
            max_discount: number(&self.max_discount, "max_discount")?,
            starts_at: before.and_then(|b| b.starts_at.clone()),
            ends_at: before.and_then(|b| b.ends_at.clone()),
            min_amount: number(&self.min_amount, "min_amount")?,
            categories: before.and_then(|b| b.categories.clone()),
            skus: before.and_then(|b| b.skus.clone()),
            total_limit: number(&self.total_limit, "total_limit")?,
            per_customer_limit: number(&self.per_customer_limit, "per_customer_limit")?,
            uses_per_code: before.and_then(|b| b.uses_per_code),
            tiers: before.and_then(|b| b.tiers.clone()),
            stackable: before.and_then(|b| b.stackable),
            shared_code: Some(self.shared_code.trim().to_string()).filter(|c| !c.is_empty()),
            active: Some(before.is_none() || self.active == "1"),
        })
    }
}

pub async fn create(State(state): State<AppState>, staff: Staff, Form(f): Form<PromotionForm>) -> PanelResult<Response> {
    let result = match f.input(None) {
        Ok(input) => state.engine.create_promotion(staff.ctx(), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/admin/promotions/{}?saved=1", p.promotion.code)).into_response()),
        Err(e) => {
            let form = FormState::refused(&staff.view(), &f.typed(), e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_list(&state, &staff, form).await?).into_response())
        }
    }
}

/// Saves the edit form of a promotion; its code stays as it is.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(mut f): Form<PromotionForm>,
) -> PanelResult<Response> {
    f.code = code.clone();
    let before = state.engine.promotion(staff.ctx(), &code).await?.promotion;
    let result = match f.input(Some(&before)) {
        Ok(input) => state.engine.update_promotion(staff.ctx(), &code, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/promotions/{code}?saved=1")).into_response()),
        Err(e) => {
            let terms = FormState::refused(&staff.view(), &f.typed(), e);
            let page = render_one(&state, &staff, &code, Forms { terms: Some(terms), ..Forms::default() }).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The forms of a promotion's page and what the last action did.
#[derive(Default)]
struct Forms {
    /// The edit form as typed (absent: as stored).
    terms: Option<FormState>,
    generate: FormState,
    created: Option<usize>,
    saved: bool,
}

async fn render_one(state: &AppState, staff: &Staff, code: &str, forms: Forms) -> PanelResult<Markup> {
    let v = staff.view();
    let p = state.engine.promotion(staff.ctx(), code).await?;
    let stored = PromotionForm::of(&p.promotion);
    let terms =
        forms.terms.unwrap_or_else(|| FormState::filled(&stored.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()));
    let form = forms.generate;
    let body = html! {
        @if forms.saved { (layout::notice(v.t(T::Saved), false)) }
        @if let Some(n) = forms.created { (layout::notice(&format!("{} {}", v.num(n as i64), v.t(T::CodesCreated)), false)) }
        dl.facts.card {
            dt { (v.t(T::DiscountKindLabel)) } dd { (discount_text(&v, &p)) }
            dt { (v.t(T::Used)) } dd #used { (v.num(p.used)) }
            @if let Some(shared) = &p.promotion.shared_code { dt { (v.t(T::SharedCode)) } dd { code { (shared) } } }
        }
        p { a.button #download href=(format!("/admin/promotions/{code}/codes.csv")) { (v.t(T::DownloadCodes)) } }
        @if v.may(Access::Write) {
            form.card #generate method="post" action=(format!("/admin/promotions/{code}/codes")) {
                h2 { (v.t(T::GenerateCodes)) }
                @if let Some(g) = &form.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                div.inline {
                    (field(v.t(T::HowMany), "count", "text", form.value("count"), form.error("count")))
                    (field(v.t(T::Prefix), "prefix", "text", form.value("prefix"), form.error("prefix")))
                    (field(v.t(T::Length), "length", "text", form.value("length"), form.error("length")))
                }
                button type="submit" { (v.t(T::GenerateCodes)) }
            }
            form.card #edit-promotion method="post" action=(format!("/admin/promotions/{code}")) {
                h2 { (v.t(T::EditPromotion)) }
                @if let Some(g) = &terms.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                (promotion_fields(&v, &terms, true))
                button type="submit" { (v.t(T::Save)) }
            }
        }
    };
    Ok(layout::page(&v, Section::Programme, &p.promotion.name, body))
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    render_one(&state, &staff, &code, Forms { saved: q.is_saved(), ..Forms::default() }).await
}

#[derive(Deserialize)]
pub struct GenerateForm {
    #[serde(default)]
    count: String,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    length: String,
}

pub async fn generate(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(f): Form<GenerateForm>,
) -> PanelResult<Response> {
    let parsed = (|| {
        Ok::<_, EngineError>(GenerateInput {
            count: count(&f.count, "count")?.unwrap_or(0) as usize,
            prefix: Some(f.prefix.trim().to_string()).filter(|p| !p.is_empty()),
            length: count(&f.length, "length")?.map(|n| n as usize),
        })
    })();
    let result = match parsed {
        Ok(input) => state.engine.generate_codes(staff.ctx(), &code, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(g) => {
            Ok(render_one(&state, &staff, &code, Forms { created: Some(g.created), ..Forms::default() }).await?.into_response())
        }
        Err(e) => {
            let typed = [("count", f.count.as_str()), ("prefix", &f.prefix), ("length", &f.length)];
            let form = FormState::refused(&staff.view(), &typed, e);
            let page = render_one(&state, &staff, &code, Forms { generate: form, ..Forms::default() }).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn download(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    let csv = state.engine.codes_csv(staff.ctx(), &code).await?;
    let disposition = format!("attachment; filename=\"codes-{code}.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], csv)
        .into_response())
}
