//! Refunds in missions. Each fact that advanced a customer's progress is kept with what it
//! counted for (every step it matches, the distinct value, its amount), so that when the invoice
//! behind it is refunded the progress is rebuilt from the facts as they stand now: a fully
//! refunded purchase no longer counts, a partly refunded one counts for what was kept toward
//! spending goals. Steps that are no longer done are the caller's cue to take their rewards back.
//!
//! Facts that would count and arrive after completion are kept in reserve, as many as counted
//! toward completion (at most `RESERVE`), so that a customer who returns one of three purchases
//! after making five keeps the mission. The rebuild sees only kept facts: a fact that matched a
//! later step of a journey while an earlier one was open, or arrived with the reserve full, is
//! not kept, so a refund never gives a customer more progress than the facts that counted would
//! give; it may give less than a re-evaluation of every purchase would.

use crate::condition::Value;
use crate::missions::{Advance, Measure, Mission, MissionFact, Progress};
use serde::{Deserialize, Serialize};

/// A fact as kept in a customer's progress. Short field names: these live in every progress row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    /// The invoice behind the fact, if it can be refunded.
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<i64>,
    #[serde(rename = "t")]
    pub at: i64,
    /// What the fact counts toward spending goals now …
    #[serde(rename = "a", default)]
    pub amount: i64,
    /// … and what it counted when it arrived.
    #[serde(rename = "f", default)]
    pub full: i64,
    /// Every step the fact counts for.
    #[serde(rename = "s")]
    pub steps: Vec<StepMatch>,
    /// Arrived after completion and kept in reserve.
    #[serde(rename = "r", default, skip_serializing_if = "std::ops::Not::not")]
    pub reserve: bool,
}

/// The most facts kept in reserve after completion.
pub const RESERVE: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepMatch {
    #[serde(rename = "k")]
    pub step: usize,
    /// The value a `distinct` step counts.
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A refund's effect on one progress: the progress rebuilt, and which steps it undid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenBack {
    pub progress: Progress,
    /// Steps that were done and no longer are, in order.
    pub undone: Vec<usize>,
    /// Whether the whole mission was done and no longer is.
    pub reopened: bool,
}

/// How many kept facts counted toward progress and how many are in reserve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactCounts {
    pub counted: usize,
    pub reserved: usize,
}

impl FactCounts {
    pub fn of(facts: &[Counted]) -> Self {
        let reserved = facts.iter().filter(|c| c.reserve).count();
        FactCounts { counted: facts.len() - reserved, reserved }
    }

    pub fn plus(self, other: FactCounts) -> Self {
        FactCounts { counted: self.counted + other.counted, reserved: self.reserved + other.reserved }
    }
}

/// Whether completed progress may keep another fact in reserve: as many as counted toward
/// completion, at most `RESERVE`.
fn has_room(p: &Progress) -> bool {
    let all = p.unloaded.plus(FactCounts::of(&p.counted));
    all.reserved < all.counted.min(RESERVE)
}

/// Kept facts as JSON lines, one fact per line: stored this way, a batch appends its new facts to
/// a customer's progress without reading or rewriting the ones before.
pub fn facts_to_lines(facts: &[Counted]) -> String {
    let mut out = Vec::with_capacity(facts.len() * 72);
    for c in facts {
        serde_json::to_writer(&mut out, c).expect("facts serialise");
        out.push(b'\n');
    }
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Facts from JSON lines (see [`facts_to_lines`]).
pub fn facts_from_lines(lines: &str) -> Result<Vec<Counted>, serde_json::Error> {
    lines.lines().filter(|l| !l.is_empty()).map(serde_json::from_str).collect()
}

impl Mission {
    /// What a fact counts for, as kept in progress.
    pub(crate) fn counted(&self, f: &MissionFact<'_>) -> Counted {
        let steps = (0..self.steps.len())
            .filter(|&s| self.counts(s, f))
            .map(|s| {
                let value = match self.steps[s].measure {
                    Measure::Distinct => {
                        let field = self.steps[s].distinct_field.as_deref().unwrap_or_default();
                        match f.facts.and_then(|x| x.get(field)) {
                            Some(Value::Text(t)) => Some(t),
                            Some(Value::Num(n)) => Some(n.to_string()),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                StepMatch { step: s, value }
            })
            .collect();
        let amount = f.amount.max(0);
        Counted { invoice: f.invoice, at: f.at.as_millisecond(), amount, full: amount, steps, reserve: false }
    }

    /// Keeps a fact that arrived after completion in reserve while there is room.
    pub(crate) fn keep_in_reserve(&self, p: &mut Progress, f: &MissionFact<'_>) -> Advance {
        if !has_room(p) {
            return Advance::Nothing;
        }
        let c = self.counted(f);
        if c.steps.is_empty() {
            return Advance::Nothing;
        }
        p.counted.push(Counted { reserve: true, ..c });
        Advance::Reserved
    }

    /// Applies a kept fact to the step being worked on (windows were checked when it arrived).
    pub(crate) fn apply(&self, p: &mut Progress, c: &Counted) -> Advance {
        if p.completed_at.is_some() {
            return Advance::Nothing;
        }
        let Some(m) = c.steps.iter().find(|m| m.step == p.step) else { return Advance::Nothing };
        let goal = &self.steps[p.step];
        match goal.measure {
            Measure::Count => p.current += 1,
            Measure::Amount => p.current += c.amount,
            Measure::Distinct => {
                let Some(value) = &m.value else { return Advance::Nothing };
                if p.seen.contains(value) {
                    return Advance::Nothing;
                }
                p.seen.push(value.clone());
                p.current += 1;
            }
        }
        if p.current < goal.target {
            return Advance::Progressed;
        }
        let step = p.step;
        p.step += 1;
        p.current = 0;
        p.seen.clear();
        let mission_done = p.step == self.steps.len();
        if mission_done {
            p.completed_at = Some(c.at);
        }
        Advance::StepDone { step, mission_done }
    }

    /// The progress its kept facts give, from the moment the customer joined.
    pub fn replay(&self, p: &Progress) -> Progress {
        let mut q = self.join(p.joined_at);
        q.deadline_at = p.deadline_at;
        q.round = p.round;
        for c in &p.counted {
            if q.completed_at.is_some() {
                if has_room(&q) {
                    q.counted.push(Counted { reserve: true, ..c.clone() });
                }
            } else if self.apply(&mut q, c) != Advance::Nothing {
                q.counted.push(Counted { reserve: false, ..c.clone() });
            }
        }
        q
    }

    /// The effect of refunding `invoice` down to `kept` of its `total`, or `None` when nothing
    /// this progress counted came from that invoice. A fact counts while any of its invoice is
    /// kept; toward spending goals it counts its kept share.
    pub fn take_back(&self, p: &Progress, invoice: i64, kept: i64, total: i64) -> Option<TakenBack> {
        debug_assert_eq!(p.unloaded, FactCounts::default(), "a refund sees every kept fact");
        if !p.counted.iter().any(|c| c.invoice == Some(invoice)) {
            return None;
        }
        let mut changed = p.clone();
        changed.counted.retain_mut(|c| {
            if c.invoice != Some(invoice) {
                return true;
            }
            if kept <= 0 || total <= 0 {
                return false;
            }
            c.amount = (c.full as i128 * kept.min(total) as i128 / total as i128) as i64;
            true
        });
        let mut progress = self.replay(&changed);
        let before = if p.completed_at.is_some() { self.steps.len() } else { p.step };
        let after = if progress.completed_at.is_some() { self.steps.len() } else { progress.step };
        let undone: Vec<usize> = (after..before).collect();
        if !undone.is_empty() {
            progress.round = p.round + 1;
        }
        let reopened = p.completed_at.is_some() && progress.completed_at.is_none();
        Some(TakenBack { progress, undone, reopened })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::missions::{FactKind, MissionInput};
    use jiff::tz::TimeZone;
    use proptest::prelude::*;
    use std::collections::HashMap;

    use crate::condition::MapFacts as Fields;

    fn mission(j: serde_json::Value) -> Mission {
        serde_json::from_value::<MissionInput>(j).unwrap().parse(&TimeZone::UTC).unwrap()
    }

    fn purchase(day: i64, amount: i64, invoice: i64, fields: &Fields) -> MissionFact<'_> {
        let at = jiff::Timestamp::from_second(1_767_225_600 + day * 86_400).unwrap();
        MissionFact { kind: FactKind::Invoice, event_type: None, at, amount, facts: Some(fields), invoice: Some(invoice) }
    }

    #[test]
    fn a_refunded_purchase_stops_counting_and_reopens_the_mission() {
        let m = mission(serde_json::json!({"code": "three", "name": "Three", "goal": {"fact": "invoice", "target": 3}}));
        let none = Fields(HashMap::new());
        let mut p = m.join(0);
        for i in 1..=3 {
            m.advance(&mut p, &purchase(i, 100, i, &none));
        }
        assert!(p.completed_at.is_some());
        let partly = m.take_back(&p, 2, 40, 100).unwrap();
        assert!(partly.undone.is_empty() && !partly.reopened, "a partial refund leaves a purchase counted");
        let fully = m.take_back(&p, 2, 0, 100).unwrap();
        assert_eq!((fully.undone.clone(), fully.reopened), (vec![0], true));
        assert_eq!((fully.progress.step, fully.progress.current, fully.progress.round), (0, 2, 1));
        assert!(m.take_back(&p, 9, 0, 100).is_none(), "an invoice that never counted changes nothing");
        // The customer buys again: the mission is done again.
        let mut again = fully.progress;
        assert_eq!(m.advance(&mut again, &purchase(5, 100, 5, &none)), Advance::StepDone { step: 0, mission_done: true });
    }

    #[test]
    fn purchases_after_completion_stand_in_for_a_refunded_one() {
        let m = mission(serde_json::json!({"code": "three", "name": "Three", "goal": {"fact": "invoice", "target": 3}}));
        let none = Fields(HashMap::new());
        let mut p = m.join(0);
        for i in 1..=9 {
            m.advance(&mut p, &purchase(i, 100, i, &none));
        }
        assert_eq!(p.counted.iter().filter(|c| c.reserve).count(), 3, "as many in reserve as counted");
        let t = m.take_back(&p, 1, 0, 100).unwrap();
        assert!(t.progress.completed_at.is_some() && t.undone.is_empty() && !t.reopened);
        assert_eq!(t.progress.counted.iter().filter(|c| c.reserve).count(), 2);
        let mut q = t.progress;
        for i in [2, 3, 4, 5, 6] {
            q = m.take_back(&q, i, 0, 100).unwrap().progress;
        }
        assert_eq!((q.completed_at, q.current), (None, 0), "six returned, three kept in reserve: none left");
    }

    #[test]
    fn spending_goals_count_what_was_kept() {
        let m = mission(
            serde_json::json!({"code": "spend", "name": "Spend", "goal": {"fact": "invoice", "measure": "amount", "target": 1000}}),
        );
        let none = Fields(HashMap::new());
        let mut p = m.join(0);
        m.advance(&mut p, &purchase(1, 600, 1, &none));
        m.advance(&mut p, &purchase(2, 500, 2, &none));
        assert!(p.completed_at.is_some());
        let t = m.take_back(&p, 1, 450, 600).unwrap();
        assert_eq!((t.progress.current, t.reopened), (950, true));
        // A later partial refund of the same invoice is computed from what it first counted.
        let p2 = t.progress;
        let t2 = m.take_back(&p2, 1, 600, 600).unwrap();
        assert!(t2.progress.completed_at.is_some(), "a refund reversed in full counts all again");
    }

    #[test]
    fn a_journey_gives_back_only_the_steps_no_longer_done() {
        let m = mission(serde_json::json!({"code": "j", "name": "J", "steps": [
            {"fact": "invoice", "target": 1}, {"fact": "invoice", "target": 2}
        ]}));
        let none = Fields(HashMap::new());
        let mut p = m.join(0);
        for i in 1..=3 {
            m.advance(&mut p, &purchase(i, 100, i, &none));
        }
        assert!(p.completed_at.is_some());
        // Without the first purchase the second does the first step and the third half the second.
        let t = m.take_back(&p, 1, 0, 100).unwrap();
        assert_eq!((t.undone.clone(), t.progress.step, t.progress.current), (vec![1], 1, 1));
    }

    #[test]
    fn distinct_goals_forget_a_refunded_visit() {
        let m = mission(serde_json::json!({"code": "b", "name": "B",
            "goal": {"fact": "invoice", "measure": "distinct", "distinct_field": "invoice.branch", "target": 2}}));
        let b1 = Fields(HashMap::from([("invoice.branch", Value::Text("b1".into()))]));
        let b2 = Fields(HashMap::from([("invoice.branch", Value::Text("b2".into()))]));
        let mut p = m.join(0);
        m.advance(&mut p, &purchase(1, 10, 1, &b1));
        m.advance(&mut p, &purchase(2, 10, 2, &b2));
        let t = m.take_back(&p, 2, 0, 10).unwrap();
        assert_eq!((t.progress.current, t.progress.seen.clone(), t.reopened), (1, vec!["b1".to_string()], true));
    }

    proptest! {
        /// Facts advanced in batches, each batch seeing only the number of the facts kept before
        /// it and appending its own as lines, keep exactly what advancing with every fact loaded
        /// keeps, in the same order.
        #[test]
        fn batches_that_append_keep_what_one_pass_keeps(
            amounts in prop::collection::vec(1i64..500, 1..40),
            target in 1i64..6,
            cuts in prop::collection::vec(0usize..40, 0..6),
        ) {
            let m = mission(serde_json::json!({"code": "p", "name": "P", "goal": {"fact": "invoice", "target": target}}));
            let none = Fields(HashMap::new());
            let facts: Vec<MissionFact<'_>> =
                amounts.iter().enumerate().map(|(i, a)| purchase(i as i64, *a, i as i64, &none)).collect();
            let mut whole = m.join(0);
            for f in &facts {
                m.advance(&mut whole, f);
            }
            let (mut stored, mut counts) = (String::new(), FactCounts::default());
            let mut state = m.join(0);
            let mut bounds: Vec<usize> = cuts.iter().map(|c| c % facts.len()).chain([0, facts.len()]).collect();
            bounds.sort_unstable();
            for w in bounds.windows(2) {
                state.counted.clear();
                state.unloaded = counts;
                for f in &facts[w[0]..w[1]] {
                    m.advance(&mut state, f);
                }
                stored.push_str(&facts_to_lines(&state.counted));
                counts = counts.plus(FactCounts::of(&state.counted));
            }
            let kept = facts_from_lines(&stored).unwrap();
            prop_assert_eq!(&kept, &whole.counted);
            prop_assert_eq!(counts, FactCounts::of(&whole.counted));
            prop_assert_eq!((state.step, state.current, state.completed_at), (whole.step, whole.current, whole.completed_at));
        }

        /// Refunding never adds progress, and refunding nothing changes nothing.
        #[test]
        fn refunds_only_take_away(
            amounts in prop::collection::vec(1i64..500, 1..12),
            target in 1i64..2000,
            steps in 1usize..4,
            refunded in 0usize..12,
            kept_share in 0i64..=100,
        ) {
            let goals: Vec<serde_json::Value> = (0..steps)
                .map(|s| if s % 2 == 0 {
                    serde_json::json!({"fact": "invoice", "measure": "amount", "target": target})
                } else {
                    serde_json::json!({"fact": "invoice", "target": 2})
                })
                .collect();
            let m = mission(serde_json::json!({"code": "p", "name": "P", "steps": goals}));
            let none = Fields(HashMap::new());
            let mut p = m.join(0);
            for (i, a) in amounts.iter().enumerate() {
                m.advance(&mut p, &purchase(i as i64, *a, i as i64, &none));
            }
            let done = |q: &Progress| if q.completed_at.is_some() { steps } else { q.step };
            prop_assert_eq!(m.replay(&p).step, p.step);
            prop_assert_eq!(m.replay(&p).current, p.current);
            let invoice = (refunded % amounts.len()) as i64;
            if let Some(t) = m.take_back(&p, invoice, amounts[invoice as usize] * kept_share / 100, amounts[invoice as usize]) {
                prop_assert!(done(&t.progress) <= done(&p));
                prop_assert_eq!(t.undone.len(), done(&p) - done(&t.progress));
                let whole = m.take_back(&p, invoice, amounts[invoice as usize], amounts[invoice as usize]).unwrap();
                prop_assert_eq!(done(&whole.progress), done(&p));
                prop_assert!(whole.undone.is_empty());
            }
        }
    }
}
