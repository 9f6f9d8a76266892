//! Outgoing webhooks (SPEC H4): a tenant's endpoints, the topics each receives, and the signature
//! every delivery carries so the receiver can tell it came from here, unchanged.

use crate::issue::{Checker, Invalid, Issue, optional_text};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What an endpoint can receive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A new invoice (a sale; refunds arrive as their own invoices' refund events).
    InvoiceCreated,
    /// A new customer profile.
    CustomerCreated,
    /// Events of one type, custom or the system's (`tier_changed`, `mission_completed`, …).
    Event(String),
    /// Every event.
    AnyEvent,
    /// Two profiles merged into one.
    CustomerMerged,
    /// Ledger entries of one kind (`points.earned`, `points.spent`, `points.expired`, …).
    Points(String),
    /// Every ledger entry.
    AnyPoints,
}

/// Ledger entry kinds and the names their topics use.
const LEDGER: [(&str, &str); 7] = [
    ("earn", "earned"),
    ("spend", "spent"),
    ("expire", "expired"),
    ("adjust", "adjusted"),
    ("reverse", "reversed"),
    ("return", "returned"),
    ("transfer", "transferred"),
];

/// The topic name of a ledger entry kind: `earn` → `points.earned`.
pub fn points_topic(kind: &str) -> String {
    let name = LEDGER.iter().find(|(k, _)| *k == kind).map_or(kind, |(_, n)| n);
    format!("points.{name}")
}

impl Topic {
    pub fn parse(input: &str) -> Result<Topic, Issue> {
        let t = input.trim();
        match t {
            "invoice.created" => Ok(Topic::InvoiceCreated),
            "customer.created" => Ok(Topic::CustomerCreated),
            "customer.merged" => Ok(Topic::CustomerMerged),
            "event.*" => Ok(Topic::AnyEvent),
            "points.*" => Ok(Topic::AnyPoints),
            _ if t.starts_with("points.") => LEDGER
                .iter()
                .find(|(_, name)| Some(*name) == t.strip_prefix("points."))
                .map(|(kind, _)| Topic::Points(kind.to_string()))
                .ok_or_else(unknown_topic),
            _ => match t.strip_prefix("event.") {
                Some(kind)
                    if !kind.is_empty()
                        && kind.len() <= 60
                        && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
                {
                    Ok(Topic::Event(kind.to_string()))
                }
                _ => Err(unknown_topic()),
            },
        }
    }

    pub fn name(&self) -> String {
        match self {
            Topic::InvoiceCreated => "invoice.created".into(),
            Topic::CustomerCreated => "customer.created".into(),
            Topic::Event(kind) => format!("event.{kind}"),
            Topic::AnyEvent => "event.*".into(),
            Topic::CustomerMerged => "customer.merged".into(),
            Topic::Points(kind) => points_topic(kind),
            Topic::AnyPoints => "points.*".into(),
        }
    }

    /// Whether this subscription takes a ledger entry of `kind`.
    pub fn takes_entry(&self, kind: &str) -> bool {
        matches!(self, Topic::AnyPoints) || matches!(self, Topic::Points(k) if k == kind)
    }

    /// Whether this subscription takes an event of `kind`.
    pub fn takes_event(&self, kind: &str) -> bool {
        matches!(self, Topic::AnyEvent) || matches!(self, Topic::Event(k) if k == kind)
    }
}

fn unknown_topic() -> Issue {
    Issue::new(
        "unknown_topic",
        "must be invoice.created, customer.created, customer.merged, points.earned|spent|expired|adjusted|reversed|returned|transferred, points.*, event.<type> or event.*",
        "باید یکی از invoice.created، customer.created، customer.merged، points.earned و مانند آن، points.*، event.<نوع> یا event.* باشد",
    )
}

/// How long a delivery keeps being retried after it was queued.
pub const RETRY_FOR_MS: i64 = 24 * 3_600_000;

/// The wait after failed attempt `attempt` (1-based) of a delivery queued at `queued_at`: 30 s
/// doubling to at most an hour, for 24 hours; `None` when the next attempt would be later than that.
pub fn retry_delay_ms(attempt: u32, queued_at: i64, now: i64) -> Option<i64> {
    let wait = (30_000i64 << attempt.saturating_sub(1).min(10)).min(3_600_000);
    (now + wait <= queued_at + RETRY_FOR_MS).then_some(wait)
}

/// A request to add an endpoint.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// Where deliveries are POSTed: an `https://` address (or `http://` for a local receiver).
    pub url: String,
    /// `invoice.created`, `customer.created`, `customer.merged`, `points.earned` (also `spent`,
    /// `expired`, `adjusted`, `reversed`, `returned`, `transferred`), `points.*`, `event.<type>`
    /// or `event.*`.
    pub topics: Vec<String>,
    pub description: Option<String>,
}

/// A checked endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub url: String,
    pub topics: Vec<Topic>,
    pub description: Option<String>,
}

impl WebhookInput {
    pub fn parse(&self) -> Result<Webhook, Invalid> {
        let mut c = Checker::new();
        let url = c.check("url", parse_url(&self.url));
        let description = c.check("description", optional_text(self.description.as_deref(), 200));
        if self.topics.is_empty() {
            c.push(Issue::required().at("topics"));
        }
        let mut topics = Vec::new();
        for (i, t) in self.topics.iter().enumerate() {
            if let Some(topic) = c.check(&format!("topics[{i}]"), Topic::parse(t))
                && !topics.contains(&topic)
            {
                topics.push(topic);
            }
        }
        c.finish(|| Webhook { url: url.unwrap(), topics, description: description.unwrap() })
    }
}

fn parse_url(input: &str) -> Result<String, Issue> {
    let u = input.trim();
    let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && u.len() <= 2000 && !u.chars().any(char::is_whitespace) => Ok(u.to_string()),
        _ => Err(Issue::new(
            "invalid_url",
            "must be a full https:// (or http://) address",
            "باید نشانی کامل https:// (یا http://) باشد",
        )),
    }
}

/// The `Philia-Signature` header of a delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" under the endpoint's secret>`. Signing the time with the body lets a receiver
/// refuse a replayed old delivery.
pub fn signature(secret: &str, unix_seconds: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{unix_seconds}.").as_bytes());
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={unix_seconds},v1={hex}")
}

/// The body of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WebhookPayload {
    /// The delivery's id (the same on every retry of it).
    pub id: i64,
    pub topic: String,
    pub tenant: String,
    pub occurred_at: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_addresses_are_checked_by_field() {
        let input = WebhookInput {
            url: "ftp://x".into(),
            topics: vec!["invoice.created".into(), "order.paid".into(), "event.tier_changed".into(), "invoice.created".into()],
            description: None,
        };
        let err = input.parse().unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["url", "topics[1]"]);
        let ok = WebhookInput {
            url: " https://shop.example/hooks?x=1 ".into(),
            topics: vec!["event.*".into(), "event.*".into()],
            description: None,
        }
        .parse()
        .unwrap();
        assert_eq!((ok.url.as_str(), ok.topics.len()), ("https://shop.example/hooks?x=1", 1));
        assert!(Topic::AnyEvent.takes_event("game_played") && !Topic::Event("a".into()).takes_event("b"));
        assert_eq!(Topic::parse("event.mission_completed").unwrap().name(), "event.mission_completed");
        assert_eq!(Topic::parse("points.expired").unwrap(), Topic::Points("expire".into()));
        assert!(Topic::parse("points.expire").is_err() && Topic::parse("points.").is_err());
        assert!(
            Topic::parse("points.*").unwrap().takes_entry("transfer")
                && Topic::parse("points.spent").unwrap().takes_entry("spend")
        );
        assert_eq!(points_topic("earn"), "points.earned");
    }

    #[test]
    fn retries_back_off_for_a_day() {
        assert_eq!(retry_delay_ms(1, 0, 0), Some(30_000));
        assert_eq!(retry_delay_ms(2, 0, 30_000), Some(60_000));
        assert_eq!(retry_delay_ms(9, 0, 0), Some(3_600_000));
        assert_eq!(retry_delay_ms(30, 0, RETRY_FOR_MS - 3_600_000), Some(3_600_000));
        assert_eq!(retry_delay_ms(30, 0, RETRY_FOR_MS - 3_599_999), None);
        // Attempts over a day: 30 s doubling to an hour, then hourly.
        let (mut now, mut attempts) = (0i64, 1u32);
        while let Some(wait) = retry_delay_ms(attempts, 0, now) {
            now += wait;
            attempts += 1;
        }
        assert!(now <= RETRY_FOR_MS && now > RETRY_FOR_MS - 3_600_000 && attempts == 30, "{now} {attempts}");
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_time_and_body() {
        // The digest of "<t>.<body>", computed here on its own, is what the header carries.
        let header = signature("Jefe", 0, "what do ya want for nothing?");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"0.what do ya want for nothing?");
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(header, format!("t=0,v1={expected}"));
        assert_ne!(signature("Jefe", 13, "x"), signature("Jefe", 12, "x"));
        assert_ne!(signature("Jefe", 12, "x"), signature("Jeff", 12, "x"));
    }
}
