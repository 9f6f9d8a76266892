//! Behavioural events (SPEC A5): anything a customer does, with properties and a time.

use crate::calendar::parse_instant;
use crate::customer::{parse_external_id, parse_source};
use crate::invoice::{CustomerRef, CustomerRefInput};
use crate::issue::{Checker, Invalid, Issue};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Event types that the club itself records and that rollups read.
pub const CLUB_LOGIN: &str = "club_login";
pub const CLUB_LOGOUT: &str = "club_logout";

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// The sender's id for this event; a repeated id is recognised and not counted twice.
    pub event_id: Option<String>,
    /// `page_view`, `add_to_cart`, `survey_completed`, `content_shared`, `social_follow`, `club_login`…
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened (ISO 8601 or Jalali); now when absent.
    pub occurred_at: Option<String>,
    pub source: Option<String>,
    pub customer: Option<CustomerRefInput>,
    #[schema(value_type = Option<Object>)]
    pub properties: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone)]
pub struct ValidEvent {
    pub event_key: Option<String>,
    pub event_type: String,
    pub occurred_at: Timestamp,
    pub source: String,
    pub customer: Option<CustomerRef>,
    pub properties: String,
}

pub fn parse_event_type(input: &str) -> Result<String, Issue> {
    let s = input.trim().to_lowercase();
    if !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.:-".contains(&b)) {
        Ok(s)
    } else {
        Err(Issue::new("invalid_event_type", "must be 1–64 characters of a–z, 0–9, _ . : -", "نوع رویداد معتبر نیست"))
    }
}

impl EventInput {
    pub fn parse(&self, zone: &TimeZone, now: Timestamp) -> Result<ValidEvent, Invalid> {
        let mut c = Checker::new();
        let event_key = self.event_id.as_deref().and_then(|id| c.check("event_id", parse_external_id(id)));
        let event_type = c.check("type", parse_event_type(&self.event_type));
        let occurred_at = match self.occurred_at.as_deref() {
            None => Some(now),
            Some(t) => c.check("occurred_at", parse_instant(t, zone)),
        };
        let source = c.check("source", parse_source(self.source.as_deref().unwrap_or("api")));
        let customer = match &self.customer {
            None => None,
            Some(r) => match r.parse(source.as_deref().unwrap_or("api")) {
                Ok(r) => Some(r),
                Err(e) => {
                    c.extend("customer", e);
                    None
                }
            },
        };
        let properties = serde_json::Value::Object(self.properties.clone().unwrap_or_default()).to_string();
        if properties.len() > 16_384 {
            c.push(Issue::new("too_large", "must be at most 16 KiB of JSON", "حداکثر ۱۶ کیلوبایت مجاز است").at("properties"));
        }
        c.finish(|| ValidEvent {
            event_key,
            event_type: event_type.unwrap(),
            occurred_at: occurred_at.unwrap(),
            source: source.unwrap(),
            customer,
            properties,
        })
    }
}
