//! Customers' data rights: the personal data an export lays out as rows, and the reason an
//! erasure needs.

use crate::issue::{Issue, required_text};
use serde_json::Value;

/// Every leaf of a JSON document as (`path`, `value`) rows: objects by key in key order
/// (`customer.first_name`), arrays by index in their order (`invoices[2].total`). Empty objects and arrays
/// keep a row so nothing silently disappears from a spreadsheet.
pub fn flatten(value: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

fn walk(value: &Value, path: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                walk(v, child, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                walk(v, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(_) => out.push((path, "{}".into())),
        Value::Array(_) => out.push((path, "[]".into())),
        Value::Null => out.push((path, String::new())),
        Value::String(s) => out.push((path, s.clone())),
        other => out.push((path, other.to_string())),
    }
}

/// Why a customer's data is erased (kept in the audit log): required, at most 500 characters.
pub fn erasure_reason(input: Option<&str>) -> Result<String, Issue> {
    required_text(input, 500)
}

/// How long a tenant keeps the raw detail of its records; `None` keeps it for good. Only the
/// detail goes (event properties, message texts, webhook bodies): the facts, their times and
/// every figure made from them stay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days an event keeps its properties.
    pub event_details_days: Option<i64>,
    /// Days a sent (or finished) message keeps its subject and text.
    pub message_bodies_days: Option<i64>,
    /// Days an applied shop delivery keeps its raw body.
    pub delivery_bodies_days: Option<i64>,
}

/// The shortest retention: automations read an event's properties minutes after it arrives and
/// a failed delivery is retried from its body, so a week keeps every reader whole.
pub const MIN_RETENTION_DAYS: i64 = 7;

impl Retention {
    /// Every period from a week to ten years, or none.
    pub fn check(self) -> Result<Retention, crate::issue::Invalid> {
        let mut c = crate::issue::Checker::new();
        for (field, days) in [
            ("event_details_days", self.event_details_days),
            ("message_bodies_days", self.message_bodies_days),
            ("delivery_bodies_days", self.delivery_bodies_days),
        ] {
            if let Some(d) = days
                && !(MIN_RETENTION_DAYS..=3650).contains(&d)
            {
                c.push(
                    Issue::new(
                        "out_of_range",
                        format!("must be from {MIN_RETENTION_DAYS} to 3650 days, or empty to keep for good"),
                        format!("باید از {MIN_RETENTION_DAYS} تا ۳۶۵۰ روز باشد، یا خالی برای نگه‌داری همیشگی"),
                    )
                    .at(field),
                );
            }
        }
        c.finish(|| self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retention_is_a_week_to_ten_years() {
        assert!(
            Retention { event_details_days: Some(7), message_bodies_days: None, delivery_bodies_days: Some(3650) }
                .check()
                .is_ok()
        );
        let err = Retention { event_details_days: Some(6), message_bodies_days: Some(3651), delivery_bodies_days: None }
            .check()
            .unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["event_details_days", "message_bodies_days"]);
    }

    #[test]
    fn flattens_every_leaf() {
        let doc = json!({"customer": {"first_name": "سارا", "tags": [], "mobile": null},
            "invoices": [{"total": 1200, "lines": [{"sku": "A"}]}], "vip": true});
        assert_eq!(
            flatten(&doc),
            vec![
                ("customer.first_name".to_string(), "سارا".to_string()),
                ("customer.mobile".into(), "".into()),
                ("customer.tags".into(), "[]".into()),
                ("invoices[0].lines[0].sku".into(), "A".into()),
                ("invoices[0].total".into(), "1200".into()),
                ("vip".into(), "true".into()),
            ]
        );
    }

    #[test]
    fn an_erasure_needs_a_reason() {
        assert_eq!(erasure_reason(None).unwrap_err().code, "required");
        assert_eq!(erasure_reason(Some("درخواست مشتری")).unwrap(), "درخواست مشتری");
    }
}
