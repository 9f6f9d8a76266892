//! The loyalty programme's foundations: point types (how points expire, whether they count for
//! tiers and can be spent) and the tier ladder with its measure and benefits.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::SavedQuery;
use crate::admin::forms::{FormState, count, decimal, number};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::Issue;
use philia_domain::points::{ExpiryPolicy, PointTypeInput};
use philia_domain::records::PointTypeRecord;
use philia_domain::roles::Access;
use philia_domain::tiers::{TierBenefits, TierInput, TierMetric, TierProgrammeInput, TierWindow};
use philia_engine::EngineError;
use serde::Deserialize;
use std::collections::HashMap;

/// Rows of the tier editor: the tiers there are, and this many empty rows for new ones.
const SPARE_TIER_ROWS: usize = 2;

fn expiry_text(v: &View, e: &ExpiryPolicy) -> String {
    match e {
        ExpiryPolicy::Never => v.t(T::NeverExpires).to_string(),
        ExpiryPolicy::AfterDays { days } => format!("{} {}", v.num(*days as i64), v.t(T::ExpiresAfterDays)),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

struct Forms {
    point_type: FormState,
    tiers: Option<FormState>,
    saved: bool,
}

fn point_types_section(v: &View, types: &[PointTypeRecord], form: &FormState) -> Markup {
    html! {
        section.card #point-types {
            h2 { (v.t(T::PointTypes)) }
            table {
                thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Code)) } th { (v.t(T::Expiry)) } th { (v.t(T::CountsForTiers)) } th { (v.t(T::Spendable)) } } }
                tbody { @for t in types { tr {
                    td { (t.name) } td { code { (t.code) } } td { (expiry_text(v, &t.expiry)) }
                    td { (if t.counts_for_tiers { v.t(T::Yes) } else { v.t(T::No) }) }
                    td { (if t.spendable { v.t(T::Yes) } else { v.t(T::No) }) }
                } } }
            }
            @if v.may(Access::Write) {
                form #new-point-type method="post" action="/admin/programme/point-types" {
                    h2 { (v.t(T::NewPointType)) }
                    @if let Some(g) = &form.general { (layout::notice(g, true)) }
                    (csrf_field(v))
                    div.inline {
                        (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
                        (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code")))
                        (field(&format!("{} ({})", v.t(T::Expiry), v.t(T::ExpiresAfterDays)), "expiry_days", "text", form.value("expiry_days"), form.error("expiry")))
                        (field(v.t(T::CashValue), "cash_value", "text", form.value("cash_value"), form.error("cash_value")))
                    }
                    label { input type="checkbox" name="counts_for_tiers" value="1" checked[form.value("counts_for_tiers") != "0"]; " " (v.t(T::CountsForTiers)) }
                    " "
                    label { input type="checkbox" name="spendable" value="1" checked[form.value("spendable") != "0"]; " " (v.t(T::Spendable)) }
                    p { button type="submit" { (v.t(T::Add)) } }
                }
            }
        }
    }
}

/// The tier editor, filled from the stored ladder or from what was sent.
fn tiers_section(v: &View, stored: Option<&TierProgrammeInput>, types: &[PointTypeRecord], sent: Option<&FormState>) -> Markup {
    let mut values: HashMap<String, String> = HashMap::new();
    let mut rows = SPARE_TIER_ROWS;
    if let Some(p) = stored {
        let (metric, point_type) = match &p.metric {
            TierMetric::Spend => ("spend", String::new()),
            TierMetric::Invoices => ("invoices", String::new()),
            TierMetric::Points { point_type } => ("points", point_type.clone()),
        };
        values.insert("metric".into(), metric.into());
        values.insert("metric_point_type".into(), point_type);
        let (window, months) = match p.window {
            TierWindow::Lifetime => ("lifetime", String::new()),
            TierWindow::RollingMonths { months } => ("rolling", months.to_string()),
            TierWindow::CalendarYear => ("year", String::new()),
        };
        values.insert("window".into(), window.into());
        values.insert("months".into(), months);
        values.insert("grace_days".into(), p.grace_days.map(|g| g.to_string()).unwrap_or_default());
        for (i, t) in p.tiers.iter().enumerate() {
            let b = t.benefits.clone().unwrap_or_default();
            let opt = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
            for (k, val) in [
                ("code", t.code.clone()),
                ("name", t.name.clone()),
                ("threshold", t.threshold.to_string()),
                ("earn_multiplier", opt(b.earn_multiplier)),
                ("cashback_percent", opt(b.cashback_percent)),
                ("discount_percent", opt(b.discount_percent)),
            ] {
                values.insert(format!("tiers[{i}].{k}"), val);
            }
        }
        rows += p.tiers.len();
    }
    let value = |k: &str| sent.map(|f| f.value(k).to_string()).unwrap_or_else(|| values.get(k).cloned().unwrap_or_default());
    let error = |k: &str| sent.and_then(|f| f.error(k)).map(str::to_string);
    if let Some(f) = sent {
        rows = (0..60).rev().find(|i| !f.value(&format!("tiers[{i}].code")).is_empty()).map(|i| i + 1).unwrap_or(0)
            + SPARE_TIER_ROWS;
    }
    let metric = value("metric");
    let window = value("window");
    html! {
        section.card #tiers {
            h2 { (v.t(T::Tiers)) }
            form method="post" action="/admin/programme/tiers" {
                @if let Some(g) = sent.and_then(|f| f.general.as_ref()) { (layout::notice(g, true)) }
                (csrf_field(v))
                div.inline {
                    div.field {
                        label for="f-metric" { (v.t(T::TierMetric)) }
                        select #f-metric name="metric" {
                            option value="spend" selected[metric == "spend" || metric.is_empty()] { (v.t(T::MetricSpend)) }
                            option value="invoices" selected[metric == "invoices"] { (v.t(T::MetricInvoices)) }
                            option value="points" selected[metric == "points"] { (v.t(T::MetricPoints)) }
                        }
                    }
                    div.field {
                        label for="f-metric_point_type" { (v.t(T::PointType)) }
                        select #f-metric_point_type name="metric_point_type" {
                            @for t in types { option value=(t.code) selected[value("metric_point_type") == t.code] { (t.name) } }
                        }
                    }
                    div.field {
                        label for="f-window" { (v.t(T::Window)) }
                        select #f-window name="window" {
                            option value="lifetime" selected[window == "lifetime" || window.is_empty()] { (v.t(T::WindowLifetime)) }
                            option value="rolling" selected[window == "rolling"] { (v.t(T::WindowRolling)) }
                            option value="year" selected[window == "year"] { (v.t(T::WindowYear)) }
                        }
                    }
                    (field(v.t(T::Months), "months", "text", &value("months"), error("window.months").as_deref()))
                    (field(v.t(T::GraceDays), "grace_days", "text", &value("grace_days"), error("grace_days").as_deref()))
                }
                p.muted { small { (v.t(T::TierRowsHint)) } }
                @if let Some(e) = error("tiers") { p.error role="alert" { (e) } }
                div.table-wrap { table #tier-rows {
                    thead { tr {
                        th { (v.t(T::Code)) } th { (v.t(T::Name)) } th { (v.t(T::Threshold)) }
                        th { (v.t(T::EarnMultiplier)) } th { (v.t(T::CashbackPercent)) } th { (v.t(T::DiscountPercent)) }
                    } }
                    tbody { @for i in 0..rows { tr {
                        @for (k, size) in [("code", 8), ("name", 12), ("threshold", 10), ("earn_multiplier", 4), ("cashback_percent", 4), ("discount_percent", 4)] {
                            @let name = format!("tiers[{i}].{k}");
                            @let err = error(&name).or_else(|| error(&format!("tiers[{i}].benefits.{k}")));
                            td.invalid[err.is_some()] {
                                input name=(name) value=(value(&name)) size=(size) aria-label=(format!("{k} {}", i + 1))
                                    aria-invalid=[err.as_ref().map(|_| "true")];
                                @if let Some(e) = err { p.error role="alert" { (e) } }
                            }
                        }
                    } } }
                } }
                @if v.may(Access::Manage) { p { button type="submit" { (v.t(T::Save)) } } }
            }
        }
    }
}

async fn render(state: &AppState, staff: &Staff, forms: Forms) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let types = state.engine.point_types(ctx).await?;
    let tiers = match state.engine.tier_programme(ctx).await {
        Ok(p) => Some(p),
        Err(EngineError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let body = html! {
        @if forms.saved { (layout::notice(v.t(T::Saved), false)) }
        div.toolbar {
            a.button href="/admin/programme/rules" { (v.t(T::EarningRules)) }
            a.button href="/admin/promotions" { (v.t(T::DiscountCodes)) }
            a.button href="/admin/rewards" { (v.t(T::Rewards)) }
            a.button href="/admin/programme/referrals-cashback" { (v.t(T::ReferralsAndCashback)) }
            a.button href="/admin/programme/classes" { (v.t(T::LoyaltyClasses)) }
        }
        (point_types_section(&v, &types, &forms.point_type))
        (tiers_section(&v, tiers.as_ref(), &types, forms.tiers.as_ref()))
    };
    Ok(layout::page(&v, Section::Programme, v.t(T::Programme), body))
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    render(&state, &staff, Forms { point_type: FormState::default(), tiers: None, saved: q.is_saved() }).await
}

#[derive(Deserialize)]
pub struct PointTypeForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    expiry_days: String,
    #[serde(default)]
    cash_value: String,
    counts_for_tiers: Option<String>,
    spendable: Option<String>,
}

pub async fn create_point_type(
    State(state): State<AppState>,
    staff: Staff,
    Form(f): Form<PointTypeForm>,
) -> PanelResult<Response> {
    let parsed = (|| {
        let days = number(&f.expiry_days, "expiry")?;
        let expiry = match days {
            None => ExpiryPolicy::Never,
            Some(d) => ExpiryPolicy::AfterDays {
                days: u32::try_from(d).map_err(|_| {
                    EngineError::field(Issue::new("out_of_range", "must be 0 or more", "باید صفر یا بیشتر باشد").at("expiry"))
                })?,
            },
        };
        Ok::<_, EngineError>(PointTypeInput {
            code: f.code.trim().to_string(),
            name: f.name.clone(),
            expiry: Some(expiry),
            counts_for_tiers: Some(f.counts_for_tiers.is_some()),
            spendable: Some(f.spendable.is_some()),
            warn_days: None,
            cash_value: number(&f.cash_value, "cash_value")?,
        })
    })();
    let saved = match parsed {
        Ok(input) => state.engine.create_point_type(staff.ctx(), &input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to("/admin/programme?saved=1#point-types").into_response()),
        Err(e) => {
            let flag = |x: &Option<String>| if x.is_some() { "1" } else { "0" };
            let typed = [
                ("name", f.name.as_str()),
                ("code", f.code.as_str()),
                ("expiry_days", f.expiry_days.as_str()),
                ("expiry", f.expiry_days.as_str()),
                ("cash_value", f.cash_value.as_str()),
                ("counts_for_tiers", flag(&f.counts_for_tiers)),
                ("spendable", flag(&f.spendable)),
            ];
            let point_type = FormState::refused(&staff.view(), &typed, e);
            let page = render(&state, &staff, Forms { point_type, tiers: None, saved: false }).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// The tier editor's fields, parsed into a programme; rows without a code are left out.
fn tier_input(fields: &HashMap<String, String>) -> Result<TierProgrammeInput, EngineError> {
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    let metric = match get("metric") {
        "invoices" => TierMetric::Invoices,
        "points" => TierMetric::Points { point_type: get("metric_point_type").to_string() },
        _ => TierMetric::Spend,
    };
    let window = match get("window") {
        "rolling" => TierWindow::RollingMonths { months: count(get("months"), "window.months")?.unwrap_or(12) },
        "year" => TierWindow::CalendarYear,
        _ => TierWindow::Lifetime,
    };
    let grace_days = count(get("grace_days"), "grace_days")?;
    let mut tiers = Vec::new();
    for i in 0..60 {
        let at = |k: &str| format!("tiers[{i}].{k}");
        let code = get(&at("code")).trim();
        if code.is_empty() {
            continue;
        }
        let index = tiers.len();
        let benefit = |k: &str| decimal(get(&at(k)), &format!("tiers[{index}].benefits.{k}"));
        let benefits = TierBenefits {
            earn_multiplier: benefit("earn_multiplier")?,
            cashback_percent: benefit("cashback_percent")?,
            discount_percent: benefit("discount_percent")?,
            perks: Vec::new(),
        };
        let any =
            benefits.earn_multiplier.is_some() || benefits.cashback_percent.is_some() || benefits.discount_percent.is_some();
        tiers.push(TierInput {
            code: code.to_string(),
            name: get(&at("name")).to_string(),
            threshold: number(get(&at("threshold")), &format!("tiers[{index}].threshold"))?.unwrap_or(0),
            benefits: any.then_some(benefits),
        });
    }
    Ok(TierProgrammeInput { metric, window, grace_days, tiers })
}

pub async fn save_tiers(
    State(state): State<AppState>,
    staff: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let map: HashMap<String, String> = fields.iter().cloned().collect();
    let saved = match tier_input(&map) {
        Ok(input) => state.engine.set_tier_programme(staff.ctx(), &input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to("/admin/programme?saved=1#tiers").into_response()),
        Err(e) => {
            // Errors name rows by their place among the filled rows; the form shows them at the
            // same rows because filled rows are renumbered from 0 before the form is drawn again.
            let mut typed: Vec<(String, String)> = Vec::new();
            let mut row = 0;
            for i in 0..60 {
                let code = map.get(&format!("tiers[{i}].code")).map(String::as_str).unwrap_or("").trim().to_string();
                if code.is_empty() {
                    continue;
                }
                for k in ["code", "name", "threshold", "earn_multiplier", "cashback_percent", "discount_percent"] {
                    let val = map.get(&format!("tiers[{i}].{k}")).cloned().unwrap_or_default();
                    typed.push((format!("tiers[{row}].{k}"), val.clone()));
                    if k.ends_with("percent") || k == "earn_multiplier" {
                        typed.push((format!("tiers[{row}].benefits.{k}"), val));
                    }
                }
                row += 1;
            }
            for k in ["metric", "metric_point_type", "window", "months", "grace_days", "window.months", "tiers"] {
                typed.push((k.to_string(), map.get(k).cloned().unwrap_or_default()));
            }
            let pairs: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let tiers = FormState::refused(&staff.view(), &pairs, e);
            let page =
                render(&state, &staff, Forms { point_type: FormState::default(), tiers: Some(tiers), saved: false }).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
