//! Invoices, refunds and events (SPEC A5): idempotent, exact under concurrency, backdating-safe.

mod common;

use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_is_recorded_once_however_often_it_arrives() {
    for app in common::apps().await {
        let body = common::invoice("W-1001", "2025-01-05T10:00:00Z", "09121234567", 2_450_000);
        let first = app.post("/api/v1/invoices", body.clone()).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}: {}", app.backend, first.body);
        let again = app.post("/api/v1/invoices", body.clone()).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.body["status"], "duplicate");
        assert_eq!(again.body["id"], first.body["id"]);
        let mut changed = body.clone();
        changed["lines"][0]["unit_price"] = json!(1);
        assert_eq!(app.post("/api/v1/invoices", changed).await.status, StatusCode::CONFLICT);

        // Twenty deliveries of one new invoice at once: exactly one is recorded.
        let body = common::invoice("W-2002", "2025-01-06T10:00:00Z", "09351234567", 100_000);
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (client, url, key, body) =
                (app.client.clone(), format!("{}/api/v1/invoices", app.base), app.key.clone(), body.clone());
            tasks.push(tokio::spawn(async move { client.post(url).bearer_auth(key).json(&body).send().await.unwrap().status() }));
        }
        let mut created = 0;
        for t in tasks {
            let status = t.await.unwrap();
            assert!(status == StatusCode::CREATED || status == StatusCode::OK, "{status}");
            created += usize::from(status == StatusCode::CREATED);
        }
        assert_eq!(created, 1, "{}", app.backend);
        let customer = app.get("/api/v1/customers?q=09351234567").await;
        assert_eq!(customer.body["items"][0]["stats"]["invoice_count"], 1);
        assert_eq!(customer.body["items"][0]["stats"]["gross_spend"], 100_000);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_batch_records_the_valid_and_names_the_invalid() {
    for app in common::apps().await {
        let invoices = vec![
            common::invoice("B-1", "2025-02-01T10:00:00Z", "09121110001", 1000),
            json!({"external_id": "B-2", "issued_at": "not a date", "lines": [{"sku": "X", "unit_price": 5}]}),
            common::invoice("B-1", "2025-02-01T10:00:00Z", "09121110001", 1000),
            common::invoice("B-3", "1403/11/13 09:30", "09121110002", 3000),
            json!({"external_id": "B-4", "issued_at": "2025-02-01", "lines": [{"sku": "X", "unit_price": 5}]}),
        ];
        let r = app.post("/api/v1/invoices/batch", json!({"invoices": invoices})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["summary"], json!({"created": 3, "duplicate": 1, "conflict": 0, "invalid": 1}));
        assert_eq!(r.body["results"][1]["errors"][0]["field"], "invoices[1].issued_at");
        assert_eq!(r.body["results"][2]["id"], r.body["results"][0]["id"]);
        // An anonymous walk-in sale counts in the day's sales but belongs to no customer.
        assert_eq!(r.body["results"][4]["customer_id"], serde_json::Value::Null);
        let day = app.get("/api/v1/stats/daily?from=2025-02-01&to=2025-02-01").await;
        assert_eq!(day.body[0]["invoices"], 3, "{}", day.body);
        assert_eq!(day.body[0]["sales"], 1000 + 3000 + 5);
        // The invoice for an unknown customer created that customer from its billing details.
        let c = app.get("/api/v1/customers?q=09121110002").await;
        assert_eq!(c.body["items"][0]["first_name"], "سارا");
        assert_eq!(c.body["items"][0]["last_name"], "احمدی");
        let too_many: Vec<_> = (0..10_001).map(|i| common::invoice(&format!("T{i}"), "2025-01-01", "09120000000", 1)).collect();
        let r = app.post("/api/v1/invoices/batch", json!({"invoices": too_many})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.get("/api/v1/customers?q=09120000000").await.body["items"],
            json!([]),
            "nothing of the refused batch was written"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn backdated_invoices_end_as_if_they_came_in_order() {
    for app in common::apps().await {
        app.post("/api/v1/invoices", common::invoice("L-2", "2025-05-10T10:00:00Z", "09127770000", 300)).await;
        let before = app.get("/api/v1/stats/daily?from=2025-05-01&to=2025-05-31").await;
        assert_eq!(before.body[0]["new_customers"], 1);
        // A late invoice from April moves the customer's first purchase, and the new-customer count with it.
        app.post("/api/v1/invoices", common::invoice("L-1", "2025-04-01T10:00:00Z", "09127770000", 200)).await;
        let may = app.get("/api/v1/stats/daily?from=2025-05-10&to=2025-05-10").await;
        assert_eq!(may.body[0]["new_customers"], 0, "{}", may.body);
        let april = app.get("/api/v1/stats/daily?from=2025-04-01&to=2025-04-01").await;
        assert_eq!(april.body[0]["new_customers"], 1);
        let c = app.get("/api/v1/customers?q=09127770000").await;
        assert_eq!(c.body["items"][0]["stats"]["first_purchase_at"], "2025-04-01T10:00:00Z");
        assert_eq!(c.body["items"][0]["stats"]["last_purchase_at"], "2025-05-10T10:00:00Z");
        let before = app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap();
        app.engine.rebuild(&app.ctx).await.unwrap();
        assert_eq!(before, app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap());
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_never_exceed_the_invoice_even_at_once() {
    for app in common::apps().await {
        let inv = app.post("/api/v1/invoices", common::invoice("R-1", "2025-06-01T10:00:00Z", "09129990000", 1_000_000)).await;
        let id = inv.body["id"].as_i64().unwrap();
        let partial = app
            .post(
                &format!("/api/v1/invoices/{id}/refunds"),
                json!({"external_id": "RF-1", "amount": 250_000, "reason": "یک قلم مرجوع شد"}),
            )
            .await;
        assert_eq!(partial.status, StatusCode::CREATED, "{}", partial.body);
        let retry = app.post(&format!("/api/v1/invoices/{id}/refunds"), json!({"external_id": "RF-1", "amount": 250_000})).await;
        assert_eq!(retry.status, StatusCode::OK);
        assert_eq!(retry.body["id"], partial.body["id"]);
        let over = app.post(&format!("/api/v1/invoices/{id}/refunds"), json!({"external_id": "RF-2", "amount": 800_000})).await;
        assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(over.body["errors"][0]["field"], "amount");
        // Twelve refunds of 100,000 at once against the 750,000 left: exactly seven fit.
        let mut tasks = Vec::new();
        for k in 0..12 {
            let (client, url, key) = (app.client.clone(), format!("{}/api/v1/invoices/{id}/refunds", app.base), app.key.clone());
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"external_id": format!("C-{k}"), "amount": 100_000}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
        let mut ok = 0;
        for t in tasks {
            ok += usize::from(t.await.unwrap() == StatusCode::CREATED);
        }
        assert_eq!(ok, 7, "{}", app.backend);
        let rest = app.post(&format!("/api/v1/invoices/{id}/refunds"), json!({"external_id": "RF-ALL"})).await;
        assert_eq!(rest.body["amount"], 50_000, "{}", rest.body);
        let invoice = app.get(&format!("/api/v1/invoices/{id}")).await;
        assert_eq!(invoice.body["refunded_total"], 1_000_000);
        let c = app.get("/api/v1/customers?q=09129990000").await;
        assert_eq!(c.body["items"][0]["stats"]["net_spend"], 0);
        assert_eq!(c.body["items"][0]["stats"]["refund_count"], 9);
        let nothing_left = app.post(&format!("/api/v1/invoices/{id}/refunds"), json!({"external_id": "RF-X"})).await;
        assert_eq!(nothing_left.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.get(&format!("/api/v1/invoices/{id}/refunds")).await.body.as_array().unwrap().len(), 9);
        let before = app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap();
        app.engine.rebuild(&app.ctx).await.unwrap();
        assert_eq!(before, app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap());
        app.finish().await;
    }
}

#[tokio::test]
async fn events_count_once_and_feed_login_times() {
    for app in common::apps().await {
        let e = json!({"event_id": "ev-1", "type": "club_login", "occurred_at": "2025-07-01T09:00:00Z", "customer": {"mobile": "09124440000"}, "properties": {"device": "phone"}});
        assert_eq!(app.post("/api/v1/events", e.clone()).await.status, StatusCode::CREATED);
        assert_eq!(app.post("/api/v1/events", e).await.status, StatusCode::OK);
        let batch = json!({"events": [
            {"event_id": "ev-2", "type": "club_login", "occurred_at": "2025-06-01T09:00:00Z", "customer": {"mobile": "09124440000"}},
            {"event_id": "ev-3", "type": "club_logout", "occurred_at": "2025-07-01T10:00:00Z", "customer": {"mobile": "09124440000"}},
            {"event_id": "ev-3", "type": "club_logout", "occurred_at": "2025-07-01T10:00:00Z", "customer": {"mobile": "09124440000"}},
            {"type": "page_view", "properties": {"path": "/"}},
            {"type": "Bad Type!"}
        ]});
        let r = app.post("/api/v1/events/batch", batch).await;
        assert_eq!(r.body["summary"], json!({"created": 3, "duplicate": 1, "conflict": 0, "invalid": 1}), "{}", r.body);
        assert_eq!(r.body["results"][4]["errors"][0]["field"], "events[4].type");
        let c = app.get("/api/v1/customers?q=09124440000").await;
        let s = &c.body["items"][0]["stats"];
        assert_eq!(s["first_login_at"], "2025-06-01T09:00:00Z");
        assert_eq!(s["last_login_at"], "2025-07-01T09:00:00Z");
        assert_eq!(s["last_logout_at"], "2025-07-01T10:00:00Z");
        assert_eq!(s["event_count"], 3);
        let before = app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap();
        app.engine.rebuild(&app.ctx).await.unwrap();
        assert_eq!(before, app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap());
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_sharing_new_customers_both_succeed() {
    for app in common::apps().await {
        // Two batches that meet the same new customers in opposite orders, at the same time.
        for round in 0..3 {
            let forward: Vec<_> = (0..60)
                .map(|i| {
                    common::invoice(
                        &format!("F{round}-{i}"),
                        "2025-03-01T10:00:00Z",
                        &format!("0912555{:04}", round * 100 + i),
                        10,
                    )
                })
                .collect();
            let backward: Vec<_> = (0..60)
                .rev()
                .map(|i| {
                    common::invoice(
                        &format!("B{round}-{i}"),
                        "2025-03-01T11:00:00Z",
                        &format!("0912555{:04}", round * 100 + i),
                        20,
                    )
                })
                .collect();
            let mut tasks = Vec::new();
            for batch in [forward, backward] {
                let (client, url, key) = (app.client.clone(), format!("{}/api/v1/invoices/batch", app.base), app.key.clone());
                tasks.push(tokio::spawn(async move {
                    let res = client.post(url).bearer_auth(key).json(&json!({"invoices": batch})).send().await.unwrap();
                    (res.status(), res.json::<serde_json::Value>().await.unwrap())
                }));
            }
            for t in tasks {
                let (status, body) = t.await.unwrap();
                assert_eq!(status, StatusCode::OK, "{}: {body}", app.backend);
                assert_eq!(body["summary"]["created"], 60);
            }
        }
        let mut count = 0;
        let mut cursor = String::new();
        loop {
            let page = app.get(&format!("/api/v1/customers?limit=500{cursor}")).await;
            for c in page.body["items"].as_array().unwrap() {
                assert_eq!(c["stats"]["invoice_count"], 2, "each customer has one invoice of each batch");
                count += 1;
            }
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(count, 180, "{}", app.backend);
        app.finish().await;
    }
}
