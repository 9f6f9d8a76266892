//! WooCommerce on the wire: the published fixtures, signed deliveries as a shop sends them, and
//! a draining helper for the inbound queue.

use super::TestApp;
use philia_domain::tenant::NewTenant;
use philia_engine::TenantContext;
use serde_json::Value;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../domain/tests/fixtures/woocommerce");

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// A tenant that sells in dollars (the fixtures' currency), with an admin key.
pub async fn dollar_tenant(app: &TestApp, slug: &str) -> (TenantContext, String) {
    app.engine.create_tenant(NewTenant::parse(slug, "Dollar shop", Some("USD"), Some("UTC"), None).unwrap()).await.unwrap();
    let ctx = app.engine.tenant(slug).await.unwrap();
    let key = app.engine.create_api_key(&ctx, "admin", None).await.unwrap().key;
    (ctx, key)
}

/// Posts a body as WooCommerce does: raw bytes, topic, delivery id and (when a secret is given)
/// the signature. The status code.
pub async fn deliver(app: &TestApp, path: &str, topic: &str, body: &[u8], secret: Option<&str>) -> u16 {
    let mut req = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .header("user-agent", "WooCommerce/8.6.1 Hookshot (WordPress/6.4.3)")
        .header("x-wc-webhook-topic", topic)
        .header("x-wc-webhook-resource", topic.split('.').next().unwrap())
        .header("x-wc-webhook-delivery-id", "0d5a1c7f3f5a4b7e8e3c2b1a09f8e7d6")
        .body(body.to_vec());
    if let Some(s) = secret {
        req = req.header("x-wc-webhook-signature", philia_domain::woocommerce::sign(body, s));
    }
    req.send().await.unwrap().status().as_u16()
}

/// Applies everything queued; the totals of every round.
pub async fn drain(app: &TestApp) -> philia_engine::inbound::InboundRound {
    let mut total = philia_engine::inbound::InboundRound::default();
    loop {
        let r = app.engine.apply_inbound(philia_engine::now_ms()).await.unwrap();
        if r.claimed == 0 {
            return total;
        }
        total.claimed += r.claimed;
        total.applied += r.applied;
        total.skipped += r.skipped;
        total.failed += r.failed;
        total.retried += r.retried;
    }
}

/// A local server that answers like a WooCommerce shop's REST API v3: Basic authentication with
/// the consumer key and secret, `page` / `per_page` (at most 100), `modified_after` with
/// `dates_are_gmt`, `status` (`any` leaves the trash out), and the totals in `X-WP-Total` and
/// `X-WP-TotalPages`.
#[derive(Clone)]
pub struct WooShop {
    pub base: String,
    pub data: std::sync::Arc<std::sync::Mutex<ShopData>>,
}

#[derive(Default)]
pub struct ShopData {
    pub customers: Vec<Value>,
    pub products: Vec<Value>,
    pub orders: Vec<Value>,
    /// Requests answered, as `resource?page`.
    pub requests: Vec<String>,
}

pub const CONSUMER_KEY: &str = "ck_4d1d0c5e9f";
pub const CONSUMER_SECRET: &str = "cs_77a1b2c3d4";

async fn list(
    axum::extract::State(shop): axum::extract::State<WooShop>,
    axum::extract::Path(resource): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    use base64::Engine as _;
    let expected =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CONSUMER_KEY}:{CONSUMER_SECRET}")));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        let body = serde_json::json!({"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": {"status": 401}});
        return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let per_page: usize = q.get("per_page").and_then(|p| p.parse().ok()).unwrap_or(10).min(100);
    let mut data = shop.data.lock().unwrap();
    data.requests.push(format!("{resource}?{page}"));
    let all = match resource.as_str() {
        "customers" => &data.customers,
        "products" => &data.products,
        "orders" => &data.orders,
        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
    };
    let after = q.get("modified_after").cloned();
    // Like WooCommerce: `any` (the default) is every status but `trash`; a status names one.
    let status = q.get("status").cloned().unwrap_or_else(|| "any".into());
    let items: Vec<Value> = all
        .iter()
        .filter(|o| after.as_deref().is_none_or(|a| o["date_modified_gmt"].as_str().unwrap_or("") > a))
        .filter(|o| {
            let s = o["status"].as_str().unwrap_or("");
            resource == "customers" || if status == "any" { s != "trash" } else { s == status }
        })
        .cloned()
        .collect();
    let pages = items.len().div_ceil(per_page);
    let slice: Vec<Value> = items.iter().skip((page - 1) * per_page).take(per_page).cloned().collect();
    let mut res = axum::Json(slice).into_response();
    res.headers_mut().insert("x-wp-total", items.len().to_string().parse().unwrap());
    res.headers_mut().insert("x-wp-totalpages", pages.to_string().parse().unwrap());
    res
}

impl WooShop {
    pub async fn start() -> WooShop {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let shop = WooShop { base: format!("http://{}", listener.local_addr().unwrap()), data: Default::default() };
        let app = axum::Router::new().route("/wp-json/wc/v3/{resource}", axum::routing::get(list)).with_state(shop.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        shop
    }
}

/// An order of the published shape in tomans, for customer `customer` (1-based), with a
/// mobile, an amount and a status.
pub fn toman_order(id: i64, customer: i64, amount: i64, status: &str, modified: &str) -> Value {
    let mut o = fixture_json("order.json");
    o["id"] = serde_json::json!(id);
    o["number"] = serde_json::json!(id.to_string());
    o["status"] = serde_json::json!(status);
    o["currency"] = serde_json::json!("IRT");
    o["customer_id"] = serde_json::json!(customer);
    o["billing"]["phone"] = serde_json::json!(format!("0912{:07}", customer));
    o["billing"]["email"] = serde_json::json!(format!("buyer{customer}@example.com"));
    o["date_modified_gmt"] = serde_json::json!(modified);
    o["shipping_total"] = serde_json::json!("0");
    o["shipping_tax"] = serde_json::json!("0");
    o["shipping_lines"] = serde_json::json!([]);
    o["line_items"] = serde_json::json!([{
        "id": id * 10, "name": "کالا", "product_id": 93, "variation_id": 0, "quantity": 1,
        "subtotal": amount.to_string(), "subtotal_tax": "0", "total": amount.to_string(), "total_tax": "0",
        "sku": "", "price": amount
    }]);
    o["total"] = serde_json::json!(amount.to_string());
    o["total_tax"] = serde_json::json!("0");
    o
}
