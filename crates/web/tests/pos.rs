//! The till over HTTP on both databases: staff sign in and choose a branch; products are found
//! by name or SKU with the branch's stock; a sale is quoted and recorded with an instant
//! discount the role allows, stock taken and points earned, once per key and exactly under
//! concurrency; receipts carry their barcode and are found by it; a returned line refunds its
//! share and puts its stock back once.

mod common;

use common::panel::{Page, Panel};
use common::{TestApp, apps};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "till password 1";

async fn shop(app: &TestApp) {
    assert_eq!(app.put("/api/v1/branches/north", json!({"name": "شعبه شمال", "city": "تهران"})).await.status, 200);
    for (sku, name, price) in
        [("TEA-1", "چای سبز", 120_000), ("CUP-2", "لیوان سفالی", 250_000), ("BAG-3", "کیسه پارچه‌ای", 50_000)]
    {
        let r = app.put(&format!("/api/v1/products/{sku}"), json!({"name": name, "price": price})).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // Tea and cups are counted at the branch; bags are not.
    assert_eq!(app.post("/api/v1/branches/north/stock/TEA-1", json!({"quantity": 5})).await.status, 200);
    assert_eq!(app.post("/api/v1/branches/north/stock/CUP-2", json!({"quantity": 2})).await.status, 200);
    let r = app
        .post(
            "/api/v1/earning-rules",
            json!({"name": "r", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 10000}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.engine.create_staff(&app.ctx, "cashier@shop.ir", "رضا صندوق‌دار", "cashier", PASSWORD).await.unwrap();
    app.engine.create_staff(&app.ctx, "owner@shop.ir", "مدیر", "owner", PASSWORD).await.unwrap();
}

/// A staff member at the till of branch `north`.
async fn at_till(app: &TestApp, email: &str) -> (Panel, String) {
    let mut p = Panel::new(&app.base);
    let away = p.get("/pos").await;
    assert_eq!(away.location.as_deref(), Some("/admin/sign-in?next=%2Fpos"));
    let page = p.get("/admin/sign-in?next=%2Fpos").await;
    let signed =
        p.post("/admin/sign-in", &[("csrf", &page.csrf()), ("email", email), ("password", PASSWORD), ("next", "/pos")]).await;
    assert_eq!(signed.location.as_deref(), Some("/pos"));
    assert_eq!(p.get("/pos").await.location.as_deref(), Some("/pos/branch"), "a branch comes first");
    let choose = p.get("/pos/branch").await;
    let csrf = choose.csrf();
    let bad = p.post("/pos/branch", &[("csrf", &csrf), ("branch", "nowhere")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let chosen = p.post("/pos/branch", &[("csrf", &csrf), ("branch", "north")]).await;
    assert_eq!(chosen.location.as_deref(), Some("/pos"));
    let till = p.get("/pos").await;
    assert_eq!(till.status, StatusCode::OK);
    assert!(till.html.contains("data-branch=\"north\""));
    (p, csrf)
}

async fn api(
    app: &TestApp,
    p: &Panel,
    csrf: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let client = reqwest::Client::new();
    let mut req = client
        .request(method, format!("{}{path}", app.base))
        .header("cookie", format!("philia_session={}", p.cookie("philia_session").unwrap()))
        .header("origin", app.base.clone())
        .header("x-csrf-token", csrf);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn stock(app: &TestApp, sku: &str) -> i64 {
    let all = app.get("/api/v1/branches/north/stock").await.body;
    all.as_array().unwrap().iter().find(|s| s["sku"] == sku).map_or(-1, |s| s["quantity"].as_i64().unwrap())
}

#[tokio::test]
async fn a_cashier_sells_with_a_discount_and_loyalty_and_takes_a_return() {
    for app in apps().await {
        shop(&app).await;
        let customer =
            app.post("/api/v1/customers", json!({"mobile": "09121234567", "first_name": "سارا"})).await.body["customer"]["id"]
                .as_i64()
                .unwrap();
        let (till, csrf) = at_till(&app, "cashier@shop.ir").await;
        let get = |path: &'static str| api(&app, &till, &csrf, reqwest::Method::GET, path, None);

        // Search by name and by SKU, with this branch's stock (none kept for bags).
        let (s, found) = get("/pos/api/products?q=%DA%86%D8%A7%DB%8C").await;
        assert_eq!(s, 200);
        assert_eq!(found["items"][0]["sku"], "TEA-1");
        assert_eq!(found["items"][0]["stock"], 5);
        let (_, found) = get("/pos/api/products?q=bag-3").await;
        assert_eq!((found["items"][0]["sku"].as_str(), found["items"][0]["stock"].is_null()), (Some("BAG-3"), true));

        // The customer by mobile in any writing.
        let (_, c) = get("/pos/api/customers?mobile=%DB%B0%DB%B9%DB%B1%DB%B2%DB%B1%DB%B2%DB%B3%DB%B4%DB%B5%DB%B6%DB%B7").await;
        assert_eq!(c["customer"]["id"], customer);
        let (_, none) = get("/pos/api/customers?mobile=09350000000").await;
        assert!(none["customer"].is_null());
        let (s, bad) = get("/pos/api/customers?mobile=123").await;
        assert_eq!((s.as_u16(), bad["errors"][0]["field"].as_str()), (422, Some("mobile")));

        // A cashier's discount is capped at 10 %.
        let sale = |discount: i64| {
            json!({"lines": [{"sku": "TEA-1", "quantity": 2}, {"sku": "BAG-3", "quantity": 1}], "customer_id": customer,
                   "discount": {"kind": "percent", "value": discount}})
        };
        let post = |path: &'static str, body: Value| api(&app, &till, &csrf, reqwest::Method::POST, path, Some(body));
        let (s, refused) = post("/pos/api/quote", sale(11)).await;
        assert_eq!((s.as_u16(), refused["errors"][0]["field"].as_str()), (422, Some("discount")));
        let (s, q) = post("/pos/api/quote", sale(10)).await;
        assert_eq!(s, 200, "{q}");
        assert_eq!(
            (q["gross"].as_i64(), q["instant_discount"].as_i64(), q["to_pay"].as_i64()),
            (Some(290_000), Some(29_000), Some(261_000))
        );

        // The sale: recorded once for its key, stock taken once, points earned.
        let (s, sold) = post("/pos/api/sales", json!({"sale": sale(10), "key": "k1"})).await;
        assert_eq!(s, 200, "{sold}");
        let id = sold["invoice_id"].as_i64().unwrap();
        let (_, again) = post("/pos/api/sales", json!({"sale": sale(10), "key": "k1"})).await;
        assert_eq!(again["invoice_id"], id);
        assert_eq!(stock(&app, "TEA-1").await, 3);
        let invoice = app.get(&format!("/api/v1/invoices/{id}")).await.body;
        assert_eq!(
            (invoice["channel"].as_str(), invoice["branch"].as_str(), invoice["total"].as_i64()),
            (Some("pos"), Some("north"), Some(261_000))
        );
        let points = app.get(&format!("/api/v1/customers/{customer}/points")).await.body[0]["balance"].as_i64().unwrap();
        assert_eq!(points, 26);

        // Beyond stock: refused for a cashier, naming the line; the override is a manager's.
        let (s, over) = post("/pos/api/sales", json!({"sale": {"lines": [{"sku": "CUP-2", "quantity": 3}]}, "key": "k2"})).await;
        assert_eq!((s.as_u16(), over["errors"][0]["field"].as_str()), (422, Some("lines[0].quantity")));
        let (s, over) = post(
            "/pos/api/sales",
            json!({"sale": {"lines": [{"sku": "CUP-2", "quantity": 3}], "override_stock": true}, "key": "k3"}),
        )
        .await;
        assert_eq!((s.as_u16(), over["errors"][0]["field"].as_str()), (422, Some("override_stock")));
        assert_eq!(stock(&app, "CUP-2").await, 2);

        // The receipt: its barcode, found by scanning it, every till action with its cashier.
        let mut till_page = till;
        let receipt = till_page.get(&format!("/pos/receipts/{id}")).await;
        assert_eq!(receipt.status, StatusCode::OK);
        assert!(receipt.html.contains(&format!("data-code=\"R{id}\"")) && receipt.html.contains("رضا صندوق‌دار"));
        assert!(receipt.html.contains("id=\"receipt-points\""));
        let scanned = till_page.get(&format!("/pos/receipts?code=r{id}")).await;
        assert_eq!(scanned.location, Some(format!("/pos/receipts/{id}")));

        // Return the teas one at a time: each brings back half the line's share of what was paid
        // and one tea goes back on the shelf; a form sent twice returns once; nothing is left
        // to return after the second.
        let back = |key: &'static str, quantity: &'static str| {
            let csrf = csrf.clone();
            (
                format!("/pos/receipts/{id}/lines/0/return"),
                vec![("csrf", csrf), ("quantity", quantity.to_string()), ("key", key.to_string())],
            )
        };
        for (key, quantity) in [("a", "1"), ("a", "1"), ("b", "۱")] {
            let (path, form) = back(key, quantity);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let returned = till_page.post(&path, &form).await;
            assert_eq!(returned.status, StatusCode::SEE_OTHER, "{}", returned.html);
        }
        let (path, form) = back("c", "1");
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(till_page.post(&path, &form).await.status, StatusCode::UNPROCESSABLE_ENTITY, "nothing is left to return");
        assert_eq!(stock(&app, "TEA-1").await, 5);
        let refunds = app.get(&format!("/api/v1/invoices/{id}/refunds")).await.body;
        let amounts: Vec<i64> = refunds.as_array().unwrap().iter().map(|r| r["amount"].as_i64().unwrap()).collect();
        assert_eq!(amounts, [108_000, 108_000], "two returns of one tea each, adding up to the line's share");
        let points = app.get(&format!("/api/v1/customers/{customer}/points")).await.body[0]["balance"].as_i64().unwrap();
        assert_eq!(points, 5, "the returned share's points are taken back");
        let page: Page = till_page.get(&format!("/pos/receipts/{id}")).await;
        assert!(page.html.contains("مرجوع شد") && page.html.contains("data-returned=\"2\""), "{}", page.html);

        // A bag paid partly with the 5 points left (100 each) and 20,000 from the wallet: the
        // receipt says what each paid and what was paid in money.
        common::make_points_payable(&app).await;
        let topped = app
            .post(
                &format!("/api/v1/customers/{customer}/wallet/adjust"),
                json!({"amount": 20_000, "reason": "gift", "idempotency_key": "w1"}),
            )
            .await;
        assert_eq!(topped.status, 201, "{}", topped.body);
        let paying = json!({"sale": {"lines": [{"sku": "BAG-3", "quantity": 1}], "customer_id": customer,
            "points": {"point_type": "purchase", "points": 5}, "wallet": 20_000}, "key": "k-paid"});
        let (s, sold) = api(&app, &till_page, &csrf, reqwest::Method::POST, "/pos/api/sales", Some(paying)).await;
        assert_eq!(s, 200, "{sold}");
        let paid = till_page.get(&format!("/pos/receipts/{}", sold["invoice_id"])).await;
        let shown = |id: &str| {
            paid.html.split(&format!("id=\"{id}\">")).nth(1).and_then(|s| s.split("</dd>").next()).unwrap_or("").to_string()
        };
        assert!(
            shown("receipt-paid-points").contains("۵۰۰") && shown("receipt-paid-points").contains("(۵)"),
            "{}",
            shown("receipt-paid-points")
        );
        assert!(shown("receipt-paid-wallet").contains("۲۰٬۰۰۰"), "{}", shown("receipt-paid-wallet"));
        assert!(shown("receipt-paid-money").contains("۲۹٬۵۰۰"), "50,000 − 500 − 20,000: {}", shown("receipt-paid-money"));

        // The day's till per cashier: two sales (one with a 10 % discount), two returns.
        let report = app.get("/api/v1/reports/cashiers").await;
        assert_eq!(report.status, 200, "{}", report.body);
        let line = &report.body["lines"][0];
        assert_eq!(report.body["lines"].as_array().unwrap().len(), 1);
        assert_eq!(
            (line["sales"].as_i64(), line["sales_total"].as_i64(), line["discounts"].as_i64()),
            (Some(2), Some(311_000), Some(29_000))
        );
        assert_eq!(
            (line["returns"].as_i64(), line["returned_total"].as_i64(), line["net"].as_i64()),
            (Some(2), Some(216_000), Some(95_000))
        );
        assert_eq!(line["branch"], "north");
        let other_branch = app.get("/api/v1/reports/cashiers?branch=south").await;
        assert!(other_branch.body["lines"].as_array().unwrap().is_empty());
        let backwards = app.get("/api/v1/reports/cashiers?from=2026-12-02&to=2026-12-01").await;
        assert_eq!((backwards.status.as_u16(), backwards.body["errors"][0]["field"].as_str()), (422, Some("to")));

        // JSON calls need the session's token.
        let (s, _) = api(&app, &till_page, "wrong", reqwest::Method::POST, "/pos/api/quote", Some(sale(0))).await;
        assert_eq!(s, 403);
        app.finish().await;
    }
}

#[tokio::test]
async fn concurrent_sales_never_take_more_than_the_shelf_holds() {
    for app in apps().await {
        shop(&app).await;
        let (till, csrf) = at_till(&app, "cashier@shop.ir").await;
        let sales = (0..12).map(|i| {
            let (app, till, csrf) = (&app, &till, &csrf);
            async move {
                let body = json!({"sale": {"lines": [{"sku": "TEA-1", "quantity": 1}]}, "key": format!("c{i}")});
                api(app, till, csrf, reqwest::Method::POST, "/pos/api/sales", Some(body)).await.0
            }
        });
        let results = futures::future::join_all(sales).await;
        let sold = results.iter().filter(|s| s.as_u16() == 200).count();
        assert_eq!(sold, 5, "{results:?}");
        assert!(results.iter().all(|s| s.as_u16() == 200 || s.as_u16() == 422), "{results:?}");
        assert_eq!(stock(&app, "TEA-1").await, 0);
        let invoices = app.get("/api/v1/invoices?limit=50").await.body;
        assert_eq!(invoices["items"].as_array().unwrap().len(), 5);

        // A manager may sell past the shelf; the stock stops at zero and the override is logged.
        let (owner, owner_csrf) = at_till(&app, "owner@shop.ir").await;
        let body = json!({"sale": {"lines": [{"sku": "TEA-1", "quantity": 2}], "override_stock": true}, "key": "m1"});
        let (s, sold) = api(&app, &owner, &owner_csrf, reqwest::Method::POST, "/pos/api/sales", Some(body)).await;
        assert_eq!(s, 200, "{sold}");
        assert_eq!(stock(&app, "TEA-1").await, 0);

        // Eight returns of one tea each, at once, against the two sold: exactly two go through.
        let invoice = sold["invoice_id"].as_i64().unwrap();
        let cookie = format!("philia_session={}", owner.cookie("philia_session").unwrap());
        let returns = (0..8).map(|i| {
            let (app, cookie, csrf) = (&app, &cookie, &owner_csrf);
            async move {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap()
                    .post(format!("{}/pos/receipts/{invoice}/lines/0/return", app.base))
                    .header("cookie", cookie)
                    .header("origin", app.base.clone())
                    .form(&[("csrf", csrf.as_str()), ("quantity", "1"), ("key", &format!("r{i}"))])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        });
        let results = futures::future::join_all(returns).await;
        assert_eq!(results.iter().filter(|s| s.as_u16() == 303).count(), 2, "{results:?}");
        assert!(results.iter().all(|s| s.as_u16() == 303 || s.as_u16() == 422), "{results:?}");
        assert_eq!(stock(&app, "TEA-1").await, 2);
        let refunds = app.get(&format!("/api/v1/invoices/{invoice}/refunds")).await.body;
        let total: i64 = refunds.as_array().unwrap().iter().map(|r| r["amount"].as_i64().unwrap()).sum();
        let paid = app.get(&format!("/api/v1/invoices/{invoice}")).await.body["total"].as_i64().unwrap();
        assert_eq!((refunds.as_array().unwrap().len(), total), (2, paid));
        app.finish().await;
    }
}
