//! Discount codes (SPEC C5): promotions, their codes, and the math of a discount on a cart.

use crate::calendar::parse_instant;
use crate::digits::ascii_digits;
use crate::issue::{Checker, Invalid, Issue, required_text};
use crate::points::parse_code;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Letters and digits that cannot be confused when read aloud or copied by hand: no 0/O, 1/I/L.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionInput {
    /// Stable code of the promotion, e.g. `yalda-1405`.
    pub code: String,
    pub name: String,
    /// `percent` or `fixed`.
    pub discount: String,
    pub value: f64,
    /// Largest discount of a percentage promotion.
    pub max_discount: Option<i64>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// Carts below this subtotal do not qualify.
    pub min_amount: Option<i64>,
    /// Only these categories / products are discounted (absent: the whole cart).
    pub categories: Option<Vec<String>>,
    pub skus: Option<Vec<String>>,
    /// Uses across all codes of the promotion.
    pub total_limit: Option<i64>,
    pub per_customer_limit: Option<i64>,
    /// Uses of each generated code (default 1); a shared code is limited by `total_limit`.
    pub uses_per_code: Option<i64>,
    pub tiers: Option<Vec<String>>,
    /// Whether it combines with other codes on one purchase (default false).
    pub stackable: Option<bool>,
    /// A code everyone can type, e.g. `YALDA`.
    pub shared_code: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DiscountKind {
    /// Basis points (1% = 100).
    Percent(i64),
    Fixed(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Promotion {
    pub code: String,
    pub name: String,
    pub kind: DiscountKind,
    pub max_discount: Option<i64>,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub min_amount: i64,
    pub categories: Vec<String>,
    pub skus: Vec<String>,
    pub total_limit: Option<i64>,
    pub per_customer_limit: Option<i64>,
    pub uses_per_code: i64,
    pub tiers: Vec<String>,
    pub stackable: bool,
    pub shared_code: Option<String>,
    pub active: bool,
    pub input: PromotionInput,
}

/// A typed code as stored: trimmed, Persian digits made ASCII, upper case; spaces dropped.
pub fn normalise_code(input: &str) -> Result<String, Issue> {
    let s: String = ascii_digits(input.trim()).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    if !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        Ok(s)
    } else {
        Err(Issue::new("invalid_code", "must be 1–40 letters, digits, - or _", "کد تخفیف معتبر نیست"))
    }
}

impl PromotionInput {
    pub fn parse(&self, zone: &TimeZone) -> Result<Promotion, Invalid> {
        let mut c = Checker::new();
        let code = c.check("code", parse_code(&self.code));
        let name = c.check("name", required_text(Some(&self.name), 200));
        let kind = match self.discount.as_str() {
            "percent" if self.value > 0.0 && self.value <= 100.0 => {
                Some(DiscountKind::Percent((self.value * 100.0).round() as i64))
            }
            "fixed" if self.value >= 1.0 && self.value.fract() == 0.0 && self.value < 1e15 => {
                Some(DiscountKind::Fixed(self.value as i64))
            }
            "percent" | "fixed" => {
                c.push(
                    Issue::new(
                        "out_of_range",
                        "a percentage is above 0 and at most 100; a fixed amount is a whole positive number",
                        "مقدار تخفیف معتبر نیست",
                    )
                    .at("value"),
                );
                None
            }
            _ => {
                c.push(Issue::one_of(&["percent", "fixed"]).at("discount"));
                None
            }
        };
        for (field, v, min) in [
            ("max_discount", self.max_discount, 1),
            ("min_amount", self.min_amount, 0),
            ("total_limit", self.total_limit, 1),
            ("per_customer_limit", self.per_customer_limit, 1),
            ("uses_per_code", self.uses_per_code, 1),
        ] {
            if v.is_some_and(|v| v < min) {
                c.push(Issue::new("out_of_range", format!("must be at least {min}"), format!("حداقل {min}")).at(field));
            }
        }
        let starts_at = self.starts_at.as_deref().and_then(|s| c.check("starts_at", parse_instant(s, zone)));
        let ends_at = self.ends_at.as_deref().and_then(|s| c.check("ends_at", parse_instant(s, zone)));
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            c.push(Issue::new("invalid_window", "must be after starts_at", "پایان باید بعد از شروع باشد").at("ends_at"));
        }
        let list = |c: &mut Checker, field: &str, v: &Option<Vec<String>>| -> Vec<String> {
            v.iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, s)| c.check(&format!("{field}[{i}]"), required_text(Some(s), 100)))
                .collect()
        };
        let categories = list(&mut c, "categories", &self.categories);
        let skus = list(&mut c, "skus", &self.skus);
        let tiers: Vec<String> =
            self.tiers.iter().flatten().enumerate().filter_map(|(i, t)| c.check(&format!("tiers[{i}]"), parse_code(t))).collect();
        let shared_code = self.shared_code.as_deref().and_then(|s| c.check("shared_code", normalise_code(s)));
        c.finish(|| Promotion {
            code: code.unwrap(),
            name: name.unwrap(),
            kind: kind.unwrap(),
            max_discount: self.max_discount,
            starts_at,
            ends_at,
            min_amount: self.min_amount.unwrap_or(0),
            categories,
            skus,
            total_limit: self.total_limit,
            per_customer_limit: self.per_customer_limit,
            uses_per_code: self.uses_per_code.unwrap_or(1),
            tiers,
            stackable: self.stackable.unwrap_or(false),
            shared_code,
            active: self.active.unwrap_or(true),
            input: self.clone(),
        })
    }
}

/// A cart line as discounts see it.
#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    pub sku: Option<String>,
    pub category: Option<String>,
    pub total: i64,
}

fn refuse(code: &'static str, en: &str, fa: &str) -> Issue {
    Issue::new(code, en, fa)
}

impl Promotion {
    /// The part of the cart the promotion discounts.
    pub fn eligible_amount(&self, lines: &[CartLine]) -> i64 {
        if self.categories.is_empty() && self.skus.is_empty() {
            return lines.iter().map(|l| l.total).sum();
        }
        lines
            .iter()
            .filter(|l| {
                l.category.as_ref().is_some_and(|c| self.categories.contains(c))
                    || l.sku.as_ref().is_some_and(|s| self.skus.contains(s))
            })
            .map(|l| l.total)
            .sum()
    }

    /// The discount on a cart, never more than the eligible amount.
    pub fn discount(&self, lines: &[CartLine]) -> i64 {
        let eligible = self.eligible_amount(lines).max(0);
        let d = match self.kind {
            DiscountKind::Percent(bp) => (eligible as i128 * bp as i128 / 10_000) as i64,
            DiscountKind::Fixed(v) => v,
        };
        let d = self.max_discount.map_or(d, |m| d.min(m));
        d.min(eligible)
    }

    /// Why the promotion does not apply to this cart for a customer in `tier` at `now`. Usage
    /// limits are checked where the counts are.
    pub fn refusal(&self, lines: &[CartLine], tier: Option<&str>, now: Timestamp) -> Option<Issue> {
        if !self.active {
            return Some(refuse("code_inactive", "this code is not active", "این کد فعال نیست"));
        }
        if self.starts_at.is_some_and(|s| now < s) {
            return Some(refuse("code_not_started", "this code is not valid yet", "زمان استفاده از این کد هنوز نرسیده است"));
        }
        if self.ends_at.is_some_and(|e| now >= e) {
            return Some(refuse("code_expired", "this code has expired", "مهلت استفاده از این کد تمام شده است"));
        }
        if !self.tiers.is_empty() && !tier.is_some_and(|t| self.tiers.iter().any(|x| x == t)) {
            return Some(refuse("code_tier", "this code is for other tiers", "این کد برای سطح شما نیست"));
        }
        let subtotal: i64 = lines.iter().map(|l| l.total).sum();
        if subtotal < self.min_amount {
            return Some(Issue::new(
                "code_min_amount",
                format!("needs a purchase of at least {}", self.min_amount),
                format!("حداقل مبلغ خرید برای این کد {} است", self.min_amount),
            ));
        }
        if self.eligible_amount(lines) <= 0 {
            return Some(refuse(
                "code_not_applicable",
                "no item in the cart is covered by this code",
                "این کد شامل کالاهای سبد نمی‌شود",
            ));
        }
        None
    }
}

/// Generates `n` distinct codes `PREFIX` + `length` characters of [`CODE_ALPHABET`], drawing
/// bytes from `fill` (a secure random source in production).
pub fn generate_codes(n: usize, prefix: &str, length: usize, mut fill: impl FnMut(&mut [u8])) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    let mut buf = vec![0u8; length * 64];
    // Rejection sampling keeps every character equally likely: 31 letters, 248 = 8 × 31.
    let limit = (256 / CODE_ALPHABET.len() * CODE_ALPHABET.len()) as u8;
    let mut pos = buf.len();
    while out.len() < n {
        let mut code = String::with_capacity(prefix.len() + length);
        code.push_str(prefix);
        while code.len() < prefix.len() + length {
            if pos == buf.len() {
                fill(&mut buf);
                pos = 0;
            }
            let b = buf[pos];
            pos += 1;
            if b < limit {
                code.push(CODE_ALPHABET[b as usize % CODE_ALPHABET.len()] as char);
            }
        }
        if seen.insert(code.clone()) {
            out.push(code);
        }
    }
    out
}

/// How many codes of `length` random characters can exist.
pub fn code_space(length: usize) -> f64 {
    (CODE_ALPHABET.len() as f64).powi(length as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn promo(j: serde_json::Value) -> Promotion {
        serde_json::from_value::<PromotionInput>(j).unwrap().parse(&TimeZone::get("Asia/Tehran").unwrap()).unwrap()
    }

    fn lines() -> Vec<CartLine> {
        vec![
            CartLine { sku: Some("C1".into()), category: Some("coffee".into()), total: 300_000 },
            CartLine { sku: Some("K1".into()), category: Some("cake".into()), total: 200_000 },
        ]
    }

    #[test]
    fn percentages_cap_and_filter() {
        let p = promo(
            json!({"code": "p", "name": "p", "discount": "percent", "value": 20, "max_discount": 50000, "categories": ["coffee"]}),
        );
        assert_eq!(p.eligible_amount(&lines()), 300_000);
        assert_eq!(p.discount(&lines()), 50_000);
        let f = promo(json!({"code": "f", "name": "f", "discount": "fixed", "value": 900000}));
        assert_eq!(f.discount(&lines()), 500_000, "never more than the cart");
    }

    #[test]
    fn refusals_explain_themselves() {
        let now = Timestamp::now();
        let p =
            promo(json!({"code": "p", "name": "p", "discount": "fixed", "value": 1000, "min_amount": 600000, "tiers": ["gold"]}));
        assert_eq!(p.refusal(&lines(), Some("gold"), now).unwrap().code, "code_min_amount");
        assert_eq!(p.refusal(&lines(), None, now).unwrap().code, "code_tier");
        let old = promo(json!({"code": "o", "name": "o", "discount": "fixed", "value": 1000, "ends_at": "2020-01-01"}));
        assert_eq!(old.refusal(&lines(), None, now).unwrap().code, "code_expired");
        let other = promo(json!({"code": "x", "name": "x", "discount": "percent", "value": 5, "skus": ["Z9"]}));
        assert_eq!(other.refusal(&lines(), None, now).unwrap().code, "code_not_applicable");
    }

    #[test]
    fn codes_are_typed_in_any_case_and_digits() {
        assert_eq!(normalise_code(" yalda-۱۴۰۵ ").unwrap(), "YALDA-1405");
        assert!(normalise_code("a b!").is_err());
    }

    #[test]
    fn generated_codes_are_distinct_and_unambiguous() {
        let mut state = 1u64;
        let codes = generate_codes(10_000, "YL-", 6, |buf| {
            for b in buf.iter_mut() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                *b = (state >> 33) as u8;
            }
        });
        assert_eq!(codes.len(), 10_000);
        assert_eq!(codes.iter().collect::<std::collections::HashSet<_>>().len(), 10_000);
        assert!(codes.iter().all(|c| c.starts_with("YL-") && c.len() == 9 && !c[3..].contains(['0', 'O', '1', 'I', 'L'])));
    }
}
