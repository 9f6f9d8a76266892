//! Discount codes, checkout and cashback through the API: validation with reasons, quotes that
//! write nothing, invoices that apply everything or nothing, reservations, bulk generation,
//! cashback and its reversal, and one single-use code under 50 concurrent checkouts — on every
//! backend.

mod common;

use common::{TestApp, make_points_payable};
use serde_json::{Value, json};

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

fn cart() -> Value {
    json!([{"sku": "C1", "category": "coffee", "quantity": 2, "unit_price": 100000}, {"sku": "K1", "category": "cake", "quantity": 1, "unit_price": 100000}])
}

async fn customer(app: &TestApp, mobile: &str, points: i64, wallet: i64) -> i64 {
    let r = app
        .post("/api/v1/invoices", json!({"external_id": format!("first-{mobile}"), "issued_at": now(), "customer": {"mobile": mobile}, "lines": [{"sku": "X", "quantity": 1, "unit_price": 1000}]}))
        .await;
    let c = r.body["customer_id"].as_i64().unwrap();
    if points > 0 {
        app.post(
            &format!("/api/v1/customers/{c}/points/adjust"),
            json!({"point_type": "purchase", "points": points, "reason": "r", "idempotency_key": format!("p{mobile}")}),
        )
        .await;
    }
    if wallet > 0 {
        app.post(
            &format!("/api/v1/customers/{c}/wallet/adjust"),
            json!({"amount": wallet, "reason": "r", "idempotency_key": format!("w{mobile}")}),
        )
        .await;
    }
    c
}

async fn promotion(app: &TestApp, body: Value) {
    let r = app.post("/api/v1/promotions", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn codes_are_checked_with_reasons_in_both_languages() {
    for app in common::apps().await {
        promotion(&app, json!({"code": "yalda", "name": "یلدا", "discount": "percent", "value": 10, "max_discount": 25000, "min_amount": 100000, "shared_code": "YALDA-1405"})).await;
        let lines = json!([{"sku": "C1", "category": "coffee", "total": 300000}]);
        let ok = app.post("/api/v1/codes/check", json!({"code": " yalda-۱۴۰۵ ", "lines": lines})).await;
        assert_eq!((ok.body["valid"].as_bool(), ok.body["discount"].as_i64()), (Some(true), Some(25000)), "{}", ok.body);
        let small = app.post("/api/v1/codes/check", json!({"code": "YALDA-1405", "lines": [{"total": 5000}]})).await;
        assert_eq!(small.body["reason"]["code"], "code_min_amount");
        assert!(small.body["reason"]["message_fa"].as_str().unwrap().contains("حداقل"));
        let unknown = app.post("/api/v1/codes/check", json!({"code": "NOPE", "lines": lines})).await;
        assert_eq!(
            (unknown.body["valid"].as_bool(), unknown.body["reason"]["code"].as_str()),
            (Some(false), Some("code_unknown"))
        );
        promotion(&app, json!({"code": "old", "name": "قدیمی", "discount": "fixed", "value": 1000, "ends_at": "2020-01-01", "shared_code": "OLD"})).await;
        assert_eq!(
            app.post("/api/v1/codes/check", json!({"code": "old", "lines": lines})).await.body["reason"]["code"],
            "code_expired"
        );
        let bad = app.post("/api/v1/promotions", json!({"code": "x", "name": "x", "discount": "percent", "value": 150})).await;
        assert_eq!((bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()), (422, Some("value")));
        app.finish().await;
    }
}

#[tokio::test]
async fn quotes_price_the_cart_and_invoices_apply_it_once() {
    for app in common::apps().await {
        make_points_payable(&app).await;
        app.post(
            "/api/v1/earning-rules",
            json!({"name": "r", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 10000}),
        )
        .await;
        promotion(&app, json!({"code": "coffee", "name": "قهوه", "discount": "percent", "value": 20, "categories": ["coffee"], "shared_code": "COFFEE20"})).await;
        let c = customer(&app, "09125550001", 400, 30000).await;
        let checkout = json!({"codes": ["coffee20"], "points": {"point_type": "purchase", "points": 100}, "wallet": 30000});
        let mut q = json!({"customer": {"mobile": "09125550001"}, "lines": cart()});
        q.as_object_mut().unwrap().extend(checkout.as_object().unwrap().clone());
        let quote = app.post("/api/v1/checkout/quote", q).await;
        assert_eq!(quote.status, 200, "{}", quote.body);
        // 300,000 − 40,000 (20% of coffee) = 260,000; 100 points pay 10,000; wallet 30,000.
        let b = &quote.body;
        assert_eq!(
            (b["total"].as_i64(), b["points_value"].as_i64(), b["wallet_used"].as_i64(), b["to_pay"].as_i64()),
            (Some(260000), Some(10000), Some(30000), Some(220000))
        );
        assert_eq!(b["points_to_earn"]["purchase"], 22, "earned on what is paid in money");
        assert_eq!(b["tier"]["tier"], "silver");
        // A quote writes nothing.
        assert_eq!(app.get(&format!("/api/v1/customers/{c}/points")).await.body[0]["balance"], 400);

        let body = json!({"external_id": "CO-1", "issued_at": now(), "customer": {"mobile": "09125550001"}, "lines": cart(), "checkout": checkout});
        let r = app.post("/api/v1/invoices", body.clone()).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let invoice = app.get(&format!("/api/v1/invoices/{}", r.body["id"])).await.body;
        assert_eq!((invoice["total"].as_i64(), invoice["discount"].as_i64()), (Some(260000), Some(40000)));
        assert_eq!(app.get(&format!("/api/v1/customers/{c}/points")).await.body[0]["balance"], 400 - 100 + 22);
        assert_eq!(app.get(&format!("/api/v1/customers/{c}/wallet")).await.body["balance"], 0);
        assert_eq!(app.get("/api/v1/promotions/coffee").await.body["used"], 1);
        // The same invoice again changes nothing.
        let again = app.post("/api/v1/invoices", body).await;
        assert_eq!((again.status.as_u16(), again.body["status"].as_str()), (200, Some("duplicate")), "{}", again.body);
        assert_eq!(app.get(&format!("/api/v1/customers/{c}/points")).await.body[0]["balance"], 322);
        assert_eq!(app.get("/api/v1/promotions/coffee").await.body["used"], 1);

        // Too many points, or more wallet than held: refused, nothing recorded.
        let greedy = json!({"external_id": "CO-2", "issued_at": now(), "customer": {"mobile": "09125550001"}, "lines": cart(),
            "checkout": {"points": {"point_type": "purchase", "points": 5000}}});
        let r = app.post("/api/v1/invoices", greedy).await;
        assert_eq!(
            (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
            (422, Some("checkout.points.points")),
            "{}",
            r.body
        );
        let broke = json!({"external_id": "CO-3", "issued_at": now(), "customer": {"mobile": "09125550001"}, "lines": cart(), "checkout": {"wallet": 1}});
        assert_eq!(app.post("/api/v1/invoices", broke).await.body["errors"][0]["code"], "insufficient_wallet");
        assert_eq!(app.get("/api/v1/invoices").await.body["items"].as_array().unwrap().len(), 2);
        // Refunding half gives back half of the points and wallet money that paid, and takes back
        // half of what the purchase earned: 322 + 50 − 11.
        let r = app
            .post(&format!("/api/v1/invoices/{}/refunds", invoice["id"]), json!({"external_id": "CO-1R", "amount": 130000}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(app.get(&format!("/api/v1/customers/{c}/points")).await.body[0]["balance"], 361);
        assert_eq!(app.get(&format!("/api/v1/customers/{c}/wallet")).await.body["balance"], 15000);
        app.post(&format!("/api/v1/invoices/{}/refunds", invoice["id"]), json!({"external_id": "CO-1R2"})).await;
        assert_eq!(app.get(&format!("/api/v1/customers/{c}/points")).await.body[0]["balance"], 400);
        assert_eq!(app.get(&format!("/api/v1/customers/{c}/wallet")).await.body["balance"], 30000);
        let before = app.engine.store.points_snapshot(app.ctx.id).await.unwrap();
        app.engine.rebuild(&app.ctx).await.unwrap();
        assert_eq!(before, app.engine.store.points_snapshot(app.ctx.id).await.unwrap());
        // Checkout fields belong to single invoices.
        let batch = app.post("/api/v1/invoices/batch", json!({"invoices": [{"external_id": "B1", "issued_at": now(), "lines": cart(), "checkout": {"codes": ["COFFEE20"]}}]})).await;
        assert_eq!(batch.body["results"][0]["errors"][0]["field"], "invoices[0].checkout");
        app.finish().await;
    }
}

#[tokio::test]
async fn fifty_concurrent_checkouts_with_one_single_use_code_succeed_once() {
    for app in common::apps().await {
        promotion(&app, json!({"code": "once", "name": "یک‌بار", "discount": "fixed", "value": 5000})).await;
        let g = app.post("/api/v1/promotions/once/codes", json!({"count": 1, "prefix": "ONE-", "length": 8})).await;
        assert_eq!(g.status, 201, "{}", g.body);
        let csv = app.get("/api/v1/promotions/once/codes.csv").await.body;
        let code = csv.as_str().unwrap().lines().nth(1).unwrap().split(',').next().unwrap().to_string();
        let bodies: Vec<Value> = (0..50)
            .map(|i| json!({"external_id": format!("race-{i}"), "issued_at": now(), "customer": {"mobile": format!("0912666{i:04}")}, "lines": cart(), "checkout": {"codes": [code.to_lowercase()]}}))
            .collect();
        let results = futures::future::join_all(bodies.iter().map(|b| app.post("/api/v1/invoices", b.clone()))).await;
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1, "{}", app.backend);
        for r in results.iter().filter(|r| r.status != 201) {
            let reason = r.body["errors"][0]["code"].as_str().or(r.body["code"].as_str());
            assert_eq!(reason, Some("code_used_up"), "{}", r.body);
        }
        assert_eq!(app.get("/api/v1/invoices").await.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.get("/api/v1/promotions/once").await.body["used"], 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn reservations_hold_a_use_until_redeemed_or_released() {
    for app in common::apps().await {
        promotion(
            &app,
            json!({"code": "vip", "name": "ویژه", "discount": "fixed", "value": 10000, "total_limit": 1, "shared_code": "VIP"}),
        )
        .await;
        let c = customer(&app, "09125550002", 0, 0).await;
        let lines = json!([{"total": 50000}]);
        let r = app
            .post("/api/v1/codes/reserve", json!({"code": "vip", "customer_id": c, "lines": lines, "idempotency_key": "res-1"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        // The only use is held: another customer cannot have it.
        let other = customer(&app, "09125550003", 0, 0).await;
        let taken = app
            .post(
                "/api/v1/codes/reserve",
                json!({"code": "vip", "customer_id": other, "lines": lines, "idempotency_key": "res-2"}),
            )
            .await;
        assert_eq!(taken.body["code"], "code_used_up");
        let released =
            app.request(reqwest::Method::DELETE, &format!("/api/v1/codes/reservations/{id}"), Some(&app.key), None).await;
        assert_eq!(released.body["status"], "released");
        let r = app
            .post("/api/v1/codes/reserve", json!({"code": "vip", "customer_id": c, "lines": lines, "idempotency_key": "res-3"}))
            .await;
        let id = r.body["id"].as_i64().unwrap();
        let body = json!({"external_id": "RSV-1", "issued_at": now(), "customer": {"mobile": "09125550002"}, "lines": cart(), "checkout": {"reservations": [id]}});
        let inv = app.post("/api/v1/invoices", body).await;
        assert_eq!(inv.status, 201, "{}", inv.body);
        assert_eq!(app.get(&format!("/api/v1/invoices/{}", inv.body["id"])).await.body["discount"], 10000);
        let late = app.request(reqwest::Method::DELETE, &format!("/api/v1/codes/reservations/{id}"), Some(&app.key), None).await;
        assert_eq!(late.body["code"], "already_redeemed");
        assert_eq!(app.get("/api/v1/promotions/vip").await.body["used"], 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn bulk_codes_are_unique_and_downloadable() {
    for app in common::apps().await {
        promotion(&app, json!({"code": "bulk", "name": "انبوه", "discount": "percent", "value": 5})).await;
        let g = app.post("/api/v1/promotions/bulk/codes", json!({"count": 5000, "prefix": "nwz-", "length": 7})).await;
        assert_eq!((g.status.as_u16(), g.body["created"].as_u64(), g.body["prefix"].as_str()), (201, Some(5000), Some("NWZ-")));
        let csv = app.get("/api/v1/promotions/bulk/codes.csv").await.body;
        let codes: std::collections::HashSet<&str> =
            csv.as_str().unwrap().lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
        assert_eq!(codes.len(), 5000);
        assert!(codes.iter().all(|c| c.starts_with("NWZ-") && c.len() == 11));
        let bad = app.post("/api/v1/promotions/bulk/codes", json!({"count": 1000000, "length": 4})).await;
        assert_eq!((bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()), (422, Some("count")));
        app.finish().await;
    }
}

#[tokio::test]
async fn cashback_is_credited_after_maturity_and_taken_back_on_refund() {
    for app in common::apps().await {
        let mut tiers = app.get("/api/v1/tiers").await.body;
        tiers["tiers"][0]["benefits"] = json!({"cashback_percent": 2});
        app.put("/api/v1/tiers", tiers).await;
        let r = app.put("/api/v1/cashback", json!({"enabled": true, "credit_as": "wallet", "category_rates": [{"category": "coffee", "percent": 10}], "maturity_days": 7})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let c = customer(&app, "09125550004", 0, 0).await;
        let inv = app
            .post(
                "/api/v1/invoices",
                json!({"external_id": "CB-1", "issued_at": now(), "customer": {"mobile": "09125550004"}, "lines": cart()}),
            )
            .await;
        let w = app.get(&format!("/api/v1/customers/{c}/wallet")).await.body;
        // coffee 200,000 at 10% + cake 100,000 at the tier's 2% = 22,000, waiting for the return window
        // (plus 20 from the first 1,000 purchase at 2%).
        assert_eq!(
            (w["balance"].as_i64(), w["pending"].as_i64(), w["available"].as_i64()),
            (Some(22020), Some(22020), Some(0)),
            "{w}"
        );
        app.post(&format!("/api/v1/invoices/{}/refunds", inv.body["id"]), json!({"external_id": "CB-1R", "amount": 150000}))
            .await;
        assert_eq!(app.get(&format!("/api/v1/customers/{c}/wallet")).await.body["balance"], 11020);
        let bad = app.put("/api/v1/cashback", json!({"enabled": true, "credit_as": "gold"})).await;
        assert_eq!((bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()), (422, Some("credit_as")));
        let before = app.engine.store.wallets_snapshot(app.ctx.id).await.unwrap();
        app.engine.rebuild(&app.ctx).await.unwrap();
        assert_eq!(before, app.engine.store.wallets_snapshot(app.ctx.id).await.unwrap());
        app.finish().await;
    }
}
