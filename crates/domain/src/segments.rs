//! Dynamic segments (SPEC B2, B6): a rule in the shared condition language over what is known of a
//! customer. The fields, and what each means:
//!
//! - demographics: `gender`, `age` (whole years from the birth date), `birth_date`;
//! - geography: `province`, `city`;
//! - behaviour: `spend` (net, after refunds), `invoices`, `average_order_value`,
//!   `first_purchase_at`, `last_purchase_at`, `categories` (bought, ever), and per event type
//!   `events.TYPE.count` (ever) or `events.TYPE.last_N_days` (in the N days up to now), narrowed
//!   by a `where` over each event's `source` and `properties.NAME`; `products` (SKUs bought);
//! - psychographics: `tags`, `interests`, custom `attributes.NAME`; static lists: `lists`;
//! - loyalty: `tier`, `loyalty_class`, `rfm_segment`, `points.TYPE` (balance), `referrals`
//!   (friends who joined through the customer and were rewarded);
//! - contact: `sms_opt_in`, `email_opt_in`, `has_mobile`, `has_email`, `created_at`.

use crate::condition::{Condition, Kind, Schema};
use crate::issue::{Checker, Invalid, Issue, required_text};
use crate::points::parse_code;
use serde::{Deserialize, Serialize};

pub const SCHEMA: Schema = Schema {
    fields: &[
        ("gender", Kind::Text),
        ("age", Kind::Number),
        ("birth_date", Kind::Text),
        ("province", Kind::Text),
        ("city", Kind::Text),
        ("spend", Kind::Number),
        ("invoices", Kind::Number),
        ("average_order_value", Kind::Number),
        ("first_purchase_at", Kind::Instant),
        ("last_purchase_at", Kind::Instant),
        ("categories", Kind::TextList),
        ("products", Kind::TextList),
        ("tags", Kind::TextList),
        ("lists", Kind::TextList),
        ("interests", Kind::TextList),
        ("tier", Kind::Text),
        ("loyalty_class", Kind::Text),
        ("rfm_segment", Kind::Text),
        ("referrals", Kind::Number),
        ("sms_opt_in", Kind::Bool),
        ("email_opt_in", Kind::Bool),
        ("has_mobile", Kind::Bool),
        ("has_email", Kind::Bool),
        ("created_at", Kind::Instant),
    ],
    prefixes: &[("points.", Kind::Number), ("events.", Kind::Number), ("attributes.", Kind::Any)],
    counted: &[("events.", &EVENT_FILTER)],
};

/// What a `where` on an `events.…` field reads of each event.
pub const EVENT_FILTER: Schema =
    Schema { fields: &[("source", Kind::Text)], prefixes: &[("properties.", Kind::Any)], counted: &[] };

/// Names after `attributes.` and `properties.`: what customers' attributes allow, plus `-` and
/// capitals, which events from shops carry. Kept narrow so a name is always a plain JSON key.
pub fn property_name(field: &str, prefix: &str) -> Option<String> {
    let name = field.strip_prefix(prefix)?;
    let plain =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
    plain.then(|| name.to_string())
}

fn bad_name(at: String, prefix: &str) -> crate::FieldError {
    Issue::new(
        "unknown_field",
        format!("a name after {prefix} uses a–z, A–Z, 0–9, _ and - (at most 64)"),
        format!("نام پس از {prefix} فقط حروف لاتین، رقم، _ و - (حداکثر ۶۴)"),
    )
    .at(at)
}
/// The window of an `events.TYPE.…` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventWindow {
    Ever,
    LastDays(i64),
}

/// Splits `events.TYPE.count` / `events.TYPE.last_N_days` into the type and its window.
pub fn event_field(field: &str) -> Option<(&str, EventWindow)> {
    let rest = field.strip_prefix("events.")?;
    let (event_type, window) = rest.rsplit_once('.')?;
    if event_type.is_empty() {
        return None;
    }
    if window == "count" {
        return Some((event_type, EventWindow::Ever));
    }
    let days: i64 = window.strip_prefix("last_")?.strip_suffix("_days")?.parse().ok()?;
    (1..=3650).contains(&days).then_some((event_type, EventWindow::LastDays(days)))
}

fn check_fields(c: &Condition, path: &str, checker: &mut Checker) {
    match c {
        Condition::All(cs) | Condition::Any(cs) => {
            let key = if matches!(c, Condition::All(_)) { "all" } else { "any" };
            for (i, part) in cs.iter().enumerate() {
                let at = if path.is_empty() { format!("{key}[{i}]") } else { format!("{path}.{key}[{i}]") };
                check_fields(part, &at, checker);
            }
        }
        Condition::Not(inner) => {
            check_fields(inner, &if path.is_empty() { "not".into() } else { format!("{path}.not") }, checker)
        }
        Condition::Test { field, filter, .. } => {
            let at = if path.is_empty() { "field".to_string() } else { format!("{path}.field") };
            if field.starts_with("attributes.") && property_name(field, "attributes.").is_none() {
                checker.push(bad_name(at.clone(), "attributes."));
            }
            if let Some(f) = filter {
                let inner = if path.is_empty() { "where".to_string() } else { format!("{path}.where") };
                check_filter_names(f, &inner, checker);
            }
            if field.starts_with("events.") && event_field(field).is_none() {
                checker.push(
                    Issue::new(
                        "unknown_field",
                        "an event field is events.TYPE.count or events.TYPE.last_N_days (N from 1 to 3650)",
                        "فیلد رویداد باید events.TYPE.count یا events.TYPE.last_N_days باشد",
                    )
                    .at(at),
                );
            }
        }
    }
}

fn check_filter_names(c: &Condition, path: &str, checker: &mut Checker) {
    let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
    match c {
        Condition::All(cs) | Condition::Any(cs) => {
            let key = if matches!(c, Condition::All(_)) { "all" } else { "any" };
            for (i, part) in cs.iter().enumerate() {
                check_filter_names(part, &join(&format!("{key}[{i}]")), checker);
            }
        }
        Condition::Not(inner) => check_filter_names(inner, &join("not"), checker),
        Condition::Test { field, .. } => {
            if field.starts_with("properties.") && property_name(field, "properties.").is_none() {
                checker.push(bad_name(join("field"), "properties."));
            }
        }
    }
}

/// A segment as a business defines it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    /// Short stable code, e.g. `gold_coffee_lovers`.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The rule, in the condition language (see `docs/SEGMENTS.md`).
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub rule: Condition,
}

/// Parses a rule alone (for previews while editing): errors carry the path inside the rule.
pub fn parse_rule(rule: &serde_json::Value) -> Result<Condition, Invalid> {
    let condition = Condition::parse(rule, &SCHEMA)?;
    let mut c = Checker::new();
    check_fields(&condition, "", &mut c);
    c.finish(|| condition)
}

impl SegmentInput {
    pub fn parse(&self) -> Result<Segment, Invalid> {
        let mut c = Checker::new();
        let code = c.check("code", parse_code(&self.code));
        let name = c.check("name", required_text(Some(&self.name), 200));
        let description = c.check("description", crate::issue::optional_text(self.description.as_deref(), 2000));
        let rule = match parse_rule(&self.rule) {
            Ok(r) => Some(r),
            Err(e) => {
                c.extend("rule", e);
                None
            }
        };
        c.finish(|| Segment {
            code: code.expect("checked"),
            name: name.expect("checked"),
            description: description.expect("checked"),
            rule: rule.expect("checked"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn event_fields_name_a_type_and_a_window() {
        assert_eq!(event_field("events.content_shared.last_30_days"), Some(("content_shared", EventWindow::LastDays(30))));
        assert_eq!(event_field("events.survey.done.count"), Some(("survey.done", EventWindow::Ever)));
        assert_eq!(event_field("events.x.last_0_days"), None);
        assert_eq!(event_field("events.x"), None);
    }

    #[test]
    fn bad_rules_name_the_node() {
        let input = SegmentInput {
            code: "Bad Code".into(),
            name: "x".into(),
            description: None,
            rule: json!({"all": [{"field": "spend", "op": "gte", "value": 1}, {"any": [{"field": "events.share.weekly", "op": "gte", "value": 3}]}]}),
        };
        let err = input.parse().unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "rule.all[1].any[0].field"]);
        let err = parse_rule(&json!({"field": "shoe_size", "op": "eq", "value": 1})).unwrap_err();
        assert_eq!((err.0[0].field.as_str(), err.0[0].code.as_str()), ("field", "unknown_field"));
    }

    #[test]
    fn attributes_and_event_filters_are_checked_by_path() {
        assert!(parse_rule(&json!({"field": "attributes.shoe_size", "op": "gte", "value": 38})).is_ok());
        let rule = json!({"field": "events.review.last_30_days", "op": "gte", "value": 2,
            "where": {"all": [{"field": "properties.stars", "op": "gte", "value": 4}, {"field": "source", "op": "eq", "value": "web"}]}});
        let parsed = parse_rule(&rule).unwrap();
        assert_eq!(parsed.to_json(), rule, "the filter survives a round trip");
        let bad = |j: serde_json::Value| {
            let e = parse_rule(&j).unwrap_err();
            (e.0[0].field.clone(), e.0[0].code.clone())
        };
        assert_eq!(
            bad(
                json!({"all": [{"field": "spend", "op": "gt", "value": 1, "where": {"field": "source", "op": "eq", "value": "x"}}]})
            ),
            ("all[0].where".into(), "unexpected".into())
        );
        assert_eq!(
            bad(
                json!({"field": "events.review.count", "op": "gte", "value": 1, "where": {"field": "stars", "op": "eq", "value": 5}})
            ),
            ("where.field".into(), "unknown_field".into())
        );
        assert_eq!(
            bad(json!({"any": [{"field": "events.review.count", "op": "gte", "value": 1,
                "where": {"not": {"field": "properties.a b", "op": "exists"}}}]})),
            ("any[0].where.not.field".into(), "unknown_field".into())
        );
        assert_eq!(bad(json!({"field": "attributes.shoe size", "op": "exists"})), ("field".into(), "unknown_field".into()));
        assert_eq!(
            bad(json!({"field": "attributes.size", "op": "within_last_days", "value": 3})),
            ("op".into(), "invalid_operator".into())
        );
    }
}
