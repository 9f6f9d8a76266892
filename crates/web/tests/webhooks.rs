//! Outgoing webhooks on every backend: an endpoint receives new invoices and events as signed
//! JSON at a local receiver, a failed delivery is retried until it goes, a paused endpoint gets
//! nothing new, and each fact is delivered once per endpoint however often the queue runs.

mod common;

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    /// Answers to give, in order; 200 once they run out.
    answers: Arc<Mutex<Vec<u16>>>,
}

async fn receiver() -> (String, Receiver) {
    let r = Receiver::default();
    let state = r.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                state.got.lock().unwrap().push((headers, body));
                let mut answers = state.answers.lock().unwrap();
                let code = if answers.is_empty() { 200 } else { answers.remove(0) };
                StatusCode::from_u16(code).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, r)
}

/// Checks a delivery's signature with the secret, as a receiver would.
fn signed_by(headers: &HeaderMap, body: &str, secret: &str) -> bool {
    let header = headers["philia-signature"].to_str().unwrap();
    let (t, v1) = header.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    hex == v1
}

#[tokio::test]
async fn invoices_and_events_reach_the_endpoint_signed_once_each() {
    for app in common::apps().await {
        let tag = app.backend;
        let (url, rx) = receiver().await;
        // History from before the endpoint is not sent.
        app.post("/api/v1/invoices", common::invoice("before", &jiff::Timestamp::now().to_string(), "09121234567", 10_000)).await;
        let bad = app.post("/api/v1/webhooks", json!({"url": "shop.example/hooks", "topics": ["order.paid"]})).await;
        let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!((bad.status.as_u16(), fields), (422, vec!["url", "topics[0]"]), "{tag}");
        let created = app.post("/api/v1/webhooks", json!({"url": url, "topics": ["invoice.created", "event.review"]})).await;
        assert_eq!(created.status, 201, "{tag}: {}", created.body);
        let secret = created.body["secret"].as_str().unwrap().to_string();
        let id = created.body["id"].as_i64().unwrap();
        assert!(app.get("/api/v1/webhooks").await.body[0]["secret"].is_null(), "{tag}: the secret is shown once");

        let sale = app
            .post("/api/v1/invoices", common::invoice("w-1", &jiff::Timestamp::now().to_string(), "09121234567", 70_000))
            .await;
        assert_eq!(sale.status, 201, "{tag}: {}", sale.body);
        for (key, kind) in [("ev-1", "review"), ("ev-2", "share")] {
            let r = app
                .post(
                    "/api/v1/events",
                    json!({"event_id": key, "type": kind, "customer": {"mobile": "09121234567"}, "properties": {"stars": 4}}),
                )
                .await;
            assert!(r.status.is_success(), "{tag}: {}", r.body);
        }

        // The receiver is down for the first attempt: the invoice is retried, and the review of
        // the same customer waits behind it so the customer's deliveries arrive in order.
        rx.answers.lock().unwrap().push(503);
        let now = philia_engine::now_ms();
        let round = app.engine.deliver_webhooks(now).await.unwrap();
        assert_eq!((round.queued, round.claimed, round.sent, round.retried), (2, 1, 0, 1), "{tag}: {round:?}");
        // Running the queue again finds nothing new to queue (each fact once per endpoint).
        let again = app.engine.deliver_webhooks(now).await.unwrap();
        assert_eq!((again.queued, again.claimed), (0, 0), "{tag}");
        for at in [now + 60_000, now + 60_001] {
            let later = app.engine.deliver_webhooks(at).await.unwrap();
            assert_eq!((later.claimed, later.sent), (1, 1), "{tag}");
        }

        let got = rx.got.lock().unwrap().clone();
        assert_eq!(got.len(), 3, "{tag}");
        for (headers, body) in &got {
            assert!(signed_by(headers, body, &secret), "{tag}: {body}");
            assert!(!signed_by(headers, body, "whsec_wrong"), "{tag}");
        }
        let bodies: Vec<Value> = got.iter().map(|(_, b)| serde_json::from_str(b).unwrap()).collect();
        let invoice = bodies.iter().find(|b| b["topic"] == "invoice.created").unwrap();
        assert_eq!(
            (invoice["data"]["external_id"].as_str(), invoice["data"]["total"].as_i64()),
            (Some("w-1"), Some(70_000)),
            "{tag}"
        );
        assert_eq!(invoice["tenant"], "shop");
        assert_eq!(bodies.last().unwrap()["topic"], "event.review", "{tag}: the review after the invoice");
        let review = bodies.iter().find(|b| b["topic"] == "event.review").unwrap();
        assert_eq!(review["data"]["properties"]["stars"], 4);
        assert!(!bodies.iter().any(|b| b["topic"] == "event.share" || b["data"]["external_id"] == "before"), "{tag}");
        // A retry carries the same delivery id.
        let ids: Vec<&str> = got.iter().map(|(h, _)| h["philia-delivery"].to_str().unwrap()).collect();
        assert_eq!(ids.iter().collect::<std::collections::BTreeSet<_>>().len(), 2, "{tag}");

        let log = app.get(&format!("/api/v1/webhooks/{id}/deliveries")).await.body;
        let statuses: Vec<(&str, i64)> =
            log.as_array().unwrap().iter().map(|d| (d["status"].as_str().unwrap(), d["attempts"].as_i64().unwrap())).collect();
        assert!(statuses.contains(&("sent", 2)) && statuses.contains(&("sent", 1)), "{tag}: {log}");

        // Paused, nothing new is queued; resumed, it takes what happens next.
        assert_eq!(app.post(&format!("/api/v1/webhooks/{id}/pause"), json!({})).await.body["active"], false);
        app.post("/api/v1/invoices", common::invoice("w-2", &jiff::Timestamp::now().to_string(), "09121234567", 5_000)).await;
        assert_eq!(app.engine.deliver_webhooks(philia_engine::now_ms()).await.unwrap().queued, 0, "{tag}");
        assert_eq!(app.post(&format!("/api/v1/webhooks/{id}/resume"), json!({})).await.body["active"], true);
        app.post("/api/v1/invoices", common::invoice("w-3", &jiff::Timestamp::now().to_string(), "09121234567", 5_000)).await;
        let round = app.engine.deliver_webhooks(philia_engine::now_ms()).await.unwrap();
        assert_eq!((round.queued, round.sent), (1, 1), "{tag}");
        let last: Value = serde_json::from_str(&rx.got.lock().unwrap().last().unwrap().1).unwrap();
        assert_eq!(last["data"]["external_id"], "w-3", "{tag}");
        assert_eq!(app.get("/api/v1/audit?action=webhook.").await.body["entries"].as_array().unwrap().len(), 3, "{tag}");
        app.finish().await;
    }
}

#[tokio::test]
async fn an_automation_calls_a_webhook_once_per_run() {
    for app in common::apps().await {
        let tag = app.backend;
        let (url, rx) = receiver().await;
        let created = app.post("/api/v1/webhooks", json!({"url": url, "topics": ["customer.created"]})).await;
        let (id, secret) = (created.body["id"].as_i64().unwrap(), created.body["secret"].as_str().unwrap().to_string());
        let bad = app
            .post(
                "/api/v1/automations",
                json!({"code": "x", "name": "x", "trigger": {"kind": "event", "event_type": "review"}, "actions": [{"kind": "webhook", "webhook": 999}]}),
            )
            .await;
        assert_eq!((bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()), (422, Some("actions[0].webhook")), "{tag}");
        let r = app
            .post(
                "/api/v1/automations",
                json!({"code": "reviewers", "name": "Tell the CRM about reviews", "trigger": {"kind": "event", "event_type": "review"},
                       "actions": [{"kind": "webhook", "webhook": id}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{tag}: {}", r.body);
        let r = app
            .post(
                "/api/v1/events",
                json!({"event_id": "rv-1", "type": "review", "customer": {"mobile": "09121234567"}, "properties": {"stars": 5}}),
            )
            .await;
        assert!(r.status.is_success(), "{tag}: {}", r.body);
        let now = philia_engine::now_ms();
        let round = app.engine.automation_round(now).await.unwrap();
        assert_eq!(round.done, 1, "{tag}: {round:?}");
        app.engine.automation_round(now + 1000).await.unwrap();
        // The customer the event created, then the automation's run about the same customer.
        for at in [now + 2000, now + 2001] {
            let sent = app.engine.deliver_webhooks(at).await.unwrap();
            assert_eq!(sent.sent, 1, "{tag}: {sent:?}");
        }
        let got = rx.got.lock().unwrap().clone();
        let run: Value = got
            .iter()
            .map(|(_, b)| serde_json::from_str::<Value>(b).unwrap())
            .find(|b| b["topic"] == "automation.reviewers")
            .unwrap();
        assert_eq!(
            (run["data"]["automation"].as_str(), run["data"]["trigger"]["stars"].as_i64()),
            (Some("reviewers"), Some(5)),
            "{tag}: {run}"
        );
        assert!(got.iter().all(|(h, b)| signed_by(h, b, &secret)), "{tag}");
        assert_eq!(app.engine.deliver_webhooks(now + 3000).await.unwrap().claimed, 0, "{tag}");
        app.finish().await;
    }
}

#[tokio::test]
async fn points_and_merges_arrive_in_order_per_customer_and_can_be_replayed() {
    for app in common::apps().await {
        let tag = app.backend;
        let (url, rx) = receiver().await;
        let created = app
            .post("/api/v1/webhooks", json!({"url": url, "topics": ["points.earned", "points.spent", "customer.merged"]}))
            .await;
        assert_eq!(created.status, 201, "{tag}: {}", created.body);
        let endpoint = created.body["id"].as_i64().unwrap();
        let customer = |mobile: &'static str| {
            let app = &app;
            async move { app.post("/api/v1/customers", json!({"mobile": mobile})).await.body["customer"]["id"].as_i64().unwrap() }
        };
        let (sara, reza) = (customer("09121110001").await, customer("09121110002").await);
        for (c, key) in [(sara, "a"), (reza, "b")] {
            let r = app
                .post(
                    &format!("/api/v1/customers/{c}/points/adjust"),
                    json!({"point_type": "purchase", "points": 100, "reason": "gift", "idempotency_key": key}),
                )
                .await;
            assert_eq!(r.status, 201, "{tag}: {}", r.body);
        }
        let r = app
            .post(
                &format!("/api/v1/customers/{sara}/points/spend"),
                json!({"point_type": "purchase", "points": 40, "idempotency_key": "s1"}),
            )
            .await;
        assert_eq!(r.status, 201, "{tag}: {}", r.body);

        // An adjustment is not an earning: only the spend is a subscribed topic.
        let now = philia_engine::now_ms();
        let first = app.engine.deliver_webhooks(now).await.unwrap();
        assert_eq!((first.queued, first.sent), (1, 1), "{tag}: {first:?}");
        let all = app.post("/api/v1/webhooks", json!({"url": url, "topics": ["points.*", "customer.merged"]})).await;
        let all_id = all.body["id"].as_i64().unwrap();
        // History before an endpoint is not sent; new facts are.
        let r = app
            .post(
                &format!("/api/v1/customers/{reza}/points/spend"),
                json!({"point_type": "purchase", "points": 10, "idempotency_key": "s2"}),
            )
            .await;
        assert_eq!(r.status, 201, "{tag}: {}", r.body);
        let second = app.engine.deliver_webhooks(now + 1000).await.unwrap();
        assert_eq!((second.queued, second.sent), (2, 2), "{tag}: {second:?}");

        // Two spends of Sara's to both endpoints; one endpoint's first answer is a 503.
        rx.answers.lock().unwrap().push(503);
        for key in ["s3", "s4"] {
            let r = app
                .post(
                    &format!("/api/v1/customers/{sara}/points/spend"),
                    json!({"point_type": "purchase", "points": 5, "idempotency_key": key}),
                )
                .await;
            assert_eq!(r.status, 201, "{tag}: {}", r.body);
        }
        let t = philia_engine::now_ms() + 2000;
        let r1 = app.engine.deliver_webhooks(t).await.unwrap();
        assert_eq!((r1.queued, r1.claimed, r1.sent, r1.retried), (4, 2, 1, 1), "{tag}: each endpoint sends s3 first; {r1:?}");
        let r2 = app.engine.deliver_webhooks(t + 1).await.unwrap();
        assert_eq!((r2.claimed, r2.sent), (1, 1), "{tag}: the endpoint that answered goes on with s4; the other waits; {r2:?}");
        let r3 = app.engine.deliver_webhooks(t + 60_000).await.unwrap();
        assert_eq!((r3.claimed, r3.sent), (1, 1), "{tag}: the retry of s3 goes first; {r3:?}");
        let r4 = app.engine.deliver_webhooks(t + 60_001).await.unwrap();
        assert_eq!((r4.claimed, r4.sent), (1, 1), "{tag}: then s4; {r4:?}");
        for e in [endpoint, all_id] {
            let log = app.get(&format!("/api/v1/webhooks/{e}/deliveries")).await.body;
            let mut spends: Vec<(i64, jiff::Timestamp)> = log
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["payload"]["data"]["customer_id"] == sara && d["topic"] == "points.spent")
                .map(|d| (d["payload"]["data"]["id"].as_i64().unwrap(), d["delivered_at"].as_str().unwrap().parse().unwrap()))
                .collect();
            spends.sort();
            assert!(spends.len() >= 2, "{tag}: {log}");
            assert!(spends.windows(2).all(|w| w[0].1 <= w[1].1), "{tag}: delivered in the order they happened: {spends:?}");
        }

        // A merge is delivered to the endpoints that take it.
        let merged = app.post(&format!("/api/v1/customers/{sara}/merge"), json!({"merge_id": reza})).await;
        assert_eq!(merged.status, 200, "{tag}: {}", merged.body);
        app.engine.deliver_webhooks(philia_engine::now_ms() + 70_000).await.unwrap();
        let last: Value = serde_json::from_str(&rx.got.lock().unwrap().last().unwrap().1).unwrap();
        assert_eq!((last["topic"].as_str(), last["data"]["merged_id"].as_i64()), (Some("customer.merged"), Some(reza)), "{tag}");

        // Replay: the same delivery, id and body, again.
        let log = app.get(&format!("/api/v1/webhooks/{endpoint}/deliveries")).await.body;
        let sent = log.as_array().unwrap().iter().find(|d| d["status"] == "sent").unwrap();
        let before = rx.got.lock().unwrap().len();
        let r = app.post(&format!("/api/v1/webhooks/{endpoint}/deliveries/{}/replay", sent["id"]), json!({})).await;
        assert_eq!(r.status, 202, "{tag}: {}", r.body);
        let queued = app.post(&format!("/api/v1/webhooks/{endpoint}/deliveries/{}/replay", sent["id"]), json!({})).await;
        assert_eq!(queued.status, 404, "{tag}: a delivery waiting to go is not replayed twice");
        app.engine.deliver_webhooks(philia_engine::now_ms() + 80_000).await.unwrap();
        let got = rx.got.lock().unwrap().clone();
        assert_eq!(got.len(), before + 1, "{tag}");
        assert_eq!(got.last().unwrap().0["philia-delivery"].to_str().unwrap(), sent["id"].to_string(), "{tag}");
        app.finish().await;
    }
}

#[tokio::test]
async fn owners_manage_endpoints_and_replay_deliveries_in_the_panel() {
    for app in common::apps().await {
        let tag = app.backend;
        let (url, rx) = receiver().await;
        app.engine.create_staff(&app.ctx, "owner@shop.ir", "مالک", "owner", "correct horse battery").await.unwrap();
        let mut owner = common::panel::Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", "correct horse battery").await;
        let page = owner.get("/admin/webhooks").await;
        assert_eq!(page.status, StatusCode::OK, "{tag}");
        let refused = owner
            .post("/admin/webhooks", &[("csrf", &page.csrf()), ("url", &url), ("topics", "invoice.created, order.paid")])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(refused.html.contains("order.paid") && refused.html.contains("aria-invalid=\"true\""), "{tag}: {}", refused.html);
        let made = owner.post("/admin/webhooks", &[("csrf", &page.csrf()), ("url", &url), ("topics", "invoice.created")]).await;
        assert_eq!(made.status, StatusCode::OK, "{tag}");
        assert!(made.html.contains("id=\"webhook-secret\"") && made.html.contains("whsec_"), "{tag}: the secret is shown once");
        let id = app.get("/api/v1/webhooks").await.body[0]["id"].as_i64().unwrap();

        app.post("/api/v1/invoices", common::invoice("p-1", &jiff::Timestamp::now().to_string(), "09121234567", 9_000)).await;
        app.engine.deliver_webhooks(philia_engine::now_ms()).await.unwrap();
        let show = owner.get(&format!("/admin/webhooks/{id}")).await;
        assert!(show.html.contains("invoice.created") && show.html.contains("/replay"), "{tag}: {}", show.html);
        let delivery = app.get(&format!("/api/v1/webhooks/{id}/deliveries")).await.body[0]["id"].as_i64().unwrap();
        let replayed = owner.post(&format!("/admin/webhooks/{id}/deliveries/{delivery}/replay"), &[("csrf", &show.csrf())]).await;
        assert_eq!(replayed.status, StatusCode::SEE_OTHER, "{tag}");
        app.engine.deliver_webhooks(philia_engine::now_ms() + 1000).await.unwrap();
        assert_eq!(rx.got.lock().unwrap().len(), 2, "{tag}: sent, then sent again");
        let paused = owner.post(&format!("/admin/webhooks/{id}/pause"), &[("csrf", &show.csrf())]).await;
        assert_eq!(paused.status, StatusCode::SEE_OTHER, "{tag}");
        assert_eq!(app.get("/api/v1/webhooks").await.body[0]["active"], false, "{tag}");
        app.finish().await;
    }
}
