//! The customer club in a real headless Chromium at a phone's size: a customer opens a game's
//! public link, signs in with the code the local SMS server received, spins the wheel and sees
//! the prize credited, redeems a reward, starts a mission, finds notifications offered with the
//! club's service worker registered, and switches to English. Screenshots
//! of the home page and the wheel are kept in `target/screenshots/`.

mod common;

use common::browser::Browser;
use common::club::{connect_sms, last_code, opt_in_mission, wheel};
use common::providers;
use serde_json::json;
use std::time::Duration;

async fn points(b: &Browser) -> i64 {
    let text = b.text("[data-points=purchase]").await;
    philia_domain::digits::ascii_digits(&text).replace(['٬', ','], "").parse().unwrap()
}

#[tokio::test]
async fn a_customer_plays_and_redeems_in_the_club_on_a_phone() {
    for app in common::apps().await {
        let tag = app.backend;
        let p = providers::start().await;
        connect_sms(&app, &p).await;
        wheel(&app, &[("p50", 50), ("p20", 20), ("p30", 30)]).await;
        let r = app.post("/api/v1/rewards", json!({"code": "coffee", "name": "قهوه رایگان", "kind": "discount_code", "discount": "percent", "value": 100, "valid_days": 30, "point_type": "purchase", "cost": 100})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        opt_in_mission(&app).await;
        let r = app.post("/api/v1/customers", json!({"mobile": "09127778899", "first_name": "مریم"})).await;
        let id = r.body["customer"]["id"].as_i64().unwrap();
        let r = app
            .post(
                &format!("/api/v1/customers/{id}/points/adjust"),
                json!({"point_type": "purchase", "points": 200, "reason": "هدیه", "idempotency_key": "gift"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);

        let b = Browser::start(390, 844).await;
        // The game's public link asks for sign-in first and comes back.
        b.goto(&format!("{}/club/shop/games/wheel", app.base)).await;
        assert!(b.path().await.starts_with("/club/shop/sign-in"), "{tag}");
        b.fill("#f-mobile", "۰۹۱۲۷۷۷۸۸۹۹").await;
        b.submit("form.card button[type=submit]").await;
        b.fill("#f-code", &last_code(&p, "09127778899")).await;
        b.submit("form.card button[type=submit]").await;
        assert_eq!(b.path().await, "/club/shop/games/wheel", "{tag}");

        // The wheel spins to the prize the server drew, then shows it.
        b.submit("form.play button").await;
        let prize = b.eval("return document.getElementById('result').dataset.prize").await;
        let won = match prize.as_str() {
            Some("p50") => 50,
            Some("p20") => 20,
            Some("p30") => 30,
            other => panic!("{tag}: a prize was drawn: {other:?}"),
        };
        // The turn is set two animation frames after the page is ready, so it is waited for.
        let mut turned = false;
        for _ in 0..50 {
            let transform = b.eval("return document.querySelector('.wheel-face').style.transform").await;
            if transform.as_str().is_some_and(|t| t.starts_with("rotate(")) {
                turned = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(turned, "{tag}: the wheel turns");
        let mut shown = false;
        for _ in 0..100 {
            if b.eval("return !document.getElementById('result').classList.contains('pending')").await == json!(true) {
                shown = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(shown, "{tag}: the prize shows when the wheel stops");
        assert!(b.text("#result").await.contains("بردید"), "{tag}");
        b.screenshot(&format!("club-wheel-fa-{tag}")).await;
        b.goto(&format!("{}/club/shop", app.base)).await;
        assert_eq!(points(&b).await, 200 - 10 + won, "{tag}: the prize is credited");
        b.screenshot(&format!("club-home-fa-{tag}")).await;

        // Redeem a reward: a confirmation, then the code is among my rewards.
        b.goto(&format!("{}/club/shop/rewards", app.base)).await;
        b.submit("[data-reward=coffee] a.button").await;
        assert!(b.path().await.ends_with("/rewards/coffee"), "{tag}");
        b.submit("form.inline button[type=submit]").await;
        assert!(b.text("p.notice").await.contains("جایزه دریافت شد"), "{tag}");
        let code = b.text("ul.mine code.copy").await;
        assert!(!code.is_empty(), "{tag}: the discount code shows");
        b.goto(&format!("{}/club/shop", app.base)).await;
        assert_eq!(points(&b).await, 200 - 10 + won - 100, "{tag}");

        // Start a mission.
        b.goto(&format!("{}/club/shop/missions", app.base)).await;
        b.submit("[data-mission=two-buys] button").await;
        let status = b.eval("return document.querySelector('[data-mission=two-buys]').dataset.status").await;
        assert_eq!(status, json!("in_progress"), "{tag}");

        // The account page registers the club's service worker (scoped to the club) and offers
        // notifications for this device.
        b.goto(&format!("{}/club/shop/me", app.base)).await;
        b.wait_until("return ['off', 'blocked'].includes(document.getElementById('notifications').dataset.state)").await;
        let scope = b
            .eval_async("const done = arguments[arguments.length - 1]; navigator.serviceWorker.getRegistration().then(r => done(r ? new URL(r.scope).pathname : null))")
            .await;
        assert_eq!(scope, json!("/club/shop/"), "{tag}");
        let visible = b
            .eval(
                "return [...document.querySelectorAll('#notifications [data-when]')].filter(e => e.offsetParent !== null).length",
            )
            .await;
        assert!(visible.as_i64().unwrap() >= 1, "{tag}: the current state shows");
        let unsupported =
            b.eval("return document.querySelector('#notifications [data-when=unsupported]').offsetParent === null").await;
        assert_eq!(unsupported, json!(true), "{tag}: Chromium can show notifications");

        // English, kept with the session.
        b.submit("form.lang button").await;
        assert_eq!(b.text("h1").await, "My account", "{tag}");
        b.goto(&format!("{}/club/shop", app.base)).await;
        assert!(b.text("h1").await.starts_with("Hello"), "{tag}");
        let dir = b.eval("return document.documentElement.dir").await;
        assert_eq!(dir, json!("ltr"));
        b.screenshot(&format!("club-home-en-{tag}")).await;
        b.quit().await;
        app.finish().await;
    }
}

/// A web shop's page on another site (`localhost` against the club's `127.0.0.1`) carrying the
/// widget's script tag for the shop's signed-in customer.
async fn shop_page(club_base: &str, token: &str) -> String {
    let html = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>Shop</title></head><body><h1>Shop</h1>\
         <script src=\"{club_base}/club/shop/widget.js\" data-connection=\"web\" data-token=\"{token}\" data-lang=\"en\"></script></body></html>"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(html) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://localhost:{port}/")
}

#[tokio::test]
async fn a_shop_customer_spins_the_wheel_inside_the_shop_frame() {
    for app in common::apps().await {
        let tag = app.backend;
        let secret = "a-shop-secret-for-tests";
        app.post("/api/v1/connections", json!({"kind": "woocommerce", "code": "web", "secret": secret})).await;
        wheel(&app, &[("p50", 50), ("p20", 20)]).await;
        // The shop's customer is known by email; the widget finds the same profile.
        let r = app.post("/api/v1/customers", json!({"email": "ana@example.com", "first_name": "Ana"})).await;
        let id = r.body["customer"]["id"].as_i64().unwrap();
        app.post(
            &format!("/api/v1/customers/{id}/points/adjust"),
            json!({"point_type": "purchase", "points": 100, "reason": "هدیه", "idempotency_key": "gift"}),
        )
        .await;
        let claims = philia_domain::shop_token::ShopClaims {
            customer_id: Some("7".into()),
            email: Some("ana@example.com".into()),
            exp: jiff::Timestamp::now().as_second() + 3600,
            ..Default::default()
        };
        let token = philia_domain::shop_token::sign_shop_token(&claims, secret);
        let shop = shop_page(&app.base, &token).await;

        let b = Browser::start(390, 844).await;
        b.goto(&shop).await;
        b.click("[data-philia-club]").await;
        b.client.enter_frame(0).await.unwrap();
        b.wait_until("return !!document.querySelector('a.games')").await;
        b.submit("a.games").await;
        b.submit("a.tile.game").await;
        b.submit("form.play button").await;
        let prize = b.eval("return document.getElementById('result').dataset.prize").await;
        let won = match prize.as_str() {
            Some("p50") => 50,
            Some("p20") => 20,
            other => panic!("{tag}: a prize was drawn: {other:?}"),
        };
        b.wait_until("return !document.getElementById('result').classList.contains('pending')").await;
        assert!(b.text("#result").await.contains("You won"), "{tag}: the prize shows when the wheel stops");
        b.client.enter_parent_frame().await.unwrap();
        b.screenshot(&format!("widget-wheel-en-{tag}")).await;
        let balance = app.get(&format!("/api/v1/customers/{id}/points")).await.body;
        let held = balance.as_array().unwrap().iter().find(|x| x["point_type"] == "purchase").unwrap()["balance"].as_i64();
        assert_eq!(held, Some(100 - 10 + won), "{tag}: paid and credited once, to the shop's customer");
        b.quit().await;
        app.finish().await;
    }
}
