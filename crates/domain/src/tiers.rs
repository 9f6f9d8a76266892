//! Tiers (SPEC C2): ordered levels with thresholds on one qualifying metric over a window.
//!
//! A customer moves up as soon as the metric crosses a threshold; moving down happens only when
//! tiers are evaluated, after an optional grace period that starts the first evaluation the
//! customer is found below. A refund that takes back what earned a tier is re-evaluated at once
//! and without grace: a tier bought and returned is not kept.

use crate::calendar::{CalendarKind, jalali_to_gregorian, local_day};
use crate::issue::{Checker, Invalid, Issue, required_text};
use crate::points::{parse_code, year_month};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// What tiers count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TierMetric {
    /// Points of a type earned (less what refunds took back, plus adjustments).
    Points { point_type: String },
    /// Net spend (after refunds), in the tenant currency.
    Spend,
    /// Invoices not fully refunded.
    Invoices,
}

/// Over which time the metric counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum TierWindow {
    Lifetime,
    /// The last `months` months up to now.
    RollingMonths {
        months: u32,
    },
    /// The current year of the tenant's calendar (Jalali by default: from Nowruz).
    CalendarYear,
}

/// What a tier gives. Percentages and factors keep three decimals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierBenefits {
    /// Multiplies every point earned (e.g. 1.5).
    pub earn_multiplier: Option<f64>,
    /// Share of the amount paid returned as cashback, in percent.
    pub cashback_percent: Option<f64>,
    /// Discount on every purchase, in percent.
    pub discount_percent: Option<f64>,
    /// Other benefits, as shown to the customer.
    #[serde(default)]
    pub perks: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierInput {
    pub code: String,
    pub name: String,
    /// The metric value from which this tier applies (the lowest tier has 0).
    pub threshold: i64,
    pub benefits: Option<TierBenefits>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierProgrammeInput {
    pub metric: TierMetric,
    pub window: TierWindow,
    /// Days a customer keeps a tier after first found below it (0: move down at once).
    pub grace_days: Option<u32>,
    pub tiers: Vec<TierInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub code: String,
    pub name: String,
    pub threshold: i64,
    pub earn_permille: i64,
    pub cashback_bp: i64,
    pub discount_bp: i64,
    pub input: TierInput,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TierProgramme {
    pub metric: TierMetric,
    pub window: TierWindow,
    pub grace_days: u32,
    pub tiers: Vec<Tier>,
}

/// What an evaluation decides for one customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TierDecision {
    Keep,
    /// Moves to this tier now.
    Move(String),
    /// Below the tier: the grace period starts now.
    StartGrace,
    /// Back at or above the tier: a running grace period ends.
    EndGrace,
}

fn scaled(value: Option<f64>, field: &str, scale: f64, max: f64, c: &mut Checker) -> i64 {
    match value {
        None => scale as i64,
        Some(v) if v.is_finite() && v >= 0.0 && v <= max => (v * scale).round() as i64,
        Some(_) => {
            c.push(
                Issue::new("out_of_range", format!("must be between 0 and {max}"), format!("باید بین ۰ و {max} باشد")).at(field),
            );
            0
        }
    }
}

impl TierProgrammeInput {
    pub fn parse(&self) -> Result<TierProgramme, Invalid> {
        let mut c = Checker::new();
        if let TierMetric::Points { point_type } = &self.metric {
            c.check("metric.point_type", parse_code(point_type));
        }
        if let TierWindow::RollingMonths { months } = self.window
            && !(1..=120).contains(&months)
        {
            c.push(Issue::new("out_of_range", "months must be between 1 and 120", "بین ۱ و ۱۲۰ ماه").at("window.months"));
        }
        let grace_days = self.grace_days.unwrap_or(0);
        if grace_days > 3650 {
            c.push(Issue::new("out_of_range", "must be at most 3650", "حداکثر ۳۶۵۰ روز").at("grace_days"));
        }
        if self.tiers.is_empty() || self.tiers.len() > 50 {
            c.push(Issue::new("invalid_tiers", "a programme has 1 to 50 tiers", "برنامه ۱ تا ۵۰ سطح دارد").at("tiers"));
        }
        let mut tiers = Vec::with_capacity(self.tiers.len());
        for (i, t) in self.tiers.iter().enumerate() {
            let at = |f: &str| format!("tiers[{i}].{f}");
            let code = c.check(&at("code"), parse_code(&t.code));
            let name = c.check(&at("name"), required_text(Some(&t.name), 100));
            if i == 0 && t.threshold != 0 {
                c.push(
                    Issue::new("invalid_threshold", "the lowest tier starts at 0", "پایین‌ترین سطح از صفر شروع می‌شود")
                        .at(at("threshold")),
                );
            }
            if i > 0 && t.threshold <= self.tiers[i - 1].threshold {
                c.push(
                    Issue::new("invalid_threshold", "must be above the previous tier's", "باید بیشتر از آستانه سطح قبل باشد")
                        .at(at("threshold")),
                );
            }
            if self.tiers[..i].iter().any(|o| o.code.trim().eq_ignore_ascii_case(t.code.trim())) {
                c.push(Issue::new("duplicate", "another tier has this code", "کد تکراری است").at(at("code")));
            }
            let b = t.benefits.clone().unwrap_or_default();
            let earn_permille = scaled(b.earn_multiplier, &at("benefits.earn_multiplier"), 1000.0, 100.0, &mut c);
            let cashback_bp = if b.cashback_percent.is_some() {
                scaled(b.cashback_percent, &at("benefits.cashback_percent"), 100.0, 100.0, &mut c)
            } else {
                0
            };
            let discount_bp = if b.discount_percent.is_some() {
                scaled(b.discount_percent, &at("benefits.discount_percent"), 100.0, 100.0, &mut c)
            } else {
                0
            };
            if let (Some(code), Some(name)) = (code, name) {
                let input =
                    TierInput { code: code.clone(), name: name.clone(), threshold: t.threshold, benefits: t.benefits.clone() };
                tiers.push(Tier { code, name, threshold: t.threshold, earn_permille, cashback_bp, discount_bp, input });
            }
        }
        c.finish(|| TierProgramme { metric: self.metric.clone(), window: self.window, grace_days, tiers })
    }
}

impl TierProgramme {
    /// Bronze 0–100, Silver 101–500, Gold above 500 purchase points, lifetime.
    pub fn default_for_new_tenant() -> TierProgrammeInput {
        let tier =
            |code: &str, name: &str, threshold| TierInput { code: code.into(), name: name.into(), threshold, benefits: None };
        TierProgrammeInput {
            metric: TierMetric::Points { point_type: "purchase".into() },
            window: TierWindow::Lifetime,
            grace_days: Some(0),
            tiers: vec![tier("bronze", "برنزی", 0), tier("silver", "نقره‌ای", 101), tier("gold", "طلایی", 501)],
        }
    }

    pub fn to_input(&self) -> TierProgrammeInput {
        TierProgrammeInput {
            metric: self.metric.clone(),
            window: self.window,
            grace_days: Some(self.grace_days),
            tiers: self.tiers.iter().map(|t| t.input.clone()).collect(),
        }
    }

    pub fn lowest(&self) -> &Tier {
        &self.tiers[0]
    }

    pub fn tier(&self, code: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.code == code)
    }

    fn rank(&self, code: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t.code == code)
    }

    /// The highest tier `value` reaches.
    pub fn qualified(&self, value: i64) -> &Tier {
        self.tiers.iter().rev().find(|t| value >= t.threshold).unwrap_or(self.lowest())
    }

    /// The next tier above `value`, and how much is missing to reach it.
    pub fn next(&self, value: i64) -> Option<(&Tier, i64)> {
        self.tiers.iter().find(|t| t.threshold > value).map(|t| (t, t.threshold - value))
    }

    /// Where the window of the metric starts at `now` (None: all time).
    pub fn window_start(&self, now: Timestamp, zone: &TimeZone, calendar: CalendarKind) -> Option<Timestamp> {
        match self.window {
            TierWindow::Lifetime => None,
            TierWindow::RollingMonths { months } => {
                let z = now.to_zoned(zone.clone());
                z.checked_sub(jiff::Span::new().months(months as i64)).ok().map(|t| t.timestamp())
            }
            TierWindow::CalendarYear => {
                let (year, _) = year_month(calendar, local_day(now, zone));
                let start = match calendar {
                    CalendarKind::Jalali => jalali_to_gregorian(year, 1, 1)?,
                    CalendarKind::Gregorian => jiff::civil::Date::new(year as i16, 1, 1).ok()?,
                };
                start.to_zoned(zone.clone()).ok().map(|z| z.timestamp())
            }
        }
    }

    /// Decides a customer's tier. `upgrade_only` is for evaluations after a purchase (moves up
    /// only); `strict` for refunds (moves down at once); otherwise a scheduled evaluation, where
    /// moving down waits for the grace period that started at `below_since`.
    pub fn decide(
        &self,
        current: Option<&str>,
        value: i64,
        below_since: Option<i64>,
        now: i64,
        mode: Evaluation,
    ) -> TierDecision {
        let target = self.qualified(value);
        let Some(rank) = current.and_then(|c| self.rank(c)) else {
            // No tier yet, or one the programme no longer has: take the one reached.
            return TierDecision::Move(target.code.clone());
        };
        let target_rank = self.rank(&target.code).expect("a qualified tier is in the programme");
        if target_rank > rank {
            return TierDecision::Move(target.code.clone());
        }
        if target_rank == rank {
            return if below_since.is_some() { TierDecision::EndGrace } else { TierDecision::Keep };
        }
        match mode {
            Evaluation::AfterPurchase => TierDecision::Keep,
            Evaluation::AfterRefund => TierDecision::Move(target.code.clone()),
            Evaluation::Scheduled if self.grace_days == 0 => TierDecision::Move(target.code.clone()),
            Evaluation::Scheduled => match below_since {
                None => TierDecision::StartGrace,
                Some(since) if now - since >= self.grace_days as i64 * 86_400_000 => TierDecision::Move(target.code.clone()),
                Some(_) => TierDecision::Keep,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evaluation {
    AfterPurchase,
    AfterRefund,
    Scheduled,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programme(grace: u32) -> TierProgramme {
        let mut p = TierProgramme::default_for_new_tenant();
        p.grace_days = Some(grace);
        p.parse().unwrap()
    }

    #[test]
    fn default_tiers_follow_the_spec() {
        let p = programme(0);
        assert_eq!(p.qualified(0).code, "bronze");
        assert_eq!(p.qualified(100).code, "bronze");
        assert_eq!(p.qualified(101).code, "silver");
        assert_eq!(p.qualified(500).code, "silver");
        assert_eq!(p.qualified(501).code, "gold");
        assert_eq!(p.next(90).map(|(t, n)| (t.code.as_str(), n)), Some(("silver", 11)));
        assert_eq!(p.next(600), None);
    }

    #[test]
    fn up_at_once_down_at_evaluation_after_grace() {
        let p = programme(30);
        let day = 86_400_000;
        assert_eq!(p.decide(None, 0, None, 0, Evaluation::AfterPurchase), TierDecision::Move("bronze".into()));
        assert_eq!(p.decide(Some("bronze"), 200, None, 0, Evaluation::AfterPurchase), TierDecision::Move("silver".into()));
        assert_eq!(p.decide(Some("gold"), 200, None, 0, Evaluation::AfterPurchase), TierDecision::Keep);
        assert_eq!(p.decide(Some("gold"), 200, None, 0, Evaluation::Scheduled), TierDecision::StartGrace);
        assert_eq!(p.decide(Some("gold"), 200, Some(0), 29 * day, Evaluation::Scheduled), TierDecision::Keep);
        assert_eq!(p.decide(Some("gold"), 200, Some(0), 30 * day, Evaluation::Scheduled), TierDecision::Move("silver".into()));
        assert_eq!(p.decide(Some("gold"), 900, Some(0), 10 * day, Evaluation::Scheduled), TierDecision::EndGrace);
        assert_eq!(p.decide(Some("gold"), 200, None, 0, Evaluation::AfterRefund), TierDecision::Move("silver".into()));
        assert_eq!(programme(0).decide(Some("gold"), 5, None, 0, Evaluation::Scheduled), TierDecision::Move("bronze".into()));
    }

    #[test]
    fn windows_start_where_the_calendar_says() {
        let p =
            TierProgrammeInput { window: TierWindow::CalendarYear, ..TierProgramme::default_for_new_tenant() }.parse().unwrap();
        let z = TimeZone::get("Asia/Tehran").unwrap();
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        // 1405 began on 2026-03-21 (Tehran midnight).
        assert_eq!(p.window_start(now, &z, CalendarKind::Jalali), Some("2026-03-20T20:30:00Z".parse().unwrap()));
        assert_eq!(p.window_start(now, &z, CalendarKind::Gregorian), Some("2025-12-31T20:30:00Z".parse().unwrap()));
        let rolling =
            TierProgrammeInput { window: TierWindow::RollingMonths { months: 6 }, ..TierProgramme::default_for_new_tenant() };
        assert_eq!(
            rolling.parse().unwrap().window_start(now, &z, CalendarKind::Jalali),
            Some("2026-05-22T10:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn bad_programmes_name_their_fields() {
        let mut input = TierProgramme::default_for_new_tenant();
        input.tiers[0].threshold = 5;
        input.tiers[2].threshold = 50;
        input.tiers[1].code = "BRONZE".into();
        input.tiers[1].benefits = Some(TierBenefits { earn_multiplier: Some(-1.0), ..Default::default() });
        let fields: Vec<String> = input.parse().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["tiers[0].threshold", "tiers[1].code", "tiers[1].benefits.earn_multiplier", "tiers[2].threshold"]);
    }
}
