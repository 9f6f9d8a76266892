//! Loyalty classes (SPEC A1's class, set from recent purchases): the classes in the order they
//! are checked, each with its window and thresholds, edited as rows of one table. Owners and
//! admins save; others read.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, SavedQuery, count, number};
use crate::admin::layout::{self, Section, csrf_field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::classes::{LoyaltyClass, LoyaltyClasses};
use philia_domain::roles::Access;
use philia_engine::EngineError;
use std::collections::HashMap;

/// A row's fields, with the width of their boxes.
const FIELDS: [(&str, u8); 5] = [("code", 8), ("name", 14), ("window_days", 5), ("min_invoices", 5), ("min_spend", 12)];
/// The most classes a tenant may have (the engine's limit), so the most rows a form reads.
const MAX_ROWS: usize = 20;
/// Empty rows offered for new classes.
const SPARE_ROWS: usize = 2;

fn key(row: usize, field: &str) -> String {
    format!("classes[{row}].{field}")
}

/// The filled rows of a posted form, renumbered from 0 so that the engine's errors
/// (`classes[1].min_spend`) name the rows the page draws again.
fn filled_rows(map: &HashMap<String, String>) -> Vec<Vec<(String, String)>> {
    (0..MAX_ROWS + SPARE_ROWS)
        .filter(|i| FIELDS.iter().any(|(f, _)| map.get(&key(*i, f)).is_some_and(|v| !v.trim().is_empty())))
        .enumerate()
        .map(|(row, i)| FIELDS.iter().map(|(f, _)| (key(row, f), map.get(&key(i, f)).cloned().unwrap_or_default())).collect())
        .collect()
}

fn parse(rows: &[Vec<(String, String)>]) -> Result<LoyaltyClasses, EngineError> {
    let mut classes = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let get = |f: &str| row.iter().find(|(k, _)| *k == key(i, f)).map(|(_, v)| v.trim()).unwrap_or("");
        classes.push(LoyaltyClass {
            code: get("code").to_string(),
            name: get("name").to_string(),
            window_days: count(get("window_days"), &key(i, "window_days"))?.unwrap_or(0),
            min_invoices: number(get("min_invoices"), &key(i, "min_invoices"))?.unwrap_or(0),
            min_spend: number(get("min_spend"), &key(i, "min_spend"))?.unwrap_or(0),
        });
    }
    Ok(LoyaltyClasses { classes })
}

fn stored_rows(classes: &LoyaltyClasses) -> Vec<(String, String)> {
    classes
        .classes
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            [
                (key(i, "code"), c.code.clone()),
                (key(i, "name"), c.name.clone()),
                (key(i, "window_days"), c.window_days.to_string()),
                (key(i, "min_invoices"), c.min_invoices.to_string()),
                (key(i, "min_spend"), c.min_spend.to_string()),
            ]
        })
        .collect()
}

fn render(v: &View, form: &FormState, rows: usize, saved: bool) -> Markup {
    let rows = (rows + SPARE_ROWS).min(MAX_ROWS);
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        p { a href="/admin/programme" { (v.t(T::Programme)) } }
        p.muted { (v.t(T::ClassesHint)) }
        form.card #classes method="post" action="/admin/programme/classes" {
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            div.table-wrap { table #class-rows {
                thead { tr {
                    th { (v.t(T::Code)) } th { (v.t(T::Name)) } th { (v.t(T::WindowDays)) }
                    th { (v.t(T::MinInvoices)) } th { (v.t(T::MinSpend)) }
                } }
                tbody { @for i in 0..rows { tr {
                    @for (f, size) in FIELDS {
                        @let name = key(i, f);
                        @let err = form.error(&name);
                        td.invalid[err.is_some()] {
                            input name=(name) value=(form.value(&name)) size=(size) aria-label=(format!("{f} {}", i + 1))
                                aria-invalid=[err.map(|_| "true")];
                            @if let Some(e) = err { p.error role="alert" { (e) } }
                        }
                    }
                } } }
            } }
            p.muted { small { (v.t(T::ClassRowsHint)) } }
            @if v.may(Access::Manage) { p { button #save-classes type="submit" { (v.t(T::Save)) } } }
        }
    };
    layout::page(v, Section::Programme, v.t(T::LoyaltyClasses), body)
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    let classes = state.engine.loyalty_classes(staff.ctx()).await?;
    let stored = stored_rows(&classes);
    let pairs: Vec<(&str, &str)> = stored.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(render(&staff.view(), &FormState::filled(&pairs), classes.classes.len(), q.is_saved()))
}

pub async fn save(
    State(state): State<AppState>,
    staff: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let map: HashMap<String, String> = fields.into_iter().collect();
    let rows = filled_rows(&map);
    let saved = match parse(&rows) {
        Ok(classes) => state.engine.set_loyalty_classes(staff.ctx(), &classes).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to("/admin/programme/classes?saved=1").into_response()),
        Err(e) => {
            let typed: Vec<(&str, &str)> = rows.iter().flatten().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let form = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&staff.view(), &form, rows.len(), false)).into_response())
        }
    }
}
