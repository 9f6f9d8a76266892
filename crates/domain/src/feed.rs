//! The accounting feed (SPEC H2): invoices exported by an accounting or sales system (Rahkaran,
//! Mahak, Baran, a till…) as CSV or JSON in its own column names, read through a mapping saved
//! per connection: which of the source's columns (or JSON keys) holds each of Philia's invoice
//! fields. The fields are those of the invoice import (docs/IMPORT.md).

use crate::issue::{Checker, Invalid, Issue};
use crate::tenant::parse_currency;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Philia's invoice fields a mapping may fill, one row per invoice line as in the import.
pub const FIELDS: [&str; 18] = [
    "invoice_id",
    "issued_at",
    "customer_external_id",
    "customer_mobile",
    "customer_email",
    "customer_name",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "line_discount",
    "branch",
    "channel",
    "status",
    "invoice_discount",
    "shipping",
    "total",
];

/// Fields every mapping must fill.
pub const REQUIRED: [&str; 3] = ["invoice_id", "issued_at", "unit_price"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedMapping {
    /// Philia's field → the source's column (CSV header) or key (JSON; `a.b` reaches into
    /// objects) that holds it, e.g. `{"invoice_id": "شماره سند", "unit_price": "فی"}`.
    pub columns: BTreeMap<String, String>,
    /// The currency the amounts are written in (IRR or IRT convert into the tenant's); the
    /// connection's currency when absent.
    pub currency: Option<String>,
    /// JSON: the key of the list of invoices when the document is an object, e.g. `data`.
    pub records: Option<String>,
    /// JSON: the key of each invoice's list of lines, e.g. `items`; line fields are looked up
    /// in the line first, then in the invoice.
    pub lines: Option<String>,
}

impl FeedMapping {
    /// Checks the mapping: known fields, a column for each required one, a currency.
    pub fn parse(&self) -> Result<FeedMapping, Invalid> {
        let mut c = Checker::new();
        let mut columns = BTreeMap::new();
        for (field, column) in &self.columns {
            let at = format!("columns.{field}");
            let column = column.trim();
            if !FIELDS.contains(&field.as_str()) {
                c.push(Issue::one_of(&FIELDS).at(at));
            } else if column.chars().count() > 100 {
                c.push(Issue::too_long(100).at(at));
            } else if !column.is_empty() {
                columns.insert(field.clone(), column.to_string());
            }
        }
        for field in REQUIRED {
            if !columns.contains_key(field) {
                c.push(Issue::required().at(format!("columns.{field}")));
            }
        }
        let currency = self
            .currency
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .and_then(|s| c.check("currency", parse_currency(s)));
        let key = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        c.finish(|| FeedMapping { columns, currency, records: key(&self.records), lines: key(&self.lines) })
    }

    /// The source column of each mapped field.
    pub fn column(&self, field: &str) -> Option<&str> {
        self.columns.get(field).map(String::as_str)
    }
}

/// The source name of a feed connection's records.
pub fn source_of(connection_code: &str) -> String {
    format!("feed-{connection_code}")
}

/// Whether two column names are the same: case, surrounding spaces, a byte-order mark and the
/// zero-width non-joiner (often typed as a space in Persian headers) aside.
pub fn same_column(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().trim_start_matches('\u{feff}').trim().replace('\u{200c}', " ").to_lowercase();
    norm(a) == norm(b)
}

/// What an invoice's status in the feed means: `cancelled` (or باطل / ابطال / مرجوع) takes
/// back what was counted, `pending` is not a sale yet, anything else is a sale.
pub fn status_phase(status: Option<&str>) -> crate::woocommerce::OrderPhase {
    use crate::woocommerce::OrderPhase;
    match status.map(|s| s.trim().to_lowercase()).as_deref() {
        Some("cancelled" | "canceled" | "void" | "باطل" | "ابطال" | "باطل شده" | "مرجوع" | "لغو") => {
            OrderPhase::Reversed
        }
        Some("pending" | "draft" | "پیش‌نویس" | "پیش نویس" | "در انتظار") => OrderPhase::Open,
        _ => OrderPhase::Sale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::woocommerce::OrderPhase;

    fn mapping(pairs: &[(&str, &str)]) -> FeedMapping {
        FeedMapping { columns: pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(), ..Default::default() }
    }

    #[test]
    fn a_mapping_names_unknown_and_missing_fields() {
        let err = mapping(&[("invoice_id", "شماره"), ("colour", "رنگ")]).parse().unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["columns.colour", "columns.issued_at", "columns.unit_price"]);
        let ok = FeedMapping {
            currency: Some("irr".into()),
            lines: Some(" items ".into()),
            ..mapping(&[("invoice_id", " شماره "), ("issued_at", "تاریخ"), ("unit_price", "فی"), ("sku", "")])
        }
        .parse()
        .unwrap();
        assert_eq!(ok.column("invoice_id"), Some("شماره"));
        assert_eq!(ok.column("sku"), None, "an empty column maps nothing");
        assert_eq!((ok.currency.as_deref(), ok.lines.as_deref()), (Some("IRR"), Some("items")));
    }

    #[test]
    fn columns_compare_loosely_and_statuses_have_phases() {
        assert!(same_column("\u{feff}Invoice No ", "invoice no"));
        assert!(same_column("شماره\u{200c}سند", "شماره سند"));
        assert_eq!(status_phase(Some("باطل")), OrderPhase::Reversed);
        assert_eq!(status_phase(Some("Pending")), OrderPhase::Open);
        assert_eq!(status_phase(None), OrderPhase::Sale);
    }
}
