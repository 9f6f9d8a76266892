//! Customers (SPEC A1) and identity resolution (A2), on every backend.

mod common;

use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn full_profile_round_trips_and_every_mobile_writing_is_one_customer() {
    for app in common::apps().await {
        let created = app
            .post(
                "/api/v1/customers",
                json!({
                    "external_ids": [{"source": "woocommerce", "id": "25"}],
                    "mobile": "۰۹۱۲ ۱۲۳ ۴۵۶۷", "email": "Sara.Ahmadi@Example.com",
                    "first_name": "سارا", "last_name": "احمدی", "gender": "زن", "birth_date": "1369/02/27",
                    "province": "تهران", "city": "تهران", "address_line": "خیابان ولیعصر، پلاک ۱", "postal_code": "1234567890",
                    "social": {"instagram": "@sara"}, "attributes": {"shoe_size": 38, "vegan": true, "note": "x"},
                    "tags": ["VIP", "coffee"], "interests": ["perfume"], "sms_opt_in": true, "email_opt_in": false
                }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}: {}", app.backend, created.body);
        let c = &created.body["customer"];
        let id = c["id"].as_i64().unwrap();
        assert_eq!(c["mobile"], "+989121234567");
        assert_eq!(c["email"], "sara.ahmadi@example.com");
        assert_eq!(c["gender"], "female");
        assert_eq!(c["birth_date"], "1990-05-17");
        assert_eq!(c["attributes"]["shoe_size"], 38);
        assert_eq!(c["attributes"]["vegan"], true);
        assert_eq!(c["tags"], json!(["vip", "coffee"]));
        assert_eq!(c["sms_consent"]["opted_in"], true);
        assert!(c["sms_consent"]["changed_at"].is_string());
        assert_eq!(c["external_ids"], json!([{"source": "woocommerce", "id": "25"}]));

        for (n, writing) in
            ["09121234567", "+989121234567", "00989121234567", "9121234567", "٠٩١٢١٢٣٤٥٦٧", "0912-123-4567"].iter().enumerate()
        {
            let r = app.post("/api/v1/customers", json!({"mobile": writing, "city": format!("شهر {n}")})).await;
            assert_eq!(r.status, StatusCode::OK, "{writing}: {}", r.body);
            assert_eq!(r.body["outcome"]["customer_id"], id, "{writing}");
            assert_eq!(r.body["outcome"]["created"], false);
        }
        // Sending the same data again changes nothing.
        let again = app.post("/api/v1/customers", json!({"mobile": "09121234567", "city": "شهر 5"})).await;
        assert_eq!(again.body["outcome"]["changed"], false);

        let by_email = app.get("/api/v1/customers?q=SARA.AHMADI@example.com").await;
        assert_eq!(by_email.body["items"][0]["id"], id);
        let by_name = app.get(&format!("/api/v1/customers?q={}", urlencode("سارا اح"))).await;
        assert_eq!(by_name.body["items"][0]["id"], id, "{}", by_name.body);
        let by_external = app.get("/api/v1/customers?q=25").await;
        assert_eq!(by_external.body["items"][0]["id"], id);
        let by_tag = app.get("/api/v1/customers?tag=vip").await;
        assert_eq!(by_tag.body["items"].as_array().unwrap().len(), 1);
        let none = app.get("/api/v1/customers?tag=nobody").await;
        assert_eq!(none.body["items"], json!([]));

        // Consent withdrawn: the time is recorded.
        let r = app.patch(&format!("/api/v1/customers/{id}"), json!({"sms_opt_in": false, "last_name": ""})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["customer"]["sms_consent"]["opted_in"], false);
        assert_eq!(r.body["customer"]["last_name"], serde_json::Value::Null);
        app.finish().await;
    }
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn pagination_visits_every_customer_once() {
    for app in common::apps().await {
        let batch: Vec<_> = (0..23).map(|i| json!({"mobile": format!("0912000{i:04}"), "first_name": format!("n{i}")})).collect();
        let r = app.post("/api/v1/customers/batch", json!({"customers": batch})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut seen = std::collections::BTreeSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/customers?limit=5&cursor={c}"),
                None => "/api/v1/customers?limit=5".into(),
            };
            let page = app.get(&path).await;
            for c in page.body["items"].as_array().unwrap() {
                assert!(seen.insert(c["id"].as_i64().unwrap()), "a customer appeared twice");
            }
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 23);
        let bad = app.get("/api/v1/customers?cursor=zzz").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "cursor");
        app.finish().await;
    }
}

#[tokio::test]
async fn conflicting_identifiers_are_recorded_not_merged() {
    for app in common::apps().await {
        let a = app.post("/api/v1/customers", json!({"mobile": "09120000001"})).await.body["customer"]["id"].as_i64().unwrap();
        let b = app.post("/api/v1/customers", json!({"email": "b@example.com"})).await.body["customer"]["id"].as_i64().unwrap();
        let r = app.post("/api/v1/customers", json!({"mobile": "09120000001", "email": "b@example.com", "city": "شیراز"})).await;
        assert_eq!(r.body["outcome"]["customer_id"], a, "mobile wins over email");
        assert_eq!(r.body["outcome"]["conflicting_identifiers"], json!(["e:b@example.com"]));
        assert_eq!(r.body["customer"]["email"], serde_json::Value::Null, "b's email is not moved to a");
        assert_eq!(app.get(&format!("/api/v1/customers/{b}")).await.body["email"], "b@example.com");
        let conflicts = app.get("/api/v1/identity-conflicts").await;
        let list = conflicts.body.as_array().unwrap();
        assert_eq!(list.len(), 1, "{}", conflicts.body);
        assert_eq!(list[0]["chosen_customer_id"], a);
        let mut ids: Vec<i64> = list[0]["customer_ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
        ids.sort();
        assert_eq!(ids, {
            let mut v = vec![a, b];
            v.sort();
            v
        });
        // An invoice whose identifiers disagree attaches to the most specific match and is recorded too.
        let inv = app
            .post("/api/v1/invoices", json!({"external_id": "I1", "issued_at": "2025-01-01T10:00:00Z", "customer": {"mobile": "09120000001", "email": "b@example.com"}, "lines": [{"sku": "A", "unit_price": 100}]}))
            .await;
        assert_eq!(inv.body["customer_id"], a);
        assert_eq!(app.get("/api/v1/identity-conflicts").await.body.as_array().unwrap().len(), 2);
        // Merging resolves the conflicts of the merged customer.
        let merged = app.post(&format!("/api/v1/customers/{a}/merge"), json!({"merge_id": b})).await;
        assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);
        assert_eq!(app.get("/api/v1/identity-conflicts").await.body, json!([]));
        app.finish().await;
    }
}

#[tokio::test]
async fn merge_moves_history_and_keeps_the_old_id() {
    for app in common::apps().await {
        let r1 =
            app.post("/api/v1/invoices", common::invoice("A-1", "2025-03-01T10:00:00+03:30", "09121111111", 1_000_000)).await;
        let r2 = app.post("/api/v1/invoices", common::invoice("B-1", "2025-02-01T10:00:00+03:30", "09122222222", 500_000)).await;
        let r3 = app.post("/api/v1/invoices", common::invoice("B-2", "2025-03-01T18:00:00+03:30", "09122222222", 200_000)).await;
        let (a, b) = (r1.body["customer_id"].as_i64().unwrap(), r2.body["customer_id"].as_i64().unwrap());
        assert_eq!(r3.body["customer_id"], b);
        app.post("/api/v1/events", json!({"event_id": "e1", "type": "club_login", "occurred_at": "2025-03-02T08:00:00Z", "customer": {"mobile": "09122222222"}})).await;
        let merged = app.post(&format!("/api/v1/customers/{a}/merge"), json!({"merge_id": b})).await;
        assert_eq!(merged.status, StatusCode::OK, "{}", merged.body);
        let s = &merged.body["stats"];
        assert_eq!(s["invoice_count"], 3);
        assert_eq!(s["gross_spend"], 1_700_000);
        assert_eq!(s["first_purchase_at"], "2025-02-01T06:30:00Z");
        assert_eq!(s["last_login_at"], "2025-03-02T08:00:00Z");
        // The old id and the old mobile both find the survivor.
        assert_eq!(app.get(&format!("/api/v1/customers/{b}")).await.body["id"], a);
        let again = app.post("/api/v1/invoices", common::invoice("B-3", "2025-04-01T10:00:00Z", "09122222222", 1)).await;
        assert_eq!(again.body["customer_id"], a);
        // Both bought on 2025-03-01: that day now has one active customer, not two.
        let day = app.get("/api/v1/stats/daily?from=2025-03-01&to=2025-03-01").await;
        assert_eq!(day.body[0]["active_customers"], 1, "{}", day.body);
        let timeline = app.get(&format!("/api/v1/customers/{a}/timeline")).await;
        assert_eq!(timeline.body.as_array().unwrap().len(), 5, "{}", timeline.body);
        let before = app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap();
        app.engine.rebuild(&app.ctx).await.unwrap();
        assert_eq!(before, app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap(), "{}", app.backend);
        let self_merge = app.post(&format!("/api/v1/customers/{a}/merge"), json!({"merge_id": a})).await;
        assert_eq!(self_merge.status, StatusCode::UNPROCESSABLE_ENTITY);
        let twice = app.post(&format!("/api/v1/customers/{a}/merge"), json!({"merge_id": b})).await;
        assert_eq!(twice.status, StatusCode::CONFLICT);
        app.finish().await;
    }
}

#[tokio::test]
async fn bad_customer_input_names_each_field() {
    for app in common::apps().await {
        let r = app
            .post("/api/v1/customers", json!({"mobile": "12345", "email": "nope", "gender": "x", "birth_date": "1403/13/40"}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["code"], "validation_failed");
        let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["mobile", "email", "gender", "birth_date"]);
        assert!(r.body["errors"][0]["message_fa"].as_str().unwrap().contains("موبایل"));
        let unknown = app.post("/api/v1/customers", json!({"mobil": "09121234567"})).await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert!(unknown.body["detail"].as_str().unwrap().contains("mobil"), "{}", unknown.body);
        let wrong_type = app.post("/api/v1/customers", json!({"tags": "vip"})).await;
        assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
        assert_eq!(wrong_type.body["errors"][0]["field"], "tags");
        let bad_id = app.request(Method::GET, "/api/v1/customers/abc", Some(&app.key), None).await;
        assert_eq!(bad_id.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.get("/api/v1/customers/999999999").await.status, StatusCode::NOT_FOUND);
        // Nothing was written by the refused requests.
        assert_eq!(app.get("/api/v1/customers").await.body["items"], json!([]));
        app.finish().await;
    }
}
