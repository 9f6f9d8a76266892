//! A Shopify order (Admin REST API shape, also the body of `orders/*` webhooks) and a refund
//! (the body of `refunds/create`), read into an [`OrderSnapshot`].

use super::shopify_time;
use crate::invoice::{CustomerRefInput, InvoiceInput, LineInput, currency_factor};
use crate::issue::{Checker, Invalid, Issue};
use crate::money::{minor_units, parse_decimal_amount};
use crate::woocommerce::{Loose, OrderPhase, OrderSnapshot, RefundDraft, identity};
use jiff::tz::TimeZone;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The fields Philia reads; every other field is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShopifyOrder {
    pub id: Loose,
    pub created_at: Option<String>,
    pub processed_at: Option<String>,
    pub updated_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub financial_status: Option<String>,
    pub currency: String,
    pub taxes_included: bool,
    pub total_price: Loose,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source_name: Option<String>,
    pub customer: Option<Customer>,
    pub billing_address: Option<Address>,
    pub line_items: Vec<LineItem>,
    pub shipping_lines: Vec<ShippingLine>,
    pub refunds: Vec<ShopifyRefund>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Customer {
    pub id: Loose,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub address1: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub zip: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LineItem {
    pub product_id: Loose,
    pub variant_id: Loose,
    pub sku: Loose,
    pub title: String,
    pub name: String,
    pub quantity: Loose,
    pub price: Loose,
    pub total_discount: Loose,
    pub discount_allocations: Vec<Amount>,
    pub tax_lines: Vec<TaxLine>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShippingLine {
    pub price: Loose,
    pub discounted_price: Loose,
    pub tax_lines: Vec<TaxLine>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TaxLine {
    pub price: Loose,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Amount {
    pub amount: Loose,
}

/// A refund: listed on an order, or the body of `refunds/create`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ShopifyRefund {
    pub id: Loose,
    pub order_id: Loose,
    pub created_at: Option<String>,
    pub note: Option<String>,
    pub transactions: Vec<Transaction>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Transaction {
    pub kind: String,
    pub status: Option<String>,
    pub amount: Loose,
    pub currency: Option<String>,
}

fn text(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ShopifyRefund {
    pub fn created(&self) -> Option<jiff::Timestamp> {
        shopify_time(self.created_at.as_deref())
    }

    /// The money returned, in the shop currency's smallest unit: the successful refund
    /// transactions (a refund that only restocks returns nothing).
    pub fn amount(&self, minor: u32) -> Result<i64, Issue> {
        let mut sum = 0;
        for t in &self.transactions {
            let succeeded = t.status.as_deref().is_none_or(|s| s.eq_ignore_ascii_case("success"));
            if t.kind.eq_ignore_ascii_case("refund") && succeeded {
                sum += parse_decimal_amount(&t.amount.text(), minor)?.abs();
            }
        }
        Ok(sum)
    }

    /// The refund in the tenant's currency, or `None` when it returns no money. Amounts are in
    /// the currency the transactions name, else in `shop_currency`.
    pub fn draft(&self, shop_currency: &str, tenant_currency: &str) -> Result<Option<RefundDraft>, Invalid> {
        let named = self.transactions.iter().find_map(|t| text(t.currency.as_deref())).map(|c| c.to_ascii_uppercase());
        let shop_currency = named.as_deref().unwrap_or(shop_currency);
        let mut c = Checker::new();
        let id = self.id.text();
        if id.is_empty() {
            c.push(Issue::required().at("id"));
        }
        let amount = c.check("transactions", self.amount(minor_units(shop_currency)));
        let factor = c.check("currency", currency_factor(shop_currency, tenant_currency));
        c.finish(|| {
            let (mul, div) = factor.unwrap();
            let amount = amount.unwrap() * mul / div;
            (amount > 0).then(|| RefundDraft { id, amount, reason: text(self.note.as_deref()) })
        })
    }
}

impl ShopifyOrder {
    /// What the order's state means: cancelled, refunded in full or voided takes back; paid (or
    /// partly refunded) is a sale; pending, authorised or partly paid is not a sale yet.
    pub fn phase(&self) -> OrderPhase {
        if text(self.cancelled_at.as_deref()).is_some() {
            return OrderPhase::Reversed;
        }
        match self.financial_status.as_deref().unwrap_or("").trim().to_ascii_lowercase().as_str() {
            "paid" | "partially_refunded" => OrderPhase::Sale,
            "refunded" | "voided" => OrderPhase::Reversed,
            _ => OrderPhase::Open,
        }
    }

    fn status(&self) -> String {
        if text(self.cancelled_at.as_deref()).is_some() {
            "cancelled".into()
        } else {
            self.financial_status.as_deref().unwrap_or("pending").trim().to_ascii_lowercase()
        }
    }

    /// Reads the order for a tenant: money into the tenant's currency (IRR and IRT convert), each
    /// line at what the customer paid for it (tax added when prices exclude it, its discounts as
    /// the line's discount), shipping after its discounts, refunds from their transactions.
    pub fn snapshot(&self, source: &str, zone: &TimeZone, tenant_currency: &str) -> Result<OrderSnapshot, Invalid> {
        let mut c = Checker::new();
        let id = self.id.text();
        if id.is_empty() {
            c.push(Issue::required().at("id"));
        }
        let currency = match self.currency.trim().to_ascii_uppercase() {
            s if s.is_empty() => tenant_currency.to_string(),
            s => s,
        };
        let minor = minor_units(&currency);
        let money = |c: &mut Checker, field: &str, v: &Loose| c.check(field, parse_decimal_amount(&v.text(), minor)).unwrap_or(0);
        let factor = c.check("currency", currency_factor(&currency, tenant_currency));
        let phase = self.phase();
        let version = shopify_time(self.updated_at.as_deref()).map(|t| t.as_millisecond());
        let mut notes = Vec::new();
        let mut refunds = Vec::new();
        for (i, r) in self.refunds.iter().enumerate() {
            match r.draft(&currency, tenant_currency) {
                Ok(Some(d)) => refunds.push(d),
                Ok(None) => {}
                Err(e) => c.extend(&format!("refunds[{i}]"), e),
            }
        }
        let mut invoice = None;
        if phase == OrderPhase::Sale && factor.is_some() {
            let mut lines = Vec::new();
            for (i, item) in self.line_items.iter().enumerate() {
                let at = |f: &str| format!("line_items[{i}].{f}");
                let Some(quantity) = item.quantity.text().parse::<i64>().ok().filter(|q| *q > 0) else {
                    c.push(
                        Issue::new("invalid_quantity", "must be a positive whole number", "تعداد معتبر نیست").at(at("quantity")),
                    );
                    continue;
                };
                let price = money(&mut c, &at("price"), &item.price);
                let tax: i64 = if self.taxes_included {
                    0
                } else {
                    item.tax_lines
                        .iter()
                        .enumerate()
                        .map(|(t, l)| money(&mut c, &at(&format!("tax_lines[{t}].price")), &l.price))
                        .sum()
                };
                let allocated: i64 = item
                    .discount_allocations
                    .iter()
                    .enumerate()
                    .map(|(d, a)| money(&mut c, &at(&format!("discount_allocations[{d}].amount")), &a.amount))
                    .sum();
                let discount = if item.discount_allocations.is_empty() {
                    money(&mut c, &at("total_discount"), &item.total_discount)
                } else {
                    allocated
                };
                // Whole units keep the line exact: tax spread over the units is rounded up and
                // the difference joins the line's discount.
                let gross = price * quantity + tax;
                let unit = (gross + quantity - 1) / quantity;
                let net = gross - discount;
                let sku = Some(item.sku.text()).filter(|s| !s.is_empty()).or_else(|| {
                    let variant = item.variant_id.text();
                    let product = if variant.is_empty() || variant == "0" { item.product_id.text() } else { variant };
                    Some(format!("shopify-{product}")).filter(|_| !product.is_empty() && product != "0")
                });
                lines.push(LineInput {
                    sku,
                    product_name: text(Some(&item.name)).or_else(|| text(Some(&item.title))),
                    category: None,
                    quantity: Some(quantity as f64),
                    unit_price: unit,
                    discount: Some(unit * quantity - net),
                });
            }
            let mut shipping = 0;
            for (i, s) in self.shipping_lines.iter().enumerate() {
                let charged = if s.discounted_price.is_blank() { &s.price } else { &s.discounted_price };
                shipping += money(&mut c, &format!("shipping_lines[{i}].discounted_price"), charged);
                if !self.taxes_included {
                    for (t, l) in s.tax_lines.iter().enumerate() {
                        shipping += money(&mut c, &format!("shipping_lines[{i}].tax_lines[{t}].price"), &l.price);
                    }
                }
            }
            let total = money(&mut c, "total_price", &self.total_price);
            let issued = shopify_time(self.processed_at.as_deref()).or(shopify_time(self.created_at.as_deref()));
            if issued.is_none() {
                c.push(Issue::required().at("created_at"));
            }
            let customer = self.customer.clone().unwrap_or_default();
            let billing = self.billing_address.clone().unwrap_or_default();
            let phone = text(customer.phone.as_deref())
                .or_else(|| text(self.phone.as_deref()))
                .or_else(|| text(billing.phone.as_deref()))
                .unwrap_or_default();
            let email = text(customer.email.as_deref()).or_else(|| text(self.email.as_deref())).unwrap_or_default();
            let (external, mobile, email) = identity(&customer.id, &phone, &email, &mut notes);
            let customer_ref = (external.is_some() || mobile.is_some() || email.is_some()).then(|| CustomerRefInput {
                id: None,
                external_id: external,
                mobile,
                email,
                first_name: text(customer.first_name.as_deref()).or(text(billing.first_name.as_deref())),
                last_name: text(customer.last_name.as_deref()).or(text(billing.last_name.as_deref())),
                name: None,
            });
            let channel = match self.source_name.as_deref().map(str::trim) {
                Some("pos") => "pos",
                _ => "online",
            };
            let input = InvoiceInput {
                source: Some(source.to_string()),
                external_id: id.clone(),
                issued_at: issued.map(|t| t.to_string()).unwrap_or_default(),
                customer: customer_ref,
                channel: Some(channel.into()),
                branch: None,
                status: Some("completed".into()),
                currency: Some(currency.clone()),
                lines,
                discount: Some(0),
                shipping: Some(shipping),
                total: Some(total),
                checkout: None,
            };
            if c.is_ok() {
                match input.parse(zone, tenant_currency) {
                    Ok(v) => invoice = Some(v),
                    Err(e) => c.extend("invoice", e),
                }
            }
        }
        let status = self.status();
        c.finish(|| {
            let mut h = Sha256::new();
            h.update(&status);
            h.update([0]);
            h.update(invoice.as_ref().map(|i| i.fingerprint()).unwrap_or_default());
            for r in &refunds {
                h.update(format!("\0{}:{}", r.id, r.amount));
            }
            let digest = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
            OrderSnapshot { id, version, phase, status, invoice, refunds, digest, notes }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An order in the Admin API's shape, as its documentation shows one (fields trimmed).
    fn order() -> ShopifyOrder {
        serde_json::from_value(serde_json::json!({
            "id": 820982911946154508_i64,
            "created_at": "2026-03-01T10:00:00+03:30",
            "processed_at": "2026-03-01T10:00:00+03:30",
            "updated_at": "2026-03-01T10:05:00+03:30",
            "cancelled_at": null,
            "currency": "IRR",
            "financial_status": "paid",
            "taxes_included": false,
            "total_price": "2190000.00",
            "email": "sara@example.com",
            "phone": null,
            "source_name": "web",
            "customer": { "id": 115310627314723954_i64, "email": "sara@example.com", "phone": "+989121234567",
                          "first_name": "Sara", "last_name": "Karimi" },
            "billing_address": { "phone": "0912 123 4567", "city": "Tehran" },
            "line_items": [
                { "id": 1, "product_id": 632910392, "variant_id": 808950810, "sku": "TEA-1", "title": "Tea",
                  "name": "Tea - 500 g", "quantity": 2, "price": "800000.00", "total_discount": "0.00",
                  "discount_allocations": [{ "amount": "100000.00" }],
                  "tax_lines": [{ "price": "135000.00", "rate": 0.09 }] },
                { "id": 2, "product_id": 632910393, "variant_id": 0, "sku": "", "title": "Cup",
                  "quantity": 1, "price": "300000.00", "tax_lines": [{ "price": "27000.00" }] }
            ],
            "shipping_lines": [{ "price": "50000.00", "discounted_price": "30000.00", "tax_lines": [] }],
            "refunds": []
        }))
        .unwrap()
    }

    fn tehran() -> TimeZone {
        TimeZone::get("Asia/Tehran").unwrap()
    }

    #[test]
    fn a_paid_order_is_a_sale_in_tomans_with_tax_and_discounts_on_its_lines() {
        let snap = order().snapshot("shopify-shop", &tehran(), "IRT").unwrap();
        assert_eq!(snap.phase, OrderPhase::Sale);
        assert_eq!(snap.id, "820982911946154508");
        let inv = snap.invoice.unwrap();
        // Tea: 2 × 80,000 + 13,500 tax − 10,000 discount; cup: 30,000 + 2,700 tax.
        assert_eq!(inv.lines.iter().map(|l| l.total).collect::<Vec<_>>(), [163_500, 32_700]);
        assert_eq!(inv.lines[1].sku.as_deref(), Some("shopify-632910393"));
        assert_eq!((inv.shipping, inv.total), (3_000, 219_000));
        let customer = inv.customer.unwrap();
        assert_eq!(customer.mobile.unwrap().as_str(), "+989121234567");
        assert_eq!(snap.version, Some("2026-03-01T06:35:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond()));
    }

    #[test]
    fn states_map_to_phases() {
        let mut o = order();
        for (status, cancelled, phase) in [
            ("paid", None, OrderPhase::Sale),
            ("partially_refunded", None, OrderPhase::Sale),
            ("pending", None, OrderPhase::Open),
            ("authorized", None, OrderPhase::Open),
            ("refunded", None, OrderPhase::Reversed),
            ("voided", None, OrderPhase::Reversed),
            ("paid", Some("2026-03-02T00:00:00Z"), OrderPhase::Reversed),
        ] {
            o.financial_status = Some(status.into());
            o.cancelled_at = cancelled.map(str::to_string);
            assert_eq!(o.phase(), phase, "{status} {cancelled:?}");
        }
    }

    #[test]
    fn refunds_count_their_successful_refund_transactions() {
        let r: ShopifyRefund = serde_json::from_value(serde_json::json!({
            "id": 509562969, "order_id": 820982911946154508_i64, "note": "broken in shipping",
            "transactions": [
                { "kind": "refund", "status": "success", "amount": "400000.00" },
                { "kind": "refund", "status": "failure", "amount": "999.00" },
                { "kind": "sale", "status": "success", "amount": "5.00" }
            ]
        }))
        .unwrap();
        let d = r.draft("IRR", "IRT").unwrap().unwrap();
        assert_eq!((d.id.as_str(), d.amount, d.reason.as_deref()), ("509562969", 40_000, Some("broken in shipping")));
        let mut named = r.clone();
        named.transactions[0].currency = Some("IRT".into());
        assert_eq!(named.draft("IRR", "IRT").unwrap().unwrap().amount, 400_000, "the transaction's own currency wins");
        let restock_only = ShopifyRefund { id: Loose::Int(1), ..Default::default() };
        assert!(restock_only.draft("IRR", "IRT").unwrap().is_none());
        assert_eq!(r.draft("USD", "IRT").unwrap_err().0[0].field, "currency");
    }

    #[test]
    fn the_digest_follows_status_and_refunds_and_bad_fields_are_named() {
        let a = order();
        let mut b = a.clone();
        b.financial_status = Some("partially_refunded".into());
        let d = |o: &ShopifyOrder| o.snapshot("s", &tehran(), "IRT").unwrap().digest;
        assert_eq!(d(&a), d(&a.clone()));
        assert_ne!(d(&a), d(&b));
        let mut bad = a.clone();
        bad.line_items[1].price = Loose::Text("3x".into());
        assert_eq!(bad.snapshot("s", &tehran(), "IRT").unwrap_err().0[0].field, "line_items[1].price");
    }
}
