//! Missions and journeys (SPEC D1, D2): goals over invoices, events and referrals written in the
//! shared condition language, who may take part and when, and how a fact advances a customer's
//! progress. A mission is a journey of one step; a journey's steps count in order, and one fact
//! advances one step at most.

use crate::calendar::CalendarKind;
use crate::calendar::parse_instant;
use crate::condition::{Condition, Facts, Schema};
use crate::earning::{EVENT_SCHEMA, INVOICE_SCHEMA};
use crate::event::parse_event_type;
use crate::issue::{Checker, Invalid, Issue, optional_text, required_text};
pub use crate::mission_replay::{Counted, FactCounts, StepMatch};
use crate::points::parse_code;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

pub const MAX_STEPS: usize = 10;
pub(crate) const DAY_MS: i64 = 86_400_000;

/// What a goal counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// Completed purchases.
    Invoice,
    /// Behavioural events of `event_type` (survey completed, content shared, check-in…).
    Event,
    /// Friends the customer invited whose qualifying first purchase was rewarded.
    Referral,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// One per fact.
    Count,
    /// The invoice's charged total ("spend 5,000,000").
    Amount,
    /// Different values of `distinct_field` ("visit two branches").
    Distinct,
}

/// What completing a step or the whole mission gives.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MissionReward {
    pub point_type: Option<String>,
    pub points: Option<i64>,
    /// A reward from the catalogue, given without its point cost (a discount code, spins, VIP…).
    pub reward: Option<String>,
}

impl MissionReward {
    pub fn is_empty(&self) -> bool {
        self.points.is_none() && self.reward.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalInput {
    /// What the customer sees, e.g. "Buy three times this month".
    pub label: Option<String>,
    pub fact: FactKind,
    /// For `event` goals: the event type counted.
    pub event_type: Option<String>,
    /// Property filters in the condition language over the fact (`invoice.categories`,
    /// `invoice.branch`, `invoice.channel`, `event.properties.*`…).
    #[schema(value_type = Object)]
    pub filter: Option<serde_json::Value>,
    /// Default `count`.
    pub measure: Option<Measure>,
    /// For `distinct`: the field whose different values count, e.g. `invoice.branch`.
    pub distinct_field: Option<String>,
    pub target: i64,
    /// Given when this step is done (journeys).
    pub reward: Option<MissionReward>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Enrolment {
    /// The first fact that counts enrols the customer.
    Automatic,
    /// The customer presses "start"; only facts from then on count.
    OptIn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Repeat {
    Once,
    Daily,
    Weekly,
    Monthly,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MissionInput {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// A single goal (a mission) …
    pub goal: Option<GoalInput>,
    /// … or ordered steps (a journey).
    pub steps: Option<Vec<GoalInput>>,
    /// Given when the mission (every step) is done.
    pub reward: Option<MissionReward>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// Days a customer has after joining.
    pub deadline_days: Option<u32>,
    /// Only customers in these tiers / stored segments / loyalty classes (absent: everyone).
    pub tiers: Option<Vec<String>>,
    pub segments: Option<Vec<String>>,
    pub classes: Option<Vec<String>>,
    /// Default `automatic`.
    pub enrolment: Option<Enrolment>,
    /// Default `once`; a repeatable mission starts over each day, week (from Saturday) or month
    /// of the tenant's calendar.
    pub repeat: Option<Repeat>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Goal {
    pub fact: FactKind,
    pub event_type: Option<String>,
    pub filter: Option<Condition>,
    pub measure: Measure,
    pub distinct_field: Option<String>,
    pub target: i64,
    pub reward: MissionReward,
}

#[derive(Debug, Clone)]
pub struct Mission {
    pub input: MissionInput,
    pub steps: Vec<Goal>,
    pub reward: MissionReward,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub enrolment: Enrolment,
    pub repeat: Repeat,
    pub active: bool,
    /// When the mission was created: a purchase made before a mission existed never completes
    /// it, even when its `starts_at` is earlier or absent.
    pub created_at: Option<Timestamp>,
}

fn check_reward(c: &mut Checker, at: &str, r: &MissionReward) {
    match (&r.point_type, r.points) {
        (Some(t), Some(n)) => {
            c.check(&format!("{at}.point_type"), parse_code(t));
            if n <= 0 {
                c.push(Issue::new("not_positive", "must be above zero", "باید بیشتر از صفر باشد").at(format!("{at}.points")));
            }
        }
        (None, Some(_)) => c.push(Issue::required().at(format!("{at}.point_type"))),
        (Some(_), None) => c.push(Issue::required().at(format!("{at}.points"))),
        (None, None) => {}
    }
    if let Some(code) = &r.reward {
        c.check(&format!("{at}.reward"), parse_code(code));
    }
}

fn parse_goal(c: &mut Checker, at: &str, g: &GoalInput) -> Option<Goal> {
    c.check(&format!("{at}.label"), optional_text(g.label.as_deref(), 120));
    let schema: &Schema = if g.fact == FactKind::Event { &EVENT_SCHEMA } else { &INVOICE_SCHEMA };
    let event_type = match (g.fact, &g.event_type) {
        (FactKind::Event, Some(t)) => c.check(&format!("{at}.event_type"), parse_event_type(t)),
        (FactKind::Event, None) => {
            c.push(Issue::required().at(format!("{at}.event_type")));
            None
        }
        (_, Some(_)) => {
            c.push(
                Issue::new("not_allowed", "only event goals name an event type", "فقط هدف رویدادی نوع رویداد دارد")
                    .at(format!("{at}.event_type")),
            );
            None
        }
        (_, None) => None,
    };
    let filter = match &g.filter {
        None => None,
        Some(_) if g.fact == FactKind::Referral => {
            c.push(Issue::new("not_allowed", "referral goals have no filter", "هدف دعوت فیلتر ندارد").at(format!("{at}.filter")));
            None
        }
        Some(json) => match Condition::parse(json, schema) {
            Ok(cond) => Some(cond),
            Err(inv) => {
                c.extend(&format!("{at}.filter"), inv);
                None
            }
        },
    };
    let measure = g.measure.unwrap_or(Measure::Count);
    match measure {
        Measure::Amount if g.fact != FactKind::Invoice => c.push(
            Issue::new("not_allowed", "only purchase goals count an amount", "فقط هدف خرید مبلغ دارد")
                .at(format!("{at}.measure")),
        ),
        Measure::Distinct => match g.distinct_field.as_deref() {
            Some(f) if g.fact != FactKind::Referral && schema.kind_of(f).is_some() => {}
            _ => c.push(
                Issue::new("invalid_field", "must be a field of the fact, e.g. invoice.branch", "فیلد معتبر نیست")
                    .at(format!("{at}.distinct_field")),
            ),
        },
        _ => {}
    }
    if !(1..=1_000_000_000_000).contains(&g.target) {
        c.push(Issue::new("out_of_range", "must be between 1 and 10^12", "خارج از بازه").at(format!("{at}.target")));
    }
    let reward = g.reward.clone().unwrap_or_default();
    check_reward(c, &format!("{at}.reward"), &reward);
    Some(Goal { fact: g.fact, event_type, filter, measure, distinct_field: g.distinct_field.clone(), target: g.target, reward })
}

impl MissionInput {
    pub fn parse(&self, zone: &TimeZone) -> Result<Mission, Invalid> {
        let mut c = Checker::new();
        c.check("code", parse_code(&self.code));
        c.check("name", required_text(Some(&self.name), 200));
        c.check("description", optional_text(self.description.as_deref(), 2000));
        let goals: Vec<(String, &GoalInput)> = match (&self.goal, &self.steps) {
            (Some(g), None) => vec![("goal".into(), g)],
            (None, Some(steps)) if (1..=MAX_STEPS).contains(&steps.len()) => {
                steps.iter().enumerate().map(|(i, g)| (format!("steps[{i}]"), g)).collect()
            }
            (None, Some(_)) => {
                c.push(
                    Issue::new("out_of_range", format!("a journey has 1 to {MAX_STEPS} steps"), "تعداد مراحل خارج از بازه است")
                        .at("steps"),
                );
                vec![]
            }
            _ => {
                c.push(Issue::new("goal_or_steps", "give either goal or steps", "یا هدف یا مراحل را بدهید").at("goal"));
                vec![]
            }
        };
        let steps: Vec<Goal> = goals.iter().filter_map(|(at, g)| parse_goal(&mut c, at, g)).collect();
        let reward = self.reward.clone().unwrap_or_default();
        check_reward(&mut c, "reward", &reward);
        for (field, list) in [("tiers", &self.tiers), ("segments", &self.segments), ("classes", &self.classes)] {
            for (i, t) in list.iter().flatten().enumerate() {
                c.check(&format!("{field}[{i}]"), parse_code(t));
            }
        }
        if self.deadline_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            c.push(Issue::new("out_of_range", "must be between 1 and 3650 days", "بین ۱ تا ۳۶۵۰ روز").at("deadline_days"));
        }
        let starts_at = self.starts_at.as_deref().and_then(|s| c.check("starts_at", parse_instant(s, zone)));
        let ends_at = self.ends_at.as_deref().and_then(|s| c.check("ends_at", parse_instant(s, zone)));
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            c.push(Issue::new("invalid_window", "must be after starts_at", "پایان باید بعد از شروع باشد").at("ends_at"));
        }
        let mut input = self.clone();
        input.code = self.code.trim().to_lowercase();
        c.finish(|| Mission {
            input,
            steps,
            reward,
            starts_at,
            ends_at,
            enrolment: self.enrolment.unwrap_or(Enrolment::Automatic),
            repeat: self.repeat.unwrap_or(Repeat::Once),
            active: self.active.unwrap_or(true),
            created_at: None,
        })
    }
}

/// One fact as missions see it.
pub struct MissionFact<'a> {
    pub kind: FactKind,
    pub event_type: Option<&'a str>,
    pub at: Timestamp,
    /// The charged total of an invoice.
    pub amount: i64,
    /// The fact's fields for filters and distinct values (none for referrals).
    pub facts: Option<&'a (dyn Facts + Sync)>,
    /// The invoice behind the fact (the customer's own, or a referred friend's first purchase),
    /// so that its refund can take back what it counted for.
    pub invoice: Option<i64>,
}

/// A customer's progress in one period of a mission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// Index of the step being worked on (= number of steps done).
    pub step: usize,
    pub current: i64,
    /// Values already counted by a `distinct` step.
    pub seen: Vec<String>,
    pub joined_at: i64,
    pub deadline_at: Option<i64>,
    pub completed_at: Option<i64>,
    /// The facts that advanced this progress, in order (see `mission_replay`), as far as they
    /// were loaded …
    pub counted: Vec<Counted>,
    /// … and how many kept before them were not: a purchase only needs their number, a refund
    /// loads them all.
    pub unloaded: FactCounts,
    /// How many times a refund took back steps already done: rewards given after that carry
    /// the round in their key, so a step done again is rewarded again.
    pub round: u32,
}

/// What a fact did to a customer's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advance {
    Nothing,
    /// Kept in reserve after completion: no progress, but the row changed.
    Reserved,
    Progressed,
    /// Steps done by this fact (its index), and whether the whole mission is now done.
    StepDone {
        step: usize,
        mission_done: bool,
    },
}

impl Mission {
    pub fn code(&self) -> &str {
        &self.input.code
    }

    /// Whether the mission takes facts at `at` at all (active and inside its window).
    pub fn open_at(&self, at: Timestamp) -> bool {
        self.active
            && self.starts_at.is_none_or(|s| at >= s)
            && self.created_at.is_none_or(|c| at >= c)
            && self.ends_at.is_none_or(|e| at < e)
    }

    /// Whether a customer with this tier, class and stored segments may take part.
    pub fn targets(&self, tier: Option<&str>, class: Option<&str>, segments: &[String]) -> bool {
        let within = |list: &Option<Vec<String>>, v: Option<&str>| {
            list.as_ref().is_none_or(|l| l.is_empty() || v.is_some_and(|v| l.iter().any(|x| x == v)))
        };
        within(&self.input.tiers, tier)
            && within(&self.input.classes, class)
            && self.input.segments.as_ref().is_none_or(|l| l.is_empty() || l.iter().any(|s| segments.contains(s)))
    }

    /// The period of a repeatable mission a moment falls in (`all` for a one-time mission).
    pub fn period_of(&self, at: Timestamp, zone: &TimeZone, calendar: CalendarKind) -> String {
        self.period_in(&crate::earning::PeriodKeys::of(at, zone, calendar)).to_string()
    }

    /// This mission's period among the periods a moment falls in.
    pub fn period_in<'a>(&self, keys: &'a crate::earning::PeriodKeys) -> &'a str {
        match self.repeat {
            Repeat::Once => &keys.all,
            Repeat::Daily => &keys.day,
            Repeat::Weekly => &keys.week,
            Repeat::Monthly => &keys.month,
        }
    }

    /// A new customer's progress when they join at `at`.
    pub fn join(&self, at: i64) -> Progress {
        let deadline_at = self.input.deadline_days.map(|d| at + d as i64 * DAY_MS);
        let deadline_at = match (deadline_at, self.ends_at) {
            (Some(d), Some(e)) => Some(d.min(e.as_millisecond())),
            (d, e) => d.or(e.map(|e| e.as_millisecond())),
        };
        Progress {
            step: 0,
            current: 0,
            seen: Vec::new(),
            joined_at: at,
            deadline_at,
            completed_at: None,
            counted: Vec::new(),
            unloaded: FactCounts::default(),
            round: 0,
        }
    }

    /// Whether a fact would count toward `step` (before any window check).
    pub fn counts(&self, step: usize, f: &MissionFact<'_>) -> bool {
        let Some(goal) = self.steps.get(step) else { return false };
        if goal.fact != f.kind || (goal.fact == FactKind::Event && goal.event_type.as_deref() != f.event_type) {
            return false;
        }
        match (&goal.filter, f.facts) {
            (None, _) => true,
            (Some(cond), Some(facts)) => cond.eval(facts),
            (Some(_), None) => false,
        }
    }

    /// Applies a fact to a customer's progress. Facts outside the mission's window, before the
    /// customer joined, after their deadline do nothing; so does a fact that does not count for
    /// the current step. After completion a fact that would count is kept in reserve (see
    /// `mission_replay`), up to a limit.
    pub fn advance(&self, p: &mut Progress, f: &MissionFact<'_>) -> Advance {
        let at = f.at.as_millisecond();
        if !self.open_at(f.at) || at < p.joined_at || p.deadline_at.is_some_and(|d| at >= d) {
            return Advance::Nothing;
        }
        if p.completed_at.is_some() {
            return self.keep_in_reserve(p, f);
        }
        if !self.counts(p.step, f) {
            return Advance::Nothing;
        }
        let counted = self.counted(f);
        let outcome = self.apply(p, &counted);
        if outcome != Advance::Nothing {
            p.counted.push(counted);
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::Value;
    use std::collections::HashMap;

    use crate::condition::MapFacts as Fields;

    fn mission(j: serde_json::Value) -> Mission {
        serde_json::from_value::<MissionInput>(j).unwrap().parse(&TimeZone::UTC).unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn invoice<'a>(when: &str, amount: i64, fields: &'a Fields) -> MissionFact<'a> {
        MissionFact { kind: FactKind::Invoice, event_type: None, at: at(when), amount, facts: Some(fields), invoice: None }
    }

    #[test]
    fn a_journey_counts_its_steps_in_order() {
        let m = mission(serde_json::json!({"code": "j", "name": "J", "steps": [
            {"fact": "invoice", "target": 1},
            {"fact": "event", "event_type": "survey_completed", "target": 1},
            {"fact": "invoice", "measure": "amount", "target": 500}
        ]}));
        let none = Fields(HashMap::new());
        let survey = MissionFact {
            kind: FactKind::Event,
            event_type: Some("survey_completed"),
            at: at("2026-01-02T00:00:00Z"),
            amount: 0,
            facts: Some(&none),
            invoice: None,
        };
        let mut p = m.join(0);
        assert_eq!(m.advance(&mut p, &survey), Advance::Nothing, "the survey before the purchase does not count");
        assert_eq!(
            m.advance(&mut p, &invoice("2026-01-03T00:00:00Z", 300, &none)),
            Advance::StepDone { step: 0, mission_done: false }
        );
        assert_eq!(m.advance(&mut p, &invoice("2026-01-03T01:00:00Z", 300, &none)), Advance::Nothing, "one fact, one step");
        assert_eq!(m.advance(&mut p, &survey), Advance::StepDone { step: 1, mission_done: false });
        assert_eq!(m.advance(&mut p, &invoice("2026-01-04T00:00:00Z", 300, &none)), Advance::Progressed);
        assert_eq!(
            m.advance(&mut p, &invoice("2026-01-05T00:00:00Z", 200, &none)),
            Advance::StepDone { step: 2, mission_done: true }
        );
        assert_eq!(
            m.advance(&mut p, &invoice("2026-01-06T00:00:00Z", 200, &none)),
            Advance::Reserved,
            "kept in reserve after completion"
        );
    }

    #[test]
    fn windows_deadlines_filters_and_distinct_values() {
        let m = mission(serde_json::json!({"code": "b", "name": "B", "deadline_days": 14, "starts_at": "2026-01-01T00:00:00Z",
            "goal": {"fact": "invoice", "measure": "distinct", "distinct_field": "invoice.branch", "target": 2,
                     "filter": {"field": "invoice.channel", "op": "eq", "value": "pos"}}}));
        let b1 =
            Fields(HashMap::from([("invoice.branch", Value::Text("b1".into())), ("invoice.channel", Value::Text("pos".into()))]));
        let b2 =
            Fields(HashMap::from([("invoice.branch", Value::Text("b2".into())), ("invoice.channel", Value::Text("pos".into()))]));
        let web = Fields(HashMap::from([
            ("invoice.branch", Value::Text("b3".into())),
            ("invoice.channel", Value::Text("online".into())),
        ]));
        let joined = at("2026-01-10T00:00:00Z").as_millisecond();
        let mut p = m.join(joined);
        assert_eq!(p.deadline_at, Some(joined + 14 * DAY_MS));
        assert_eq!(m.advance(&mut p, &invoice("2026-01-09T00:00:00Z", 1, &b1)), Advance::Nothing, "before joining");
        assert_eq!(m.advance(&mut p, &invoice("2026-01-11T00:00:00Z", 1, &b1)), Advance::Progressed);
        assert_eq!(m.advance(&mut p, &invoice("2026-01-12T00:00:00Z", 1, &b1)), Advance::Nothing, "the same branch again");
        assert_eq!(m.advance(&mut p, &invoice("2026-01-12T00:00:00Z", 1, &web)), Advance::Nothing, "filtered out");
        assert_eq!(m.advance(&mut p, &invoice("2026-01-25T00:00:00Z", 1, &b2)), Advance::Nothing, "after the deadline");
        assert_eq!(
            m.advance(&mut p, &invoice("2026-01-20T00:00:00Z", 1, &b2)),
            Advance::StepDone { step: 0, mission_done: true }
        );
    }

    #[test]
    fn bad_definitions_name_their_fields() {
        let bad = serde_json::json!({"code": "x", "name": "X", "steps": [
            {"fact": "event", "target": 0},
            {"fact": "referral", "measure": "amount", "target": 1, "filter": {"field": "invoice.total", "op": "gt", "value": 1}},
            {"fact": "invoice", "measure": "distinct", "target": 1, "reward": {"points": 5}}
        ], "deadline_days": 0});
        let errors = serde_json::from_value::<MissionInput>(bad).unwrap().parse(&TimeZone::UTC).unwrap_err();
        let fields: Vec<String> = errors.0.into_iter().map(|e| e.field).collect();
        for f in [
            "steps[0].event_type",
            "steps[0].target",
            "steps[1].filter",
            "steps[1].measure",
            "steps[2].distinct_field",
            "steps[2].reward.point_type",
            "deadline_days",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn targeting_and_periods() {
        let m =
            mission(serde_json::json!({"code": "t", "name": "T", "tiers": ["gold"], "segments": ["vip"], "repeat": "monthly",
            "goal": {"fact": "invoice", "target": 3}}));
        assert!(m.targets(Some("gold"), None, &["vip".into()]));
        assert!(!m.targets(Some("silver"), None, &["vip".into()]));
        assert!(!m.targets(Some("gold"), None, &[]));
        let tehran = TimeZone::get("Asia/Tehran").unwrap();
        assert_eq!(m.period_of(at("2026-11-22T10:00:00Z"), &tehran, CalendarKind::Jalali), "m1405-09");
        assert_eq!(m.period_of(at("2026-11-22T10:00:00Z"), &tehran, CalendarKind::Gregorian), "m2026-11");
    }
}
