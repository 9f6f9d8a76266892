//! Coalition networks over the API on every backend: invitations and rates, points earned at one
//! brand and spent at another with the settlement between them, exact balances under concurrent
//! exchanges, partner offers redeemed at the offering brand, and network reports that hide
//! groups of fewer than ten people.

mod common;

use common::TestApp;
use common::club::{connect_sms, field_value, signed_in};
use common::panel::Panel;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const OPERATOR: &str = "operator-token-for-tests";

async fn operator(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> common::Response {
    app.request(method, path, Some(OPERATOR), body).await
}

/// A mall network with `shop` (10 own points per network point) and `cafe` (5 per 2), both
/// accepted; returns the cafe's key.
async fn mall(app: &TestApp) -> String {
    let (_, cafe) = app.other_tenant("cafe").await;
    let r = operator(
        app,
        Method::POST,
        "/api/v1/networks",
        Some(json!({"slug": "mall", "name": "Mall", "point_name": "Mall points", "point_value": 1000})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for (tenant, rate) in [("shop", "10:1"), ("cafe", "5:2")] {
        let r = operator(app, Method::POST, "/api/v1/networks/mall/members", Some(json!({"tenant": tenant, "rate": rate}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    for key in [app.key.as_str(), cafe.as_str()] {
        let r = app.request(Method::POST, "/api/v1/network-memberships/mall/accept", Some(key), Some(json!({}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["status"], "active");
    }
    cafe
}

async fn customer(app: &TestApp, key: &str, mobile: &str) -> i64 {
    let r = app.request(Method::POST, "/api/v1/customers", Some(key), Some(json!({"mobile": mobile}))).await;
    assert!(r.status.is_success(), "{}", r.body);
    r.body["customer"]["id"].as_i64().unwrap()
}

async fn exchange(
    app: &TestApp,
    key: &str,
    customer: i64,
    direction: &str,
    points: i64,
    idem: impl AsRef<str>,
) -> common::Response {
    let idem = idem.as_ref();
    app.request(
        Method::POST,
        &format!("/api/v1/customers/{customer}/networks/mall/exchange"),
        Some(key),
        Some(json!({"direction": direction, "points": points, "idempotency_key": idem})),
    )
    .await
}

async fn purchase_balance(app: &TestApp, key: &str, customer: i64) -> (i64, i64) {
    let r = app.request(Method::GET, &format!("/api/v1/customers/{customer}/points"), Some(key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = r.body.as_array().unwrap().iter().find(|b| b["point_type"] == "purchase");
    b.map(|b| (b["balance"].as_i64().unwrap(), b["earned"].as_i64().unwrap())).unwrap_or((0, 0))
}

async fn join(app: &TestApp, key: &str, customer: i64) {
    let r = app.request(Method::POST, &format!("/api/v1/customers/{customer}/networks/mall/join"), Some(key), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
}

async fn give_points(app: &TestApp, key: &str, customer: i64, points: i64) {
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/customers/{customer}/points/adjust"),
            Some(key),
            Some(json!({"point_type": "purchase", "points": points, "reason": "welcome", "idempotency_key": format!("gift-{customer}")})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

async fn network_balance(app: &TestApp, key: &str, customer: i64) -> i64 {
    let r = app.request(Method::GET, &format!("/api/v1/customers/{customer}/networks"), Some(key), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body[0]["balance"].as_i64().unwrap()
}

#[tokio::test]
async fn points_earned_at_one_brand_are_spent_at_another_and_settled() {
    for app in common::apps().await {
        // Before any invitation the network is unknown to the brand.
        let r = app.get("/api/v1/network-memberships/mall/statement").await;
        assert_eq!(r.status, 404, "{}", r.body);
        let cafe = mall(&app).await;
        // Only the operator creates networks and invites; bad input is named.
        let r = app.post("/api/v1/networks", json!({"slug": "x", "name": "x", "point_name": "x", "point_value": 1})).await;
        assert_eq!(r.status, 401, "{}", r.body);
        let r =
            operator(&app, Method::POST, "/api/v1/networks/mall/members", Some(json!({"tenant": "cafe", "rate": "0:1"}))).await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (422, Some("rate")));

        let at_shop = customer(&app, &app.key, "09121234567").await;
        let at_cafe = customer(&app, &cafe, "+98 912 123 4567").await;
        give_points(&app, &app.key, at_shop, 500).await;

        // No consent, no exchange.
        let r = exchange(&app, &app.key, at_shop, "to_network", 30, "x1").await;
        assert_eq!((r.status.as_u16(), r.body["code"].as_str()), (409, Some("not_joined")), "{}", r.body);
        join(&app, &app.key, at_shop).await;

        // 30 network points cost 300 of the shop's points (10:1); a retry changes nothing.
        let r = exchange(&app, &app.key, at_shop, "to_network", 30, "x1").await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!((r.body["own_points"].as_i64(), r.body["brand"].as_str()), (Some(300), Some("فروشگاه آزمون")));
        let again = exchange(&app, &app.key, at_shop, "to_network", 30, "x1").await;
        assert_eq!((again.status.as_u16(), &again.body["id"]), (200, &r.body["id"]));
        let reused = exchange(&app, &app.key, at_shop, "to_network", 31, "x1").await;
        assert_eq!(reused.status, 409, "{}", reused.body);
        assert_eq!(purchase_balance(&app, &app.key, at_shop).await, (200, 500));
        let r = exchange(&app, &app.key, at_shop, "to_network", 21, "x2").await;
        assert_eq!((r.status.as_u16(), r.body["code"].as_str()), (409, Some("insufficient_points")));

        // At the café (5:2) the same person, matched by mobile, takes 20 in as 50 café points.
        join(&app, &cafe, at_cafe).await;
        assert_eq!(network_balance(&app, &cafe, at_cafe).await, 30);
        let r = exchange(&app, &cafe, at_cafe, "to_brand", 3, "c1").await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["code"].as_str()), (422, Some("not_a_step")), "{}", r.body);
        let r = exchange(&app, &cafe, at_cafe, "to_brand", 20, "c1").await;
        assert_eq!((r.status.as_u16(), r.body["own_points"].as_i64()), (201, Some(50)), "{}", r.body);
        // Points moved in are spendable but were not earned here: tiers do not count them.
        assert_eq!(purchase_balance(&app, &cafe, at_cafe).await, (50, 0));
        let r = exchange(&app, &cafe, at_cafe, "to_brand", 12, "c2").await;
        assert_eq!((r.status.as_u16(), r.body["code"].as_str()), (409, Some("insufficient_points")));

        // The shop takes back the 10 it issued itself: nothing to settle.
        let r = exchange(&app, &app.key, at_shop, "to_brand", 10, "x3").await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(purchase_balance(&app, &app.key, at_shop).await, (300, 500));
        assert_eq!(network_balance(&app, &app.key, at_shop).await, 0);

        // The shop owes the café 20 points × 1,000; both statements say so and net to zero.
        let shop = app.get("/api/v1/network-memberships/mall/statement").await;
        assert_eq!(shop.status, 200, "{}", shop.body);
        assert_eq!((shop.body["owed_amount"].as_i64(), shop.body["net"].as_i64()), (Some(20_000), Some(-20_000)));
        assert_eq!(
            (shop.body["lines"][0]["tenant"].as_str(), shop.body["lines"][0]["owed_points"].as_i64()),
            (Some("cafe"), Some(20))
        );
        let cafe_statement = app.request(Method::GET, "/api/v1/network-memberships/mall/statement", Some(&cafe), None).await;
        assert_eq!(cafe_statement.body["net"].as_i64(), Some(20_000));
        let all = operator(&app, Method::GET, "/api/v1/networks/mall/settlements", None).await;
        let nets: Vec<i64> = all.body.as_array().unwrap().iter().map(|s| s["net"].as_i64().unwrap()).collect();
        assert_eq!((nets.len(), nets.iter().sum::<i64>()), (2, 0));
        // A month with nothing in it, and a bad month named by field.
        let old = app.get("/api/v1/network-memberships/mall/statement?month=1400-01").await;
        assert_eq!((old.body["net"].as_i64(), old.body["lines"].as_array().map(Vec::len)), (Some(0), Some(0)));
        let bad = app.get("/api/v1/network-memberships/mall/statement?month=1405-13").await;
        assert_eq!((bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()), (422, Some("month")));

        // The ledger explains both balances; a rebuild from entries agrees with them.
        let ledger = app.get(&format!("/api/v1/customers/{at_shop}/points/ledger")).await;
        let kinds: Vec<&str> = ledger.body["items"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "transfer").count(), 2, "{kinds:?}");
        for ctx in [app.ctx.clone(), app.engine.tenant("cafe").await.unwrap()] {
            let before = app.engine.store.points_snapshot(ctx.id).await.unwrap();
            app.engine.rebuild(&ctx).await.unwrap();
            assert_eq!(app.engine.store.points_snapshot(ctx.id).await.unwrap(), before);
        }

        // A brand that leaves takes no more exchanges; what it issued stays with its holders.
        let r = app.request(Method::POST, "/api/v1/network-memberships/mall/leave", Some(&cafe), None).await;
        assert_eq!(r.status, 204);
        let r = exchange(&app, &cafe, at_cafe, "to_brand", 2, "c3").await;
        assert_eq!((r.status.as_u16(), r.body["code"].as_str()), (409, Some("not_a_member")));
        app.finish().await;
    }
}

#[tokio::test]
async fn concurrent_exchanges_never_overdraw_either_side() {
    for app in common::apps().await {
        let cafe = mall(&app).await;
        let at_shop = customer(&app, &app.key, "09127654321").await;
        let at_cafe = customer(&app, &cafe, "09127654321").await;
        join(&app, &app.key, at_shop).await;
        join(&app, &cafe, at_cafe).await;
        give_points(&app, &app.key, at_shop, 600).await;

        // Twelve requests for 10 network points (100 shop points each) against 600 points.
        let outs =
            futures::future::join_all((0..12).map(|i| exchange(&app, &app.key, at_shop, "to_network", 10, format!("out-{i}"))))
                .await;
        let ok = outs.iter().filter(|r| r.status == 201).count();
        assert_eq!(ok, 6, "{:?}", outs.iter().map(|r| r.status).collect::<Vec<_>>());
        assert!(outs.iter().all(|r| r.status == 201 || r.body["code"] == "insufficient_points"));
        assert_eq!(purchase_balance(&app, &app.key, at_shop).await.0, 0);
        assert_eq!(network_balance(&app, &app.key, at_shop).await, 60);

        // Twenty requests at the café for 6 each against 60: exactly ten go through.
        let ins =
            futures::future::join_all((0..20).map(|i| exchange(&app, &cafe, at_cafe, "to_brand", 6, format!("in-{i}")))).await;
        assert_eq!(ins.iter().filter(|r| r.status == 201).count(), 10);
        assert_eq!(network_balance(&app, &cafe, at_cafe).await, 0);
        assert_eq!(purchase_balance(&app, &cafe, at_cafe).await.0, 150);
        let cafe_statement = app.request(Method::GET, "/api/v1/network-memberships/mall/statement", Some(&cafe), None).await;
        assert_eq!(
            (cafe_statement.body["due_amount"].as_i64(), cafe_statement.body["lines"][0]["due_points"].as_i64()),
            (Some(60_000), Some(60))
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn partner_offers_count_at_the_offering_brand_and_reports_hide_small_groups() {
    for app in common::apps().await {
        let cafe = mall(&app).await;
        let r = app
            .post("/api/v1/promotions", json!({"code": "mall20", "name": "20 % in the shop", "discount": "percent", "value": 20}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let bad = app.post("/api/v1/network-memberships/mall/offers", json!({"promotion": "nope", "title": ""})).await;
        let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!((bad.status.as_u16(), fields), (422, vec!["title"]));
        let offer = app
            .post("/api/v1/network-memberships/mall/offers", json!({"promotion": "mall20", "title": "۲۰٪ تخفیف فروشگاه"}))
            .await;
        assert_eq!(offer.status, 201, "{}", offer.body);
        let offer_id = offer.body["id"].as_i64().unwrap();

        // The café's customer sees the shop's offer (not the café's own) and must join to claim.
        let guest = customer(&app, &cafe, "09120000001").await;
        let seen = app.request(Method::GET, &format!("/api/v1/customers/{guest}/partner-offers"), Some(&cafe), None).await;
        assert_eq!(seen.body.as_array().unwrap().len(), 1, "{}", seen.body);
        assert_eq!((seen.body[0]["joined"].as_bool(), seen.body[0]["code"].as_str()), (Some(false), None));
        let claim_path = format!("/api/v1/customers/{guest}/partner-offers/mall/{offer_id}/claim");
        let r = app.request(Method::POST, &claim_path, Some(&cafe), None).await;
        assert_eq!((r.status.as_u16(), r.body["code"].as_str()), (409, Some("not_joined")));
        join(&app, &cafe, guest).await;
        let first = app.request(Method::POST, &claim_path, Some(&cafe), None).await;
        assert_eq!(first.status, 201, "{}", first.body);
        let code = first.body["code"].as_str().unwrap().to_string();
        let again = app.request(Method::POST, &claim_path, Some(&cafe), None).await;
        assert_eq!((again.status.as_u16(), again.body["code"].as_str()), (200, Some(code.as_str())));
        // The shop's own customers do not see the shop's offer as a partner's.
        let own = customer(&app, &app.key, "09120000002").await;
        assert_eq!(app.get(&format!("/api/v1/customers/{own}/partner-offers")).await.body, json!([]));

        // The code is redeemed at the shop, by the customer the shop now knows by that mobile.
        let sale = json!({"external_id": "mall-1", "issued_at": jiff::Timestamp::now().to_string(),
            "customer": {"mobile": "09120000001"}, "lines": [{"sku": "S1", "quantity": 1, "unit_price": 100000}],
            "checkout": {"codes": [code]}});
        let r = app.post("/api/v1/invoices", sale).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let invoice = app.get(&format!("/api/v1/invoices/{}", r.body["id"])).await.body;
        assert_eq!(invoice["discount"].as_i64(), Some(20_000), "{invoice}");
        assert_eq!(app.get("/api/v1/promotions/mall20").await.body["used"], 1);

        // Fewer than ten people: no figure about them.
        let report = app.get("/api/v1/network-memberships/mall/report").await;
        assert_eq!(report.status, 200, "{}", report.body);
        assert_eq!((report.body["people"].clone(), report.body["offers"][0]["claims"].clone()), (Value::Null, Value::Null));

        // Twelve people who joined and bought at both brands: now the figures show.
        for i in 0..12 {
            let mobile = format!("0912333{i:04}");
            for (key, brand) in [(app.key.as_str(), "s"), (cafe.as_str(), "c")] {
                let sale = common::invoice(&format!("{brand}-{i}"), &jiff::Timestamp::now().to_string(), &mobile, 50_000);
                let r = app.request(Method::POST, "/api/v1/invoices", Some(key), Some(sale)).await;
                assert_eq!(r.status, 201, "{}", r.body);
                join(&app, key, r.body["customer_id"].as_i64().unwrap()).await;
            }
        }
        let report = app.get("/api/v1/network-memberships/mall/report").await;
        let body = &report.body;
        assert_eq!(body["people"].as_i64(), Some(13), "{body}");
        assert_eq!(body["shared_customers"].as_i64(), Some(12));
        assert_eq!(body["cross_shopping"][0]["people"].as_i64(), Some(12));
        let shop = body["members"].as_array().unwrap().iter().find(|m| m["tenant"] == "shop").unwrap();
        assert_eq!((shop["joined"].as_i64(), shop["shoppers"].as_i64(), shop["shared"].as_i64()), (Some(12), Some(13), Some(12)));
        // The café's 13 joined (12 + the guest); the one claim is still a group of one.
        assert_eq!(body["offers"][0]["claims"], Value::Null);
        assert_eq!(body["min_group"].as_i64(), Some(10));
        // No identity of anyone appears anywhere in the report.
        let text = body.to_string();
        assert!(!text.contains("0912") && !text.contains("+98") && !text.contains("customer_id"), "{text}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_customer_joins_exchanges_and_claims_a_partner_offer_in_the_club() {
    for app in common::apps().await {
        let cafe = mall(&app).await;
        let p = common::providers::start().await;
        connect_sms(&app, &p).await;
        let mut club = signed_in(&app, &p, "09121112233").await;
        let id = app.get("/api/v1/customers?q=09121112233").await.body["items"][0]["id"].as_i64().unwrap();
        give_points(&app, &app.key, id, 200).await;

        // Joining asks first: the page explains what the partner brands will know.
        let page = club.get("/club/shop/network").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("data-network=\"mall\"") && page.html.contains("/club/shop/network/mall/join"));
        let joined = club.post("/club/shop/network/mall/join", &[("csrf", &page.csrf())]).await;
        assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.html);

        // Ten network points for a hundred of the shop's, typed in Persian digits; a double
        // submit of the same form exchanges once.
        let page = club.get("/club/shop/network").await;
        let key = field_value(&page.html, "key");
        let form = [("csrf", page.csrf()), ("direction", "to_network".into()), ("points", "۱۰".into()), ("key", key)];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = club.post("/club/shop/network/mall/exchange", &form).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
        club.post("/club/shop/network/mall/exchange", &form).await;
        assert_eq!(purchase_balance(&app, &app.key, id).await.0, 100);
        let page = club.get(done.location.as_deref().unwrap()).await;
        assert!(page.html.contains("data-balance=\"10\""), "{}", page.html);
        let csrf = page.csrf();
        let bad = club
            .post(
                "/club/shop/network/mall/exchange",
                &[("csrf", &csrf), ("direction", "to_network"), ("points", "ده"), ("key", "k2")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let short = club
            .post(
                "/club/shop/network/mall/exchange",
                &[("csrf", &csrf), ("direction", "to_network"), ("points", "50"), ("key", "k3")],
            )
            .await;
        assert_eq!(short.status, StatusCode::CONFLICT);
        assert!(short.html.contains("role=\"alert\""), "{}", short.html);

        // The café's offer shows in the shop's rewards store; claiming gives a code of the café.
        let r = app
            .request(
                Method::POST,
                "/api/v1/promotions",
                Some(&cafe),
                Some(json!({"code": "latte", "name": "Latte", "discount": "fixed", "value": 30000})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app
            .request(
                Method::POST,
                "/api/v1/network-memberships/mall/offers",
                Some(&cafe),
                Some(json!({"promotion": "latte", "title": "لاته مهمان ما"})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let store = club.get("/club/shop/rewards").await;
        assert!(store.html.contains("لاته مهمان ما") && store.html.contains("data-offer="), "{}", store.html);
        let claim = format!("/club/shop/partner-offers/mall/{}", r.body["id"]);
        let claimed = club.post(&claim, &[("csrf", &store.csrf())]).await;
        assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.html);
        let store = club.get("/club/shop/rewards").await;
        let code = app.request(Method::GET, "/api/v1/promotions/latte/codes.csv", Some(&cafe), None).await;
        let code = code.body.as_str().unwrap().lines().nth(1).unwrap().split(',').next().unwrap().to_string();
        assert!(store.html.contains(&code), "{}", store.html);
        app.finish().await;
    }
}

#[tokio::test]
async fn owners_accept_publish_and_read_the_network_in_the_panel() {
    for app in common::apps().await {
        let tag = app.backend;
        app.engine.create_staff(&app.ctx, "owner@shop.ir", "مالک", "owner", "correct horse battery").await.unwrap();
        app.engine.create_staff(&app.ctx, "viewer@shop.ir", "بیننده", "viewer", "correct horse battery").await.unwrap();
        let r = operator(
            &app,
            Method::POST,
            "/api/v1/networks",
            Some(json!({"slug": "mall", "name": "پاساژ نور", "point_name": "امتیاز نور", "point_value": 500})),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r =
            operator(&app, Method::POST, "/api/v1/networks/mall/members", Some(json!({"tenant": "shop", "rate": "4:1"}))).await;
        assert_eq!(r.status, 200, "{}", r.body);
        app.post("/api/v1/promotions", json!({"code": "noor10", "name": "ده درصد", "discount": "percent", "value": 10})).await;

        let mut viewer = Panel::new(&app.base);
        viewer.sign_in("viewer@shop.ir", "correct horse battery").await;
        assert_eq!(viewer.get("/admin/networks").await.status, StatusCode::FORBIDDEN, "{tag}");

        let mut owner = Panel::new(&app.base);
        owner.sign_in("owner@shop.ir", "correct horse battery").await;
        let page = owner.get("/admin/networks").await;
        assert_eq!(page.status, StatusCode::OK, "{tag}");
        assert!(page.html.contains("پاساژ نور") && page.html.contains("/admin/networks/mall/accept"), "{tag}");
        let accepted = owner.post("/admin/networks/mall/accept", &[("csrf", &page.csrf()), ("point_type", "purchase")]).await;
        assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{tag}: {}", accepted.html);
        let r = app.get("/api/v1/network-memberships").await;
        assert_eq!((r.body[0]["status"].as_str(), r.body[0]["point_type"].as_str()), (Some("active"), Some("purchase")));

        // The network page: this month's statement, the report with hidden small groups, offers.
        let page = owner.get("/admin/networks/mall").await;
        assert_eq!(page.status, StatusCode::OK, "{tag}");
        assert!(page.html.contains("id=\"statement\"") && page.html.contains("id=\"report\""), "{tag}");
        assert!(page.html.contains("id=\"people\">کمتر از ۱۰<"), "{tag}: {}", page.html);
        let refused = owner
            .post(
                "/admin/networks/mall/offers",
                &[("csrf", &page.csrf()), ("promotion", "noor10"), ("title", ""), ("valid_days", "۴۰۰")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{tag}");
        assert!(refused.html.contains("aria-invalid=\"true\""), "{tag}");
        let published = owner
            .post(
                "/admin/networks/mall/offers",
                &[("csrf", &page.csrf()), ("promotion", "noor10"), ("title", "ده درصد برای همسایه‌ها"), ("valid_days", "۱۴")],
            )
            .await;
        assert_eq!(published.status, StatusCode::SEE_OTHER, "{tag}: {}", published.html);
        let offers = app.get("/api/v1/network-memberships/mall/offers").await;
        assert_eq!((offers.body[0]["valid_days"].as_i64(), offers.body[0]["tenant"].as_str()), (Some(14), Some("shop")));
        let page = owner.get("/admin/networks/mall").await;
        let withdraw = format!("/admin/networks/mall/offers/{}/withdraw", offers.body[0]["id"]);
        assert!(page.html.contains(&withdraw), "{tag}");
        assert_eq!(owner.post(&withdraw, &[("csrf", &page.csrf())]).await.status, StatusCode::SEE_OTHER);
        assert!(app.get("/api/v1/network-memberships/mall/offers").await.body[0]["withdrawn_at"].is_string());
        // Every step is in the audit log.
        let audit = app.get("/api/v1/audit?action=network.").await;
        let actions: Vec<&str> =
            audit.body["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["network.offer.withdraw", "network.offer.publish", "network.accept", "network.invite"], "{tag}");
        app.finish().await;
    }
}
