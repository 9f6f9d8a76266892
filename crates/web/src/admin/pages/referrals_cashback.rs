//! Programme → Referrals and cashback: what a referral gives both sides and when, and the
//! cashback programme (credited to the wallet or as points, a rate per category, the return
//! window before wallet cashback can be spent). Tier cashback rates are on the tier ladder.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, SavedQuery, count, decimal, number};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::checkout::{CashbackProgramme, CategoryRate};
use philia_domain::records::PointTypeRecord;
use philia_domain::referrals::ReferralProgramme;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use std::collections::HashMap;

/// Empty category rows offered beyond the rates there are.
const SPARE_RATE_ROWS: usize = 3;

#[derive(Default)]
struct Forms {
    referral: Option<FormState>,
    cashback: Option<FormState>,
    saved: bool,
}

fn referral_form(p: Option<&ReferralProgramme>) -> FormState {
    let Some(p) = p else { return FormState::filled(&[("enabled", "0")]) };
    let (a, b, m, d) =
        (p.referrer_points.to_string(), p.referee_points.to_string(), p.min_first_invoice.to_string(), p.within_days.to_string());
    FormState::filled(&[
        ("enabled", if p.enabled { "1" } else { "0" }),
        ("point_type", &p.point_type),
        ("referrer_points", &a),
        ("referee_points", &b),
        ("min_first_invoice", &m),
        ("within_days", &d),
        ("link_base", p.link_base.as_deref().unwrap_or("")),
    ])
}

fn cashback_form(p: Option<&CashbackProgramme>) -> FormState {
    let Some(p) = p else { return FormState::filled(&[("enabled", "0"), ("credit_as", "wallet")]) };
    let mut values: Vec<(String, String)> = vec![
        ("enabled".into(), if p.enabled { "1" } else { "0" }.into()),
        ("credit_as".into(), p.credit_as.clone()),
        ("point_type".into(), p.point_type.clone().unwrap_or_default()),
        ("maturity_days".into(), p.maturity_days.to_string()),
    ];
    for (i, r) in p.category_rates.iter().enumerate() {
        values.push((format!("category_rates[{i}].category"), r.category.clone()));
        values.push((format!("category_rates[{i}].percent"), r.percent.to_string()));
    }
    let pairs: Vec<(&str, &str)> = values.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    FormState::filled(&pairs)
}

fn point_type_select(v: &View, types: &[PointTypeRecord], chosen: &str, optional: bool) -> Markup {
    html! {
        label { (v.t(T::PointType))
            select name="point_type" {
                @if optional { option value="" selected[chosen.is_empty()] { "—" } }
                @for t in types { option value=(t.code) selected[chosen == t.code] { (t.name) } }
            }
        }
    }
}

fn render(v: &View, types: &[PointTypeRecord], referral: &FormState, cashback: &FormState, saved: bool) -> Markup {
    let rows =
        (0..).take_while(|i| !cashback.value(&format!("category_rates[{i}].category")).is_empty()).count() + SPARE_RATE_ROWS;
    html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        div.toolbar { a.button href="/admin/programme" { (v.t(T::Back)) } }
        form.card #referrals method="post" action="/admin/programme/referrals" {
            h2 { (v.t(T::ReferralProgramme)) }
            @if let Some(g) = &referral.general { (layout::notice(g, true)) }
            (csrf_field(v))
            label { input type="checkbox" name="enabled" value="1" checked[referral.value("enabled") == "1"]; " " (v.t(T::Enabled)) }
            div.inline {
                (point_type_select(v, types, referral.value("point_type"), false))
                (field(v.t(T::ReferrerPoints), "referrer_points", "text", referral.value("referrer_points"), referral.error("referrer_points")))
                (field(v.t(T::RefereePoints), "referee_points", "text", referral.value("referee_points"), referral.error("referee_points")))
                (field(v.t(T::MinFirstInvoice), "min_first_invoice", "text", referral.value("min_first_invoice"), referral.error("min_first_invoice")))
                (field(v.t(T::WithinDays), "within_days", "text", referral.value("within_days"), referral.error("within_days")))
                (field(v.t(T::ReferralLinkBase), "link_base", "url", referral.value("link_base"), referral.error("link_base")))
            }
            @if v.may(Access::Write) { button type="submit" { (v.t(T::Save)) } }
        }
        form.card #cashback method="post" action="/admin/programme/cashback" {
            h2 { (v.t(T::Cashback)) }
            p.muted { small { (v.t(T::CashbackHint)) } }
            @if let Some(g) = &cashback.general { (layout::notice(g, true)) }
            (csrf_field(v))
            label { input type="checkbox" name="enabled" value="1" checked[cashback.value("enabled") == "1"]; " " (v.t(T::Enabled)) }
            div.inline {
                label { (v.t(T::CreditAs))
                    select name="credit_as" {
                        @for (value, text) in [("wallet", T::Wallet), ("points", T::Points)] {
                            option value=(value) selected[cashback.value("credit_as") == value] { (v.t(text)) }
                        }
                    }
                }
                (point_type_select(v, types, cashback.value("point_type"), true))
                (field(v.t(T::MaturityDays), "maturity_days", "text", cashback.value("maturity_days"), cashback.error("maturity_days")))
            }
            table #category-rates {
                thead { tr { th { (v.t(T::FieldCategory)) } th { (v.t(T::CashbackPercent)) } } }
                tbody { @for i in 0..rows {
                    @let c = format!("category_rates[{i}].category");
                    @let p = format!("category_rates[{i}].percent");
                    tr {
                        td { input name=(c) value=(cashback.value(&c)) aria-label=(v.t(T::FieldCategory)) aria-invalid=[cashback.error(&c).map(|_| "true")]; }
                        td { input name=(p) value=(cashback.value(&p)) aria-label=(v.t(T::CashbackPercent)) aria-invalid=[cashback.error(&p).map(|_| "true")]; }
                    }
                } }
            }
            @if v.may(Access::Write) { button type="submit" { (v.t(T::Save)) } }
        }
    }
}

async fn show(state: &AppState, staff: &Staff, forms: Forms) -> PanelResult<Markup> {
    staff.require(Access::Read)?;
    let v = staff.view();
    let ctx = staff.ctx();
    let types = state.engine.point_types(ctx).await?;
    let referral = match forms.referral {
        Some(f) => f,
        None => referral_form(state.engine.referral_programme(ctx).await?.as_ref()),
    };
    let cashback = match forms.cashback {
        Some(f) => f,
        None => cashback_form(state.engine.cashback_programme(ctx).await?.as_ref()),
    };
    let body = render(&v, &types, &referral, &cashback, forms.saved);
    Ok(layout::page(&v, Section::Programme, v.t(T::ReferralsAndCashback), body))
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    show(&state, &staff, Forms { saved: q.is_saved(), ..Default::default() }).await
}

fn typed(f: &HashMap<String, String>) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> =
        f.iter().filter(|(k, _)| k.as_str() != "csrf").map(|(k, v)| (k.as_str(), v.as_str())).collect();
    if !f.contains_key("enabled") {
        out.push(("enabled", "0"));
    }
    out
}

/// Back to the page after a save, or the page again with the form as typed and its errors.
async fn answer(
    state: &AppState,
    staff: &Staff,
    f: &HashMap<String, String>,
    result: Result<(), EngineError>,
    forms: impl FnOnce(FormState) -> Forms,
) -> PanelResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to("/admin/programme/referrals-cashback?saved=1").into_response()),
        Err(e) => {
            let page = show(state, staff, forms(FormState::refused(&staff.view(), &typed(f), e))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn save_referrals(
    State(state): State<AppState>,
    staff: Staff,
    Form(f): Form<HashMap<String, String>>,
) -> PanelResult<Response> {
    staff.require(Access::Write)?;
    let text = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let read = || -> Result<ReferralProgramme, EngineError> {
        Ok(ReferralProgramme {
            enabled: text("enabled") == "1",
            point_type: text("point_type").to_string(),
            referrer_points: number(text("referrer_points"), "referrer_points")?.unwrap_or(0),
            referee_points: number(text("referee_points"), "referee_points")?.unwrap_or(0),
            min_first_invoice: number(text("min_first_invoice"), "min_first_invoice")?.unwrap_or(0),
            within_days: count(text("within_days"), "within_days")?.unwrap_or(0),
            link_base: Some(text("link_base").trim().to_string()).filter(|s| !s.is_empty()),
        })
    };
    let result = match read() {
        Ok(p) => state.engine.set_referral_programme(staff.ctx(), &p).await.map(|_| ()),
        Err(e) => Err(e),
    };
    answer(&state, &staff, &f, result, |form| Forms { referral: Some(form), ..Default::default() }).await
}

pub async fn save_cashback(
    State(state): State<AppState>,
    staff: Staff,
    Form(f): Form<HashMap<String, String>>,
) -> PanelResult<Response> {
    staff.require(Access::Write)?;
    let text = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let read = || -> Result<CashbackProgramme, EngineError> {
        let mut rates = Vec::new();
        for i in 0..200 {
            let (c, p) = (format!("category_rates[{i}].category"), format!("category_rates[{i}].percent"));
            if !f.contains_key(&c) {
                break;
            }
            if text(&c).trim().is_empty() && text(&p).trim().is_empty() {
                continue;
            }
            let percent = decimal(text(&p), &format!("category_rates[{}].percent", rates.len()))?.unwrap_or(0.0);
            rates.push(CategoryRate { category: text(&c).trim().to_string(), percent });
        }
        Ok(CashbackProgramme {
            enabled: text("enabled") == "1",
            credit_as: text("credit_as").to_string(),
            point_type: Some(text("point_type").trim().to_string()).filter(|s| !s.is_empty()),
            category_rates: rates,
            maturity_days: count(text("maturity_days"), "maturity_days")?.unwrap_or(0),
        })
    };
    let result = match read() {
        Ok(p) => state.engine.set_cashback_programme(staff.ctx(), &p).await.map(|_| ()),
        Err(e) => Err(e),
    };
    answer(&state, &staff, &f, result, |form| Forms { cashback: Some(form), ..Default::default() }).await
}
