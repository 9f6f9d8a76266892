//! The till in a real headless Chromium: a cashier signs in and picks the branch, scans two
//! products, finds the customer, applies a code and points, sees the quote and checks out; the
//! receipt shows its barcode and a print layout; one line is returned. A lost connection shows
//! a notice and the cart survives it. Screenshots of the till and the receipt are kept in
//! `target/screenshots/`.

mod common;

use common::browser::Browser;
use serde_json::json;

const PASSWORD: &str = "till password 1";

#[tokio::test]
async fn a_cashier_sells_and_takes_a_return_in_a_browser() {
    for app in common::apps().await {
        let tag = app.backend;
        assert_eq!(app.put("/api/v1/branches/north", json!({"name": "شعبه شمال"})).await.status, 200);
        for (sku, name, price) in [("TEA-1", "چای سبز", 120_000), ("CUP-2", "لیوان سفالی", 250_000)] {
            assert_eq!(app.put(&format!("/api/v1/products/{sku}"), json!({"name": name, "price": price})).await.status, 200);
            assert_eq!(app.post(&format!("/api/v1/branches/north/stock/{sku}"), json!({"quantity": 10})).await.status, 200);
        }
        common::make_points_payable(&app).await;
        let r = app
            .post(
                "/api/v1/promotions",
                json!({"code": "tea", "name": "چای", "discount": "fixed", "value": 20000, "shared_code": "TEA20"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let c =
            app.post("/api/v1/customers", json!({"mobile": "09121234567", "first_name": "سارا"})).await.body["customer"]["id"]
                .as_i64()
                .unwrap();
        let r = app
            .post(
                &format!("/api/v1/customers/{c}/points/adjust"),
                json!({"point_type": "purchase", "points": 500, "reason": "هدیه", "idempotency_key": "g"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        app.engine.create_staff(&app.ctx, "cashier@shop.ir", "رضا", "cashier", PASSWORD).await.unwrap();

        let b = Browser::start(1280, 900).await;
        b.goto(&format!("{}/pos", app.base)).await;
        assert!(b.path().await.starts_with("/admin/sign-in"), "{tag}");
        b.fill("#f-email", "cashier@shop.ir").await;
        b.fill("#f-password", PASSWORD).await;
        b.submit("button[type=submit]").await;
        assert_eq!(b.path().await, "/pos/branch", "{tag}");
        b.submit("form.card button[type=submit]").await;
        assert_eq!(b.path().await, "/pos", "{tag}");

        // A scanner types each code and presses Enter.
        for sku in ["TEA-1", "CUP-2"] {
            b.fill("#search", &format!("{sku}\n")).await;
            b.wait_until(&format!("return !!document.querySelector('#cart tr[data-sku=\"{sku}\"]')")).await;
        }
        b.fill("#customer-mobile", "09121234567").await;
        b.click("#find-customer button").await;
        b.wait_until("return !!document.getElementById('customer-name')").await;
        assert!(b.text("#customer-card").await.contains("سارا"), "{tag}");

        // The connection drops: the till says so and the cart survives a reload.
        b.eval("window.fetch = () => Promise.reject(new TypeError('offline')); return null").await;
        b.fill("#search", "TEA\n").await;
        b.wait_until("return !document.getElementById('offline').hidden").await;
        b.goto(&format!("{}/pos", app.base)).await;
        let lines = b.eval("return document.querySelectorAll('#cart tbody tr').length").await;
        assert_eq!(lines, json!(2), "{tag}: the cart is kept");

        // A code and 100 points (worth 10,000), the quote, then the sale.
        b.fill("#code", "tea20").await;
        b.fill("#pay-points", "100").await;
        b.click("#quote-button").await;
        b.wait_until("return !document.getElementById('checkout').disabled").await;
        let to_pay = philia_domain::digits::ascii_digits(&b.text("#to-pay").await).replace(['٬', ','], "");
        assert_eq!(to_pay, "340000", "{tag}: 370,000 less 20,000 and 10,000");
        b.screenshot(&format!("pos-till-fa-{tag}")).await;
        b.submit("#checkout").await;
        assert!(b.path().await.starts_with("/pos/receipts/"), "{tag}");
        let bars =
            b.eval("const s = document.querySelector('svg.barcode'); return s ? s.getBoundingClientRect().width : 0").await;
        assert!(bars.as_f64().unwrap() > 100.0, "{tag}: the barcode is drawn");
        let print_rule = b
            .eval("return [...document.styleSheets].some(s => [...s.cssRules].some(r => r.media && r.media.mediaText.includes('print')))")
            .await;
        assert_eq!(print_rule, json!(true), "{tag}: a print layout for 80-mm paper");
        b.screenshot(&format!("pos-receipt-fa-{tag}")).await;

        // Return the cup.
        b.submit("tr[data-line='1'] form button").await;
        assert!(b.text("tr[data-line='1']").await.contains("مرجوع شد"), "{tag}");
        assert!(!b.text("#receipt-refunded").await.is_empty(), "{tag}");
        let stock = app.get("/api/v1/branches/north/stock").await.body;
        let cup = stock.as_array().unwrap().iter().find(|s| s["sku"] == "CUP-2").unwrap()["quantity"].as_i64();
        assert_eq!(cup, Some(10), "{tag}: the cup is back on the shelf");
        b.quit().await;
        app.finish().await;
    }
}
