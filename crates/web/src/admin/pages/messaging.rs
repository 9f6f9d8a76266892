//! Messaging settings: the SMS and email providers with their keys (never shown back), the
//! delivery rules (quiet hours, frequency caps), and the message templates with a preview.

use super::{http_sms, template_editor};
use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::forms::SavedQuery;
use crate::admin::forms::{count, number};
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::messaging::DeliveryRulesInput;
use philia_domain::roles::Access;
use philia_engine::EngineError;
use philia_engine::message_templates::PreviewInput;
use philia_engine::messaging::ChannelView;
use serde::Deserialize;
use serde_json::json;

#[derive(Default)]
struct Forms {
    sms: FormState,
    email: FormState,
    push: FormState,
    rules: Option<FormState>,
    saved: bool,
}

fn current(v: &View, view: Option<&ChannelView>) -> Markup {
    html! {
        p.muted.current {
            @match view {
                Some(c) if c.owner == "platform" => { (v.t(T::UsingPlatform)) " (" (c.provider) ")" }
                Some(c) => {
                    (v.t(T::Provider)) ": " strong { (c.provider) }
                    @for (k, val) in c.settings.as_object().into_iter().flatten() {
                        @if k.ends_with("_set") && val == &json!(true) { " · " (k.trim_end_matches("_set")) " " (v.t(T::SecretIsSet)) }
                    }
                }
                None => { (v.t(T::NotConnected)) }
            }
        }
    }
}

pub(super) fn select(label: &str, name: &str, options: &[(&str, &str)], chosen: &str) -> Markup {
    html! {
        div.field {
            label for=(format!("f-{name}")) { (label) }
            select id=(format!("f-{name}")) name=(name) {
                @for (value, text) in options { option value=(value) selected[*value == chosen] { (text) } }
            }
        }
    }
}

pub(crate) async fn channel_view(state: &AppState, staff: &Staff, channel: &str) -> PanelResult<Option<ChannelView>> {
    match state.engine.channel(Some(staff.ctx()), channel).await {
        Ok(v) => Ok(Some(v)),
        Err(EngineError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The page with the push card's refused form.
pub(crate) async fn render_push_refused(state: &AppState, staff: &Staff, push: FormState) -> PanelResult<Markup> {
    render(state, staff, Forms { push, ..Forms::default() }).await
}

async fn render(state: &AppState, staff: &Staff, forms: Forms) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let sms = channel_view(state, staff, "sms").await?;
    let email = channel_view(state, staff, "email").await?;
    let push = super::push_channel::card(state, staff, &forms.push).await?;
    let rules = state.engine.delivery_rules(ctx).await?;
    let templates = state.engine.templates(ctx).await?;
    let manage = v.may(Access::Manage);
    let chosen = |f: &FormState, stored: Option<&ChannelView>, fallback: &'static str| -> String {
        match f.value("provider") {
            "" => stored.filter(|c| c.owner == "tenant").map(|c| c.provider.clone()).unwrap_or(fallback.into()),
            typed => typed.to_string(),
        }
    };
    let stored = |view: Option<&ChannelView>, key: &str| -> String {
        view.filter(|c| c.owner == "tenant").and_then(|c| c.settings.get(key)).and_then(|x| x.as_str()).unwrap_or("").to_string()
    };
    let val = |f: &FormState, view: Option<&ChannelView>, key: &str, stored_key: &str| -> String {
        match f.value(key) {
            "" => stored(view, stored_key),
            typed => typed.to_string(),
        }
    };
    let r = forms.rules.clone().unwrap_or_else(|| {
        FormState::filled(&[
            ("quiet_start", rules.quiet_start.as_deref().unwrap_or("")),
            ("quiet_end", rules.quiet_end.as_deref().unwrap_or("")),
            ("max_per_day", &rules.max_per_day.map(|n| n.to_string()).unwrap_or_default()),
            ("max_per_week", &rules.max_per_week.map(|n| n.to_string()).unwrap_or_default()),
        ])
    });
    let body = html! {
        @if forms.saved { (layout::notice(v.t(T::Saved), false)) }
        div.toolbar {
            a.button href="/admin/campaigns" { (v.t(T::Campaigns)) }
            a.button href="/admin/automations" { (v.t(T::Automations)) }
        }
        div.grid {
            section.card #sms {
                h2 { (v.t(T::SmsProvider)) }
                (current(&v, sms.as_ref()))
                @if let Some(path) = sms.as_ref().and_then(|c| c.inbound_path.as_ref()) {
                    p.muted { small { (v.t(T::InboundHook)) ": " code { (path) } } }
                }
                @if manage {
                    form.sms-form method="post" action="/admin/messaging/sms" {
                        @if let Some(g) = &forms.sms.general { (layout::notice(g, true)) }
                        (csrf_field(&v))
                        (select(v.t(T::Provider), "provider", &[("kavenegar", "Kavenegar"), ("ippanel", "IPPanel / FarazSMS"), ("http", v.t(T::AnyHttpPanel))], &chosen(&forms.sms, sms.as_ref(), "kavenegar")))
                        (field(v.t(T::ApiKey), "api_key", "password", "", forms.sms.error("api_key")))
                        p.muted { small { (v.t(T::KeepSecret)) } }
                        (field(v.t(T::SenderLine), "sender", "text", &val(&forms.sms, sms.as_ref(), "sender", "sender"), forms.sms.error("sender").or(forms.sms.error("from_number"))))
                        div.named-panel { (field(v.t(T::BaseUrl), "base_url", "url", &val(&forms.sms, sms.as_ref(), "base_url", "base_url"), forms.sms.error("base_url"))) }
                        (http_sms::fields(&v, &forms.sms, sms.as_ref().filter(|c| c.owner == "tenant" && c.provider == "http")))
                        button type="submit" { (v.t(T::Save)) }
                    }
                }
            }
            section.card #email {
                h2 { (v.t(T::EmailProvider)) }
                (current(&v, email.as_ref()))
                @if manage {
                    form method="post" action="/admin/messaging/email" {
                        @if let Some(g) = &forms.email.general { (layout::notice(g, true)) }
                        (csrf_field(&v))
                        (select(v.t(T::Provider), "provider", &[("smtp", "SMTP"), ("mailgun", "Mailgun")], &chosen(&forms.email, email.as_ref(), "smtp")))
                        (field(v.t(T::FromAddress), "from", "text", &val(&forms.email, email.as_ref(), "from", "from"), forms.email.error("from")))
                        (field(&format!("{} (SMTP)", v.t(T::Host)), "host", "text", &val(&forms.email, email.as_ref(), "host", "host"), forms.email.error("host")))
                        div.inline {
                            (field(v.t(T::Port), "port", "text", forms.email.value("port"), forms.email.error("port")))
                            (select(v.t(T::Security), "security", &[("starttls", "STARTTLS"), ("tls", "TLS"), ("none", "—")], forms.email.value("security")))
                        }
                        (field(v.t(T::Username), "username", "text", &val(&forms.email, email.as_ref(), "username", "username"), forms.email.error("username")))
                        (field(&format!("{} (Mailgun)", v.t(T::Domain)), "domain", "text", &val(&forms.email, email.as_ref(), "domain", "domain"), forms.email.error("domain")))
                        @let ca_error = forms.email.error("ca_certificate");
                        div.field.invalid[ca_error.is_some()] {
                            label for="f-ca_certificate" { (v.t(T::OwnCertificate)) }
                            textarea #f-ca_certificate name="ca_certificate" rows="3" dir="ltr" placeholder="-----BEGIN CERTIFICATE-----" {
                                (val(&forms.email, email.as_ref(), "ca_certificate", "ca_certificate"))
                            }
                            @if let Some(e) = ca_error { p.error role="alert" { (e) } }
                        }
                        (field(&format!("{} / {}", v.t(T::Password), v.t(T::ApiKey)), "secret", "password", "", forms.email.error("password").or(forms.email.error("api_key"))))
                        p.muted { small { (v.t(T::KeepSecret)) } }
                        button type="submit" { (v.t(T::Save)) }
                    }
                }
            }
            (push)
            section.card #delivery-rules {
                h2 { (v.t(T::DeliveryRules)) }
                form method="post" action="/admin/messaging/rules" {
                    @if let Some(g) = &r.general { (layout::notice(g, true)) }
                    (csrf_field(&v))
                    div.inline {
                        (field(v.t(T::QuietStart), "quiet_start", "text", r.value("quiet_start"), r.error("quiet_start")))
                        (field(v.t(T::QuietEnd), "quiet_end", "text", r.value("quiet_end"), r.error("quiet_end")))
                    }
                    p.muted { small { (v.t(T::QuietHint)) } }
                    (field(v.t(T::MaxPerDay), "max_per_day", "text", r.value("max_per_day"), r.error("max_per_day")))
                    (field(v.t(T::MaxPerWeek), "max_per_week", "text", r.value("max_per_week"), r.error("max_per_week")))
                    @if manage { button type="submit" { (v.t(T::Save)) } }
                }
            }
        }
        section.card #templates {
            h2 { (v.t(T::Templates)) }
            @if v.may(Access::Write) { p { a.button href="/admin/messaging/templates/new" { (v.t(T::NewTemplate)) } } }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Code)) } th { (v.t(T::Channel)) } th { (v.t(T::Purpose)) } th {} } }
                tbody { @for t in &templates { tr {
                    td { (t.template.name) } td { code { (t.template.code) } } td { (t.template.channel) }
                    td { (t.template.purpose.as_deref().unwrap_or("")) }
                    td { a href=(format!("/admin/messaging/templates/{}", t.template.code)) { (v.t(T::Preview)) } }
                } } }
            } }
        }
    };
    Ok(layout::page(&v, Section::Messaging, v.t(T::Messaging), body))
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<SavedQuery>) -> PanelResult<Markup> {
    render(&state, &staff, Forms { saved: q.is_saved(), ..Forms::default() }).await
}

#[derive(Deserialize)]
pub struct SmsForm {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    sender: String,
    #[serde(default)]
    base_url: String,
    #[serde(flatten)]
    http: http_sms::HttpSmsForm,
}

pub(super) fn optional(text: &str) -> serde_json::Value {
    if text.trim().is_empty() { serde_json::Value::Null } else { json!(text.trim()) }
}

pub async fn save_sms(State(state): State<AppState>, staff: Staff, Form(f): Form<SmsForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let settings = match f.provider.as_str() {
        "ippanel" => Ok(
            json!({"provider": "ippanel", "api_key": f.api_key, "from_number": f.sender.trim(), "base_url": optional(&f.base_url)}),
        ),
        "http" => http_sms::settings(&f.http, &f.api_key, &f.sender),
        _ => Ok(
            json!({"provider": "kavenegar", "api_key": f.api_key, "sender": optional(&f.sender), "base_url": optional(&f.base_url)}),
        ),
    };
    let saved = match settings {
        Ok(settings) => state.engine.set_channel(Some(staff.ctx()), "sms", settings).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(Redirect::to("/admin/messaging?saved=1#sms").into_response()),
        Err(e) => {
            let mut typed = vec![
                ("provider", f.provider.as_str()),
                ("sender", &f.sender),
                ("from_number", &f.sender),
                ("base_url", &f.base_url),
                ("api_key", ""),
            ];
            typed.extend(f.http.typed());
            let sms = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&state, &staff, Forms { sms, ..Forms::default() }).await?)
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    provider: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    ca_certificate: String,
}

pub async fn save_email(State(state): State<AppState>, staff: Staff, Form(f): Form<EmailForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let result = match number(&f.port, "port") {
        Err(e) => Err(e),
        Ok(port) => {
            let settings = match f.provider.as_str() {
                "mailgun" => {
                    json!({"provider": "mailgun", "domain": f.domain.trim(), "api_key": f.secret, "from": f.from.trim()})
                }
                _ => json!({
                    "provider": "smtp", "host": f.host.trim(), "port": port, "security": if f.security.is_empty() { "starttls" } else { f.security.as_str() },
                    "username": optional(&f.username), "password": optional(&f.secret), "from": f.from.trim(),
                    "ca_certificate": optional(&f.ca_certificate),
                }),
            };
            state.engine.set_channel(Some(staff.ctx()), "email", settings).await.map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/messaging?saved=1#email").into_response()),
        Err(e) => {
            let typed = [
                ("provider", f.provider.as_str()),
                ("from", &f.from),
                ("host", &f.host),
                ("port", &f.port),
                ("security", &f.security),
                ("username", &f.username),
                ("domain", &f.domain),
                ("ca_certificate", &f.ca_certificate),
                ("password", ""),
                ("api_key", ""),
            ];
            let email = FormState::refused(&staff.view(), &typed, e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&state, &staff, Forms { email, ..Forms::default() }).await?)
                .into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    quiet_start: String,
    #[serde(default)]
    quiet_end: String,
    #[serde(default)]
    max_per_day: String,
    #[serde(default)]
    max_per_week: String,
}

pub async fn save_rules(State(state): State<AppState>, staff: Staff, Form(f): Form<RulesForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let parsed = (|| {
        Ok::<_, EngineError>(DeliveryRulesInput {
            quiet_start: Some(f.quiet_start.trim().to_string()).filter(|s| !s.is_empty()),
            quiet_end: Some(f.quiet_end.trim().to_string()).filter(|s| !s.is_empty()),
            max_per_day: count(&f.max_per_day, "max_per_day")?,
            max_per_week: count(&f.max_per_week, "max_per_week")?,
        })
    })();
    let result = match parsed {
        Ok(input) => state.engine.set_delivery_rules(staff.ctx(), &input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/messaging?saved=1#delivery-rules").into_response()),
        Err(e) => {
            let typed = [
                ("quiet_start", f.quiet_start.as_str()),
                ("quiet_end", &f.quiet_end),
                ("max_per_day", &f.max_per_day),
                ("max_per_week", &f.max_per_week),
            ];
            let rules = FormState::refused(&staff.view(), &typed, e);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&state, &staff, Forms { rules: Some(rules), ..Forms::default() }).await?,
            )
                .into_response())
        }
    }
}

#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    customer: Option<String>,
    lang: Option<String>,
    saved: Option<String>,
}

pub async fn template(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<PreviewQuery>,
) -> PanelResult<Markup> {
    render_template(&state, &staff, &code, &q, None).await
}

/// Saves a template's edit form and returns to its preview, or shows the form with its errors.
pub async fn save_template(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PanelResult<Response> {
    match template_editor::update(&state, &staff, &code, fields).await? {
        Ok(()) => Ok(Redirect::to(&format!("/admin/messaging/templates/{code}?saved=1")).into_response()),
        Err(form) => {
            let page = render_template(&state, &staff, &code, &PreviewQuery::default(), Some(form)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn render_template(
    state: &AppState,
    staff: &Staff,
    code: &str,
    q: &PreviewQuery,
    form: Option<FormState>,
) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let (t, promotions) = tokio::try_join!(state.engine.template(ctx, code), state.engine.promotions(ctx))?;
    let customer = q.customer.as_deref().and_then(|c| philia_domain::digits::ascii_digits(c.trim()).parse::<i64>().ok());
    let language = q.lang.clone().filter(|l| !l.is_empty());
    let preview = state
        .engine
        .preview_template(ctx, code, &PreviewInput { customer_id: customer, language, data: None })
        .await
        .map_err(|e| crate::admin::failure::PanelError::from(e).message(v.lang).to_string());
    let form = form.unwrap_or_else(|| {
        let stored = template_editor::stored(&t.template);
        FormState::filled(&stored.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>())
    });
    let body = html! {
        @if q.saved.is_some() { (layout::notice(v.t(T::Saved), false)) }
        form.card.inline method="get" {
            div.field { label for="f-customer" { (v.t(T::OtherCustomerId)) } input #f-customer name="customer" value=(q.customer.as_deref().unwrap_or("")) size="10"; }
            (select(v.t(T::Language), "lang", &[("", "—"), ("fa", "فارسی"), ("en", "English")], q.lang.as_deref().unwrap_or("")))
            div.field { button type="submit" { (v.t(T::Preview)) } }
        }
        @match &preview {
            Ok(p) => {
                section.card #preview {
                    @if let Some(s) = &p.rendered.subject { h2 { (s) } }
                    pre dir=(if p.rendered.language == "fa" { "rtl" } else { "ltr" }) style="white-space: pre-wrap" { (p.rendered.body) }
                    @if let Some(sms) = &p.sms {
                        p.muted { (v.num(sms.characters as i64)) " " (v.t(T::Characters)) " · " (v.num(sms.parts as i64)) " " (v.t(T::SmsParts)) " · " (sms.encoding) }
                    }
                }
            }
            Err(e) => { (layout::notice(e, true)) }
        }
        p.muted { (t.template.channel) " · " code { (t.template.code) } }
        @if v.may(Access::Write) {
            h2 { (v.t(T::EditTemplate)) }
            (template_editor::render_form(&v, &form, &promotions, &format!("/admin/messaging/templates/{code}"), true))
        }
    };
    Ok(layout::page(&v, Section::Messaging, &t.template.name, body))
}
