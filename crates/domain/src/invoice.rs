//! Invoices and refunds (SPEC A5): the purchase facts everything else is derived from.

use crate::calendar::parse_instant;
use crate::catalogue::parse_code;
use crate::customer::{IdentityKey, parse_external_id, parse_source};
use crate::email::Email;
use crate::ids::CustomerId;
use crate::issue::{Checker, Invalid, Issue, optional_text};
use crate::mobile::Mobile;
use crate::money::{Quantity, check_amount};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// Largest number of invoices (or events) one batch request may carry.
pub const MAX_BATCH: usize = 10_000;
const MAX_LINES: usize = 1_000;

/// Who a purchase or event belongs to. Any one identifier is enough; the rest, with the name,
/// fill in a profile created for a customer seen for the first time.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerRefInput {
    /// Philia's customer id.
    pub id: Option<i64>,
    /// The customer's id in the sending system (scoped by the record's `source`).
    pub external_id: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Full name, split at the first space when first/last are not given.
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRef {
    pub id: Option<CustomerId>,
    pub identities: Vec<IdentityKey>,
    pub mobile: Option<Mobile>,
    pub email: Option<Email>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl CustomerRef {
    /// A reference to a known customer by id, for records the system itself writes.
    pub fn by_id(id: i64) -> CustomerRef {
        CustomerRef { id: Some(CustomerId(id)), identities: vec![], mobile: None, email: None, first_name: None, last_name: None }
    }
}

impl CustomerRefInput {
    pub fn parse(&self, source: &str) -> Result<CustomerRef, Invalid> {
        let mut c = Checker::new();
        let mut identities = Vec::new();
        if let Some(ext) = self.external_id.as_deref().filter(|s| !s.trim().is_empty())
            && let Some(id) = c.check("external_id", parse_external_id(ext))
        {
            identities.push(IdentityKey::External { source: source.to_string(), id });
        }
        let mobile = self.mobile.as_deref().filter(|s| !s.trim().is_empty()).and_then(|m| c.check("mobile", Mobile::parse(m)));
        let email = self.email.as_deref().filter(|s| !s.trim().is_empty()).and_then(|e| c.check("email", Email::parse(e)));
        identities.extend(mobile.clone().map(IdentityKey::Mobile));
        identities.extend(email.clone().map(IdentityKey::Email));
        let (mut first_name, mut last_name) = (
            c.check("first_name", optional_text(self.first_name.as_deref(), 100)).flatten(),
            c.check("last_name", optional_text(self.last_name.as_deref(), 100)).flatten(),
        );
        if first_name.is_none()
            && last_name.is_none()
            && let Some(full) = c.check("name", optional_text(self.name.as_deref(), 200)).flatten()
        {
            match full.split_once(' ') {
                Some((f, l)) => (first_name, last_name) = (Some(f.to_string()), Some(l.trim().to_string())),
                None => first_name = Some(full),
            }
        }
        if self.id.is_none() && identities.is_empty() && c.is_ok() {
            c.push(
                Issue::new(
                    "no_identifier",
                    "needs an id, external_id, mobile or email",
                    "شناسه، شناسه خارجی، موبایل یا ایمیل مشتری لازم است",
                )
                .at(""),
            );
        }
        c.finish(|| CustomerRef { id: self.id.map(CustomerId), identities, mobile, email, first_name, last_name })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Online,
    Pos,
    Import,
    Api,
}

impl Channel {
    pub const NAMES: [&'static str; 4] = ["online", "pos", "import", "api"];

    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim().to_lowercase().as_str() {
            "online" | "web" | "shop" | "آنلاین" => Ok(Self::Online),
            "pos" | "store" | "in_store" | "حضوری" => Ok(Self::Pos),
            "import" => Ok(Self::Import),
            "api" => Ok(Self::Api),
            _ => Err(Issue::one_of(&Self::NAMES)),
        }
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// Only completed invoices are sales; pending and cancelled ones are kept as facts and count nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Completed,
    Pending,
    Cancelled,
}

impl InvoiceStatus {
    pub const NAMES: [&'static str; 3] = ["completed", "pending", "cancelled"];

    pub fn parse(input: &str) -> Result<Self, Issue> {
        match input.trim().to_lowercase().as_str() {
            "completed" | "paid" | "processing" => Ok(Self::Completed),
            "pending" | "on-hold" | "on_hold" => Ok(Self::Pending),
            "cancelled" | "canceled" | "failed" => Ok(Self::Cancelled),
            _ => Err(Issue::one_of(&Self::NAMES)),
        }
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub sku: Option<String>,
    pub product_name: Option<String>,
    /// Category code or name.
    pub category: Option<String>,
    /// Defaults to 1; up to three decimals (weights).
    pub quantity: Option<f64>,
    pub unit_price: i64,
    /// Discount on the whole line, in money.
    pub discount: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceInput {
    /// The sending system (`api` when absent); with `external_id` it makes the idempotency key.
    pub source: Option<String>,
    /// The invoice number in the sending system.
    pub external_id: String,
    /// ISO 8601 (offset optional: the tenant's zone is used without one) or Jalali `1403/01/15 14:30`.
    pub issued_at: String,
    /// Absent for an anonymous walk-in sale.
    pub customer: Option<CustomerRefInput>,
    /// `online`, `pos`, `import` or `api`.
    pub channel: Option<String>,
    /// Branch code.
    pub branch: Option<String>,
    /// `completed` (default), `pending` or `cancelled`.
    pub status: Option<String>,
    /// The invoice's currency when it differs from the tenant's (IRR and IRT convert).
    pub currency: Option<String>,
    pub lines: Vec<LineInput>,
    /// Invoice-level discount.
    pub discount: Option<i64>,
    pub shipping: Option<i64>,
    /// What the customer paid; computed from the lines when absent.
    pub total: Option<i64>,
    /// Loyalty applied at checkout: codes, points and wallet (single invoices only). The total
    /// recorded is the sale's total less the discounts these give.
    pub checkout: Option<CheckoutInput>,
}

/// What a customer applies at checkout.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    /// Discount codes typed (any case, Persian digits accepted).
    #[serde(default)]
    pub codes: Vec<String>,
    /// Reservations made for this checkout; their codes count as typed.
    #[serde(default)]
    pub reservations: Vec<i64>,
    /// Points to pay with.
    pub points: Option<PointsUse>,
    /// Wallet amount to pay with.
    pub wallet: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PointsUse {
    pub point_type: String,
    pub points: i64,
}

/// What checkout changed on an invoice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckoutApplied {
    /// Discount of codes and tier.
    pub discount: i64,
    /// Paid with points and wallet.
    pub loyalty_paid: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidLine {
    pub sku: Option<String>,
    pub product_name: Option<String>,
    pub category: Option<String>,
    pub quantity: Quantity,
    pub unit_price: i64,
    pub discount: i64,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidInvoice {
    pub source: String,
    pub external_id: String,
    pub issued_at: Timestamp,
    pub customer: Option<CustomerRef>,
    pub channel: Channel,
    pub branch: Option<String>,
    pub status: InvoiceStatus,
    pub lines: Vec<ValidLine>,
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub total: i64,
    pub checkout: Option<CheckoutApplied>,
}

/// Converts an amount from the invoice's currency to the tenant's. Only the rial/toman pair
/// converts (1 toman = 10 rials); other pairs must match.
pub fn currency_factor(from: &str, to: &str) -> Result<(i64, i64), Issue> {
    match (from, to) {
        (f, t) if f == t => Ok((1, 1)),
        ("IRR", "IRT") => Ok((1, 10)),
        ("IRT", "IRR") => Ok((10, 1)),
        _ => Err(Issue::new(
            "currency_mismatch",
            format!("must be the tenant's currency {to} (IRR and IRT convert)"),
            format!("ارز باید {to} باشد"),
        )),
    }
}

impl InvoiceInput {
    pub fn parse(&self, zone: &TimeZone, tenant_currency: &str) -> Result<ValidInvoice, Invalid> {
        let mut c = Checker::new();
        let source = c.check("source", parse_source(self.source.as_deref().unwrap_or("api")));
        let external_id = c.check("external_id", parse_external_id(&self.external_id));
        let issued_at = c.check("issued_at", parse_instant(&self.issued_at, zone));
        let customer = match &self.customer {
            None => None,
            Some(r) => match r.parse(source.as_deref().unwrap_or("api")) {
                Ok(r) => Some(r),
                Err(e) => {
                    c.extend("customer", e);
                    None
                }
            },
        };
        let channel = c.check("channel", Channel::parse(self.channel.as_deref().unwrap_or("api")));
        let branch = self.branch.as_deref().filter(|b| !b.trim().is_empty()).and_then(|b| c.check("branch", parse_code(b)));
        let status = c.check("status", InvoiceStatus::parse(self.status.as_deref().unwrap_or("completed")));
        let (mul, div) = match &self.currency {
            None => (1, 1),
            Some(cur) => c.check("currency", currency_factor(&cur.trim().to_uppercase(), tenant_currency)).unwrap_or((1, 1)),
        };
        let convert = |v: i64| v * mul / div;
        if self.lines.is_empty() {
            c.push(
                Issue::new("no_lines", "an invoice needs at least one line", "فاکتور باید دست‌کم یک ردیف داشته باشد").at("lines"),
            );
        }
        if self.lines.len() > MAX_LINES {
            c.push(Issue::new("too_many", format!("allows at most {MAX_LINES} lines"), "تعداد ردیف‌ها بیش از حد است").at("lines"));
        }
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, line) in self.lines.iter().enumerate() {
            let at = |f: &str| format!("lines[{i}].{f}");
            let sku = line.sku.as_deref().filter(|s| !s.trim().is_empty()).and_then(|s| c.check(&at("sku"), parse_code(s)));
            let product_name = c.check(&at("product_name"), optional_text(line.product_name.as_deref(), 300)).flatten();
            let category = c.check(&at("category"), optional_text(line.category.as_deref(), 200)).flatten();
            let quantity = c.check(&at("quantity"), line.quantity.map_or(Ok(Quantity::ONE), Quantity::from_f64));
            let unit_price = c.check(&at("unit_price"), check_amount(line.unit_price)).map(convert);
            let discount = c.check(&at("discount"), check_amount(line.discount.unwrap_or(0))).map(convert);
            if sku.is_none() && product_name.is_none() && line.sku.is_none() {
                c.push(Issue::new("no_product", "needs a sku or a product_name", "کد کالا یا نام کالا لازم است").at(at("sku")));
            }
            if let (Some(q), Some(p), Some(d)) = (quantity, unit_price, discount) {
                let gross = q.times(p);
                if d > gross {
                    c.push(
                        Issue::new("discount_exceeds", "is larger than the line amount", "تخفیف از مبلغ ردیف بیشتر است")
                            .at(at("discount")),
                    );
                }
                lines.push(ValidLine { sku, product_name, category, quantity: q, unit_price: p, discount: d, total: gross - d });
            }
        }
        let subtotal: i64 = lines.iter().map(|l| l.total).sum();
        let discount = c.check("discount", check_amount(self.discount.unwrap_or(0))).map(convert).unwrap_or(0);
        let shipping = c.check("shipping", check_amount(self.shipping.unwrap_or(0))).map(convert).unwrap_or(0);
        let total = match self.total {
            Some(t) => c.check("total", check_amount(t)).map(convert),
            None if discount > subtotal + shipping => {
                c.push(
                    Issue::new("discount_exceeds", "is larger than the invoice amount", "تخفیف از مبلغ فاکتور بیشتر است")
                        .at("discount"),
                );
                None
            }
            None => Some(subtotal - discount + shipping),
        };
        c.finish(|| ValidInvoice {
            source: source.unwrap(),
            external_id: external_id.unwrap(),
            issued_at: issued_at.unwrap(),
            customer,
            channel: channel.unwrap(),
            branch,
            status: status.unwrap(),
            lines,
            subtotal,
            discount,
            shipping,
            total: total.unwrap(),
            checkout: None,
        })
    }
}

impl ValidInvoice {
    /// The total recorded: the sale's total less checkout discounts.
    pub fn charged(&self) -> i64 {
        self.total - self.checkout.map_or(0, |c| c.discount)
    }

    /// The discount recorded: the sale's own and checkout's.
    pub fn recorded_discount(&self) -> i64 {
        self.discount + self.checkout.map_or(0, |c| c.discount)
    }

    /// What was paid in money for goods: charged, less shipping, less points and wallet. Points
    /// per amount and cashback are computed on this.
    pub fn paid_in_money(&self) -> i64 {
        self.charged() - self.shipping - self.checkout.map_or(0, |c| c.loyalty_paid)
    }

    /// A digest of what was sold, when and for how much, so a retry with the same key but a
    /// different sale is noticed. How the customer was identified is left out: another system may
    /// name the same customer by other identifiers.
    pub fn fingerprint(&self) -> String {
        let mut h = Fnv::default();
        h.text(&self.issued_at.as_millisecond().to_string());
        h.text(self.status.as_str());
        h.text(&self.total.to_string());
        for l in &self.lines {
            h.text(l.sku.as_deref().unwrap_or(""));
            h.text(&l.quantity.milli().to_string());
            h.text(&l.total.to_string());
        }
        format!("{:016x}", h.0)
    }
}

/// FNV-1a: a small, stable content digest (not a security measure).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn text(&mut self, s: &str) {
        for b in s.bytes().chain([0xff]) {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A refund of part or all of an invoice: a fact of its own.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundInput {
    /// The refund's id in the sending system; a retry with the same id changes nothing.
    pub external_id: String,
    pub source: Option<String>,
    /// Amount refunded; absent means everything not yet refunded.
    pub amount: Option<i64>,
    pub reason: Option<String>,
    /// When the refund happened; now when absent.
    pub refunded_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ValidRefund {
    pub external_id: String,
    pub source: String,
    /// `None`: the whole remaining amount.
    pub amount: Option<i64>,
    pub reason: Option<String>,
    pub refunded_at: Timestamp,
}

impl RefundInput {
    pub fn parse(&self, zone: &TimeZone, now: Timestamp) -> Result<ValidRefund, Invalid> {
        let mut c = Checker::new();
        let external_id = c.check("external_id", parse_external_id(&self.external_id));
        let source = c.check("source", parse_source(self.source.as_deref().unwrap_or("api")));
        let amount = match self.amount {
            None => Some(None),
            Some(a) if a <= 0 => {
                c.push(Issue::new("not_positive", "must be greater than zero", "باید بزرگ‌تر از صفر باشد").at("amount"));
                None
            }
            Some(a) => Some(Some(a)),
        };
        let reason = c.check("reason", optional_text(self.reason.as_deref(), 500));
        let refunded_at = match &self.refunded_at {
            None => Some(now),
            Some(t) => c.check("refunded_at", parse_instant(t, zone)),
        };
        c.finish(|| ValidRefund {
            external_id: external_id.unwrap(),
            source: source.unwrap(),
            amount: amount.unwrap(),
            reason: reason.unwrap(),
            refunded_at: refunded_at.unwrap(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<ValidInvoice, Invalid> {
        serde_json::from_value::<InvoiceInput>(v).unwrap().parse(&TimeZone::get("Asia/Tehran").unwrap(), "IRT")
    }

    #[test]
    fn totals_follow_lines_discount_and_shipping() {
        let inv = parse(json!({
            "external_id": "1001", "issued_at": "1403/01/15 14:30",
            "customer": {"mobile": "09121234567", "name": "سارا احمدی"},
            "lines": [{"sku": "TS-1", "quantity": 2, "unit_price": 450000, "discount": 50000}, {"product_name": "Latte", "unit_price": 120000}],
            "discount": 20000, "shipping": 30000
        }))
        .unwrap();
        assert_eq!((inv.subtotal, inv.total), (970_000, 980_000));
        let customer = inv.customer.unwrap();
        assert_eq!((customer.first_name.as_deref(), customer.last_name.as_deref()), (Some("سارا"), Some("احمدی")));
        assert_eq!(inv.source, "api");
    }

    #[test]
    fn rial_invoices_convert_to_toman() {
        let inv = parse(json!({"external_id": "1", "issued_at": "2024-04-03", "currency": "IRR", "lines": [{"sku": "A", "unit_price": 1000000}]})).unwrap();
        assert_eq!(inv.total, 100_000);
    }

    #[test]
    fn every_bad_field_is_named() {
        let err = parse(json!({
            "external_id": "", "issued_at": "tomorrow", "channel": "fax", "status": "maybe",
            "customer": {"mobile": "123"},
            "lines": [{"sku": "A", "quantity": -1, "unit_price": -5}]
        }))
        .unwrap_err();
        let fields: Vec<String> = err.0.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["external_id", "issued_at", "customer.mobile", "channel", "status", "lines[0].quantity", "lines[0].unit_price"]
        );
    }

    #[test]
    fn fingerprint_tracks_content() {
        let base = json!({"external_id": "1", "issued_at": "2024-04-03", "lines": [{"sku": "A", "unit_price": 10}]});
        let mut other = base.clone();
        other["lines"][0]["unit_price"] = json!(11);
        assert_eq!(parse(base.clone()).unwrap().fingerprint(), parse(base).unwrap().fingerprint());
        assert_ne!(
            parse(json!({"external_id": "1", "issued_at": "2024-04-03", "lines": [{"sku": "A", "unit_price": 10}]}))
                .unwrap()
                .fingerprint(),
            parse(other).unwrap().fingerprint()
        );
    }
}
