//! Web Push from end to end against a local push service that checks the VAPID token and
//! decrypts each message as the browser would: a customer turns notifications on in the club for
//! two browsers, a push template reaches the one still subscribed, the gone one is forgotten,
//! turning off and opt-out links stop them, and a new key forgets old subscriptions — on both
//! databases.

mod common;

use common::club::{connect_sms, signed_in};
use common::providers;
use common::push_service::PushService;
use philia_engine::now_ms;
use reqwest::StatusCode;
use serde_json::json;

/// The value of an attribute in a page.
fn attribute(html: &str, name: &str) -> String {
    let marker = format!("{name}=\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("the page has {name}")) + marker.len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn push_reaches_allowed_browsers_and_forgets_gone_ones() {
    for app in common::apps().await {
        let p = providers::start().await;
        let service = PushService::start().await;
        connect_sms(&app, &p).await;
        let r = app.put("/api/v1/delivery-rules", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mut club = signed_in(&app, &p, "09121110000").await;

        // The account page offers notifications with the brand's key, made on first need.
        let me = club.get("/club/shop/me").await;
        assert_eq!(me.status, StatusCode::OK);
        let key = attribute(&me.html, "data-push-key");
        let channel = app.get("/api/v1/channels/push").await;
        assert_eq!(channel.status, StatusCode::OK, "{}", channel.body);
        assert_eq!(channel.body["settings"]["public_key"], key.as_str());
        assert_eq!(channel.body["settings"]["private_key_set"], true);
        assert!(channel.body["settings"].get("private_key").is_none(), "the private key is never shown");
        let csrf = attribute(&me.html, "data-csrf");
        let sw = app.client.get(format!("{}/club/shop/sw.js", app.base)).send().await.unwrap();
        assert_eq!(sw.status(), StatusCode::OK);
        assert!(sw.text().await.unwrap().contains("showNotification"));

        // Two browsers subscribe; a broken subscription is refused naming its field.
        let phone = service.device("phone", 3);
        let laptop = service.device("laptop", 5);
        for d in [&phone, &laptop] {
            let page = club
                .post("/club/shop/push", &[("csrf", &csrf), ("endpoint", &d.endpoint), ("p256dh", &d.p256dh), ("auth", &d.auth)])
                .await;
            assert_eq!(page.status, StatusCode::NO_CONTENT, "{}", page.html);
        }
        let bad = club
            .post("/club/shop/push", &[("csrf", &csrf), ("endpoint", &phone.endpoint), ("p256dh", "AAAA"), ("auth", &phone.auth)])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("p256dh"), "{}", bad.html);
        let forged = club
            .post(
                "/club/shop/push",
                &[("csrf", "wrong"), ("endpoint", &phone.endpoint), ("p256dh", &phone.p256dh), ("auth", &phone.auth)],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let customer = app.get("/api/v1/customers?q=09121110000").await.body["items"][0]["id"].as_i64().unwrap();
        assert_eq!(app.engine.push_devices(&app.ctx, customer).await.unwrap(), 2);

        // A push template with the customer's own numbers; the laptop has cleared its subscription.
        let r = app
            .post(
                "/api/v1/message-templates",
                json!({"code": "points_push", "name": "Points", "channel": "push", "purpose": "marketing",
                    "versions": {"fa": {"subject": "{{ points | number }} امتیاز دارید", "body": "سلام {{ customer.first_name or 'دوست' }}، به باشگاه سر بزنید."}}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        service.forget("laptop");
        let sent = app
            .post(&format!("/api/v1/customers/{customer}/messages"), json!({"template": "points_push", "idempotency_key": "p1"}))
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
        let id = sent.body["id"].as_i64().unwrap();
        let round = app.engine.deliver_due(now_ms(), 100).await.unwrap();
        assert_eq!(round.sent, 1, "{round:?}");
        assert!(service.refused.lock().unwrap().is_empty(), "{:?}", service.refused.lock().unwrap());
        let got = service.received("phone");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].payload["title"], "۰ امتیاز دارید");
        assert_eq!(got[0].payload["body"], "سلام دوست، به باشگاه سر بزنید.");
        assert_eq!(got[0].payload["url"], "/club/shop");
        assert_eq!(got[0].payload["tag"], id.to_string());
        assert_eq!(got[0].sender_key, key);
        assert_eq!(got[0].subject, "mailto:webmaster@localhost");
        assert!(got[0].ttl.is_some());
        assert!(service.received("laptop").is_empty());
        let m = app.get(&format!("/api/v1/messages/{id}")).await.body;
        assert_eq!((m["status"].as_str(), m["provider"].as_str()), (Some("sent"), Some("web_push")), "{m}");
        assert_eq!(app.engine.push_devices(&app.ctx, customer).await.unwrap(), 1, "the gone browser is forgotten");

        // A changed subject keeps the key and the subscriptions; the next message carries it.
        let r = app.put("/api/v1/channels/push", json!({"provider": "web_push", "subject": "mailto:club@shop.example"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["settings"]["public_key"], key.as_str());
        let bad = app.put("/api/v1/channels/push", json!({"provider": "web_push", "subject": "club@shop.example"})).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(bad.body["errors"][0]["field"], "subject", "{}", bad.body);
        app.post(&format!("/api/v1/customers/{customer}/messages"), json!({"template": "points_push", "idempotency_key": "p2"}))
            .await;
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        let got = service.received("phone");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].subject, "mailto:club@shop.example");

        // Turned off on the phone: the next message has nowhere to go and says so.
        let off = club.post("/club/shop/push/off", &[("csrf", &csrf), ("endpoint", &phone.endpoint)]).await;
        assert_eq!(off.status, StatusCode::NO_CONTENT);
        let r = app
            .post(&format!("/api/v1/customers/{customer}/messages"), json!({"template": "points_push", "idempotency_key": "p3"}))
            .await;
        assert_eq!(r.body["status"], "skipped", "{}", r.body);
        assert_eq!(r.body["reason"], "no_push_subscription");
        assert_eq!(service.received("phone").len(), 2);

        // A new key pair forgets every subscription made with the old one.
        let page = club
            .post(
                "/club/shop/push",
                &[("csrf", &csrf), ("endpoint", &phone.endpoint), ("p256dh", &phone.p256dh), ("auth", &phone.auth)],
            )
            .await;
        assert_eq!(page.status, StatusCode::NO_CONTENT);
        let fresh = philia_channels::WebPush::generate("mailto:club@shop.example".into());
        let r = app
            .put(
                "/api/v1/channels/push",
                json!({"provider": "web_push", "subject": fresh.subject, "public_key": fresh.public_key, "private_key": fresh.private_key.expose()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(app.engine.push_devices(&app.ctx, customer).await.unwrap(), 0);
        let me = club.get("/club/shop/me").await;
        assert_eq!(attribute(&me.html, "data-push-key"), fresh.public_key);
        app.finish().await;
    }
}

#[tokio::test]
async fn push_templates_are_checked_and_erasure_forgets_browsers() {
    for app in common::apps().await {
        let p = providers::start().await;
        let service = PushService::start().await;
        connect_sms(&app, &p).await;
        let r = app
            .post(
                "/api/v1/message-templates",
                json!({"code": "bad_push", "name": "Bad", "channel": "push", "versions": {"en": {"body": "x", "html": "<p>x</p>"}}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["versions.en.subject", "versions.en.html"]);
        // The library's push templates are valid and ready in one step.
        for code in ["points_expiring_push", "mission_completed_push"] {
            let r = app.post(&format!("/api/v1/message-template-library/{code}/enable"), json!({})).await;
            assert!(r.status.is_success(), "{code}: {}", r.body);
        }
        let r = app.post("/api/v1/message-templates/mission_completed_push/preview", json!({"language": "en"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["subject"], "Mission complete 🎉");
        assert!(r.body["body"].as_str().unwrap().contains("سه خرید در ماه"), "{}", r.body);

        let mut club = signed_in(&app, &p, "09122220000").await;
        let me = club.get("/club/shop/me").await;
        let csrf = attribute(&me.html, "data-csrf");
        let d = service.device("tablet", 9);
        let page = club
            .post("/club/shop/push", &[("csrf", &csrf), ("endpoint", &d.endpoint), ("p256dh", &d.p256dh), ("auth", &d.auth)])
            .await;
        assert_eq!(page.status, StatusCode::NO_CONTENT);
        // The same browser subscribing again (a visit) keeps one row.
        club.post("/club/shop/push", &[("csrf", &csrf), ("endpoint", &d.endpoint), ("p256dh", &d.p256dh), ("auth", &d.auth)])
            .await;
        let customer = app.get("/api/v1/customers?q=09122220000").await.body["items"][0]["id"].as_i64().unwrap();
        assert_eq!(app.engine.push_devices(&app.ctx, customer).await.unwrap(), 1);
        assert_eq!(app.engine.push_audience(&app.ctx).await.unwrap(), (1, 1));

        let r = app.post(&format!("/api/v1/customers/{customer}/erase"), json!({"reason": "asked on 2026-12-03"})).await;
        assert!(r.status.is_success(), "{}", r.body);
        assert_eq!(app.engine.push_devices(&app.ctx, customer).await.unwrap(), 0);
        app.finish().await;
    }
}
