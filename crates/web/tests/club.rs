//! The customer club over HTTP on both databases: signing in with a code sent through a local
//! Kavenegar server, the limits on codes, that a customer only ever reaches their own club and
//! data, playing, redeeming and starting a mission from the pages, and the brand's look.

mod common;

use common::club::{ask_code, connect_sms, enter_code, field_value, last_code, opt_in_mission, signed_in, wheel};
use common::panel::Panel;
use common::{TestApp, apps, providers};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_customer_signs_in_with_a_code_by_sms_and_joins_the_club() {
    for app in apps().await {
        let p = providers::start().await;
        connect_sms(&app, &p).await;
        let mut club = Panel::new(&app.base);
        // Pages need a session: the reader is sent to sign in and back.
        let away = club.get("/club/shop/rewards").await;
        assert_eq!(away.status, StatusCode::SEE_OTHER);
        assert_eq!(away.location.as_deref(), Some("/club/shop/sign-in?next=%2Fclub%2Fshop%2Frewards"));

        let bad = ask_code(&mut club, "shop", "12345").await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("aria-invalid=\"true\""), "the mobile field is marked");

        let asked = ask_code(&mut club, "shop", "۰۹۱۲ ۱۱۱ ۲۲۳۳").await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.html);
        assert!(asked.html.contains("name=\"code\""));
        let sent = p.sent("kavenegar");
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].path, "/v1/kv-test-key/sms/send.json");
        assert_eq!(sent[0].fields["receptor"], "09121112233");
        let code = last_code(&p, "09121112233");

        let wrong = if code == "000000" { "111111" } else { "000000" };
        let refused = enter_code(&mut club, "shop", "+989121112233", wrong).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.html.contains("این کد درست نیست"), "{}", refused.html);
        assert!(!club.has_cookie("philia_club"));

        let persian_code: String = philia_domain::digits::persian_digits(&code);
        let done = enter_code(&mut club, "shop", "+989121112233", &persian_code).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        assert_eq!(done.location.as_deref(), Some("/club/shop?welcome=1"));
        assert!(club.has_cookie("philia_club"));
        let home = club.get("/club/shop?welcome=1").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.html.contains("به باشگاه خوش آمدید"));
        assert!(home.html.contains("data-points=\"purchase\""), "{}", home.html);

        // The customer exists, with the sign-in recorded; the delivery log never shows the code.
        let found = app.get("/api/v1/customers?q=09121112233").await.body;
        let customer = &found["items"][0];
        assert_eq!(customer["mobile"], "+989121112233");
        assert!(customer["stats"]["first_login_at"].is_string(), "{customer}");
        let log = app.get("/api/v1/messages").await.body;
        let logged = log.as_array().unwrap().iter().find(|m| m["source"] == "club:sign-in").expect("the code is in the log");
        assert_eq!(logged["status"], "sent");
        let body = logged["body"].as_str().unwrap();
        assert!(!body.contains(&code) && !body.contains(&persian_code), "{body}");

        // A used code does not work twice; signing out ends the session.
        let mut other = Panel::new(&app.base);
        other.get("/club/shop/sign-in").await;
        let again = enter_code(&mut other, "shop", "09121112233", &code).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        let me = club.get("/club/shop/me").await;
        let out = club.post("/club/shop/sign-out", &[("csrf", &me.csrf())]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(!club.has_cookie("philia_club"));
        assert_eq!(club.get("/club/shop").await.status, StatusCode::SEE_OTHER);
        app.finish().await;
    }
}

#[tokio::test]
async fn codes_are_limited_per_number_and_die_after_five_wrong_guesses() {
    for app in apps().await {
        let p = providers::start().await;
        connect_sms(&app, &p).await;
        let mut club = Panel::new(&app.base);
        assert_eq!(ask_code(&mut club, "shop", "09123334455").await.status, StatusCode::OK);
        let too_soon = ask_code(&mut club, "shop", "09123334455").await;
        assert_eq!(too_soon.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(too_soon.html.contains("ثانیه"), "{}", too_soon.html);
        assert_eq!(p.sent("kavenegar").len(), 1, "no second SMS");

        let code = last_code(&p, "09123334455");
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            assert_eq!(enter_code(&mut club, "shop", "09123334455", wrong).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let dead = enter_code(&mut club, "shop", "09123334455", &code).await;
        assert_eq!(dead.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(dead.html.contains("کد تازه"), "{}", dead.html);
        assert!(!club.has_cookie("philia_club"));
        app.finish().await;
    }
}

#[tokio::test]
async fn a_customer_reaches_only_their_own_club_and_data() {
    for app in apps().await {
        let p = providers::start().await;
        connect_sms(&app, &p).await;
        // Another customer with points the signed-in one must never see.
        let r = app.post("/api/v1/customers", json!({"mobile": "09125556677", "first_name": "نگار"})).await;
        let rich = r.body["customer"]["id"].as_i64().unwrap();
        let r = app
            .post(
                &format!("/api/v1/customers/{rich}/points/adjust"),
                json!({"point_type": "purchase", "points": 777, "reason": "test", "idempotency_key": "rich"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);

        let mut club = signed_in(&app, &p, "09121112233").await;
        let home = club.get("/club/shop").await;
        assert!(!home.html.contains("۷۷۷") && !home.html.contains("نگار"));
        let me = club.get("/club/shop/me").await;
        assert!(!me.html.contains("09125556677") && !me.html.contains("نگار"));

        // The session cookie means nothing at another brand's club.
        app.other_tenant("other").await;
        let elsewhere = club.get("/club/other").await;
        assert_eq!(elsewhere.status, StatusCode::SEE_OTHER);
        assert!(elsewhere.location.unwrap().starts_with("/club/other/sign-in"));
        // Forms need the session's token and this site's origin.
        let forged = club.post("/club/shop/me", &[("csrf", "0000"), ("first_name", "x")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let csrf = me.csrf();
        let cross = club.post_from("http://evil.example", "/club/shop/me", &[("csrf", &csrf), ("first_name", "x")]).await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_customer_plays_redeems_starts_a_mission_and_keeps_their_details() {
    for app in apps().await {
        let p = providers::start().await;
        connect_sms(&app, &p).await;
        wheel(&app, &[("p50", 50), ("p50b", 50)]).await;
        let r = app.post("/api/v1/rewards", json!({"code": "cash", "name": "اعتبار ۵۰ هزار", "kind": "wallet_credit", "amount": 50000, "point_type": "purchase", "cost": 100})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        opt_in_mission(&app).await;

        let mut club = signed_in(&app, &p, "09121112233").await;
        let id = app.get("/api/v1/customers?q=09121112233").await.body["items"][0]["id"].as_i64().unwrap();
        let r = app
            .post(
                &format!("/api/v1/customers/{id}/points/adjust"),
                json!({"point_type": "purchase", "points": 200, "reason": "خوش‌آمد", "idempotency_key": "w"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);

        // A play: cost 10, prize 50; a double submit of the same form plays once.
        let game = club.get("/club/shop/games/wheel").await;
        assert_eq!(game.status, StatusCode::OK);
        assert!(game.html.contains("class=\"wheel\""));
        let key = field_value(&game.html, "key");
        let played = club.post("/club/shop/games/wheel/play", &[("csrf", &game.csrf()), ("key", &key)]).await;
        assert_eq!(played.status, StatusCode::OK, "{}", played.html);
        let landed_on_drawn = (played.html.contains("data-land=\"0\"") && played.html.contains("data-prize=\"p50\""))
            || (played.html.contains("data-land=\"1\"") && played.html.contains("data-prize=\"p50b\""));
        assert!(landed_on_drawn, "the wheel lands on the drawn prize");
        club.post("/club/shop/games/wheel/play", &[("csrf", &game.csrf()), ("key", &key)]).await;
        assert_eq!(balance(&app, id).await, 240);

        // Redeeming asks first, then spends.
        let confirm = club.get("/club/shop/rewards/cash").await;
        assert_eq!(confirm.status, StatusCode::OK);
        let key = field_value(&confirm.html, "key");
        let got = club.post("/club/shop/rewards/cash", &[("csrf", &confirm.csrf()), ("key", &key)]).await;
        assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.html);
        assert_eq!(balance(&app, id).await, 140);
        let store = club.get(got.location.as_deref().unwrap()).await;
        assert!(store.html.contains("data-redemption="));
        let wallet = app.get(&format!("/api/v1/customers/{id}/wallet")).await.body;
        assert_eq!(wallet["balance"], 50000);

        // Missions: start one that waits for the customer.
        let missions = club.get("/club/shop/missions").await;
        assert!(missions.html.contains("data-mission=\"two-buys\" data-status=\"available\""), "{}", missions.html);
        let started = club.post("/club/shop/missions/two-buys/start", &[("csrf", &missions.csrf())]).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER);
        let missions = club.get("/club/shop/missions").await;
        assert!(missions.html.contains("data-mission=\"two-buys\" data-status=\"in_progress\""));

        // Details: a bad birthday is refused beside its field and what was typed is kept.
        let me = club.get("/club/shop/me").await;
        let bad = club.post("/club/shop/me", &[("csrf", &me.csrf()), ("first_name", "سارا"), ("birth_date", "روز تولد")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.html.contains("value=\"سارا\"") && bad.html.contains("aria-invalid=\"true\""));
        let ok = club
            .post(
                "/club/shop/me",
                &[("csrf", &me.csrf()), ("first_name", "سارا"), ("birth_date", "1370/05/12"), ("sms_opt_in", "on")],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
        let c = app.get(&format!("/api/v1/customers/{id}")).await.body;
        assert_eq!((c["first_name"].as_str(), c["birth_date"].as_str()), (Some("سارا"), Some("1991-08-03")));
        assert_eq!(c["sms_consent"]["opted_in"], true);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_club_wears_the_brand_and_answers_on_its_own_host() {
    for app in apps().await {
        let bad = app.put("/api/v1/club/branding", json!({"primary_colour": "purple", "logo_url": "javascript:x"})).await;
        assert_eq!(bad.status, 422);
        let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["logo_url", "primary_colour"]);
        let r = app
            .put(
                "/api/v1/club/branding",
                json!({"club_name": "باشگاه رویا", "primary_colour": "#aa3366", "custom_domain": "club.roya.example"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let (_, other_key) = app.other_tenant("other").await;
        let taken = app
            .request(
                reqwest::Method::PUT,
                "/api/v1/club/branding",
                Some(&other_key),
                Some(json!({"custom_domain": "club.roya.example"})),
            )
            .await;
        assert_eq!(taken.status, 422);
        assert_eq!(taken.body["errors"][0]["field"], "custom_domain");

        let mut club = Panel::new(&app.base);
        let page = club.get("/club/shop/sign-in").await;
        assert!(page.html.contains("باشگاه رویا") && page.html.contains("--brand:#aa3366"));
        assert!(!page.html.contains("Philia") && !page.html.contains("فیلیا"), "no trace of the platform");

        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{}/games?x=1", app.base))
            .header("host", "Club.Roya.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/club/shop/games?x=1");

        // A proxy issuing certificates on demand asks first: only brands' host names get one.
        let ask = |domain: &'static str| {
            let client = app.client.clone();
            let url = format!("{}/tls/allowed", app.base);
            async move { client.get(url).query(&[("domain", domain)]).send().await.unwrap().status() }
        };
        assert_eq!(ask("club.roya.example").await, StatusCode::OK);
        assert_eq!(ask("CLUB.roya.example.").await, StatusCode::OK);
        assert_eq!(ask("evil.example").await, StatusCode::NOT_FOUND);
        assert_eq!(ask("").await, StatusCode::BAD_REQUEST);
        app.finish().await;
    }
}

async fn balance(app: &TestApp, id: i64) -> i64 {
    app.get(&format!("/api/v1/customers/{id}/points")).await.body.as_array().unwrap()[0]["balance"].as_i64().unwrap()
}
