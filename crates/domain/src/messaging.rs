//! Delivery rules of messages (SPEC E5): channels, SMS length, quiet hours, frequency caps and the
//! retry schedule. Where a message goes and what it says are decided elsewhere; this module decides
//! when and whether it may be sent.

use crate::issue::{Checker, Invalid, Issue};
use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
    /// Web Push to the browsers a customer allowed in the club.
    Push,
}

impl Channel {
    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim().to_lowercase().as_str() {
            "sms" => Ok(Channel::Sms),
            "email" => Ok(Channel::Email),
            "push" => Ok(Channel::Push),
            _ => Err(Issue::one_of(&["sms", "email", "push"])),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Push => "push",
        }
    }
}

/// Where a message stands. `queued` waits for its time; `sending` is claimed by a worker (and
/// goes back to the queue if the worker dies); the rest are final but for `sent`, which a
/// delivery report may still turn into `delivered` or `failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    Sending,
    Sent,
    Delivered,
    Failed,
    Skipped,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Failed => "failed",
            MessageStatus::Skipped => "skipped",
        }
    }

    pub fn parse(input: &str) -> Result<Self, Issue> {
        Ok(match input {
            "queued" => MessageStatus::Queued,
            "sending" => MessageStatus::Sending,
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "failed" => MessageStatus::Failed,
            "skipped" => MessageStatus::Skipped,
            _ => return Err(Issue::one_of(&["queued", "sending", "sent", "delivered", "failed", "skipped"])),
        })
    }
}

/// How long an SMS is and how many parts the operator bills. Text that fits the GSM 7-bit
/// alphabet takes 160 characters in one part and 153 per part after; anything else (Persian
/// always) is UCS-2: 70 in one part, 67 per part after. Lengths count UTF-16 units, as phones do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SmsLength {
    /// `gsm7` or `ucs2`.
    pub encoding: &'static str,
    pub characters: usize,
    pub parts: usize,
    /// Characters left in the last part.
    pub remaining: usize,
}

const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// Characters of the GSM extension table: each takes two septets.
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{c}";

pub fn sms_length(text: &str) -> SmsLength {
    let mut septets = 0usize;
    let mut gsm = true;
    for c in text.chars() {
        if GSM7_BASIC.contains(c) {
            septets += 1;
        } else if GSM7_EXTENDED.contains(c) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    let (encoding, units, single, multi) =
        if gsm { ("gsm7", septets, 160, 153) } else { ("ucs2", text.encode_utf16().count(), 70, 67) };
    let parts = if units <= single { 1 } else { units.div_ceil(multi) };
    let capacity = if parts == 1 { single } else { parts * multi };
    SmsLength { encoding, characters: units, parts, remaining: capacity - units }
}

/// A daily window in the tenant's time zone in which SMS and push are not sent (delayed, never
/// dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl QuietHours {
    fn contains(&self, t: Time) -> bool {
        if self.start <= self.end { t >= self.start && t < self.end } else { t >= self.start || t < self.end }
    }

    /// The first instant at or after `at` outside the window.
    pub fn release(&self, at: Timestamp, zone: &TimeZone) -> Timestamp {
        let local = at.to_zoned(zone.clone());
        if !self.contains(local.time()) {
            return at;
        }
        let mut day = local.date();
        if self.start > self.end && local.time() >= self.start {
            day = day.tomorrow().unwrap_or(day);
        }
        // A gap in the zone's clock (a DST change) at the end time resolves forward.
        day.to_datetime(self.end).to_zoned(zone.clone()).map(|z| z.timestamp()).unwrap_or(at)
    }
}

/// A tenant's delivery rules.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRules {
    pub quiet_hours: Option<QuietHours>,
    /// Most marketing messages one customer receives per local day and per 7 days (all channels).
    pub per_day: Option<u32>,
    pub per_week: Option<u32>,
}

impl Default for DeliveryRules {
    /// No SMS or push from 22:00 to 08:00; no frequency cap.
    fn default() -> Self {
        DeliveryRules {
            quiet_hours: Some(QuietHours { start: Time::constant(22, 0, 0, 0), end: Time::constant(8, 0, 0, 0) }),
            per_day: None,
            per_week: None,
        }
    }
}

/// The delivery rules as the API takes and shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRulesInput {
    /// `HH:MM` local time SMS and push stop, e.g. `22:00`; absent with `quiet_end` for no quiet hours.
    pub quiet_start: Option<String>,
    /// `HH:MM` local time SMS and push resume, e.g. `08:00`.
    pub quiet_end: Option<String>,
    pub max_per_day: Option<u32>,
    pub max_per_week: Option<u32>,
}

fn parse_clock(input: &str) -> Result<Time, Issue> {
    let text = crate::digits::ascii_digits(input.trim());
    let bad =
        || Issue::new("invalid_time", "must be a time of day as HH:MM, e.g. 22:00", "باید ساعت به شکل HH:MM باشد، مثلاً 22:00");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let h: i8 = h.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

impl DeliveryRulesInput {
    pub fn parse(&self) -> Result<DeliveryRules, Invalid> {
        let mut c = Checker::new();
        let start = self.quiet_start.as_deref().and_then(|s| c.check("quiet_start", parse_clock(s)));
        let end = self.quiet_end.as_deref().and_then(|s| c.check("quiet_end", parse_clock(s)));
        let quiet = match (self.quiet_start.is_some(), self.quiet_end.is_some()) {
            (true, false) => {
                c.push(Issue::required().at("quiet_end"));
                None
            }
            (false, true) => {
                c.push(Issue::required().at("quiet_start"));
                None
            }
            _ => match (start, end) {
                (Some(s), Some(e)) if s == e => {
                    c.push(
                        Issue::new("empty_window", "must differ from quiet_start", "باید با quiet_start فرق کند").at("quiet_end"),
                    );
                    None
                }
                (Some(start), Some(end)) => Some(QuietHours { start, end }),
                _ => None,
            },
        };
        for (field, value) in [("max_per_day", self.max_per_day), ("max_per_week", self.max_per_week)] {
            if value == Some(0) {
                c.push(Issue::new("zero", "must be at least 1 (leave it out for no cap)", "باید دست‌کم ۱ باشد").at(field));
            }
        }
        if let (Some(d), Some(w)) = (self.max_per_day, self.max_per_week)
            && w < d
        {
            c.push(
                Issue::new("below_daily", "must not be below max_per_day", "نباید از max_per_day کمتر باشد").at("max_per_week"),
            );
        }
        c.finish(|| DeliveryRules { quiet_hours: quiet, per_day: self.max_per_day, per_week: self.max_per_week })
    }
}

impl DeliveryRules {
    pub fn to_input(&self) -> DeliveryRulesInput {
        let clock = |t: Time| format!("{:02}:{:02}", t.hour(), t.minute());
        DeliveryRulesInput {
            quiet_start: self.quiet_hours.map(|q| clock(q.start)),
            quiet_end: self.quiet_hours.map(|q| clock(q.end)),
            max_per_day: self.per_day,
            max_per_week: self.per_week,
        }
    }

    /// The earliest instant a message on `channel` queued at `at` may go out.
    pub fn send_after(&self, channel: Channel, at: Timestamp, zone: &TimeZone) -> Timestamp {
        match (channel, self.quiet_hours) {
            // Both make a phone sound; email waits in the inbox.
            (Channel::Sms | Channel::Push, Some(q)) => q.release(at, zone),
            _ => at,
        }
    }

    /// Whether one more marketing message fits under the caps, given how many the customer
    /// already got today and in the last 7 days.
    pub fn within_cap(&self, today: i64, week: i64) -> bool {
        self.per_day.is_none_or(|d| today < i64::from(d)) && self.per_week.is_none_or(|w| week < i64::from(w))
    }
}

/// How many times a message is tried before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// The wait after failed attempt `attempt` (1-based) before the next: 30 s doubling to at most an
/// hour; `None` when no attempt is left.
pub fn retry_delay_ms(attempt: u32) -> Option<i64> {
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    Some((30_000i64 << (attempt.saturating_sub(1)).min(10)).min(3_600_000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tehran() -> TimeZone {
        TimeZone::get("Asia/Tehran").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn sms_parts_follow_the_encoding() {
        assert_eq!(sms_length("").parts, 1);
        assert_eq!(sms_length(&"a".repeat(160)), SmsLength { encoding: "gsm7", characters: 160, parts: 1, remaining: 0 });
        assert_eq!(sms_length(&"a".repeat(161)).parts, 2);
        assert_eq!(sms_length(&"a".repeat(306)).parts, 2);
        assert_eq!(sms_length(&"a".repeat(307)).parts, 3);
        // `€` takes two septets.
        assert_eq!(sms_length(&"€".repeat(80)).characters, 160);
        assert_eq!(sms_length(&"س".repeat(70)), SmsLength { encoding: "ucs2", characters: 70, parts: 1, remaining: 0 });
        assert_eq!(sms_length(&"س".repeat(71)), SmsLength { encoding: "ucs2", characters: 71, parts: 2, remaining: 63 });
        assert_eq!(sms_length(&"س".repeat(134)).parts, 2);
        assert_eq!(sms_length(&"س".repeat(135)).parts, 3);
        // One Persian letter makes the whole text UCS-2.
        assert_eq!(sms_length(&format!("{}س", "a".repeat(69))).encoding, "ucs2");
    }

    #[test]
    fn quiet_hours_delay_sms_to_the_morning() {
        let rules = DeliveryRules::default();
        let z = tehran();
        // 23:30 Tehran (UTC+3:30) → 08:00 next day.
        assert_eq!(rules.send_after(Channel::Sms, at("2026-11-20T20:00:00Z"), &z), at("2026-11-21T04:30:00Z"));
        // 03:00 Tehran → 08:00 the same day.
        assert_eq!(rules.send_after(Channel::Sms, at("2026-11-20T23:30:00Z"), &z), at("2026-11-21T04:30:00Z"));
        // 12:00 Tehran: at once; email is never held.
        assert_eq!(rules.send_after(Channel::Sms, at("2026-11-21T08:30:00Z"), &z), at("2026-11-21T08:30:00Z"));
        assert_eq!(rules.send_after(Channel::Email, at("2026-11-20T20:00:00Z"), &z), at("2026-11-20T20:00:00Z"));
        assert_eq!(rules.send_after(Channel::Push, at("2026-11-20T20:00:00Z"), &z), at("2026-11-21T04:30:00Z"));
        // A daytime window (13:00–15:00) works too.
        let siesta = DeliveryRulesInput {
            quiet_start: Some("13:00".into()),
            quiet_end: Some("۱۵:۰۰".into()),
            max_per_day: None,
            max_per_week: None,
        }
        .parse()
        .unwrap();
        assert_eq!(siesta.send_after(Channel::Sms, at("2026-11-21T10:00:00Z"), &z), at("2026-11-21T11:30:00Z"));
    }

    #[test]
    fn bad_rules_name_their_field() {
        let e =
            DeliveryRulesInput { quiet_start: Some("25:00".into()), quiet_end: None, max_per_day: Some(0), max_per_week: None }
                .parse()
                .unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["quiet_start", "quiet_end", "max_per_day"]);
    }

    #[test]
    fn caps_count_day_and_week() {
        let r = DeliveryRules { quiet_hours: None, per_day: Some(2), per_week: Some(5) };
        assert!(r.within_cap(1, 4));
        assert!(!r.within_cap(2, 2));
        assert!(!r.within_cap(0, 5));
        assert!(DeliveryRules { quiet_hours: None, per_day: None, per_week: None }.within_cap(1000, 1000));
    }

    #[test]
    fn retries_back_off_and_stop() {
        assert_eq!(retry_delay_ms(1), Some(30_000));
        assert_eq!(retry_delay_ms(2), Some(60_000));
        assert_eq!(retry_delay_ms(7), Some(1_920_000));
        assert_eq!(retry_delay_ms(MAX_ATTEMPTS), None);
    }

    proptest! {
        /// Whatever the hour, the release time is outside the window and never earlier.
        #[test]
        fn release_is_outside_the_window(secs in 1_700_000_000i64..1_900_000_000, start in 0i8..24, end in 0i8..24) {
            prop_assume!(start != end);
            let q = QuietHours { start: Time::new(start, 0, 0, 0).unwrap(), end: Time::new(end, 0, 0, 0).unwrap() };
            let z = tehran();
            let t = Timestamp::from_second(secs).unwrap();
            let r = q.release(t, &z);
            prop_assert!(r >= t);
            prop_assert!(!q.contains(r.to_zoned(z.clone()).time()));
            prop_assert!(r.duration_since(t).as_hours() < 24);
        }
    }
}
