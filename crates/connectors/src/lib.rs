//! Clients that read from other systems (SPEC H1–H2): a WooCommerce shop's REST API for
//! backfill and reconciliation. Base addresses are settings, so tests point them at local
//! servers that answer in the same format.

mod woocommerce;

pub use woocommerce::{WooClient, WooPage, WooResource};

/// Why a read from another system failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PullError {
    /// The other system answered with an error status (401: wrong keys; 404: not a WooCommerce
    /// shop or the REST API is off).
    #[error("the shop answered {status}: {detail}")]
    Refused { status: u16, detail: String },
    #[error("the shop could not be reached: {0}")]
    Unreachable(String),
    #[error("the shop's answer could not be read: {0}")]
    Format(String),
}
