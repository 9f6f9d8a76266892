//! What staff do on a customer's profile: write a note, adjust points, merge a duplicate. Each
//! answers by going back to the profile, or shows the profile again with the form's errors.

use super::customers::{ProfileForms, render_profile};
use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::session::Staff;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use philia_domain::Issue;
use philia_domain::customer::CustomerInput;
use philia_domain::digits::ascii_digits;
use philia_domain::notes::NoteInput;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use philia_engine::points::PointsChangeInput;
use serde::Deserialize;

pub(crate) fn back_to(id: i64, anchor: &str) -> Response {
    Redirect::to(&format!("/admin/customers/{id}?saved=1#{anchor}")).into_response()
}

pub(crate) async fn again(state: &AppState, staff: &Staff, id: i64, forms: ProfileForms) -> PanelResult<Response> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render_profile(state, staff, id, forms).await?).into_response())
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    gender: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    province: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    address_line: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    tags: String,
    sms_opt_in: Option<String>,
    email_opt_in: Option<String>,
    #[serde(default)]
    sms_before: String,
    #[serde(default)]
    email_before: String,
}

/// Saves the personal data form. Empty text clears a field; a consent is recorded only when its
/// box changed, so saving a name does not re-date a consent.
pub async fn edit(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<EditForm>,
) -> PanelResult<Response> {
    let text = |s: &str| Some(s.trim().to_string());
    let consent = |now: &Option<String>, before: &str| (now.is_some() != (before == "1")).then_some(now.is_some());
    let input = CustomerInput {
        mobile: Some(f.mobile.trim().to_string()).filter(|m| !m.is_empty()),
        email: Some(f.email.trim().to_string()).filter(|m| !m.is_empty()),
        first_name: text(&f.first_name),
        last_name: text(&f.last_name),
        gender: text(&f.gender),
        birth_date: text(&f.birth_date),
        province: text(&f.province),
        city: text(&f.city),
        address_line: text(&f.address_line),
        postal_code: text(&f.postal_code),
        tags: Some(f.tags.split([',', '،']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()),
        sms_opt_in: consent(&f.sms_opt_in, &f.sms_before),
        email_opt_in: consent(&f.email_opt_in, &f.email_before),
        ..CustomerInput::default()
    };
    let result = match input.parse() {
        Ok(patch) => state.engine.update_customer(staff.ctx(), id, patch).await.map(|_| ()),
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(back_to(id, "personal")),
        Err(e) => {
            let flag = |x: &Option<String>| if x.is_some() { "1" } else { "0" };
            let typed = [
                ("was_sent", "1"),
                ("first_name", f.first_name.as_str()),
                ("last_name", &f.last_name),
                ("mobile", &f.mobile),
                ("email", &f.email),
                ("gender", &f.gender),
                ("birth_date", &f.birth_date),
                ("province", &f.province),
                ("city", &f.city),
                ("address_line", &f.address_line),
                ("postal_code", &f.postal_code),
                ("tags", &f.tags),
                ("sms_opt_in", flag(&f.sms_opt_in)),
                ("email_opt_in", flag(&f.email_opt_in)),
            ];
            let edit = FormState::refused(&staff.view(), &typed, e);
            again(&state, &staff, id, ProfileForms { edit, ..ProfileForms::default() }).await
        }
    }
}

#[derive(Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    body: String,
}

pub async fn add_note(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<NoteForm>,
) -> PanelResult<Response> {
    let input = NoteInput { author: staff.0.email.clone(), body: f.body.clone() };
    match state.engine.add_note(staff.ctx(), id, &input).await {
        Ok(_) => Ok(back_to(id, "notes")),
        Err(e) => {
            let note = FormState::refused(&staff.view(), &[("body", &f.body)], e);
            again(&state, &staff, id, ProfileForms { note, ..ProfileForms::default() }).await
        }
    }
}

#[derive(Deserialize)]
pub struct AdjustForm {
    #[serde(default)]
    point_type: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    reason: String,
    /// Written into the form when it is drawn, so a double submit adjusts once.
    #[serde(default)]
    key: String,
}

pub async fn adjust_points(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<AdjustForm>,
) -> PanelResult<Response> {
    let typed = [
        ("point_type", f.point_type.as_str()),
        ("points", f.points.as_str()),
        ("reason", f.reason.as_str()),
        ("key", f.key.as_str()),
    ];
    let points = crate::admin::forms::number(&f.points, "points").and_then(|p| {
        p.ok_or_else(|| {
            EngineError::field(
                Issue::new("not_a_number", "must be a whole number, e.g. 500 or -200", "باید عدد صحیح باشد، مثل ۵۰۰ یا ‎-۲۰۰")
                    .at("points"),
            )
        })
    });
    let result = match points {
        Ok(points) => {
            let input = PointsChangeInput {
                point_type: f.point_type.clone(),
                points,
                reason: Some(f.reason.clone()),
                idempotency_key: Some(f.key.clone()).filter(|k| !k.is_empty()),
            };
            state.engine.adjust_points(staff.ctx(), id, &input, None, &staff.actor()).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(back_to(id, "points")),
        Err(e) => {
            let adjust = FormState::refused(&staff.view(), &typed, e);
            again(&state, &staff, id, ProfileForms { adjust, ..ProfileForms::default() }).await
        }
    }
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    other: String,
}

pub async fn merge(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<MergeForm>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let result = match ascii_digits(f.other.trim().trim_start_matches('#')).parse::<i64>() {
        Ok(other) => state.engine.merge_customers(staff.ctx(), id, other).await.map(|_| ()),
        Err(_) => {
            Err(EngineError::field(Issue::new("not_a_number", "must be a customer id", "باید شناسه مشتری باشد").at("other")))
        }
    };
    match result {
        Ok(()) => Ok(back_to(id, "timeline")),
        Err(e) => {
            let merge = FormState::refused(&staff.view(), &[("other", &f.other)], e);
            again(&state, &staff, id, ProfileForms { merge, ..ProfileForms::default() }).await
        }
    }
}
