//! The club's look: name, logo, colours, font, layout and the brand's own host name, with a
//! preview of the club that follows the form as it is edited.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, SavedQuery};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::club::{Branding, BrandingInput, FONTS, LAYOUTS};
use philia_domain::roles::Access;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct BrandingForm {
    #[serde(default)]
    club_name: String,
    #[serde(default)]
    logo_url: String,
    #[serde(default)]
    primary_colour: String,
    #[serde(default)]
    accent_colour: String,
    #[serde(default)]
    font: String,
    #[serde(default)]
    layout: String,
    #[serde(default)]
    custom_domain: String,
}

impl BrandingForm {
    fn values(&self) -> [(&'static str, &str); 7] {
        [
            ("club_name", &self.club_name),
            ("logo_url", &self.logo_url),
            ("primary_colour", &self.primary_colour),
            ("accent_colour", &self.accent_colour),
            ("font", &self.font),
            ("layout", &self.layout),
            ("custom_domain", &self.custom_domain),
        ]
    }
}

fn stored(b: &Branding) -> FormState {
    FormState::filled(&[
        ("club_name", b.club_name.as_deref().unwrap_or("")),
        ("logo_url", b.logo_url.as_deref().unwrap_or("")),
        ("primary_colour", &b.primary_colour),
        ("accent_colour", &b.accent_colour),
        ("font", &b.font),
        ("layout", &b.layout),
        ("custom_domain", b.custom_domain.as_deref().unwrap_or("")),
    ])
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    let b = state.engine.branding(staff.ctx()).await?;
    Ok(render(&staff, &stored(&b), q.is_saved()))
}

pub async fn save(State(state): State<AppState>, staff: Staff, Form(f): Form<BrandingForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let blank = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let input = BrandingInput {
        club_name: blank(&f.club_name),
        logo_url: blank(&f.logo_url),
        primary_colour: blank(&f.primary_colour),
        accent_colour: blank(&f.accent_colour),
        font: blank(&f.font),
        layout: blank(&f.layout),
        custom_domain: blank(&f.custom_domain),
    };
    match state.engine.set_branding(staff.ctx(), &input).await {
        Ok(_) => Ok(Redirect::to("/admin/branding?saved=1").into_response()),
        Err(e) => {
            let form = FormState::refused(&staff.view(), &f.values(), e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&staff, &form, false)).into_response())
        }
    }
}

fn choice(v: &View, form: &FormState, label: T, name: &str, options: &[&str]) -> Markup {
    let id = format!("f-{name}");
    html! {
        div.field {
            label for=(id) { (v.t(label)) }
            select id=(id) name=(name) data-preview=(name) {
                @for o in options { option value=(o) selected[form.value(name) == *o] { (o) } }
            }
        }
    }
}

fn render(staff: &Staff, form: &FormState, saved: bool) -> Markup {
    let v = staff.view();
    let name = staff.ctx().name.clone();
    let club = if form.value("club_name").is_empty() { name.as_str() } else { form.value("club_name") };
    let body = html! {
        @if saved { (layout::notice(v.t(T::Saved), false)) }
        @if let Some(e) = &form.general { (layout::notice(e, true)) }
        div.grid {
            form.card #branding method="post" action="/admin/branding" {
                (csrf_field(&v))
                (field(v.t(T::ClubName), "club_name", "text", form.value("club_name"), form.error("club_name")))
                (field(v.t(T::LogoUrl), "logo_url", "text", form.value("logo_url"), form.error("logo_url")))
                (field(v.t(T::PrimaryColour), "primary_colour", "color", form.value("primary_colour"), form.error("primary_colour")))
                (field(v.t(T::AccentColour), "accent_colour", "color", form.value("accent_colour"), form.error("accent_colour")))
                (choice(&v, form, T::Font, "font", &FONTS))
                (choice(&v, form, T::Layout, "layout", &LAYOUTS))
                (field(v.t(T::CustomDomain), "custom_domain", "text", form.value("custom_domain"), form.error("custom_domain")))
                @if v.may(Access::Manage) { button type="submit" { (v.t(T::Save)) } }
            }
            section.card {
                h2 { (v.t(T::Preview)) }
                div #club-preview.club-preview data-default-name=(name)
                    style=(format!("--brand:{};--accent:{}", form.value("primary_colour"), form.value("accent_colour"))) {
                    div.preview-bar {
                        @if !form.value("logo_url").is_empty() { img.logo src=(form.value("logo_url")) alt=""; }
                        span.preview-name { (club) }
                    }
                    div.preview-body {
                        div.preview-tile { span.muted { (v.t(T::Points)) } strong { (v.num(1250)) } }
                        div.preview-progress { span {} }
                        span.preview-button { (v.t(T::Rewards)) }
                    }
                }
                p { a href=(format!("/club/{}", staff.ctx().slug)) target="_blank" { (v.t(T::OpenClub)) } }
            }
        }
    };
    layout::page(&v, Section::Settings, v.t(T::ClubLook), body)
}
