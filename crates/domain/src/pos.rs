//! The till: who may sell, how large an instant discount each role may give, what a cart is,
//! and the receipt number printed as a barcode and scanned back for returns.

use crate::issue::{Checker, Invalid, Issue};
use crate::roles::StaffRole;
use serde::{Deserialize, Serialize};

/// Lines in one sale, at most.
pub const MAX_LINES: usize = 200;
/// Units of one product in one line, at most (a typo guard: 10,000 of a thing is a wholesale
/// order, not a till sale).
pub const MAX_QUANTITY: i64 = 9_999;

/// Who works at the till: cashiers, and owners and admins (who may also override stock).
pub fn may_sell(role: StaffRole) -> bool {
    matches!(role, StaffRole::Owner | StaffRole::Admin | StaffRole::Cashier)
}

/// Selling more than the branch holds needs a manager.
pub fn may_override_stock(role: StaffRole) -> bool {
    matches!(role, StaffRole::Owner | StaffRole::Admin)
}

/// The largest instant discount a role may give, in percent of the cart.
pub fn discount_limit_percent(role: StaffRole) -> i64 {
    match role {
        StaffRole::Owner | StaffRole::Admin => 100,
        StaffRole::Cashier => 10,
        _ => 0,
    }
}

/// A discount the cashier types: a percentage of the cart or an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum InstantDiscount {
    Percent(i64),
    Amount(i64),
}

impl InstantDiscount {
    /// The discount in money on a cart of `subtotal`, if the role may give it.
    pub fn amount(self, subtotal: i64, role: StaffRole) -> Result<i64, Issue> {
        let limit = discount_limit_percent(role);
        let amount = match self {
            InstantDiscount::Percent(p) => {
                if !(0..=100).contains(&p) {
                    return Err(Issue::new("out_of_range", "must be 0 to 100 percent", "باید بین ۰ تا ۱۰۰ درصد باشد"));
                }
                subtotal * p / 100
            }
            InstantDiscount::Amount(a) => {
                if a < 0 || a > subtotal {
                    return Err(Issue::new(
                        "out_of_range",
                        "must be between zero and the cart's total",
                        "باید بین صفر و جمع سبد باشد",
                    ));
                }
                a
            }
        };
        // Compared in whole numbers: `amount / subtotal > limit / 100`.
        if amount * 100 > subtotal * limit {
            return Err(Issue::new(
                "over_limit",
                format!("your role may give at most {limit}% off"),
                format!("نقش شما حداکثر {}٪ تخفیف می‌تواند بدهد", crate::digits::persian_digits(&limit.to_string())),
            ));
        }
        Ok(amount)
    }
}

/// One line of a cart as the till sends it: a product and a whole quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLine {
    pub sku: String,
    pub quantity: i64,
}

/// Checks a cart's lines; each bad one is named by its place.
pub fn check_cart(lines: &[CartLine]) -> Result<(), Invalid> {
    let mut c = Checker::new();
    if lines.is_empty() {
        c.push(Issue::new("empty_cart", "the cart is empty", "سبد خالی است").at("lines"));
    }
    if lines.len() > MAX_LINES {
        c.push(Issue::new("too_many", format!("a sale has at most {MAX_LINES} lines"), "تعداد اقلام بیش از حد است").at("lines"));
    }
    for (i, l) in lines.iter().enumerate() {
        if l.sku.trim().is_empty() {
            c.push(Issue::required().at(format!("lines[{i}].sku")));
        }
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            c.push(
                Issue::new("out_of_range", format!("must be 1 to {MAX_QUANTITY}"), "تعداد باید دست‌کم ۱ باشد")
                    .at(format!("lines[{i}].quantity")),
            );
        }
    }
    c.finish(|| ())
}

/// The text a receipt's barcode carries: `R` and the invoice id.
pub fn receipt_code(invoice_id: i64) -> String {
    format!("R{invoice_id}")
}

/// The invoice id of a scanned receipt barcode (`R123`, any case, Persian digits accepted).
pub fn parse_receipt_code(scanned: &str) -> Option<i64> {
    let text = crate::digits::ascii_digits(scanned.trim());
    let digits = text.strip_prefix('R').or_else(|| text.strip_prefix('r'))?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
}

/// What returning `quantity` more units of a line brings back, when `before` of its `units` were
/// returned already and the whole line's share of the payment is `share`. The parts telescope:
/// however a line is returned, one unit at a time or all at once, they add up to `share`.
pub fn return_amount(share: i64, units: i64, before: i64, quantity: i64) -> i64 {
    if units <= 0 {
        return 0;
    }
    let upto = |n: i64| (share as i128 * n as i128 / units as i128) as i64;
    upto(before + quantity) - upto(before)
}

/// One till action as the cashier report reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct TillActionFact {
    pub staff_id: i64,
    pub staff_name: String,
    pub branch: String,
    /// `sale` or `return`.
    pub action: String,
    /// The action's detail as recorded (JSON).
    pub detail: String,
    /// The sale's invoice total and discount (for sales).
    pub invoice_total: i64,
    pub invoice_discount: i64,
}

/// What one cashier did at one branch in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CashierLine {
    pub staff_id: i64,
    pub staff_name: String,
    pub branch: String,
    pub sales: i64,
    /// What the sales came to (after their discounts).
    pub sales_total: i64,
    /// Discounts given on those sales (instant and codes).
    pub discounts: i64,
    /// Sales made beyond the branch's stock with a manager's override.
    pub stock_overrides: i64,
    pub returns: i64,
    pub returned_total: i64,
    /// Sales less returns.
    pub net: i64,
}

/// Sums a period's till actions per cashier and branch, busiest first.
pub fn cashier_report(facts: &[TillActionFact]) -> Vec<CashierLine> {
    let mut lines: std::collections::BTreeMap<(i64, String), CashierLine> = std::collections::BTreeMap::new();
    for f in facts {
        let line = lines.entry((f.staff_id, f.branch.clone())).or_insert_with(|| CashierLine {
            staff_id: f.staff_id,
            staff_name: f.staff_name.clone(),
            branch: f.branch.clone(),
            ..Default::default()
        });
        let detail: serde_json::Value = serde_json::from_str(&f.detail).unwrap_or_default();
        match f.action.as_str() {
            "sale" => {
                line.sales += 1;
                line.sales_total += f.invoice_total;
                line.discounts += f.invoice_discount;
                line.stock_overrides += i64::from(detail["override_stock"].as_bool().unwrap_or(false));
            }
            "return" => {
                line.returns += 1;
                line.returned_total += detail["amount"].as_i64().unwrap_or(0);
            }
            _ => {}
        }
    }
    let mut out: Vec<CashierLine> = lines
        .into_values()
        .map(|mut l| {
            l.net = l.sales_total - l.returned_total;
            l
        })
        .collect();
    out.sort_by(|a, b| b.net.cmp(&a.net).then(a.staff_name.cmp(&b.staff_name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any way of returning a line in parts gives back exactly its share, never more.
        #[test]
        fn returns_in_parts_add_up_to_the_share(share in 0i64..10_000_000, parts in proptest::collection::vec(1i64..5, 1..10)) {
            let units: i64 = parts.iter().sum();
            let mut before = 0;
            let mut total = 0;
            for q in &parts {
                let a = return_amount(share, units, before, *q);
                proptest::prop_assert!(a >= 0);
                total += a;
                before += q;
            }
            proptest::prop_assert_eq!(total, share);
        }
    }

    #[test]
    fn a_cashier_gives_at_most_ten_percent_a_manager_more() {
        assert_eq!(InstantDiscount::Percent(10).amount(200_000, StaffRole::Cashier), Ok(20_000));
        assert_eq!(InstantDiscount::Percent(11).amount(200_000, StaffRole::Cashier).unwrap_err().code, "over_limit");
        assert_eq!(InstantDiscount::Amount(20_000).amount(200_000, StaffRole::Cashier), Ok(20_000));
        assert_eq!(InstantDiscount::Amount(20_001).amount(200_000, StaffRole::Cashier).unwrap_err().code, "over_limit");
        assert_eq!(InstantDiscount::Percent(50).amount(200_000, StaffRole::Admin), Ok(100_000));
        assert_eq!(InstantDiscount::Amount(300_000).amount(200_000, StaffRole::Owner).unwrap_err().code, "out_of_range");
        assert_eq!(InstantDiscount::Percent(5).amount(100, StaffRole::Viewer).unwrap_err().code, "over_limit");
    }

    #[test]
    fn carts_name_each_bad_line() {
        let err =
            check_cart(&[CartLine { sku: "A".into(), quantity: 0 }, CartLine { sku: " ".into(), quantity: 2 }]).unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["lines[0].quantity", "lines[1].sku"]);
        assert_eq!(check_cart(&[]).unwrap_err().0[0].field, "lines");
    }

    #[test]
    fn the_cashier_report_sums_sales_discounts_overrides_and_returns() {
        let fact = |staff: i64, action: &str, detail: &str, total: i64, discount: i64| TillActionFact {
            staff_id: staff,
            staff_name: format!("s{staff}"),
            branch: "north".into(),
            action: action.into(),
            detail: detail.into(),
            invoice_total: total,
            invoice_discount: discount,
        };
        let report = cashier_report(&[
            fact(1, "sale", r#"{"override_stock":false}"#, 100, 10),
            fact(1, "sale", r#"{"override_stock":true}"#, 50, 0),
            fact(1, "return", r#"{"amount":30}"#, 100, 10),
            fact(2, "sale", "{}", 500, 0),
            fact(2, "open", "{}", 0, 0),
        ]);
        assert_eq!(report.len(), 2);
        assert_eq!((report[0].staff_id, report[0].net), (2, 500), "busiest first");
        let one = &report[1];
        assert_eq!(
            (one.sales, one.sales_total, one.discounts, one.stock_overrides, one.returns, one.returned_total, one.net),
            (2, 150, 10, 1, 1, 30, 120)
        );
    }

    #[test]
    fn receipt_codes_round_trip() {
        assert_eq!(parse_receipt_code(&receipt_code(4521)), Some(4521));
        assert_eq!(parse_receipt_code(" r۴۵۲۱ "), Some(4521));
        assert_eq!(parse_receipt_code("SKU-1"), None);
        assert_eq!(parse_receipt_code("R"), None);
        assert!(may_sell(StaffRole::Cashier) && !may_sell(StaffRole::Marketer));
        assert!(may_override_stock(StaffRole::Admin) && !may_override_stock(StaffRole::Cashier));
    }
}
