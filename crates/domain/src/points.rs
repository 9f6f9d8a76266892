//! Point types, expiry and the lot arithmetic of the ledger (SPEC C1).
//!
//! Every earning becomes a lot that remembers what is left of it. Spending, expiry and reversals
//! draw from lots, oldest first, and record which lots they drew from. A customer's balance is
//! always the sum of the open lots minus any debt: debt appears only when a refund takes back
//! points that were already spent, and later earnings pay it off before they open a lot.

use crate::calendar::{CalendarKind, gregorian_to_jalali, jalali_to_gregorian, local_day};
use crate::issue::{Checker, Invalid, Issue, required_text};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// When points of a type expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExpiryPolicy {
    Never,
    /// `days` after they were earned.
    AfterDays {
        days: u32,
    },
    /// At the end of the period (month, quarter or year of the tenant's calendar) in which they
    /// were earned, plus `extra` further periods: `{"period": "year", "extra": 1}` keeps points
    /// earned in 1404 until the end of 1405.
    EndOfPeriod {
        period: Period,
        #[serde(default)]
        extra: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    fn months(self) -> i32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
            Period::Year => 12,
        }
    }
}

/// The first day of the month `months` after (year, month) in `calendar`.
pub fn month_start(calendar: CalendarKind, year: i32, month: i32, months: i32) -> Option<Date> {
    let index = year * 12 + (month - 1) + months;
    let (y, m) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    match calendar {
        CalendarKind::Jalali => jalali_to_gregorian(y, m as u8, 1),
        CalendarKind::Gregorian => Date::new(y.try_into().ok()?, m as i8, 1).ok(),
    }
}

/// (year, month) of a day in `calendar`.
pub fn year_month(calendar: CalendarKind, day: Date) -> (i32, i32) {
    match calendar {
        CalendarKind::Jalali => {
            let (y, m, _) = gregorian_to_jalali(day);
            (y, m as i32)
        }
        CalendarKind::Gregorian => (day.year() as i32, day.month() as i32),
    }
}

impl ExpiryPolicy {
    pub const MAX_DAYS: u32 = 36_500;

    pub fn check(&self) -> Result<(), Issue> {
        match *self {
            ExpiryPolicy::AfterDays { days } if days == 0 || days > Self::MAX_DAYS => Err(Issue::new(
                "out_of_range",
                format!("days must be between 1 and {}", Self::MAX_DAYS),
                format!("تعداد روز باید بین ۱ و {} باشد", Self::MAX_DAYS),
            )),
            ExpiryPolicy::EndOfPeriod { extra, .. } if extra > 100 => {
                Err(Issue::new("out_of_range", "extra must be at most 100", "حداکثر ۱۰۰ دوره"))
            }
            _ => Ok(()),
        }
    }

    /// When points earned at `earned_at` expire: the instant they stop being usable.
    pub fn expires_at(&self, earned_at: Timestamp, zone: &TimeZone, calendar: CalendarKind) -> Option<Timestamp> {
        match *self {
            ExpiryPolicy::Never => None,
            ExpiryPolicy::AfterDays { days } => Some(earned_at + jiff::SignedDuration::from_hours(24 * days as i64)),
            ExpiryPolicy::EndOfPeriod { period, extra } => {
                let day = local_day(earned_at, zone);
                let (year, month) = year_month(calendar, day);
                let n = period.months();
                // The start of the period after the one holding `month`, then `extra` more.
                let period_start = month - 1 - (month - 1) % n + 1;
                let end = month_start(calendar, year, period_start, n * (1 + extra as i32))?;
                end.to_zoned(zone.clone()).ok().map(|z| z.timestamp())
            }
        }
    }
}

/// A point type as a tenant defines it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointTypeInput {
    /// Short stable code, e.g. `purchase`, `engagement`.
    pub code: String,
    pub name: String,
    pub expiry: Option<ExpiryPolicy>,
    /// Whether earning these points counts toward tiers (default true).
    pub counts_for_tiers: Option<bool>,
    /// Whether customers can spend them (default true).
    pub spendable: Option<bool>,
    /// How many days before expiry a "points expiring" event is raised (default 7, 0 = never).
    pub warn_days: Option<u32>,
    /// What one point is worth when paying at checkout, in the tenant currency (absent: these
    /// points do not pay at checkout).
    pub cash_value: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PointType {
    pub code: String,
    pub name: String,
    pub expiry: ExpiryPolicy,
    pub counts_for_tiers: bool,
    pub spendable: bool,
    pub warn_days: u32,
    pub cash_value: Option<i64>,
}

/// A code: 1–40 characters of a–z, 0–9, `_` and `-`, as typed or lower-cased.
pub fn parse_code(input: &str) -> Result<String, Issue> {
    let s = input.trim().to_lowercase();
    if !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        Ok(s)
    } else {
        Err(Issue::new(
            "invalid_code",
            "must be 1–40 characters of a–z, 0–9, _ and -",
            "کد باید ۱ تا ۴۰ نویسه از a-z، 0-9، _ و - باشد",
        ))
    }
}

impl PointTypeInput {
    pub fn parse(&self) -> Result<PointType, Invalid> {
        let mut c = Checker::new();
        let code = c.check("code", parse_code(&self.code));
        let name = c.check("name", required_text(Some(&self.name), 100));
        let expiry = self.expiry.unwrap_or(ExpiryPolicy::Never);
        c.check("expiry", expiry.check());
        let warn_days = self.warn_days.unwrap_or(7);
        if warn_days > 365 {
            c.push(Issue::new("out_of_range", "must be at most 365", "حداکثر ۳۶۵ روز").at("warn_days"));
        }
        if self.cash_value.is_some_and(|v| v <= 0) {
            c.push(Issue::new("not_positive", "must be above zero", "باید بیشتر از صفر باشد").at("cash_value"));
        }
        c.finish(|| PointType {
            code: code.unwrap(),
            name: name.unwrap(),
            expiry,
            counts_for_tiers: self.counts_for_tiers.unwrap_or(true),
            spendable: self.spendable.unwrap_or(true),
            warn_days,
            cash_value: self.cash_value,
        })
    }
}

/// What is left of one earning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    pub id: i64,
    pub remaining: i64,
    pub earned_at: i64,
    pub expires_at: Option<i64>,
}

impl Lot {
    pub fn usable_at(&self, now: i64) -> bool {
        self.remaining > 0 && self.expires_at.is_none_or(|e| e > now)
    }
}

/// How much to take from which lots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draw {
    pub takes: Vec<(i64, i64)>,
    /// What the usable lots could not cover.
    pub short: i64,
}

/// Draws `amount` from the lots usable at `now`: the lot `first` (if usable) before the others,
/// then the oldest earned first (ties by id). Expired lots are never drawn from.
pub fn draw(lots: &[Lot], amount: i64, now: i64, first: Option<i64>) -> Draw {
    let mut order: Vec<&Lot> = lots.iter().filter(|l| l.usable_at(now)).collect();
    order.sort_by_key(|l| (Some(l.id) != first, l.earned_at, l.id));
    let mut left = amount.max(0);
    let mut takes = Vec::new();
    for lot in order {
        if left == 0 {
            break;
        }
        let take = lot.remaining.min(left);
        takes.push((lot.id, take));
        left -= take;
    }
    Draw { takes, short: left }
}

/// One customer's points of one type: the lots with something left and the debt. Every ledger
/// operation is computed here and the store writes what it returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    pub lots: Vec<Lot>,
    pub debt: i64,
}

/// A spend that the usable points do not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insufficient {
    pub available: i64,
}

impl Account {
    /// Open lots minus debt. Lots past their expiry count until the expiry has been recorded.
    pub fn balance(&self) -> i64 {
        self.lots.iter().map(|l| l.remaining).sum::<i64>() - self.debt
    }

    /// What can be spent at `now`: usable lots minus debt.
    pub fn available(&self, now: i64) -> i64 {
        self.lots.iter().filter(|l| l.usable_at(now)).map(|l| l.remaining).sum::<i64>() - self.debt
    }

    fn take(&mut self, takes: &[(i64, i64)]) {
        for (id, n) in takes {
            if let Some(l) = self.lots.iter_mut().find(|l| l.id == *id) {
                l.remaining -= n;
            }
        }
        self.lots.retain(|l| l.remaining > 0);
    }

    /// Adds an earning: it pays the debt first and the rest opens a lot. Returns the debt paid.
    pub fn earn(&mut self, lot: Lot) -> i64 {
        let paid = self.debt.min(lot.remaining.max(0));
        self.debt -= paid;
        let left = lot.remaining - paid;
        if left > 0 {
            self.lots.push(Lot { remaining: left, ..lot });
        }
        paid
    }

    /// Spends `amount` from usable lots, oldest first, all or nothing. Nothing can be spent while
    /// a debt is open.
    pub fn spend(&mut self, amount: i64, now: i64) -> Result<Vec<(i64, i64)>, Insufficient> {
        let available = self.available(now);
        if amount > available {
            return Err(Insufficient { available: available.max(0) });
        }
        let d = draw(&self.lots, amount, now, None);
        self.take(&d.takes);
        Ok(d.takes)
    }

    /// Takes back `amount` (a refund's share of an earning): from the lot `first` that earning
    /// opened, then the oldest usable lots; what they cannot cover becomes debt. Returns the
    /// takes and the debt added.
    pub fn reverse(&mut self, amount: i64, now: i64, first: Option<i64>) -> (Vec<(i64, i64)>, i64) {
        let d = draw(&self.lots, amount, now, first);
        self.take(&d.takes);
        self.debt += d.short;
        (d.takes, d.short)
    }

    /// Closes every lot whose expiry is at or before `now`; returns (lot, points expired).
    pub fn expire(&mut self, now: i64) -> Vec<(i64, i64)> {
        let due: Vec<(i64, i64)> =
            self.lots.iter().filter(|l| l.expires_at.is_some_and(|e| e <= now)).map(|l| (l.id, l.remaining)).collect();
        self.take(&due);
        due
    }
}

/// Points a refund takes back from one earning: the share of the refunded amount, computed on
/// the running total so that rounding never leaves a point behind after a full refund.
pub fn reversal_due(earned: i64, invoice_total: i64, refunded_after: i64, reversed_so_far: i64) -> i64 {
    if invoice_total <= 0 {
        return earned - reversed_so_far;
    }
    let refunded = refunded_after.clamp(0, invoice_total) as i128;
    let due = (earned as i128 * refunded / invoice_total as i128) as i64;
    (due - reversed_so_far).max(0)
}

/// A staff or API adjustment must say why.
pub fn parse_reason(input: Option<&str>) -> Result<String, Issue> {
    required_text(input, 500)
}

/// The first day of the week holding `day`: the Iranian week starts on Saturday.
pub fn week_start(day: Date) -> Date {
    let back = (day.weekday().to_monday_zero_offset() as i64 + 2) % 7;
    day.checked_sub(jiff::Span::new().days(back)).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn tehran() -> TimeZone {
        TimeZone::get("Asia/Tehran").unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn expiry_after_days_and_at_period_ends() {
        let z = tehran();
        let earned = ts("2025-04-10T10:00:00Z");
        assert_eq!(ExpiryPolicy::Never.expires_at(earned, &z, CalendarKind::Jalali), None);
        assert_eq!(
            ExpiryPolicy::AfterDays { days: 30 }.expires_at(earned, &z, CalendarKind::Jalali),
            Some(ts("2025-05-10T10:00:00Z"))
        );
        // 2025-04-10 is 21 Farvardin 1404: the Jalali year ends at Nowruz 1405 (2026-03-21, Tehran midnight).
        let year = ExpiryPolicy::EndOfPeriod { period: Period::Year, extra: 0 };
        assert_eq!(year.expires_at(earned, &z, CalendarKind::Jalali), Some(ts("2026-03-20T20:30:00Z")));
        let quarter = ExpiryPolicy::EndOfPeriod { period: Period::Quarter, extra: 1 };
        // Quarter Farvardin–Khordad ends at 1 Tir (2025-06-22); one more quarter: 1 Mehr 1404 (2025-09-23).
        assert_eq!(quarter.expires_at(earned, &z, CalendarKind::Jalali), Some(ts("2025-09-22T20:30:00Z")));
        let month = ExpiryPolicy::EndOfPeriod { period: Period::Month, extra: 0 };
        assert_eq!(month.expires_at(earned, &z, CalendarKind::Gregorian), Some(ts("2025-04-30T20:30:00Z")));
    }

    #[test]
    fn draws_oldest_usable_lots_first() {
        let lots = [
            Lot { id: 3, remaining: 50, earned_at: 300, expires_at: None },
            Lot { id: 1, remaining: 10, earned_at: 100, expires_at: Some(150) },
            Lot { id: 2, remaining: 20, earned_at: 200, expires_at: Some(10_000) },
        ];
        assert_eq!(draw(&lots, 30, 160, None), Draw { takes: vec![(2, 20), (3, 10)], short: 0 });
        assert_eq!(draw(&lots, 100, 160, Some(3)), Draw { takes: vec![(3, 50), (2, 20)], short: 30 });
        assert_eq!(draw(&lots, 5, 120, None), Draw { takes: vec![(1, 5)], short: 0 });
    }

    #[test]
    fn reversals_add_up_to_the_earning() {
        let mut reversed = 0;
        for refunded in [333, 666, 1000] {
            reversed += reversal_due(77, 1000, refunded, reversed);
        }
        assert_eq!(reversed, 77);
        assert_eq!(reversal_due(77, 1000, 500, 0), 38);
    }

    #[test]
    fn weeks_start_on_saturday() {
        assert_eq!(week_start(date(2026, 11, 22)), date(2026, 11, 21)); // Sunday → Saturday
        assert_eq!(week_start(date(2026, 11, 21)), date(2026, 11, 21));
        assert_eq!(week_start(date(2026, 11, 27)), date(2026, 11, 21)); // Friday
    }

    #[derive(Debug, Clone)]
    enum Op {
        Earn(i64, Option<i64>),
        Spend(i64),
        Reverse(i64, usize),
        Expire,
        Wait(i64),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            (1i64..500, proptest::option::of(1i64..50)).prop_map(|(p, d)| Op::Earn(p, d)),
            (1i64..800).prop_map(Op::Spend),
            (1i64..400, 0usize..8).prop_map(|(p, i)| Op::Reverse(p, i)),
            Just(Op::Expire),
            (1i64..30).prop_map(Op::Wait),
        ]
    }

    proptest::proptest! {
        /// Whatever happens, the balance is the open lots minus the debt, equals the sum of all
        /// signed ledger amounts, no expired lot is ever drawn, and a debt leaves no open lot.
        #[test]
        fn ledger_invariants(ops in proptest::collection::vec(op(), 1..60)) {
            let mut acc = Account::default();
            let mut now = 0i64;
            let mut signed_sum = 0i64;
            let mut all_lots: Vec<Lot> = Vec::new();
            for (n, op) in ops.into_iter().enumerate() {
                let id = n as i64 + 1;
                // As the engine does: due expiries are recorded before anything draws on lots.
                if matches!(op, Op::Spend(_) | Op::Reverse(..)) {
                    signed_sum -= acc.expire(now).iter().map(|e| e.1).sum::<i64>();
                }
                match op {
                    Op::Earn(p, days) => {
                        let lot = Lot { id, remaining: p, earned_at: now, expires_at: days.map(|d| now + d) };
                        all_lots.push(lot);
                        acc.earn(lot);
                        signed_sum += p;
                    }
                    Op::Spend(p) => {
                        let before = acc.clone();
                        match acc.spend(p, now) {
                            Ok(takes) => {
                                signed_sum -= p;
                                proptest::prop_assert_eq!(takes.iter().map(|t| t.1).sum::<i64>(), p);
                                for (lot, _) in takes {
                                    let l = all_lots.iter().find(|l| l.id == lot).unwrap();
                                    proptest::prop_assert!(l.expires_at.is_none_or(|e| e > now));
                                }
                            }
                            Err(_) => proptest::prop_assert_eq!(&acc, &before),
                        }
                    }
                    Op::Reverse(p, i) => {
                        let first = all_lots.get(i).map(|l| l.id);
                        let (takes, short) = acc.reverse(p, now, first);
                        proptest::prop_assert_eq!(takes.iter().map(|t| t.1).sum::<i64>() + short, p);
                        for (lot, _) in takes {
                            let l = all_lots.iter().find(|l| l.id == lot).unwrap();
                            proptest::prop_assert!(l.expires_at.is_none_or(|e| e > now));
                        }
                        signed_sum -= p;
                    }
                    Op::Expire => {
                        signed_sum -= acc.expire(now).iter().map(|e| e.1).sum::<i64>();
                        proptest::prop_assert!(acc.lots.iter().all(|l| l.usable_at(now)));
                    }
                    Op::Wait(d) => now += d,
                }
                proptest::prop_assert_eq!(acc.balance(), signed_sum);
                proptest::prop_assert!(acc.debt == 0 || acc.lots.is_empty());
                proptest::prop_assert!(acc.lots.iter().all(|l| l.remaining > 0));
            }
        }
    }

    #[test]
    fn point_types_are_checked() {
        let bad = PointTypeInput {
            code: "bad code".into(),
            name: " ".into(),
            expiry: Some(ExpiryPolicy::AfterDays { days: 0 }),
            counts_for_tiers: None,
            spendable: None,
            warn_days: None,
            cash_value: None,
        };
        let fields: Vec<String> = bad.parse().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["code", "name", "expiry"]);
    }
}
