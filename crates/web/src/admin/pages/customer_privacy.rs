//! A customer's data rights from the profile page (owner and admins): download everything held
//! about them, and erase their personal data.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::pages::customer_actions::{again, back_to};
use crate::admin::pages::customers::ProfileForms;
use crate::admin::session::Staff;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use philia_domain::roles::Access;
use serde::Deserialize;

pub async fn export_json(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let doc = state.engine.export_customer(staff.ctx(), id).await?;
    let body = serde_json::to_string_pretty(&doc).unwrap_or_default();
    Ok(download(id, "json", "application/json", body))
}

pub async fn export_csv(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let body = state.engine.export_customer_csv(staff.ctx(), id).await?;
    // A byte-order mark so spreadsheet programs read the Persian text as UTF-8.
    Ok(download(id, "csv", "text/csv; charset=utf-8", format!("\u{feff}{body}")))
}

fn download(id: i64, ext: &str, kind: &'static str, body: String) -> Response {
    let name = format!("attachment; filename=\"customer-{id}.{ext}\"");
    ([(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, name)], body).into_response()
}

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    reason: String,
}

pub async fn erase(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<EraseForm>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    match state.engine.erase_customer(staff.ctx(), id, Some(&f.reason)).await {
        Ok(_) => Ok(back_to(id, "privacy")),
        Err(e) => {
            let erase = FormState::refused(&staff.view(), &[("reason", &f.reason)], e);
            again(&state, &staff, id, ProfileForms { erase, ..ProfileForms::default() }).await
        }
    }
}
