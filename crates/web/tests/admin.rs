//! The staff panel over HTTP: sign-in with sessions, lockout, CSRF and origin checks, roles,
//! language, and the customer profile's forms keeping what was typed — on every backend.

mod common;

use common::panel::Panel;
use common::{TestApp, apps};
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

async fn staff(app: &TestApp, email: &str, role: &str) {
    app.engine.create_staff(&app.ctx, email, "سارا کارمند", role, PASSWORD).await.unwrap();
}

async fn customer(app: &TestApp) -> i64 {
    let r = app.post("/api/v1/customers", json!({"mobile": "09121234567", "first_name": "مریم", "last_name": "رضایی"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["outcome"]["customer_id"].as_i64().unwrap()
}

async fn balance(app: &TestApp, customer: i64) -> i64 {
    let r = app.get(&format!("/api/v1/customers/{customer}/points")).await;
    r.body.as_array().unwrap().iter().find(|b| b["point_type"] == "purchase").map(|b| b["balance"].as_i64().unwrap()).unwrap_or(0)
}

#[tokio::test]
async fn staff_sign_in_use_the_panel_and_sign_out() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut panel = Panel::new(&app.base);

        let page = panel.get("/admin/customers?q=x").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", app.backend);
        assert_eq!(page.location.as_deref(), Some("/admin/sign-in?next=%2Fadmin%2Fcustomers%3Fq%3Dx"));

        let wrong = panel.sign_in("owner@shop.ir", "wrong password!").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.html.contains("ایمیل یا گذرواژه درست نیست"), "the error is in Persian by default");
        assert!(wrong.html.contains("value=\"owner@shop.ir\""), "the email typed is kept");
        let unknown = panel.sign_in("nobody@shop.ir", PASSWORD).await;
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED, "an unknown address is refused the same way");

        let ok = panel.sign_in("OWNER@shop.ir", PASSWORD).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        assert_eq!(ok.location.as_deref(), Some("/admin"));
        assert!(panel.has_cookie("philia_session"));

        let dashboard = panel.get("/admin").await;
        assert_eq!(dashboard.status, StatusCode::OK);
        assert!(dashboard.html.contains("<html lang=\"fa\" dir=\"rtl\">"));
        assert!(dashboard.html.contains("داشبورد") && dashboard.html.contains("<svg"));

        let out = panel.post("/admin/sign-out", &[("csrf", &dashboard.csrf())]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(!panel.has_cookie("philia_session"));
        assert_eq!(panel.get("/admin").await.status, StatusCode::SEE_OTHER, "signed out");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_session_token_stops_working_after_sign_out() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let token = panel.cookie("philia_session").unwrap();
        let page = panel.get("/admin").await;
        panel.post("/admin/sign-out", &[("csrf", &page.csrf())]).await;
        let mut thief = Panel::new(&app.base);
        thief.set_cookie("philia_session", &token);
        assert_eq!(thief.get("/admin").await.status, StatusCode::SEE_OTHER, "{}", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_address() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut panel = Panel::new(&app.base);
        for _ in 0..5 {
            assert_eq!(panel.sign_in("owner@shop.ir", "guess guess guess").await.status, StatusCode::UNAUTHORIZED);
        }
        let locked = panel.sign_in("owner@shop.ir", PASSWORD).await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}: even the right password waits", app.backend);
        assert!(locked.html.contains("دقیقه دیگر"));
        assert!(!panel.has_cookie("philia_session"));
        app.finish().await;
    }
}

#[tokio::test]
async fn forms_need_the_session_token_and_this_site() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let id = customer(&app).await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let path = format!("/admin/customers/{id}/notes");

        let forged = panel.post(&path, &[("csrf", "0123456789abcdef0123456789abcdef"), ("body", "forged")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", app.backend);
        let missing = panel.post(&path, &[("body", "no token")]).await;
        assert_eq!(missing.status, StatusCode::FORBIDDEN);
        let csrf = panel.get(&format!("/admin/customers/{id}")).await.csrf();
        let elsewhere = panel.post_from("https://evil.example", &path, &[("csrf", &csrf), ("body", "cross-site")]).await;
        assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
        let notes = app.get(&format!("/api/v1/customers/{id}/notes")).await.body;
        assert_eq!(notes.as_array().unwrap().len(), 0, "nothing refused was written: {notes}");

        let ok = panel.post(&path, &[("csrf", &csrf), ("body", "خوش‌برخورد بود")]).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        let notes = app.get(&format!("/api/v1/customers/{id}/notes")).await.body;
        assert_eq!(notes[0]["body"], "خوش‌برخورد بود");
        assert_eq!(notes[0]["author"], "owner@shop.ir", "the author is who is signed in");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_viewer_reads_and_a_cashier_stays_at_the_till() {
    for app in apps().await {
        staff(&app, "viewer@shop.ir", "viewer").await;
        staff(&app, "cashier@shop.ir", "cashier").await;
        app.post("/api/v1/point-types", json!({"code": "purchase", "name": "خرید"})).await;
        let id = customer(&app).await;

        let mut viewer = Panel::new(&app.base);
        viewer.sign_in("viewer@shop.ir", PASSWORD).await;
        let profile = viewer.get(&format!("/admin/customers/{id}")).await;
        assert_eq!(profile.status, StatusCode::OK, "{}", app.backend);
        assert!(!profile.html.contains("id=\"adjust\""), "no forms are offered to a viewer");
        let csrf = profile.csrf();
        let tried = viewer
            .post(
                &format!("/admin/customers/{id}/points"),
                &[("csrf", &csrf), ("point_type", "purchase"), ("points", "500"), ("reason", "x")],
            )
            .await;
        assert_eq!(tried.status, StatusCode::FORBIDDEN);
        assert_eq!(balance(&app, id).await, 0);

        let mut cashier = Panel::new(&app.base);
        let signed = cashier.sign_in("cashier@shop.ir", PASSWORD).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER);
        assert_eq!(signed.location.as_deref(), Some("/pos"), "a cashier is sent to the till");
        let page = cashier.get(&format!("/admin/customers/{id}")).await;
        assert_eq!((page.status, page.location.as_deref()), (StatusCode::SEE_OTHER, Some("/pos")));
        let csrf = cashier.cookie("philia_session").map(|_| "x".to_string()).unwrap();
        let forced = cashier.post(&format!("/admin/customers/{id}/points"), &[("csrf", &csrf), ("points", "5")]).await;
        assert_eq!(forced.status, StatusCode::FORBIDDEN);
        app.finish().await;
    }
}

#[tokio::test]
async fn points_adjustment_keeps_what_was_typed_and_applies_once() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        app.post("/api/v1/point-types", json!({"code": "purchase", "name": "خرید"})).await;
        let id = customer(&app).await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let path = format!("/admin/customers/{id}/points");
        let csrf = panel.get(&format!("/admin/customers/{id}")).await.csrf();

        let bad = panel
            .post(
                &path,
                &[("csrf", &csrf), ("point_type", "purchase"), ("points", "پانصد"), ("reason", "جبران تأخیر"), ("key", "k1")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        assert!(bad.html.contains("باید عدد صحیح باشد"), "the error stands beside the field");
        assert!(bad.html.contains("value=\"پانصد\"") && bad.html.contains("value=\"جبران تأخیر\""), "what was typed is kept");
        let no_reason = panel
            .post(&path, &[("csrf", &csrf), ("point_type", "purchase"), ("points", "500"), ("reason", ""), ("key", "k1")])
            .await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(balance(&app, id).await, 0);

        // Persian digits are read; the same form sent twice adjusts once.
        for _ in 0..2 {
            let ok = panel
                .post(
                    &path,
                    &[("csrf", &csrf), ("point_type", "purchase"), ("points", "۵۰۰"), ("reason", "جبران تأخیر"), ("key", "k2")],
                )
                .await;
            assert_eq!(ok.status, StatusCode::SEE_OTHER);
        }
        assert_eq!(balance(&app, id).await, 500);
        let profile = panel.get(&format!("/admin/customers/{id}?saved=1")).await;
        assert!(profile.html.contains("۵۰۰"), "the profile shows the new balance");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_reader_switches_to_english_and_keeps_it() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = panel.get("/admin").await.csrf();
        let switched = panel
            .post_with_referer("/admin/language", &format!("{}/admin/customers", app.base), &[("csrf", &csrf), ("lang", "en")])
            .await;
        assert_eq!(switched.location.as_deref(), Some("/admin/customers"), "{}", app.backend);
        let page = panel.get("/admin/customers").await;
        assert!(page.html.contains("<html lang=\"en\" dir=\"ltr\">") && page.html.contains("Customers"));

        let mut later = Panel::new(&app.base);
        later.sign_in("owner@shop.ir", PASSWORD).await;
        assert!(later.get("/admin").await.html.contains("Dashboard"), "the choice is kept with the account");
        app.finish().await;
    }
}

#[tokio::test]
async fn one_email_at_two_brands_chooses_one_and_never_leaves_the_panel() {
    for app in apps().await {
        staff(&app, "sara@shop.ir", "owner").await;
        let (other, _) = app.other_tenant("cafe").await;
        app.engine.create_staff(&other, "sara@shop.ir", "سارا", "marketer", PASSWORD).await.unwrap();

        let mut panel = Panel::new(&app.base);
        let choose = panel.sign_in("sara@shop.ir", PASSWORD).await;
        assert_eq!(choose.status, StatusCode::OK, "{}", app.backend);
        assert!(choose.html.contains("<option value=\"cafe\">") && choose.html.contains("<option value=\"shop\">"));
        let csrf = choose.csrf();
        let signed = panel
            .post(
                "/admin/sign-in",
                &[
                    ("csrf", &csrf),
                    ("email", "sara@shop.ir"),
                    ("password", PASSWORD),
                    ("brand", "cafe"),
                    ("next", "//evil.example/x"),
                ],
            )
            .await;
        assert_eq!(signed.location.as_deref(), Some("/admin"), "an address outside the panel is not followed");
        assert!(panel.get("/admin").await.html.contains("Other"), "signed in at the brand chosen");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_segment_is_saved_from_the_plain_form_and_a_bad_rule_is_named() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let id = customer(&app).await;
        app.post("/api/v1/invoices", common::invoice("inv-1", "2026-01-10T10:00:00+03:30", "09121234567", 2_000_000)).await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = panel.get("/admin/segments/new").await.csrf();

        let bad_rule = r#"{"all": [{"field": "shoe_size", "op": "gt", "value": 40}]}"#;
        let refused =
            panel.post("/admin/segments", &[("csrf", &csrf), ("name", "Big"), ("code", "big"), ("rule", bad_rule)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        assert!(refused.html.contains("shoe_size"), "the rule is kept as typed");
        assert!(refused.html.contains("class=\"field condition invalid\""), "the error stands at the rule");
        let count = panel.post("/admin/segments/count", &[("csrf", &csrf), ("rule", "{not json")]).await;
        assert!(count.html.contains("\"error\""), "{}", count.html);

        let rule = r#"{"all": [{"field": "spend", "op": "gte", "value": 1000000}]}"#;
        let count = panel.post("/admin/segments/count", &[("csrf", &csrf), ("rule", rule)]).await;
        assert_eq!(serde_json::from_str::<serde_json::Value>(&count.html).unwrap()["count"], 1);
        let saved = panel.post("/admin/segments", &[("csrf", &csrf), ("name", "Big"), ("code", "big"), ("rule", rule)]).await;
        assert_eq!(saved.location.as_deref(), Some("/admin/segments/big?saved=1"));
        let members = app.get("/api/v1/segments/big/members").await.body;
        assert_eq!(members["customer_ids"][0], id, "{members}");
        let rfm = panel.get("/admin/rfm").await;
        assert_eq!(rfm.status, StatusCode::OK);
        assert!(rfm.html.contains("id=\"rfm-customers\""));
        app.finish().await;
    }
}

#[tokio::test]
async fn point_types_tiers_and_an_earning_rule_are_set_up_from_forms() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = panel.get("/admin/programme").await.csrf();
        let tag = app.backend;

        let bad = panel
            .post(
                "/admin/programme/point-types",
                &[
                    ("csrf", &csrf),
                    ("name", "خرید"),
                    ("code", "Purchase Points!"),
                    ("expiry_days", "365"),
                    ("counts_for_tiers", "1"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(bad.html.contains("value=\"Purchase Points!\""), "{tag}: the code typed is kept");
        let ok = panel
            .post(
                "/admin/programme/point-types",
                &[
                    ("csrf", &csrf),
                    ("name", "بازدید"),
                    ("code", "visits"),
                    ("expiry_days", "۳۶۵"),
                    ("counts_for_tiers", "1"),
                    ("spendable", "1"),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{tag}: {}", ok.html);
        let types = app.get("/api/v1/point-types").await.body;
        let visits = types.as_array().unwrap().iter().find(|t| t["code"] == "visits").cloned().unwrap_or_default();
        assert_eq!(visits["expiry"], json!({"kind": "after_days", "days": 365}), "{tag}: {types}");

        let tiers = |second: &'static str| {
            vec![
                ("metric", "spend"),
                ("window", "rolling"),
                ("months", "12"),
                ("grace_days", "30"),
                ("tiers[0].code", "bronze"),
                ("tiers[0].name", "برنزی"),
                ("tiers[0].threshold", "0"),
                ("tiers[1].code", "silver"),
                ("tiers[1].name", "نقره‌ای"),
                ("tiers[1].threshold", second),
                ("tiers[1].earn_multiplier", "1.5"),
                ("tiers[2].code", ""),
                ("tiers[2].name", ""),
            ]
        };
        let mut fields = tiers("0");
        fields.push(("csrf", &csrf));
        let refused = panel.post("/admin/programme/tiers", &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(refused.html.contains("value=\"نقره‌ای\""), "{tag}: the rows typed are kept");
        assert!(
            refused.html.contains("<td class=\"invalid\"><input name=\"tiers[1].threshold\""),
            "{tag}: the error is at the threshold"
        );
        let mut fields = tiers("5,000,000");
        fields.push(("csrf", &csrf));
        assert_eq!(panel.post("/admin/programme/tiers", &fields).await.status, StatusCode::SEE_OTHER, "{tag}");
        let programme = app.get("/api/v1/tiers").await.body;
        assert_eq!(programme["tiers"][1]["threshold"], 5_000_000, "{tag}: {programme}");
        assert_eq!(programme["tiers"][1]["benefits"]["earn_multiplier"], 1.5);
        assert_eq!(programme["window"], json!({"kind": "rolling_months", "months": 12}));

        let condition = r#"{"all": [{"field": "invoice.channel", "op": "eq", "value": "pos"}]}"#;
        let rule = panel
            .post(
                "/admin/programme/rules",
                &[
                    ("csrf", &csrf),
                    ("name", "حضوری"),
                    ("trigger", "invoice"),
                    ("point_type", "purchase"),
                    ("points", "1"),
                    ("per_amount", "10000"),
                    ("condition", condition),
                ],
            )
            .await;
        assert_eq!(rule.status, StatusCode::SEE_OTHER, "{tag}: {}", rule.html);
        // A rule applies from its creation on: the invoice tried is of now.
        let invoice = json!({"external_id": "try-1", "issued_at": jiff::Timestamp::now().to_string(), "channel": "pos",
            "customer": {"mobile": "09121234567"}, "lines": [{"sku": "A", "quantity": 1, "unit_price": 250000}]})
        .to_string();
        let invoice = invoice.as_str();
        let tried = panel.post("/admin/programme/rules/dry-run", &[("csrf", &csrf), ("invoice", invoice)]).await;
        assert_eq!(tried.status, StatusCode::OK, "{tag}");
        assert!(
            tried.html.contains("id=\"dry-run-result\"") && tried.html.contains("<td class=\"num\">۲۵</td>"),
            "{tag}: {}",
            tried.html
        );
        assert_eq!(
            app.get("/api/v1/invoices").await.body["items"].as_array().map(Vec::len),
            Some(0),
            "a dry run records nothing"
        );
        let broken = panel.post("/admin/programme/rules/dry-run", &[("csrf", &csrf), ("invoice", "{\"external_id\": 5}")]).await;
        assert!(broken.html.contains("فاکتور خوانا نیست"), "{tag}");
        app.finish().await;
    }
}

#[tokio::test]
async fn provider_keys_are_kept_secret_and_bad_settings_are_named() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        staff(&app, "marketer@shop.ir", "marketer").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = panel.get("/admin/messaging").await.csrf();
        let tag = app.backend;

        let bad = panel
            .post("/admin/messaging/sms", &[("csrf", &csrf), ("provider", "ippanel"), ("api_key", "secret-123"), ("sender", "")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(!bad.html.contains("secret-123"), "{tag}: a key typed is never sent back");
        let ok = panel
            .post(
                "/admin/messaging/sms",
                &[("csrf", &csrf), ("provider", "kavenegar"), ("api_key", "secret-123"), ("sender", "10004346")],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{tag}: {}", ok.html);
        let page = panel.get("/admin/messaging").await;
        assert!(page.html.contains("kavenegar") && !page.html.contains("secret-123"), "{tag}");
        // Saving again with the key left empty keeps it.
        panel
            .post("/admin/messaging/sms", &[("csrf", &csrf), ("provider", "kavenegar"), ("api_key", ""), ("sender", "2000")])
            .await;
        let stored = app.get("/api/v1/channels/sms").await.body;
        assert_eq!(
            (stored["settings"]["api_key_set"].as_bool(), stored["settings"]["sender"].as_str()),
            (Some(true), Some("2000")),
            "{tag}: {stored}"
        );

        let rules =
            panel.post("/admin/messaging/rules", &[("csrf", &csrf), ("quiet_start", "25:00"), ("quiet_end", "08:00")]).await;
        assert_eq!(rules.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(rules.html.contains("value=\"25:00\"") && rules.html.contains("HH:MM"), "{tag}");

        let mut marketer = Panel::new(&app.base);
        marketer.sign_in("marketer@shop.ir", PASSWORD).await;
        let page = marketer.get("/admin/messaging").await;
        assert!(!page.html.contains("action=\"/admin/messaging/sms\""), "{tag}: provider keys are the owner's and admins'");
        let tried = marketer
            .post("/admin/messaging/sms", &[("csrf", &page.csrf()), ("provider", "kavenegar"), ("api_key", "x"), ("sender", "1")])
            .await;
        assert_eq!(tried.status, StatusCode::FORBIDDEN, "{tag}");
        app.finish().await;
    }
}

#[tokio::test]
async fn any_http_sms_panel_is_set_up_without_the_api_and_sends() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let p = common::providers::start().await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = panel.get("/admin/messaging").await.csrf();
        let tag = app.backend;
        let url = format!("{}/generic/send", p.base);
        let form = |fields: &'static str, headers: &'static str| {
            vec![
                ("provider", "http".to_string()),
                ("api_key", "g-key".to_string()),
                ("sender", "3000".to_string()),
                ("url", url.clone()),
                ("method", "POST".to_string()),
                ("format", "form".to_string()),
                ("fields", fields.to_string()),
                ("headers", headers.to_string()),
                ("number_form", "national".to_string()),
                ("id_pointer", "/result/id".to_string()),
            ]
        };
        let post = |pairs: Vec<(&'static str, String)>| {
            let mut pairs = pairs;
            pairs.push(("csrf", csrf.clone()));
            pairs
        };

        // A line that is not name=value, and fields that never place the recipient, are refused
        // on their field with what was typed kept (the secret header is not sent back).
        let bad = post(form("to={to}\ntext {text}", "X-Token: t-secret"));
        let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = panel.post("/admin/messaging/sms", &bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(r.html.contains("line 2") || r.html.contains("سطر ۲") || r.html.contains("سطر 2"), "{tag}: {}", r.html);
        assert!(!r.html.contains("t-secret") && !r.html.contains("g-key"), "{tag}: secrets are never sent back");
        let no_to = post(form("text={text}", ""));
        let no_to: Vec<(&str, &str)> = no_to.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = panel.post("/admin/messaging/sms", &no_to).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(r.html.contains("{to}"), "{tag}");

        let good = post(form("to={to}\ntext={text}\nkey={api_key}\nline={from}", "X-Token: t-secret"));
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = panel.post("/admin/messaging/sms", &good).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{tag}: {}", r.html);
        let stored = app.get("/api/v1/channels/sms").await.body;
        assert_eq!(stored["provider"], "http", "{tag}: {stored}");
        assert_eq!(stored["settings"]["fields"], json!({"to": "{to}", "text": "{text}", "key": "{api_key}", "line": "{from}"}));
        assert_eq!(stored["settings"]["header_names"], json!(["X-Token"]), "{tag}: {stored}");
        let page = panel.get("/admin/messaging").await;
        assert!(page.html.contains("line={from}") && page.html.contains("X-Token"), "{tag}: the fields are shown again");
        assert!(!page.html.contains("t-secret"), "{tag}");

        // A message goes out through the panel's settings, to the local server that speaks it.
        app.put("/api/v1/delivery-rules", json!({})).await;
        app.post("/api/v1/message-template-library/purchase_thanks/enable", json!({})).await;
        let c = app.post("/api/v1/customers", json!({"mobile": "09121234567", "first_name": "سارا", "sms_opt_in": true})).await;
        let c = c.body["customer"]["id"].as_i64().unwrap();
        let m = app
            .post(&format!("/api/v1/customers/{c}/messages"), json!({"template": "purchase_thanks", "idempotency_key": "h1"}))
            .await;
        assert!(m.status.is_success(), "{tag}: {}", m.body);
        app.engine.deliver_due(jiff::Timestamp::now().as_millisecond(), 100).await.unwrap();
        let sent = p.sent("generic");
        assert_eq!(sent.len(), 1, "{tag}");
        assert_eq!(
            (sent[0].fields["to"].as_str(), sent[0].fields["key"].as_str(), sent[0].fields["line"].as_str()),
            ("09121234567", "g-key", "3000")
        );
        assert_eq!(sent[0].headers["x-token"], "t-secret");
        let id = &m.body["id"];
        assert_eq!(app.get(&format!("/api/v1/messages/{id}")).await.body["provider_id"], "g-77", "{tag}");
        app.finish().await;
    }
}

#[tokio::test]
async fn staff_and_api_keys_are_managed_by_owners_and_admins() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        staff(&app, "admin@shop.ir", "admin").await;
        let mut owner = Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = owner.get("/admin/settings").await.csrf();
        let tag = app.backend;

        let short = owner
            .post(
                "/admin/settings/staff",
                &[("csrf", &csrf), ("name", "رضا"), ("email", "reza@shop.ir"), ("role", "marketer"), ("password", "short")],
            )
            .await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(short.html.contains("value=\"reza@shop.ir\"") && short.html.contains("۱۰"), "{tag}");
        let added = owner
            .post(
                "/admin/settings/staff",
                &[("csrf", &csrf), ("name", "رضا"), ("email", "reza@shop.ir"), ("role", "marketer"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{tag}");
        let mut reza = Panel::new(&app.base);
        assert_eq!(reza.sign_in("reza@shop.ir", PASSWORD).await.status, StatusCode::SEE_OTHER, "{tag}: the new member signs in");
        assert_eq!(reza.get("/admin/settings").await.status, StatusCode::FORBIDDEN, "{tag}: a marketer has no settings");

        let issued = owner.post("/admin/settings/keys", &[("csrf", &csrf), ("name", "ووکامرس"), ("role", "integration")]).await;
        assert_eq!(issued.status, StatusCode::OK, "{tag}");
        let at = issued.html.find("id=\"issued-key\" dir=\"ltr\">").unwrap() + 26;
        let key = issued.html[at..at + issued.html[at..].find('<').unwrap()].to_string();
        assert!(key.starts_with("phk_"), "{tag}: {key}");
        assert_eq!(app.request(reqwest::Method::GET, "/api/v1/customers", Some(&key), None).await.status, StatusCode::OK);
        let again = owner.get("/admin/settings").await;
        assert!(!again.html.contains(&key), "{tag}: shown once only");
        let id = app.engine.list_api_keys(&app.ctx).await.unwrap().into_iter().find(|k| k.name == "ووکامرس").unwrap().id;
        owner.post(&format!("/admin/settings/keys/{id}/revoke"), &[("csrf", &csrf)]).await;
        assert_eq!(
            app.request(reqwest::Method::GET, "/api/v1/customers", Some(&key), None).await.status,
            StatusCode::UNAUTHORIZED,
            "{tag}"
        );

        let mut admin = Panel::new(&app.base);
        admin.sign_in("admin@shop.ir", PASSWORD).await;
        let csrf = admin.get("/admin/settings").await.csrf();
        let owner_by_admin = admin
            .post(
                "/admin/settings/staff",
                &[("csrf", &csrf), ("name", "x"), ("email", "x@shop.ir"), ("role", "owner"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(owner_by_admin.status, StatusCode::FORBIDDEN, "{tag}: only an owner makes owners");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_ready_mission_is_switched_on_in_one_step_and_shows_its_funnel() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let list = panel.get("/admin/missions").await;
        assert!(list.html.contains("action=\"/admin/missions/templates/first-purchase\""), "{}", app.backend);
        let on = panel.post("/admin/missions/templates/first-purchase", &[("csrf", &list.csrf())]).await;
        assert_eq!(on.location.as_deref(), Some("/admin/missions/first-purchase?saved=1"), "{}", app.backend);
        let id = customer(&app).await;
        app.post("/api/v1/invoices", common::invoice("m-1", &jiff::Timestamp::now().to_string(), "09121234567", 500_000)).await;
        let missions = app.get(&format!("/api/v1/customers/{id}/missions")).await.body;
        assert_eq!(missions[0]["status"], "completed", "{}: {missions}", app.backend);
        let page = panel.get("/admin/missions/first-purchase").await;
        assert!(page.html.contains("<title>تمام کرده: ۱</title>"), "{}: the funnel counts the completion", app.backend);
        let list = panel.get("/admin/missions").await;
        assert!(!list.html.contains("templates/first-purchase"), "a template switched on is no longer offered");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_csv_upload_reports_each_refused_row_and_needs_the_token() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = panel.get("/admin/imports").await.csrf();
        let csv = "mobile,first_name\n09121234567,مریم\n0912 765 4321,سارا\n12345,بد\n".as_bytes().to_vec();
        let refused = panel.post_file("/admin/imports", &[("kind", "customers")], ("file", csv.clone())).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}: no token, no import", app.backend);
        let started = panel.post_file(&format!("/admin/imports?csrf={csrf}"), &[("kind", "customers")], ("file", csv)).await;
        let job = started.location.clone().unwrap_or_else(|| panic!("{}: {}", app.backend, started.html));
        assert!(job.starts_with("/admin/imports/"), "{job}");
        let page = finished_import(&mut panel, &job).await;
        assert!(page.html.contains("<span class=\"value\" id=\"imported\">۲</span>"), "{}", page.html);
        assert!(page.html.contains("<span class=\"value\" id=\"invalid\">۱</span>"));
        assert!(
            page.html.contains("<code>mobile</code>") && page.html.contains("data:text/csv"),
            "the refused row is named with its column"
        );
        assert_eq!(app.get("/api/v1/customers").await.body["items"].as_array().unwrap().len(), 2);

        // A large file runs in the background; its page follows it to the report.
        let mut big = String::from("mobile,first_name\n");
        for i in 0..20_000 {
            big.push_str(&format!("0935{i:07},مشتری\n"));
        }
        let started =
            panel.post_file(&format!("/admin/imports?csrf={csrf}"), &[("kind", "customers")], ("file", big.into_bytes())).await;
        let page = finished_import(&mut panel, started.location.as_deref().unwrap()).await;
        assert!(page.html.contains("<span class=\"value\" id=\"imported\">۲۰٬۰۰۰</span>"), "{}: {}", app.backend, page.html);
        let missing = panel.get("/admin/imports/999999999").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        app.finish().await;
    }
}

/// Follows an import's page until it is no longer running (the page reloads itself meanwhile).
async fn finished_import(panel: &mut Panel, path: &str) -> common::panel::Page {
    for _ in 0..600 {
        let page = panel.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.html);
        if !page.html.contains("id=\"progress\"") {
            return page;
        }
        assert!(
            page.html.contains("http-equiv=\"refresh\"") && page.html.contains("id=\"rows-read\""),
            "a running import shows its rows"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the import did not finish in a minute");
}

#[tokio::test]
async fn discount_codes_are_generated_in_bulk_and_downloaded() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = panel.get("/admin/promotions").await.csrf();
        let tag = app.backend;
        let bad = panel
            .post(
                "/admin/promotions",
                &[("csrf", &csrf), ("name", "یلدا"), ("code", "yalda"), ("discount", "percent"), ("value", "ده")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(bad.html.contains("value=\"ده\""), "{tag}");
        let ok = panel
            .post(
                "/admin/promotions",
                &[
                    ("csrf", &csrf),
                    ("name", "یلدا"),
                    ("code", "yalda"),
                    ("discount", "percent"),
                    ("value", "۱۰"),
                    ("max_discount", "200,000"),
                ],
            )
            .await;
        assert_eq!(ok.location.as_deref(), Some("/admin/promotions/yalda?saved=1"), "{tag}: {}", ok.html);
        let negative = panel.post("/admin/promotions/yalda/codes", &[("csrf", &csrf), ("count", "-3")]).await;
        assert_eq!(negative.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        let made = panel
            .post("/admin/promotions/yalda/codes", &[("csrf", &csrf), ("count", "۵۰"), ("prefix", "YALDA-"), ("length", "6")])
            .await;
        assert_eq!(made.status, StatusCode::OK, "{tag}");
        assert!(made.html.contains("۵۰ کد ساخته شد"), "{tag}");
        let csv = panel.get("/admin/promotions/yalda/codes.csv").await.html;
        let codes: Vec<&str> = csv.lines().skip(1).collect();
        assert_eq!(codes.len(), 50, "{tag}: {csv}");
        assert!(codes.iter().all(|l| l.starts_with("YALDA-")), "{tag}");

        // Editing the terms keeps the code and what the form does not show; a bad value is marked.
        let page = panel.get("/admin/promotions/yalda").await;
        assert!(page.html.contains("id=\"edit-promotion\""), "{tag}");
        let bad = panel
            .post(
                "/admin/promotions/yalda",
                &[("csrf", &csrf), ("name", "یلدا"), ("discount", "percent"), ("value", ""), ("active", "1")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(bad.html.contains("id=\"f-value-error\""), "{tag}");
        let saved = panel
            .post(
                "/admin/promotions/yalda",
                &[("csrf", &csrf), ("name", "یلدای بزرگ"), ("discount", "fixed"), ("value", "۲۰۰۰۰"), ("min_amount", "100000")],
            )
            .await;
        assert_eq!(saved.location.as_deref(), Some("/admin/promotions/yalda?saved=1"), "{tag}: {}", saved.html);
        let p = app.get("/api/v1/promotions/yalda").await.body;
        assert_eq!(
            (p["name"].as_str(), p["discount"].as_str(), p["value"].as_f64(), p["min_amount"].as_i64(), p["active"].as_bool()),
            (Some("یلدای بزرگ"), Some("fixed"), Some(20000.0), Some(100000), Some(false)),
            "{tag}: an unticked box switches the promotion off: {p}"
        );
        assert_eq!(p["used"].as_i64(), Some(0));
        app.finish().await;
    }
}

#[tokio::test]
async fn an_automation_is_paused_and_resumed_from_the_panel() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let r = app
            .post(
                "/api/v1/automations",
                json!({"code": "welcome", "name": "خوش‌آمد", "trigger": {"kind": "signup"},
                       "actions": [{"kind": "points", "point_type": "purchase", "points": 50}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let list = panel.get("/admin/automations").await;
        assert!(list.html.contains("عضویت"), "{}: the trigger in words", app.backend);
        let paused = panel.post("/admin/automations/welcome/pause", &[("csrf", &list.csrf())]).await;
        assert_eq!(paused.status, StatusCode::SEE_OTHER);
        assert_eq!(app.get("/api/v1/automations/welcome").await.body["paused"], true, "{}", app.backend);
        panel.post("/admin/automations/welcome/resume", &[("csrf", &list.csrf())]).await;
        assert_eq!(app.get("/api/v1/automations/welcome").await.body["paused"], false);
        assert_eq!(panel.get("/admin/automations/welcome").await.status, StatusCode::OK);
        app.finish().await;
    }
}

#[tokio::test]
async fn personal_data_is_edited_without_re_dating_consent() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let r = app.post("/api/v1/customers", json!({"mobile": "09121234567", "first_name": "مریم", "sms_opt_in": true})).await;
        let id = r.body["outcome"]["customer_id"].as_i64().unwrap();
        let consent_at = r.body["customer"]["sms_consent"]["changed_at"].clone();
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = panel.get(&format!("/admin/customers/{id}")).await.csrf();
        let path = format!("/admin/customers/{id}/edit");
        let base = |email: &'static str| {
            vec![
                ("first_name", "مریم"),
                ("last_name", "کریمی"),
                ("mobile", "09121234567"),
                ("email", email),
                ("birth_date", "1370/02/27"),
                ("city", "شیراز"),
                ("tags", "vip, قهوه"),
                ("sms_opt_in", "1"),
                ("sms_before", "1"),
                ("email_before", "0"),
            ]
        };
        let mut bad = base("not-an-email");
        bad.push(("csrf", &csrf));
        let refused = panel.post(&path, &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        assert!(refused.html.contains("value=\"not-an-email\"") && refused.html.contains("value=\"کریمی\""), "{}", app.backend);
        let mut good = base("maryam@example.com");
        good.push(("csrf", &csrf));
        assert_eq!(panel.post(&path, &good).await.status, StatusCode::SEE_OTHER, "{}", app.backend);
        let c = app.get(&format!("/api/v1/customers/{id}")).await.body;
        assert_eq!(
            (c["last_name"].as_str(), c["city"].as_str(), c["birth_date"].as_str()),
            (Some("کریمی"), Some("شیراز"), Some("1991-05-17")),
            "{c}"
        );
        assert_eq!(c["tags"], json!(["vip", "قهوه"]));
        assert_eq!(c["sms_consent"]["changed_at"], consent_at, "{}: an unchanged box keeps the consent's date", app.backend);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_reward_is_taken_off_the_store_and_put_back() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let r = app
            .post("/api/v1/rewards", json!({"code": "credit", "name": "اعتبار ۵۰ هزار", "kind": "wallet_credit", "amount": 50000, "point_type": "purchase", "cost": 500, "stock": 20}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let page = panel.get("/admin/rewards").await;
        assert!(page.html.contains("<td class=\"num\">۲۰</td>"), "{}: stock left", app.backend);
        panel.post("/admin/rewards/credit/off", &[("csrf", &page.csrf())]).await;
        assert_eq!(app.get("/api/v1/rewards/credit").await.body["active"], false, "{}", app.backend);
        panel.post("/admin/rewards/credit/on", &[("csrf", &page.csrf())]).await;
        assert_eq!(app.get("/api/v1/rewards/credit").await.body["active"], true);
        app.finish().await;
    }
}

#[tokio::test]
async fn rewards_are_made_and_edited_in_the_panel_with_errors_beside_their_fields() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        staff(&app, "viewer@shop.ir", "viewer").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let page = panel.get("/admin/rewards").await;
        assert!(page.html.contains("id=\"reward-form\""), "{}: the new reward form", app.backend);
        let csrf = page.csrf();
        let bad = panel
            .post(
                "/admin/rewards",
                &[
                    ("csrf", &csrf),
                    ("code", "off20"),
                    ("name", "۲۰٪ تخفیف"),
                    ("kind", "discount_code"),
                    ("point_type", "purchase"),
                    ("cost", "۲۵۰"),
                    ("discount", "percent"),
                    ("value", "ده"),
                    ("valid_days", "30"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        assert!(bad.html.contains("value=\"۲۰٪ تخفیف\""), "what was typed is kept");
        assert!(bad.html.contains("id=\"f-value-error\""), "the value is marked: {}", app.backend);
        let unknown_segment = panel
            .post(
                "/admin/rewards",
                &[
                    ("csrf", &csrf),
                    ("code", "off20"),
                    ("name", "۲۰٪ تخفیف"),
                    ("kind", "physical_gift"),
                    ("point_type", "purchase"),
                    ("cost", "250"),
                    ("segments", "nobody"),
                ],
            )
            .await;
        assert_eq!(unknown_segment.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        assert!(unknown_segment.html.contains("id=\"f-segments-error\""), "the segments are marked: {}", app.backend);
        assert!(unknown_segment.html.contains("value=\"nobody\""), "what was typed is kept");
        let ok = panel
            .post(
                "/admin/rewards",
                &[
                    ("csrf", &csrf),
                    ("code", "off20"),
                    ("name", "۲۰٪ تخفیف"),
                    ("kind", "discount_code"),
                    ("point_type", "purchase"),
                    ("cost", "۲۵۰"),
                    ("stock", "۱۰۰"),
                    ("discount", "percent"),
                    ("value", "20"),
                    ("max_discount", "۵۰٬۰۰۰"),
                    ("valid_days", "30"),
                    ("tiers", "gold، silver"),
                ],
            )
            .await;
        assert_eq!(ok.location.as_deref(), Some("/admin/rewards?saved=1"), "{}", ok.html);
        let r = app.get("/api/v1/rewards/off20").await.body;
        assert_eq!(
            (r["kind"].as_str(), r["cost"].as_i64(), r["stock"].as_i64(), r["value"].as_f64(), r["max_discount"].as_i64()),
            (Some("discount_code"), Some(250), Some(100), Some(20.0), Some(50000)),
            "{r}"
        );
        assert_eq!(r["tiers"], json!(["gold", "silver"]));

        // The edit page shows the stored reward; a kind change needs that kind's details.
        let edit = panel.get("/admin/rewards/off20").await;
        assert!(edit.html.contains("value=\"20\"") && edit.html.contains("value=\"gold, silver\""), "{}", app.backend);
        let refused = panel
            .post(
                "/admin/rewards/off20",
                &[("csrf", &csrf), ("name", "اعتبار"), ("kind", "wallet_credit"), ("point_type", "purchase"), ("cost", "250")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.html.contains("id=\"f-amount-error\""), "{}: the amount is asked for", app.backend);
        let saved = panel
            .post(
                "/admin/rewards/off20",
                &[
                    ("csrf", &csrf),
                    ("name", "اعتبار ۳۰ هزار"),
                    ("kind", "wallet_credit"),
                    ("point_type", "purchase"),
                    ("cost", "300"),
                    ("amount", "30000"),
                    ("stock", ""),
                ],
            )
            .await;
        assert_eq!(saved.location.as_deref(), Some("/admin/rewards/off20?saved=1"));
        let r = app.get("/api/v1/rewards/off20").await.body;
        assert_eq!(
            (r["kind"].as_str(), r["amount"].as_i64(), r["stock"].as_i64()),
            (Some("wallet_credit"), Some(30000), None),
            "{r}"
        );
        assert_eq!(r["active"], true, "editing keeps the reward on the store");

        // A viewer reads the page without the forms and cannot post.
        let mut viewer = Panel::new(&app.base);
        viewer.sign_in("viewer@shop.ir", PASSWORD).await;
        let seen = viewer.get("/admin/rewards/off20").await;
        assert!(seen.html.contains("اعتبار ۳۰ هزار") && !seen.html.contains("id=\"reward-form\""), "{}", app.backend);
        let denied =
            viewer.post("/admin/rewards/off20", &[("csrf", &seen.csrf()), ("name", "x"), ("kind", "physical_gift")]).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        app.finish().await;
    }
}

#[tokio::test]
async fn loyalty_classes_are_edited_as_rows() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        staff(&app, "sara@shop.ir", "marketer").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let page = panel.get("/admin/programme/classes").await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.backend);
        let csrf = page.csrf();
        let bad = panel
            .post(
                "/admin/programme/classes",
                &[
                    ("csrf", &csrf),
                    ("classes[0].code", "vip"),
                    ("classes[0].name", "ممتاز"),
                    ("classes[0].window_days", "۹۰"),
                    ("classes[0].min_invoices", "2"),
                    ("classes[1].code", ""),
                    ("classes[2].code", "fan"),
                    ("classes[2].name", "هوادار"),
                    ("classes[2].window_days", "30"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        // The third row was the second filled one: its missing threshold is marked on row 2.
        assert!(
            bad.html.contains(
                "name=\"classes[1].min_invoices\" value=\"\" size=\"5\" aria-label=\"min_invoices 2\" aria-invalid=\"true\""
            ),
            "{}",
            bad.html
        );
        assert!(bad.html.contains("value=\"هوادار\""), "what was typed is kept");
        let ok = panel
            .post(
                "/admin/programme/classes",
                &[
                    ("csrf", &csrf),
                    ("classes[0].code", "vip"),
                    ("classes[0].name", "ممتاز"),
                    ("classes[0].window_days", "۹۰"),
                    ("classes[0].min_invoices", "2"),
                    ("classes[0].min_spend", "۱٬۰۰۰٬۰۰۰"),
                    ("classes[2].code", "fan"),
                    ("classes[2].name", "هوادار"),
                    ("classes[2].window_days", "30"),
                    ("classes[2].min_invoices", "1"),
                ],
            )
            .await;
        assert_eq!(ok.location.as_deref(), Some("/admin/programme/classes?saved=1"), "{}", ok.html);
        let stored = app.get("/api/v1/loyalty-classes").await.body;
        assert_eq!(
            stored["classes"],
            json!([{"code": "vip", "name": "ممتاز", "window_days": 90, "min_invoices": 2, "min_spend": 1000000},
                   {"code": "fan", "name": "هوادار", "window_days": 30, "min_invoices": 1, "min_spend": 0}]),
            "{}",
            app.backend
        );
        let again = panel.get("/admin/programme/classes").await;
        assert!(again.html.contains("value=\"fan\"") && again.html.contains("value=\"1000000\""));
        // A marketer reads the classes but cannot change them.
        let mut marketer = Panel::new(&app.base);
        marketer.sign_in("sara@shop.ir", PASSWORD).await;
        let seen = marketer.get("/admin/programme/classes").await;
        assert!(seen.html.contains("value=\"vip\"") && !seen.html.contains("save-classes"), "{}", app.backend);
        let denied = marketer.post("/admin/programme/classes", &[("csrf", &seen.csrf()), ("classes[0].code", "x")]).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_list_is_uploaded_with_the_rows_that_named_no_one_and_deleted() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        for m in ["09121110001", "09121110002"] {
            let r = app.post("/api/v1/customers", json!({"mobile": m})).await;
            assert!(r.status.is_success(), "{}", r.body);
        }
        let mut panel = Panel::new(&app.base);
        panel.sign_in("owner@shop.ir", PASSWORD).await;
        let csrf = panel.get("/admin/lists").await.csrf();
        let csv = "موبایل\n0912 111 0001\n+989121110002\n09121119999\nنه\n".as_bytes().to_vec();
        let refused = panel
            .post_file(
                &format!("/admin/lists?csrf={csrf}"),
                &[("code", "bad code!"), ("name", "نمایشگاه")],
                ("file", csv.clone()),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        assert!(refused.html.contains("value=\"نمایشگاه\""), "what was typed is kept");
        let page =
            panel.post_file(&format!("/admin/lists?csrf={csrf}"), &[("code", "expo"), ("name", "نمایشگاه")], ("file", csv)).await;
        assert_eq!(page.status, StatusCode::OK, "{}: {}", app.backend, page.html);
        assert!(page.html.contains("<span class=\"value\" id=\"matched\">۲</span>"), "{}", page.html);
        assert!(page.html.contains("<span class=\"value\" id=\"unmatched\">۲</span>"));
        assert!(page.html.contains("مشتری‌ای با این مشخصه نیست") && page.html.contains("موبایل، ایمیل یا شناسه معتبر نیست"));
        let list = app.get("/api/v1/lists/expo").await.body;
        assert_eq!((list["members"].as_i64(), list["name"].as_str()), (Some(2), Some("نمایشگاه")), "{list}");
        let count =
            app.post("/api/v1/segments/preview", json!({"rule": {"field": "lists", "op": "contains", "value": "expo"}})).await;
        assert_eq!(count.body["count"], 2, "{}: the list serves segments: {}", app.backend, count.body);
        let deleted = panel.post("/admin/lists/expo/delete", &[("csrf", &csrf)]).await;
        assert_eq!(deleted.location.as_deref(), Some("/admin/lists?saved=1"));
        assert_eq!(app.get("/api/v1/lists/expo").await.status, StatusCode::NOT_FOUND);
        app.finish().await;
    }
}

#[tokio::test]
async fn message_templates_are_written_and_edited_in_the_panel() {
    for app in apps().await {
        staff(&app, "sara@shop.ir", "marketer").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("sara@shop.ir", PASSWORD).await;
        let page = panel.get("/admin/messaging/templates/new").await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.backend);
        let csrf = page.csrf();
        let bad = panel
            .post(
                "/admin/messaging/templates",
                &[
                    ("csrf", &csrf),
                    ("code", "thanks"),
                    ("name", "سپاس"),
                    ("channel", "sms"),
                    ("purpose", "marketing"),
                    ("versions.fa.body", "{{ customer.first_name }} عزیز، {{ nope }}"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        assert!(
            bad.html.contains("id=\"f-fa-body\" name=\"versions.fa.body\" rows=\"5\" dir=\"rtl\" aria-invalid=\"true\""),
            "{}",
            bad.html
        );
        let ok = panel
            .post(
                "/admin/messaging/templates",
                &[
                    ("csrf", &csrf),
                    ("code", "thanks"),
                    ("name", "سپاس"),
                    ("channel", "sms"),
                    ("purpose", "marketing"),
                    ("versions.fa.body", "{{ customer.first_name }} عزیز، {{ points | number }} امتیاز دارید."),
                    ("versions.en.body", "Dear {{ customer.first_name }}, you have {{ points | number }} points."),
                ],
            )
            .await;
        assert_eq!(ok.location.as_deref(), Some("/admin/messaging/templates/thanks?saved=1"), "{}", ok.html);
        let shown = panel.get("/admin/messaging/templates/thanks?saved=1").await;
        assert!(shown.html.contains("id=\"preview\"") && shown.html.contains("id=\"template-form\""), "{}", app.backend);
        let t = app.get("/api/v1/message-templates/thanks").await.body;
        assert_eq!(t["versions"]["en"]["body"], "Dear {{ customer.first_name }}, you have {{ points | number }} points.", "{t}");

        // The edit keeps code and channel, and removes a language whose text is emptied.
        let saved = panel
            .post(
                "/admin/messaging/templates/thanks",
                &[
                    ("csrf", &csrf),
                    ("code", "other"),
                    ("channel", "email"),
                    ("name", "سپاس ویژه"),
                    ("purpose", "transactional"),
                    ("versions.fa.body", "سپاس از خرید شما"),
                    ("versions.en.body", ""),
                ],
            )
            .await;
        assert_eq!(saved.location.as_deref(), Some("/admin/messaging/templates/thanks?saved=1"), "{}", saved.html);
        let t = app.get("/api/v1/message-templates/thanks").await.body;
        assert_eq!(
            (t["code"].as_str(), t["channel"].as_str(), t["name"].as_str(), t["purpose"].as_str()),
            (Some("thanks"), Some("sms"), Some("سپاس ویژه"), Some("transactional")),
            "{t}"
        );
        assert_eq!(t["versions"], json!({"fa": {"subject": null, "body": "سپاس از خرید شما", "html": null}}));
        app.finish().await;
    }
}

#[tokio::test]
async fn automations_are_made_and_edited_in_the_panel() {
    for app in apps().await {
        staff(&app, "sara@shop.ir", "marketer").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("sara@shop.ir", PASSWORD).await;
        let page = panel.get("/admin/automations/new").await;
        assert!(page.html.contains("id=\"automation-form\""), "{}", app.backend);
        let csrf = page.csrf();
        let win_back = |points: &'static str| {
            vec![
                ("code", "win-back"),
                ("name", "بازگشت"),
                ("trigger", "inactive"),
                ("trigger.days", "۳۰"),
                ("delay_minutes", "0"),
                ("conditions", r#"{"field": "tags", "op": "contains", "value": "vip"}"#),
                ("actions[0].kind", ""),
                ("actions[1].kind", "points"),
                ("actions[1].point_type", "purchase"),
                ("actions[1].points", points),
                ("actions[2].kind", "tag"),
                ("actions[2].add", "برگشتی، win-back"),
            ]
        };
        let mut bad = win_back("many");
        bad.push(("csrf", &csrf));
        let refused = panel.post("/admin/automations", &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        // The second row was the first with an action: its points are marked on row 1.
        assert!(
            refused.html.contains(
                "name=\"actions[0].points\" value=\"many\" size=\"8\" aria-label=\"actions[0].points\" aria-invalid=\"true\""
            ),
            "{}",
            refused.html
        );
        let mut good = win_back("۲۰۰");
        good.push(("csrf", &csrf));
        let ok = panel.post("/admin/automations", &good).await;
        assert_eq!(ok.location.as_deref(), Some("/admin/automations/win-back?saved=1"), "{}", ok.html);
        let a = app.get("/api/v1/automations/win-back").await.body;
        assert_eq!(a["trigger"], json!({"kind": "inactive", "days": 30}), "{a}");
        assert_eq!(a["conditions"], json!({"field": "tags", "op": "contains", "value": "vip"}));
        assert_eq!(
            a["actions"],
            json!([{"kind": "points", "point_type": "purchase", "points": 200}, {"kind": "tag", "add": ["برگشتی", "win-back"], "remove": []}])
        );

        // Paused, then edited: a new trigger, conditions emptied, the actions as rows show them.
        let page = panel.get("/admin/automations/win-back").await;
        panel.post("/admin/automations/win-back/pause", &[("csrf", &page.csrf())]).await;
        let edit = panel.get("/admin/automations/win-back").await;
        assert!(edit.html.contains("value=\"برگشتی, win-back\""), "{}", app.backend);
        let saved = panel
            .post(
                "/admin/automations/win-back",
                &[
                    ("csrf", &csrf),
                    ("code", "other"),
                    ("name", "پس از نظرسنجی"),
                    ("trigger", "event"),
                    ("trigger.event_type", "survey_completed"),
                    ("conditions", r#"{"all": []}"#),
                    ("actions[0].kind", "points"),
                    ("actions[0].point_type", "purchase"),
                    ("actions[0].points", "50"),
                ],
            )
            .await;
        assert_eq!(saved.location.as_deref(), Some("/admin/automations/win-back?saved=1"), "{}", saved.html);
        let a = app.get("/api/v1/automations/win-back").await.body;
        assert_eq!(
            (a["code"].as_str(), a["trigger"].clone(), a["conditions"].clone(), a["paused"].as_bool()),
            (Some("win-back"), json!({"kind": "event", "event_type": "survey_completed"}), serde_json::Value::Null, Some(true)),
            "{a}"
        );
        assert_eq!(a["actions"].as_array().unwrap().len(), 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn missions_and_journeys_are_made_from_scratch_and_edited() {
    for app in apps().await {
        staff(&app, "sara@shop.ir", "marketer").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("sara@shop.ir", PASSWORD).await;
        let page = panel.get("/admin/missions/new").await;
        assert!(page.html.contains("id=\"mission-form\""), "{}", app.backend);
        let csrf = page.csrf();
        let journey = |second_target: &'static str| {
            vec![
                ("code", "coffee-journey"),
                ("name", "سفر قهوه"),
                ("repeat", "monthly"),
                ("enrolment", "automatic"),
                ("steps[0].label", "دو قهوه"),
                ("steps[0].fact", "invoice"),
                ("steps[0].measure", "count"),
                ("steps[0].target", "۲"),
                ("steps[0].category", "coffee"),
                ("steps[0].channel", "pos"),
                ("steps[0].points", "20"),
                ("steps[2].label", "نظرسنجی"),
                ("steps[2].fact", "event"),
                ("steps[2].event_type", "survey_completed"),
                ("steps[2].measure", "count"),
                ("steps[2].target", second_target),
                ("reward.point_type", "purchase"),
                ("reward.points", "150"),
                ("deadline_days", "14"),
            ]
        };
        let mut bad = journey("0");
        bad.push(("csrf", &csrf));
        let refused = panel.post("/admin/missions", &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        // The third row was the second filled one: its target is marked on row 2.
        assert!(
            refused.html.contains(
                "name=\"steps[1].target\" value=\"0\" size=\"10\" aria-label=\"steps[1].target\" aria-invalid=\"true\""
            ),
            "{}",
            refused.html
        );
        let mut good = journey("1");
        good.push(("csrf", &csrf));
        let ok = panel.post("/admin/missions", &good).await;
        assert_eq!(ok.location.as_deref(), Some("/admin/missions/coffee-journey?saved=1"), "{}", ok.html);
        let m = app.get("/api/v1/missions/coffee-journey").await.body;
        assert_eq!(
            m["steps"][0]["filter"],
            json!({"all": [
            {"field": "invoice.categories", "op": "contains", "value": "coffee"},
            {"field": "invoice.channel", "op": "eq", "value": "pos"}]}),
            "{m}"
        );
        assert_eq!(m["steps"][0]["reward"], json!({"point_type": "purchase", "points": 20, "reward": null}));
        assert_eq!((m["steps"][1]["event_type"].as_str(), m["steps"][1]["target"].as_i64()), (Some("survey_completed"), Some(1)));
        assert_eq!(
            (m["repeat"].as_str(), m["deadline_days"].as_i64(), m["active"].as_bool()),
            (Some("monthly"), Some(14), Some(true))
        );

        // A filter the plain fields cannot show is kept through an edit that changes other things.
        let custom = json!({"field": "invoice.total", "op": "gte", "value": 500000});
        let r = app
            .post(
                "/api/v1/missions",
                json!({"code": "big", "name": "خرید بزرگ",
            "goal": {"fact": "invoice", "target": 1, "filter": custom}, "reward": {"point_type": "purchase", "points": 10}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let edit = panel.get("/admin/missions/big").await;
        assert!(edit.html.contains("name=\"steps[0].filter\""), "{}: the stored filter rides along", app.backend);
        let hidden = edit
            .html
            .split("name=\"steps[0].filter\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&quot;", "\"");
        let saved = panel
            .post(
                "/admin/missions/big",
                &[
                    ("csrf", &csrf),
                    ("editing", "1"),
                    ("name", "خرید بزرگ"),
                    ("steps[0].fact", "invoice"),
                    ("steps[0].measure", "count"),
                    ("steps[0].target", "2"),
                    ("steps[0].filter", &hidden),
                    ("reward.point_type", "purchase"),
                    ("reward.points", "40"),
                ],
            )
            .await;
        assert_eq!(saved.location.as_deref(), Some("/admin/missions/big?saved=1"), "{}", saved.html);
        let m = app.get("/api/v1/missions/big").await.body;
        assert_eq!((m["goal"]["target"].as_i64(), m["goal"]["filter"].clone()), (Some(2), custom), "{m}");
        assert_eq!(
            (m["reward"]["points"].as_i64(), m["active"].as_bool()),
            (Some(40), Some(false)),
            "an unticked box switches it off"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_game_is_edited_keeping_what_its_form_does_not_show() {
    for app in apps().await {
        staff(&app, "sara@shop.ir", "marketer").await;
        let r = app
            .post("/api/v1/games", json!({
                "code": "wheel", "name": "گردونه", "kind": "wheel", "description": "هر روز یک بار",
                "cost": {"spins": true, "point_type": "purchase", "points": 10}, "plays_per_customer": 20,
                "look": {"title": "گردونه یلدا"},
                "prizes": [
                    {"code": "p50", "label": "۵۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 50, "weight": 1, "colour": "#ffaa00"},
                    {"code": "none", "label": "پوچ", "kind": "nothing", "weight": 3}
                ]}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let mut panel = Panel::new(&app.base);
        panel.sign_in("sara@shop.ir", PASSWORD).await;
        let page = panel.get("/admin/games/wheel").await;
        assert!(page.html.contains("id=\"edit-game\"") && page.html.contains("value=\"p50\""), "{}", app.backend);
        let csrf = page.csrf();
        let edit = |weight: &'static str| {
            vec![
                ("name", "گردونه بزرگ"),
                ("kind", "wheel"),
                ("cost_points", "15"),
                ("cost_point_type", "purchase"),
                ("spins", "1"),
                ("prizes[0].code", "p50"),
                ("prizes[0].label", "۵۰ امتیاز"),
                ("prizes[0].kind", "points"),
                ("prizes[0].amount", "50"),
                ("prizes[0].ref", "purchase"),
                ("prizes[0].weight", weight),
                ("prizes[0].tier_weights", "gold:5"),
                ("prizes[1].code", "none"),
                ("prizes[1].label", "پوچ"),
                ("prizes[1].kind", "nothing"),
                ("prizes[1].weight", "3"),
                ("prizes[3].code", "p200"),
                ("prizes[3].label", "۲۰۰ امتیاز"),
                ("prizes[3].kind", "points"),
                ("prizes[3].amount", "200"),
                ("prizes[3].ref", "purchase"),
                ("prizes[3].weight", "1"),
                ("prizes[3].stock", "5"),
            ]
        };
        let mut bad = edit("-1");
        bad.push(("csrf", &csrf));
        bad.push(("active", "1"));
        let refused = panel.post("/admin/games/wheel", &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        assert!(refused.html.contains("value=\"p200\""), "rows kept");
        let mut good = edit("2");
        good.push(("csrf", &csrf));
        let saved = panel.post("/admin/games/wheel", &good).await;
        assert_eq!(saved.location.as_deref(), Some("/admin/games/wheel?saved=1"), "{}", saved.html);
        let g = app.get("/api/v1/games/wheel").await.body;
        assert_eq!(
            (g["name"].as_str(), g["cost"]["points"].as_i64(), g["active"].as_bool()),
            (Some("گردونه بزرگ"), Some(15), Some(false)),
            "{g}"
        );
        let codes: Vec<&str> = g["prizes"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
        assert_eq!(codes, ["p50", "none", "p200"]);
        assert_eq!((g["prizes"][0]["weight"].as_u64(), g["prizes"][0]["tier_weights"].clone()), (Some(2), json!({"gold": 5})));
        assert_eq!(g["prizes"][2]["stock"], 5);
        // What the form does not show is kept.
        assert_eq!(
            (
                g["description"].as_str(),
                g["plays_per_customer"].as_i64(),
                g["look"]["title"].as_str(),
                g["prizes"][0]["colour"].as_str()
            ),
            (Some("هر روز یک بار"), Some(20), Some("گردونه یلدا"), Some("#ffaa00")),
            "{g}"
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn the_catalogue_and_branch_stock_are_kept_in_the_panel() {
    for app in apps().await {
        staff(&app, "sara@shop.ir", "marketer").await;
        let mut panel = Panel::new(&app.base);
        panel.sign_in("sara@shop.ir", PASSWORD).await;
        let csrf = panel.get("/admin/catalogue").await.csrf();
        let cat = panel.post("/admin/catalogue/categories", &[("csrf", &csrf), ("code", "drinks"), ("name", "نوشیدنی")]).await;
        assert_eq!(cat.location.as_deref(), Some("/admin/catalogue?saved=1#categories"), "{}: {}", app.backend, cat.html);
        panel
            .post("/admin/catalogue/categories", &[("csrf", &csrf), ("code", "coffee"), ("name", "قهوه"), ("parent", "drinks")])
            .await;
        let cats = app.get("/api/v1/categories").await.body;
        assert!(cats.as_array().unwrap().iter().any(|c| c["code"] == "coffee" && c["parent"] == "drinks"), "{cats}");
        let bad = panel
            .post(
                "/admin/catalogue/products",
                &[("csrf", &csrf), ("sku", "LAT-1"), ("name", "لاته"), ("category", "coffee"), ("price", "گران"), ("active", "1")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("id=\"f-price-error\"") && bad.html.contains("value=\"لاته\""), "{}", app.backend);
        let ok = panel
            .post(
                "/admin/catalogue/products",
                &[
                    ("csrf", &csrf),
                    ("sku", "LAT-1"),
                    ("name", "لاته"),
                    ("category", "coffee"),
                    ("price", "۱۲۰٬۰۰۰"),
                    ("active", "1"),
                ],
            )
            .await;
        assert_eq!(ok.location.as_deref(), Some("/admin/catalogue?saved=1&q=LAT-1"), "{}", ok.html);
        let listed = panel.get("/admin/catalogue?q=LAT").await;
        assert!(listed.html.contains("لاته") && listed.html.contains("قهوه"), "{}", app.backend);
        let editing = panel.get("/admin/catalogue?edit=LAT-1").await;
        assert!(editing.html.contains("value=\"120000\""), "the product fills the form");
        panel
            .post(
                "/admin/catalogue/products",
                &[("csrf", &csrf), ("sku", "LAT-1"), ("name", "لاته بزرگ"), ("category", "coffee"), ("price", "150000")],
            )
            .await;
        let p = app.get("/api/v1/products/LAT-1").await.body;
        assert_eq!(
            (p["name"].as_str(), p["price"].as_i64(), p["active"].as_bool()),
            (Some("لاته بزرگ"), Some(150000), Some(false)),
            "{p}"
        );

        let br = panel
            .post("/admin/branches", &[("csrf", &csrf), ("code", "vanak"), ("name", "ونک"), ("city", "تهران"), ("active", "1")])
            .await;
        assert_eq!(br.location.as_deref(), Some("/admin/branches?saved=1"), "{}", br.html);
        let take = panel
            .post("/admin/branches/vanak/stock", &[("csrf", &csrf), ("sku", "LAT-1"), ("quantity", "۱۰"), ("reason", "شمارش")])
            .await;
        assert_eq!(take.location.as_deref(), Some("/admin/branches/vanak?saved=1"), "{}", take.html);
        panel.post("/admin/branches/vanak/stock", &[("csrf", &csrf), ("sku", "LAT-1"), ("delta", "-3")]).await;
        let short = panel.post("/admin/branches/vanak/stock", &[("csrf", &csrf), ("sku", "LAT-1"), ("delta", "-20")]).await;
        assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", app.backend);
        assert!(short.html.contains("value=\"-20\""), "what was typed is kept");
        let stock = app.get("/api/v1/branches/vanak/stock").await.body;
        assert_eq!(stock, json!([{"branch": "vanak", "sku": "LAT-1", "quantity": 7}]), "{}", app.backend);
        let page = panel.get("/admin/branches/vanak").await;
        assert!(page.html.contains("<td class=\"num\">۷</td>"), "{}", page.html);
        app.finish().await;
    }
}

#[tokio::test]
async fn an_owner_sets_the_club_look_with_errors_beside_their_fields() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        staff(&app, "sara@shop.ir", "marketer").await;
        let mut owner = Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", PASSWORD).await;
        let page = owner.get("/admin/branding").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("id=\"club-preview\""));
        let csrf = page.csrf();
        let bad = owner
            .post(
                "/admin/branding",
                &[("csrf", &csrf), ("club_name", "باشگاه رویا"), ("primary_colour", "#12345"), ("custom_domain", "not a host")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("value=\"باشگاه رویا\""), "what was typed is kept");
        assert_eq!(bad.html.matches("aria-invalid=\"true\"").count(), 2, "two fields are marked");
        let ok = owner
            .post(
                "/admin/branding",
                &[("csrf", &csrf), ("club_name", "باشگاه رویا"), ("primary_colour", "#aa3366"), ("font", "vazirmatn")],
            )
            .await;
        assert_eq!(ok.location.as_deref(), Some("/admin/branding?saved=1"));
        let b = app.get("/api/v1/club/branding").await.body;
        assert_eq!(
            (b["club_name"].as_str(), b["primary_colour"].as_str(), b["font"].as_str()),
            (Some("باشگاه رویا"), Some("#aa3366"), Some("vazirmatn"))
        );

        // A marketer may look but not change the brand's look.
        let mut marketer = Panel::new(&app.base);
        marketer.sign_in("sara@shop.ir", PASSWORD).await;
        let page = marketer.get("/admin/branding").await;
        assert_eq!(page.status, StatusCode::OK);
        let tried = marketer.post("/admin/branding", &[("csrf", &page.csrf()), ("primary_colour", "#000000")]).await;
        assert_eq!(tried.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/club/branding").await.body["primary_colour"], "#aa3366");
        app.finish().await;
    }
}

#[tokio::test]
async fn an_owner_connects_a_woocommerce_shop_and_retries_a_failed_delivery() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        staff(&app, "sara@shop.ir", "marketer").await;
        let mut owner = Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", PASSWORD).await;
        let page = owner.get("/admin/integrations").await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = page.csrf();
        let bad = owner.post("/admin/integrations", &[("csrf", &csrf), ("name", "فروشگاه"), ("code", "My Shop")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("aria-invalid=\"true\""), "the code is marked");
        let made = owner.post("/admin/integrations", &[("csrf", &csrf), ("name", "فروشگاه"), ("code", "web")]).await;
        assert_eq!(made.status, StatusCode::OK);
        assert!(made.html.contains("/hooks/woocommerce/shop/web"), "the delivery address is shown");
        let secret =
            made.html.split("id=\"issued-secret\" dir=\"ltr\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
        assert!(secret.starts_with("whs_"), "the secret is shown once: {secret}");

        // A delivery the shop signs with it, one that fails, and the retry after the fix.
        let mut order = common::woo::fixture_json("order.json");
        order["currency"] = serde_json::json!("EUR");
        let body = serde_json::to_vec(&order).unwrap();
        assert_eq!(common::woo::deliver(&app, "/hooks/woocommerce/shop/web", "order.created", &body, Some(&secret)).await, 200);
        common::woo::drain(&app).await;
        let log = owner.get("/admin/integrations/web?status=failed").await;
        assert!(log.html.contains("currency"), "the failure names the field");
        let id = app.get("/api/v1/connections/web/deliveries?status=failed").await.body[0]["id"].as_i64().unwrap();
        let retried = owner.post(&format!("/admin/integrations/web/deliveries/{id}/retry"), &[("csrf", &log.csrf())]).await;
        assert_eq!(retried.status, StatusCode::SEE_OTHER);
        assert_eq!(app.get(&format!("/api/v1/connections/web/deliveries/{id}")).await.body["status"], "queued");
        let page = owner.get("/admin/integrations/web").await;
        assert!(!page.html.contains(&secret), "the secret is not shown again");
        let access = owner
            .post(
                "/admin/integrations/web/access",
                &[("csrf", &page.csrf()), ("store_url", "ftp://shop"), ("consumer_key", "ck_1"), ("consumer_secret", "cs_1")],
            )
            .await;
        assert_eq!(access.status, StatusCode::UNPROCESSABLE_ENTITY);

        // A Shopify shop: the key Shopify signs with is required, entered, and replaced later.
        let form = |secret: &'static str| [("kind", "shopify"), ("name", "Shopify"), ("code", "sfy"), ("secret", secret)];
        let csrf = owner.get("/admin/integrations").await.csrf();
        let no_key = owner.post("/admin/integrations", &[&[("csrf", csrf.as_str())][..], &form("")[..]].concat()).await;
        assert_eq!(no_key.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_key.html.contains("<option value=\"shopify\" selected"), "the choice is kept");
        let made =
            owner.post("/admin/integrations", &[&[("csrf", csrf.as_str())][..], &form("shpss_first_key_123")[..]].concat()).await;
        assert_eq!(made.status, StatusCode::OK);
        assert!(
            made.html.contains("/hooks/shopify/shop/sfy") && made.html.contains("Notifications"),
            "address and Shopify's steps"
        );
        assert!(!made.html.contains("/admin/integrations/sfy/secret"), "no secret is made for Shopify");
        let sent = |key: &'static str| {
            let app = &app;
            async move {
                let body = br#"{"id": 1, "financial_status": "pending"}"#;
                app.client
                    .post(format!("{}/hooks/shopify/shop/sfy", app.base))
                    .header("x-shopify-topic", "orders/create")
                    .header("x-shopify-hmac-sha256", philia_domain::shopify::sign(body, key))
                    .body(&body[..])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(sent("shpss_first_key_123").await, StatusCode::OK);
        let page = owner.get("/admin/integrations/sfy").await;
        let saved =
            owner.post("/admin/integrations/sfy/access", &[("csrf", &page.csrf()), ("secret", "shpss_second_key_456")]).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        assert_eq!(sent("shpss_first_key_123").await, StatusCode::UNAUTHORIZED, "the old key stops at once");
        assert_eq!(sent("shpss_second_key_456").await, StatusCode::OK);

        // Sepidar: read, not delivered from; its sign-in is checked field by field.
        let made = owner
            .post("/admin/integrations", &[("csrf", &csrf), ("kind", "sepidar"), ("name", "حسابداری"), ("code", "acc")])
            .await;
        assert_eq!(made.status, StatusCode::OK);
        assert!(!made.html.contains("id=\"delivery-url\""), "no delivery address for Sepidar");
        let page = owner.get("/admin/integrations/acc").await;
        assert!(page.html.contains("name=\"device_serial\""));
        let bad = owner
            .post(
                "/admin/integrations/acc/access",
                &[
                    ("csrf", &page.csrf()),
                    ("store_url", "http://10.0.0.5:7373"),
                    ("device_serial", "12"),
                    ("username", "u"),
                    ("password", "p"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("سریال دستگاه سپیدار معتبر نیست"), "the serial is named");

        // An accounting feed: the mapping typed, a sample previewed, then sent.
        let made =
            owner.post("/admin/integrations", &[("csrf", &csrf), ("kind", "feed"), ("name", "محک"), ("code", "mahak")]).await;
        assert_eq!(made.status, StatusCode::OK);
        assert!(made.html.contains("/api/v1/connections/mahak/feed"), "where the program sends");
        let sample = "شماره,تاریخ,کالا,فی\n71,1405/09/01,چای,150000\n72,1405/09/01,چای,x\n";
        let form = |action: &'static str, date_column: &'static str| {
            [
                ("columns.invoice_id", "شماره"),
                ("columns.issued_at", date_column),
                ("columns.product_name", "کالا"),
                ("columns.unit_price", "فی"),
                ("sample", sample),
                ("action", action),
            ]
        };
        let csrf = owner.get("/admin/integrations/mahak").await.csrf();
        let with_csrf = |fields: [(&'static str, &'static str); 6]| {
            let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
            all.extend(fields);
            all
        };
        let missing = owner.post("/admin/integrations/mahak/mapping", &with_csrf(form("save", ""))).await;
        assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(missing.html.contains("id=\"f-columns.issued_at\"") && missing.html.contains("aria-invalid=\"true\""));
        let preview = owner.post("/admin/integrations/mahak/mapping", &with_csrf(form("preview", "تاریخ"))).await;
        assert_eq!(preview.status, StatusCode::OK);
        assert!(preview.html.contains("id=\"preview-errors\"") && preview.html.contains("unit_price"), "the bad cell is listed");
        assert!(app.get("/api/v1/connections/mahak/mapping").await.body.is_null(), "a preview saves nothing");
        let sent = owner.post("/admin/integrations/mahak/mapping", &with_csrf(form("send", "تاریخ"))).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        assert_eq!(app.get("/api/v1/connections/mahak/mapping").await.body["columns"]["unit_price"], "فی");
        common::woo::drain(&app).await;
        let feed_invoices = app.get("/api/v1/invoices?limit=100").await;
        assert!(
            feed_invoices.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["external_id"] == "71" && i["source"] == "feed-mahak")
        );

        // A marketer does not reach connections.
        let mut marketer = Panel::new(&app.base);
        marketer.sign_in("sara@shop.ir", PASSWORD).await;
        assert_eq!(marketer.get("/admin/integrations").await.status, StatusCode::FORBIDDEN);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_till_report_page_shows_a_range_and_names_a_bad_one() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut owner = Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", PASSWORD).await;
        let dashboard = owner.get("/admin").await;
        assert!(dashboard.html.contains("href=\"/admin/till-report\""), "linked from the dashboard");
        let page = owner.get("/admin/till-report").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("id=\"cashiers\""), "today's report, empty but shown");
        let backwards = owner.get("/admin/till-report?from=1405/09/12&to=1405/09/10").await;
        assert_eq!(backwards.status, StatusCode::OK);
        assert!(backwards.html.contains("aria-invalid=\"true\"") && !backwards.html.contains("id=\"cashiers\""));
        app.finish().await;
    }
}

#[tokio::test]
async fn an_owner_sets_referrals_and_cashback_without_code() {
    for app in apps().await {
        staff(&app, "owner@shop.ir", "owner").await;
        let mut owner = Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", PASSWORD).await;
        let programme = owner.get("/admin/programme").await;
        assert!(programme.html.contains("href=\"/admin/programme/referrals-cashback\""));
        let page = owner.get("/admin/programme/referrals-cashback").await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = page.csrf();

        let referral = |points: &'static str| {
            [
                ("enabled", "1"),
                ("point_type", "purchase"),
                ("referrer_points", points),
                ("referee_points", "۵۰"),
                ("min_first_invoice", "200,000"),
                ("within_days", "30"),
                ("link_base", ""),
            ]
        };
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(referral("-5"));
        let bad = owner.post("/admin/programme/referrals", &form).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("aria-invalid=\"true\""), "the bad number is marked");
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(referral("100"));
        assert_eq!(owner.post("/admin/programme/referrals", &form).await.status, StatusCode::SEE_OTHER);
        let saved = app.get("/api/v1/referrals/programme").await.body;
        assert_eq!((saved["referrer_points"].as_i64(), saved["referee_points"].as_i64()), (Some(100), Some(50)));
        assert_eq!((saved["min_first_invoice"].as_i64(), saved["within_days"].as_i64()), (Some(200_000), Some(30)));

        // Cashback as points needs the point type; as wallet money, a category's own rate.
        let cashback = |credit_as: &'static str, point_type: &'static str| {
            [
                ("enabled", "1"),
                ("credit_as", credit_as),
                ("point_type", point_type),
                ("maturity_days", "7"),
                ("category_rates[0].category", "cake"),
                ("category_rates[0].percent", "۲٫۵"),
                ("category_rates[1].category", ""),
                ("category_rates[1].percent", ""),
            ]
        };
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(cashback("points", ""));
        let bad = owner.post("/admin/programme/cashback", &form).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(cashback("wallet", ""));
        assert_eq!(owner.post("/admin/programme/cashback", &form).await.status, StatusCode::SEE_OTHER);
        let saved = app.get("/api/v1/cashback").await.body;
        assert_eq!((saved["credit_as"].as_str(), saved["maturity_days"].as_i64()), (Some("wallet"), Some(7)));
        assert_eq!(saved["category_rates"], serde_json::json!([{"category": "cake", "percent": 2.5}]));
        let page = owner.get("/admin/programme/referrals-cashback").await;
        assert!(page.html.contains("name=\"category_rates[0].category\" value=\"cake\""), "the saved rate is shown");
        app.finish().await;
    }
}
