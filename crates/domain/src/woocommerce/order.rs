//! A WooCommerce order (REST API v3 shape, also the body of `order.*` webhooks) and what it
//! means for Philia: a sale to record, nothing yet, or a sale to take back.

use super::Loose;
use crate::email::Email;
use crate::invoice::{CustomerRefInput, InvoiceInput, LineInput, ValidInvoice, currency_factor};
use crate::issue::{Checker, Invalid, Issue};
use crate::mobile::Mobile;
use crate::money::{minor_units, parse_decimal_amount};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The fields Philia reads; every other field of the order is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WooOrder {
    pub id: Loose,
    pub status: String,
    pub currency: String,
    pub date_created_gmt: Option<String>,
    pub date_modified_gmt: Option<String>,
    pub date_paid_gmt: Option<String>,
    pub total: Loose,
    pub shipping_total: Loose,
    pub shipping_tax: Loose,
    pub customer_id: Loose,
    pub billing: Billing,
    pub line_items: Vec<LineItem>,
    pub fee_lines: Vec<FeeLine>,
    pub refunds: Vec<RefundRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Billing {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub state: String,
    pub postcode: String,
    pub address_1: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LineItem {
    pub name: String,
    pub product_id: Loose,
    pub variation_id: Loose,
    pub quantity: Loose,
    pub subtotal: Loose,
    pub subtotal_tax: Loose,
    pub total: Loose,
    pub total_tax: Loose,
    pub sku: Loose,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FeeLine {
    pub name: String,
    pub total: Loose,
    pub total_tax: Loose,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RefundRef {
    pub id: Loose,
    /// Written `reason` by current WooCommerce and `refund` in the documentation's examples.
    pub reason: Option<String>,
    pub refund: Option<String>,
    pub total: Loose,
}

/// What an order's status means for loyalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderPhase {
    /// `processing` or `completed`: a sale.
    Sale,
    /// `pending`, `on-hold`, a draft or a status a plugin added: not (yet) a sale.
    Open,
    /// `refunded`, `cancelled`, `failed`, `trash`, or deleted: whatever was counted is taken back.
    Reversed,
}

impl OrderPhase {
    pub fn of_status(status: &str) -> OrderPhase {
        match status.trim().to_ascii_lowercase().as_str() {
            "processing" | "completed" => OrderPhase::Sale,
            "refunded" | "cancelled" | "failed" | "trash" => OrderPhase::Reversed,
            _ => OrderPhase::Open,
        }
    }
}

/// A refund listed on an order, in the tenant's currency.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundDraft {
    pub id: String,
    pub amount: i64,
    pub reason: Option<String>,
}

/// One state of an order, read and checked.
#[derive(Debug, Clone)]
pub struct OrderSnapshot {
    pub id: String,
    /// `date_modified_gmt` in milliseconds: which of two states of the order is newer.
    pub version: Option<i64>,
    pub phase: OrderPhase,
    pub status: String,
    /// The sale, when the phase is [`OrderPhase::Sale`]; its external id is the order id and
    /// the caller numbers later recordings of the same order.
    pub invoice: Option<ValidInvoice>,
    pub refunds: Vec<RefundDraft>,
    /// A digest of everything above: two deliveries with the same version and digest are one.
    pub digest: String,
    /// Identifiers left out because they are not valid (a phone that is not a mobile number).
    pub notes: Vec<String>,
}

impl OrderSnapshot {
    /// An order trashed or deleted: the webhook carries only its id.
    pub fn deleted(id: &str) -> OrderSnapshot {
        OrderSnapshot {
            id: id.to_string(),
            version: None,
            phase: OrderPhase::Reversed,
            status: "deleted".into(),
            invoice: None,
            refunds: vec![],
            digest: "deleted".into(),
            notes: vec![],
        }
    }
}

/// Reads a WooCommerce GMT time (`2017-03-22T19:28:08`, no offset).
pub(super) fn gmt(text: Option<&str>) -> Option<Timestamp> {
    let t = text?.trim();
    if t.is_empty() {
        return None;
    }
    t.parse::<Timestamp>().ok().or_else(|| format!("{t}Z").parse::<Timestamp>().ok())
}

/// The customer named by an order or a customer record: the shop's customer id, and the mobile
/// and email when they are valid; invalid ones are left out and noted.
pub fn identity(
    shop_customer: &Loose,
    phone: &str,
    email: &str,
    notes: &mut Vec<String>,
) -> (Option<String>, Option<String>, Option<String>) {
    let external = Some(shop_customer.text()).filter(|id| !id.is_empty() && id != "0");
    let mobile = match phone.trim() {
        "" => None,
        p => match Mobile::parse(p) {
            Ok(m) => Some(m.as_str().to_string()),
            Err(_) => {
                notes.push(format!("billing phone {p:?} is not a mobile number; left out"));
                None
            }
        },
    };
    let email = match email.trim() {
        "" => None,
        e => match Email::parse(e) {
            Ok(e) => Some(e.as_str().to_string()),
            Err(_) => {
                notes.push(format!("email {e:?} is not valid; left out"));
                None
            }
        },
    };
    (external, mobile, email)
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl WooOrder {
    /// Reads the order for a tenant: money into the tenant's currency (IRR and IRT convert),
    /// lines with their tax (what the customer paid for each item), shipping with its tax, fees
    /// as lines (negative fees as a discount), refunds listed on the order.
    pub fn snapshot(&self, source: &str, zone: &TimeZone, tenant_currency: &str) -> Result<OrderSnapshot, Invalid> {
        let mut c = Checker::new();
        let id = self.id.text();
        if id.is_empty() {
            c.push(Issue::required().at("id"));
        }
        let currency = self.currency.trim().to_ascii_uppercase();
        let currency = if currency.is_empty() { tenant_currency.to_string() } else { currency };
        let minor = minor_units(&currency);
        let money = |c: &mut Checker, field: &str, v: &Loose| c.check(field, parse_decimal_amount(&v.text(), minor)).unwrap_or(0);
        let phase = OrderPhase::of_status(&self.status);
        let version = gmt(self.date_modified_gmt.as_deref()).map(|t| t.as_millisecond());
        let mut notes = Vec::new();
        let factor = c.check("currency", currency_factor(&currency, tenant_currency));
        let mut refunds = Vec::new();
        for (i, r) in self.refunds.iter().enumerate() {
            let amount = money(&mut c, &format!("refunds[{i}].total"), &r.total).abs();
            let rid = r.id.text();
            if rid.is_empty() {
                c.push(Issue::required().at(format!("refunds[{i}].id")));
            }
            if let Some((mul, div)) = factor
                && amount > 0
            {
                let reason = r.reason.as_deref().or(r.refund.as_deref()).and_then(non_empty);
                refunds.push(RefundDraft { id: rid, amount: amount * mul / div, reason });
            }
        }
        let mut invoice_input = None;
        if phase == OrderPhase::Sale {
            let mut lines = Vec::new();
            for (i, item) in self.line_items.iter().enumerate() {
                let at = |f: &str| format!("line_items[{i}].{f}");
                let quantity = item.quantity.text().parse::<f64>().ok().filter(|q| *q > 0.0);
                let Some(quantity) = quantity else {
                    c.push(Issue::new("invalid_quantity", "must be a positive number", "تعداد معتبر نیست").at(at("quantity")));
                    continue;
                };
                let gross =
                    money(&mut c, &at("subtotal"), &item.subtotal) + money(&mut c, &at("subtotal_tax"), &item.subtotal_tax);
                let net = money(&mut c, &at("total"), &item.total) + money(&mut c, &at("total_tax"), &item.total_tax);
                // Whole units keep the line exact: the unit price is rounded up and the
                // difference to what was charged becomes the line's discount.
                let units = quantity.ceil().max(1.0) as i64;
                let exact_units = quantity.fract() == 0.0;
                let (unit_price, discount) = if exact_units {
                    let unit = (gross.max(net) + units - 1) / units;
                    (unit, unit * units - net)
                } else {
                    (gross.max(net), gross.max(net) - net)
                };
                let sku = Some(item.sku.text()).filter(|s| !s.is_empty()).or_else(|| {
                    let variation = item.variation_id.text();
                    let product = if variation.is_empty() || variation == "0" { item.product_id.text() } else { variation };
                    Some(format!("woo-{product}")).filter(|_| !product.is_empty() && product != "0")
                });
                lines.push(LineInput {
                    sku,
                    product_name: non_empty(&item.name),
                    category: None,
                    quantity: Some(if exact_units { units as f64 } else { 1.0 }),
                    unit_price,
                    discount: Some(discount),
                });
            }
            let mut fee_discount = 0;
            for (i, fee) in self.fee_lines.iter().enumerate() {
                let amount = money(&mut c, &format!("fee_lines[{i}].total"), &fee.total)
                    + money(&mut c, &format!("fee_lines[{i}].total_tax"), &fee.total_tax);
                if amount > 0 {
                    let name = non_empty(&fee.name).unwrap_or_else(|| "fee".into());
                    lines.push(LineInput { product_name: Some(name), unit_price: amount, ..Default::default() });
                } else {
                    fee_discount -= amount;
                }
            }
            let shipping =
                money(&mut c, "shipping_total", &self.shipping_total) + money(&mut c, "shipping_tax", &self.shipping_tax);
            let total = money(&mut c, "total", &self.total);
            let issued = gmt(self.date_paid_gmt.as_deref()).or(gmt(self.date_created_gmt.as_deref()));
            if issued.is_none() {
                c.push(Issue::required().at("date_created_gmt"));
            }
            let (external, mobile, email) = identity(&self.customer_id, &self.billing.phone, &self.billing.email, &mut notes);
            let customer = (external.is_some() || mobile.is_some() || email.is_some()).then(|| CustomerRefInput {
                id: None,
                external_id: external,
                mobile,
                email,
                first_name: non_empty(&self.billing.first_name),
                last_name: non_empty(&self.billing.last_name),
                name: None,
            });
            invoice_input = Some(InvoiceInput {
                source: Some(source.to_string()),
                external_id: id.clone(),
                issued_at: issued.map(|t| t.to_string()).unwrap_or_default(),
                customer,
                channel: Some("online".into()),
                branch: None,
                status: Some("completed".into()),
                currency: Some(currency.clone()),
                lines,
                discount: Some(fee_discount),
                shipping: Some(shipping),
                total: Some(total),
                checkout: None,
            });
        }
        let invoice = match (&invoice_input, c.is_ok()) {
            (Some(input), true) => match input.parse(zone, tenant_currency) {
                Ok(v) => Some(v),
                Err(e) => {
                    c.extend("invoice", e);
                    None
                }
            },
            _ => None,
        };
        c.finish(|| {
            let mut h = Sha256::new();
            h.update(self.status.trim().to_ascii_lowercase());
            h.update([0]);
            h.update(invoice.as_ref().map(|i| i.fingerprint()).unwrap_or_default());
            for r in &refunds {
                h.update(format!("\0{}:{}", r.id, r.amount));
            }
            let digest = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
            OrderSnapshot { id, version, phase, status: self.status.trim().to_ascii_lowercase(), invoice, refunds, digest, notes }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/woocommerce");

    fn order(file: &str) -> WooOrder {
        serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/{file}")).unwrap()).unwrap()
    }

    fn tehran() -> TimeZone {
        TimeZone::get("Asia/Tehran").unwrap()
    }

    #[test]
    fn the_documented_order_reads_as_a_sale_in_cents() {
        let snap = order("order.webhook-body.json").snapshot("woo-shop", &tehran(), "USD").unwrap();
        assert_eq!((snap.id.as_str(), snap.phase), ("727", OrderPhase::Sale));
        let inv = snap.invoice.unwrap();
        assert_eq!(inv.total, 2935);
        assert_eq!(inv.shipping, 1000);
        // Lines carry their tax: 6.00 + 0.45 and 12.00 + 0.90.
        assert_eq!(inv.lines.iter().map(|l| l.total).collect::<Vec<_>>(), [645, 1290]);
        assert_eq!(inv.lines[0].sku.as_deref(), Some("woo-93"));
        assert_eq!(inv.lines[1].sku.as_deref(), Some("Bar3"));
        let customer = inv.customer.unwrap();
        assert_eq!(customer.email.unwrap().as_str(), "john.doe@example.com");
        assert!(customer.mobile.is_none());
        assert_eq!(snap.notes.len(), 1, "the US phone is left out and said so");
        assert_eq!(snap.version, Some("2017-03-22T19:28:08Z".parse::<Timestamp>().unwrap().as_millisecond()));
    }

    #[test]
    fn a_dollar_order_is_refused_for_a_toman_brand_naming_the_currency() {
        let err = order("order.json").snapshot("woo-shop", &tehran(), "IRT").unwrap_err();
        assert!(err.0.iter().any(|e| e.field == "currency"), "{err:?}");
    }

    #[test]
    fn refunds_listed_on_the_order_are_read_in_the_tenant_currency() {
        let list: Vec<WooOrder> =
            serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/orders_list.json")).unwrap()).unwrap();
        let snap = list[1].snapshot("woo-shop", &tehran(), "USD").unwrap();
        assert_eq!(snap.refunds.iter().map(|r| (r.id.as_str(), r.amount)).collect::<Vec<_>>(), [("726", 1000), ("724", 900)]);
        assert_eq!(snap.invoice.unwrap().customer.unwrap().identities.len(), 2, "shop id and email");
    }

    #[test]
    fn rials_become_tomans_and_iranian_phones_identify() {
        let mut o = order("order.json");
        o.currency = "IRR".into();
        o.total = Loose::Text("2935000".into());
        o.shipping_total = Loose::Text("1000000".into());
        o.billing.phone = "۰۹۱۲ ۱۲۳ ۴۵۶۷".into();
        let inv = o.snapshot("woo-shop", &tehran(), "IRT").unwrap().invoice.unwrap();
        assert_eq!(inv.total, 293_500);
        assert_eq!(inv.customer.unwrap().mobile.unwrap().as_str(), "+989121234567");
    }

    #[test]
    fn statuses_map_to_phases() {
        for (s, p) in [
            ("processing", OrderPhase::Sale),
            ("completed", OrderPhase::Sale),
            ("on-hold", OrderPhase::Open),
            ("pending", OrderPhase::Open),
            ("checkout-draft", OrderPhase::Open),
            ("refunded", OrderPhase::Reversed),
            ("cancelled", OrderPhase::Reversed),
            ("failed", OrderPhase::Reversed),
            ("trash", OrderPhase::Reversed),
        ] {
            assert_eq!(OrderPhase::of_status(s), p, "{s}");
        }
    }

    #[test]
    fn the_digest_follows_status_content_and_refunds() {
        let a = order("order.json");
        let mut b = a.clone();
        b.status = "completed".into();
        let mut c = a.clone();
        c.refunds.push(RefundRef { id: Loose::Int(9), total: Loose::Text("-1.00".into()), ..Default::default() });
        let d = |o: &WooOrder| o.snapshot("s", &tehran(), "USD").unwrap().digest;
        assert_eq!(d(&a), d(&a.clone()));
        assert_ne!(d(&a), d(&b));
        assert_ne!(d(&a), d(&c));
    }

    #[test]
    fn a_bad_amount_names_its_line() {
        let mut o = order("order.json");
        o.line_items[1].total = Loose::Text("12,x".into());
        let err = o.snapshot("s", &tehran(), "USD").unwrap_err();
        assert_eq!(err.0[0].field, "line_items[1].total");
    }
}
