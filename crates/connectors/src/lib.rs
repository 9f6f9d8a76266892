//! Clients that read from other systems (SPEC H1–H2): a WooCommerce shop's REST API for
//! backfill and reconciliation, and Sepidar's e-commerce web service for its invoices. Base addresses are settings, so tests point them at local
//! servers that answer in the same format.

mod sepidar;
mod woocommerce;

pub use sepidar::{SepidarClient, aes_decrypt, aes_encrypt, password_hash, public_key_from_xml};
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

/// The HTTP client every connector reads with: rustls, a connect timeout, Philia's user agent.
fn http_client(timeout: std::time::Duration) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(std::time::Duration::from_secs(10))
        .user_agent(concat!("philia/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("an HTTP client builds")
}
