//! A staff member's notifications: colleagues who mentioned them in a customer note.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::layout::{self, Section, csrf_field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

pub async fn page(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    let v = staff.view();
    let items = state.engine.staff_inbox(staff.ctx(), staff.0.staff_id, false, 100).await?;
    let body = html! {
        @if items.is_empty() { p.muted { (v.t(T::NothingHere)) } }
        div.card { ul #inbox { @for n in &items {
            li.unread[n.read_at.is_none()] {
                small.muted { (v.date_time(&n.created_at)) } " "
                (n.text) " "
                @if let Some(c) = n.customer_id { a href=(format!("/admin/customers/{c}#notes")) { (v.t(T::Open)) } }
                @if n.read_at.is_none() {
                    form.inline method="post" action=(format!("/admin/inbox/{}/read", n.id)) {
                        (csrf_field(&v))
                        button.link type="submit" { (v.t(T::MarkRead)) }
                    }
                }
            }
        } } }
    };
    Ok(layout::page(&v, Section::Inbox, v.t(T::Inbox), body))
}

pub async fn mark_read(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PanelResult<Response> {
    state.engine.mark_notification_read(staff.ctx(), staff.0.staff_id, id).await?;
    Ok(Redirect::to("/admin/inbox").into_response())
}
