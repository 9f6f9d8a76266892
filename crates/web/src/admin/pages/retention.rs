//! Settings → Data retention: how long old events keep their properties, sent messages their
//! texts and shop deliveries their raw bodies.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, SavedQuery, number};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::privacy::Retention;
use philia_domain::roles::Access;
use serde::Deserialize;

const FIELDS: [(&str, T); 3] = [
    ("event_details_days", T::EventDetailsDays),
    ("message_bodies_days", T::MessageBodiesDays),
    ("delivery_bodies_days", T::DeliveryBodiesDays),
];

fn render(staff: &Staff, form: &FormState, saved: bool) -> Markup {
    let v = staff.view();
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        section.card #retention {
            p.muted { (v.t(T::RetentionLead)) }
            form method="post" action="/admin/retention" {
                @if let Some(g) = &form.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                @for (name, label) in FIELDS { (field(v.t(label), name, "text", form.value(name), form.error(name))) }
                p.muted { small { (v.t(T::RetentionHint)) } }
                button type="submit" { (v.t(T::Save)) }
            }
        }
    };
    layout::page(&v, Section::Settings, v.t(T::DataRetention), body)
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let r = state.engine.data_retention(staff.ctx()).await?;
    let text = |d: Option<i64>| d.map(|d| d.to_string()).unwrap_or_default();
    let (e, m, d) = (text(r.event_details_days), text(r.message_bodies_days), text(r.delivery_bodies_days));
    let form = FormState::filled(&[("event_details_days", &e), ("message_bodies_days", &m), ("delivery_bodies_days", &d)]);
    Ok(render(&staff, &form, q.is_saved()))
}

#[derive(Deserialize)]
pub struct RetentionForm {
    #[serde(default)]
    event_details_days: String,
    #[serde(default)]
    message_bodies_days: String,
    #[serde(default)]
    delivery_bodies_days: String,
}

pub async fn save(State(state): State<AppState>, staff: Staff, Form(f): Form<RetentionForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let parsed = (|| {
        Ok(Retention {
            event_details_days: number(&f.event_details_days, "event_details_days")?,
            message_bodies_days: number(&f.message_bodies_days, "message_bodies_days")?,
            delivery_bodies_days: number(&f.delivery_bodies_days, "delivery_bodies_days")?,
        })
    })();
    let result = match parsed {
        Ok(input) => state.engine.set_data_retention(staff.ctx(), input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/retention?saved=1").into_response()),
        Err(e) => {
            let typed = [
                ("event_details_days", f.event_details_days.as_str()),
                ("message_bodies_days", &f.message_bodies_days),
                ("delivery_bodies_days", &f.delivery_bodies_days),
            ];
            let form = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&staff, &form, false)).into_response())
        }
    }
}
