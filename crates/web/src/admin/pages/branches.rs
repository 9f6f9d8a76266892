//! Branches (SPEC A6, F1): each branch added or changed by its code, and a branch's page with
//! its stock per product, set by a stock take or moved by a receipt or a loss, never below zero.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, SavedQuery, number};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::catalogue::{BranchInput, StockInput};
use philia_domain::roles::Access;
use philia_engine::EngineError;
use serde::Deserialize;

async fn render_list(state: &AppState, staff: &Staff, form: FormState, saved: bool) -> PanelResult<Markup> {
    let v = staff.view();
    let branches = state.engine.branches(staff.ctx()).await?;
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        div.toolbar { a.button href="/admin/catalogue" { (v.t(T::Catalogue)) } }
        div.card.table-wrap { table #branches {
            thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Code)) } th { (v.t(T::City)) } th { (v.t(T::Address)) } th { (v.t(T::Status)) } } }
            tbody { @for b in &branches { tr {
                td { a href=(format!("/admin/branches/{}", b.code)) { (b.name) } }
                td { code { (b.code) } }
                td { (b.city.as_deref().unwrap_or("")) }
                td { (b.address.as_deref().unwrap_or("")) }
                td { @if b.active { span.pill { (v.t(T::Active)) } } @else { span.muted { (v.t(T::Paused)) } } }
            } } }
        } }
        @if branches.is_empty() { p.muted { (v.t(T::NothingHere)) } }
        @if v.may(Access::Write) {
            form.card #branch-form method="post" action="/admin/branches" {
                h2 { (v.t(T::BranchForm)) }
                @if let Some(g) = &form.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                div.inline {
                    (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code")))
                    (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
                    (field(v.t(T::City), "city", "text", form.value("city"), form.error("city")))
                    (field(v.t(T::Address), "address", "text", form.value("address"), form.error("address")))
                }
                label { input type="checkbox" name="active" value="1" checked[form.value("active") != "0"]; " " (v.t(T::Active)) }
                p.muted { small { (v.t(T::BranchFormHint)) } }
                button type="submit" { (v.t(T::Save)) }
            }
        }
    };
    Ok(layout::page(&v, Section::Settings, v.t(T::Branches), body))
}

pub async fn list(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    render_list(&state, &staff, FormState::default(), q.is_saved()).await
}

#[derive(Deserialize)]
pub struct BranchForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    active: String,
}

pub async fn save(State(state): State<AppState>, staff: Staff, Form(f): Form<BranchForm>) -> PanelResult<Response> {
    staff.require(Access::Write)?;
    let optional = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let input = BranchInput {
        name: f.name.trim().to_string(),
        city: optional(&f.city),
        address: optional(&f.address),
        active: f.active == "1",
    };
    match state.engine.put_branch(staff.ctx(), f.code.trim(), &input).await {
        Ok(_) => Ok(Redirect::to("/admin/branches?saved=1").into_response()),
        Err(e) => {
            let active = if f.active == "1" { "1" } else { "0" };
            let typed =
                [("code", f.code.as_str()), ("name", &f.name), ("city", &f.city), ("address", &f.address), ("active", active)];
            let form = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_list(&state, &staff, form, false).await?).into_response())
        }
    }
}

async fn render_one(state: &AppState, staff: &Staff, code: &str, form: FormState, saved: bool) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let branches = state.engine.branches(ctx).await?;
    let branch = branches.into_iter().find(|b| b.code == code).ok_or(EngineError::NotFound("branch"))?;
    let stock = state.engine.stock(ctx, code).await?;
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        p { a href="/admin/branches" { (v.t(T::Branches)) } }
        @if v.may(Access::Write) {
            form.card #stock-form method="post" action=(format!("/admin/branches/{code}/stock")) {
                h2 { (v.t(T::ChangeStock)) }
                @if let Some(g) = &form.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                div.inline {
                    (field("SKU", "sku", "text", form.value("sku"), form.error("sku")))
                    (field(v.t(T::StockTake), "quantity", "text", form.value("quantity"), form.error("quantity")))
                    (field(v.t(T::StockMove), "delta", "text", form.value("delta"), form.error("delta")))
                    (field(v.t(T::Reason), "reason", "text", form.value("reason"), form.error("reason")))
                }
                p.muted { small { (v.t(T::StockChangeHint)) } }
                button type="submit" { (v.t(T::Save)) }
            }
        }
        div.card.table-wrap { table #stock {
            thead { tr { th { "SKU" } th.num { (v.t(T::InStock)) } } }
            tbody { @for s in &stock { tr { td { code { (s.sku) } } td.num { (v.num(s.quantity)) } } } }
        } }
        @if stock.is_empty() { p.muted { (v.t(T::NothingHere)) } }
    };
    Ok(layout::page(&v, Section::Settings, &branch.name, body))
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> PanelResult<Markup> {
    render_one(&state, &staff, &code, FormState::default(), q.is_saved()).await
}

#[derive(Deserialize)]
pub struct StockForm {
    #[serde(default)]
    sku: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    delta: String,
    #[serde(default)]
    reason: String,
}

pub async fn change_stock(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(f): Form<StockForm>,
) -> PanelResult<Response> {
    staff.require(Access::Write)?;
    let input = (|| {
        Ok::<_, EngineError>(StockInput {
            quantity: number(&f.quantity, "quantity")?,
            delta: number(&f.delta, "delta")?,
            reason: Some(f.reason.trim().to_string()).filter(|r| !r.is_empty()),
        })
    })();
    let result = match input {
        Ok(input) => state.engine.change_stock(staff.ctx(), &code, f.sku.trim(), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/branches/{code}?saved=1")).into_response()),
        Err(e) => {
            let typed = [("sku", f.sku.as_str()), ("quantity", &f.quantity), ("delta", &f.delta), ("reason", &f.reason)];
            let form = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_one(&state, &staff, &code, form, false).await?).into_response())
        }
    }
}
