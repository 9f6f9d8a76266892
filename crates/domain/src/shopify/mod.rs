//! Shopify: what a shop's webhooks send (`orders/create`, `orders/updated`, `orders/cancelled`,
//! `refunds/create`, `customers/create`, `customers/update`), read into the same order
//! snapshots as WooCommerce so one set of rules decides what a state means for the ledger.
//! Shopify signs each delivery like WooCommerce does (base64 HMAC-SHA256 of the raw body, in
//! `X-Shopify-Hmac-Sha256`) and names each event in `X-Shopify-Event-Id`, which is what a retry
//! repeats.

mod customer;
mod order;

/// Shopify's `X-Shopify-Hmac-Sha256` is WooCommerce's signature: base64 of HMAC-SHA256 over the
/// raw body.
pub use crate::woocommerce::{sign, signature_matches};
pub use customer::ShopifyCustomer;
pub use order::{ShopifyOrder, ShopifyRefund};

/// What a delivery is about, from `X-Shopify-Topic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// The body is the whole order (created, updated, paid, cancelled, fulfilled…).
    Order,
    /// The body is one refund of an order.
    Refund,
    /// An order deleted in the shop: the body is only `{"id": N}`.
    OrderDeleted,
    Customer,
    /// Kept in the log, nothing to apply.
    Other,
}

impl Topic {
    pub fn parse(header: &str) -> Topic {
        match header.trim().to_ascii_lowercase().as_str() {
            "orders/create"
            | "orders/updated"
            | "orders/paid"
            | "orders/cancelled"
            | "orders/fulfilled"
            | "orders/partially_fulfilled"
            | "orders/edited" => Topic::Order,
            "orders/delete" => Topic::OrderDeleted,
            "refunds/create" => Topic::Refund,
            "customers/create" | "customers/update" => Topic::Customer,
            _ => Topic::Other,
        }
    }
}

/// The source name of a Shopify connection's records (customer ids, order numbers).
pub fn source_of(connection_code: &str) -> String {
    format!("shopify-{connection_code}")
}

/// Reads a Shopify time (`2026-03-01T10:15:00+03:30`, with its offset).
pub(crate) fn shopify_time(text: Option<&str>) -> Option<jiff::Timestamp> {
    text.map(str::trim).filter(|t| !t.is_empty())?.parse::<jiff::Timestamp>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_name_what_to_apply() {
        assert_eq!(Topic::parse("orders/create"), Topic::Order);
        assert_eq!(Topic::parse("orders/cancelled"), Topic::Order);
        assert_eq!(Topic::parse("Orders/Updated"), Topic::Order);
        assert_eq!(Topic::parse("orders/delete"), Topic::OrderDeleted);
        assert_eq!(Topic::parse("refunds/create"), Topic::Refund);
        assert_eq!(Topic::parse("customers/update"), Topic::Customer);
        assert_eq!(Topic::parse("products/create"), Topic::Other);
    }

    #[test]
    fn times_keep_their_offset() {
        let t = shopify_time(Some("2026-03-01T10:15:00+03:30")).unwrap();
        assert_eq!(t, "2026-03-01T06:45:00Z".parse::<jiff::Timestamp>().unwrap());
        assert!(shopify_time(Some("")).is_none());
        assert!(shopify_time(None).is_none());
    }
}
