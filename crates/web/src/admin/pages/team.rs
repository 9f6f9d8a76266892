//! Settings for the owner and admins: staff members with their roles, and API keys (each shown
//! once, stored hashed, revocable).

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::forms::SavedQuery;
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::roles::Access;
use serde::Deserialize;

#[derive(Default)]
struct Forms {
    staff: FormState,
    key: FormState,
    /// A key just made: shown this once.
    issued: Option<String>,
    saved: bool,
}

fn staff_role(v: &View, role: &str) -> &'static str {
    match role {
        "owner" => v.t(T::RoleOwner),
        "admin" => v.t(T::RoleAdmin),
        "marketer" => v.t(T::RoleMarketer),
        "cashier" => v.t(T::RoleCashier),
        _ => v.t(T::RoleViewer),
    }
}

fn key_role(v: &View, role: &str) -> &'static str {
    match role {
        "admin" => v.t(T::KeyRoleAdmin),
        "integration" => v.t(T::KeyRoleIntegration),
        _ => v.t(T::KeyRoleReadOnly),
    }
}

async fn render(state: &AppState, staff: &Staff, forms: Forms) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let v = staff.view();
    let ctx = staff.ctx();
    let (members, keys) = tokio::try_join!(state.engine.list_staff(ctx), state.engine.list_api_keys(ctx))?;
    let s = &forms.staff;
    let k = &forms.key;
    let body = html! {
        @if forms.saved { (layout::notice(v.t(T::Saved), false)) }
        div.toolbar {
            a.button href="/admin/branding" { (v.t(T::ClubLook)) }
            a.button href="/admin/integrations" { (v.t(T::Integrations)) }
            a.button href="/admin/webhooks" { (v.t(T::Webhooks)) }
            a.button href="/admin/catalogue" { (v.t(T::Catalogue)) }
            a.button href="/admin/branches" { (v.t(T::Branches)) }
            a.button href="/admin/setup" { (v.t(T::Setup)) }
            a.button href="/admin/usage" { (v.t(T::PlanAndUsage)) }
            a.button href="/admin/audit" { (v.t(T::AuditLog)) }
            a.button href="/admin/networks" { (v.t(T::Networks)) }
            a.button href="/admin/retention" { (v.t(T::DataRetention)) }
        }
        section.card #staff {
            h2 { (v.t(T::Staff)) }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Email)) } th { (v.t(T::Role)) } th { (v.t(T::Created)) } } }
                tbody { @for m in &members { tr {
                    td { (m.name) } td dir="ltr" { (m.email) } td { (staff_role(&v, &m.role)) } td { (v.date(&m.created_at)) }
                } } }
            } }
            form #new-staff method="post" action="/admin/settings/staff" {
                h2 { (v.t(T::NewStaff)) }
                @if let Some(g) = &s.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                div.inline {
                    (field(v.t(T::Name), "name", "text", s.value("name"), s.error("name")))
                    (field(v.t(T::Email), "email", "email", s.value("email"), s.error("email")))
                    div.field {
                        label for="f-role" { (v.t(T::Role)) }
                        select #f-role name="role" {
                            @for r in ["viewer", "marketer", "cashier", "admin", "owner"] { option value=(r) selected[s.value("role") == r] { (staff_role(&v, r)) } }
                        }
                    }
                    (field(v.t(T::Password), "password", "password", "", s.error("password")))
                }
                p.muted { small { (v.t(T::PasswordHint)) } }
                button type="submit" { (v.t(T::Add)) }
            }
        }
        section.card #keys {
            h2 { (v.t(T::ApiKeys)) }
            @if let Some(key) = &forms.issued {
                div.notice role="status" { (v.t(T::KeyShownOnce)) ": " code #issued-key dir="ltr" { (key) } }
            }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Role)) } th { (v.t(T::Code)) } th { (v.t(T::Created)) } th {} } }
                tbody { @for key in &keys { tr {
                    td { (key.name) } td { (key_role(&v, &key.role)) } td dir="ltr" { code { (key.prefix) "…" } } td { (v.date(&key.created_at)) }
                    td { @if key.revoked_at.is_some() { span.muted { (v.t(T::Revoked)) } } @else {
                        form method="post" action=(format!("/admin/settings/keys/{}/rotate", key.id)) {
                            (csrf_field(&v))
                            label.muted { (v.t(T::OldKeyWorksFor)) " "
                                select name="grace_minutes" {
                                    option value="0" { (v.t(T::NoGrace)) }
                                    option value="60" { (v.digits("60")) " " (v.t(T::Minutes)) }
                                    option value="1440" { (v.digits("1440")) " " (v.t(T::Minutes)) }
                                }
                            }
                            " " button.link type="submit" { (v.t(T::Rotate)) }
                        }
                        form method="post" action=(format!("/admin/settings/keys/{}/revoke", key.id)) {
                            (csrf_field(&v)) button.link type="submit" { (v.t(T::Revoke)) }
                        }
                    } }
                } } }
            } }
            form #new-key method="post" action="/admin/settings/keys" {
                h2 { (v.t(T::NewApiKey)) }
                @if let Some(g) = &k.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                div.inline {
                    (field(v.t(T::Name), "name", "text", k.value("name"), k.error("name")))
                    div.field {
                        label for="f-key-role" { (v.t(T::Role)) }
                        select #f-key-role name="role" {
                            @for r in ["integration", "read_only", "admin"] { option value=(r) selected[k.value("role") == r] { (key_role(&v, r)) } }
                        }
                    }
                    div.field { button type="submit" { (v.t(T::Add)) } }
                }
            }
        }
    };
    Ok(layout::page(&v, Section::Settings, v.t(T::Settings), body))
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    render(&state, &staff, Forms { saved: q.is_saved(), ..Forms::default() }).await
}

#[derive(Deserialize)]
pub struct StaffForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn add_staff(State(state): State<AppState>, staff: Staff, Form(f): Form<StaffForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    // Only an owner makes owners.
    if f.role == "owner" && staff.0.role != philia_domain::roles::StaffRole::Owner {
        return Err(crate::admin::failure::PanelError::forbidden());
    }
    match state.engine.create_staff(staff.ctx(), &f.email, &f.name, &f.role, &f.password).await {
        Ok(_) => Ok(Redirect::to("/admin/settings?saved=1#staff").into_response()),
        Err(e) => {
            let typed = [("name", f.name.as_str()), ("email", &f.email), ("role", &f.role), ("password", "")];
            let form = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&state, &staff, Forms { staff: form, ..Forms::default() }).await?)
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

pub async fn add_key(State(state): State<AppState>, staff: Staff, Form(f): Form<KeyForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    match state.engine.create_api_key(staff.ctx(), &f.role, Some(&f.name)).await {
        // The key is shown in this answer only (not behind a redirect that would put it in history).
        Ok(issued) => Ok(render(&state, &staff, Forms { issued: Some(issued.key), ..Forms::default() }).await?.into_response()),
        Err(e) => {
            let typed = [("name", f.name.as_str()), ("role", &f.role)];
            let form = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&state, &staff, Forms { key: form, ..Forms::default() }).await?)
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct RotateForm {
    #[serde(default)]
    grace_minutes: String,
}

/// A new secret for a key, shown once; the old one keeps working for the minutes chosen.
pub async fn rotate_key(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Form(f): Form<RotateForm>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let grace = philia_domain::digits::ascii_digits(f.grace_minutes.trim()).parse::<i64>().unwrap_or(0);
    let issued = state.engine.rotate_api_key(staff.ctx(), id, Some(grace)).await?;
    Ok(render(&state, &staff, Forms { issued: Some(issued.key), ..Forms::default() }).await?.into_response())
}

pub async fn revoke_key(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.revoke_api_key(staff.ctx(), id).await?;
    Ok(Redirect::to("/admin/settings?saved=1#keys").into_response())
}
