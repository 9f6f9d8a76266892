pub mod automations;
pub mod campaigns;
pub mod catalogue;
pub mod channels;
pub mod checkout;
pub mod classes;
pub mod club;
pub mod clv;
pub mod connections;
pub mod customers;
pub mod events;
pub mod games;
pub mod hooks;
pub mod imports;
pub mod invoices;
pub mod lists;
pub mod messages;
pub mod missions;
pub mod networks;
pub mod notes;
pub mod opt_out;
pub mod platform;
pub mod points;
pub mod privacy;
pub mod promotions;
pub mod referrals;
pub mod reports;
pub mod rewards;
pub mod rfm;
pub mod segments;
pub mod stats;
pub mod system;
pub mod tenants;
pub mod tiers;
pub mod wallet;
pub mod webhooks;

/// Default and largest page sizes of list endpoints.
pub const DEFAULT_LIMIT: i64 = 50;

/// The `Idempotency-Key` header, when sent.
pub fn idempotency_header(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get("idempotency-key").and_then(|v| v.to_str().ok())
}

/// 201 for a write that happened now, 200 for a retry answered with the first result.
pub fn created_or_repeated<T>(pair: (T, bool)) -> (axum::http::StatusCode, crate::extract::Json<T>) {
    (if pair.1 { axum::http::StatusCode::CREATED } else { axum::http::StatusCode::OK }, crate::extract::Json(pair.0))
}
