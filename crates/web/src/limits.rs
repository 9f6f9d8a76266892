//! Request rate limits: one budget per API key and one per client address, each a token bucket
//! (GCRA) that refills steadily and allows a burst of twice the rate. A request over budget gets
//! 429 with `Retry-After` and a problem document saying which budget ran out.

use crate::AppState;
use crate::auth::bearer;
use crate::problem::ApiError;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests between two sweeps of budgets that have refilled completely (so a flood of made-up
/// keys or addresses does not grow memory without bound).
const SWEEP_EVERY: u64 = 10_000;

#[derive(Default)]
pub struct RateLimits {
    per_key: Option<DefaultKeyedRateLimiter<String>>,
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    seen: AtomicU64,
}

/// A steady rate per second with bursts of twice that.
pub fn per_second(rate: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    Some(Quota::per_second(rate).allow_burst(rate.saturating_mul(NonZeroU32::new(2).expect("two is not zero"))))
}

fn env_rate(name: &str, default: u32) -> Result<u32, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(text) => {
            text.trim().parse().map_err(|_| format!("{name} must be a whole number of requests per second (0: no limit)"))
        }
    }
}

impl RateLimits {
    /// No limits (tests and benchmarks that measure the server itself).
    pub fn off() -> Self {
        Self::default()
    }

    pub fn new(per_key: Option<Quota>, per_address: Option<Quota>) -> Self {
        RateLimits {
            per_key: per_key.map(RateLimiter::keyed),
            per_address: per_address.map(RateLimiter::keyed),
            seen: AtomicU64::new(0),
        }
    }

    /// `PHILIA_RATE_LIMIT_KEY` (default 1,000 requests a second per API key) and
    /// `PHILIA_RATE_LIMIT_ADDRESS` (default 1,000 a second per client address); 0 turns one off.
    pub fn from_env() -> Result<Self, String> {
        let key = env_rate("PHILIA_RATE_LIMIT_KEY", 1_000)?;
        let address = env_rate("PHILIA_RATE_LIMIT_ADDRESS", 1_000)?;
        Ok(Self::new(per_second(key), per_second(address)))
    }

    fn sweep(&self) {
        if self.seen.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            if let Some(l) = &self.per_key {
                l.retain_recent();
            }
            if let Some(l) = &self.per_address {
                l.retain_recent();
            }
        }
    }
}

fn too_many(wait_ms: u128, by_key: bool) -> Response {
    let seconds = wait_ms.div_ceil(1000).max(1);
    let (en, fa) = if by_key {
        ("this API key sent more requests than its limit", "این کلید API بیش از حد مجاز درخواست فرستاده است")
    } else {
        ("this address sent more requests than its limit", "از این نشانی بیش از حد مجاز درخواست آمده است")
    };
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("{en}; try again in {seconds} s"),
        format!("{fa}؛ {seconds} ثانیه دیگر دوباره بفرستید"),
    )
    .into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds as u64));
    response
}

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limits = &state.limits;
    limits.sweep();
    let clock = DefaultClock::default();
    if let Some(per_address) = &limits.per_address
        && let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>()
        && let Err(wait) = per_address.check_key(&state.client_address(peer.ip(), req.headers()))
    {
        return too_many(wait.wait_time_from(clock.now()).as_millis(), false);
    }
    if let Some(per_key) = &limits.per_key
        && let Some(key) = bearer(req.headers()).filter(|k| k.starts_with("phk_") && k.len() <= 100)
        && let Err(wait) = per_key.check_key(&key.to_string())
    {
        return too_many(wait.wait_time_from(clock.now()).as_millis(), true);
    }
    next.run(req).await
}
