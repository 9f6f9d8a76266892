//! Checkout pricing (SPEC C4): codes, tier discount, points and wallet applied to a cart, in that
//! order, each on what is left to pay.

use crate::discounts::{CartLine, Promotion};
use crate::issue::Issue;

/// Points a customer asks to pay with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsPayment {
    pub requested: i64,
    /// Currency units one point is worth.
    pub value: i64,
    /// Points the customer can spend now.
    pub available: i64,
}

/// What the pricing starts from.
#[derive(Debug, Clone)]
pub struct PricingInput<'a> {
    pub lines: &'a [CartLine],
    pub shipping: i64,
    /// Promotions of the codes typed, each with its code, already checked against limits.
    pub promotions: Vec<(String, &'a Promotion)>,
    /// The customer's tier discount in basis points.
    pub tier_discount_bp: i64,
    pub points: Option<PointsPayment>,
    /// Wallet amount asked for, and what is available.
    pub wallet: Option<(i64, i64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Priced {
    pub subtotal: i64,
    pub code_discounts: Vec<(String, i64)>,
    pub tier_discount: i64,
    pub points_used: i64,
    pub points_value: i64,
    pub wallet_used: i64,
    /// Subtotal minus discounts plus shipping: the invoice total.
    pub total: i64,
    /// What is left to pay in money after points and wallet.
    pub to_pay: i64,
}

impl Priced {
    pub fn discount(&self) -> i64 {
        self.code_discounts.iter().map(|d| d.1).sum::<i64>() + self.tier_discount
    }
}

/// A pricing refusal and the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub issue: Issue,
}

fn refusal(field: &'static str, issue: Issue) -> Refusal {
    Refusal { field, issue }
}

pub fn price(input: &PricingInput<'_>) -> Result<Priced, Refusal> {
    let subtotal: i64 = input.lines.iter().map(|l| l.total).sum();
    if input.promotions.len() > 1 && input.promotions.iter().any(|(_, p)| !p.stackable) {
        return Err(refusal(
            "codes",
            Issue::new(
                "code_not_stackable",
                "one of these codes cannot be combined with another",
                "این کدها را نمی‌توان با هم استفاده کرد",
            ),
        ));
    }
    let mut left = subtotal;
    let mut code_discounts = Vec::new();
    for (code, p) in &input.promotions {
        let d = p.discount(input.lines).min(left);
        left -= d;
        code_discounts.push((code.clone(), d));
    }
    let tier_discount = (left as i128 * input.tier_discount_bp as i128 / 10_000) as i64;
    left -= tier_discount;
    let total = left + input.shipping;
    let mut due = total;
    let (mut points_used, mut points_value) = (0, 0);
    if let Some(p) = input.points.filter(|p| p.requested > 0) {
        if p.value <= 0 {
            return Err(refusal(
                "points",
                Issue::new(
                    "points_not_payable",
                    "points of this type cannot pay at checkout",
                    "با این نوع امتیاز نمی‌توان پرداخت کرد",
                ),
            ));
        }
        if p.requested > p.available {
            return Err(refusal(
                "points.points",
                Issue::new(
                    "insufficient_points",
                    format!("only {} points are available", p.available),
                    format!("فقط {} امتیاز قابل استفاده است", p.available),
                ),
            ));
        }
        let most = (due + p.value - 1) / p.value;
        if p.requested > most {
            return Err(refusal(
                "points.points",
                Issue::new(
                    "too_many_points",
                    format!("this purchase takes at most {most} points"),
                    format!("برای این خرید حداکثر {most} امتیاز لازم است"),
                ),
            ));
        }
        points_used = p.requested;
        points_value = (p.requested * p.value).min(due);
        due -= points_value;
    }
    let mut wallet_used = 0;
    if let Some((requested, available)) = input.wallet.filter(|w| w.0 > 0) {
        if requested > available {
            return Err(refusal(
                "wallet",
                Issue::new(
                    "insufficient_wallet",
                    format!("only {available} is available in the wallet"),
                    format!("موجودی کیف پول {available} است"),
                ),
            ));
        }
        if requested > due {
            return Err(refusal(
                "wallet",
                Issue::new(
                    "wallet_exceeds_total",
                    format!("is more than the {due} left to pay"),
                    format!("بیش از مبلغ قابل پرداخت ({due}) است"),
                ),
            ));
        }
        wallet_used = requested;
        due -= requested;
    }
    Ok(Priced { subtotal, code_discounts, tier_discount, points_used, points_value, wallet_used, total, to_pay: due })
}

/// Cashback on what was paid in money: each line at its category's rate or else the tier's,
/// scaled to the amount paid.
pub fn cashback(lines: &[CartLine], paid: i64, tier_bp: i64, category_bp: &[(String, i64)]) -> i64 {
    let line_sum: i128 = lines.iter().map(|l| l.total.max(0) as i128).sum();
    if paid <= 0 {
        return 0;
    }
    if line_sum == 0 {
        return (paid as i128 * tier_bp as i128 / 10_000) as i64;
    }
    let weighted: i128 = lines
        .iter()
        .map(|l| {
            let bp =
                l.category.as_ref().and_then(|c| category_bp.iter().find(|(k, _)| k == c).map(|(_, v)| *v)).unwrap_or(tier_bp);
            l.total.max(0) as i128 * bp as i128
        })
        .sum();
    (weighted * paid as i128 / (line_sum * 10_000)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discounts::PromotionInput;
    use serde_json::json;

    fn promo(j: serde_json::Value) -> Promotion {
        serde_json::from_value::<PromotionInput>(j).unwrap().parse(&jiff::tz::TimeZone::UTC).unwrap()
    }

    fn lines() -> Vec<CartLine> {
        vec![
            CartLine { sku: Some("C1".into()), category: Some("coffee".into()), total: 300_000 },
            CartLine { sku: Some("K1".into()), category: Some("cake".into()), total: 200_000 },
        ]
    }

    #[test]
    fn codes_then_tier_then_points_then_wallet() {
        let p = promo(json!({"code": "p", "name": "p", "discount": "percent", "value": 10}));
        let lines = lines();
        let priced = price(&PricingInput {
            lines: &lines,
            shipping: 30_000,
            promotions: vec![("P10".into(), &p)],
            tier_discount_bp: 500,
            points: Some(PointsPayment { requested: 100, value: 1000, available: 500 }),
            wallet: Some((20_000, 50_000)),
        })
        .unwrap();
        // 500,000 − 50,000 code − 22,500 tier (5% of 450,000) + 30,000 shipping = 457,500.
        assert_eq!(priced.total, 457_500);
        assert_eq!((priced.points_value, priced.wallet_used, priced.to_pay), (100_000, 20_000, 337_500));
    }

    #[test]
    fn refusals_name_their_field() {
        let a = promo(json!({"code": "a", "name": "a", "discount": "fixed", "value": 1000}));
        let b = promo(json!({"code": "b", "name": "b", "discount": "fixed", "value": 1000, "stackable": true}));
        let lines = lines();
        let base = PricingInput {
            lines: &lines,
            shipping: 0,
            promotions: vec![("A".into(), &a), ("B".into(), &b)],
            tier_discount_bp: 0,
            points: None,
            wallet: None,
        };
        assert_eq!(price(&base).unwrap_err().issue.code, "code_not_stackable");
        let too_many = PricingInput {
            promotions: vec![],
            points: Some(PointsPayment { requested: 600, value: 1000, available: 900 }),
            ..base.clone()
        };
        assert_eq!(price(&too_many).unwrap_err().issue.code, "too_many_points");
        let wallet = PricingInput { promotions: vec![], wallet: Some((10, 5)), ..base };
        assert_eq!(price(&wallet).unwrap_err().field, "wallet");
    }

    #[test]
    fn cashback_by_category_or_tier() {
        // coffee at 10%, cake at the tier's 2%, on the 400,000 paid of 500,000.
        assert_eq!(cashback(&lines(), 400_000, 200, &[("coffee".into(), 1000)]), 27_200);
        assert_eq!(cashback(&[], 100_000, 300, &[]), 3_000);
    }
}

/// A category whose purchases return a different share than the tier's.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRate {
    pub category: String,
    pub percent: f64,
}

/// The cashback programme (SPEC C6). The rate of a purchase is its tier's `cashback_percent`,
/// or a category's own rate for lines of that category.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashbackProgramme {
    pub enabled: bool,
    /// `wallet` (cash) or `points`.
    pub credit_as: String,
    /// For `points`: the point type credited, one point per currency unit of cashback.
    pub point_type: Option<String>,
    #[serde(default)]
    pub category_rates: Vec<CategoryRate>,
    /// Days before wallet cashback can be spent (the return window).
    #[serde(default)]
    pub maturity_days: u32,
}

impl CashbackProgramme {
    pub fn check(&self) -> Result<Vec<(String, i64)>, crate::Invalid> {
        let mut c = crate::issue::Checker::new();
        match self.credit_as.as_str() {
            "wallet" => {}
            "points" if self.point_type.is_some() => {
                c.check("point_type", crate::points::parse_code(self.point_type.as_deref().unwrap_or_default()));
            }
            "points" => c.push(Issue::required().at("point_type")),
            _ => c.push(Issue::one_of(&["wallet", "points"]).at("credit_as")),
        }
        if self.maturity_days > 365 {
            c.push(Issue::new("out_of_range", "must be at most 365", "حداکثر ۳۶۵ روز").at("maturity_days"));
        }
        let mut rates = Vec::new();
        for (i, r) in self.category_rates.iter().enumerate() {
            if !(r.percent >= 0.0 && r.percent <= 100.0) {
                c.push(
                    Issue::new("out_of_range", "must be between 0 and 100", "بین ۰ و ۱۰۰")
                        .at(format!("category_rates[{i}].percent")),
                );
            }
            rates.push((r.category.clone(), (r.percent * 100.0).round() as i64));
        }
        c.finish(|| rates)
    }
}
