//! Broadcast campaigns (SPEC E4) and their report (G7): a template sent to an audience, now or at a
//! set time, with a random hold-out group that receives nothing, so the lift can be measured.

use crate::calendar::parse_instant;
use crate::issue::{Checker, Invalid, Issue, optional_text, required_text};
use crate::points::parse_code;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The largest hold-out: beyond half, the campaign is mostly not sent.
pub const MAX_HOLDOUT_PERCENT: u8 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub code: String,
    pub name: String,
    /// The message template's code.
    pub template: String,
    /// Who receives it: a stored segment (its members at launch), a list, or everyone when
    /// neither is given.
    pub segment: Option<String>,
    pub list: Option<String>,
    /// Share of the audience (0–50 %, default 0) picked at random to receive nothing.
    pub holdout_percent: Option<u8>,
    /// When to send (ISO instant, or a local date-time in the tenant's zone); absent: a draft,
    /// sent with `POST /campaigns/{code}/send`.
    pub send_at: Option<String>,
}

/// Who a campaign goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Segment(String),
    List(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub code: String,
    pub name: String,
    pub template: String,
    pub audience: Audience,
    pub holdout_percent: u8,
    pub send_at: Option<Timestamp>,
}

impl CampaignInput {
    pub fn parse(&self, zone: &TimeZone) -> Result<Campaign, Invalid> {
        let mut c = Checker::new();
        let code = c.check("code", parse_code(&self.code));
        let name = c.check("name", required_text(Some(&self.name), 200));
        let template = c.check("template", parse_code(&self.template));
        let segment = c.check("segment", optional_text(self.segment.as_deref(), 64)).flatten();
        let list = c.check("list", optional_text(self.list.as_deref(), 64)).flatten();
        let audience = match (segment, list) {
            (Some(_), Some(_)) => {
                c.push(Issue::new("one_audience", "give a segment or a list, not both", "بخش یا فهرست، نه هر دو").at("list"));
                None
            }
            (Some(s), None) => Some(Audience::Segment(s)),
            (None, Some(l)) => Some(Audience::List(l)),
            (None, None) => Some(Audience::Everyone),
        };
        let holdout = self.holdout_percent.unwrap_or(0);
        if holdout > MAX_HOLDOUT_PERCENT {
            c.push(
                Issue::new(
                    "too_large",
                    format!("must be at most {MAX_HOLDOUT_PERCENT}"),
                    format!("حداکثر {MAX_HOLDOUT_PERCENT} است"),
                )
                .at("holdout_percent"),
            );
        }
        let send_at = self.send_at.as_deref().and_then(|s| c.check("send_at", parse_instant(s, zone)));
        c.finish(|| Campaign {
            code: code.unwrap(),
            name: name.unwrap(),
            template: template.unwrap(),
            audience: audience.unwrap(),
            holdout_percent: holdout,
            send_at,
        })
    }
}

/// Whether a customer falls in a campaign's hold-out: a fixed draw from the campaign and the
/// customer, so the split is the same however often it is computed.
pub fn in_holdout(campaign_id: i64, customer_id: i64, percent: u8) -> bool {
    if percent == 0 {
        return false;
    }
    let digest = Sha256::digest(format!("holdout:{campaign_id}:{customer_id}").as_bytes());
    let draw = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 10_000;
    draw < u64::from(percent) * 100
}

/// What one group (sent or held out) did after the launch.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GroupOutcome {
    pub members: i64,
    /// Members with at least one purchase in the window.
    pub converted: i64,
    /// Net sales of the group in the window, and the sum of squares of each member's sales (for
    /// the variance).
    pub sales: i64,
    pub sales_squares: f64,
}

impl GroupOutcome {
    pub fn conversion_rate(&self) -> f64 {
        if self.members == 0 { 0.0 } else { self.converted as f64 / self.members as f64 }
    }

    pub fn sales_per_customer(&self) -> f64 {
        if self.members == 0 { 0.0 } else { self.sales as f64 / self.members as f64 }
    }

    fn sales_variance(&self) -> f64 {
        let n = self.members as f64;
        if n < 2.0 {
            return 0.0;
        }
        let mean = self.sales_per_customer();
        ((self.sales_squares - n * mean * mean) / (n - 1.0)).max(0.0)
    }
}

/// A difference between the sent and held-out groups with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Difference {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// The normal quantile of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The lift of the sent group over the hold-out: the difference in conversion rates (Wald
/// interval of two proportions) and in sales per customer (Welch's unequal-variance interval,
/// normal approximation). `None` without members in both groups.
pub fn lift(sent: &GroupOutcome, held: &GroupOutcome) -> Option<(Difference, Difference)> {
    if sent.members == 0 || held.members == 0 {
        return None;
    }
    let (p1, p2) = (sent.conversion_rate(), held.conversion_rate());
    let se_p = (p1 * (1.0 - p1) / sent.members as f64 + p2 * (1.0 - p2) / held.members as f64).sqrt();
    let dp = p1 - p2;
    let conversion = Difference { value: round(dp, 6), low: round(dp - Z95 * se_p, 6), high: round(dp + Z95 * se_p, 6) };
    let ds = sent.sales_per_customer() - held.sales_per_customer();
    let se_s = (sent.sales_variance() / sent.members as f64 + held.sales_variance() / held.members as f64).sqrt();
    let sales = Difference { value: round(ds, 2), low: round(ds - Z95 * se_s, 2), high: round(ds + Z95 * se_s, 2) };
    Some((conversion, sales))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tehran() -> TimeZone {
        TimeZone::get("Asia/Tehran").unwrap()
    }

    #[test]
    fn parses_and_names_mistakes() {
        let ok = CampaignInput {
            code: "yalda".into(),
            name: "Yalda night".into(),
            template: "win_back".into(),
            segment: Some("lapsed".into()),
            list: None,
            holdout_percent: Some(10),
            send_at: Some("1405/09/30 18:00".into()),
        }
        .parse(&tehran())
        .unwrap();
        assert_eq!(ok.audience, Audience::Segment("lapsed".into()));
        assert_eq!(ok.send_at.unwrap().to_string(), "2026-12-21T14:30:00Z");
        let e = CampaignInput {
            code: "x y".into(),
            name: "".into(),
            template: "t".into(),
            segment: Some("a".into()),
            list: Some("b".into()),
            holdout_percent: Some(60),
            send_at: Some("tomorrow".into()),
        }
        .parse(&tehran())
        .unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["code", "name", "list", "holdout_percent", "send_at"]);
    }

    #[test]
    fn holdout_is_fixed_and_near_its_share() {
        let held = (0..100_000).filter(|c| in_holdout(42, *c, 10)).count();
        assert!((9_500..10_500).contains(&held), "{held}");
        assert_eq!(in_holdout(42, 7, 10), in_holdout(42, 7, 10));
        assert!(!(0..1000).any(|c| in_holdout(42, c, 0)));
    }

    #[test]
    fn lift_with_intervals() {
        // 900 sent, 90 converted (10 %); 100 held, 5 converted (5 %).
        let sent = GroupOutcome { members: 900, converted: 90, sales: 90 * 1000, sales_squares: 90.0 * 1_000_000.0 };
        let held = GroupOutcome { members: 100, converted: 5, sales: 5 * 1000, sales_squares: 5.0 * 1_000_000.0 };
        let (conv, sales) = lift(&sent, &held).unwrap();
        assert_eq!(conv.value, 0.05);
        // se = sqrt(.1*.9/900 + .05*.95/100) = sqrt(0.0001 + 0.000475) = 0.023979…
        assert!((conv.high - conv.value - Z95 * 0.000575f64.sqrt()).abs() < 1e-6);
        assert!(conv.low < 0.01 && conv.low > 0.0);
        assert_eq!(sales.value, 50.0);
        assert!(sales.low < 50.0 && sales.high > 50.0);
        assert!(lift(&sent, &GroupOutcome::default()).is_none());
    }
}
