//! Request rate limits: a key over its budget gets 429 with Retry-After and the reason, other
//! keys are not slowed by it, and an address over its budget is stopped whatever it asks for.

mod common;

use governor::Quota;
use philia_web::limits::RateLimits;
use std::num::NonZeroU32;

/// Serves the test application's engine again with the given limits; returns its base address.
async fn serve_with(app: &common::TestApp, limits: RateLimits) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = philia_web::AppState::new(app.engine.clone(), None).with_limits(limits);
    tokio::spawn(philia_web::serve(state, listener));
    base
}

/// Five requests, then one a minute: nothing refills during the test.
fn five() -> Quota {
    Quota::per_minute(NonZeroU32::new(1).unwrap()).allow_burst(NonZeroU32::new(5).unwrap())
}

#[tokio::test]
async fn a_key_over_its_budget_waits_and_other_keys_do_not() {
    for app in common::apps().await {
        let base = serve_with(&app, RateLimits::new(Some(five()), None)).await;
        let other = app.engine.create_api_key(&app.ctx, "read_only", Some("dashboard")).await.unwrap().key;
        let client = reqwest::Client::new();
        let mut statuses = Vec::new();
        let mut refused = None;
        for _ in 0..8 {
            let r = client.get(format!("{base}/api/v1/customers?limit=1")).bearer_auth(&app.key).send().await.unwrap();
            statuses.push(r.status().as_u16());
            if r.status() == 429 {
                let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                refused = Some((wait, r.json::<serde_json::Value>().await.unwrap()));
            }
        }
        assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429, 429], "{}", app.backend);
        let (wait, body) = refused.unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(body["code"], "rate_limited");
        assert!(body["detail"].as_str().unwrap().contains("API key"), "{body}");
        let r = client.get(format!("{base}/api/v1/customers?limit=1")).bearer_auth(&other).send().await.unwrap();
        assert_eq!(r.status(), 200, "another key keeps its own budget");
        let r = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200, "requests without a key are not charged to a key");
        app.finish().await;
    }
}

#[tokio::test]
async fn an_address_over_its_budget_is_stopped_whatever_it_asks() {
    for app in common::apps().await {
        let base = serve_with(&app, RateLimits::new(None, Some(five()))).await;
        // Redirects are not followed: each request here is one request to the server.
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut statuses = Vec::new();
        for path in ["/healthz", "/admin/sign-in", "/api/v1/customers", "/healthz", "/club/shop", "/healthz", "/admin/sign-in"] {
            statuses.push(client.get(format!("{base}{path}")).bearer_auth(&app.key).send().await.unwrap().status().as_u16());
        }
        assert!(statuses[..5].iter().all(|s| *s != 429), "{statuses:?}");
        assert_eq!(&statuses[5..], [429, 429], "{}", app.backend);
        let r = client.get(format!("{base}/healthz")).send().await.unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains("address"), "{body}");
        // The application served without limits is not affected.
        assert_eq!(app.get("/api/v1/customers?limit=1").await.status, 200);
        app.finish().await;
    }
}
