//! What the capped earning rules already gave one customer in one period (a day, week, month or
//! all time), kept together as one stored value per customer and period.
//!
//! An invoice matches several capped rules; keeping each rule's counter as its own row made a
//! batch of invoices read and write several rows per customer and period. The stored text is
//! `rule:points` pairs joined by `;` (no comma, so many values can be read back packed into one
//! comma-separated list).

/// Points given per rule, sorted by rule id, without zero counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulePoints(Vec<(i64, i64)>);

impl RulePoints {
    /// Parses the stored text; `None` when a pair is malformed or a rule repeats.
    pub fn parse(text: &str) -> Option<RulePoints> {
        let mut out = RulePoints::default();
        if text.is_empty() {
            return Some(out);
        }
        for pair in text.split(';') {
            let (rule, points) = pair.split_once(':')?;
            let (rule, points): (i64, i64) = (rule.parse().ok()?, points.parse().ok()?);
            if out.0.iter().any(|(r, _)| *r == rule) {
                return None;
            }
            out.add(rule, points);
        }
        Some(out)
    }

    /// The stored text: pairs in rule order.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(self.0.len() * 12);
        for (n, (rule, points)) in self.0.iter().enumerate() {
            let sep = if n == 0 { "" } else { ";" };
            write!(out, "{sep}{rule}:{points}").expect("writing to a string cannot fail");
        }
        out
    }

    /// What `rule` gave so far.
    pub fn get(&self, rule: i64) -> i64 {
        self.0.binary_search_by_key(&rule, |(r, _)| *r).map_or(0, |i| self.0[i].1)
    }

    /// Counts `points` more given by `rule`.
    pub fn add(&mut self, rule: i64, points: i64) {
        match self.0.binary_search_by_key(&rule, |(r, _)| *r) {
            Ok(i) => {
                self.0[i].1 += points;
                if self.0[i].1 == 0 {
                    self.0.remove(i);
                }
            }
            Err(i) if points != 0 => self.0.insert(i, (rule, points)),
            Err(_) => {}
        }
    }

    /// Adds every counter of `other` (two customers merged into one).
    pub fn merge(&mut self, other: &RulePoints) {
        for (rule, points) in &other.0 {
            self.add(*rule, *points);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn stored_text_reads_back_and_bad_text_is_refused() {
        let mut used = RulePoints::default();
        used.add(12, 40);
        used.add(3, 5);
        used.add(12, -10);
        assert_eq!(used.text(), "3:5;12:30");
        assert_eq!(RulePoints::parse("3:5;12:30"), Some(used.clone()));
        assert_eq!((used.get(3), used.get(12), used.get(7)), (5, 30, 0));
        assert_eq!(RulePoints::parse(""), Some(RulePoints::default()));
        for bad in ["3", "3:", ":5", "3:5;", "3:5;3:1", "x:1", "3:y", "3:5,4:1"] {
            assert_eq!(RulePoints::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        /// Counting grants one by one, in any order and across merges, gives each rule's sum.
        #[test]
        fn counters_are_the_sums_of_what_was_added(grants in prop::collection::vec((1i64..8, -50i64..200), 0..40), split in 0usize..40) {
            let mut sums: BTreeMap<i64, i64> = BTreeMap::new();
            let (mut a, mut b) = (RulePoints::default(), RulePoints::default());
            for (n, (rule, points)) in grants.iter().enumerate() {
                *sums.entry(*rule).or_default() += points;
                if n < split { a.add(*rule, *points) } else { b.add(*rule, *points) }
            }
            a.merge(&b);
            for rule in 1..8 {
                prop_assert_eq!(a.get(rule), sums.get(&rule).copied().unwrap_or(0));
            }
            prop_assert_eq!(RulePoints::parse(&a.text()), Some(a.clone()));
            prop_assert_eq!(a.is_empty(), sums.values().all(|s| *s == 0));
        }
    }
}
