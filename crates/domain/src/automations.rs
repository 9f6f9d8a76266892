//! Automations (SPEC E2): a trigger, optional conditions on the customer (the segment condition
//! language), an optional delay and actions. Each fires at most once per customer per occurrence
//! of its trigger.

use crate::condition::Condition;
use crate::issue::{Checker, Invalid, Issue, required_text};
use crate::points::parse_code;
use serde::{Deserialize, Serialize};

/// Most actions one automation runs.
pub const MAX_ACTIONS: usize = 10;

/// What starts an automation for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// An invoice was recorded for the customer.
    Invoice {},
    /// An event of this type: a custom one (`survey_completed`) or one the system raises
    /// (`mission_completed`, `tier_changed`, `segment_entered`, `segment_left`,
    /// `points_expiring`, `game_played`).
    Event { event_type: String },
    /// The customer joined.
    Signup {},
    /// `days_before` days before the birthday (0: on the day), once a year.
    Birthday { days_before: u32 },
    /// `days` whole days after the last purchase with none since (e.g. 30: a win-back).
    Inactive { days: u32 },
}

impl Trigger {
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::Invoice {} => "invoice",
            Trigger::Event { .. } => "event",
            Trigger::Signup {} => "signup",
            Trigger::Birthday { .. } => "birthday",
            Trigger::Inactive { .. } => "inactive",
        }
    }
}

/// What an automation does for the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Sends a message template (with its promotion's personal code, if it has one).
    Send { template: String },
    /// Awards points of a type.
    Points { point_type: String, points: i64 },
    /// Issues a personal single-use code of a promotion, valid `valid_days`; later `send` actions
    /// of the same run show it as `code`.
    Code { promotion: String, valid_days: u32 },
    /// Adds and removes tags on the customer.
    Tag {
        #[serde(default)]
        add: Vec<String>,
        #[serde(default)]
        remove: Vec<String>,
    },
    /// Posts the run (automation, customer, what triggered it) to one of the tenant's outgoing
    /// webhook endpoints, signed and retried like every delivery (topic `automation.<code>`).
    Webhook { webhook: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutomationInput {
    pub code: String,
    pub name: String,
    pub trigger: Trigger,
    /// A rule on the customer in the segment condition language, checked when the automation
    /// runs (after the delay).
    #[schema(value_type = Option<Object>)]
    pub conditions: Option<serde_json::Value>,
    /// Minutes to wait after the trigger before acting.
    pub delay_minutes: Option<u32>,
    pub actions: Vec<Action>,
    /// A paused automation starts nothing new (facts of the pause never start it); what it
    /// had started waits until it is resumed.
    pub paused: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Automation {
    pub input: AutomationInput,
    pub conditions: Option<Condition>,
    pub delay_ms: i64,
}

impl AutomationInput {
    pub fn parse(&self) -> Result<Automation, Invalid> {
        let mut c = Checker::new();
        c.check("code", parse_code(&self.code));
        c.check("name", required_text(Some(&self.name), 200));
        match &self.trigger {
            Trigger::Event { event_type } => {
                c.check("trigger.event_type", parse_code(event_type));
            }
            Trigger::Birthday { days_before } if *days_before > 60 => {
                c.push(Issue::new("too_large", "must be at most 60", "حداکثر ۶۰ است").at("trigger.days_before"));
            }
            Trigger::Inactive { days } if !(1..=730).contains(days) => {
                c.push(Issue::new("out_of_range", "must be 1 to 730", "باید بین ۱ و ۷۳۰ باشد").at("trigger.days"));
            }
            _ => {}
        }
        let conditions = match &self.conditions {
            None | Some(serde_json::Value::Null) => None,
            Some(rule) => match crate::segments::parse_rule(rule) {
                Ok(cond) => Some(cond),
                Err(e) => {
                    c.extend("conditions", e);
                    None
                }
            },
        };
        if self.delay_minutes.is_some_and(|d| d > 60 * 24 * 90) {
            c.push(Issue::new("too_large", "must be at most 90 days (129600 minutes)", "حداکثر ۹۰ روز است").at("delay_minutes"));
        }
        if self.actions.is_empty() {
            c.push(Issue::new("required", "needs at least one action", "دست‌کم یک کار لازم است").at("actions"));
        }
        if self.actions.len() > MAX_ACTIONS {
            c.push(Issue::new("too_many", format!("at most {MAX_ACTIONS}"), format!("حداکثر {MAX_ACTIONS}")).at("actions"));
        }
        for (i, a) in self.actions.iter().enumerate() {
            let at = |f: &str| format!("actions[{i}].{f}");
            match a {
                Action::Send { template } => {
                    c.check(&at("template"), parse_code(template));
                }
                Action::Points { point_type, points } => {
                    c.check(&at("point_type"), parse_code(point_type));
                    if *points <= 0 {
                        c.push(Issue::new("not_positive", "must be above zero", "باید بیشتر از صفر باشد").at(at("points")));
                    }
                }
                Action::Code { promotion, valid_days } => {
                    c.check(&at("promotion"), required_text(Some(promotion), 64));
                    if *valid_days == 0 {
                        c.push(Issue::new("zero", "must be at least 1", "باید دست‌کم ۱ باشد").at(at("valid_days")));
                    }
                }
                Action::Tag { add, remove } => {
                    if add.is_empty() && remove.is_empty() {
                        c.push(Issue::required().at(at("add")));
                    }
                    for (j, t) in add.iter().chain(remove).enumerate() {
                        c.check(&at(&format!("tags[{j}]")), required_text(Some(t), 64));
                    }
                }
                // The endpoint's existence is checked against the tenant's webhooks.
                Action::Webhook { .. } => {}
            }
        }
        c.finish(|| Automation { input: self.clone(), conditions, delay_ms: i64::from(self.delay_minutes.unwrap_or(0)) * 60_000 })
    }
}

/// The birthday (`MM-DD`) that is `days_before` days after `today`: whose birthday it is soon.
pub fn birthday_key(today: jiff::civil::Date, days_before: u32) -> String {
    let day = today.checked_add(jiff::Span::new().days(i64::from(days_before))).unwrap_or(today);
    format!("{:02}-{:02}", day.month(), day.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_names_mistakes() {
        let ok: AutomationInput = serde_json::from_value(json!({
            "code": "win_back", "name": "Win back", "trigger": {"kind": "inactive", "days": 30},
            "conditions": {"field": "invoices", "op": "gte", "value": 2},
            "delay_minutes": 60,
            "actions": [{"kind": "code", "promotion": "WB10", "valid_days": 14}, {"kind": "send", "template": "win_back"}]
        }))
        .unwrap();
        let a = ok.parse().unwrap();
        assert_eq!(a.delay_ms, 3_600_000);
        assert!(a.conditions.is_some());
        let bad: AutomationInput = serde_json::from_value(json!({
            "code": "x", "name": "X", "trigger": {"kind": "inactive", "days": 0},
            "conditions": {"field": "nope", "op": "eq", "value": 1},
            "actions": [{"kind": "points", "point_type": "purchase", "points": 0}, {"kind": "tag"}]
        }))
        .unwrap();
        let fields: Vec<String> = bad.parse().unwrap_err().0.into_iter().map(|f| f.field).collect();
        assert_eq!(fields[0], "trigger.days");
        assert!(fields[1].starts_with("conditions"), "{fields:?}");
        assert_eq!(&fields[2..], ["actions[0].points", "actions[1].add"]);
    }

    #[test]
    fn birthday_keys_cross_month_and_year_ends() {
        assert_eq!(birthday_key(jiff::civil::date(2026, 12, 30), 3), "01-02");
        assert_eq!(birthday_key(jiff::civil::date(2026, 3, 1), 0), "03-01");
    }
}
