//! Plans and metered usage (SPEC J3). Usage is a tenant's sales invoices in one month of its
//! calendar; on the Economic plan the month's count picks one band of the published table and
//! that band's price applies to every invoice of the month (below 1,000 invoices a flat fee).

use crate::calendar::{CalendarKind, jalali_to_gregorian};
use crate::digits::ascii_digits;
use crate::issue::Issue;
use jiff::civil::Date;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// Pay as you go by monthly invoices; the ready missions and games only.
    Economic,
    /// Priced by contract; every feature.
    Prime,
}

impl Plan {
    pub fn parse(input: &str) -> Result<Plan, Issue> {
        match input.trim().to_ascii_lowercase().as_str() {
            "economic" => Ok(Plan::Economic),
            "prime" => Ok(Plan::Prime),
            _ => Err(Issue::one_of(&["economic", "prime"])),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Economic => "economic",
            Plan::Prime => "prime",
        }
    }

    /// Whether the tenant may define its own missions and games, beyond the ready ones.
    pub fn allows_custom_gamification(self) -> bool {
        self == Plan::Prime
    }
}

/// How one band of the Economic table prices a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "toman")]
pub enum BandPrice {
    /// One fee for the month, whatever the count.
    Flat(i64),
    /// This price for each invoice of the month.
    PerInvoice(i64),
    /// Agreed with the business (the Prime plan's way).
    Negotiated,
}

/// One row of the table: months with `from ≤ invoices < to` (no `to`: no upper end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PriceBand {
    pub from: i64,
    pub to: Option<i64>,
    pub price: BandPrice,
}

/// The published Economic price table in toman (SPEC J3). A count on a band's edge belongs to
/// the band that starts there.
pub const ECONOMIC_BANDS: [PriceBand; 7] = [
    PriceBand { from: 0, to: Some(1_000), price: BandPrice::Flat(3_000_000) },
    PriceBand { from: 1_000, to: Some(2_500), price: BandPrice::PerInvoice(3_000) },
    PriceBand { from: 2_500, to: Some(5_000), price: BandPrice::PerInvoice(2_000) },
    PriceBand { from: 5_000, to: Some(10_000), price: BandPrice::PerInvoice(1_300) },
    PriceBand { from: 10_000, to: Some(25_000), price: BandPrice::PerInvoice(850) },
    PriceBand { from: 25_000, to: Some(50_000), price: BandPrice::PerInvoice(500) },
    PriceBand { from: 50_000, to: None, price: BandPrice::Negotiated },
];

/// What a month costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Charge {
    pub invoices: i64,
    /// The band the count falls in (Economic), or none (Prime: by contract).
    pub band: Option<PriceBand>,
    /// In toman; none when the price is agreed by contract.
    pub amount: Option<i64>,
}

/// The month's price on `plan` for `invoices` sales invoices.
pub fn charge(plan: Plan, invoices: i64) -> Charge {
    let invoices = invoices.max(0);
    if plan == Plan::Prime {
        return Charge { invoices, band: None, amount: None };
    }
    let band = *ECONOMIC_BANDS
        .iter()
        .find(|b| invoices >= b.from && b.to.is_none_or(|to| invoices < to))
        .expect("the bands cover every count from zero");
    let amount = match band.price {
        BandPrice::Flat(fee) => Some(fee),
        BandPrice::PerInvoice(price) => Some(price * invoices),
        BandPrice::Negotiated => None,
    };
    Charge { invoices, band: Some(band), amount }
}

/// A month of a calendar: `year` and `month` (1–12) as that calendar numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingMonth {
    pub calendar: CalendarKind,
    pub year: i32,
    pub month: i32,
}

/// The first year read as Gregorian on a Jalali tenant: no Jalali year near today is this
/// high (1700 SH is 2321 AD), so `2026-12` cannot mean a Jalali month anyone bills.
const GREGORIAN_YEARS_FROM: i32 = 1700;

impl BillingMonth {
    /// Reads `YYYY-MM` (or `YYYY/MM`, Persian digits allowed) in `calendar`; on a Jalali tenant a
    /// year from 1700 on is read as Gregorian.
    pub fn parse(input: &str, calendar: CalendarKind) -> Result<BillingMonth, Issue> {
        let text = ascii_digits(input.trim()).replace('/', "-");
        let bad = || {
            Issue::new(
                "invalid_month",
                "must be a month as YYYY-MM, e.g. 1405-09 or 2026-12",
                "ماه باید به شکل YYYY-MM باشد، مثلاً ۱۴۰۵-۰۹",
            )
        };
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: i32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(1200..=2999).contains(&year) {
            return Err(bad());
        }
        let calendar =
            if calendar == CalendarKind::Jalali && year >= GREGORIAN_YEARS_FROM { CalendarKind::Gregorian } else { calendar };
        Ok(BillingMonth { calendar, year, month })
    }

    /// The month holding `day`.
    pub fn of(day: Date, calendar: CalendarKind) -> BillingMonth {
        let (year, month) = crate::points::year_month(calendar, day);
        BillingMonth { calendar, year, month }
    }

    /// The month `n` months later (earlier when negative).
    pub fn plus(self, n: i32) -> BillingMonth {
        let index = self.year * 12 + (self.month - 1) + n;
        BillingMonth { calendar: self.calendar, year: index.div_euclid(12), month: index.rem_euclid(12) + 1 }
    }

    /// The first and last day of the month (Gregorian dates).
    pub fn days(self) -> (Date, Date) {
        let start = |m: BillingMonth| match m.calendar {
            CalendarKind::Jalali => jalali_to_gregorian(m.year, m.month as u8, 1),
            CalendarKind::Gregorian => Date::new(m.year as i16, m.month as i8, 1).ok(),
        };
        let first = start(self).expect("a checked month has a first day");
        let next = start(self.plus(1)).expect("a checked month has a next month");
        (first, next.yesterday().expect("a month's last day"))
    }

    /// `1405-09` — the label in its own calendar.
    pub fn label(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_published_table() {
        let economic = |n| charge(Plan::Economic, n).amount;
        assert_eq!(economic(0), Some(3_000_000));
        assert_eq!(economic(999), Some(3_000_000));
        assert_eq!(economic(1_000), Some(3_000_000));
        assert_eq!(economic(2_499), Some(7_497_000));
        assert_eq!(economic(2_500), Some(5_000_000));
        assert_eq!(economic(7_000), Some(9_100_000));
        assert_eq!(economic(10_000), Some(8_500_000));
        assert_eq!(economic(30_000), Some(15_000_000));
        assert_eq!(economic(49_999), Some(24_999_500));
        assert_eq!(economic(50_000), None);
        assert_eq!(charge(Plan::Prime, 7_000), Charge { invoices: 7_000, band: None, amount: None });
    }

    #[test]
    fn months_in_both_calendars() {
        let azar = BillingMonth::parse("۱۴۰۵/۰۹", CalendarKind::Jalali).unwrap();
        assert_eq!((azar.calendar, azar.label()), (CalendarKind::Jalali, "1405-09".to_string()));
        assert_eq!(azar.days(), (Date::new(2026, 11, 22).unwrap(), Date::new(2026, 12, 21).unwrap()));
        let esfand = BillingMonth::parse("1403-12", CalendarKind::Jalali).unwrap();
        assert_eq!(esfand.days(), (Date::new(2025, 2, 19).unwrap(), Date::new(2025, 3, 20).unwrap()), "1403 is a leap year");
        let december = BillingMonth::parse("2026-12", CalendarKind::Jalali).unwrap();
        assert_eq!(december.calendar, CalendarKind::Gregorian);
        assert_eq!(december.days(), (Date::new(2026, 12, 1).unwrap(), Date::new(2026, 12, 31).unwrap()));
        assert_eq!(BillingMonth::of(Date::new(2026, 12, 3).unwrap(), CalendarKind::Jalali), azar);
        assert_eq!(azar.plus(4).label(), "1406-01");
        assert_eq!(azar.plus(-9).label(), "1404-12");
        for bad in ["1405", "1405-13", "1405-00", "abc-01", "99-01"] {
            assert_eq!(BillingMonth::parse(bad, CalendarKind::Jalali).unwrap_err().code, "invalid_month", "{bad}");
        }
    }

    proptest! {
        /// Every count has exactly one band, and inside a band the bill never falls as the
        /// count grows.
        #[test]
        fn bands_partition_the_counts(n in 0i64..60_000) {
            let bands = ECONOMIC_BANDS.iter().filter(|b| n >= b.from && b.to.is_none_or(|to| n < to)).count();
            prop_assert_eq!(bands, 1);
            let (a, b) = (charge(Plan::Economic, n), charge(Plan::Economic, n + 1));
            if a.band == b.band {
                prop_assert!(b.amount >= a.amount);
            }
        }

        /// Consecutive months tile the days: each starts the day after the one before ends.
        #[test]
        fn months_tile(year in 1300i32..1500, month in 1i32..=12, jalali in any::<bool>()) {
            let calendar = if jalali { CalendarKind::Jalali } else { CalendarKind::Gregorian };
            let year = if jalali { year } else { year + 700 };
            let m = BillingMonth { calendar, year, month };
            let (first, last) = m.days();
            prop_assert!(first <= last);
            prop_assert_eq!(m.plus(1).days().0, last.tomorrow().unwrap());
            prop_assert_eq!(BillingMonth::of(first, calendar), m);
            prop_assert_eq!(BillingMonth::of(last, calendar), m);
        }
    }
}
