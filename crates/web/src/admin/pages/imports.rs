//! Imports: upload a CSV of customers, products, categories or invoices; it runs in the
//! background with its progress shown, then the report with every refused row (row, column,
//! reason in the reader's language) and the error report to download.

use crate::AppState;
use crate::admin::failure::{PanelError, PanelResult};
use crate::admin::layout::{self, Section};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::Issue;
use philia_domain::roles::Access;
use philia_domain::staff_auth::Lang;
use philia_engine::EngineError;
use philia_engine::import::{ImportKind, ImportOptions, ImportReport};

const KINDS: [(&str, T); 4] = [
    ("customers", T::KindCustomers),
    ("products", T::KindProducts),
    ("categories", T::KindCategories),
    ("invoices", T::KindInvoices),
];

fn page(v: &View, report: Option<&ImportReport>, error: Option<&str>) -> Markup {
    let action = format!("/admin/imports?csrf={}", v.csrf);
    html! {
        @if v.may(Access::Write) {
            form.card #upload method="post" action=(action) enctype="multipart/form-data" {
                @if let Some(e) = error { (layout::notice(e, true)) }
                div.inline {
                    div.field {
                        label for="f-kind" { (v.t(T::ImportKind)) }
                        select #f-kind name="kind" { @for (k, t) in KINDS { option value=(k) { (v.t(t)) } } }
                    }
                    div.field { label for="f-file" { (v.t(T::File)) } input #f-file type="file" name="file" accept=".csv,text/csv" required; }
                }
                p { label { input type="checkbox" name="atomic" value="1"; " " (v.t(T::AllOrNothing)) } }
                p.muted { small { (v.t(T::ImportHint)) } }
                button type="submit" { (v.t(T::Upload)) }
            }
        }
        @if let Some(r) = report {
            section.card #report {
                @if r.rolled_back { (layout::notice(v.t(T::RolledBack), true)) }
                div.figures {
                    div.figure { span.label { (v.t(T::RowsRead)) } span.value { (v.num(r.rows as i64)) } }
                    div.figure { span.label { (v.t(T::Imported)) } span.value #imported { (v.num(r.imported as i64)) } }
                    div.figure { span.label { (v.t(T::Unchanged)) } span.value { (v.num(r.unchanged as i64)) } }
                    div.figure { span.label { (v.t(T::InvalidRows)) } span.value #invalid { (v.num(r.invalid_rows as i64)) } }
                }
                @if !r.errors.is_empty() {
                    p { a download="import-errors.csv" href=(error_report(r)) { (v.t(T::DownloadErrors)) } }
                    div.table-wrap { table #errors {
                        thead { tr { th { (v.t(T::Row)) } th { (v.t(T::Column)) } th { (v.t(T::Problem)) } } }
                        tbody { @for e in &r.errors { tr {
                            td.num { (v.num(e.row as i64)) } td { code { (e.column) } }
                            td { (if v.lang == Lang::Fa { &e.message_fa } else { &e.message }) }
                        } } }
                    } }
                }
            }
        }
    }
}

/// The refused rows as a CSV file in a `data:` address (the report holds at most 1,000 rows).
fn error_report(r: &ImportReport) -> String {
    let bytes = r.errors_csv();
    let encoded: String = form_urlencoded::byte_serialize(&bytes).collect::<String>().replace('+', "%20");
    format!("data:text/csv;charset=utf-8,{encoded}")
}

pub async fn form(staff: Staff) -> PanelResult<Markup> {
    let v = staff.view();
    Ok(layout::page(&v, Section::Customers, v.t(T::Imports), page(&v, None, None)))
}

/// Starts the import in the background and sends the reader to its progress page.
pub async fn upload(State(state): State<AppState>, staff: Staff, mut multipart: Multipart) -> PanelResult<Response> {
    staff.require(Access::Write)?;
    let v = staff.view();
    let (mut kind, mut atomic, mut file) = (String::new(), false, None);
    while let Some(field) = multipart.next_field().await.map_err(|_| PanelError::from(bad_file()))? {
        match field.name() {
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            Some("atomic") => atomic = true,
            Some("file") => file = Some(field.bytes().await.map_err(|_| PanelError::from(bad_file()))?),
            _ => {}
        }
    }
    let started = match (ImportKind::parse(&kind), file.filter(|f| !f.is_empty())) {
        (Err(e), _) => Err(e),
        (_, None) => Err(bad_file()),
        (Ok(kind), Some(bytes)) => {
            let options = ImportOptions { atomic, ..ImportOptions::default() };
            state.engine.start_import(staff.ctx(), kind, bytes.to_vec(), options).await
        }
    };
    match started {
        Ok(id) => Ok(Redirect::to(&format!("/admin/imports/{id}")).into_response()),
        Err(e) => {
            let message = PanelError::from(e).message(v.lang).to_string();
            let body = page(&v, None, Some(&message));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, layout::page(&v, Section::Customers, v.t(T::Imports), body)).into_response())
        }
    }
}

/// An import's page: its progress while it runs (the page reloads itself every two seconds),
/// then its report, or why it failed.
pub async fn job(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PanelResult<Markup> {
    let v = staff.view();
    let job = state.engine.import_job(staff.ctx(), id).await?;
    let failure = job.error.as_ref().map(|(en, fa)| if v.lang == Lang::Fa { fa.as_str() } else { en.as_str() });
    let body = html! {
        @match job.status.as_str() {
            "running" => {
                meta http-equiv="refresh" content="2";
                section.card #progress aria-live="polite" {
                    p { (v.t(T::ImportRunning)) }
                    div.figures { div.figure { span.label { (v.t(T::RowsRead)) } span.value #rows-read { (v.num(job.rows_read)) } } }
                }
            }
            "interrupted" => { (layout::notice(v.t(T::ImportInterrupted), true)) }
            _ => {}
        }
        @if job.status != "running" { (page(&v, job.report.as_ref(), failure)) }
    };
    Ok(layout::page(&v, Section::Customers, v.t(T::Imports), body))
}

fn bad_file() -> EngineError {
    EngineError::field(
        Issue::new("unreadable", "choose a CSV file to upload", "یک فایل CSV برای بارگذاری انتخاب کنید").at("file"),
    )
}
