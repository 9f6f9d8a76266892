//! WooCommerce REST API v3: `GET {shop}/wp-json/wc/v3/{customers|products|orders}` with
//! `page` and `per_page`, HTTP Basic authentication with the consumer key and secret (the shop
//! must be served over HTTPS for WooCommerce to accept it), and the totals in `X-WP-Total` and
//! `X-WP-TotalPages`.

use crate::PullError;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WooResource {
    Customers,
    Products,
    Orders,
    /// Orders in the shop's trash: `status=any` leaves them out, so they are asked for apart.
    TrashedOrders,
}

impl WooResource {
    pub const ALL: [WooResource; 3] = [WooResource::Customers, WooResource::Products, WooResource::Orders];

    pub fn path(self) -> &'static str {
        match self {
            WooResource::Customers => "customers",
            WooResource::Products => "products",
            WooResource::Orders | WooResource::TrashedOrders => "orders",
        }
    }

    pub fn parse(name: &str) -> Option<WooResource> {
        Self::ALL.into_iter().find(|r| r.path() == name)
    }
}

/// One page of a listing: each item's JSON as the shop wrote it, and the totals the shop reports.
#[derive(Debug, Clone)]
pub struct WooPage {
    pub items: Vec<String>,
    pub total: Option<u64>,
    pub total_pages: Option<u64>,
}

#[derive(Clone)]
pub struct WooClient {
    http: reqwest::Client,
    base: String,
    key: String,
    secret: String,
}

impl WooClient {
    pub fn new(store_url: &str, consumer_key: &str, consumer_secret: &str) -> WooClient {
        let http = crate::http_client(Duration::from_secs(60));
        WooClient {
            http,
            base: store_url.trim_end_matches('/').to_string(),
            key: consumer_key.to_string(),
            secret: consumer_secret.to_string(),
        }
    }

    /// One page (from 1), oldest first. `modified_after` (GMT, `2026-01-01T00:00:00`) narrows
    /// orders to those changed since.
    pub async fn page(
        &self,
        resource: WooResource,
        page: u64,
        per_page: u64,
        modified_after: Option<&str>,
    ) -> Result<WooPage, PullError> {
        let mut query: Vec<(&str, String)> = vec![
            ("page", page.to_string()),
            ("per_page", per_page.to_string()),
            ("order", "asc".into()),
            ("orderby", "id".into()),
        ];
        match resource {
            // Every status but the trash, which WooCommerce's `any` does not include.
            WooResource::Orders | WooResource::Products => query.push(("status", "any".into())),
            WooResource::TrashedOrders => query.push(("status", "trash".into())),
            WooResource::Customers => {}
        }
        if resource == WooResource::Customers {
            query.push(("role", "all".into()));
        }
        if let Some(after) = modified_after {
            query.push(("modified_after", after.to_string()));
            query.push(("dates_are_gmt", "true".into()));
        }
        let url = format!("{}/wp-json/wc/v3/{}", self.base, resource.path());
        let answer = self
            .http
            .get(&url)
            .basic_auth(&self.key, Some(&self.secret))
            .query(&query)
            .send()
            .await
            .map_err(|e| PullError::Unreachable(e.without_url().to_string()))?;
        let status = answer.status();
        let header =
            |name: &str| answer.headers().get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
        let (total, total_pages) = (header("x-wp-total"), header("x-wp-totalpages"));
        let body = answer.text().await.map_err(|e| PullError::Unreachable(e.without_url().to_string()))?;
        if !status.is_success() {
            // WooCommerce explains errors as {"code": "...", "message": "..."}.
            let detail = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
                .unwrap_or_else(|| body.chars().take(200).collect());
            return Err(PullError::Refused { status: status.as_u16(), detail });
        }
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_str(&body).map_err(|e| PullError::Format(format!("expected a JSON list: {e}")))?;
        Ok(WooPage { items: items.into_iter().map(|r| r.get().to_string()).collect(), total, total_pages })
    }
}
