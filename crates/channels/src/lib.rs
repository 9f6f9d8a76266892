//! Message providers behind one interface (SPEC E1): SMS through Kavenegar, IPPanel Edge or any
//! HTTP panel, email through SMTP or Mailgun. Each speaks its provider's real wire format and
//! sorts the provider's answers into what the sender must do next: record, retry, or give up.
//! Base URLs are settings, so tests point them at local servers that speak the same formats.

mod http_sms;
mod ippanel;
mod kavenegar;
mod mailgun;
mod secret;
mod smtp;
mod web_push;

pub use http_sms::{HttpSms, HttpSmsFormat};
pub use ippanel::Ippanel;
pub use kavenegar::Kavenegar;
pub use mailgun::Mailgun;
pub use secret::Secret;
pub use smtp::{Smtp, SmtpSecurity};
pub use web_push::{MAX_PAYLOAD as MAX_PUSH_PAYLOAD, PushTarget, WebPush, encrypt as encrypt_push};

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// An SMS to one number, in E.164 form (`+989121234567`).
#[derive(Debug, Clone)]
pub struct SmsMessage {
    pub to: String,
    pub text: String,
    /// A provider-side template (a one-time code): providers with a lookup API fill the template
    /// with these tokens; the others send `text`.
    pub lookup: Option<Lookup>,
}

#[derive(Debug, Clone)]
pub struct Lookup {
    pub template: String,
    pub tokens: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct EmailMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// What a provider said when it took a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accepted {
    /// The provider's id of the message, for delivery reports.
    pub provider_id: Option<String>,
    /// What the provider charged, in its own unit (Kavenegar: rials).
    pub cost: Option<i64>,
}

/// Where a sent message is, by the provider's delivery report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Still on its way (queued or handed to the operator).
    Pending,
    Delivered,
    Failed(String),
}

/// Why a message did not go, sorted by what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The number or address cannot receive messages: mark it and skip it from now on.
    #[error("invalid recipient: {0}")]
    BadRecipient(String),
    /// The provider refuses this message (its text, its template): do not send it again.
    #[error("refused: {0}")]
    Refused(String),
    /// The account or its settings are wrong (key, sender line, credit): try again later, as
    /// someone may fix them.
    #[error("provider settings: {0}")]
    Misconfigured(String),
    /// The provider could not be reached or asked to wait: try again later.
    #[error("unavailable: {0}")]
    Unavailable(String),
}

impl SendError {
    /// Whether sending the same message later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Misconfigured(_) | SendError::Unavailable(_))
    }
}

/// An SMS provider and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "provider", rename_all = "snake_case", deny_unknown_fields)]
pub enum SmsProvider {
    Kavenegar(Kavenegar),
    Ippanel(Ippanel),
    Http(HttpSms),
}

/// An email provider and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "provider", rename_all = "snake_case", deny_unknown_fields)]
pub enum EmailProvider {
    Smtp(Smtp),
    Mailgun(Mailgun),
}

/// A push provider and its settings: Web Push with the sender's VAPID key pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "provider", rename_all = "snake_case", deny_unknown_fields)]
pub enum PushProvider {
    WebPush(WebPush),
}

impl PushProvider {
    pub fn name(&self) -> &'static str {
        match self {
            PushProvider::WebPush(_) => "web_push",
        }
    }

    pub fn redacted(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("settings serialise");
        secret::redact(&mut v);
        v
    }

    pub fn problems(&self) -> Vec<(&'static str, String)> {
        match self {
            PushProvider::WebPush(w) => w.problems(),
        }
    }

    /// The key browsers subscribe with.
    pub fn public_key(&self) -> &str {
        match self {
            PushProvider::WebPush(w) => &w.public_key,
        }
    }
}

impl SmsProvider {
    pub fn name(&self) -> &'static str {
        match self {
            SmsProvider::Kavenegar(_) => "kavenegar",
            SmsProvider::Ippanel(_) => "ippanel",
            SmsProvider::Http(_) => "http",
        }
    }

    /// The settings with every secret replaced by whether it is set: safe to show and log.
    pub fn redacted(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("settings serialise");
        secret::redact(&mut v);
        v
    }

    /// The host and port requests go to, for checking that they can be reached.
    pub fn endpoint(&self) -> Option<(String, u16)> {
        match self {
            SmsProvider::Kavenegar(k) => url_endpoint(k.base()),
            SmsProvider::Ippanel(p) => url_endpoint(p.base()),
            SmsProvider::Http(h) => url_endpoint(&h.url),
        }
    }

    /// Problems with the settings, as (field, message).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        match self {
            SmsProvider::Kavenegar(k) => k.problems(),
            SmsProvider::Ippanel(p) => p.problems(),
            SmsProvider::Http(h) => h.problems(),
        }
    }
}

impl EmailProvider {
    pub fn name(&self) -> &'static str {
        match self {
            EmailProvider::Smtp(_) => "smtp",
            EmailProvider::Mailgun(_) => "mailgun",
        }
    }

    pub fn redacted(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("settings serialise");
        secret::redact(&mut v);
        v
    }

    /// The host and port mail goes to, for checking that they can be reached.
    pub fn endpoint(&self) -> Option<(String, u16)> {
        match self {
            EmailProvider::Smtp(s) => Some((s.host.clone(), s.port())),
            EmailProvider::Mailgun(m) => url_endpoint(m.base()),
        }
    }

    pub fn problems(&self) -> Vec<(&'static str, String)> {
        match self {
            EmailProvider::Smtp(s) => s.problems(),
            EmailProvider::Mailgun(m) => m.problems(),
        }
    }
}

/// The host and port of an http(s) address (the scheme's port when none is written).
fn url_endpoint(url: &str) -> Option<(String, u16)> {
    let u = reqwest::Url::parse(url).ok()?;
    Some((u.host_str()?.to_string(), u.port_or_known_default()?))
}

/// The senders: one HTTP client shared by every provider call.
#[derive(Clone)]
pub struct Channels {
    http: reqwest::Client,
}

impl Default for Channels {
    fn default() -> Self {
        Self::new()
    }
}

impl Channels {
    pub fn new() -> Self {
        // TLS uses ring; the process-wide provider is installed once, whoever comes first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("philia/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client builds");
        Channels { http }
    }

    pub async fn send_sms(&self, provider: &SmsProvider, message: &SmsMessage) -> Result<Accepted, SendError> {
        match provider {
            SmsProvider::Kavenegar(k) => k.send(&self.http, message).await,
            SmsProvider::Ippanel(p) => p.send(&self.http, message).await,
            SmsProvider::Http(h) => h.send(&self.http, message).await,
        }
    }

    pub async fn send_email(&self, provider: &EmailProvider, message: &EmailMessage) -> Result<Accepted, SendError> {
        match provider {
            EmailProvider::Smtp(s) => s.send(message).await,
            EmailProvider::Mailgun(m) => m.send(&self.http, message).await,
        }
    }

    /// POSTs a signed webhook delivery. `Ok` with the status of a 2xx answer; any other answer or
    /// a transport failure is an error the sender retries (`Refused` for a 4xx other than 408
    /// and 429, which retrying is unlikely to change).
    pub async fn post_webhook(&self, url: &str, body: String, headers: &[(&str, String)]) -> Result<u16, SendError> {
        let mut req = self.http.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let res = req.send().await.map_err(unreachable)?;
        let status = res.status();
        if status.is_success() {
            return Ok(status.as_u16());
        }
        let text = res.text().await.unwrap_or_default();
        Err(by_status(status, &text))
    }

    /// Sends one Web Push message to one browser.
    pub async fn send_push(&self, sender: &PushProvider, target: &PushTarget, payload: &[u8]) -> Result<Accepted, SendError> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        match sender {
            PushProvider::WebPush(w) => w.send(&self.http, target, payload, now).await,
        }
    }

    /// Delivery reports for messages sent through `provider`, by provider id; providers without
    /// a report API give none.
    pub async fn sms_delivery(&self, provider: &SmsProvider, ids: &[String]) -> Result<Vec<(String, Delivery)>, SendError> {
        match provider {
            SmsProvider::Kavenegar(k) => k.status(&self.http, ids).await,
            _ => Ok(Vec::new()),
        }
    }
}

/// Sorts a transport failure: nothing reached the provider, or its answer was cut off.
fn unreachable(e: reqwest::Error) -> SendError {
    SendError::Unavailable(if e.is_timeout() { "timed out".into() } else { e.without_url().to_string() })
}

/// Sorts an HTTP status without a readable body.
fn by_status(status: reqwest::StatusCode, body: &str) -> SendError {
    let text = format!("HTTP {}: {}", status.as_u16(), body.chars().take(200).collect::<String>());
    match status.as_u16() {
        401 | 403 => SendError::Misconfigured(text),
        408 | 429 => SendError::Unavailable(text),
        s if s >= 500 => SendError::Unavailable(text),
        _ => SendError::Refused(text),
    }
}

/// `+98912…` → `0912…`, other countries `+44…` → `0044…`: the form Iranian panels take.
pub fn national_form(e164: &str) -> String {
    match e164.strip_prefix("+98") {
        Some(rest) => format!("0{rest}"),
        None => match e164.strip_prefix('+') {
            Some(rest) => format!("00{rest}"),
            None => e164.to_string(),
        },
    }
}
