//! The panel's platform pages: plan and usage, the audit log, and a customer's data rights
//! (download everything, erase) — on every backend.

mod common;

use common::apps;
use common::panel::Panel;
use reqwest::{Method, StatusCode};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn owners_see_the_plan_and_each_month_s_price() {
    for app in apps().await {
        let tag = app.backend;
        app.engine.create_staff(&app.ctx, "owner@shop.ir", "مالک", "owner", PASSWORD).await.unwrap();
        app.engine.create_staff(&app.ctx, "viewer@shop.ir", "بیننده", "viewer", PASSWORD).await.unwrap();
        for i in 0..3 {
            let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1 + i)).to_string();
            app.post("/api/v1/invoices", common::invoice(&format!("m{i}"), &at, "09121112233", 90_000)).await;
        }
        let mut owner = Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", PASSWORD).await;
        let page = owner.get("/admin/usage").await;
        assert_eq!(page.status, StatusCode::OK, "{tag}");
        assert!(page.html.contains("پرایم") && page.html.contains("طبق قرارداد"), "{tag}: Prime is by contract");
        assert!(page.html.contains("id=\"month-invoices\">۳<"), "{tag}: three invoices this month");
        assert!(!page.html.contains("id=\"bands\""), "{tag}: no price table on Prime");

        let r = app
            .request(
                Method::PUT,
                "/api/v1/tenants/shop/plan",
                Some("operator-token-for-tests"),
                Some(json!({"plan": "economic"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let page = owner.get("/admin/usage").await;
        assert!(page.html.contains("اکونومی"), "{tag}");
        assert!(page.html.contains("id=\"month-price\">۳٬۰۰۰٬۰۰۰ تومان<"), "{tag}: the flat fee");
        let current = page.html.find("class=\"current\"").expect("the month's band is marked");
        assert!(page.html[current..].contains("کمتر از ۱٬۰۰۰"), "{tag}");

        // A key gets a new secret from the settings page, shown once; the old one stops.
        let old = app.engine.create_api_key(&app.ctx, "integration", Some("till")).await.unwrap();
        let csrf = owner.get("/admin/settings").await.csrf();
        let rotated = owner
            .post(&format!("/admin/settings/keys/{}/rotate", old.record.id), &[("csrf", &csrf), ("grace_minutes", "0")])
            .await;
        assert_eq!(rotated.status, StatusCode::OK, "{tag}");
        let at = rotated.html.find("id=\"issued-key\" dir=\"ltr\">").unwrap() + 26;
        let new_key = rotated.html[at..at + rotated.html[at..].find('<').unwrap()].to_string();
        assert!(new_key.starts_with("phk_") && new_key != old.key, "{tag}");
        assert_eq!(app.request(Method::GET, "/api/v1/customers", Some(&old.key), None).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(app.request(Method::GET, "/api/v1/customers", Some(&new_key), None).await.status, StatusCode::OK);

        let mut viewer = Panel::new(&app.base);
        viewer.sign_in("viewer@shop.ir", PASSWORD).await;
        assert_eq!(viewer.get("/admin/usage").await.status, StatusCode::FORBIDDEN, "{tag}");
        assert_eq!(viewer.get("/admin/audit").await.status, StatusCode::FORBIDDEN, "{tag}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_customer_s_data_is_downloaded_and_erased_from_the_profile_and_the_log_says_who() {
    for app in apps().await {
        let tag = app.backend;
        app.engine.create_staff(&app.ctx, "owner@shop.ir", "مالک", "owner", PASSWORD).await.unwrap();
        let r = app.post("/api/v1/customers", json!({"mobile": "09121234567", "first_name": "مریم", "last_name": "رضایی"})).await;
        let id = r.body["outcome"]["customer_id"].as_i64().unwrap();
        let mut owner = Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", PASSWORD).await;
        let profile = owner.get(&format!("/admin/customers/{id}")).await;
        assert!(profile.html.contains(&format!("/admin/customers/{id}/export.csv")), "{tag}");
        let csrf = profile.csrf();

        let json_doc = owner.get(&format!("/admin/customers/{id}/export.json")).await;
        assert_eq!(json_doc.status, StatusCode::OK, "{tag}");
        let doc: serde_json::Value = serde_json::from_str(&json_doc.html).unwrap();
        assert_eq!(doc["customer"]["last_name"], "رضایی");
        let csv = owner.get(&format!("/admin/customers/{id}/export.csv")).await;
        assert!(csv.html.starts_with("\u{feff}path,value"), "{tag}: a BOM for spreadsheets");
        assert!(csv.html.contains("customer.first_name,مریم"), "{tag}");

        let refused = owner.post(&format!("/admin/customers/{id}/erase"), &[("csrf", &csrf), ("reason", "  ")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}: a reason is needed");
        assert!(refused.html.contains("id=\"f-reason-error\""), "{tag}: named beside its field");
        assert!(app.engine.customer(&app.ctx, id).await.unwrap().first_name.is_some(), "{tag}: nothing erased");
        let done = owner.post(&format!("/admin/customers/{id}/erase"), &[("csrf", &csrf), ("reason", "درخواست تلفنی")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{tag}");
        let profile = owner.get(&format!("/admin/customers/{id}")).await;
        assert!(profile.html.contains("id=\"erased\"") && !profile.html.contains("رضایی"), "{tag}");

        let log = owner.get(&format!("/admin/audit?entity=customer&key={id}")).await;
        assert_eq!(log.status, StatusCode::OK, "{tag}");
        assert!(log.html.contains("customer.erase") && log.html.contains("owner@shop.ir"), "{tag}");
        assert!(log.html.contains("درخواست تلفنی"), "{tag}: the reason is kept");
        let bad = owner.get("/admin/audit?from=not-a-day").await;
        assert_eq!(bad.status, StatusCode::OK, "{tag}");
        assert!(bad.html.contains("class=\"notice error\""), "{tag}: a bad filter is explained, not a failure");
        app.finish().await;
    }
}

#[tokio::test]
async fn owners_set_how_long_raw_detail_is_kept() {
    for app in apps().await {
        let tag = app.backend;
        app.engine.create_staff(&app.ctx, "owner@shop.ir", "مالک", "owner", PASSWORD).await.unwrap();
        let mut owner = Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", PASSWORD).await;
        let page = owner.get("/admin/retention").await;
        assert_eq!(page.status, StatusCode::OK, "{tag}");
        let refused = owner
            .post("/admin/retention", &[("csrf", &page.csrf()), ("event_details_days", "۶"), ("message_bodies_days", "۹۰")])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(
            refused.html.contains("aria-invalid=\"true\"") && refused.html.contains("value=\"۹۰\""),
            "{tag}: what was typed stays"
        );
        let saved = owner
            .post("/admin/retention", &[("csrf", &page.csrf()), ("event_details_days", "۳۶۵"), ("message_bodies_days", "90")])
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{tag}: {}", saved.html);
        let r = app.get("/api/v1/retention").await.body;
        assert_eq!(r, json!({"event_details_days": 365, "message_bodies_days": 90, "delivery_bodies_days": null}), "{tag}");
        let page = owner.get("/admin/retention").await;
        assert!(page.html.contains("value=\"365\""), "{tag}");
        app.finish().await;
    }
}
