//! The platform over the API: monthly usage and its price, plans and what the Economic plan
//! allows, and the audit log of changes — on every backend.

mod common;

use common::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

const OPERATOR: &str = "operator-token-for-tests";

/// The tenant-local (Tehran) day of an instant, as the usage months name their days.
fn tehran_day(ts: jiff::Timestamp) -> String {
    ts.to_zoned(jiff::tz::TimeZone::get("Asia/Tehran").unwrap()).date().to_string()
}

async fn set_plan(app: &TestApp, plan: &str) -> common::Response {
    app.request(Method::PUT, "/api/v1/tenants/shop/plan", Some(OPERATOR), Some(json!({ "plan": plan }))).await
}

async fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/audit?{query}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["entries"].as_array().unwrap().clone()
}

#[tokio::test]
async fn usage_counts_each_month_s_invoices_and_prices_them() {
    for app in common::apps().await {
        let now = jiff::Timestamp::now();
        let dates = [
            now - jiff::SignedDuration::from_hours(1),
            now - jiff::SignedDuration::from_hours(2),
            now - jiff::SignedDuration::from_hours(3),
            now - jiff::SignedDuration::from_hours(24 * 40),
            now - jiff::SignedDuration::from_hours(24 * 41),
        ];
        for (i, at) in dates.iter().enumerate() {
            let r = app.post("/api/v1/invoices", common::invoice(&format!("u{i}"), &at.to_string(), "09121112233", 50_000)).await;
            assert!(r.status.is_success(), "{}", r.body);
        }
        // A retried invoice is not a second invoice.
        app.post("/api/v1/invoices", common::invoice("u0", &dates[0].to_string(), "09121112233", 50_000)).await;

        let r = app.get("/api/v1/usage?months=3").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["plan"], "prime");
        let months = r.body["months"].as_array().unwrap();
        assert_eq!(months.len(), 3);
        assert_eq!(months[0]["calendar"], "jalali");
        assert_eq!(months[0]["closed"], false);
        assert!(months[1]["closed"].as_bool().unwrap());
        // Each invoice is counted in the month holding its tenant-local day; months tile.
        for m in months {
            let (from, to) = (m["from"].as_str().unwrap(), m["to"].as_str().unwrap());
            let expected = dates.iter().filter(|d| (from..=to).contains(&tehran_day(**d).as_str())).count() as i64;
            assert_eq!(m["invoices"].as_i64(), Some(expected), "{m}");
            assert!(m["amount"].is_null(), "Prime is priced by contract");
        }
        let counted: i64 = months.iter().map(|m| m["invoices"].as_i64().unwrap()).sum();
        assert_eq!(counted, 5);

        // On the Economic plan a small month costs the flat fee.
        assert_eq!(set_plan(&app, "economic").await.status, 200);
        let r = app.get("/api/v1/usage").await;
        assert_eq!(r.body["plan"], "economic");
        let this = &r.body["months"][0];
        assert_eq!(this["amount"].as_i64(), Some(3_000_000));
        assert_eq!(this["band"]["price"], json!({"kind": "flat", "toman": 3_000_000}));
        assert_eq!(r.body["bands"].as_array().unwrap().len(), 7);
        assert_eq!(r.body["months"].as_array().unwrap().len(), 12);

        // A Gregorian month on a Jalali tenant, and bad input named by field.
        let r = app.get("/api/v1/usage?month=2026-12&months=1").await;
        assert_eq!(
            (r.body["months"][0]["from"].as_str(), r.body["months"][0]["calendar"].as_str()),
            (Some("2026-12-01"), Some("gregorian"))
        );
        let r = app.get("/api/v1/usage?month=1405-13").await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("month")));
        let r = app.get("/api/v1/usage?months=37").await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("months")));

        // Only the operator moves a tenant between plans.
        let r = app.request(Method::PUT, "/api/v1/tenants/shop/plan", Some(&app.key), Some(json!({"plan": "prime"}))).await;
        assert_eq!(r.status, 401);
        let r = set_plan(&app, "platinum").await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("plan")));
        app.finish().await;
    }
}

#[tokio::test]
async fn the_economic_plan_offers_the_ready_missions_and_games() {
    for app in common::apps().await {
        assert_eq!(set_plan(&app, "economic").await.status, 200);
        let custom = json!({"code": "coffee-lover", "name": "x", "goal": {"fact": "invoice", "target": 5, "label": "x"},
            "reward": {"point_type": "purchase", "points": 10}});
        let r = app.post("/api/v1/missions", custom).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["code"].as_str()), (422, Some("plan_limit")), "{}", r.body);

        // A ready mission is switched on, and its reward and name can change; its goal cannot.
        let r = app.post("/api/v1/mission-templates/first-purchase/enable", json!({})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let mut body = app.get("/api/v1/missions/first-purchase").await.body;
        body.as_object_mut().unwrap().remove("id");
        body["reward"]["points"] = json!(250);
        body["name"] = json!("خرید اول با جایزهٔ بیشتر");
        let r = app.put("/api/v1/missions/first-purchase", body.clone()).await;
        assert_eq!(r.status, 200, "{}", r.body);
        body["goal"]["target"] = json!(2);
        let r = app.put("/api/v1/missions/first-purchase", body).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("goal")));

        // Games: the ready wheel and slot machine only.
        let templates = app.get("/api/v1/game-templates").await.body;
        assert_eq!(templates.as_array().unwrap().len(), 2);
        let mut own = templates[0].clone();
        own["code"] = json!("my-wheel");
        let r = app.post("/api/v1/games", own).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("code")));
        let r = app.post("/api/v1/game-templates/wheel/enable", json!({})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app.post("/api/v1/game-templates/wheel/enable", json!({})).await;
        assert_eq!(r.status, 409, "switched on once");

        // Back on Prime everything is open again.
        assert_eq!(set_plan(&app, "prime").await.status, 200);
        let custom = json!({"code": "coffee-lover", "name": "x", "goal": {"fact": "invoice", "target": 5, "label": "x"},
            "reward": {"point_type": "purchase", "points": 10}});
        assert_eq!(app.post("/api/v1/missions", custom).await.status, 201);

        let changes = audit(&app, "entity=tenant").await;
        let plans: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|e| (e["actor"].as_str().unwrap(), e["before"].as_str().unwrap(), e["after"].as_str().unwrap()))
            .collect();
        assert_eq!(plans, [("operator", "economic", "prime"), ("operator", "prime", "economic")]);
        app.finish().await;
    }
}

#[tokio::test]
async fn every_change_is_in_the_audit_log_with_who_before_and_after() {
    for app in common::apps().await {
        let reward =
            json!({"code": "mug", "name": "ماگ", "kind": "physical_gift", "point_type": "purchase", "cost": 100, "stock": 5});
        assert_eq!(app.post("/api/v1/rewards", reward.clone()).await.status, 201);
        let mut changed = reward.clone();
        changed["cost"] = json!(120);
        assert_eq!(app.put("/api/v1/rewards/mug", changed).await.status, 200);

        let r =
            app.post("/api/v1/invoices", common::invoice("a1", &jiff::Timestamp::now().to_string(), "09121112233", 50_000)).await;
        let customer = r.body["customer_id"].as_i64().unwrap();
        let adj = app
            .post(
                &format!("/api/v1/customers/{customer}/points/adjust"),
                json!({"point_type": "purchase", "points": 30, "reason": "جبران", "idempotency_key": "adj-1"}),
            )
            .await;
        assert_eq!(adj.status, 201, "{}", adj.body);
        // A retried adjustment is one change.
        app.post(
            &format!("/api/v1/customers/{customer}/points/adjust"),
            json!({"point_type": "purchase", "points": 30, "reason": "جبران", "idempotency_key": "adj-1"}),
        )
        .await;
        let r = app.patch(&format!("/api/v1/customers/{customer}"), json!({"first_name": "مریم"})).await;
        assert!(r.status.is_success(), "{}", r.body);

        let rewards = audit(&app, "entity=reward&key=mug").await;
        assert_eq!(rewards.len(), 2);
        assert_eq!(rewards[0]["action"], "reward.update");
        assert_eq!((rewards[0]["before"]["cost"].as_i64(), rewards[0]["after"]["cost"].as_i64()), (Some(100), Some(120)));
        assert_eq!(rewards[1]["action"], "reward.create");
        assert!(rewards[1]["before"].is_null());
        assert!(rewards[0]["actor"].as_str().unwrap().starts_with("api_key:"));
        assert_eq!(rewards[0]["actor_name"], "tests");

        let about_customer = audit(&app, &format!("entity=customer&key={customer}")).await;
        let actions: Vec<&str> = about_customer.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["customer.update", "points.adjust"]);
        assert_eq!(about_customer[0]["after"]["first_name"], "مریم");
        assert_eq!(about_customer[1]["after"]["points"].as_i64(), Some(30));

        // Filters by action and paging by cursor cover the same entries, newest first.
        let all = audit(&app, "").await;
        let mut paged = Vec::new();
        let mut cursor: Option<i64> = None;
        loop {
            let q = cursor.map_or("limit=2".to_string(), |c| format!("limit=2&cursor={c}"));
            let r = app.get(&format!("/api/v1/audit?{q}")).await;
            paged.extend(r.body["entries"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()));
            match r.body["next"].as_i64() {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(paged, all.iter().map(|e| e["id"].as_i64().unwrap()).collect::<Vec<_>>());
        assert!(audit(&app, "action=reward").await.iter().all(|e| e["action"].as_str().unwrap().starts_with("reward.")));
        let r = app.get("/api/v1/audit?from=yesterday").await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("from")));

        // Reading the log needs an admin key.
        let read_only = app.post("/api/v1/keys", json!({"role": "read_only"})).await.body["key"].as_str().unwrap().to_string();
        assert_eq!(app.request(Method::GET, "/api/v1/audit", Some(&read_only), None).await.status, 403);
        let keys = audit(&app, "entity=api_key").await;
        assert_eq!(keys[0]["action"], "api_key.create");
        assert_eq!(keys[0]["after"]["role"], "read_only");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_customer_s_data_is_exported_whole_and_erased_without_moving_any_figure() {
    for app in common::apps().await {
        app.engine.create_staff(&app.ctx, "sara@shop.example", "سارا", "admin", "a-long-password-1").await.unwrap();
        let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2)).to_string();
        let mut inv = common::invoice("p1", &at, "0912 111 2233", 400_000);
        inv["customer"]["email"] = json!("Maryam@Example.com");
        inv["customer"]["external_id"] = json!("crm-77");
        let r = app.post("/api/v1/invoices", inv).await;
        assert!(r.status.is_success(), "{}", r.body);
        let c = r.body["customer_id"].as_i64().unwrap();
        let r = app
            .patch(
                &format!("/api/v1/customers/{c}"),
                json!({"first_name": "مریم", "city": "شیراز", "tags": ["vip"], "sms_opt_in": true}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let r = app
            .post(&format!("/api/v1/customers/{c}/notes"), json!({"author": "sara@shop.example", "body": "به رنگ آبی علاقه دارد"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app
            .post(
                &format!("/api/v1/customers/{c}/points/adjust"),
                json!({"point_type": "purchase", "points": 25, "reason": "هدیه", "idempotency_key": "gift-1"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);

        // The export holds everything: profile, consent history, points, purchases, notes, changes.
        let doc = app.get(&format!("/api/v1/customers/{c}/export")).await;
        assert_eq!(doc.status, 200, "{}", doc.body);
        let d = &doc.body;
        assert_eq!(d["customer"]["first_name"], "مریم");
        assert_eq!(d["customer"]["mobile"], "+989121112233");
        assert_eq!(d["consent_history"][0]["channel"], "sms");
        assert_eq!(d["consent_history"][0]["opted_in"], true);
        assert!(d["point_ledger"].as_array().unwrap().iter().any(|e| e["kind"] == "adjust" && e["points"] == 25));
        let kinds: Vec<&str> = d["activity"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
        assert!(kinds.contains(&"invoice") && kinds.contains(&"note"), "{kinds:?}");
        assert!(d["changes"].as_array().unwrap().iter().any(|e| e["action"] == "customer.update"));
        let csv = app
            .client
            .get(format!("{}/api/v1/customers/{c}/export?format=csv", app.base))
            .bearer_auth(&app.key)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = csv.text().await.unwrap();
        assert!(csv.starts_with("path,value\n"));
        assert!(csv.lines().any(|l| l == "customer.first_name,مریم"), "{csv}");
        assert!(csv.lines().any(|l| l == "customer.email,maryam@example.com"));
        let r = app.get(&format!("/api/v1/customers/{c}/export?format=pdf")).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (400, Some("format")));

        // Figures before the erasure.
        let figures = |app: &TestApp| {
            let (base, key) = (app.base.clone(), app.key.clone());
            let client = app.client.clone();
            async move {
                let mut out = Vec::new();
                for path in ["/api/v1/reports/sales?period=7d", "/api/v1/stats/daily", &format!("/api/v1/customers/{c}/points")] {
                    out.push(client.get(format!("{base}{path}")).bearer_auth(&key).send().await.unwrap().text().await.unwrap());
                }
                out
            }
        };
        let before = figures(&app).await;
        assert!(before[0].contains("400000") && before[1].contains("400000"), "{before:?}");
        assert!(before[2].contains("\"purchase\""), "{}", before[2]);

        let r = app.post(&format!("/api/v1/customers/{c}/erase"), json!({})).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("reason")));
        let r = app.post(&format!("/api/v1/customers/{c}/erase"), json!({"reason": "درخواست مشتری در ۱۲ آذر"})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["erased_now"], true);

        let after = app.get(&format!("/api/v1/customers/{c}")).await.body;
        for field in ["first_name", "mobile", "email", "city"] {
            assert!(after[field].is_null(), "{field} kept: {after}");
        }
        assert!(after["erased_at"].is_string());
        assert_eq!(after["external_ids"], json!([]));
        assert_eq!(after["tags"], json!([]));
        assert_eq!(after["sms_consent"]["opted_in"], false);
        assert_eq!(after["stats"]["invoice_count"], 1);
        assert_eq!(after["stats"]["net_spend"], 400_000);
        assert_eq!(figures(&app).await, before, "sales, daily figures and points stay as they were");

        // Nothing leads back to the person: searches, notes, the audit log's values.
        let found = app.get("/api/v1/customers?q=09121112233").await;
        assert_eq!(found.body["items"], json!([]));
        let notes = app.get(&format!("/api/v1/customers/{c}/notes")).await.body;
        assert_eq!(notes[0]["body"], "");
        let changes = audit(&app, &format!("entity=customer&key={c}")).await;
        assert_eq!(changes[0]["action"], "customer.erase");
        assert_eq!(changes[0]["after"]["reason"], "درخواست مشتری در ۱۲ آذر");
        let update = changes.iter().find(|e| e["action"] == "customer.update").unwrap();
        assert_eq!((update["before"].as_str(), update["after"].as_str()), (Some("erased"), Some("erased")));
        let export = app.get(&format!("/api/v1/customers/{c}/export")).await.body;
        assert!(!export.to_string().contains("مریم") && !export.to_string().contains("9121112233"), "{export}");

        // The same number buying again is a new customer; a second erasure changes nothing.
        let r = app.post("/api/v1/invoices", common::invoice("p2", &at, "09121112233", 10_000)).await;
        assert_ne!(r.body["customer_id"].as_i64(), Some(c));
        let r = app.post(&format!("/api/v1/customers/{c}/erase"), json!({"reason": "again"})).await;
        assert_eq!((r.status.as_u16(), &r.body["erased_now"]), (200, &json!(false)));

        let read_only = app.post("/api/v1/keys", json!({"role": "read_only"})).await.body["key"].as_str().unwrap().to_string();
        let r = app.request(Method::GET, &format!("/api/v1/customers/{c}/export"), Some(&read_only), None).await;
        assert_eq!(r.status, 403);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_key_is_rotated_with_or_without_a_grace_period() {
    for app in common::apps().await {
        let created = app.post("/api/v1/keys", json!({"role": "integration", "name": "shop"})).await.body;
        let (id, old) = (created["id"].as_i64().unwrap(), created["key"].as_str().unwrap().to_string());
        let with_key = |key: String| {
            let app = &app;
            async move { app.request(Method::GET, "/api/v1/customers?limit=1", Some(&key), None).await.status.as_u16() }
        };

        // With a grace period both secrets work for now; the id, name and role stay.
        let r = app.post(&format!("/api/v1/keys/{id}/rotate"), json!({"grace_minutes": 10})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let (new, prefix) = (r.body["key"].as_str().unwrap().to_string(), r.body["prefix"].as_str().unwrap().to_string());
        assert_eq!(
            (r.body["id"].as_i64(), r.body["name"].as_str(), r.body["role"].as_str()),
            (Some(id), Some("shop"), Some("integration"))
        );
        assert!(new.starts_with(&prefix) && new != old);
        assert_eq!((with_key(old.clone()).await, with_key(new.clone()).await), (200, 200));

        // Without one, the secret it replaces stops at once (and so does the one before it).
        let r = app.post(&format!("/api/v1/keys/{id}/rotate"), json!({})).await;
        let newest = r.body["key"].as_str().unwrap().to_string();
        assert_eq!((with_key(old).await, with_key(new).await, with_key(newest.clone()).await), (401, 401, 200));

        let r = app.post(&format!("/api/v1/keys/{id}/rotate"), json!({"grace_minutes": 5000})).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("grace_minutes")));
        assert_eq!(app.post("/api/v1/keys/99999999/rotate", json!({})).await.status, 404);
        assert_eq!(app.request(Method::DELETE, &format!("/api/v1/keys/{id}"), Some(&app.key), None).await.status, 204);
        assert_eq!(with_key(newest).await, 401, "a revoked key stays revoked");
        let changes = audit(&app, &format!("entity=api_key&key={id}")).await;
        let actions: Vec<&str> = changes.iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["api_key.revoke", "api_key.rotate", "api_key.rotate", "api_key.create"]);
        let secret = &created["key"].as_str().unwrap()[12..];
        assert!(!changes.iter().any(|e| e.to_string().contains(secret)), "no secret in the log");
        app.finish().await;
    }
}

#[tokio::test]
async fn retention_empties_old_detail_and_keeps_every_fact() {
    for app in common::apps().await {
        let tag = app.backend;
        let p = common::providers::start().await;
        common::club::connect_sms(&app, &p).await;
        let r = app.put("/api/v1/retention", json!({"event_details_days": 3, "message_bodies_days": 9000})).await;
        let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!((r.status.as_u16(), fields), (422, vec!["event_details_days", "message_bodies_days"]), "{tag}");
        assert_eq!(app.get("/api/v1/retention").await.body["event_details_days"], Value::Null, "{tag}: nothing was saved");

        let customer =
            app.post("/api/v1/customers", json!({"mobile": "09121234567", "first_name": "سارا"})).await.body["customer"]["id"]
                .as_i64()
                .unwrap();
        let old = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 40)).to_string();
        for (key, at) in [("e-old", old.as_str()), ("e-new", &jiff::Timestamp::now().to_string())] {
            let r = app
                .post(
                    "/api/v1/events",
                    json!({"event_id": key, "type": "review", "occurred_at": at, "customer": {"id": customer}, "properties": {"stars": 5, "text": "عالی"}}),
                )
                .await;
            assert!(r.status.is_success(), "{tag}: {}", r.body);
        }
        let r = app
            .post(
                "/api/v1/message-templates",
                json!({"code": "hello", "name": "Hello", "channel": "sms", "versions": {"fa": {"body": "{{ customer.first_name }} عزیز، سلام"}}}),
            )
            .await;
        assert_eq!(r.status, 201, "{tag}: {}", r.body);
        // No quiet hours: the message goes out whatever the time of day the test runs at.
        let rules = app.put("/api/v1/delivery-rules", json!({})).await;
        assert!(rules.status.is_success(), "{tag}: {}", rules.body);
        let sent = app
            .post(&format!("/api/v1/customers/{customer}/messages"), json!({"template": "hello", "idempotency_key": "m1"}))
            .await;
        assert!(sent.status.is_success(), "{tag}: {}", sent.body);
        // Sent through a local Kavenegar server: finished, its text kept until retention.
        app.engine.deliver_due(philia_engine::now_ms(), 10).await.unwrap();
        let message = app.get(&format!("/api/v1/messages/{}", sent.body["id"])).await.body;
        assert_eq!(message["status"], "sent", "{tag}: {message}");

        let r = app
            .put("/api/v1/retention", json!({"event_details_days": 30, "message_bodies_days": 7, "delivery_bodies_days": 7}))
            .await;
        assert_eq!(r.status, 200, "{tag}: {}", r.body);
        let before = app.engine.store.points_snapshot(app.ctx.id).await.unwrap();
        let stats = app.get(&format!("/api/v1/customers/{customer}")).await.body;
        let run = app.post("/api/v1/retention/apply", json!({})).await;
        assert_eq!(
            (run.body["event_details"].as_i64(), run.body["message_bodies"].as_i64()),
            (Some(1), Some(0)),
            "{tag}: {}",
            run.body
        );
        // A week later the message's text goes too; applying again finds nothing more.
        let later = app.engine.apply_data_retention(&app.ctx, philia_engine::now_ms() + 8 * 86_400_000).await.unwrap();
        assert_eq!((later.event_details, later.message_bodies), (0, 1), "{tag}");
        let message = app.get(&format!("/api/v1/messages/{}", sent.body["id"])).await.body;
        assert_eq!((message["body"].as_str(), message["recipient"].as_str()), (Some(""), Some("+989121234567")), "{tag}");

        let events = app.engine.store.customer_events(app.ctx.id, customer, 10).await.unwrap();
        let props: Vec<(String, String)> = events
            .iter()
            .map(|e| (e.event_id.clone().unwrap_or_default(), serde_json::to_string(&e.properties).unwrap()))
            .collect();
        assert_eq!(
            props,
            [("e-new".to_string(), r#"{"stars":5,"text":"عالی"}"#.to_string()), ("e-old".into(), "{}".into())],
            "{tag}"
        );
        // Facts and figures are untouched.
        assert_eq!(app.get(&format!("/api/v1/customers/{customer}")).await.body, stats, "{tag}");
        assert_eq!(app.engine.store.points_snapshot(app.ctx.id).await.unwrap(), before, "{tag}");
        let changes = audit(&app, "action=settings.retention").await;
        assert_eq!(
            (changes.len(), changes[0]["after"]["message_bodies_days"].as_i64()),
            (1, Some(7)),
            "{tag}: only the accepted change"
        );
        app.finish().await;
    }
}
