//! Dashboard → Till by cashier: each cashier's sales, discounts, stock overrides and returns at
//! each branch for a range of days, for owners and anyone who reads reports.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::layout::{self, Section, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use axum::extract::{Query, State};
use maud::{Markup, html};
use philia_domain::roles::Access;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
    branch: Option<String>,
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<RangeQuery>) -> PanelResult<Markup> {
    staff.require(Access::Read)?;
    let v = staff.view();
    let typed = [
        ("from", q.from.as_deref().unwrap_or("")),
        ("to", q.to.as_deref().unwrap_or("")),
        ("branch", q.branch.as_deref().unwrap_or("")),
    ];
    let (report, form) =
        match state.engine.cashier_report(staff.ctx(), q.from.as_deref(), q.to.as_deref(), q.branch.as_deref()).await {
            Ok(r) => (Some(r), FormState::typed(&typed)),
            Err(e) => (None, FormState::refused(&v, &typed, e)),
        };
    let body = html! {
        form.card.inline #range method="get" action="/admin/till-report" {
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (field(v.t(T::From), "from", "text", form.value("from"), form.error("from")))
            (field(v.t(T::To), "to", "text", form.value("to"), form.error("to")))
            (field(v.t(T::FieldBranch), "branch", "text", form.value("branch"), form.error("branch")))
            button type="submit" { (v.t(T::Show)) }
        }
        @if let Some(r) = report {
            section.card #cashiers {
                p.muted { (v.civil(&r.from)) " – " (v.civil(&r.to)) }
                @if r.lines.is_empty() { p.muted { (v.t(T::NoTillActivity)) } } @else {
                    div.table-wrap { table {
                        thead { tr {
                            th { (v.t(T::Cashier)) } th { (v.t(T::FieldBranch)) } th { (v.t(T::Sales)) } th { (v.t(T::SalesTotal)) }
                            th { (v.t(T::Discounts)) } th { (v.t(T::StockOverrides)) } th { (v.t(T::Returns)) } th { (v.t(T::NetSales)) }
                        } }
                        tbody { @for l in &r.lines { tr data-staff=(l.staff_id) {
                            td { (l.staff_name) } td dir="ltr" { (l.branch) } td { (v.num(l.sales)) } td { (v.money(l.sales_total)) }
                            td { (v.money(l.discounts)) } td { (v.num(l.stock_overrides)) }
                            td { (v.num(l.returns)) " · " (v.money(l.returned_total)) } td.net { (v.money(l.net)) }
                        } } }
                    } }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Dashboard, v.t(T::TillByCashier), body))
}
