//! Shopify webhooks end to end, on every backend: a connection with the key Shopify signs with,
//! an order through its life (created, a refund delivered on its own and again with the order,
//! cancelled), a retried event kept once even when its copies arrive together, customers, and
//! refused signatures.

mod common;

use common::TestApp;
use common::woo::drain;
use serde_json::{Value, json};

const SECRET: &str = "shpss_signing_key_0123456789";
const PATH: &str = "/hooks/shopify/shop/sfy";

/// Posts a body as Shopify does: raw bytes, topic, event id and (with a key) the signature.
async fn deliver(app: &TestApp, topic: &str, event: &str, body: &Value, key: Option<&str>) -> u16 {
    let bytes = serde_json::to_vec(body).unwrap();
    let mut req = app
        .client
        .post(format!("{}{PATH}", app.base))
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", "tea-house.myshopify.com")
        .header("x-shopify-api-version", "2025-07")
        .header("x-shopify-webhook-id", format!("wh-{event}"))
        .header("x-shopify-event-id", event)
        .body(bytes.clone());
    if let Some(k) = key {
        req = req.header("x-shopify-hmac-sha256", philia_domain::shopify::sign(&bytes, k));
    }
    req.send().await.unwrap().status().as_u16()
}

/// The order in the Admin API's shape (fields Philia does not read trimmed), in rials.
fn order(financial_status: &str, updated_at: &str, refunds: Value, cancelled_at: Value) -> Value {
    json!({
        "id": 5_010_000_001_i64, "name": "#1001", "order_number": 1001,
        "created_at": "2026-11-20T10:00:00+03:30", "processed_at": "2026-11-20T10:00:00+03:30",
        "updated_at": updated_at, "cancelled_at": cancelled_at,
        "currency": "IRR", "financial_status": financial_status, "taxes_included": true,
        "total_price": "2500000.00", "email": "", "phone": null, "source_name": "web",
        "customer": { "id": 7_001, "email": "maryam@example.com", "phone": "+989351112233",
                      "first_name": "Maryam", "last_name": "Rahimi" },
        "line_items": [
            { "id": 1, "product_id": 11, "variant_id": 111, "sku": "TEA-500", "title": "Tea", "name": "Tea - 500 g",
              "quantity": 2, "price": "1000000.00", "total_discount": "0.00", "discount_allocations": [], "tax_lines": [] },
            { "id": 2, "product_id": 12, "variant_id": 121, "sku": "CUP", "title": "Cup", "name": "Cup",
              "quantity": 1, "price": "400000.00", "discount_allocations": [{ "amount": "100000.00" }], "tax_lines": [] }
        ],
        "shipping_lines": [{ "price": "200000.00", "discounted_price": "200000.00", "tax_lines": [] }],
        "refunds": refunds
    })
}

fn refund() -> Value {
    json!({ "id": 90_001, "order_id": 5_010_000_001_i64, "created_at": "2026-11-21T09:00:00+03:30", "note": "cup broke",
            "refund_line_items": [{ "line_item_id": 2, "quantity": 1, "subtotal": 300000.0 }],
            "transactions": [{ "id": 1, "kind": "refund", "status": "success", "amount": "300000.00", "currency": "IRR" }] })
}

async fn counted(app: &TestApp) -> (usize, i64) {
    let r = app.get("/api/v1/invoices?limit=100").await;
    let items = r.body["items"].as_array().unwrap().clone();
    let net = items.iter().map(|i| i["total"].as_i64().unwrap() - i["refunded_total"].as_i64().unwrap()).sum();
    (items.len(), net)
}

#[tokio::test]
async fn an_order_follows_its_life_through_shopify_webhooks() {
    for app in common::apps().await {
        // Shopify chooses the key: a connection without it is refused, naming the field.
        let refused = app.post("/api/v1/connections", json!({"kind": "shopify", "code": "sfy"})).await;
        assert_eq!(refused.status, 422, "{:?}", refused.body);
        assert_eq!(refused.body["errors"][0]["field"], "secret");
        let made = app.post("/api/v1/connections", json!({"kind": "shopify", "code": "sfy", "secret": SECRET})).await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        assert_eq!(made.body["connection"]["delivery_path"], PATH);
        let rotate = app.post("/api/v1/connections/sfy/secret", json!({})).await;
        assert_eq!(rotate.status, 409, "{:?}", rotate.body);

        // Created and paid: a sale of 250,000 toman; its retry (same event) changes nothing.
        let paid = order("paid", "2026-11-20T10:01:00+03:30", json!([]), Value::Null);
        assert_eq!(deliver(&app, "orders/create", "ev-1", &paid, Some(SECRET)).await, 200);
        assert_eq!(deliver(&app, "orders/create", "ev-1", &paid, Some(SECRET)).await, 200);
        assert_eq!(deliver(&app, "orders/create", "ev-x", &paid, None).await, 401);
        assert_eq!(deliver(&app, "orders/create", "ev-y", &paid, Some("another key")).await, 401);
        let round = drain(&app).await;
        assert_eq!((round.applied, round.failed), (1, 0), "{}", app.backend);
        assert_eq!(counted(&app).await, (1, 250_000));
        let list = app.get("/api/v1/invoices?limit=1").await;
        let inv = &list.body["items"][0];
        assert_eq!((inv["external_id"].as_str(), inv["source"].as_str()), (Some("5010000001"), Some("shopify-sfy")));
        let buyer = app.get("/api/v1/customers?q=09351112233").await;
        assert_eq!(buyer.body["items"][0]["id"], inv["customer_id"], "the buyer is known by mobile");

        // A refund arrives on its own, then again listed on the order's next state: counted once.
        assert_eq!(deliver(&app, "refunds/create", "ev-2", &refund(), Some(SECRET)).await, 200);
        drain(&app).await;
        assert_eq!(counted(&app).await, (1, 220_000), "{:?}", app.get("/api/v1/connections/sfy/deliveries?limit=3").await.body);
        let partly = order("partially_refunded", "2026-11-21T09:00:05+03:30", json!([refund()]), Value::Null);
        assert_eq!(deliver(&app, "orders/updated", "ev-3", &partly, Some(SECRET)).await, 200);
        drain(&app).await;
        assert_eq!(counted(&app).await, (1, 220_000));

        // An older state arriving late changes nothing; cancelling takes back the rest.
        assert_eq!(deliver(&app, "orders/updated", "ev-4", &paid, Some(SECRET)).await, 200);
        let cancelled =
            order("partially_refunded", "2026-11-22T12:00:00+03:30", json!([refund()]), json!("2026-11-22T12:00:00+03:30"));
        assert_eq!(deliver(&app, "orders/cancelled", "ev-5", &cancelled, Some(SECRET)).await, 200);
        drain(&app).await;
        assert_eq!(counted(&app).await, (1, 0));
        let refunds = app.get(&format!("/api/v1/invoices/{}/refunds", inv["id"])).await;
        let keys: Vec<&str> = refunds.body.as_array().unwrap().iter().map(|r| r["external_id"].as_str().unwrap()).collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert!(keys.contains(&"5010000001/r90001") && keys.contains(&"5010000001/void"), "{keys:?}");

        // A refund of an order never counted is logged, not applied.
        let mut stray = refund();
        stray["order_id"] = json!(42);
        assert_eq!(deliver(&app, "refunds/create", "ev-6", &stray, Some(SECRET)).await, 200);
        // A customer with consents and tags.
        let customer = json!({ "id": 7_002, "email": "reza@example.com", "phone": "09127778899", "first_name": "Reza",
            "last_name": "Moradi", "tags": "wholesale, tea", "updated_at": "2026-11-23T10:00:00+03:30",
            "email_marketing_consent": { "state": "subscribed" }, "sms_marketing_consent": { "state": "unsubscribed" } });
        assert_eq!(deliver(&app, "customers/create", "ev-7", &customer, Some(SECRET)).await, 200);
        let round = drain(&app).await;
        assert_eq!((round.applied, round.skipped, round.failed), (1, 1, 0));
        let reza = app.get("/api/v1/customers?q=09127778899").await;
        let reza = &reza.body["items"][0];
        assert_eq!((reza["first_name"].as_str(), reza["email_consent"]["opted_in"].as_bool()), (Some("Reza"), Some(true)));
        assert_eq!(reza["sms_consent"]["opted_in"], false);
        assert_eq!(reza["tags"], json!(["wholesale", "tea"]));

        // The log says what happened to each delivery, the repeat and the refusals included.
        let log = app.get("/api/v1/connections/sfy/deliveries?limit=100").await;
        let outcomes: Vec<(String, String)> = log
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["status"].as_str().unwrap().to_string(), d["outcome"].as_str().unwrap_or("").to_string()))
            .collect();
        assert_eq!(outcomes.iter().filter(|(s, _)| s == "rejected").count(), 2);
        assert!(outcomes.iter().any(|(s, o)| s == "skipped" && o.contains("event ev-1 was received before")), "{outcomes:?}");
        assert!(outcomes.iter().any(|(s, o)| s == "skipped" && o.contains("not counted as a sale")), "{outcomes:?}");
        app.finish().await;
    }
}

#[tokio::test]
async fn copies_of_one_event_arriving_together_are_kept_once() {
    for app in common::apps().await {
        let made = app.post("/api/v1/connections", json!({"kind": "shopify", "code": "sfy", "secret": SECRET})).await;
        assert_eq!(made.status, 201);
        let paid = order("paid", "2026-11-20T10:01:00+03:30", json!([]), Value::Null);
        let mut sends = Vec::new();
        for _ in 0..12 {
            let (app, paid) = (&app, paid.clone());
            sends.push(async move { deliver(app, "orders/create", "ev-dup", &paid, Some(SECRET)).await });
        }
        let codes = futures::future::join_all(sends).await;
        assert!(codes.iter().all(|c| *c == 200), "{codes:?}");
        let round = drain(&app).await;
        assert_eq!((round.claimed, round.applied), (1, 1), "{}: one copy queued", app.backend);
        let view = app.get("/api/v1/connections/sfy").await;
        let skipped = view.body["deliveries"].as_array().unwrap().iter().find(|p| p[0] == "skipped").map(|p| p[1].as_i64());
        assert_eq!(skipped, Some(Some(11)), "{:?}", view.body);
        assert_eq!(counted(&app).await, (1, 250_000));
        app.finish().await;
    }
}
