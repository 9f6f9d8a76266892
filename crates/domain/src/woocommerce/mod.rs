//! WooCommerce (SPEC H1): what a shop's webhooks and REST API send, read into Philia's own
//! records. The shop signs each delivery; orders carry their own modification time, which is
//! what decides whether a delivery is news, a repeat or stale (WooCommerce's delivery id is not
//! a reliable key: it coalesces quick updates and never retries).

mod coupon;
mod loose;
mod order;
mod records;
mod sync;

pub use coupon::{CouponMirror, WooCoupon};
pub use loose::Loose;
pub use order::identity;
pub use order::{OrderPhase, OrderSnapshot, RefundDraft, WooOrder};
pub use records::{WooCustomer, WooProduct};
pub use sync::{Skip, Step, Tracked, invoice_external_id, is_news, plan};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `header` (the `X-WC-Webhook-Signature` value) is base64(HMAC-SHA256(body, secret))
/// over the raw bytes received. Compared in constant time.
pub fn signature_matches(body: &[u8], secret: &str, header: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(header.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The signature a shop would send for `body`: for tests and for documentation examples.
pub fn sign(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// What a delivery is about, from `X-WC-Webhook-Topic` (`order.created`, `customer.updated`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// An order was created, updated or restored from the trash: the body is the whole order.
    Order,
    /// An order was trashed or deleted: the body is only `{"id": N}`.
    OrderDeleted,
    Customer,
    Product,
    /// A coupon created, updated or restored: mirrored as a promotion.
    Coupon,
    /// A coupon trashed or deleted: its promotion is switched off.
    CouponDeleted,
    /// Deleted customers and products, actions: kept in the log, nothing to apply.
    Other,
}

impl Topic {
    pub fn parse(header: &str) -> Topic {
        match header.trim().to_ascii_lowercase().as_str() {
            "order.created" | "order.updated" | "order.restored" => Topic::Order,
            "order.deleted" => Topic::OrderDeleted,
            "customer.created" | "customer.updated" => Topic::Customer,
            "product.created" | "product.updated" | "product.restored" => Topic::Product,
            "coupon.created" | "coupon.updated" | "coupon.restored" => Topic::Coupon,
            "coupon.deleted" => Topic::CouponDeleted,
            _ => Topic::Other,
        }
    }
}

/// The source name of a connection's records: customer ids, invoice and refund numbers of one
/// shop live under it, so two shops of one brand never collide.
pub fn source_of(connection_code: &str) -> String {
    format!("woo-{connection_code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/woocommerce");

    #[test]
    fn the_published_test_vector_verifies() {
        let body = std::fs::read(format!("{FIXTURES}/order.webhook-body.json")).unwrap();
        let example: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("{FIXTURES}/webhook_delivery_example.json")).unwrap()).unwrap();
        let secret = example["secret"].as_str().unwrap();
        let expected = example["expected_signature"].as_str().unwrap();
        assert_eq!(sign(&body, secret), expected);
        assert!(signature_matches(&body, secret, expected));
        assert!(!signature_matches(&body, "other_secret", expected));
        let mut changed = body.clone();
        changed[10] ^= 1;
        assert!(!signature_matches(&changed, secret, expected));
        assert!(!signature_matches(&body, secret, "not base64!"));
        assert!(!signature_matches(&body, secret, ""));
    }

    #[test]
    fn topics_name_what_to_apply() {
        assert_eq!(Topic::parse("order.updated"), Topic::Order);
        assert_eq!(Topic::parse("order.restored"), Topic::Order);
        assert_eq!(Topic::parse("order.deleted"), Topic::OrderDeleted);
        assert_eq!(Topic::parse("Customer.Created"), Topic::Customer);
        assert_eq!(Topic::parse("coupon.created"), Topic::Coupon);
        assert_eq!(Topic::parse("coupon.deleted"), Topic::CouponDeleted);
        assert_eq!(Topic::parse("action.woocommerce_order_status"), Topic::Other);
    }
}
