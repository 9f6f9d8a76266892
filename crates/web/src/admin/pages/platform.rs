//! Settings for the owner and admins: the plan with each month's invoices and price (SPEC J3),
//! and the audit log of every change, searchable.

use crate::AppState;
use crate::admin::failure::{PanelError, PanelResult};
use crate::admin::layout::{self, Section};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::extract::{Query, State};
use maud::{Markup, html};
use philia_domain::plans::{BandPrice, Plan, PriceBand};
use philia_domain::roles::Access;
use philia_engine::audit::{AuditEntry, AuditQuery};

/// Toman whatever the tenant's own currency: the platform's prices are in toman.
fn toman(v: &View, amount: i64) -> String {
    format!("{} {}", v.num(amount), v.t(T::Toman))
}

fn band_range(v: &View, b: &PriceBand) -> String {
    match b.to {
        Some(to) if b.from == 0 => format!("{} {}", v.t(T::FewerThan), v.num(to)),
        Some(to) => format!("{} – {}", v.num(b.from), v.num(to)),
        None => format!("{} {}", v.num(b.from), v.t(T::AndMore)),
    }
}

fn band_price(v: &View, b: &PriceBand) -> String {
    match b.price {
        BandPrice::Flat(fee) => format!("{} ({})", toman(v, fee), v.t(T::FlatFee)),
        BandPrice::PerInvoice(p) => format!("{} {}", toman(v, p), v.t(T::PerInvoice)),
        BandPrice::Negotiated => v.t(T::ByContract).to_string(),
    }
}

pub async fn usage(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let v = staff.view();
    let report = state.engine.usage(staff.ctx(), None, 12).await?;
    let this = report.months.first().ok_or_else(PanelError::not_found)?;
    let (plan, hint) = match report.plan {
        Plan::Economic => (T::PlanEconomic, T::PlanEconomicHint),
        Plan::Prime => (T::PlanPrime, T::PlanPrimeHint),
    };
    let price = |amount: Option<i64>| amount.map_or(v.t(T::ByContract).to_string(), |a| toman(&v, a));
    let body = html! {
        section.card #plan {
            h2 { (v.t(T::YourPlan)) ": " strong { (v.t(plan)) } }
            p.muted { (v.t(hint)) }
            div.figures {
                div.figure { span.label { (v.t(T::InvoicesThisMonth)) } strong #month-invoices { (v.num(this.invoices)) } }
                div.figure { span.label { (v.t(T::PriceSoFar)) } strong #month-price { (price(this.amount)) } }
            }
            p.muted { small { (v.t(T::UsageCounts)) } }
        }
        @if report.plan == Plan::Economic {
            section.card #bands {
                h2 { (v.t(T::PriceTable)) }
                div.table-wrap { table {
                    thead { tr { th { (v.t(T::InvoicesPerMonth)) } th { (v.t(T::Price)) } } }
                    tbody { @for b in &report.bands {
                        tr.current[this.band.as_ref() == Some(b)] {
                            td { (band_range(&v, b)) } td { (band_price(&v, b)) }
                        }
                    } }
                } }
            }
        }
        section.card #months {
            h2 { (v.t(T::UsageByMonth)) }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Month)) } th { (v.t(T::From)) } th { (v.t(T::To)) } th { (v.t(T::Invoices)) } th { (v.t(T::Price)) } th { (v.t(T::Status)) } } }
                tbody { @for m in &report.months { tr {
                    td dir="ltr" { (v.digits(&m.month)) } td { (v.civil(&m.from)) } td { (v.civil(&m.to)) }
                    td { (v.num(m.invoices)) } td { (price(m.amount)) }
                    td { (v.t(if m.closed { T::MonthClosed } else { T::MonthOpen })) }
                } } }
            } }
        }
    };
    Ok(layout::page(&v, Section::Settings, v.t(T::PlanAndUsage), body))
}

/// The actor as a reader knows it: the staff member's email, the key's name, or who else.
fn actor(v: &View, e: &AuditEntry) -> String {
    match e.actor.as_str() {
        "operator" => v.t(T::ActorOperator).to_string(),
        "system" => v.t(T::ActorSystem).to_string(),
        key if key.starts_with("api_key:") => format!("{} «{}»", v.t(T::ApiKey), e.actor_name),
        _ if !e.actor_name.is_empty() => e.actor_name.clone(),
        other => other.to_string(),
    }
}

fn json_block(value: &Option<serde_json::Value>) -> Markup {
    html! {
        @match value {
            Some(v) => pre dir="ltr" { (serde_json::to_string_pretty(v).unwrap_or_default()) },
            None => span.muted { "—" },
        }
    }
}

pub async fn audit(State(state): State<AppState>, staff: Staff, Query(q): Query<AuditQuery>) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let v = staff.view();
    let (page, problem) = match state.engine.audit_log(staff.ctx(), &q).await {
        Ok(page) => (Some(page), None),
        Err(e @ philia_engine::EngineError::Invalid(_)) => (None, Some(PanelError::from(e).message(v.lang).to_string())),
        Err(e) => return Err(e.into()),
    };
    let value = |o: &Option<String>| o.clone().unwrap_or_default();
    let next_link = page.as_ref().and_then(|p| p.next).map(|cursor| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, val) in
            [("entity", &q.entity), ("key", &q.key), ("actor", &q.actor), ("action", &q.action), ("from", &q.from), ("to", &q.to)]
        {
            if let Some(val) = val.as_deref().filter(|x| !x.is_empty()) {
                s.append_pair(k, val);
            }
        }
        s.append_pair("cursor", &cursor.to_string());
        format!("/admin/audit?{}", s.finish())
    });
    let body = html! {
        form.card.filters method="get" action="/admin/audit" {
            div.inline {
                (layout::field(v.t(T::AuditWhat), "entity", "text", &value(&q.entity), None))
                (layout::field(v.t(T::Code), "key", "text", &value(&q.key), None))
                (layout::field(v.t(T::AuditAction), "action", "text", &value(&q.action), None))
                (layout::field(v.t(T::AuditWho), "actor", "text", &value(&q.actor), None))
                (layout::field(v.t(T::From), "from", "text", &value(&q.from), None))
                (layout::field(v.t(T::To), "to", "text", &value(&q.to), None))
                div.field { button type="submit" { (v.t(T::Search)) } }
            }
            p.muted { small { (v.t(T::AuditHint)) } }
        }
        @if let Some(p) = &problem { (layout::notice(p, true)) }
        @if let Some(page) = &page {
            section.card #audit {
                @if page.entries.is_empty() { p.muted { (v.t(T::NoResults)) } }
                div.table-wrap { table {
                    thead { tr { th { (v.t(T::Date)) } th { (v.t(T::AuditWho)) } th { (v.t(T::AuditAction)) } th { (v.t(T::AuditWhat)) } th { (v.t(T::AuditChange)) } } }
                    tbody { @for e in &page.entries { tr.audit-entry {
                        td { (v.date_time(&e.at)) }
                        td { (actor(&v, e)) }
                        td dir="ltr" { code { (e.action) } }
                        td dir="ltr" { (e.entity) " " code { (e.entity_key) } }
                        td { details {
                            summary { (v.t(T::AuditBeforeAfter)) }
                            div.two { div { strong { (v.t(T::AuditBefore)) } (json_block(&e.before)) } div { strong { (v.t(T::AuditAfter)) } (json_block(&e.after)) } }
                        } }
                    } } }
                } }
                @if let Some(link) = &next_link { p { a.button href=(link) { (v.t(T::NextPage)) } } }
            }
        }
    };
    Ok(layout::page(&v, Section::Settings, v.t(T::AuditLog), body))
}
