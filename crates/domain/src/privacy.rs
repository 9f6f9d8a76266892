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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
