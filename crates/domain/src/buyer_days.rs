//! Who bought in which ranges of days, counted from links between purchase days.
//!
//! Every day on which a customer bought is linked to the customer's next purchase day (or to
//! [`NO_NEXT_DAY`]). A customer who bought in a range has exactly one day in it whose link leaves
//! the range: the last one. So the buyers of a range, and the buyers of one range who bought
//! again in another, are sums over `(day, next day)` counts, without knowing who the customers
//! are. Only one question needs the customers themselves: whether someone whose next purchase
//! after range `a` fell in a gap before range `b` bought in `b` later; [`BuyerSets::after_gap`]
//! hands it back to be answered from the stored days.

/// The link of a customer's last known purchase day.
pub const NO_NEXT_DAY: &str = "9999-12-31";

/// A day as a count of days since 1970-01-01 (proleptic Gregorian), parsed from `YYYY-MM-DD`.
pub fn day_number(text: &str) -> Option<i32> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i32> {
        b[r].iter().try_fold(0i32, |n, c| c.is_ascii_digit().then(|| n * 10 + i32::from(c - b'0')))
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(civil_day_number(y, m, d))
}

/// The day number of a calendar date.
pub fn date_day_number(date: jiff::civil::Date) -> i32 {
    civil_day_number(i32::from(date.year()), i32::from(date.month()), i32::from(date.day()))
}

fn civil_day_number(y: i32, m: i32, d: i32) -> i32 {
    // Years counted from March so that the leap day ends the year.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (m + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The `YYYY-MM-DD` text of a day number.
pub fn day_text(n: i32) -> String {
    let z = n + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let m = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let y = year_of_era + era * 400 + i32::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// A range of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub from: i32,
    pub to: i32,
}

impl Days {
    pub fn new(from: i32, to: i32) -> Days {
        Days { from, to }
    }

    /// The range between two `YYYY-MM-DD` days.
    pub fn parse(from: &str, to: &str) -> Option<Days> {
        Some(Days { from: day_number(from)?, to: day_number(to)? })
    }

    pub fn is_empty(&self) -> bool {
        self.from > self.to
    }

    fn contains(&self, day: i32) -> bool {
        self.from <= day && day <= self.to
    }

    /// The smallest range holding both.
    pub fn hull(self, other: Days) -> Days {
        Days { from: self.from.min(other.from), to: self.to.max(other.to) }
    }
}

/// How many customers bought in range `a`, in range `b`, and in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuyerSets {
    pub in_a: i64,
    pub in_b: i64,
    pub in_both: i64,
    /// Customers not yet in `in_both` who may belong there: those whose last purchase in `a` is
    /// followed by one in the gap between `a` and `b`. Whoever of them bought in `b` adds to it.
    pub after_gap: Option<AfterGap>,
}

/// Of the customers whose last purchase in `last_in` is followed by their next in `next_in`: how
/// many bought in `bought_in`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterGap {
    pub last_in: Days,
    pub next_in: Days,
    pub bought_in: Days,
}

/// The question [`PurchaseLinks::sets`] hands back for ranges `a` and `b`, which the ranges alone
/// decide: there is one when they lie apart with days between them. Knowing it before the links
/// are read lets the stored days answer it at the same time ([`PurchaseLinks::answer`]).
pub fn after_gap(a: Days, b: Days) -> Option<AfterGap> {
    let (first, second) = if a.from <= b.from { (a, b) } else { (b, a) };
    if first.is_empty() || second.is_empty() || second.from <= first.to {
        return None;
    }
    let gap = Days::new(first.to + 1, second.from - 1);
    (!gap.is_empty()).then_some(AfterGap { last_in: first, next_in: gap, bought_in: second })
}

/// The `(day, next day, customers)` counts of the purchase days of a range.
#[derive(Debug, Clone, Default)]
pub struct PurchaseLinks {
    loaded: Option<Days>,
    /// Sorted by day, then next day.
    links: Vec<(i32, i32, i64)>,
    /// Questions the stored days already answered, with their answers.
    answered: Vec<(AfterGap, i64)>,
}

impl PurchaseLinks {
    /// The counts of the purchase days in `loaded`, in any order. Ranges asked about later must
    /// lie inside `loaded`.
    pub fn new(loaded: Days, mut links: Vec<(i32, i32, i64)>) -> PurchaseLinks {
        links.sort_unstable();
        PurchaseLinks { loaded: Some(loaded), links, answered: Vec::new() }
    }

    /// Records the stored days' answer to `question`: [`PurchaseLinks::sets`] adds it instead of
    /// handing the question back.
    pub fn answer(&mut self, question: AfterGap, customers: i64) {
        self.answered.push((question, customers));
    }

    /// Links whose day lies in `days`.
    fn within(&self, days: Days) -> &[(i32, i32, i64)] {
        debug_assert!(days.is_empty() || self.loaded.is_some_and(|l| l.from <= days.from && days.to <= l.to));
        let start = self.links.partition_point(|l| l.0 < days.from);
        let end = self.links.partition_point(|l| l.0 <= days.to);
        if start >= end { &[] } else { &self.links[start..end] }
    }

    /// Distinct customers who bought on a day in `days`: each is counted on the last such day.
    pub fn buyers(&self, days: Days) -> i64 {
        self.within(days).iter().filter(|l| l.1 > days.to).map(|l| l.2).sum()
    }

    /// Customers whose purchase on a day in `last_in` is followed by their next in `next_in`.
    fn followed(&self, last_in: Days, next_in: Days) -> i64 {
        self.within(last_in).iter().filter(|l| next_in.contains(l.1)).map(|l| l.2).sum()
    }

    /// The buyers of `a`, of `b`, and of both.
    pub fn sets(&self, a: Days, b: Days) -> BuyerSets {
        let (in_a, in_b) = (self.buyers(a), self.buyers(b));
        // Put the range that starts first in front; the counts are symmetric.
        let (first, second) = if a.from <= b.from { (a, b) } else { (b, a) };
        let mut sets = BuyerSets { in_a, in_b, in_both: 0, after_gap: None };
        if first.is_empty() || second.is_empty() {
            return sets;
        }
        if second.to <= first.to {
            // `second` lies inside `first`: its buyers bought in both.
            sets.in_both = self.buyers(second);
        } else if second.from <= first.to {
            // Overlapping: buyers of the shared days, and those who bought before it in `first`
            // and next after it in `second` (nothing in between, or the shared days would hold it).
            let shared = Days::new(second.from, first.to);
            sets.in_both =
                self.buyers(shared) + self.followed(Days::new(first.from, second.from - 1), Days::new(first.to + 1, second.to));
        } else {
            // Apart: the last purchase in `first` is followed by the next in `second`, or by one in
            // the gap, which the days cannot settle alone.
            sets.in_both = self.followed(first, second);
            sets.after_gap = after_gap(a, b);
            if let Some(&(_, customers)) = self.answered.iter().find(|(q, _)| Some(*q) == sets.after_gap) {
                sets.in_both += customers;
                sets.after_gap = None;
            }
        }
        sets
    }
}

/// A purchase day and its link, as stored (`YYYY-MM-DD` text, which sorts as the days do).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LinkedDay {
    pub day: String,
    pub next_day: String,
}

/// What adding purchase days to one customer changes among the stored links.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Relinked {
    /// Days that were not stored, with their links.
    pub added: Vec<LinkedDay>,
    /// Stored days whose link now points at an added day.
    pub changed: Vec<LinkedDay>,
}

/// Links `days` into a customer's stored purchase days. `stored` must hold, for each of `days`,
/// the stored day with the earliest link after it (the day it falls behind, or the customer's
/// first day when it comes before all of them); any further stored days may be given too. Every
/// link a new day changes belongs to one of those, and their links name the stored days that
/// come next. Days already stored change nothing.
pub fn relink(stored: &[LinkedDay], days: &[String]) -> Relinked {
    let known: std::collections::BTreeMap<&str, &str> = stored.iter().map(|l| (l.day.as_str(), l.next_day.as_str())).collect();
    // Stored days known only as the link of another.
    let following: std::collections::BTreeSet<&str> =
        stored.iter().map(|l| l.next_day.as_str()).filter(|d| *d != NO_NEXT_DAY).collect();
    let mut all: Vec<&str> = known.keys().chain(&following).copied().chain(days.iter().map(String::as_str)).collect();
    all.sort_unstable();
    all.dedup();
    let mut out = Relinked::default();
    for (i, day) in all.iter().enumerate() {
        let next = all.get(i + 1).copied().unwrap_or(NO_NEXT_DAY);
        let linked = LinkedDay { day: (*day).to_string(), next_day: next.to_string() };
        match known.get(day) {
            Some(was) if *was != next => out.changed.push(linked),
            Some(_) => {}
            // A stored day whose link is not given keeps it: no new day falls behind it.
            None if following.contains(day) => {}
            None => out.added.push(linked),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn day_numbers_round_trip_and_match_the_calendar() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(day_number("2024-02-29").map(|n| n + 1).map(day_text).as_deref(), Some("2024-03-01"));
        assert_eq!(day_number("2026-12-31").map(|n| n + 1).map(day_text).as_deref(), Some("2027-01-01"));
        assert!(day_number(NO_NEXT_DAY).unwrap() > day_number("2999-01-01").unwrap());
        for bad in ["2026-13-01", "2026-1-01", "2026/01/01", "", "20x6-01-01"] {
            assert_eq!(day_number(bad), None, "{bad}");
        }
        let mut d = jiff::civil::date(1899, 1, 1);
        for _ in 0..100_000 {
            let text = d.to_string();
            let n = day_number(&text).unwrap();
            assert_eq!(day_text(n), text);
            assert_eq!(date_day_number(d), n);
            let next = d.tomorrow().unwrap();
            assert_eq!(day_number(&next.to_string()), Some(n + 1));
            d = next;
        }
    }

    /// The links of customers' purchase days, loaded for `range`.
    fn links_of(histories: &[BTreeSet<i32>], range: Days) -> PurchaseLinks {
        let mut counts = std::collections::BTreeMap::new();
        for days in histories {
            let listed: Vec<i32> = days.iter().copied().collect();
            for (i, day) in listed.iter().enumerate() {
                if range.contains(*day) {
                    let next = listed.get(i + 1).copied().unwrap_or(i32::MAX);
                    *counts.entry((*day, next)).or_insert(0) += 1;
                }
            }
        }
        PurchaseLinks::new(range, counts.into_iter().map(|((d, n), c)| (d, n, c)).collect())
    }

    fn bought(days: &BTreeSet<i32>, r: Days) -> bool {
        !r.is_empty() && days.range(r.from..=r.to).next().is_some()
    }

    fn range_strategy() -> impl Strategy<Value = Days> {
        (0..60i32, 0..25i32).prop_map(|(from, len)| Days::new(from, from + len - 1))
    }

    fn links_of_days(days: &BTreeSet<i32>) -> Vec<LinkedDay> {
        let listed: Vec<String> = days.iter().map(|d| day_text(*d)).collect();
        listed
            .iter()
            .enumerate()
            .map(|(i, d)| LinkedDay { day: d.clone(), next_day: listed.get(i + 1).cloned().unwrap_or(NO_NEXT_DAY.into()) })
            .collect()
    }

    #[test]
    fn relinking_inserts_between_before_and_after() {
        let stored = links_of_days(&[10, 20].into_iter().collect());
        let r = relink(&stored, &[day_text(15), day_text(25), day_text(20), day_text(25)]);
        let text = |l: &LinkedDay| format!("{}>{}", l.day, l.next_day);
        assert_eq!(r.added.iter().map(text).collect::<Vec<_>>(), ["1970-01-16>1970-01-21", "1970-01-26>9999-12-31"]);
        assert_eq!(r.changed.iter().map(text).collect::<Vec<_>>(), ["1970-01-11>1970-01-16", "1970-01-21>1970-01-26"]);
        assert_eq!(relink(&stored, &[day_text(20)]), Relinked::default());
        assert_eq!(relink(&[], &[day_text(3)]).added, [LinkedDay { day: day_text(3), next_day: NO_NEXT_DAY.into() }]);
    }

    proptest! {
        #[test]
        fn relinking_gives_the_links_of_the_whole_history(
            before in prop::collection::btree_set(0..80i32, 0..12),
            added in prop::collection::vec(0..80i32, 1..6),
            extra in prop::collection::btree_set(0..80i32, 0..4),
        ) {
            let stored = links_of_days(&before);
            // What the store reads: for each added day the stored day with the earliest link
            // after it, and some other stored days.
            let mut read: Vec<LinkedDay> = added
                .iter()
                .filter_map(|d| stored.iter().find(|l| l.next_day > day_text(*d)).cloned())
                .chain(stored.iter().filter(|l| extra.contains(&day_number(&l.day).unwrap())).cloned())
                .collect();
            read.sort();
            read.dedup();
            let r = relink(&read, &added.iter().map(|d| day_text(*d)).collect::<Vec<_>>());
            let mut result: std::collections::BTreeMap<String, String> =
                stored.into_iter().map(|l| (l.day, l.next_day)).collect();
            for l in &r.changed {
                prop_assert!(result.contains_key(&l.day));
                result.insert(l.day.clone(), l.next_day.clone());
            }
            for l in &r.added {
                prop_assert!(result.insert(l.day.clone(), l.next_day.clone()).is_none());
            }
            let whole: BTreeSet<i32> = before.iter().chain(&added).copied().collect();
            let expected: std::collections::BTreeMap<String, String> =
                links_of_days(&whole).into_iter().map(|l| (l.day, l.next_day)).collect();
            prop_assert_eq!(result, expected);
        }

        #[test]
        fn sets_count_what_the_customers_did(
            histories in prop::collection::vec(prop::collection::btree_set(0..60i32, 0..8), 0..40),
            a in range_strategy(),
            b in range_strategy(),
        ) {
            let links = links_of(&histories, Days::new(0, 90));
            let mut sets = links.sets(a, b);
            if let Some(q) = sets.after_gap.take() {
                // The stored days answer this one: among the customers the links name, who bought in `b`.
                sets.in_both += histories
                    .iter()
                    .filter(|h| {
                        let last = h.range(q.last_in.from..=q.last_in.to).next_back();
                        let next = last.and_then(|l| h.range(l + 1..).next());
                        next.is_some_and(|n| q.next_in.contains(*n)) && bought(h, q.bought_in)
                    })
                    .count() as i64;
            }
            let a_buyers = histories.iter().filter(|h| bought(h, a)).count() as i64;
            let b_buyers = histories.iter().filter(|h| bought(h, b)).count() as i64;
            let both = histories.iter().filter(|h| bought(h, a) && bought(h, b)).count() as i64;
            prop_assert_eq!((sets.in_a, sets.in_b, sets.in_both), (a_buyers, b_buyers, both));
        }

        #[test]
        fn a_question_answered_ahead_gives_the_same_sets(
            histories in prop::collection::vec(prop::collection::btree_set(0..60i32, 0..8), 0..40),
            a in range_strategy(),
            b in range_strategy(),
        ) {
            let mut links = links_of(&histories, Days::new(0, 90));
            let asked = links.sets(a, b);
            prop_assert_eq!(asked.after_gap, after_gap(a, b));
            if let Some(q) = asked.after_gap {
                links.answer(q, 7);
                let answered = links.sets(a, b);
                prop_assert_eq!(answered, BuyerSets { in_both: asked.in_both + 7, after_gap: None, ..asked });
                // An answer to another question changes nothing.
                let mut other = links_of(&histories, Days::new(0, 90));
                other.answer(AfterGap { bought_in: Days::new(q.bought_in.from, q.bought_in.to + 1), ..q }, 7);
                prop_assert_eq!(other.sets(a, b), asked);
            }
        }
    }
}
