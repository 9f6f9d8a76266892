//! Earning rules (SPEC C1, C8): what an invoice or an event earns, and why.
//!
//! A rule awards points of one type, either `points` per `per_amount` currency units of the
//! invoice amount (total minus shipping) or `points` flat. Line multipliers weight lines by
//! category or product (the largest matching factor of a line counts); invoice multipliers apply
//! when their condition holds (each one multiplies, rounding down after each). Caps bound what
//! one rule gives per invoice or event, per day, week (from Saturday), month (tenant calendar)
//! and per customer over all time.

use crate::calendar::{CalendarKind, parse_instant};
use crate::condition::{Condition, Facts, Kind, Schema, Value};
use crate::event::parse_event_type;
use crate::issue::{Checker, Invalid, Issue, required_text};
use crate::points::{parse_code, week_start, year_month};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

const CUSTOMER_FIELDS: [(&str, Kind); 4] = [
    ("customer.tier", Kind::Text),
    ("customer.previous_invoices", Kind::Number),
    ("customer.tags", Kind::TextList),
    ("customer.loyalty_class", Kind::Text),
];

/// Fields an invoice rule may test.
pub const INVOICE_SCHEMA: Schema = Schema {
    fields: &[
        ("invoice.total", Kind::Number),
        ("invoice.amount", Kind::Number),
        ("invoice.subtotal", Kind::Number),
        ("invoice.channel", Kind::Text),
        ("invoice.branch", Kind::Text),
        ("invoice.source", Kind::Text),
        ("invoice.weekday", Kind::Text),
        ("invoice.hour", Kind::Number),
        ("invoice.date", Kind::Text),
        ("invoice.categories", Kind::TextList),
        ("invoice.skus", Kind::TextList),
        ("invoice.line_count", Kind::Number),
        CUSTOMER_FIELDS[0],
        CUSTOMER_FIELDS[1],
        CUSTOMER_FIELDS[2],
        CUSTOMER_FIELDS[3],
    ],
    prefixes: &[("customer.attributes.", Kind::Any)],
    counted: &[],
};

/// Fields an event rule may test.
pub const EVENT_SCHEMA: Schema = Schema {
    fields: &[
        ("event.type", Kind::Text),
        ("event.source", Kind::Text),
        ("event.weekday", Kind::Text),
        ("event.hour", Kind::Number),
        ("event.date", Kind::Text),
        CUSTOMER_FIELDS[0],
        CUSTOMER_FIELDS[1],
        CUSTOMER_FIELDS[2],
        CUSTOMER_FIELDS[3],
    ],
    prefixes: &[("event.properties.", Kind::Any), ("customer.attributes.", Kind::Any)],
    counted: &[],
};

/// Largest points or factor a rule may name: far above any real programme, far below overflow.
const MAX_POINTS: i64 = 1_000_000_000;
const MAX_FACTOR: f64 = 100.0;

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LineMultiplierInput {
    pub category: Option<String>,
    pub sku: Option<String>,
    /// e.g. 2 or 1.5 (three decimals kept).
    pub factor: f64,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MultiplierInput {
    /// A condition over the same fields as the rule's own condition.
    #[schema(value_type = Object)]
    pub when: Json,
    pub factor: f64,
}

/// Upper bounds on the points one rule gives a customer.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Caps {
    pub per_invoice: Option<i64>,
    pub per_day: Option<i64>,
    pub per_week: Option<i64>,
    pub per_month: Option<i64>,
    pub per_customer: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    /// `invoice` or `event`.
    pub trigger: String,
    /// For event rules: the event type that earns (`content_shared`, `survey_completed`,
    /// `social_follow`, `signup`, `birthday`, `review` or any custom type).
    pub event_type: Option<String>,
    /// Code of the point type awarded.
    pub point_type: String,
    #[schema(value_type = Option<Object>)]
    pub condition: Option<Json>,
    /// Points per `per_amount` currency units, or flat points when `per_amount` is absent.
    pub points: i64,
    pub per_amount: Option<i64>,
    /// Invoices below this amount earn nothing from the rule.
    pub min_amount: Option<i64>,
    pub line_multipliers: Option<Vec<LineMultiplierInput>>,
    pub multipliers: Option<Vec<MultiplierInput>>,
    pub caps: Option<Caps>,
    /// The rule applies to facts that happened inside this window (ISO 8601 or Jalali).
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Invoice,
    Event,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Invoice => "invoice",
            Trigger::Event => "event",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LineMultiplier {
    pub category: Option<String>,
    pub sku: Option<String>,
    pub permille: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub trigger: Trigger,
    pub event_type: Option<String>,
    pub point_type: String,
    pub condition: Option<Condition>,
    pub points: i64,
    pub per_amount: Option<i64>,
    pub min_amount: i64,
    pub line_multipliers: Vec<LineMultiplier>,
    pub multipliers: Vec<(Condition, i64)>,
    pub caps: Caps,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
}

fn factor_permille(f: f64) -> Result<i64, Issue> {
    if f.is_finite() && f > 0.0 && f <= MAX_FACTOR {
        Ok((f * 1000.0).round().max(1.0) as i64)
    } else {
        Err(Issue::new(
            "out_of_range",
            format!("must be above 0 and at most {MAX_FACTOR}"),
            "ضریب باید بیشتر از صفر و حداکثر ۱۰۰ باشد",
        ))
    }
}

fn positive(v: i64) -> Result<i64, Issue> {
    if (1..=MAX_POINTS).contains(&v) {
        Ok(v)
    } else {
        Err(Issue::new("out_of_range", format!("must be between 1 and {MAX_POINTS}"), "باید عددی مثبت باشد"))
    }
}

impl RuleInput {
    pub fn parse(&self, zone: &TimeZone) -> Result<Rule, Invalid> {
        let mut c = Checker::new();
        let name = c.check("name", required_text(Some(&self.name), 200));
        let trigger = c.check(
            "trigger",
            match self.trigger.as_str() {
                "invoice" => Ok(Trigger::Invoice),
                "event" => Ok(Trigger::Event),
                _ => Err(Issue::one_of(&["invoice", "event"])),
            },
        );
        let schema = if trigger == Some(Trigger::Event) { &EVENT_SCHEMA } else { &INVOICE_SCHEMA };
        let event_type = match (trigger, &self.event_type) {
            (Some(Trigger::Event), None) => {
                c.push(Issue::required().at("event_type"));
                None
            }
            (Some(Trigger::Event), Some(t)) => c.check("event_type", parse_event_type(t)),
            (_, Some(_)) => {
                c.push(
                    Issue::new("unexpected", "only event rules name an event type", "فقط قانون رویداد نوع رویداد دارد")
                        .at("event_type"),
                );
                None
            }
            _ => None,
        };
        let point_type = c.check("point_type", parse_code(&self.point_type));
        let condition = match &self.condition {
            None => None,
            Some(j) => match Condition::parse(j, schema) {
                Ok(cond) => Some(cond),
                Err(e) => {
                    c.extend("condition", e);
                    None
                }
            },
        };
        let points = c.check("points", positive(self.points));
        let per_amount = self.per_amount.and_then(|p| c.check("per_amount", positive(p)));
        if self.per_amount.is_some() && trigger == Some(Trigger::Event) {
            c.push(Issue::new("unexpected", "event rules award flat points", "قانون رویداد امتیاز ثابت می‌دهد").at("per_amount"));
        }
        let min_amount = self.min_amount.unwrap_or(0);
        if min_amount < 0 {
            c.push(Issue::negative().at("min_amount"));
        }
        let mut line_multipliers = Vec::new();
        for (i, m) in self.line_multipliers.iter().flatten().enumerate() {
            let at = format!("line_multipliers[{i}]");
            if m.category.is_none() == m.sku.is_none() {
                c.push(
                    Issue::new("invalid_multiplier", "name exactly one of category or sku", "دقیقاً یکی از دسته یا کالا").at(&at),
                );
            }
            if let Some(p) = c.check(&format!("{at}.factor"), factor_permille(m.factor)) {
                line_multipliers.push(LineMultiplier { category: m.category.clone(), sku: m.sku.clone(), permille: p });
            }
        }
        if !line_multipliers.is_empty() && trigger == Some(Trigger::Event) {
            c.push(Issue::new("unexpected", "events have no lines", "رویداد سطر ندارد").at("line_multipliers"));
        }
        let mut multipliers = Vec::new();
        for (i, m) in self.multipliers.iter().flatten().enumerate() {
            let at = format!("multipliers[{i}]");
            let factor = c.check(&format!("{at}.factor"), factor_permille(m.factor));
            match Condition::parse(&m.when, schema) {
                Ok(cond) => multipliers.extend(factor.map(|f| (cond, f))),
                Err(e) => c.extend(&format!("{at}.when"), e),
            }
        }
        let caps = self.caps.unwrap_or_default();
        for (field, v) in [
            ("per_invoice", caps.per_invoice),
            ("per_day", caps.per_day),
            ("per_week", caps.per_week),
            ("per_month", caps.per_month),
            ("per_customer", caps.per_customer),
        ] {
            if let Some(v) = v {
                c.check(&format!("caps.{field}"), positive(v));
            }
        }
        let starts_at = self.starts_at.as_deref().and_then(|s| c.check("starts_at", parse_instant(s, zone)));
        let ends_at = self.ends_at.as_deref().and_then(|s| c.check("ends_at", parse_instant(s, zone)));
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            c.push(Issue::new("invalid_window", "must be after starts_at", "پایان باید بعد از شروع باشد").at("ends_at"));
        }
        c.finish(|| Rule {
            name: name.unwrap(),
            trigger: trigger.unwrap(),
            event_type,
            point_type: point_type.unwrap(),
            condition,
            points: points.unwrap(),
            per_amount,
            min_amount,
            line_multipliers,
            multipliers,
            caps,
            starts_at,
            ends_at,
        })
    }
}

impl Rule {
    /// The normalised input, as stored and returned.
    pub fn to_input(&self) -> RuleInput {
        RuleInput {
            name: self.name.clone(),
            trigger: self.trigger.as_str().into(),
            event_type: self.event_type.clone(),
            point_type: self.point_type.clone(),
            condition: self.condition.as_ref().map(Condition::to_json),
            points: self.points,
            per_amount: self.per_amount,
            min_amount: (self.min_amount > 0).then_some(self.min_amount),
            line_multipliers: (!self.line_multipliers.is_empty()).then(|| {
                self.line_multipliers
                    .iter()
                    .map(|m| LineMultiplierInput {
                        category: m.category.clone(),
                        sku: m.sku.clone(),
                        factor: m.permille as f64 / 1000.0,
                    })
                    .collect()
            }),
            multipliers: (!self.multipliers.is_empty()).then(|| {
                self.multipliers.iter().map(|(c, f)| MultiplierInput { when: c.to_json(), factor: *f as f64 / 1000.0 }).collect()
            }),
            caps: (self.caps != Caps::default()).then_some(self.caps),
            starts_at: self.starts_at.map(|t| t.to_string()),
            ends_at: self.ends_at.map(|t| t.to_string()),
        }
    }

    /// Whether the rule's own window holds `at`.
    pub fn open_at(&self, at: Timestamp) -> bool {
        self.starts_at.is_none_or(|s| s <= at) && self.ends_at.is_none_or(|e| at < e)
    }

    fn matches(&self, facts: &dyn Facts) -> bool {
        self.condition.as_ref().is_none_or(|c| c.eval(facts))
    }

    fn multiply(&self, mut points: i64, facts: &dyn Facts) -> i64 {
        for (cond, permille) in &self.multipliers {
            if cond.eval(facts) {
                points = (points as i128 * *permille as i128 / 1000) as i64;
            }
        }
        match self.caps.per_invoice {
            Some(cap) => points.min(cap),
            None => points,
        }
    }

    /// What an invoice earns from this rule before the period caps.
    pub fn invoice_points(&self, inv: &InvoiceFacts) -> i64 {
        if self.trigger != Trigger::Invoice || inv.amount < self.min_amount || inv.amount <= 0 || !self.matches(inv) {
            return 0;
        }
        let base = match self.per_amount {
            None => self.points,
            Some(per) => {
                let line_sum: i128 = inv.lines.iter().map(|l| l.total.max(0) as i128).sum();
                let weighted: i128 = if self.line_multipliers.is_empty() || line_sum == 0 {
                    inv.amount as i128
                } else {
                    let num: i128 = inv.lines.iter().map(|l| l.total.max(0) as i128 * self.line_factor(l) as i128).sum();
                    inv.amount as i128 * num / (line_sum * 1000)
                };
                // Points for each whole `per` units: 2 per 10,000 gives 10 for 55,000.
                ((weighted / per as i128) * self.points as i128).min(i64::MAX as i128) as i64
            }
        };
        self.multiply(base, inv)
    }

    fn line_factor(&self, line: &LineFacts) -> i64 {
        self.line_multipliers
            .iter()
            .filter(|m| (m.category.is_some() && m.category == line.category) || (m.sku.is_some() && m.sku == line.sku))
            .map(|m| m.permille)
            .max()
            .unwrap_or(1000)
    }

    /// What an event earns from this rule before the period caps.
    pub fn event_points(&self, ev: &EventFacts) -> i64 {
        if self.trigger != Trigger::Event || self.event_type.as_deref() != Some(ev.event_type.as_str()) || !self.matches(ev) {
            return 0;
        }
        self.multiply(self.points, ev)
    }
}

/// Points a rule already gave a customer in the periods of one fact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub day: i64,
    pub week: i64,
    pub month: i64,
    pub total: i64,
}

impl Caps {
    /// What may still be given of `raw` after what was given already.
    pub fn grant(&self, raw: i64, used: &Usage) -> i64 {
        let mut g = raw;
        for (cap, used) in
            [(self.per_day, used.day), (self.per_week, used.week), (self.per_month, used.month), (self.per_customer, used.total)]
        {
            if let Some(cap) = cap {
                g = g.min((cap - used).max(0));
            }
        }
        g.max(0)
    }

    /// Whether any cap spans more than one fact, so usage must be kept.
    pub fn has_period_caps(&self) -> bool {
        self.per_day.is_some() || self.per_week.is_some() || self.per_month.is_some() || self.per_customer.is_some()
    }

    /// Which of a fact's periods (day, week, month, all time) this rule keeps usage under.
    pub fn periods(&self) -> [bool; 4] {
        [self.per_day.is_some(), self.per_week.is_some(), self.per_month.is_some(), self.per_customer.is_some()]
    }
}

/// Names of the periods a fact falls in, as usage is stored under them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodKeys {
    pub day: String,
    pub week: String,
    pub month: String,
    pub all: String,
}

impl PeriodKeys {
    pub fn of(at: Timestamp, zone: &TimeZone, calendar: CalendarKind) -> PeriodKeys {
        let day = crate::calendar::local_day(at, zone);
        let (y, m) = year_month(calendar, day);
        PeriodKeys {
            day: format!("d{day}"),
            week: format!("w{}", week_start(day)),
            month: format!("m{y:04}-{m:02}"),
            all: "all".into(),
        }
    }

    /// The day, week, month and all-time keys, in the order of [`Caps::periods`].
    pub fn all_periods(&self) -> [&str; 4] {
        [&self.day, &self.week, &self.month, &self.all]
    }
}

/// What the rules know of the customer a fact belongs to.
#[derive(Debug, Clone, Default)]
pub struct CustomerFacts {
    pub tier: Option<String>,
    pub previous_invoices: i64,
    pub tags: Vec<String>,
    pub loyalty_class: Option<String>,
    pub attributes: serde_json::Map<String, Json>,
}

impl CustomerFacts {
    fn get(&self, field: &str) -> Option<Value> {
        match field {
            "customer.tier" => self.tier.clone().map(Value::Text),
            "customer.previous_invoices" => Some(Value::Num(self.previous_invoices as f64)),
            "customer.tags" => Some(Value::List(self.tags.clone())),
            "customer.loyalty_class" => self.loyalty_class.clone().map(Value::Text),
            _ => field.strip_prefix("customer.attributes.").and_then(|k| self.attributes.get(k)).and_then(Value::from_json),
        }
    }
}

#[derive(Debug, Clone)]
pub struct LineFacts {
    pub category: Option<String>,
    pub sku: Option<String>,
    pub total: i64,
}

fn weekday_name(d: jiff::civil::Weekday) -> &'static str {
    use jiff::civil::Weekday::*;
    match d {
        Saturday => "saturday",
        Sunday => "sunday",
        Monday => "monday",
        Tuesday => "tuesday",
        Wednesday => "wednesday",
        Thursday => "thursday",
        Friday => "friday",
    }
}

fn time_fact(local: DateTime, what: &str) -> Option<Value> {
    match what {
        "weekday" => Some(Value::Text(weekday_name(local.weekday()).into())),
        "hour" => Some(Value::Num(local.hour() as f64)),
        "date" => Some(Value::Text(local.date().to_string())),
        _ => None,
    }
}

/// An invoice as the rules see it.
#[derive(Debug, Clone)]
pub struct InvoiceFacts {
    pub total: i64,
    /// Total minus shipping: what points per amount are computed from.
    pub amount: i64,
    pub subtotal: i64,
    pub channel: String,
    pub branch: Option<String>,
    pub source: String,
    /// When it was issued, in the tenant's zone.
    pub local: DateTime,
    pub lines: Vec<LineFacts>,
    pub customer: CustomerFacts,
}

impl Facts for InvoiceFacts {
    fn get(&self, field: &str) -> Option<Value> {
        let list = |f: fn(&LineFacts) -> Option<&String>| {
            let mut v: Vec<String> = self.lines.iter().filter_map(f).cloned().collect();
            v.sort();
            v.dedup();
            Value::List(v)
        };
        match field {
            "invoice.total" => Some(Value::Num(self.total as f64)),
            "invoice.amount" => Some(Value::Num(self.amount as f64)),
            "invoice.subtotal" => Some(Value::Num(self.subtotal as f64)),
            "invoice.channel" => Some(Value::Text(self.channel.clone())),
            "invoice.branch" => self.branch.clone().map(Value::Text),
            "invoice.source" => Some(Value::Text(self.source.clone())),
            "invoice.categories" => Some(list(|l| l.category.as_ref())),
            "invoice.skus" => Some(list(|l| l.sku.as_ref())),
            "invoice.line_count" => Some(Value::Num(self.lines.len() as f64)),
            _ => match field.strip_prefix("invoice.") {
                Some(what) => time_fact(self.local, what),
                None => self.customer.get(field),
            },
        }
    }
}

/// An event as the rules see it.
#[derive(Debug, Clone)]
pub struct EventFacts {
    pub event_type: String,
    pub source: String,
    pub local: DateTime,
    pub properties: serde_json::Map<String, Json>,
    pub customer: CustomerFacts,
}

impl Facts for EventFacts {
    fn get(&self, field: &str) -> Option<Value> {
        match field {
            "event.type" => Some(Value::Text(self.event_type.clone())),
            "event.source" => Some(Value::Text(self.source.clone())),
            _ => {
                if let Some(k) = field.strip_prefix("event.properties.") {
                    self.properties.get(k).and_then(Value::from_json)
                } else if let Some(what) = field.strip_prefix("event.") {
                    time_fact(self.local, what)
                } else {
                    self.customer.get(field)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn zone() -> TimeZone {
        TimeZone::get("Asia/Tehran").unwrap()
    }

    fn rule(j: Json) -> Rule {
        serde_json::from_value::<RuleInput>(j).unwrap().parse(&zone()).unwrap()
    }

    fn invoice(amount: i64, lines: &[(&str, i64)]) -> InvoiceFacts {
        InvoiceFacts {
            total: amount,
            amount,
            subtotal: amount,
            channel: "pos".into(),
            branch: Some("tehran-1".into()),
            source: "pos".into(),
            local: "2026-11-22T18:30".parse().unwrap(),
            lines: lines.iter().map(|(c, t)| LineFacts { category: Some(c.to_string()), sku: None, total: *t }).collect(),
            customer: CustomerFacts { tier: Some("gold".into()), ..Default::default() },
        }
    }

    #[test]
    fn per_amount_with_line_and_invoice_multipliers() {
        let r = rule(json!({
            "name": "base", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 10000,
            "line_multipliers": [{"category": "coffee", "factor": 2}],
            "multipliers": [{"when": {"field": "customer.tier", "op": "eq", "value": "gold"}, "factor": 1.5}]
        }));
        // 100,000 of which 40,000 coffee at ×2: weighted 140,000 → 14 points → ×1.5 = 21.
        assert_eq!(r.invoice_points(&invoice(100_000, &[("coffee", 40_000), ("cake", 60_000)])), 21);
        // Without lines the amount counts once.
        assert_eq!(r.invoice_points(&invoice(100_000, &[])), 15);
    }

    #[test]
    fn conditions_minimums_and_invoice_caps() {
        let r = rule(json!({
            "name": "evening", "trigger": "invoice", "point_type": "purchase", "points": 50, "min_amount": 50000,
            "condition": {"all": [{"field": "invoice.hour", "op": "gte", "value": 18}, {"field": "invoice.weekday", "op": "eq", "value": "sunday"}]},
            "caps": {"per_invoice": 30}
        }));
        assert_eq!(r.invoice_points(&invoice(60_000, &[])), 30);
        assert_eq!(r.invoice_points(&invoice(40_000, &[])), 0);
        let mut morning = invoice(60_000, &[]);
        morning.local = "2026-11-22T09:00".parse().unwrap();
        assert_eq!(r.invoice_points(&morning), 0);
    }

    #[test]
    fn period_caps_grant_what_is_left() {
        let caps = Caps { per_day: Some(100), per_customer: Some(250), ..Default::default() };
        assert_eq!(caps.grant(60, &Usage { day: 50, total: 50, ..Default::default() }), 50);
        assert_eq!(caps.grant(60, &Usage { day: 0, total: 220, ..Default::default() }), 30);
        let keys = PeriodKeys::of("2026-11-22T10:00:00Z".parse().unwrap(), &zone(), CalendarKind::Jalali);
        assert_eq!(keys.day, "d2026-11-22");
        assert_eq!(keys.week, "w2026-11-21");
        assert_eq!(keys.month, "m1405-09");
        let kept: Vec<&str> =
            keys.all_periods().into_iter().zip(caps.periods()).filter_map(|(key, kept)| kept.then_some(key)).collect();
        assert_eq!(kept, ["d2026-11-22", "all"]);
    }

    #[test]
    fn event_rules_match_their_type() {
        let r = rule(json!({
            "name": "share", "trigger": "event", "event_type": "content_shared", "point_type": "engagement", "points": 5,
            "condition": {"field": "event.properties.network", "op": "in", "value": ["instagram", "telegram"]}
        }));
        let mut ev = EventFacts {
            event_type: "content_shared".into(),
            source: "club".into(),
            local: "2026-11-22T10:00".parse().unwrap(),
            properties: json!({"network": "instagram"}).as_object().unwrap().clone(),
            customer: CustomerFacts::default(),
        };
        assert_eq!(r.event_points(&ev), 5);
        ev.event_type = "review".into();
        assert_eq!(r.event_points(&ev), 0);
    }

    #[test]
    fn bad_rules_name_their_fields() {
        let input: RuleInput = serde_json::from_value(json!({
            "name": "", "trigger": "event", "point_type": "x y", "points": 0, "per_amount": 100,
            "condition": {"field": "invoice.total", "op": "gt", "value": 1},
            "multipliers": [{"when": {"field": "event.hour", "op": "gt", "value": "x"}, "factor": 0}],
            "caps": {"per_day": -1},
            "starts_at": "2026-01-02", "ends_at": "2026-01-01"
        }))
        .unwrap();
        let fields: Vec<String> = input.parse(&zone()).unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "event_type",
                "point_type",
                "condition.field",
                "points",
                "per_amount",
                "multipliers[0].factor",
                "multipliers[0].when.value",
                "caps.per_day",
                "ends_at"
            ]
        );
    }

    #[test]
    fn normalised_input_parses_to_the_same_rule() {
        let r = rule(json!({
            "name": "x", "trigger": "invoice", "point_type": "purchase", "points": 3, "per_amount": 1000,
            "line_multipliers": [{"sku": "A1", "factor": 1.25}], "caps": {"per_month": 500},
            "starts_at": "1405/01/01"
        }));
        assert_eq!(r.to_input().parse(&zone()).unwrap(), r);
    }
}
