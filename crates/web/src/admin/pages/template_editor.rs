//! Writing message templates in the panel: a new template, and the edit form under a template's
//! preview. A template has a text per language (Persian and English here); an email version has
//! a subject and optionally HTML. The engine checks the variables and names each bad field.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::{FormState, count};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::message_templates::{TemplateInput, VersionInput};
use philia_domain::records::PromotionRecord;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use std::collections::{BTreeMap, HashMap};

const LANGUAGES: [(&str, &str); 2] = [("fa", "فارسی"), ("en", "English")];
const VERSION_FIELDS: [&str; 3] = ["subject", "body", "html"];

fn version_key(lang: &str, f: &str) -> String {
    format!("versions.{lang}.{f}")
}

/// Every field of the form by name, as stored.
pub fn stored(t: &TemplateInput) -> Vec<(String, String)> {
    let mut out = vec![
        ("code".to_string(), t.code.clone()),
        ("name".to_string(), t.name.clone()),
        ("channel".to_string(), t.channel.clone()),
        ("purpose".to_string(), t.purpose.clone().unwrap_or_default()),
        ("promotion".to_string(), t.promotion.clone().unwrap_or_default()),
        ("code_valid_days".to_string(), t.code_valid_days.map(|d| d.to_string()).unwrap_or_default()),
    ];
    for (lang, v) in &t.versions {
        out.push((version_key(lang, "subject"), v.subject.clone().unwrap_or_default()));
        out.push((version_key(lang, "body"), v.body.clone()));
        out.push((version_key(lang, "html"), v.html.clone().unwrap_or_default()));
    }
    out
}

fn parse(map: &HashMap<String, String>) -> Result<TemplateInput, EngineError> {
    let get = |k: &str| map.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let some = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let mut versions = BTreeMap::new();
    for (lang, _) in LANGUAGES {
        let body = map.get(&version_key(lang, "body")).cloned().unwrap_or_default();
        if body.trim().is_empty() && get(&version_key(lang, "subject")).is_empty() {
            continue;
        }
        versions.insert(
            lang.to_string(),
            VersionInput { subject: some(&version_key(lang, "subject")), body, html: some(&version_key(lang, "html")) },
        );
    }
    Ok(TemplateInput {
        code: get("code"),
        name: get("name"),
        channel: get("channel"),
        purpose: some("purpose"),
        promotion: some("promotion"),
        code_valid_days: count(&get("code_valid_days"), "code_valid_days")?,
        versions,
    })
}

/// The form; `action` is where it posts, and on an edit the code and channel stay as they are.
pub fn render_form(v: &View, form: &FormState, promotions: &[PromotionRecord], action: &str, editing: bool) -> Markup {
    let chosen = |name: &str, value: &str| form.value(name) == value;
    html! {
        form.card.template-form #template-form method="post" action=(action) {
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(v))
            div.inline {
                (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
                @if editing {
                    input type="hidden" name="code" value=(form.value("code"));
                    input type="hidden" name="channel" value=(form.value("channel"));
                    div.field { label { (v.t(T::Channel)) } code { (form.value("channel")) } }
                } @else {
                    (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code")))
                    div.field.invalid[form.error("channel").is_some()] {
                        label for="f-channel" { (v.t(T::Channel)) }
                        select #f-channel name="channel" {
                            option value="sms" selected[chosen("channel", "sms") || form.value("channel").is_empty()] { "SMS" }
                            option value="email" selected[chosen("channel", "email")] { (v.t(T::Email)) }
                            option value="push" selected[chosen("channel", "push")] { (v.t(T::Push)) }
                        }
                        @if let Some(e) = form.error("channel") { p.error role="alert" { (e) } }
                    }
                }
                div.field {
                    label for="f-purpose" { (v.t(T::Purpose)) }
                    select #f-purpose name="purpose" {
                        option value="marketing" selected[!chosen("purpose", "transactional")] { (v.t(T::PurposeMarketing)) }
                        option value="transactional" selected[chosen("purpose", "transactional")] { (v.t(T::PurposeTransactional)) }
                    }
                }
            }
            div.inline {
                div.field.invalid[form.error("promotion").is_some()] {
                    label for="f-promotion" { (v.t(T::PersonalCodeFrom)) }
                    select #f-promotion name="promotion" {
                        option value="" { "—" }
                        @for p in promotions {
                            option value=(p.promotion.code) selected[chosen("promotion", &p.promotion.code)] { (p.promotion.name) }
                        }
                    }
                    @if let Some(e) = form.error("promotion") { p.error role="alert" { (e) } }
                }
                (field(v.t(T::CodeValidDays), "code_valid_days", "text", form.value("code_valid_days"), form.error("code_valid_days")))
            }
            p.muted { small { (v.t(T::TemplateVariablesHint)) } }
            @if let Some(e) = form.error("versions") { p.error role="alert" { (e) } }
            @for (lang, label) in LANGUAGES {
                fieldset.version {
                    legend { (label) }
                    @for f in VERSION_FIELDS {
                        @let name = version_key(lang, f);
                        @let err = form.error(&name);
                        @let id = format!("f-{lang}-{f}");
                        div.field.invalid[err.is_some()] {
                            label for=(id) { (v.t(match f { "subject" => T::Subject, "body" => T::MessageBody, _ => T::HtmlBody })) }
                            @if f == "subject" {
                                input id=(id) name=(name) value=(form.value(&name)) dir=(if lang == "fa" { "rtl" } else { "ltr" })
                                    aria-invalid=[err.map(|_| "true")];
                            } @else {
                                textarea id=(id) name=(name) rows=(if f == "body" { "5" } else { "3" }) dir=(if lang == "fa" { "rtl" } else { "ltr" })
                                    aria-invalid=[err.map(|_| "true")] { (form.value(&name)) }
                            }
                            @if let Some(e) = err { p.error role="alert" { (e) } }
                        }
                    }
                }
            }
            button type="submit" { (v.t(T::Save)) }
        }
    }
}

async fn render_new(state: &AppState, staff: &Staff, form: &FormState) -> PanelResult<Markup> {
    let v = staff.view();
    let promotions = state.engine.promotions(staff.ctx()).await?;
    let body = html! {
        p { a href="/admin/messaging#templates" { (v.t(T::Templates)) } }
        (render_form(&v, form, &promotions, "/admin/messaging/templates", false))
    };
    Ok(layout::page(&v, Section::Messaging, v.t(T::NewTemplate), body))
}

pub async fn new(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    staff.require(Access::Write)?;
    render_new(&state, &staff, &FormState::default()).await
}

fn typed(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Errors about the versions as a whole (none given) are placed above them.
    out.push(("versions", ""));
    out
}

pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    let map: HashMap<String, String> = fields.iter().cloned().collect();
    let result = match parse(&map) {
        Ok(input) => state.engine.create_template(staff.ctx(), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(t) => Ok(Redirect::to(&format!("/admin/messaging/templates/{}?saved=1", t.template.code)).into_response()),
        Err(e) => {
            let form = FormState::refused(&staff.view(), &typed(&fields), e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_new(&state, &staff, &form).await?).into_response())
        }
    }
}

/// Saves the edit form; returns the refused form to draw under the preview on failure.
pub async fn update(
    state: &AppState,
    staff: &Staff,
    code: &str,
    fields: Vec<(String, String)>,
) -> PanelResult<Result<(), FormState>> {
    let mut map: HashMap<String, String> = fields.iter().cloned().collect();
    let before = state.engine.template(staff.ctx(), code).await?.template;
    map.insert("code".into(), before.code.clone());
    map.insert("channel".into(), before.channel.clone());
    let result = match parse(&map) {
        Ok(input) => state.engine.update_template(staff.ctx(), code, &input).await,
        Err(e) => Err(e),
    };
    Ok(result.map(|_| ()).map_err(|e| FormState::refused(&staff.view(), &typed(&fields), e)))
}
