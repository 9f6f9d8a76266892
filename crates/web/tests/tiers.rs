//! Tiers through the API: up at once, down after grace at evaluation, straight back down after a
//! refund, benefits that multiply earning, windows, history and events — on every backend.

mod common;

use common::TestApp;
use serde_json::{Value, json};

async fn buy(app: &TestApp, id: &str, at: &str, mobile: &str, amount: i64) -> (i64, i64) {
    let r = app
        .post(
            "/api/v1/invoices",
            json!({"external_id": id, "issued_at": at, "customer": {"mobile": mobile}, "lines": [{"sku": "X", "quantity": 1, "unit_price": amount}]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    (r.body["id"].as_i64().unwrap(), r.body["customer_id"].as_i64().unwrap())
}

async fn tier(app: &TestApp, customer: i64) -> Value {
    let r = app.get(&format!("/api/v1/customers/{customer}/tier")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

#[tokio::test]
async fn customers_move_up_at_once_and_down_after_a_refund() {
    for app in common::apps().await {
        let p = app.get("/api/v1/tiers").await;
        let codes: Vec<&str> = p.body["tiers"].as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["bronze", "silver", "gold"]);
        app.post(
            "/api/v1/earning-rules",
            json!({"name": "r", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 1000}),
        )
        .await;

        let (_, c) = buy(&app, "T1", &now(), "09121110001", 50_000).await;
        let t = tier(&app, c).await;
        assert_eq!(
            (t["tier"].as_str(), t["metric"].as_i64(), t["next_tier"].as_str(), t["needed"].as_i64()),
            (Some("bronze"), Some(50), Some("silver"), Some(51))
        );
        let (big, _) = buy(&app, "T2", &now(), "09121110001", 500_000).await;
        let t = tier(&app, c).await;
        assert_eq!((t["tier"].as_str(), t["metric"].as_i64(), t["next_tier"].as_str()), (Some("gold"), Some(550), None));
        assert_eq!(app.get(&format!("/api/v1/customers/{c}")).await.body["tier"], "gold");

        // Returning what earned the tier takes the tier back at once.
        app.post(&format!("/api/v1/invoices/{big}/refunds"), json!({"external_id": "T2R"})).await;
        let t = tier(&app, c).await;
        assert_eq!(t["tier"], "bronze");
        let reasons: Vec<(&str, &str)> =
            t["history"].as_array().unwrap().iter().map(|h| (h["to"].as_str().unwrap(), h["reason"].as_str().unwrap())).collect();
        assert_eq!(reasons, [("bronze", "refund"), ("gold", "purchase")]);
        let events = app.engine.store.customer_events(app.ctx.id, c, 20).await.unwrap();
        let changes: Vec<(&str, &str)> = events
            .iter()
            .filter(|e| e.event_type == "tier_changed")
            .map(|e| (e.properties["to"].as_str().unwrap(), e.properties["direction"].as_str().unwrap()))
            .collect();
        assert_eq!(changes, [("bronze", "down"), ("gold", "up")]);
        app.finish().await;
    }
}

#[tokio::test]
async fn moving_down_waits_for_the_grace_period() {
    for app in common::apps().await {
        app.post(
            "/api/v1/earning-rules",
            json!({"name": "r", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 1000}),
        )
        .await;
        let (_, c) = buy(&app, "G1", &now(), "09121110002", 200_000).await;
        assert_eq!(tier(&app, c).await["tier"], "silver");
        let mut programme = app.get("/api/v1/tiers").await.body;
        programme["tiers"][1]["threshold"] = json!(1000);
        programme["tiers"][2]["threshold"] = json!(5000);
        programme["grace_days"] = json!(30);
        let r = app.put("/api/v1/tiers", programme.clone()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let t = tier(&app, c).await;
        assert_eq!(t["tier"], "silver", "kept during grace");
        assert!(t["grace_until"].is_string());
        // Qualifying again ends the grace period.
        buy(&app, "G2", &now(), "09121110002", 900_000).await;
        let t = tier(&app, c).await;
        assert_eq!((t["tier"].as_str(), t["grace_until"].as_str()), (Some("silver"), None));
        // Without grace, an evaluation moves down at once.
        programme["tiers"][1]["threshold"] = json!(2000);
        programme["grace_days"] = json!(0);
        app.put("/api/v1/tiers", programme).await;
        assert_eq!(tier(&app, c).await["tier"], "bronze");
        let r = app.post("/api/v1/tiers/evaluate", json!({})).await;
        assert_eq!((r.status.as_u16(), r.body["moved"].as_i64()), (200, Some(0)));
        app.finish().await;
    }
}

#[tokio::test]
async fn tier_benefits_multiply_earning_and_windows_count_their_time() {
    for app in common::apps().await {
        let mut programme = app.get("/api/v1/tiers").await.body;
        programme["tiers"][2]["benefits"] = json!({"earn_multiplier": 2, "perks": ["ارسال رایگان"]});
        assert_eq!(app.put("/api/v1/tiers", programme).await.status, 200);
        app.post(
            "/api/v1/earning-rules",
            json!({"name": "r", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 1000}),
        )
        .await;
        let (_, c) = buy(&app, "M1", &now(), "09121110003", 600_000).await;
        assert_eq!(tier(&app, c).await["tier"], "gold");
        buy(&app, "M2", &now(), "09121110003", 10_000).await;
        let balance = app.get(&format!("/api/v1/customers/{c}/points")).await;
        assert_eq!(balance.body[0]["balance"], 620, "the gold tier earns double");
        assert_eq!(tier(&app, c).await["benefits"]["perks"][0], "ارسال رایگان");

        // A programme on invoices in the calendar year counts this year's only.
        let r = app
            .put(
                "/api/v1/tiers",
                json!({"metric": {"kind": "invoices"}, "window": {"kind": "calendar_year"}, "tiers": [
                    {"code": "member", "name": "عضو", "threshold": 0}, {"code": "regular", "name": "همیشگی", "threshold": 3}]}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (_, d) = buy(&app, "W1", "2020-05-01T10:00:00Z", "09121110004", 1000).await;
        buy(&app, "W2", &now(), "09121110004", 1000).await;
        let t = tier(&app, d).await;
        assert_eq!((t["tier"].as_str(), t["metric"].as_i64(), t["needed"].as_i64()), (Some("member"), Some(1), Some(2)));
        app.finish().await;
    }
}

#[tokio::test]
async fn bad_programmes_are_refused_with_their_fields() {
    for app in common::apps().await {
        let r = app
            .put(
                "/api/v1/tiers",
                json!({"metric": {"kind": "points", "point_type": "nope"}, "window": {"kind": "lifetime"}, "tiers": [
                    {"code": "a", "name": "A", "threshold": 0}]}),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("metric.point_type")), "{}", r.body);
        let r = app
            .put(
                "/api/v1/tiers",
                json!({"metric": {"kind": "spend"}, "window": {"kind": "rolling_months", "months": 0}, "tiers": [
                    {"code": "a", "name": "A", "threshold": 10}, {"code": "b", "name": "B", "threshold": 5}]}),
            )
            .await;
        let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["window.months", "tiers[0].threshold", "tiers[1].threshold"]);
        // Nothing changed.
        assert_eq!(app.get("/api/v1/tiers").await.body["tiers"][0]["code"], "bronze");
        app.finish().await;
    }
}
