//! WooCommerce webhooks end to end, on every backend: the published fixtures delivered byte for
//! byte with their signature, the creation ping, refused signatures, and one order taken through
//! its life (repeats, a stale state, a partial refund, cancellation, restoring, deletion) with
//! the invoices and refunds it must leave.

mod common;

use common::TestApp;
use common::woo::{deliver, dollar_tenant, drain, fixture, fixture_json};
use serde_json::{Value, json};

async fn invoices(app: &TestApp, key: &str) -> Vec<Value> {
    let r = app.request(reqwest::Method::GET, "/api/v1/invoices?limit=100", Some(key), None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["items"].as_array().unwrap().clone()
}

fn counted(invoices: &[Value]) -> i64 {
    invoices.iter().map(|i| i["total"].as_i64().unwrap() - i["refunded_total"].as_i64().unwrap()).sum()
}

/// The order fixture in another state: status, modification time and refunds.
fn order_state(status: &str, modified: &str, refunds: Value) -> Vec<u8> {
    let mut o = fixture_json("order.json");
    o["status"] = json!(status);
    o["date_modified_gmt"] = json!(modified);
    o["refunds"] = refunds;
    serde_json::to_vec(&o).unwrap()
}

#[tokio::test]
async fn an_order_follows_its_life_through_webhooks() {
    for app in common::apps().await {
        let (_, key) = dollar_tenant(&app, "dollars").await;
        let example = fixture_json("webhook_delivery_example.json");
        let secret = example["secret"].as_str().unwrap();
        let made = app
            .request(
                reqwest::Method::POST,
                "/api/v1/connections",
                Some(&key),
                Some(json!({"kind": "woocommerce", "code": "shop", "name": "Web shop", "secret": secret})),
            )
            .await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        let path = made.body["connection"]["delivery_path"].as_str().unwrap().to_string();
        assert_eq!(path, "/hooks/woocommerce/dollars/shop");
        assert_eq!(made.body["secret"], secret);

        // The creation ping: a form body, no signature, answered 200.
        let ping = app
            .client
            .post(format!("{}{path}", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(example["ping"]["body"].as_str().unwrap().to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(ping.status(), 200);

        // The published delivery, byte for byte, with the signature WooCommerce computed.
        let body = fixture("order.webhook-body.json");
        let mut req = app.client.post(format!("{}{path}", app.base));
        for (name, value) in example["headers"].as_object().unwrap() {
            req = req.header(name.as_str(), value.as_str().unwrap());
        }
        assert_eq!(req.body(body.clone()).send().await.unwrap().status(), 200);
        // Unsigned, wrongly signed, or signed then changed: refused and recorded.
        assert_eq!(deliver(&app, &path, "order.created", &body, None).await, 401);
        assert_eq!(deliver(&app, &path, "order.created", &body, Some("another secret")).await, 401);
        assert_eq!(deliver(&app, "/hooks/woocommerce/dollars/nope", "order.created", &body, Some(secret)).await, 404);
        assert_eq!(deliver(&app, "/hooks/woocommerce/shop/shop", "order.created", &body, Some(secret)).await, 404);
        drain(&app).await;
        let list = invoices(&app, &key).await;
        assert_eq!(list.len(), 1, "{}", app.backend);
        assert_eq!((list[0]["external_id"].as_str(), list[0]["source"].as_str()), (Some("727"), Some("woo-shop")));
        assert_eq!((list[0]["total"].as_i64(), list[0]["shipping"].as_i64()), (Some(2935), Some(1000)));
        let buyer = app.request(reqwest::Method::GET, "/api/v1/customers?q=john.doe@example.com", Some(&key), None).await;
        assert_eq!(buyer.body["items"][0]["id"], list[0]["customer_id"], "the guest resolves through the billing email");

        // The same state again, and an older state: nothing moves.
        assert_eq!(deliver(&app, &path, "order.updated", &body, Some(secret)).await, 200);
        let stale = order_state("cancelled", "2017-03-22T19:00:00", json!([]));
        assert_eq!(deliver(&app, &path, "order.updated", &stale, Some(secret)).await, 200);
        let round = drain(&app).await;
        assert_eq!((round.applied, round.skipped, round.failed), (0, 2, 0));
        assert_eq!(counted(&invoices(&app, &key).await), 2935);

        // A partial refund, delivered twice; then the order is cancelled.
        let refunded = order_state("processing", "2017-03-23T10:00:00", json!([{"id": 801, "reason": "size", "total": "-5.00"}]));
        for _ in 0..2 {
            assert_eq!(deliver(&app, &path, "order.updated", &refunded, Some(secret)).await, 200);
        }
        drain(&app).await;
        assert_eq!(counted(&invoices(&app, &key).await), 2435);
        let cancelled = order_state("cancelled", "2017-03-24T10:00:00", json!([{"id": 801, "reason": "size", "total": "-5.00"}]));
        assert_eq!(deliver(&app, &path, "order.updated", &cancelled, Some(secret)).await, 200);
        drain(&app).await;
        let list = invoices(&app, &key).await;
        assert_eq!((list.len(), counted(&list)), (1, 0));
        let refunds =
            app.request(reqwest::Method::GET, &format!("/api/v1/invoices/{}/refunds", list[0]["id"]), Some(&key), None).await;
        let refund_ids: Vec<&str> = refunds.body.as_array().unwrap().iter().map(|r| r["external_id"].as_str().unwrap()).collect();
        assert_eq!(refund_ids.len(), 2);
        assert!(refund_ids.contains(&"727/r801") && refund_ids.contains(&"727/void"), "{refund_ids:?}");

        // Restored to processing: a sale again, recorded anew; then trashed (only its id comes).
        let restored = order_state("processing", "2017-03-25T10:00:00", json!([{"id": 801, "reason": "size", "total": "-5.00"}]));
        assert_eq!(deliver(&app, &path, "order.restored", &restored, Some(secret)).await, 200);
        drain(&app).await;
        let list = invoices(&app, &key).await;
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["external_id"], "727~2");
        assert_eq!(counted(&list), 2435, "the refund on the order applies to the new recording too");
        assert_eq!(deliver(&app, &path, "order.deleted", br#"{"id":727}"#, Some(secret)).await, 200);
        drain(&app).await;
        assert_eq!(counted(&invoices(&app, &key).await), 0);

        // The delivery log says what happened to each, refused ones included.
        let log = app.request(reqwest::Method::GET, "/api/v1/connections/shop/deliveries?limit=100", Some(&key), None).await;
        let statuses: Vec<&str> = log.body.as_array().unwrap().iter().map(|d| d["status"].as_str().unwrap()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == "rejected").count(), 2);
        assert!(statuses.iter().all(|s| ["applied", "skipped", "rejected"].contains(s)), "{statuses:?}");
        let view = app.request(reqwest::Method::GET, "/api/v1/connections/shop", Some(&key), None).await;
        assert_eq!(view.body["records"], json!([["order", 1]]));
        assert!(view.body.get("secret").is_none() && !view.body.to_string().contains(secret), "the secret is never shown again");
        app.finish().await;
    }
}

#[tokio::test]
async fn customers_and_products_arrive_and_a_bad_delivery_fails_alone() {
    for app in common::apps().await {
        let (ctx, key) = dollar_tenant(&app, "dollars").await;
        let made = app
            .request(
                reqwest::Method::POST,
                "/api/v1/connections",
                Some(&key),
                Some(json!({"kind": "woocommerce", "code": "shop"})),
            )
            .await;
        assert_eq!(made.status, 201);
        let secret = made.body["secret"].as_str().unwrap().to_string();
        assert!(secret.len() >= 32, "a strong secret is made");
        let path = "/hooks/woocommerce/dollars/shop";
        assert_eq!(deliver(&app, path, "customer.created", &fixture("customer.json"), Some(&secret)).await, 200);
        assert_eq!(deliver(&app, path, "product.updated", &fixture("product.json"), Some(&secret)).await, 200);
        // An order whose total is not a number: it fails, naming the field; the next one applies.
        let mut broken = fixture_json("order.json");
        broken["id"] = json!(990);
        broken["total"] = json!("29,3x");
        assert_eq!(deliver(&app, path, "order.created", &serde_json::to_vec(&broken).unwrap(), Some(&secret)).await, 200);
        let list = fixture_json("orders_list.json");
        assert_eq!(deliver(&app, path, "order.created", &serde_json::to_vec(&list[1]).unwrap(), Some(&secret)).await, 200);
        assert_eq!(deliver(&app, path, "customer.deleted", br#"{"id":25}"#, Some(&secret)).await, 200);
        let round = drain(&app).await;
        assert_eq!((round.applied, round.skipped, round.failed), (3, 1, 1), "{}", app.backend);

        let customer = app.request(reqwest::Method::GET, "/api/v1/customers?q=john.doe@example.com", Some(&key), None).await;
        let customer = &customer.body["items"][0];
        assert_eq!((customer["first_name"].as_str(), customer["city"].as_str()), (Some("John"), Some("San Francisco")));
        let product = app.request(reqwest::Method::GET, "/api/v1/products/woo-794", Some(&key), None).await;
        assert_eq!((product.status.as_u16(), product.body["price"].as_i64()), (200, Some(2199)));
        assert_eq!(product.body["category"], "clothing");
        // Order 723 of customer 26 lists two refunds (10.00 and 9.00) of its 39.00.
        let invoices = app.request(reqwest::Method::GET, "/api/v1/invoices", Some(&key), None).await;
        let inv = &invoices.body["items"][0];
        assert_eq!((inv["total"].as_i64(), inv["refunded_total"].as_i64()), (Some(3900), Some(1900)));

        let failed =
            app.request(reqwest::Method::GET, "/api/v1/connections/shop/deliveries?status=failed", Some(&key), None).await;
        let failed = &failed.body[0];
        assert!(failed["outcome"].as_str().unwrap().contains("total"), "{failed}");
        // Fixed at the shop and sent again: applied. Retrying the failed one changes nothing new.
        broken["total"] = json!("29.35");
        broken["date_modified_gmt"] = json!("2017-03-23T00:00:00");
        assert_eq!(deliver(&app, path, "order.updated", &serde_json::to_vec(&broken).unwrap(), Some(&secret)).await, 200);
        let retried = app
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/connections/shop/deliveries/{}/retry", failed["id"]),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(retried.status, 200, "{:?}", retried.body);
        drain(&app).await;
        let invoices = app.request(reqwest::Method::GET, "/api/v1/invoices", Some(&key), None).await;
        assert_eq!(invoices.body["items"].as_array().unwrap().len(), 2);

        // A paused connection answers and keeps, but applies nothing.
        assert_eq!(app.request(reqwest::Method::POST, "/api/v1/connections/shop/pause", Some(&key), None).await.status, 200);
        let mut later = fixture_json("order.json");
        later["id"] = json!(991);
        assert_eq!(deliver(&app, path, "order.created", &serde_json::to_vec(&later).unwrap(), Some(&secret)).await, 200);
        drain(&app).await;
        let invoices = app.request(reqwest::Method::GET, "/api/v1/invoices", Some(&key), None).await;
        assert_eq!(invoices.body["items"].as_array().unwrap().len(), 2);
        // Other tenants see none of it; a read-only key cannot create connections.
        let other = app.get("/api/v1/connections").await;
        assert_eq!(other.body, json!([]));
        let reader = app.engine.create_api_key(&ctx, "read_only", None).await.unwrap().key;
        let refused = app
            .request(
                reqwest::Method::POST,
                "/api/v1/connections",
                Some(&reader),
                Some(json!({"kind": "woocommerce", "code": "x"})),
            )
            .await;
        assert_eq!(refused.status, 403);
        let bad = app
            .request(reqwest::Method::POST, "/api/v1/connections", Some(&key), Some(json!({"kind": "magento", "code": "A B"})))
            .await;
        assert_eq!(bad.status, 422);
        app.finish().await;
    }
}

/// A coupon in the REST API's documented shape, in rials.
fn coupon(amount: &str, modified: &str, categories: Value) -> Value {
    json!({ "id": 719, "code": "YALDA10", "amount": amount, "status": "publish", "discount_type": "percent",
            "description": "Yalda night", "date_modified_gmt": modified, "date_expires_gmt": null,
            "individual_use": false, "product_ids": [], "excluded_product_ids": [], "usage_limit": null,
            "usage_limit_per_user": 1, "product_categories": categories, "excluded_product_categories": [],
            "minimum_amount": "1000000", "maximum_amount": "0.00", "free_shipping": false, "used_by": [] })
}

#[tokio::test]
async fn a_shop_coupon_works_at_the_till_until_the_shop_deletes_it() {
    for app in common::apps().await {
        let secret = "coupon-secret-123";
        let made = app
            .post("/api/v1/connections", json!({"kind": "woocommerce", "code": "web", "currency": "IRR", "secret": secret}))
            .await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        let path = "/hooks/woocommerce/shop/web";
        let send = |body: Value, topic: &'static str| {
            let app = &app;
            async move { deliver(app, path, topic, &serde_json::to_vec(&body).unwrap(), Some(secret)).await }
        };
        // One use per customer, as the shop says: the till checks it for a known customer.
        let buyer =
            app.post("/api/v1/customers", json!({"mobile": "09121234567"})).await.body["customer"]["id"].as_i64().unwrap();
        let check = || {
            let app = &app;
            async move {
                let cart = json!({"code": "yalda10", "customer_id": buyer, "lines": [{"sku": "TEA", "total": 200_000}]});
                app.post("/api/v1/codes/check", cart).await.body
            }
        };

        // Created: a 10 % promotion under the shop's code, with the shop's minimum in tomans.
        assert_eq!(send(coupon("10.00", "2026-12-01T10:00:00", json!([])), "coupon.created").await, 200);
        drain(&app).await;
        let p = app.get("/api/v1/promotions/woo-web-719").await.body;
        assert_eq!(
            (p["shared_code"].as_str(), p["value"].as_f64(), p["min_amount"].as_i64()),
            (Some("YALDA10"), Some(10.0), Some(100_000))
        );
        let c = check().await;
        assert_eq!((c["valid"].as_bool(), c["discount"].as_i64()), (Some(true), Some(20_000)), "{c}");

        // Updated to 15 %, delivered twice; an older state after it changes nothing.
        for _ in 0..2 {
            send(coupon("15.00", "2026-12-02T10:00:00", json!([])), "coupon.updated").await;
        }
        let round = drain(&app).await;
        assert_eq!((round.applied, round.skipped, round.failed), (1, 1, 0));
        send(coupon("5.00", "2026-12-01T12:00:00", json!([])), "coupon.updated").await;
        let round = drain(&app).await;
        assert_eq!((round.applied, round.skipped, round.failed), (0, 1, 0));
        assert_eq!(check().await["discount"], 30_000);

        // Restricted to a category the shop names by id: left to the shop, and the log says so.
        send(coupon("15.00", "2026-12-03T10:00:00", json!([12])), "coupon.updated").await;
        drain(&app).await;
        let log = app.get("/api/v1/connections/web/deliveries?limit=1").await.body;
        assert!(log[0]["outcome"].as_str().unwrap().contains("applied by the shop only"), "{log:?}");

        // Deleted in the shop: the promotion is switched off and the code no longer works.
        assert_eq!(send(json!({"id": 719}), "coupon.deleted").await, 200);
        drain(&app).await;
        assert_eq!(app.get("/api/v1/promotions/woo-web-719").await.body["active"], false);
        assert_eq!(check().await["valid"], false);
        app.finish().await;
    }
}
