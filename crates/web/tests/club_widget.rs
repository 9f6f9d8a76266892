//! The club on a web shop, on every backend: the button's script in the brand's colour, the
//! panel a shop's signed token opens (the same customer the shop's orders made), refusals of
//! forged, expired and foreign tokens, and the link that signs the customer into the full club.

mod common;

use philia_domain::shop_token::{ShopClaims, sign_shop_token};
use serde_json::json;

fn token(secret: &str, customer: &str, exp_in: i64) -> String {
    let claims = ShopClaims {
        customer_id: Some(customer.into()),
        email: Some("john.doe@example.com".into()),
        mobile: Some("(555) 555-5555".into()),
        exp: jiff::Timestamp::now().as_second() + exp_in,
        ..Default::default()
    };
    sign_shop_token(&claims, secret)
}

#[tokio::test]
async fn a_shop_shows_its_customer_the_club() {
    for app in common::apps().await {
        let secret = "a-shop-secret-for-tests";
        let made = app.post("/api/v1/connections", json!({"kind": "woocommerce", "code": "web", "secret": secret})).await;
        assert_eq!(made.status, 201);
        app.put("/api/v1/club/branding", json!({"club_name": "باشگاه رویا", "primary_colour": "#aa3366"})).await;
        // The shop's customer 25 bought before: the webhook made the profile.
        let mut order = common::woo::fixture_json("order.json");
        order["currency"] = json!("IRT");
        order["customer_id"] = json!(25);
        order["total"] = json!("2935000");
        let body = serde_json::to_vec(&order).unwrap();
        assert_eq!(common::woo::deliver(&app, "/hooks/woocommerce/shop/web", "order.created", &body, Some(secret)).await, 200);
        common::woo::drain(&app).await;
        let buyer = app.get("/api/v1/customers?q=john.doe@example.com").await.body["items"][0]["id"].as_i64().unwrap();

        let script = app.client.get(format!("{}/club/shop/widget.js", app.base)).send().await.unwrap();
        assert_eq!(script.status(), 200);
        assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
        let js = script.text().await.unwrap();
        assert!(js.starts_with("var PHILIA_CLUB = {") && js.contains("#aa3366") && js.contains("باشگاه رویا"), "{js}");

        let good = token(secret, "25", 3600);
        let panel = app
            .client
            .get(format!("{}/club/shop/widget", app.base))
            .query(&[("c", "web"), ("t", good.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(panel.status(), 200, "{}", app.backend);
        assert_eq!(panel.headers()["content-security-policy"], "frame-ancestors *");
        assert_eq!(panel.headers()["referrer-policy"], "no-referrer");
        let html = panel.text().await.unwrap();
        assert!(html.contains("باشگاه رویا") && html.contains("/club/shop/widget/enter?"), "{html}");
        let customers = app.get("/api/v1/customers?q=john.doe@example.com").await.body;
        assert_eq!(customers["items"].as_array().unwrap().len(), 1, "the token names the customer the orders made");
        assert_eq!(customers["items"][0]["id"].as_i64(), Some(buyer));

        // Forged, expired, too long-lived, another connection's, another brand's: refused.
        for (conn, t, status) in [
            ("web", token("not-the-secret", "25", 3600), 401),
            ("web", token(secret, "25", -10), 401),
            ("web", token(secret, "25", 3 * 24 * 3600), 401),
            ("nope", token(secret, "25", 3600), 404),
        ] {
            let res = app
                .client
                .get(format!("{}/club/shop/widget", app.base))
                .query(&[("c", conn), ("t", t.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), status, "{conn}");
        }
        app.other_tenant("other").await;
        let foreign = app
            .client
            .get(format!("{}/club/other/widget", app.base))
            .query(&[("c", "web"), ("t", good.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), 404);

        // Entering the full club: a first-party session cookie and the page asked for.
        let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let enter = no_redirects
            .get(format!("{}/club/shop/widget/enter", app.base))
            .query(&[("c", "web"), ("t", good.as_str()), ("next", "/club/shop/games")])
            .send()
            .await
            .unwrap();
        assert_eq!(enter.status(), 303);
        assert_eq!(enter.headers()["location"], "/club/shop/games");
        let cookie = enter.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cookie.starts_with("philia_club=") && cookie.contains("Path=/club/shop") && cookie.contains("HttpOnly"),
            "{cookie}"
        );
        let session = cookie.split(';').next().unwrap().to_string();
        let home = no_redirects.get(format!("{}/club/shop", app.base)).header("cookie", &session).send().await.unwrap();
        assert_eq!(home.status(), 200, "the cookie opens the club");
        // A next outside the club lands on its home instead.
        let away = no_redirects
            .get(format!("{}/club/shop/widget/enter", app.base))
            .query(&[("c", "web"), ("t", good.as_str()), ("next", "https://evil.example/")])
            .send()
            .await
            .unwrap();
        assert_eq!(away.headers()["location"], "/club/shop");
        app.finish().await;
    }
}

/// The play form's address in a game page, with its `&amp;`s undone.
fn play_action(html: &str) -> String {
    let at = html.find("action=\"/club/shop/widget/games/wheel/play?").expect("a play form in the frame");
    let rest = &html[at + "action=\"".len()..];
    rest[..rest.find('"').unwrap()].replace("&amp;", "&")
}

#[tokio::test]
async fn a_shop_customer_plays_a_game_inside_the_frame() {
    for app in common::apps().await {
        let tag = app.backend;
        let secret = "a-shop-secret-for-tests";
        app.post("/api/v1/connections", json!({"kind": "woocommerce", "code": "web", "secret": secret})).await;
        common::club::wheel(&app, &[("ten", 10), ("fifty", 50)]).await;
        let t = token(secret, "25", 3600);
        let get = |path: String| {
            let client = app.client.clone();
            let t = t.clone();
            async move { client.get(path).query(&[("c", "web"), ("t", t.as_str())]).send().await.unwrap() }
        };

        // The panel leads to the games in the frame; the list leads to the wheel in the frame.
        let panel = get(format!("{}/club/shop/widget", app.base)).await.text().await.unwrap();
        assert!(panel.contains("href=\"/club/shop/widget/games?c=web&amp;t="), "{tag}: {panel}");
        let list = get(format!("{}/club/shop/widget/games", app.base)).await;
        assert_eq!(list.status(), 200, "{tag}");
        assert_eq!(list.headers()["content-security-policy"], "frame-ancestors *");
        let list = list.text().await.unwrap();
        assert!(list.contains("href=\"/club/shop/widget/games/wheel?c=web&amp;t="), "{tag}: {list}");
        assert!(!list.contains("class=\"tabs\"") && !list.contains("/language"), "{tag}: no club tabs in the frame");
        let page = get(format!("{}/club/shop/widget/games/wheel", app.base)).await.text().await.unwrap();
        assert!(page.contains("class=\"wheel\"") && !page.contains("name=\"csrf\""), "{tag}: {page}");
        let action = play_action(&page);

        // The customer needs points to play: give some, then play with one key twice (a double
        // click) and with another key once.
        let customer = app.get("/api/v1/customers?q=john.doe@example.com").await.body["items"][0]["id"].as_i64().unwrap();
        let r = app
            .post(
                &format!("/api/v1/customers/{customer}/points/adjust"),
                json!({"point_type": "purchase", "points": 100, "reason": "هدیه", "idempotency_key": "w1"}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
        let play = |key: &'static str| {
            let client = app.client.clone();
            let url = format!("{}{action}", app.base);
            async move { client.post(url).form(&[("key", key)]).send().await.unwrap() }
        };
        let first = play("k1").await;
        assert_eq!(first.status(), 200, "{tag}");
        let first = first.text().await.unwrap();
        assert!(first.contains("data-land=") && first.contains("data-prize="), "{tag}: the wheel lands on the drawn prize");
        assert_eq!(play("k1").await.status(), 200, "{tag}");
        assert_eq!(play("k2").await.status(), 200, "{tag}");
        let ledger = app.get(&format!("/api/v1/customers/{customer}/points/ledger?limit=100")).await.body;
        let entries = ledger["entries"].as_array().or(ledger["items"].as_array()).unwrap_or_else(|| panic!("{ledger}"));
        let spent = entries.iter().filter(|e| e["kind"] == "spend").count();
        assert_eq!(spent, 2, "{tag}: two plays paid for, the double click once: {ledger}");
        let balance = app.get(&format!("/api/v1/customers/{customer}/points")).await.body;
        let held =
            balance.as_array().unwrap().iter().find(|b| b["point_type"] == "purchase").unwrap()["balance"].as_i64().unwrap();
        assert!(held == 100 - 20 + 20 || held == 100 - 20 + 60 || held == 100 - 20 + 100, "{tag}: {held}");

        // Without the shop's connection and token, or with a forged token, nothing is played.
        let bare = action.split('?').next().unwrap().to_string();
        let r = app.client.post(format!("{}{bare}", app.base)).form(&[("key", "k3")]).send().await.unwrap();
        assert_eq!(r.status(), 404, "{tag}: no connection is named");
        let r =
            app.client.post(format!("{}{bare}", app.base)).query(&[("c", "web")]).form(&[("key", "k3")]).send().await.unwrap();
        assert_eq!(r.status(), 401, "{tag}");
        let forged = token("not-the-secret", "25", 3600);
        let r = app
            .client
            .post(format!("{}{bare}", app.base))
            .query(&[("c", "web"), ("t", forged.as_str())])
            .form(&[("key", "k4")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{tag}");
        let spent_after = app.get(&format!("/api/v1/customers/{customer}/points/ledger?limit=100")).await.body.to_string();
        assert_eq!(spent_after.matches("\"spend\"").count(), 2, "{tag}");
        app.finish().await;
    }
}
