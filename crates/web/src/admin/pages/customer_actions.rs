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
use philia_domain::digits::ascii_digits;
use philia_domain::notes::NoteInput;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use philia_engine::points::PointsChangeInput;
use serde::Deserialize;

fn back_to(id: i64, anchor: &str) -> Response {
    Redirect::to(&format!("/admin/customers/{id}?saved=1#{anchor}")).into_response()
}

async fn again(state: &AppState, staff: &Staff, id: i64, forms: ProfileForms) -> PanelResult<Response> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render_profile(state, staff, id, forms).await?).into_response())
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
    let result = match ascii_digits(f.points.trim()).replace(['٬', ','], "").parse::<i64>() {
        Ok(points) => {
            let input = PointsChangeInput {
                point_type: f.point_type.clone(),
                points,
                reason: Some(f.reason.clone()),
                idempotency_key: Some(f.key.clone()).filter(|k| !k.is_empty()),
            };
            state.engine.adjust_points(staff.ctx(), id, &input, None, &staff.actor()).await.map(|_| ())
        }
        Err(_) => Err(EngineError::field(
            Issue::new("not_a_number", "must be a whole number, e.g. 500 or -200", "باید عدد صحیح باشد، مثل ۵۰۰ یا ‎-۲۰۰")
                .at("points"),
        )),
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
