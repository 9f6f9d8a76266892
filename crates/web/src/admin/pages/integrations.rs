//! Connections to shops (owners and admins): make one and get its delivery address and secret,
//! the WooCommerce steps in the shop's own words, API keys for bringing in history and for
//! reconciliation, pausing, a new secret, and the delivery log with a retry for failed ones.

use crate::AppState;
use crate::admin::failure::PanelResult;
use crate::admin::forms::FormState;
use crate::admin::layout::{self, Section, csrf_field, field};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::connections::ConnectionInput;
use philia_domain::roles::Access;
use philia_engine::connections::ConnectionView;
use serde::Deserialize;

fn instant(v: &View, ms: Option<i64>) -> String {
    match ms.and_then(|m| jiff::Timestamp::from_millisecond(m).ok()) {
        Some(t) => v.date_time(&t.to_string()),
        None => "—".into(),
    }
}

fn status_word(v: &View, status: &str) -> &'static str {
    match status {
        "queued" | "processing" => v.t(T::DeliveryQueued),
        "applied" => v.t(T::DeliveryApplied),
        "skipped" => v.t(T::DeliverySkipped),
        "failed" => v.t(T::DeliveryFailed),
        "rejected" => v.t(T::DeliveryRejected),
        "paused" => v.t(T::Paused),
        _ => v.t(T::Active),
    }
}

fn delivery_url(state: &AppState, c: &ConnectionView) -> String {
    format!("{}{}", state.engine.public_url.as_deref().unwrap_or(""), c.delivery_path)
}

fn counts(v: &View, pairs: &[(String, i64)]) -> String {
    pairs.iter().map(|(k, n)| format!("{} {}", status_word(v, k), v.num(*n))).collect::<Vec<_>>().join(" · ")
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> PanelResult<Markup> {
    render_list(&state, &staff, FormState::default()).await
}

async fn render_list(state: &AppState, staff: &Staff, form: FormState) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let v = staff.view();
    let connections = state.engine.connections(staff.ctx()).await?;
    let body = html! {
        section.card {
            h2 { (v.t(T::Integrations)) }
            @if connections.is_empty() { p.muted { (v.t(T::NoConnections)) } } @else {
                div.table-wrap { table #connections {
                    thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Code)) } th { (v.t(T::Status)) } th { (v.t(T::LastDelivery)) } th { (v.t(T::Deliveries)) } } }
                    tbody { @for c in &connections { tr {
                        td { a href=(format!("/admin/integrations/{}", c.code)) { (c.name) } }
                        td dir="ltr" { code { (c.code) } }
                        td { (status_word(&v, &c.status)) }
                        td { (instant(&v, c.last_delivery_at)) }
                        td { (counts(&v, &c.deliveries)) }
                    } } }
                } }
            }
        }
        form.card #new-connection method="post" action="/admin/integrations" {
            h2 { (v.t(T::NewConnection)) }
            @if let Some(g) = &form.general { (layout::notice(g, true)) }
            (csrf_field(&v))
            div.inline {
                label { (v.t(T::ShopSystem))
                    select name="kind" {
                        @for (value, label) in [("woocommerce", "WooCommerce"), ("shopify", "Shopify"), ("sepidar", "سپیدار / Sepidar"), ("feed", "فایل حسابداری / Accounting feed")] {
                            option value=(value) selected[form.value("kind") == value] { (label) }
                        }
                    }
                }
                (field(v.t(T::Name), "name", "text", form.value("name"), form.error("name")))
                (field(v.t(T::Code), "code", "text", form.value("code"), form.error("code")))
                (field(v.t(T::WebhookSecretOptional), "secret", "text", "", form.error("secret")))
            }
            p.muted { small { (v.t(T::ConnectionCodeHint)) } }
            button type="submit" { (v.t(T::Add)) }
        }
    };
    Ok(layout::page(&v, Section::Settings, v.t(T::Integrations), body))
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    secret: String,
}

pub async fn create(State(state): State<AppState>, staff: Staff, Form(f): Form<NewForm>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let input = ConnectionInput {
        kind: if f.kind.is_empty() { "woocommerce".into() } else { f.kind.clone() },
        code: f.code.clone(),
        name: Some(f.name.clone()),
        secret: Some(f.secret.clone()),
        ..Default::default()
    };
    match state.engine.create_connection(staff.ctx(), &input).await {
        // The secret is shown in this answer only, not behind a redirect.
        Ok(made) => {
            Ok(render_one(&state, &staff, &made.connection.code, Shown { secret: Some(made.secret), ..Default::default() })
                .await?
                .into_response())
        }
        Err(e) => {
            let form = FormState::refused(&staff.view(), &[("kind", &f.kind), ("name", &f.name), ("code", &f.code)], e);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_list(&state, &staff, form).await?).into_response())
        }
    }
}

#[derive(Default)]
pub(super) struct Shown {
    pub(super) secret: Option<String>,
    pub(super) access: FormState,
    pub(super) failed_only: bool,
    pub(super) saved: bool,
    /// An accounting feed's mapping form as typed (the saved mapping when absent).
    pub(super) feed_form: Option<FormState>,
    pub(super) preview: Option<philia_engine::feed::FeedPreview>,
}

#[derive(Deserialize, Default)]
pub struct LogQuery {
    status: Option<String>,
    saved: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<LogQuery>,
) -> PanelResult<Markup> {
    let shown = Shown { failed_only: q.status.as_deref() == Some("failed"), saved: q.saved.is_some(), ..Default::default() };
    render_one(&state, &staff, &code, shown).await
}

pub(super) async fn render_one(state: &AppState, staff: &Staff, code: &str, shown: Shown) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let v = staff.view();
    let c = state.engine.connection(staff.ctx(), code).await?;
    let status = shown.failed_only.then_some("failed");
    let log = state.engine.deliveries(staff.ctx(), code, status, None, 50).await?;
    let base = format!("/admin/integrations/{}", c.code);
    let backfill = c.sync.get("backfill");
    let a = &shown.access;
    let (shopify, sepidar, feed) = (c.kind == "shopify", c.kind == "sepidar", c.kind == "feed");
    let feed_part = if feed {
        let saved = state.engine.feed_mapping_of(staff.ctx(), code).await?;
        let form = shown.feed_form.clone().unwrap_or_else(|| super::feed::filled(saved.as_ref()));
        Some(super::feed::section(&v, state.engine.public_url.as_deref().unwrap_or(""), &c, &form, shown.preview.as_ref()))
    } else {
        None
    };
    // Only a WooCommerce shop signs with a secret Philia makes; Shopify chooses its own and
    // Sepidar is read, not delivered from.
    let mut actions = vec![if c.status == "active" { ("pause", T::Pause) } else { ("resume", T::Resume) }];
    if !shopify && !sepidar && !feed {
        actions.push(("secret", T::NewSecret));
    }
    let body = html! {
        @if shown.saved { (layout::notice(v.t(T::Saved), false)) }
        div.toolbar { a.button href="/admin/integrations" { (v.t(T::Back)) } }
        section.card #connection {
            h2 { (c.name) " · " (status_word(&v, &c.status)) }
            @if !sepidar && !feed { p { (v.t(T::DeliveryUrl)) ": " code #delivery-url dir="ltr" { (delivery_url(state, &c)) } } }
            @if let Some(secret) = &shown.secret {
                div.notice role="status" { (v.t(T::SecretShownOnce)) ": " code #issued-secret dir="ltr" { (secret) } }
            }
            p { (v.t(T::RecordsBrought)) ": " (counts(&v, &c.records)) }
            p { (v.t(T::Deliveries)) ": " (counts(&v, &c.deliveries)) }
            @if let Some(b) = backfill {
                p #backfill { (v.t(T::BackfillProgress)) ": " (b["state"].as_str().unwrap_or("")) " · " (b["resource"].as_str().unwrap_or(""))
                    " · " (v.num(b["queued"].as_i64().unwrap_or(0)))
                    @if let Some(e) = b["error"].as_str() { " · " span.error { (e) } } }
            }
            p { (v.t(T::LastReconciled)) ": " (instant(&v, c.sync.get("reconciled_at").and_then(|x| x.as_i64()))) }
            div.inline {
                @for (action, label) in &actions {
                    form method="post" action=(format!("{base}/{action}")) { (csrf_field(&v)) button.secondary type="submit" { (v.t(*label)) } }
                }
                @if c.store_url.is_some() {
                    form method="post" action=(format!("{base}/backfill")) { (csrf_field(&v)) button type="submit" { (v.t(if sepidar { T::ReadNow } else { T::StartBackfill })) } }
                }
            }
        }
        @if let Some(part) = feed_part {
            (part)
        } @else if sepidar {
            section.card #setup {
                h2 { (v.t(T::SepidarSetupTitle)) }
                ol { li { (v.t(T::SepidarStep1)) } li { (v.t(T::SepidarStep2)) } li { (v.t(T::SepidarStep3)) } }
                @if let Some(e) = c.sync.get("reconcile_error").and_then(|e| e.as_str()) { p.error { (e) } }
            }
            form.card #access method="post" action=(format!("{base}/access")) {
                h2 { (v.t(T::SepidarAccessTitle)) }
                @if let Some(g) = &a.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                div.inline {
                    (field(v.t(T::ServiceUrl), "store_url", "url", if a.value("store_url").is_empty() { c.store_url.as_deref().unwrap_or("") } else { a.value("store_url") }, a.error("store_url")))
                    (field(v.t(T::DeviceSerial), "device_serial", "text", a.value("device_serial"), a.error("device_serial")))
                    (field(v.t(T::UserName), "username", "text", a.value("username"), a.error("username")))
                    (field(v.t(T::Password), "password", "password", "", a.error("password")))
                }
                p.muted { small { (v.t(T::KeysKeptSealed)) } }
                button type="submit" { (v.t(T::Save)) }
            }
        } @else if shopify {
            section.card #setup {
                h2 { (v.t(T::ShopifySetupTitle)) }
                ol { li { (v.t(T::ShopifyStep1)) } li { (v.t(T::ShopifyStep2)) } li { (v.t(T::ShopifyStep3)) } li { (v.t(T::ShopifyStep4)) } }
            }
            form.card #access method="post" action=(format!("{base}/access")) {
                h2 { (v.t(T::SigningKey)) }
                @if let Some(g) = &a.general { (layout::notice(g, true)) }
                (csrf_field(&v))
                (field(v.t(T::SigningKey), "secret", "password", "", a.error("secret")))
                p.muted { small { (v.t(T::KeysKeptSealed)) } }
                button type="submit" { (v.t(T::Save)) }
            }
        } @else {
        section.card #setup {
            h2 { (v.t(T::WooSetupTitle)) }
            ol { li { (v.t(T::WooStep1)) } li { (v.t(T::WooStep2)) } li { (v.t(T::WooStep3)) } li { (v.t(T::WooStep4)) } }
        }
        form.card #access method="post" action=(format!("{base}/access")) {
            h2 { (v.t(T::ApiAccess)) }
            @if let Some(g) = &a.general { (layout::notice(g, true)) }
            (csrf_field(&v))
            div.inline {
                (field(v.t(T::StoreUrl), "store_url", "url", if a.value("store_url").is_empty() { c.store_url.as_deref().unwrap_or("") } else { a.value("store_url") }, a.error("store_url")))
                (field(v.t(T::ConsumerKey), "consumer_key", "text", "", a.error("consumer_key")))
                (field(v.t(T::ConsumerSecret), "consumer_secret", "password", "", a.error("consumer_secret")))
            }
            p.muted { small { (v.t(T::KeysKeptSealed)) } }
            button type="submit" { (v.t(T::Save)) }
        }
        }
        section.card #deliveries {
            h2 { (v.t(T::Deliveries)) }
            div.toolbar { a href=(if shown.failed_only { base.clone() } else { format!("{base}?status=failed") }) { (if shown.failed_only { v.t(T::Deliveries) } else { v.t(T::OnlyFailed) }) } }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Received)) } th { (v.t(T::Topic)) } th { (v.t(T::Status)) } th { (v.t(T::Outcome)) } th {} } }
                tbody { @for d in &log { tr {
                    td { (instant(&v, Some(d.received_at))) }
                    td dir="ltr" { (d.topic) }
                    td { (status_word(&v, &d.status)) }
                    td dir="ltr" { small { (d.outcome.as_deref().unwrap_or("")) } }
                    td { @if d.status == "failed" {
                        form method="post" action=(format!("{base}/deliveries/{}/retry", d.id)) { (csrf_field(&v)) button.link type="submit" { (v.t(T::Retry)) } }
                    } }
                } } }
            } }
        }
    };
    Ok(layout::page(&v, Section::Settings, &c.name, body))
}

#[derive(Deserialize)]
pub struct AccessForm {
    #[serde(default)]
    store_url: String,
    #[serde(default)]
    consumer_key: String,
    #[serde(default)]
    consumer_secret: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    device_serial: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn save_access(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Form(f): Form<AccessForm>,
) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    let input = ConnectionInput {
        store_url: Some(f.store_url.clone()),
        consumer_key: Some(f.consumer_key),
        consumer_secret: Some(f.consumer_secret),
        secret: Some(f.secret),
        device_serial: Some(f.device_serial.clone()),
        username: Some(f.username.clone()),
        password: Some(f.password),
        ..Default::default()
    };
    match state.engine.set_connection_access(staff.ctx(), &code, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/integrations/{code}?saved=1")).into_response()),
        Err(e) => {
            let kept = [("store_url", f.store_url.as_str()), ("device_serial", &f.device_serial), ("username", &f.username)];
            let access = FormState::refused(&staff.view(), &kept, e);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render_one(&state, &staff, &code, Shown { access, ..Default::default() }).await?,
            )
                .into_response())
        }
    }
}

pub async fn backfill(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    match state.engine.start_backfill(staff.ctx(), &code).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/integrations/{code}?saved=1")).into_response()),
        Err(e) => {
            let access = FormState::refused(&staff.view(), &[], e);
            Ok((StatusCode::CONFLICT, render_one(&state, &staff, &code, Shown { access, ..Default::default() }).await?)
                .into_response())
        }
    }
}

pub async fn pause(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.set_connection_status(staff.ctx(), &code, false).await?;
    Ok(Redirect::to(&format!("/admin/integrations/{code}?saved=1")).into_response())
}

pub async fn resume(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.set_connection_status(staff.ctx(), &code, true).await?;
    Ok(Redirect::to(&format!("/admin/integrations/{code}?saved=1")).into_response())
}

pub async fn new_secret(State(state): State<AppState>, staff: Staff, Path(code): Path<String>) -> PanelResult<Markup> {
    staff.require(Access::Manage)?;
    let made = state.engine.rotate_connection_secret(staff.ctx(), &code).await?;
    render_one(&state, &staff, &code, Shown { secret: Some(made.secret), ..Default::default() }).await
}

pub async fn retry(State(state): State<AppState>, staff: Staff, Path((code, id)): Path<(String, i64)>) -> PanelResult<Response> {
    staff.require(Access::Manage)?;
    state.engine.retry_delivery(staff.ctx(), &code, id).await?;
    Ok(Redirect::to(&format!("/admin/integrations/{code}?saved=1#deliveries")).into_response())
}
