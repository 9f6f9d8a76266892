//! Referrals and loyalty classes through the API — on every backend.

mod common;

use common::TestApp;
use serde_json::json;

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

async fn new_customer(app: &TestApp, mobile: &str) -> i64 {
    let r = app.post("/api/v1/customers", json!({"mobile": mobile, "first_name": "مهسا"})).await;
    assert!(r.status.is_success(), "{}", r.body);
    r.body["customer"]["id"].as_i64().unwrap()
}

async fn buy(app: &TestApp, id: &str, mobile: &str, amount: i64) -> common::Response {
    app.post("/api/v1/invoices", json!({"external_id": id, "issued_at": now(), "customer": {"mobile": mobile}, "lines": [{"sku": "X", "quantity": 1, "unit_price": amount}]}))
        .await
}

async fn points(app: &TestApp, c: i64) -> i64 {
    app.get(&format!("/api/v1/customers/{c}/points"))
        .await
        .body
        .as_array()
        .unwrap()
        .first()
        .map(|b| b["balance"].as_i64().unwrap())
        .unwrap_or(0)
}

#[tokio::test]
async fn both_sides_are_rewarded_once_the_first_purchase_qualifies() {
    for app in common::apps().await {
        let r = app
            .put(
                "/api/v1/referrals/programme",
                json!({"enabled": true, "point_type": "purchase", "referrer_points": 100, "referee_points": 50,
                "min_first_invoice": 200000, "within_days": 30, "link_base": "https://club.example/join?ref="}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let sara = new_customer(&app, "09127770001").await;
        let info = app.get(&format!("/api/v1/customers/{sara}/referral")).await.body;
        let code = info["code"].as_str().unwrap().to_string();
        assert_eq!(info["link"].as_str().unwrap(), format!("https://club.example/join?ref={code}"));

        let ali = new_customer(&app, "09127770002").await;
        let joined = app.post(&format!("/api/v1/customers/{ali}/referral"), json!({"code": code.to_lowercase()})).await;
        assert_eq!((joined.status.as_u16(), joined.body["referrer_id"].as_i64()), (201, Some(sara)), "{}", joined.body);
        assert_eq!(
            app.post(&format!("/api/v1/customers/{ali}/referral"), json!({"code": code})).await.body["code"],
            "already_referred"
        );
        assert_eq!(
            app.post(&format!("/api/v1/customers/{sara}/referral"), json!({"code": code})).await.body["code"],
            "self_referral"
        );
        let bad = app.post(&format!("/api/v1/customers/{sara}/referral"), json!({"code": "ZZZZ"})).await;
        assert_eq!((bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()), (422, Some("code")));

        let inv = buy(&app, "R1", "09127770002", 250000).await;
        assert_eq!((points(&app, sara).await, points(&app, ali).await), (100, 50));
        let info = app.get(&format!("/api/v1/customers/{sara}/referral")).await.body;
        assert_eq!(info["referrals"][0]["status"], "rewarded");
        // A buyer cannot be referred afterwards; refunding the purchase takes the rewards back.
        let reza = new_customer(&app, "09127770003").await;
        buy(&app, "R2", "09127770003", 10).await;
        assert_eq!(app.post(&format!("/api/v1/customers/{reza}/referral"), json!({"code": code})).await.body["code"], "not_new");
        app.post(&format!("/api/v1/invoices/{}/refunds", inv.body["id"]), json!({"external_id": "R1R"})).await;
        assert_eq!((points(&app, sara).await, points(&app, ali).await), (0, 0));

        // A first purchase below the minimum does not qualify.
        let mina = new_customer(&app, "09127770004").await;
        app.post(&format!("/api/v1/customers/{mina}/referral"), json!({"code": code})).await;
        buy(&app, "R3", "09127770004", 1000).await;
        let info = app.get(&format!("/api/v1/customers/{mina}/referral")).await.body;
        assert_eq!(info["referred_by"]["status"], "not_qualified");
        app.finish().await;
    }
}

#[tokio::test]
async fn loyalty_classes_follow_recent_purchases() {
    for app in common::apps().await {
        let r = app
            .put(
                "/api/v1/loyalty-classes",
                json!({"classes": [
                {"code": "vip", "name": "ممتاز", "window_days": 90, "min_invoices": 2, "min_spend": 1000000},
                {"code": "regular", "name": "وفادار", "window_days": 90, "min_invoices": 2}]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let a = buy(&app, "K1", "09128880001", 300000).await.body["customer_id"].as_i64().unwrap();
        assert!(app.get(&format!("/api/v1/customers/{a}")).await.body["loyalty_class"].is_null());
        buy(&app, "K2", "09128880001", 300000).await;
        assert_eq!(app.get(&format!("/api/v1/customers/{a}")).await.body["loyalty_class"], "regular");
        let big = buy(&app, "K3", "09128880001", 900000).await;
        assert_eq!(app.get(&format!("/api/v1/customers/{a}")).await.body["loyalty_class"], "vip");
        app.post(&format!("/api/v1/invoices/{}/refunds", big.body["id"]), json!({"external_id": "K3R"})).await;
        assert_eq!(app.get(&format!("/api/v1/customers/{a}")).await.body["loyalty_class"], "regular");
        let bad = app
            .put("/api/v1/loyalty-classes", json!({"classes": [{"code": "x", "name": "x", "window_days": 0, "min_invoices": 1}]}))
            .await;
        assert_eq!((bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()), (422, Some("classes[0].window_days")));
        app.finish().await;
    }
}
