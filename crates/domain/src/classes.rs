//! Loyalty classes (SPEC B7): what "loyal" means to this business, as rules over recent
//! purchases, e.g. «ممتاز: at least 2 purchases in 90 days». Classes are ordered; a customer is
//! in the first class whose every threshold they reach, or in none.

use crate::issue::{Checker, Invalid, Issue, required_text};
use crate::points::parse_code;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyClass {
    pub code: String,
    pub name: String,
    /// The window the thresholds count over, in days back from now.
    pub window_days: u32,
    /// Invoices (not fully refunded) in the window.
    #[serde(default)]
    pub min_invoices: i64,
    /// Net spend in the window.
    #[serde(default)]
    pub min_spend: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoyaltyClasses {
    /// Checked in order: put the most demanding first.
    pub classes: Vec<LoyaltyClass>,
}

impl LoyaltyClasses {
    pub fn check(&self) -> Result<(), Invalid> {
        let mut c = Checker::new();
        if self.classes.len() > 20 {
            c.push(Issue::new("too_many", "at most 20 classes", "حداکثر ۲۰ دسته").at("classes"));
        }
        for (i, k) in self.classes.iter().enumerate() {
            let at = |f: &str| format!("classes[{i}].{f}");
            c.check(&at("code"), parse_code(&k.code));
            c.check(&at("name"), required_text(Some(&k.name), 100));
            if !(1..=3650).contains(&k.window_days) {
                c.push(Issue::new("out_of_range", "must be between 1 and 3650", "بین ۱ و ۳۶۵۰ روز").at(at("window_days")));
            }
            if k.min_invoices < 0 || k.min_spend < 0 {
                c.push(Issue::negative().at(at(if k.min_invoices < 0 { "min_invoices" } else { "min_spend" })));
            }
            if k.min_invoices == 0 && k.min_spend == 0 {
                c.push(
                    Issue::new("no_threshold", "needs min_invoices or min_spend", "دست‌کم یک آستانه لازم است")
                        .at(at("min_invoices")),
                );
            }
            if self.classes[..i].iter().any(|o| o.code == k.code) {
                c.push(Issue::new("duplicate", "another class has this code", "کد تکراری است").at(at("code")));
            }
        }
        c.finish(|| ())
    }

    /// The class of a customer, given their (invoices, spend) in each class's window.
    pub fn classify(&self, figures: &[(i64, i64)]) -> Option<&LoyaltyClass> {
        self.classes.iter().zip(figures).find(|(k, (n, s))| *n >= k.min_invoices && *s >= k.min_spend).map(|(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> LoyaltyClasses {
        let k = |code: &str, days, n, s| LoyaltyClass {
            code: code.into(),
            name: code.into(),
            window_days: days,
            min_invoices: n,
            min_spend: s,
        };
        LoyaltyClasses { classes: vec![k("vip", 90, 5, 10_000_000), k("loyal", 90, 2, 0)] }
    }

    #[test]
    fn the_first_class_reached_wins() {
        let c = classes();
        assert_eq!(c.classify(&[(6, 12_000_000), (6, 12_000_000)]).map(|k| k.code.as_str()), Some("vip"));
        assert_eq!(c.classify(&[(6, 100), (6, 100)]).map(|k| k.code.as_str()), Some("loyal"));
        assert_eq!(c.classify(&[(1, 100), (1, 100)]), None);
        assert!(c.check().is_ok());
        let mut bad = classes();
        bad.classes[1].code = "vip".into();
        bad.classes[1].min_invoices = 0;
        let fields: Vec<String> = bad.check().unwrap_err().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["classes[1].min_invoices", "classes[1].code"]);
    }
}
