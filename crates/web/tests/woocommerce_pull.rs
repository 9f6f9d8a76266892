//! Reading a shop through its REST API, on every backend, against a local server that answers
//! like WooCommerce: the backfill of customers, products and orders page by page, a second
//! backfill that changes nothing, wrong keys reported at once, and the reconciliation that
//! catches changes whose webhooks never arrived. And a flood of 10,000 deliveries, kept and
//! applied without loss or double counting.

mod common;

use common::TestApp;
use common::woo::{CONSUMER_KEY, CONSUMER_SECRET, WooShop, drain, fixture_json, toman_order};
use serde_json::{Value, json};

async fn net_sales(app: &TestApp) -> (usize, i64) {
    let mut cursor: Option<String> = None;
    let (mut n, mut net) = (0, 0);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/invoices?limit=500&cursor={c}"),
            None => "/api/v1/invoices?limit=500".into(),
        };
        let page = app.get(&path).await.body;
        for i in page["items"].as_array().unwrap() {
            n += 1;
            net += i["total"].as_i64().unwrap() - i["refunded_total"].as_i64().unwrap();
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return (n, net),
        }
    }
}

fn customer(id: i64) -> Value {
    let mut c = fixture_json("customer.json");
    c["id"] = json!(id);
    c["email"] = json!(format!("buyer{id}@example.com"));
    c["billing"]["phone"] = json!(format!("0912{:07}", id));
    c["first_name"] = json!(format!("مشتری{id}"));
    c
}

#[tokio::test]
async fn backfill_and_reconciliation_read_the_shop() {
    for app in common::apps().await {
        let shop = WooShop::start().await;
        {
            let mut d = shop.data.lock().unwrap();
            d.customers = (1..=30).map(customer).collect();
            d.products = (1..=12)
                .map(|i| {
                    let mut p = fixture_json("product.json");
                    p["id"] = json!(i);
                    p["sku"] = json!(format!("P-{i}"));
                    p["price"] = json!(format!("{}", i * 100_000));
                    p
                })
                .collect();
            // 250 orders; every tenth was cancelled.
            d.orders = (0..250)
                .map(|i| {
                    let status = if i % 10 == 9 { "cancelled" } else { "completed" };
                    toman_order(5000 + i, 1 + i % 30, 100_000 + i * 1_000, status, "2025-06-01T10:00:00")
                })
                .collect();
        }
        let made = app
            .post(
                "/api/v1/connections",
                json!({"kind": "woocommerce", "code": "shop", "store_url": shop.base, "consumer_key": CONSUMER_KEY, "consumer_secret": "cs_wrong"}),
            )
            .await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        let refused = app.post("/api/v1/connections/shop/backfill", json!({})).await;
        assert_eq!(refused.status, 409, "wrong keys are reported at once");
        assert!(refused.body["detail"].as_str().unwrap().contains("cannot list"), "{:?}", refused.body);
        let fixed = app
            .put(
                "/api/v1/connections/shop",
                json!({"kind": "", "code": "", "store_url": shop.base, "consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}),
            )
            .await;
        assert_eq!(fixed.status, 200, "{:?}", fixed.body);
        assert_eq!(app.post("/api/v1/connections/shop/backfill", json!({})).await.status, 202);
        app.engine.sync_shops(philia_engine::now_ms()).await.unwrap();
        let round = drain(&app).await;
        assert_eq!((round.applied, round.failed), (30 + 12 + 250, 0), "{}", app.backend);
        let view = app.get("/api/v1/connections/shop").await.body;
        assert_eq!(view["sync"]["backfill"]["state"], "done");
        assert_eq!(view["sync"]["backfill"]["queued"], 292);
        let expected: i64 = (0..250).filter(|i| i % 10 != 9).map(|i| 100_000 + i * 1_000).sum();
        assert_eq!(net_sales(&app).await, (225, expected));
        let customers = app.get("/api/v1/customers?q=09120000007").await.body;
        assert_eq!(customers["items"][0]["first_name"], "مشتری7", "orders and customers of one buyer meet in one profile");
        assert_eq!(app.get("/api/v1/products/P-12").await.body["price"], 1_200_000);
        let requests = shop.data.lock().unwrap().requests.clone();
        assert!(requests.contains(&"orders?3".to_string()), "three pages of 100 orders: {requests:?}");

        // Everything again: nothing new counts.
        assert_eq!(app.post("/api/v1/connections/shop/backfill", json!({})).await.status, 202);
        app.engine.sync_shops(philia_engine::now_ms()).await.unwrap();
        let again = drain(&app).await;
        assert_eq!((again.applied, again.skipped), (0, 292));
        assert_eq!(net_sales(&app).await, (225, expected));

        // The first reconciliation marks where the next begins. Then an order is refunded,
        // another moved to the trash and a third placed at the shop, and no webhook arrives: the
        // next one finds all three (the trash is asked for apart, as `any` leaves it out).
        let start = philia_engine::now_ms();
        app.engine.sync_shops(start).await.unwrap();
        assert_eq!(drain(&app).await.claimed, 0);
        let now_gmt = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S").to_string();
        {
            let mut d = shop.data.lock().unwrap();
            let refunded = &mut d.orders[3];
            refunded["status"] = json!("refunded");
            refunded["date_modified_gmt"] = json!(now_gmt);
            refunded["refunds"] = json!([{"id": 77, "reason": "", "total": "-103000"}]);
            let trashed = &mut d.orders[5];
            trashed["status"] = json!("trash");
            trashed["date_modified_gmt"] = json!(now_gmt);
            d.orders.push(toman_order(9000, 4, 500_000, "processing", &now_gmt));
        }
        app.engine.sync_shops(start + philia_engine::shop_sync::RECONCILE_EVERY_MS).await.unwrap();
        let caught = drain(&app).await;
        assert_eq!(caught.applied, 3, "{caught:?}");
        assert_eq!(net_sales(&app).await.1, expected - 103_000 - 105_000 + 500_000);
        let view = app.get("/api/v1/connections/shop").await.body;
        assert_eq!(view["sync"]["reconciled_orders"], 3);
        let requests = shop.data.lock().unwrap().requests.clone();
        assert!(requests.iter().filter(|r| r.starts_with("orders?")).count() >= 2, "{requests:?}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_flood_of_ten_thousand_deliveries_is_kept_and_counted_once() {
    for app in common::apps().await {
        let made = app.post("/api/v1/connections", json!({"kind": "woocommerce", "code": "shop"})).await;
        let secret = made.body["secret"].as_str().unwrap().to_string();
        let path = "/hooks/woocommerce/shop/shop";
        // 1,000 orders, each sent in four states — placed, placed again, partly refunded, and
        // an older state arriving late — ten thousand deliveries in all, in a shuffled order.
        let mut bodies: Vec<(usize, Vec<u8>)> = Vec::new();
        for i in 0..1000i64 {
            let placed = toman_order(1 + i, 1 + i % 200, 200_000, "processing", "2025-06-01T10:00:00");
            let mut refunded = toman_order(1 + i, 1 + i % 200, 200_000, "processing", "2025-06-01T11:00:00");
            refunded["refunds"] = json!([{"id": 100_000 + i, "reason": "", "total": "-50000"}]);
            let late = toman_order(1 + i, 1 + i % 200, 200_000, "pending", "2025-06-01T09:00:00");
            for (copies, state) in [(4, &placed), (3, &refunded), (3, &late)] {
                for _ in 0..copies {
                    bodies.push((bodies.len(), serde_json::to_vec(state).unwrap()));
                }
            }
        }
        assert_eq!(bodies.len(), 10_000);
        // A fixed shuffle (a multiplicative step through the indices).
        let n = bodies.len();
        let order: Vec<usize> = (0..n).map(|k| (k * 7919) % n).collect();
        let bodies = std::sync::Arc::new(bodies);
        let mut tasks = tokio::task::JoinSet::new();
        let lanes = 32;
        let app_base = app.base.clone();
        for lane in 0..lanes {
            let (bodies, order, secret, client) = (bodies.clone(), order.clone(), secret.clone(), app.client.clone());
            let url = format!("{app_base}{path}");
            tasks.spawn(async move {
                let mut ok = 0;
                for k in (lane..order.len()).step_by(lanes) {
                    let body = &bodies[order[k]].1;
                    let res = client
                        .post(&url)
                        .header("x-wc-webhook-topic", "order.updated")
                        .header("x-wc-webhook-signature", philia_domain::woocommerce::sign(body, &secret))
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), 200);
                    ok += 1;
                }
                ok
            });
        }
        let mut accepted = 0;
        while let Some(r) = tasks.join_next().await {
            accepted += r.unwrap();
        }
        assert_eq!(accepted, 10_000);
        let round = drain(&app).await;
        assert_eq!(round.applied + round.skipped, 10_000, "{round:?} on {}", app.backend);
        assert_eq!(round.failed, 0);
        assert_eq!(net_sales(&app).await, (1000, 1000 * 150_000), "{}", app.backend);
        app.finish().await;
    }
}
