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
