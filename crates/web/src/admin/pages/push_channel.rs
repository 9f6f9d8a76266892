//! The push card of the messaging page: the brand's Web Push key (made here the first time),
//! who push services may contact about it, and how many customers allowed notifications.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::layout::{self, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::roles::Access;
use serde::Deserialize;
use serde_json::json;

pub(crate) async fn card(state: &AppState, staff: &Staff, form: &FormState) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let key = state.engine.push_public_key(ctx).await?;
    let view = super::messaging::channel_view(state, staff, "push").await?;
    let subject = match form.value("subject") {
        "" => view.as_ref().and_then(|c| c.settings.get("subject")).and_then(|s| s.as_str()).unwrap_or("").to_string(),
        typed => typed.to_string(),
    };
    let (customers, browsers) = state.engine.push_audience(ctx).await?;
    Ok(html! {
        section.card #push {
            h2 { (v.t(T::PushNotifications)) }
            p.muted { (v.t(T::PushLead)) }
            p { (v.t(T::PushAudience)) ": " strong { (v.num(customers)) } " · " (v.t(T::PushBrowsers)) ": " (v.num(browsers)) }
            p.muted { small { (v.t(T::PushKey)) ": " code.wrap dir="ltr" { (key) } } }
            @if v.may(Access::Manage) {
                form method="post" action="/admin/messaging/push" {
                    @if let Some(g) = &form.general { (layout::notice(g, true)) }
                    (csrf_field(&v))
                    (field(v.t(T::PushSubject), "subject", "text", &subject, form.error("subject")))
                    p.muted { small { (v.t(T::PushSubjectHint)) } }
                    button type="submit" { (v.t(T::Save)) }
                }
            }
        }
    })
}

#[derive(Deserialize)]
pub struct PushForm {
    #[serde(default)]
    subject: String,
}

/// Saves who push services may contact; the key pair stays, so every browser keeps working.
pub async fn save(State(state): State<AppState>, staff: Staff, Form(f): Form<PushForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    // The brand's pair exists once the card has been shown; made here if not.
    state.engine.push_public_key(staff.ctx()).await?;
    let settings = json!({"provider": "web_push", "subject": f.subject.trim()});
    match state.engine.set_channel(Some(staff.ctx()), "push", settings).await {
        Ok(_) => Ok(Redirect::to("/admin/messaging?saved=1#push").into_response()),
        Err(e) => {
            let push = FormState::refused(&staff.view(), &[("subject", &f.subject)], e);
            let page = super::messaging::render_push_refused(&state, &staff, push).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
