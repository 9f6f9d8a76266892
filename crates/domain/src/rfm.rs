//! RFM (SPEC B1): every buying customer scored 1–5 on recency, frequency and monetary value, and
//! placed in one of eleven segments by a grid the tenant may edit.
//!
//! The definition, exactly:
//! - population: customers with at least one invoice that is not fully refunded;
//! - recency = whole days from the last purchase to `as_of`; frequency = number of invoices;
//!   monetary = net spend (after refunds);
//! - `score = 1 + floor(5 × W / N)` where N is the population and W the number of customers with a
//!   strictly worse value (more days, fewer invoices, less spend), so equal values score equally;
//! - `FM = floor((F + M + 1) / 2)`; the segment is the grid cell at row R, column FM.
//!
//! Scores depend on W only through thresholds ("cut points"): a score of at least k needs
//! W ≥ ceil((k − 1) × N / 5). [`Cuts`] keeps, per metric, the smallest population value reaching
//! each threshold, so a customer is scored from four comparisons — exactly for the population the
//! cuts came from, and consistently for a customer whose figures changed since.

use crate::issue::{Invalid, Issue};
use serde::{Deserialize, Serialize};

pub const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Champions,
    Loyal,
    PotentialLoyalist,
    NewCustomers,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLoseThem,
    Hibernating,
    Lost,
}

impl Segment {
    pub const ALL: [Segment; 11] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::PotentialLoyalist,
        Segment::NewCustomers,
        Segment::Promising,
        Segment::NeedAttention,
        Segment::AboutToSleep,
        Segment::AtRisk,
        Segment::CantLoseThem,
        Segment::Hibernating,
        Segment::Lost,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::PotentialLoyalist => "potential_loyalist",
            Segment::NewCustomers => "new_customers",
            Segment::Promising => "promising",
            Segment::NeedAttention => "need_attention",
            Segment::AboutToSleep => "about_to_sleep",
            Segment::AtRisk => "at_risk",
            Segment::CantLoseThem => "cant_lose_them",
            Segment::Hibernating => "hibernating",
            Segment::Lost => "lost",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Segment::Champions => "Champions",
            Segment::Loyal => "Loyal",
            Segment::PotentialLoyalist => "Potential Loyalist",
            Segment::NewCustomers => "New Customers",
            Segment::Promising => "Promising",
            Segment::NeedAttention => "Need Attention",
            Segment::AboutToSleep => "About To Sleep",
            Segment::AtRisk => "At Risk",
            Segment::CantLoseThem => "Can't Lose Them",
            Segment::Hibernating => "Hibernating",
            Segment::Lost => "Lost",
        }
    }

    pub fn name_fa(self) -> &'static str {
        match self {
            Segment::Champions => "قهرمان",
            Segment::Loyal => "وفادار",
            Segment::PotentialLoyalist => "وفاداران بالقوه",
            Segment::NewCustomers => "مشتریان جدید",
            Segment::Promising => "به سمت وفاداری",
            Segment::NeedAttention => "نیازمند توجه",
            Segment::AboutToSleep => "در حال اتمام فعالیت",
            Segment::AtRisk => "در معرض خطر",
            Segment::CantLoseThem => "وفاداران سابق",
            Segment::Hibernating => "غیرفعال",
            Segment::Lost => "از دست رفته",
        }
    }

    pub fn parse(code: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The grid: `rows[0]` is R = 5 down to `rows[4]` for R = 1; each row lists FM = 1 … 5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    pub rows: Vec<Vec<Segment>>,
}

impl Default for Grid {
    fn default() -> Self {
        use Segment::*;
        Grid {
            rows: vec![
                vec![NewCustomers, PotentialLoyalist, PotentialLoyalist, Champions, Champions],
                vec![Promising, PotentialLoyalist, PotentialLoyalist, Loyal, Champions],
                vec![AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal],
                vec![Hibernating, Hibernating, AtRisk, AtRisk, CantLoseThem],
                vec![Lost, Lost, AtRisk, CantLoseThem, CantLoseThem],
            ],
        }
    }
}

impl Grid {
    pub fn check(&self) -> Result<(), Invalid> {
        if self.rows.len() != 5 {
            return Err(Issue::new("grid_shape", "needs 5 rows (R = 5 down to 1)", "باید ۵ ردیف داشته باشد").at("rows").into());
        }
        for (i, row) in self.rows.iter().enumerate() {
            if row.len() != 5 {
                return Err(Issue::new("grid_shape", "each row needs 5 cells (FM = 1 to 5)", "هر ردیف باید ۵ خانه داشته باشد")
                    .at(format!("rows[{i}]"))
                    .into());
            }
        }
        Ok(())
    }

    pub fn segment(&self, r: u8, fm: u8) -> Segment {
        self.rows[5 - r as usize][fm as usize - 1]
    }
}

/// Parses `as_of`: an instant, or a date meaning the end of that day in `zone` (so the whole day's
/// purchases count, with recency 0 for them).
pub fn parse_as_of(input: &str, zone: &jiff::tz::TimeZone) -> Result<i64, Issue> {
    let text = crate::digits::ascii_digits(input.trim());
    if !text.contains(['T', ' ', ':']) {
        let date = crate::calendar::parse_date(&text)?;
        let next = date.tomorrow().map_err(|_| Issue::new("invalid_date", "is out of range", "خارج از بازه است"))?;
        let start = next.to_zoned(zone.clone()).map_err(|_| Issue::new("invalid_date", "is out of range", "خارج از بازه است"))?;
        return Ok(start.timestamp().as_millisecond());
    }
    Ok(crate::calendar::parse_instant(&text, zone)?.as_millisecond())
}

/// One customer's figures at `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Figures {
    pub recency_days: i64,
    pub frequency: i64,
    pub monetary: i64,
}

impl Figures {
    /// Figures from the last purchase instant, invoice count and net spend; a purchase after
    /// `as_of` (a clock ahead of ours) counts as today.
    pub fn at(as_of_ms: i64, last_purchase_ms: i64, frequency: i64, monetary: i64) -> Figures {
        Figures { recency_days: (as_of_ms - last_purchase_ms).max(0).div_euclid(DAY_MS), frequency, monetary }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scores {
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub fm: u8,
}

impl Scores {
    pub fn new(r: u8, f: u8, m: u8) -> Scores {
        // floor((F + M + 1) / 2), written as the equal ceil((F + M) / 2).
        Scores { r, f, m, fm: (f + m).div_ceil(2) }
    }
}

/// Per metric, the smallest value that reaches a score of 2, 3, 4 and 5 (none when no customer
/// of the population does). Recency is stored as the most days that still reach each score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Cuts {
    pub population: i64,
    pub recency_max_days: [Option<i64>; 4],
    pub frequency_min: [Option<i64>; 4],
    pub monetary_min: [Option<i64>; 4],
}

/// The thresholds over keys where a larger key is better: for each k in 2..=5 the smallest key
/// with at least ceil((k − 1) × N / 5) keys strictly below it. Found by selection rather than a
/// full sort (a population of a million is read on every call of the table).
fn thresholds(mut keys: Vec<i64>) -> [Option<i64>; 4] {
    let n = keys.len();
    let mut out = [None; 4];
    for (slot, k) in (2..=5usize).enumerate() {
        let need = ((k - 1) * n).div_ceil(5);
        if need == 0 {
            out[slot] = keys.iter().min().copied();
            continue;
        }
        // Every key up to and including the need-th smallest has fewer than `need` keys below it;
        // the smallest key above it has at least `need`.
        let (_, below, above) = keys.select_nth_unstable(need - 1);
        let below = *below;
        out[slot] = above.iter().copied().filter(|&v| v > below).min();
    }
    out
}

fn score_of(key: i64, thresholds: &[Option<i64>; 4]) -> u8 {
    1 + thresholds.iter().filter(|t| t.is_some_and(|t| key >= t)).count() as u8
}

impl Cuts {
    pub fn of(population: &[Figures]) -> Cuts {
        let negate = |t: [Option<i64>; 4]| t.map(|v| v.map(|v| -v));
        Cuts {
            population: population.len() as i64,
            recency_max_days: negate(thresholds(population.iter().map(|f| -f.recency_days).collect())),
            frequency_min: thresholds(population.iter().map(|f| f.frequency).collect()),
            monetary_min: thresholds(population.iter().map(|f| f.monetary).collect()),
        }
    }

    pub fn score(&self, f: &Figures) -> Scores {
        let negate = self.recency_max_days.map(|v| v.map(|v| -v));
        Scores::new(
            score_of(-f.recency_days, &negate),
            score_of(f.frequency, &self.frequency_min),
            score_of(f.monetary, &self.monetary_min),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition written out directly: W counted customer by customer.
    fn by_definition(all: &[Figures], f: &Figures) -> Scores {
        let n = all.len() as i64;
        let score = |worse: usize| (1 + 5 * worse as i64 / n) as u8;
        Scores::new(
            score(all.iter().filter(|o| o.recency_days > f.recency_days).count()),
            score(all.iter().filter(|o| o.frequency < f.frequency).count()),
            score(all.iter().filter(|o| o.monetary < f.monetary).count()),
        )
    }

    proptest! {
        #[test]
        fn cuts_give_the_definition(figures in prop::collection::vec((0i64..40, 1i64..8, -5i64..60), 1..120)) {
            let all: Vec<Figures> = figures.iter().map(|&(r, f, m)| Figures { recency_days: r, frequency: f, monetary: m }).collect();
            let cuts = Cuts::of(&all);
            for f in &all {
                prop_assert_eq!(cuts.score(f), by_definition(&all, f));
            }
        }
    }

    #[test]
    fn equal_values_score_equally_and_the_best_get_five() {
        let f = |r, fr, m| Figures { recency_days: r, frequency: fr, monetary: m };
        let all = [f(1, 5, 500), f(1, 5, 500), f(30, 1, 10), f(200, 1, 10), f(10, 2, 100)];
        let cuts = Cuts::of(&all);
        assert_eq!(cuts.score(&all[0]), cuts.score(&all[1]));
        // W = 3 of 5 for the two best: 1 + floor(15 / 5) = 4.
        assert_eq!(cuts.score(&all[0]), Scores { r: 4, f: 4, m: 4, fm: 4 });
        assert_eq!(cuts.score(&all[3]), Scores { r: 1, f: 1, m: 1, fm: 1 });
        assert_eq!(Grid::default().segment(1, 1), Segment::Lost);
        assert_eq!(Grid::default().segment(5, 5), Segment::Champions);
        assert_eq!(Grid::default().segment(5, 1), Segment::NewCustomers);
        assert_eq!(Grid::default().segment(2, 5), Segment::CantLoseThem);
    }

    #[test]
    fn one_customer_scores_one() {
        let one = [Figures { recency_days: 0, frequency: 9, monetary: 9 }];
        assert_eq!(Cuts::of(&one).score(&one[0]), Scores::new(1, 1, 1));
    }

    #[test]
    fn recency_is_whole_days() {
        assert_eq!(Figures::at(10 * DAY_MS - 1, 0, 1, 1).recency_days, 9);
        assert_eq!(Figures::at(0, DAY_MS, 1, 1).recency_days, 0);
    }

    #[test]
    fn as_of_a_date_is_the_end_of_that_day() {
        let tehran = jiff::tz::TimeZone::get("Asia/Tehran").unwrap();
        let end = parse_as_of("2024-03-01", &tehran).unwrap();
        assert_eq!(end, "2024-03-01T20:30:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond());
        assert_eq!(parse_as_of("1402/12/11", &tehran).unwrap(), end);
        assert_eq!(parse_as_of("2024-03-01T10:00:00Z", &tehran).unwrap(), 1_709_287_200_000);
        assert!(parse_as_of("2024-13-01", &tehran).is_err());
    }

    #[test]
    fn grid_shape_is_checked() {
        let mut g = Grid::default();
        g.rows[2].pop();
        assert_eq!(g.check().unwrap_err().0[0].field, "rows[2]");
        assert!(Segment::ALL.iter().all(|s| Segment::parse(s.code()) == Some(*s)));
    }
}
