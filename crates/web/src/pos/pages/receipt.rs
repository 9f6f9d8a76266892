//! Receipts: the 80-mm printable page with a Code 128 barcode of the receipt number and the
//! points the sale earned; looking a receipt up by scanning that barcode; returning a line.

use crate::AppState;
use crate::admin::failure::{PanelError, PanelResult};
use crate::admin::session::random_hex;
use crate::admin::view::View;
use crate::pos::barcode::code128;
use crate::pos::guard::Till;
use crate::pos::layout::{self, who};
use crate::pos::text::P;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::pos::{parse_receipt_code, receipt_code};
use philia_engine::pos::Receipt;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    code: String,
}

/// A scanned receipt barcode (`R…`) or a typed receipt number.
pub async fn lookup(Query(q): Query<LookupQuery>) -> Response {
    let id = parse_receipt_code(&q.code).or_else(|| philia_domain::digits::ascii_digits(q.code.trim()).parse().ok());
    match id {
        Some(id) => Redirect::to(&format!("/pos/receipts/{id}")).into_response(),
        None => Redirect::to("/pos").into_response(),
    }
}

pub async fn page(State(state): State<AppState>, till: Till, Path(id): Path<i64>) -> PanelResult<Markup> {
    let receipt = state.engine.receipt(&till.session.ctx, id).await?;
    if receipt.invoice.source != "pos" && receipt.actions.is_empty() {
        // Receipts are the till's; other invoices are seen in the panel.
        return Err(PanelError::not_found());
    }
    Ok(render(&till, &receipt))
}

/// Units of a line returned so far (a return recorded without a quantity took the whole line).
fn returned(r: &Receipt, line: usize) -> i64 {
    let units = r.invoice.lines.get(line).map_or(0, |l| l.quantity.round() as i64);
    r.actions
        .iter()
        .filter(|a| a.action == "return")
        .filter_map(|a| serde_json::from_str::<serde_json::Value>(&a.detail).ok())
        .filter(|d| d["line"].as_u64() == Some(line as u64))
        .map(|d| d["quantity"].as_i64().unwrap_or(units))
        .sum()
}

fn render(till: &Till, r: &Receipt) -> Markup {
    let v: View = till.view();
    let t = |k: P| till.t(k);
    let inv = &r.invoice;
    let code = receipt_code(inv.id);
    let seller = r.actions.iter().find(|a| a.action == "sale");
    let body = html! {
        div.no-print.actions {
            button type="button" onclick="window.print()" { (t(P::Print)) }
            a.button href="/pos" { (t(P::NewSale)) }
        }
        article.receipt #receipt {
            h2 { (v.staff.as_ref().map(|s| s.tenant_name.as_str()).unwrap_or("")) }
            p.small { (t(P::ReceiptNo)) ": " bdi dir="ltr" { (code) } " · " (v.date_time(&inv.issued_at)) }
            @if let Some(b) = &inv.branch { p.small { (t(P::Branch)) ": " (b) } }
            @if let Some(s) = seller { p.small { (t(P::SoldBy)) ": " (s.staff_name) } }
            @if let Some(name) = r.customer_name.as_deref().filter(|n| !n.is_empty()) { p.small { (t(P::Customer)) ": " (name) } }
            table.lines {
                tbody {
                    @for (i, l) in inv.lines.iter().enumerate() {
                        tr data-line=(i) {
                            td { (l.product_name.as_deref().or(l.sku.as_deref()).unwrap_or("")) br; span.small { (v.decimal(l.quantity)) " × " (v.num(l.unit_price)) } }
                            td.num { (v.num(l.total)) }
                            @let back = returned(r, i);
                            @let left = (l.quantity.round() as i64 - back).max(0);
                            td.no-print {
                                @if back > 0 { span.pill data-returned=(back) { (t(P::Returned)) " " (v.num(back)) } }
                                @if left > 0 {
                                    form.inline method="post" action=(format!("/pos/receipts/{}/lines/{i}/return", inv.id)) {
                                        input type="hidden" name="csrf" value=(v.csrf);
                                        input type="hidden" name="key" value=(random_hex(12));
                                        input.qty type="number" name="quantity" min="1" max=(left) value=(left) aria-label=(t(P::Quantity));
                                        button.link type="submit" { (t(P::Return)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            dl.facts {
                dt { (t(P::Subtotal)) } dd { (v.money(inv.subtotal)) }
                @if inv.discount > 0 { dt { (t(P::Discounts)) } dd { (v.money(inv.discount)) } }
                dt { strong { (t(P::Total)) } } dd #receipt-total { strong { (v.money(inv.total)) } }
                @if r.paid.points > 0 {
                    dt { (t(P::PaidWithPoints)) } dd #receipt-paid-points { (v.money(r.paid.points_value)) " (" (v.num(r.paid.points)) ")" }
                }
                @if r.paid.wallet > 0 { dt { (t(P::PaidFromWallet)) } dd #receipt-paid-wallet { (v.money(r.paid.wallet)) } }
                @if r.paid.points > 0 || r.paid.wallet > 0 {
                    dt { (t(P::PaidInMoney)) } dd #receipt-paid-money { (v.money(inv.total - r.paid.points_value - r.paid.wallet)) }
                }
                @if inv.refunded_total > 0 { dt { (t(P::Refunded)) } dd #receipt-refunded { (v.money(inv.refunded_total)) } }
                @if r.points != 0 { dt { (t(P::PointsEarned)) } dd #receipt-points { (v.num(r.points)) } }
            }
            @if let Some(svg) = code128(&code) { div.barcode-wrap { (svg) p.small.center dir="ltr" { (code) } } }
            p.center { (t(P::Thanks)) }
        }
    };
    layout::page(&v, t(P::Receipt), who(&v, till.session.branch.as_deref()), body)
}

#[derive(Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    key: String,
}

pub async fn return_line(
    State(state): State<AppState>,
    till: Till,
    Path((id, line)): Path<(i64, usize)>,
    axum::Form(f): axum::Form<ReturnForm>,
) -> PanelResult<Response> {
    let quantity = crate::admin::forms::number(&f.quantity, "quantity")?;
    let key = if f.key.trim().is_empty() { "whole".to_string() } else { f.key.trim().to_string() };
    state.engine.till_return_line(&till.session, id, line, quantity, &key).await?;
    Ok(Redirect::to(&format!("/pos/receipts/{id}")).into_response())
}
