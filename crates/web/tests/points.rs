//! The point ledger through the API: earning rules on invoices and events, refunds that take
//! points back, spending, adjustments, expiry, versions, caps, and exactness under retries and
//! concurrency — on every backend.

mod common;

use common::TestApp;
use serde_json::{Value, json};

async fn balance(app: &TestApp, customer: i64, point_type: &str) -> Value {
    let r = app.get(&format!("/api/v1/customers/{customer}/points")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body.as_array().unwrap().iter().find(|b| b["point_type"] == point_type).cloned().unwrap_or(json!({"balance": 0, "debt": 0}))
}

async fn record(app: &TestApp, body: Value) -> (i64, i64) {
    let r = app.post("/api/v1/invoices", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    (r.body["id"].as_i64().unwrap(), r.body["customer_id"].as_i64().unwrap())
}

async fn rule(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/earning-rules", body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn purchase(id: &str, at: &str, mobile: &str, lines: Value) -> Value {
    json!({"external_id": id, "issued_at": at, "customer": {"mobile": mobile}, "channel": "pos", "lines": lines})
}

async fn spend(app: &TestApp, customer: i64, points: i64, key: &str) -> common::Response {
    app.post(
        &format!("/api/v1/customers/{customer}/points/spend"),
        json!({"point_type": "purchase", "points": points, "idempotency_key": key}),
    )
    .await
}

#[tokio::test]
async fn invoices_earn_by_rule_and_refunds_take_back_in_proportion() {
    for app in common::apps().await {
        rule(
            &app,
            json!({"name": "پایه", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 10000,
                   "line_multipliers": [{"category": "coffee", "factor": 2}]}),
        )
        .await;
        rule(
            &app,
            json!({"name": "first purchase", "trigger": "invoice", "point_type": "purchase", "points": 50,
                   "condition": {"field": "customer.previous_invoices", "op": "eq", "value": 0}}),
        )
        .await;
        let now = jiff::Timestamp::now().to_string();
        let lines = json!([{"sku": "C1", "category": "coffee", "quantity": 2, "unit_price": 100000}, {"sku": "K1", "category": "cake", "quantity": 1, "unit_price": 200000}]);
        let (invoice, customer) = record(&app, purchase("A1", &now, "09120000001", lines)).await;
        // 400,000: coffee 200,000 ×2 + cake 200,000 = 600,000 weighted → 60, plus 50 first-purchase.
        assert_eq!(balance(&app, customer, "purchase").await["balance"], 110, "{}", app.backend);
        let ledger = app.get(&format!("/api/v1/customers/{customer}/points/ledger")).await;
        let entry = &ledger.body["items"][0];
        assert_eq!(entry["kind"], "earn");
        assert_eq!(entry["source"], "invoice");
        assert_eq!(entry["source_id"], invoice);
        let detail = entry["detail"].as_array().unwrap();
        assert_eq!(detail.iter().map(|d| d[2].as_i64().unwrap()).collect::<Vec<_>>(), [60, 50]);

        // A refund of a quarter takes a quarter back (rounded down on the running total).
        let r = app.post(&format!("/api/v1/invoices/{invoice}/refunds"), json!({"external_id": "R1", "amount": 100000})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(balance(&app, customer, "purchase").await["balance"], 83);
        // The rest: nothing is left, and a retry of the refund changes nothing.
        app.post(&format!("/api/v1/invoices/{invoice}/refunds"), json!({"external_id": "R2"})).await;
        app.post(&format!("/api/v1/invoices/{invoice}/refunds"), json!({"external_id": "R2"})).await;
        let b = balance(&app, customer, "purchase").await;
        assert_eq!((b["balance"].as_i64(), b["earned"].as_i64()), (Some(0), Some(0)));

        // Buying and returning again and again earns nothing: the first-purchase bonus is gone.
        for n in 0..5 {
            let (inv, _) = record(
                &app,
                purchase(
                    &format!("cycle{n}"),
                    &now,
                    "09120000001",
                    json!([{"sku": "K1", "category": "cake", "quantity": 1, "unit_price": 50000}]),
                ),
            )
            .await;
            app.post(&format!("/api/v1/invoices/{inv}/refunds"), json!({"external_id": format!("cycle{n}")})).await;
        }
        assert_eq!(balance(&app, customer, "purchase").await["balance"], 0);
        assert_rebuild_matches(&app).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn spending_is_exact_idempotent_and_blocked_by_debt() {
    for app in common::apps().await {
        rule(&app, json!({"name": "r", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 1000})).await;
        let now = jiff::Timestamp::now().to_string();
        let (invoice, c) =
            record(&app, purchase("S1", &now, "09120000002", json!([{"sku": "X", "quantity": 1, "unit_price": 100000}]))).await;
        assert_eq!(balance(&app, c, "purchase").await["balance"], 100);

        let r = spend(&app, c, 101, "k0").await;
        assert_eq!(r.status, 409);
        assert_eq!(r.body["code"], "insufficient_points");
        let r = spend(&app, c, 80, "k1").await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.body["points"], -80);
        let again = spend(&app, c, 80, "k1").await;
        assert_eq!((again.status.as_u16(), &again.body["id"]), (200, &r.body["id"]));
        assert_eq!(spend(&app, c, 5, "k1").await.body["code"], "idempotency_key_reused");
        let missing =
            app.post(&format!("/api/v1/customers/{c}/points/spend"), json!({"point_type": "purchase", "points": 1})).await;
        assert_eq!((missing.status.as_u16(), missing.body["errors"][0]["field"].as_str()), (422, Some("idempotency_key")));

        // A full refund after spending leaves a debt: the balance goes negative and spending waits.
        app.post(&format!("/api/v1/invoices/{invoice}/refunds"), json!({"external_id": "S1R"})).await;
        let b = balance(&app, c, "purchase").await;
        assert_eq!((b["balance"].as_i64(), b["debt"].as_i64()), (Some(-80), Some(80)));
        assert_eq!(spend(&app, c, 1, "k2").await.body["code"], "insufficient_points");
        // The next earning pays the debt first.
        record(&app, purchase("S2", &now, "09120000002", json!([{"sku": "X", "quantity": 1, "unit_price": 100000}]))).await;
        let b = balance(&app, c, "purchase").await;
        assert_eq!((b["balance"].as_i64(), b["debt"].as_i64()), (Some(20), Some(0)));
        assert_eq!(spend(&app, c, 20, "k3").await.status, 201);

        // Adjustments need a reason and admin rights, and record who made them.
        let adj = app
            .post(
                &format!("/api/v1/customers/{c}/points/adjust"),
                json!({"point_type": "purchase", "points": 30, "idempotency_key": "a1"}),
            )
            .await;
        assert_eq!((adj.status.as_u16(), adj.body["errors"][0]["field"].as_str()), (422, Some("reason")));
        let adj = app
            .post(
                &format!("/api/v1/customers/{c}/points/adjust"),
                json!({"point_type": "purchase", "points": 30, "reason": "جبران تأخیر ارسال", "idempotency_key": "a1"}),
            )
            .await;
        assert_eq!(adj.status, 201, "{}", adj.body);
        assert!(adj.body["actor"].as_str().unwrap().starts_with("api_key:"));
        let neg = app
            .post(
                &format!("/api/v1/customers/{c}/points/adjust"),
                json!({"point_type": "purchase", "points": -31, "reason": "x", "idempotency_key": "a2"}),
            )
            .await;
        assert_eq!(neg.body["code"], "insufficient_points");
        let integration = app.engine.create_api_key(&app.ctx, "integration", None).await.unwrap().key;
        let r = app
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/customers/{c}/points/adjust"),
                Some(&integration),
                Some(json!({"point_type": "purchase", "points": 5, "reason": "x", "idempotency_key": "a3"})),
            )
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(balance(&app, c, "purchase").await["balance"], 30);
        let unknown = app
            .post("/api/v1/customers/999999/points/spend", json!({"point_type": "purchase", "points": 1, "idempotency_key": "z"}))
            .await;
        assert_eq!(unknown.status, 404);
        assert_rebuild_matches(&app).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn expired_points_are_never_spent_and_are_announced_first() {
    for app in common::apps().await {
        let r = app
            .post(
                "/api/v1/point-types",
                json!({"code": "short", "name": "کوتاه", "expiry": {"kind": "after_days", "days": 2}, "warn_days": 7}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        rule(&app, json!({"name": "s", "trigger": "invoice", "point_type": "short", "points": 10, "starts_at": "2020-01-01"}))
            .await;
        let old = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 5)).to_string();
        let now = jiff::Timestamp::now().to_string();
        let (_, c) =
            record(&app, purchase("E1", &old, "09120000003", json!([{"sku": "X", "quantity": 1, "unit_price": 1000}]))).await;
        record(&app, purchase("E2", &now, "09120000003", json!([{"sku": "X", "quantity": 1, "unit_price": 1000}]))).await;
        // The old lot is past its expiry even before the job runs: only 10 can be spent.
        let r = app
            .post(
                &format!("/api/v1/customers/{c}/points/spend"),
                json!({"point_type": "short", "points": 11, "idempotency_key": "x1"}),
            )
            .await;
        assert_eq!(r.body["code"], "insufficient_points", "{}", r.body);
        let report = app.post("/api/v1/points/expire", json!({})).await;
        assert_eq!(report.status, 200, "{}", report.body);
        assert_eq!(report.body["accounts"], 1);
        assert_eq!(report.body["warnings"], 1);
        let b = balance(&app, c, "short").await;
        assert_eq!((b["balance"].as_i64(), b["expiring_soon"].as_i64()), (Some(10), Some(10)));
        let ledger = app.get(&format!("/api/v1/customers/{c}/points/ledger?point_type=short")).await;
        let kinds: Vec<&str> = ledger.body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["expire", "earn", "earn"]);
        // Announced once only.
        let again = app.post("/api/v1/points/expire", json!({})).await;
        assert_eq!((again.body["accounts"].as_i64(), again.body["warnings"].as_i64()), (Some(0), Some(0)));
        let timeline = app.engine.store.customer_events(app.ctx.id, c, 10).await.unwrap();
        let warned: Vec<_> = timeline.iter().filter(|e| e.event_type == "points_expiring").collect();
        assert_eq!(warned.len(), 1);
        assert_eq!(warned[0].properties["points"], 10);
        assert_rebuild_matches(&app).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn late_invoices_earn_by_the_rule_version_of_their_time() {
    for app in common::apps().await {
        let v1 = rule(&app, json!({"name": "v", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 1000, "starts_at": "2025-01-01"})).await;
        let id = v1["id"].as_i64().unwrap();
        let r = app
            .put(
                &format!("/api/v1/earning-rules/{id}"),
                json!({"name": "v", "trigger": "invoice", "point_type": "purchase", "points": 3, "per_amount": 1000}),
            )
            .await;
        assert_eq!((r.status.as_u16(), r.body["version"].as_i64()), (200, Some(2)), "{}", r.body);
        let now = jiff::Timestamp::now().to_string();
        let (_, c) = record(
            &app,
            purchase("L1", "2025-06-01T10:00:00Z", "09120000004", json!([{"sku": "X", "quantity": 1, "unit_price": 10000}])),
        )
        .await;
        assert_eq!(balance(&app, c, "purchase").await["balance"], 10);
        record(&app, purchase("L2", &now, "09120000004", json!([{"sku": "X", "quantity": 1, "unit_price": 10000}]))).await;
        assert_eq!(balance(&app, c, "purchase").await["balance"], 40);
        let history = app.get(&format!("/api/v1/earning-rules/{id}")).await;
        assert_eq!(history.body.as_array().unwrap().len(), 2);
        assert_eq!(history.body[1]["active"], false);
        // Disabled: nothing more from now on; an invoice before stays as it was.
        let r = app.request(reqwest::Method::DELETE, &format!("/api/v1/earning-rules/{id}"), Some(&app.key), None).await;
        assert_eq!((r.status.as_u16(), r.body["active"].as_bool()), (200, Some(false)));
        record(
            &app,
            purchase(
                "L3",
                &jiff::Timestamp::now().to_string(),
                "09120000004",
                json!([{"sku": "X", "quantity": 1, "unit_price": 10000}]),
            ),
        )
        .await;
        assert_eq!(balance(&app, c, "purchase").await["balance"], 40);
        app.finish().await;
    }
}

#[tokio::test]
async fn event_rules_respect_their_caps_per_period() {
    for app in common::apps().await {
        app.post("/api/v1/point-types", json!({"code": "engagement", "name": "تعامل"})).await;
        rule(
            &app,
            json!({"name": "share", "trigger": "event", "event_type": "content_shared", "point_type": "engagement", "points": 5,
                   "caps": {"per_day": 10}, "starts_at": "2025-01-01"}),
        )
        .await;
        let events: Vec<Value> = (0..3)
            .map(|i| json!({"event_id": format!("e{i}"), "type": "content_shared", "occurred_at": "2026-03-01T10:00:00Z", "customer": {"mobile": "09120000005"}}))
            .chain([json!({"event_id": "e3", "type": "content_shared", "occurred_at": "2026-03-02T10:00:00Z", "customer": {"mobile": "09120000005"}})])
            .collect();
        let r = app.post("/api/v1/events/batch", json!({"events": events})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let c = r.body["results"][0]["customer_id"].as_i64().unwrap();
        assert_eq!(balance(&app, c, "engagement").await["balance"], 15);
        // Replayed events earn nothing.
        app.post("/api/v1/events/batch", json!({"events": events})).await;
        assert_eq!(balance(&app, c, "engagement").await["balance"], 15);
        // Later requests read what earlier ones used: the first day is full, the second has room
        // for one more share.
        for (id, day) in [("e4", "2026-03-01"), ("e5", "2026-03-02"), ("e6", "2026-03-02")] {
            let later = json!({"events": [{"event_id": id, "type": "content_shared", "occurred_at": format!("{day}T18:00:00Z"),
                "customer": {"mobile": "09120000005"}}]});
            assert_eq!(app.post("/api/v1/events/batch", later).await.status, 200);
        }
        assert_eq!(balance(&app, c, "engagement").await["balance"], 20);
        app.finish().await;
    }
}

/// The dry run reads the customer's cap usage as recording does: what the day already gave is
/// held back, another day starts afresh.
#[tokio::test]
async fn the_dry_run_holds_back_what_the_caps_already_gave() {
    for app in common::apps().await {
        rule(
            &app,
            json!({"name": "capped", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 10000,
                   "caps": {"per_day": 15}, "starts_at": "2025-01-01"}),
        )
        .await;
        let lines = json!([{"sku": "X", "quantity": 1, "unit_price": 100000}]);
        let (_, customer) = record(&app, purchase("C1", "2026-03-10T10:00:00Z", "09120000007", lines.clone())).await;
        assert_eq!(balance(&app, customer, "purchase").await["balance"], 10);
        let dry = |id: &str, at: &str| {
            let body = purchase(id, at, "09120000007", lines.clone());
            let app = &app;
            async move {
                let r = app.post("/api/v1/earning-rules/dry-run", body).await;
                assert_eq!(r.status, 200, "{}", r.body);
                (r.body["awards"][0]["points"].as_i64(), r.body["awards"][0]["capped"].as_i64())
            }
        };
        assert_eq!(dry("C2", "2026-03-10T18:00:00Z").await, (Some(5), Some(5)), "{}", app.backend);
        assert_eq!(dry("C3", "2026-03-11T10:00:00Z").await, (Some(10), Some(0)), "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn bad_rules_and_types_are_refused_with_their_fields() {
    for app in common::apps().await {
        let r = app
            .post(
                "/api/v1/earning-rules",
                json!({"name": "x", "trigger": "invoice", "point_type": "nope", "points": 1,
                       "condition": {"all": [{"field": "invoice.total", "op": "gte", "value": "lots"}]}}),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "condition.all[0].value");
        let r = app
            .post("/api/v1/earning-rules", json!({"name": "x", "trigger": "invoice", "point_type": "nope", "points": 1}))
            .await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("point_type")));
        let r = app.post("/api/v1/point-types", json!({"code": "purchase", "name": "again"})).await;
        assert_eq!(r.status, 409);
        let r =
            app.post("/api/v1/point-types", json!({"code": "x", "name": "x", "expiry": {"kind": "after_days", "days": 0}})).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("expiry")));
        let types = app.get("/api/v1/point-types").await;
        assert_eq!(types.body.as_array().unwrap().len(), 1, "a new tenant starts with purchase points");

        // The dry run explains, and writes nothing.
        rule(&app, json!({"name": "base", "trigger": "invoice", "point_type": "purchase", "points": 2, "per_amount": 10000}))
            .await;
        let dry = app
            .post(
                "/api/v1/earning-rules/dry-run",
                purchase(
                    "D1",
                    &jiff::Timestamp::now().to_string(),
                    "09120000006",
                    json!([{"sku": "X", "quantity": 1, "unit_price": 55000}]),
                ),
            )
            .await;
        assert_eq!(dry.status, 200, "{}", dry.body);
        assert_eq!(dry.body["totals"]["purchase"], 10);
        assert_eq!(dry.body["awards"][0]["rule"], "base");
        assert_eq!(app.get("/api/v1/invoices").await.body["items"].as_array().unwrap().len(), 0);
        app.finish().await;
    }
}

#[tokio::test]
async fn concurrent_deliveries_and_spends_stay_exact() {
    for app in common::apps().await {
        rule(&app, json!({"name": "r", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 1000})).await;
        let now = jiff::Timestamp::now().to_string();
        let body = purchase("C1", &now, "09120000007", json!([{"sku": "X", "quantity": 1, "unit_price": 100000}]));
        let deliveries = (0..20).map(|_| app.post("/api/v1/invoices", body.clone()));
        let results = futures::future::join_all(deliveries).await;
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);
        let c = results.iter().find(|r| r.status == 201).unwrap().body["customer_id"].as_i64().unwrap();
        assert_eq!(balance(&app, c, "purchase").await["balance"], 100);

        // 30 spends of 10 with different keys against 100 points: exactly 10 succeed.
        let keys: Vec<String> = (0..30).map(|i| format!("p{i}")).collect();
        let spends = keys.iter().map(|k| spend(&app, c, 10, k));
        let results = futures::future::join_all(spends).await;
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 10, "{}", app.backend);
        assert!(results.iter().all(|r| r.status == 201 || r.body["code"] == "insufficient_points"));
        assert_eq!(balance(&app, c, "purchase").await["balance"], 0);

        // The same spend sent 10 times at once is recorded once.
        app.post(
            &format!("/api/v1/customers/{c}/points/adjust"),
            json!({"point_type": "purchase", "points": 50, "reason": "r", "idempotency_key": "top-up"}),
        )
        .await;
        let same = (0..10).map(|_| spend(&app, c, 20, "same"));
        let results = futures::future::join_all(same).await;
        assert!(
            results.iter().all(|r| r.status == 201 || r.status == 200),
            "{:?}",
            results.iter().map(|r| &r.body).collect::<Vec<_>>()
        );
        assert_eq!(results.iter().filter(|r| r.status == 201).count(), 1);
        assert_eq!(balance(&app, c, "purchase").await["balance"], 30);
        assert_rebuild_matches(&app).await;
        app.finish().await;
    }
}

/// Random mixes of earning (some backdated past expiry), spending, adjusting, refunds and
/// expiry keep every balance equal to its open lots minus debt and to the sum of its entries,
/// and a rebuild from the entries gives the same state.
#[tokio::test]
async fn random_ledger_workloads_rebuild_to_the_same_balances() {
    use philia_engine::demo::DemoRng;
    for app in common::apps().await {
        app.post("/api/v1/point-types", json!({"code": "quick", "name": "q", "expiry": {"kind": "after_days", "days": 3}})).await;
        rule(&app, json!({"name": "a", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 1000, "starts_at": "2020-01-01"})).await;
        rule(&app, json!({"name": "b", "trigger": "invoice", "point_type": "quick", "points": 7, "starts_at": "2020-01-01", "caps": {"per_week": 20}})).await;
        for seed in 0..4u64 {
            let mut rng = DemoRng::new(seed);
            let mut invoices: Vec<i64> = Vec::new();
            let mut customers: Vec<i64> = Vec::new();
            for step in 0..60 {
                match rng.below(8) {
                    0..=2 => {
                        let days_ago = rng.below(8) as i64;
                        let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days_ago)).to_string();
                        let mobile = format!("0913{seed}00{:04}", rng.below(4));
                        let body = purchase(
                            &format!("{seed}-{step}"),
                            &at,
                            &mobile,
                            json!([{"sku": "X", "quantity": 1, "unit_price": 1000 * (1 + rng.below(60))}]),
                        );
                        let (id, c) = record(&app, body).await;
                        invoices.push(id);
                        customers.push(c);
                    }
                    3 | 4 if !customers.is_empty() => {
                        let c = customers[rng.below(customers.len() as u64) as usize];
                        let t = if rng.below(2) == 0 { "purchase" } else { "quick" };
                        app.post(
                            &format!("/api/v1/customers/{c}/points/spend"),
                            json!({"point_type": t, "points": 1 + rng.below(40), "idempotency_key": format!("{seed}-{step}")}),
                        )
                        .await;
                    }
                    5 if !customers.is_empty() => {
                        let c = customers[rng.below(customers.len() as u64) as usize];
                        let points = rng.below(30) as i64 - 10;
                        if points != 0 {
                            app.post(&format!("/api/v1/customers/{c}/points/adjust"), json!({"point_type": "purchase", "points": points, "reason": "r", "idempotency_key": format!("{seed}-{step}")})).await;
                        }
                    }
                    6 if !invoices.is_empty() => {
                        let id = invoices[rng.below(invoices.len() as u64) as usize];
                        let amount = if rng.below(2) == 0 { json!(null) } else { json!(1 + rng.below(20_000)) };
                        app.post(
                            &format!("/api/v1/invoices/{id}/refunds"),
                            json!({"external_id": format!("r{seed}-{step}"), "amount": amount}),
                        )
                        .await;
                    }
                    _ => {
                        app.post("/api/v1/points/expire", json!({})).await;
                    }
                }
            }
            for c in &customers {
                for b in app.get(&format!("/api/v1/customers/{c}/points")).await.body.as_array().unwrap() {
                    let ledger = app
                        .get(&format!(
                            "/api/v1/customers/{c}/points/ledger?point_type={}&limit=500",
                            b["point_type"].as_str().unwrap()
                        ))
                        .await;
                    let items = ledger.body["items"].as_array().unwrap();
                    let sum: i64 = items.iter().map(|e| e["points"].as_i64().unwrap()).sum();
                    let open: i64 = items.iter().map(|e| e["remaining"].as_i64().unwrap()).sum();
                    let (bal, debt) = (b["balance"].as_i64().unwrap(), b["debt"].as_i64().unwrap());
                    assert_eq!(bal, sum, "{} seed {seed}: balance is the sum of the ledger", app.backend);
                    assert_eq!(bal, open - debt, "{} seed {seed}: balance is the open lots minus debt", app.backend);
                    assert!(debt == 0 || open == 0, "{} seed {seed}: a debt leaves no open lot: {b}", app.backend);
                }
            }
        }
        assert_rebuild_matches(&app).await;
        app.finish().await;
    }
}

async fn assert_rebuild_matches(app: &TestApp) {
    let before = app.engine.store.points_snapshot(app.ctx.id).await.unwrap();
    app.engine.rebuild(&app.ctx).await.unwrap();
    let after = app.engine.store.points_snapshot(app.ctx.id).await.unwrap();
    assert_eq!(before, after, "{}: points rebuilt from the entries differ", app.backend);
}
