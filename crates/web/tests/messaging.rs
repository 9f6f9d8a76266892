//! Messaging: providers set per tenant with sealed keys, templates, sending through the real wire
//! formats of Kavenegar, IPPanel, Mailgun, an HTTP panel and SMTP (local servers), consent,
//! undeliverable numbers, frequency caps, quiet hours, retries and delivery reports — on both
//! databases.

mod common;

use common::providers::{self, INVALID_RECEPTOR};
use philia_engine::now_ms;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

async fn customer(app: &common::TestApp, mobile: &str, email: Option<&str>, extra: Value) -> i64 {
    let mut body = json!({"mobile": mobile, "first_name": "سارا", "last_name": "احمدی"});
    if let Some(e) = email {
        body["email"] = e.into();
    }
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app.post("/api/v1/customers", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["customer"]["id"].as_i64().unwrap()
}

async fn send(app: &common::TestApp, customer: i64, template: &str, key: &str) -> Value {
    let r =
        app.post(&format!("/api/v1/customers/{customer}/messages"), json!({"template": template, "idempotency_key": key})).await;
    assert!(r.status == StatusCode::CREATED || r.status == StatusCode::OK, "{}: {}", app.backend, r.body);
    r.body
}

async fn message(app: &common::TestApp, id: &Value) -> Value {
    app.get(&format!("/api/v1/messages/{id}")).await.body
}

/// Quiet hours off, so a run at any hour sends at once; one test below sets them.
async fn no_quiet_hours(app: &common::TestApp) {
    let r = app.put("/api/v1/delivery-rules", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn sms_through_kavenegar_with_consent_caps_retries_and_reports() {
    for app in common::apps().await {
        let p = providers::start().await;
        no_quiet_hours(&app).await;
        // Keys are sealed: the answer and the stored row never hold them.
        let r = app
            .put(
                "/api/v1/channels/sms",
                json!({"provider": "kavenegar", "api_key": "kv-test-key", "sender": "10004346", "base_url": p.base}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["settings"]["api_key_set"], true);
        assert!(!r.body.to_string().contains("kv-test-key"));
        let got = app.get("/api/v1/channels/sms").await;
        assert_eq!(got.body["owner"], "tenant");
        assert!(!got.body.to_string().contains("kv-test-key"));
        let sealed: String = sqlx::query_scalar("SELECT sealed FROM channel_settings WHERE channel = 'sms'")
            .fetch_one(app.engine.store.pool())
            .await
            .unwrap();
        assert!(!sealed.contains("kv-test-key") && sealed.starts_with("v1."));
        // Changing the sender without the key keeps the key.
        let r = app
            .put("/api/v1/channels/sms", json!({"provider": "kavenegar", "api_key": "", "sender": "2000", "base_url": p.base}))
            .await;
        assert_eq!(r.body["settings"]["api_key_set"], true, "{}", r.body);
        let r = app.put("/api/v1/channels/sms", json!({"provider": "kavenegar", "apikey": "x"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["errors"][0]["field"], "apikey", "{}", r.body);

        let r = app
            .post(
                "/api/v1/message-templates",
                json!({"code": "hello", "name": "Hello", "channel": "sms",
                       "versions": {"fa": {"body": "{{ customer.first_name }} عزیز، {{ points | number }} امتیاز دارید."},
                                    "en": {"body": "Hi {{ customer.first_name }}, you have {{ points | number }} points."}}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

        let sara = customer(&app, "09121234567", None, json!({})).await;
        let first = send(&app, sara, "hello", "k1").await;
        assert_eq!(first["status"], "queued");
        assert_eq!(first["body"], "سارا عزیز، ۰ امتیاز دارید.");
        assert_eq!(first["recipient"], "+989121234567");
        // A retried request queues nothing new.
        let again =
            app.post(&format!("/api/v1/customers/{sara}/messages"), json!({"template": "hello", "idempotency_key": "k1"})).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.body["id"], first["id"]);

        let round = app.engine.deliver_due(now_ms(), 100).await.unwrap();
        assert_eq!((round.claimed, round.sent), (1, 1), "{}", app.backend);
        let sent = p.sent("kavenegar");
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].path, "/v1/kv-test-key/sms/send.json");
        assert_eq!(sent[0].fields["receptor"], "09121234567");
        assert_eq!(sent[0].fields["sender"], "2000");
        assert_eq!(sent[0].fields["message"], "سارا عزیز، ۰ امتیاز دارید.");
        let m = message(&app, &first["id"]).await;
        assert_eq!(m["status"], "sent");
        assert_eq!(m["provider"], "kavenegar");
        assert_eq!(m["provider_id"], "8792343");
        assert_eq!(m["cost"], 120);
        // Nothing is sent twice.
        assert_eq!(app.engine.deliver_due(now_ms(), 100).await.unwrap().claimed, 0);

        // The delivery report turns it into delivered.
        assert_eq!(app.engine.collect_delivery_reports(now_ms()).await.unwrap(), 1);
        assert_eq!(message(&app, &first["id"]).await["status"], "delivered");

        // Opted out: logged as skipped, never sent.
        let quiet = customer(&app, "09121111111", None, json!({"sms_opt_in": false})).await;
        let m = send(&app, quiet, "hello", "k2").await;
        assert_eq!((m["status"].as_str(), m["reason"].as_str()), (Some("skipped"), Some("opted_out")));
        // Opting out after a message was queued still stops it.
        let late = customer(&app, "09122222222", None, json!({"sms_opt_in": true})).await;
        let m = send(&app, late, "hello", "k3").await;
        assert_eq!(m["status"], "queued");
        assert_eq!(app.patch(&format!("/api/v1/customers/{late}"), json!({"sms_opt_in": false})).await.status, StatusCode::OK);
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        let m = message(&app, &m["id"]).await;
        assert_eq!((m["status"].as_str(), m["reason"].as_str()), (Some("skipped"), Some("opted_out")));
        assert_eq!(p.sent("kavenegar").len(), 1);

        // An invalid number fails once, is marked, and is skipped from then on.
        let bad = customer(&app, INVALID_RECEPTOR, None, json!({})).await;
        let m = send(&app, bad, "hello", "k4").await;
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        let m = message(&app, &m["id"]).await;
        assert_eq!(m["status"], "failed");
        assert!(m["reason"].as_str().unwrap().contains("411"), "{m}");
        let m = send(&app, bad, "hello", "k5").await;
        assert_eq!((m["status"].as_str(), m["reason"].as_str()), (Some("skipped"), Some("undeliverable")));

        // The provider is down: the message waits 30 s and goes on the next try.
        p.fail_next.store(1, Ordering::SeqCst);
        let m = send(&app, sara, "hello", "k6").await;
        let now = now_ms();
        let round = app.engine.deliver_due(now, 100).await.unwrap();
        assert_eq!(round.retried, 1);
        let waiting = message(&app, &m["id"]).await;
        assert_eq!((waiting["status"].as_str(), waiting["attempts"].as_i64()), (Some("queued"), Some(1)));
        assert!(waiting["reason"].as_str().unwrap().contains("502"), "{waiting}");
        assert_eq!(app.engine.deliver_due(now + 1000, 100).await.unwrap().claimed, 0);
        assert_eq!(app.engine.deliver_due(now + 31_000, 100).await.unwrap().sent, 1);
        let m = message(&app, &m["id"]).await;
        assert_eq!((m["status"].as_str(), m["attempts"].as_i64()), (Some("sent"), Some(2)));

        // A cap of 2 marketing messages a day: sara has had 2 (k1, k6); the next is skipped.
        let r = app.put("/api/v1/delivery-rules", json!({"max_per_day": 2})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let m = send(&app, sara, "hello", "k7").await;
        assert_eq!((m["status"].as_str(), m["reason"].as_str()), (Some("skipped"), Some("frequency_cap")));
        // Transactional messages are not capped.
        let r = app.post("/api/v1/message-template-library/login_code/enable", json!({})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = app
            .post(
                &format!("/api/v1/customers/{sara}/messages"),
                json!({"template": "login_code", "data": {"code": "4821"}, "idempotency_key": "k8"}),
            )
            .await;
        assert_eq!(r.body["status"], "queued", "{}", r.body);
        assert!(r.body["body"].as_str().unwrap().contains("4821"));

        // The customer's delivery log, newest first.
        let log = app.get(&format!("/api/v1/customers/{sara}/messages")).await.body;
        let keys: Vec<&str> = log.as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
        assert_eq!(keys, ["queued", "skipped", "sent", "delivered"], "{log}");
        // The profile's timeline shows them too.
        let timeline = app.get(&format!("/api/v1/customers/{sara}/timeline")).await.body;
        let shown = timeline.as_array().unwrap().iter().filter(|i| i["kind"] == "message").count();
        assert_eq!(shown, 4, "{timeline}");
        app.finish().await;
    }
}

#[tokio::test]
async fn quiet_hours_hold_marketing_sms_until_morning() {
    for app in common::apps().await {
        let p = providers::start().await;
        app.put("/api/v1/channels/sms", json!({"provider": "kavenegar", "api_key": "kv-test-key", "base_url": p.base})).await;
        // A window from an hour ago to an hour from now, in Tehran time.
        let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Tehran").unwrap());
        let clock = |z: jiff::Zoned| format!("{:02}:{:02}", z.hour(), z.minute());
        let start = clock(now.checked_sub(jiff::SignedDuration::from_hours(1)).unwrap());
        let end_at = now.checked_add(jiff::SignedDuration::from_hours(1)).unwrap();
        let r = app.put("/api/v1/delivery-rules", json!({"quiet_start": start, "quiet_end": clock(end_at.clone())})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        app.post("/api/v1/message-template-library/tier_changed/enable", json!({})).await;
        app.post("/api/v1/message-template-library/login_code/enable", json!({})).await;
        let c = customer(&app, "09121234567", None, json!({})).await;
        let m = send(&app, c, "tier_changed", "q1").await;
        assert_eq!(m["status"], "queued");
        let due: jiff::Timestamp = m["due_at"].as_str().unwrap().parse().unwrap();
        let expected = end_at.with().second(0).subsec_nanosecond(0).build().unwrap().timestamp();
        assert_eq!(due, expected, "held until the window ends");
        // A sign-in code is transactional: it goes at once.
        let r = app
            .post(
                &format!("/api/v1/customers/{c}/messages"),
                json!({"template": "login_code", "data": {"code": "1234"}, "idempotency_key": "q2"}),
            )
            .await;
        assert_eq!(r.body["status"], "queued");
        let round = app.engine.deliver_due(now_ms(), 100).await.unwrap();
        assert_eq!(round.sent, 1);
        assert!(p.sent("kavenegar")[0].fields["message"].contains("1234"));
        // After the window it goes.
        let round = app.engine.deliver_due(due.as_millisecond() + 1, 100).await.unwrap();
        assert_eq!(round.sent, 1);
        assert_eq!(p.sent("kavenegar").len(), 2);
        app.finish().await;
    }
}

#[tokio::test]
async fn ippanel_http_panel_mailgun_and_smtp_speak_their_formats() {
    for app in common::apps().await {
        let p = providers::start().await;
        no_quiet_hours(&app).await;
        let (smtp_port, mails) = providers::smtp().await;
        let c = customer(&app, "09121234567", Some("sara@example.com"), json!({"attributes": {"language": "en"}})).await;
        app.post("/api/v1/message-template-library/purchase_thanks/enable", json!({})).await;
        app.post("/api/v1/message-template-library/welcome_email/enable", json!({})).await;

        // IPPanel Edge: JSON, key in the Authorization header, international numbers.
        let r = app
            .put(
                "/api/v1/channels/sms",
                json!({"provider": "ippanel", "api_key": "ip-test-key", "from_number": "+983000505", "base_url": p.base}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let m = send(&app, c, "purchase_thanks", "i1").await;
        assert!(m["body"].as_str().unwrap().starts_with("Thank you for your purchase, سارا!"), "{m}");
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        let sent = p.sent("ippanel");
        assert_eq!(sent[0].headers["authorization"], "ip-test-key");
        assert_eq!(sent[0].fields["sending_type"], "\"webservice\"");
        assert_eq!(sent[0].fields["params"], json!({"recipients": ["+989121234567"]}).to_string());
        assert_eq!(message(&app, &m["id"]).await["provider_id"], "1123544244");
        // A wrong key is the documented 401: the message waits for the settings to be fixed.
        app.put(
            "/api/v1/channels/sms",
            json!({"provider": "ippanel", "api_key": "wrong", "from_number": "+983000505", "base_url": p.base}),
        )
        .await;
        let m = send(&app, c, "purchase_thanks", "i2").await;
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        let m = message(&app, &m["id"]).await;
        assert_eq!(m["status"], "queued");
        assert!(m["reason"].as_str().unwrap().contains("400-1"), "{m}");

        // Any HTTP panel, configured by fields with placeholders.
        let r = app
            .put(
                "/api/v1/channels/sms",
                json!({"provider": "http", "url": format!("{}/generic/send", p.base), "format": "form",
                       "fields": {"to": "{to}", "text": "{text}", "key": "{api_key}"}, "api_key": "g-key",
                       "number_form": "national", "id_pointer": "/result/id"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let m = send(&app, c, "purchase_thanks", "g1").await;
        app.engine.deliver_due(now_ms() + 3_600_000, 100).await.unwrap();
        let g = p.sent("generic");
        assert_eq!((g[0].fields["to"].as_str(), g[0].fields["key"].as_str()), ("09121234567", "g-key"));
        assert_eq!(message(&app, &m["id"]).await["provider_id"], "g-77");

        // Mailgun: form fields with basic auth api:KEY.
        let r = app
            .put("/api/v1/channels/email", json!({"provider": "mailgun", "domain": "mg.example.com", "api_key": "mg-key", "from": "Club <club@example.com>", "base_url": p.base}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let m = send(&app, c, "welcome_email", "e1").await;
        assert_eq!(m["subject"], "Welcome to the فروشگاه آزمون club");
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        let mg = p.sent("mailgun");
        assert_eq!(mg[0].path, "/v3/mg.example.com/messages");
        assert_eq!(mg[0].headers["authorization"], "Basic YXBpOm1nLWtleQ==");
        assert_eq!(mg[0].fields["to"], "sara@example.com");
        assert!(mg[0].fields["html"].contains("<b>"));
        assert_eq!(message(&app, &m["id"]).await["provider_id"], "<20111114174239.25659.5817@samples.mailgun.org>");

        // SMTP to a local server; a refused mailbox is marked undeliverable.
        let r = app
            .put("/api/v1/channels/email", json!({"provider": "smtp", "host": "127.0.0.1", "port": smtp_port, "security": "none", "from": "Club <club@example.com>"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let m = send(&app, c, "welcome_email", "e2").await;
        let nobody = customer(&app, "09123333333", Some("nobody@example.com"), json!({})).await;
        let n = send(&app, nobody, "welcome_email", "e3").await;
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        {
            let mails = mails.lock().unwrap();
            assert_eq!(mails.len(), 1);
            assert_eq!(mails[0].to, ["sara@example.com"]);
            assert_eq!(mails[0].from, "club@example.com");
            assert!(mails[0].data.contains("multipart/alternative"));
        }
        assert_eq!(message(&app, &m["id"]).await["status"], "sent");
        let n = message(&app, &n["id"]).await;
        assert_eq!(n["status"], "failed", "{n}");
        assert!(n["reason"].as_str().unwrap().contains("550"));
        app.finish().await;
    }
}

#[tokio::test]
async fn email_over_starttls_and_tls_trusts_the_business_own_certificate() {
    for app in common::apps().await {
        no_quiet_hours(&app).await;
        app.post("/api/v1/message-template-library/welcome_email/enable", json!({})).await;
        let c = customer(&app, "09124445555", Some("sara@example.com"), json!({})).await;
        let (acceptor, pem) = providers::self_signed_localhost();
        let starttls = providers::smtp_with(providers::SmtpMode::Starttls(acceptor.clone())).await;
        let tls = providers::smtp_with(providers::SmtpMode::Tls(acceptor)).await;

        // A certificate that is not one is refused naming its field, and so is one without TLS.
        for (security, ca) in [("starttls", "not a certificate"), ("none", pem.as_str())] {
            let settings = json!({"provider": "smtp", "host": "localhost", "port": starttls.0, "security": security,
                "from": "Club <club@example.com>", "ca_certificate": ca});
            let r = app.put("/api/v1/channels/email", settings).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert_eq!(r.body["errors"][0]["field"], "ca_certificate", "{}", r.body);
        }

        for (n, (security, (port, mails))) in [("starttls", starttls), ("tls", tls)].into_iter().enumerate() {
            // Without the business's certificate the server is not trusted: nothing is sent.
            let settings = json!({"provider": "smtp", "host": "localhost", "port": port, "security": security, "from": "Club <club@example.com>"});
            let r = app.put("/api/v1/channels/email", settings.clone()).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let m = send(&app, c, "welcome_email", &format!("untrusted-{n}")).await;
            app.engine.deliver_due(now_ms(), 100).await.unwrap();
            let untrusted = message(&app, &m["id"]).await;
            assert_eq!(untrusted["status"], "queued", "{security}: retried later, {untrusted}");
            assert!(mails.lock().unwrap().is_empty(), "{security}: no mail over an untrusted connection");

            // With it, the mail goes over TLS.
            let mut trusted = settings;
            trusted["ca_certificate"] = pem.clone().into();
            let r = app.put("/api/v1/channels/email", trusted).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert_eq!(r.body["settings"]["ca_certificate"], pem.as_str(), "a certificate is not a secret");
            let m = send(&app, c, "welcome_email", &format!("trusted-{n}")).await;
            app.engine.deliver_due(now_ms(), 100).await.unwrap();
            assert_eq!(message(&app, &m["id"]).await["status"], "sent", "{security}");
            let mails = mails.lock().unwrap();
            assert_eq!(mails.len(), 1, "{security}");
            assert!(mails[0].tls, "{security}: the mail came over TLS");
            assert_eq!(mails[0].to, ["sara@example.com"]);
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn platform_default_provider_serves_tenants_without_their_own() {
    for app in common::apps().await {
        let p = providers::start().await;
        no_quiet_hours(&app).await;
        let settings = json!({"provider": "kavenegar", "api_key": "kv-test-key", "base_url": p.base});
        let r = app.request(reqwest::Method::PUT, "/api/v1/platform/channels/sms", Some(&app.key), Some(settings.clone())).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a tenant key is not the operator's");
        let r = app
            .request(reqwest::Method::PUT, "/api/v1/platform/channels/sms", Some("operator-token-for-tests"), Some(settings))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let got = app.get("/api/v1/channels/sms").await;
        assert_eq!((got.body["owner"].as_str(), got.body["provider"].as_str()), (Some("platform"), Some("kavenegar")));
        app.post("/api/v1/message-template-library/welcome/enable", json!({})).await;
        let c = customer(&app, "09121234567", None, json!({})).await;
        send(&app, c, "welcome", "p1").await;
        assert_eq!(app.engine.deliver_due(now_ms(), 100).await.unwrap().sent, 1);
        assert!(p.sent("kavenegar")[0].fields["message"].contains("به باشگاه مشتریان فروشگاه آزمون خوش آمدید"));
        app.finish().await;
    }
}

#[tokio::test]
async fn templates_preview_and_name_their_mistakes() {
    for app in common::apps().await {
        let r = app
            .post(
                "/api/v1/message-templates",
                json!({"code": "bad", "name": "Bad", "channel": "email", "versions": {"fa": {"body": "{{ custmer.name }}"}}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["versions.fa.subject", "versions.fa.body"], "{}", r.body);
        let r = app
            .post(
                "/api/v1/message-templates",
                json!({"code": "c", "name": "C", "channel": "sms", "promotion": "NOPE", "versions": {"fa": {"body": "x"}}}),
            )
            .await;
        assert_eq!(r.body["errors"][0]["field"], "promotion", "{}", r.body);

        let lib = app.get("/api/v1/message-template-library").await.body;
        assert!(lib.as_array().unwrap().len() >= 10);
        app.post("/api/v1/message-template-library/points_expiring/enable", json!({})).await;
        let r = app.post("/api/v1/message-templates/points_expiring/preview", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["body"].as_str().unwrap().contains("۱٬۵۰۰ امتیاز"), "{}", r.body);
        assert_eq!(r.body["sms"]["encoding"], "ucs2");
        assert!(r.body["sms"]["parts"].as_i64().unwrap() >= 2);
        let r = app.post("/api/v1/message-templates/points_expiring/preview", json!({"language": "en"})).await;
        assert!(r.body["body"].as_str().unwrap().contains("1,500 of your points"), "{}", r.body);
        // Sending needs a key and a known template.
        let c = customer(&app, "09121234567", None, json!({})).await;
        let r = app.post(&format!("/api/v1/customers/{c}/messages"), json!({"template": "points_expiring"})).await;
        assert_eq!(r.body["errors"][0]["field"], "idempotency_key");
        let r = app.post(&format!("/api/v1/customers/{c}/messages"), json!({"template": "nope", "idempotency_key": "x"})).await;
        assert_eq!(r.body["errors"][0]["field"], "template");
        app.finish().await;
    }
}

#[tokio::test]
async fn campaigns_reach_the_audience_once_hold_out_a_share_and_report_the_lift() {
    for app in common::apps().await {
        let p = providers::start().await;
        no_quiet_hours(&app).await;
        app.put("/api/v1/channels/sms", json!({"provider": "kavenegar", "api_key": "kv-test-key", "base_url": p.base})).await;
        app.post(
            "/api/v1/message-templates",
            json!({"code": "yalda", "name": "Yalda", "channel": "sms", "versions": {"fa": {"body": "{{ customer.first_name }} عزیز، شب یلدا مبارک!"}}}),
        )
        .await;
        let mut customers = Vec::new();
        for i in 0..40 {
            let mobile = format!("0912{:07}", 1_000_000 + i);
            customers.push((customer(&app, &mobile, None, json!({})).await, mobile));
        }
        let r = app
            .post(
                "/api/v1/campaigns",
                json!({"code": "yalda", "name": "Yalda night", "template": "yalda", "holdout_percent": 25}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["status"], "draft");
        let id = r.body["id"].as_i64().unwrap();
        let bad = app.post("/api/v1/campaigns", json!({"code": "x", "name": "X", "template": "nope", "segment": "ghosts"})).await;
        let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["template"], "{}", bad.body);

        let r = app.post("/api/v1/campaigns/yalda/send", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "sent");
        let held: Vec<&(i64, String)> =
            customers.iter().filter(|(c, _)| philia_domain::campaigns::in_holdout(id, *c, 25)).collect();
        assert!(!held.is_empty() && held.len() < 20, "{} held out", held.len());
        let targets = customers.len() - held.len();
        assert_eq!(r.body["messages"]["queued"], targets as i64);
        // Sending twice is refused; nothing is queued again.
        let again = app.post("/api/v1/campaigns/yalda/send", json!({})).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let round = app.engine.deliver_due(now_ms(), 1000).await.unwrap();
        assert_eq!(round.sent, targets);
        let sent = p.sent("kavenegar");
        assert_eq!(sent.len(), targets);
        for (_, mobile) in &held {
            assert!(!sent.iter().any(|s| &s.fields["receptor"] == mobile), "a held-out customer got the message");
        }

        // Purchases after the launch: four sent members and one held-out member buy.
        let now = jiff::Timestamp::now().to_string();
        let buyers: Vec<&(i64, String)> =
            customers.iter().filter(|(c, _)| !philia_domain::campaigns::in_holdout(id, *c, 25)).take(4).collect();
        for (n, (_, mobile)) in buyers.iter().enumerate() {
            let r = app.post("/api/v1/invoices", common::invoice(&format!("y{n}"), &now, mobile, 100_000)).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        app.post("/api/v1/invoices", common::invoice("h0", &now, &held[0].1, 50_000)).await;
        let report = app.get("/api/v1/campaigns/yalda/report?days=7").await.body;
        assert_eq!(report["sent"]["members"], targets as i64, "{report}");
        assert_eq!(report["sent"]["converted"], 4);
        assert_eq!(report["sent"]["sales"], 400_000);
        assert_eq!(report["held_out"]["members"], held.len() as i64);
        assert_eq!(report["held_out"]["converted"], 1);
        let expected = 4.0 / targets as f64 - 1.0 / held.len() as f64;
        assert!((report["conversion_lift"]["value"].as_f64().unwrap() - expected).abs() < 1e-6, "{report}");
        assert!(report["conversion_lift"]["low"].as_f64().unwrap() < expected);
        assert_eq!(report["messages"]["sent"], targets as i64);

        // A scheduled campaign goes when due, once.
        let r = app
            .post(
                "/api/v1/campaigns",
                json!({"code": "later", "name": "Later", "template": "yalda", "send_at": "2020-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(r.body["status"], "scheduled", "{}", r.body);
        assert_eq!(app.engine.launch_due_campaigns(now_ms()).await.unwrap(), 1);
        assert_eq!(app.engine.launch_due_campaigns(now_ms()).await.unwrap(), 0);
        let later = app.get("/api/v1/campaigns/later").await.body;
        assert_eq!((later["status"].as_str(), later["messages"]["queued"].as_i64()), (Some("sent"), Some(40)), "{later}");

        // A launch that stopped half way (its process died after writing some chunks) is taken
        // up again when its lease runs out: the missing members get their message, the others
        // are not written to twice.
        let later_id = later["id"].as_i64().unwrap();
        let half: Vec<i64> = customers.iter().map(|(c, _)| *c).take(20).collect();
        let pool = app.engine.store.pool();
        for c in &half {
            for sql in [
                "DELETE FROM campaign_members WHERE campaign_id = $1 AND customer_id = $2",
                "DELETE FROM messages WHERE source = 'campaign:' || CAST($1 AS TEXT) AND customer_id = $2",
            ] {
                sqlx::query(sql).bind(later_id).bind(c).execute(pool).await.unwrap();
            }
        }
        sqlx::query("UPDATE campaigns SET status = 'sending', lease_until = 1 WHERE id = $1")
            .bind(later_id)
            .execute(pool)
            .await
            .unwrap();
        assert_eq!(app.get("/api/v1/campaigns/later").await.body["messages"]["queued"], 20);
        assert_eq!(app.engine.launch_due_campaigns(now_ms()).await.unwrap(), 1);
        let later = app.get("/api/v1/campaigns/later").await.body;
        assert_eq!((later["status"].as_str(), later["messages"]["queued"].as_i64()), (Some("sent"), Some(40)), "{later}");
        let per_customer: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT customer_id, COUNT(*) FROM messages WHERE source = 'campaign:' || CAST($1 AS TEXT) GROUP BY customer_id",
        )
        .bind(later_id)
        .fetch_all(pool)
        .await
        .unwrap();
        assert_eq!(per_customer.len(), 40);
        assert!(per_customer.iter().all(|(_, n)| *n == 1), "{per_customer:?}");
        app.finish().await;
    }
}

#[tokio::test]
async fn unsubscribe_links_and_stop_replies_withdraw_consent() {
    for app in common::apps().await {
        let p = providers::start().await;
        no_quiet_hours(&app).await;
        app.put("/api/v1/channels/email", json!({"provider": "mailgun", "domain": "mg.example.com", "api_key": "k", "from": "Club <club@example.com>", "base_url": p.base}))
            .await;
        let sms =
            app.put("/api/v1/channels/sms", json!({"provider": "kavenegar", "api_key": "kv-test-key", "base_url": p.base})).await;
        let inbound = sms.body["inbound_path"].as_str().unwrap().to_string();
        app.post("/api/v1/message-template-library/welcome_email/enable", json!({})).await;
        app.post("/api/v1/message-template-library/welcome/enable", json!({})).await;
        let c = customer(&app, "09121234567", Some("sara@example.com"), json!({"email_opt_in": true, "sms_opt_in": true})).await;

        // Every marketing email carries a link out, even when its template has none.
        let m = send(&app, c, "welcome_email", "u1").await;
        let body = m["body"].as_str().unwrap();
        let link = body.rsplit(": ").next().unwrap().trim().to_string();
        assert!(link.starts_with("/unsubscribe/"), "{body}");
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        assert!(p.sent("mailgun")[0].fields["html"].contains(&link));
        // Opening the link asks; confirming withdraws consent; a forged link is refused.
        let page = app.client.get(format!("{}{link}", app.base)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("method=\"post\""));
        // The last character changed (to one it is not), so the signature no longer matches.
        let other = if link.ends_with('0') { '1' } else { '0' };
        let forged = app.client.post(format!("{}{}{other}", app.base, &link[..link.len() - 1])).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::NOT_FOUND);
        let done = app.client.post(format!("{}{link}", app.base)).send().await.unwrap();
        assert_eq!(done.status(), StatusCode::OK);
        let profile = app.get(&format!("/api/v1/customers/{c}")).await.body;
        assert_eq!(profile["email_consent"]["opted_in"], false, "{profile}");
        let m = send(&app, c, "welcome_email", "u2").await;
        assert_eq!(m["reason"], "opted_out");

        // A reply of «لغو» forwarded by the panel stops SMS; a wrong token is refused.
        let bad = app
            .client
            .post(format!("{}/hooks/sms/shop/wrong", app.base))
            .form(&[("from", "09121234567"), ("message", "لغو")])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::NOT_FOUND);
        let hello = app
            .client
            .post(format!("{}{inbound}", app.base))
            .form(&[("from", "09121234567"), ("message", "سلام")])
            .send()
            .await
            .unwrap();
        assert_eq!(hello.status(), StatusCode::OK);
        assert_eq!(send(&app, c, "welcome", "u3").await["status"], "queued");
        let stop = app
            .client
            .get(format!("{}{inbound}", app.base))
            .query(&[("from", "+989121234567"), ("to", "10004346"), ("message", "لغو"), ("messageid", "77")])
            .send()
            .await
            .unwrap();
        assert_eq!(stop.status(), StatusCode::OK);
        let profile = app.get(&format!("/api/v1/customers/{c}")).await.body;
        assert_eq!(profile["sms_consent"]["opted_in"], false, "{profile}");
        // The message queued before the reply does not go.
        app.engine.deliver_due(now_ms(), 100).await.unwrap();
        assert!(p.sent("kavenegar").is_empty());
        app.finish().await;
    }
}
