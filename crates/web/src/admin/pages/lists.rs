//! Static lists (SPEC B3): the tenant's lists with their members, a CSV of mobiles, emails or
//! external ids uploaded into a new or existing list, the rows that named no customer, and
//! deleting a list. Lists are used in segment rules as `lists contains CODE`.

use crate::AppState;
use crate::admin::failure::{PanelError, PanelResult};
use crate::admin::forms::SavedQuery;
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::Issue;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use philia_engine::lists::{ListRecord, ListUpload};

/// What was typed into the upload form, shown again after a refusal.
#[derive(Default)]
struct Typed {
    code: String,
    name: String,
}

fn reason_text(v: &View, reason: &str) -> &'static str {
    v.t(if reason == "invalid" { T::ListRowInvalid } else { T::ListRowUnknown })
}

/// What the page shows besides the lists.
#[derive(Default)]
struct Outcome<'a> {
    upload: Option<&'a ListUpload>,
    error: Option<&'a str>,
    saved: bool,
}

fn render(v: &View, lists: &[ListRecord], typed: &Typed, outcome: Outcome<'_>) -> Markup {
    let Outcome { upload, error, saved } = outcome;
    let action = format!("/admin/lists?csrf={}", v.csrf);
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        p { a href="/admin/segments" { (v.t(T::Segments)) } }
        div.card.table-wrap { table #lists {
            thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Code)) } th.num { (v.t(T::Members)) } th { (v.t(T::Updated)) } th {} } }
            tbody { @for l in lists { tr {
                td { (l.name) } td { code { (l.code) } } td.num { (v.num(l.members)) } td { (v.date(&l.updated_at)) }
                td { @if v.may(Access::Write) {
                    form method="post" action=(format!("/admin/lists/{}/delete", l.code)) {
                        (csrf_field(v))
                        button.link type="submit" { (v.t(T::Delete)) }
                    }
                } }
            } } }
        } }
        @if lists.is_empty() { p.muted { (v.t(T::NoLists)) } }
        @if v.may(Access::Write) {
            form.card #upload-list method="post" action=(action) enctype="multipart/form-data" {
                h2 { (v.t(T::UploadList)) }
                @if let Some(e) = error { (layout::notice(e, true)) }
                div.inline {
                    (field(v.t(T::Code), "code", "text", &typed.code, None))
                    (field(v.t(T::Name), "name", "text", &typed.name, None))
                    div.field { label for="f-file" { (v.t(T::File)) } input #f-file type="file" name="file" accept=".csv,text/csv" required; }
                }
                p.muted { small { (v.t(T::ListUploadHint)) } }
                button type="submit" { (v.t(T::Upload)) }
            }
        }
        @if let Some(u) = upload {
            section.card #list-report {
                h2 { (u.list.name) }
                div.figures {
                    div.figure { span.label { (v.t(T::RowsRead)) } span.value { (v.num(u.rows as i64)) } }
                    div.figure { span.label { (v.t(T::Matched)) } span.value #matched { (v.num(u.matched as i64)) } }
                    div.figure { span.label { (v.t(T::AddedToList)) } span.value #added { (v.num(u.added as i64)) } }
                    div.figure { span.label { (v.t(T::Unmatched)) } span.value #unmatched { (v.num(u.unmatched.len() as i64)) } }
                }
                @if !u.unmatched.is_empty() {
                    div.table-wrap { table #unmatched-rows {
                        thead { tr { th { (v.t(T::Row)) } th { (v.t(T::Value)) } th { (v.t(T::Problem)) } } }
                        tbody { @for r in &u.unmatched { tr {
                            td.num { (v.num(r.row as i64)) } td { code dir="ltr" { (r.value) } } td { (reason_text(v, &r.reason)) }
                        } } }
                    } }
                }
            }
        }
    };
    layout::page(v, Section::Segments, v.t(T::Lists), body)
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    let lists = state.engine.lists(staff.ctx()).await?;
    Ok(render(&staff.view(), &lists, &Typed::default(), Outcome { saved: q.is_saved(), ..Outcome::default() }))
}

fn no_file() -> EngineError {
    EngineError::field(
        Issue::new("unreadable", "choose a CSV file to upload", "یک فایل CSV برای بارگذاری انتخاب کنید").at("file"),
    )
}

pub async fn upload(State(state): State<AppState>, staff: Staff, mut multipart: Multipart) -> PanelResult<Response> {
    staff.require(Access::Write)?;
    let v = staff.view();
    let (mut typed, mut file) = (Typed::default(), None);
    while let Some(f) = multipart.next_field().await.map_err(|_| PanelError::from(no_file()))? {
        match f.name() {
            Some("code") => typed.code = f.text().await.unwrap_or_default().trim().to_string(),
            Some("name") => typed.name = f.text().await.unwrap_or_default().trim().to_string(),
            Some("file") => file = Some(f.bytes().await.map_err(|_| PanelError::from(no_file()))?),
            _ => {}
        }
    }
    let name = Some(typed.name.as_str()).filter(|n| !n.is_empty());
    let result = match file.filter(|b| !b.is_empty()) {
        Some(bytes) => state.engine.upload_list(staff.ctx(), &typed.code, name, &bytes).await,
        None => Err(no_file()),
    };
    let lists = state.engine.lists(staff.ctx()).await?;
    match result {
        Ok(upload) => {
            Ok(render(&v, &lists, &Typed::default(), Outcome { upload: Some(&upload), ..Outcome::default() }).into_response())
        }
        Err(e) => {
            let message = match &e {
                EngineError::Invalid(invalid) => invalid
                    .0
                    .iter()
                    .map(|f| {
                        format!(
                            "{}: {}",
                            f.field,
                            if v.lang == philia_domain::staff_auth::Lang::Fa { &f.message_fa } else { &f.message }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" · "),
                _ => PanelError::from(e).message(v.lang).to_string(),
            };
            let page = render(&v, &lists, &typed, Outcome { error: Some(&message), ..Outcome::default() });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn delete(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    staff.require(Access::Write)?;
    state.engine.delete_list(staff.ctx(), &code).await?;
    Ok(Redirect::to("/admin/lists?saved=1").into_response())
}
