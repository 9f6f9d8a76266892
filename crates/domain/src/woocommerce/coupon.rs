//! A WooCommerce coupon (the body of `coupon.*` webhooks), mirrored as a promotion with a
//! shared code, so the shop's code also works at the till and in the club. Coupons Philia
//! cannot apply the way the shop does (a fixed discount per product, or restricted to products or
//! categories the shop names by id) are not mirrored, and the log says why.

use super::Loose;
use super::order::gmt;
use crate::discounts::PromotionInput;
use crate::invoice::currency_factor;
use crate::issue::{Checker, Invalid, Issue};
use crate::money::{minor_units, parse_decimal_amount};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WooCoupon {
    pub id: Loose,
    pub code: String,
    pub amount: Loose,
    pub status: String,
    /// `percent`, `fixed_cart` or `fixed_product`.
    pub discount_type: String,
    pub description: String,
    pub date_modified_gmt: Option<String>,
    pub date_expires_gmt: Option<String>,
    pub individual_use: bool,
    pub product_ids: Vec<Loose>,
    pub excluded_product_ids: Vec<Loose>,
    pub product_categories: Vec<Loose>,
    pub excluded_product_categories: Vec<Loose>,
    pub usage_limit: Option<i64>,
    pub usage_limit_per_user: Option<i64>,
    pub minimum_amount: Loose,
}

/// What a coupon becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum CouponMirror {
    Promotion(Box<PromotionInput>),
    /// Not mirrored, and why.
    Left(String),
}

impl WooCoupon {
    pub fn version(&self) -> Option<i64> {
        gmt(self.date_modified_gmt.as_deref()).map(|t| t.as_millisecond())
    }

    /// The promotion code a coupon is kept under: one per shop and coupon.
    pub fn promotion_code(&self, connection_code: &str) -> String {
        format!("woo-{connection_code}-{}", self.id.text())
    }

    /// The coupon as a promotion in the tenant's currency: percent or a fixed amount off the
    /// cart, the expiry, the minimum, the limits, whether it combines with others; published
    /// coupons are active.
    pub fn mirror(&self, connection_code: &str, shop_currency: &str, tenant_currency: &str) -> Result<CouponMirror, Invalid> {
        let restricted =
            [&self.product_ids, &self.excluded_product_ids, &self.product_categories, &self.excluded_product_categories]
                .iter()
                .any(|ids| !ids.is_empty());
        if restricted {
            return Ok(CouponMirror::Left("restricted to products or categories: applied by the shop only".into()));
        }
        let mut c = Checker::new();
        if self.id.is_blank() {
            c.push(Issue::required().at("id"));
        }
        if self.code.trim().is_empty() {
            c.push(Issue::required().at("code"));
        }
        let minor = minor_units(shop_currency);
        let factor = c.check("currency", currency_factor(shop_currency, tenant_currency));
        let (mul, div) = factor.unwrap_or((1, 1));
        let money = |c: &mut Checker, field: &str, v: &Loose| {
            c.check(field, parse_decimal_amount(&v.text(), minor)).map(|a| a * mul / div)
        };
        let (discount, value) = match self.discount_type.trim() {
            "percent" => ("percent", c.check("amount", parse_decimal_amount(&self.amount.text(), 2)).map(|a| a as f64 / 100.0)),
            // In the tenant currency's smallest unit, as every amount (rials below a toman round down).
            "fixed_cart" => ("fixed", money(&mut c, "amount", &self.amount).map(|a| a as f64)),
            "fixed_product" => return Ok(CouponMirror::Left("a fixed discount per product: applied by the shop only".into())),
            _ => {
                c.push(Issue::one_of(&["percent", "fixed_cart", "fixed_product"]).at("discount_type"));
                ("percent", None)
            }
        };
        let minimum = money(&mut c, "minimum_amount", &self.minimum_amount).filter(|m| *m > 0);
        let expires = gmt(self.date_expires_gmt.as_deref());
        c.finish(|| {
            CouponMirror::Promotion(Box::new(PromotionInput {
                code: self.promotion_code(connection_code),
                name: if self.description.trim().is_empty() {
                    self.code.trim().to_string()
                } else {
                    self.description.trim().chars().take(200).collect()
                },
                discount: discount.into(),
                value: value.unwrap_or(0.0),
                max_discount: None,
                starts_at: None,
                ends_at: expires.map(|t| t.to_string()),
                min_amount: minimum,
                categories: None,
                skus: None,
                total_limit: self.usage_limit.filter(|n| *n > 0),
                per_customer_limit: self.usage_limit_per_user.filter(|n| *n > 0),
                uses_per_code: None,
                tiers: None,
                stackable: Some(!self.individual_use),
                shared_code: Some(self.code.trim().to_string()),
                active: Some(self.status.trim() == "publish" || self.status.trim().is_empty()),
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A coupon in the REST API's documented shape (fields Philia does not read trimmed).
    fn coupon() -> WooCoupon {
        serde_json::from_value(serde_json::json!({
            "id": 719, "code": "yalda10", "amount": "10.00", "status": "publish", "discount_type": "percent",
            "description": "", "date_modified_gmt": "2026-12-01T10:00:00", "date_expires_gmt": "2026-12-22T20:30:00",
            "individual_use": true, "product_ids": [], "excluded_product_ids": [], "usage_limit": 500,
            "usage_limit_per_user": 1, "limit_usage_to_x_items": null, "free_shipping": false,
            "product_categories": [], "excluded_product_categories": [], "exclude_sale_items": false,
            "minimum_amount": "2000000", "maximum_amount": "0.00", "email_restrictions": [], "used_by": []
        }))
        .unwrap()
    }

    #[test]
    fn a_percent_coupon_becomes_a_promotion_with_its_shared_code_and_limits() {
        let CouponMirror::Promotion(p) = coupon().mirror("shop", "IRR", "IRT").unwrap() else { panic!("mirrored") };
        assert_eq!((p.code.as_str(), p.discount.as_str(), p.value), ("woo-shop-719", "percent", 10.0));
        assert_eq!(p.shared_code.as_deref(), Some("yalda10"));
        assert_eq!((p.min_amount, p.total_limit, p.per_customer_limit), (Some(200_000), Some(500), Some(1)));
        assert_eq!((p.stackable, p.active), (Some(false), Some(true)));
        assert_eq!(p.ends_at.as_deref(), Some("2026-12-22T20:30:00Z"));
    }

    #[test]
    fn fixed_cart_converts_and_restricted_or_per_product_coupons_are_left_to_the_shop() {
        let mut fixed = coupon();
        fixed.discount_type = "fixed_cart".into();
        fixed.amount = Loose::Text("500000".into());
        let CouponMirror::Promotion(p) = fixed.mirror("shop", "IRR", "IRT").unwrap() else { panic!("mirrored") };
        assert_eq!((p.discount.as_str(), p.value), ("fixed", 50_000.0));
        let mut per_product = coupon();
        per_product.discount_type = "fixed_product".into();
        assert!(matches!(per_product.mirror("shop", "IRR", "IRT").unwrap(), CouponMirror::Left(_)));
        let mut restricted = coupon();
        restricted.product_categories = vec![Loose::Int(9)];
        assert!(matches!(restricted.mirror("shop", "IRR", "IRT").unwrap(), CouponMirror::Left(_)));
        let mut bad = coupon();
        bad.discount_type = "bogus".into();
        assert_eq!(bad.mirror("shop", "IRR", "IRT").unwrap_err().0[0].field, "discount_type");
    }
}
