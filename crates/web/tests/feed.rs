//! The accounting feed end to end, on every backend: a mapping refused by field, a preview that
//! writes nothing and names each bad cell, a Persian CSV export posted with an integration key
//! (rials into tomans), the same file again changing nothing, a cancelled invoice taken back and
//! an edited one recorded anew, a JSON export with nested lines, and roles.

mod common;

use common::TestApp;
use common::woo::drain;
use serde_json::{Value, json};

/// An export as a Persian accounting program writes it: one row per line, amounts in rials.
const EXPORT: &str = "\u{feff}شماره فاکتور,تاریخ,کد مشتری,موبایل,کد کالا,شرح کالا,مقدار,فی,تخفیف,وضعیت
1001,1405/09/01,C-1,09121234567,TEA,چای,2,1200000,0,
1001,1405/09/01,C-1,09121234567,SUGAR,قند,1,300000,100000,
1002,1405/09/02,C-2,09351112233,TEA,چای,1,1200000,0,
1003,1405/09/03,,,TEA,چای,1,abc,0,
";

fn mapping() -> Value {
    json!({ "currency": "IRR", "columns": {
        "invoice_id": "شماره فاکتور", "issued_at": "تاریخ", "customer_external_id": "کد مشتری",
        "customer_mobile": "موبایل", "sku": "کد کالا", "product_name": "شرح کالا", "quantity": "مقدار",
        "unit_price": "فی", "line_discount": "تخفیف", "status": "وضعیت" } })
}

async fn post_file(app: &TestApp, key: &str, body: &str) -> (u16, Value) {
    let r = app
        .client
        .post(format!("{}/api/v1/connections/acc/feed", app.base))
        .bearer_auth(key)
        .header("content-type", "text/csv")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_accounting_export_comes_in_through_its_mapping_once() {
    for app in common::apps().await {
        let made =
            app.post("/api/v1/connections", json!({"kind": "feed", "code": "acc", "name": "محک", "currency": "IRR"})).await;
        assert_eq!(made.status, 201, "{:?}", made.body);
        assert_eq!(made.body["connection"]["delivery_path"], "/api/v1/connections/acc/feed");
        let integration = app.engine.create_api_key(&app.ctx, "integration", Some("accounting")).await.unwrap().key;
        let reader = app.engine.create_api_key(&app.ctx, "read_only", None).await.unwrap().key;

        // No mapping yet: the file is refused and says why.
        let (status, body) = post_file(&app, &integration, EXPORT).await;
        assert_eq!(status, 409, "{body:?}");
        // A mapping without the date, with a field Philia does not have.
        let bad = app
            .put(
                "/api/v1/connections/acc/mapping",
                json!({"columns": {"invoice_id": "شماره فاکتور", "unit_price": "فی", "colour": "رنگ"}}),
            )
            .await;
        assert_eq!(bad.status, 422);
        let fields: Vec<&str> = bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["columns.colour", "columns.issued_at"]);

        // The preview of a mapping not yet saved: columns, invoices, the bad cell; nothing written.
        let preview = app.post("/api/v1/connections/acc/preview", json!({"sample": EXPORT, "mapping": mapping()})).await;
        assert_eq!(preview.status, 200, "{:?}", preview.body);
        let p = &preview.body;
        assert_eq!((p["rows"].as_i64(), p["invoices"].as_i64()), (Some(4), Some(3)));
        assert_eq!(p["columns"][0], "شماره فاکتور");
        assert_eq!(p["sample"][0]["total"], 260_000, "2 × 120,000 + 30,000 − 10,000 tomans");
        assert_eq!(p["sample"][0]["lines"], 2);
        assert_eq!(p["errors"][0]["row"], 5);
        assert_eq!(p["errors"][0]["column"], "unit_price");
        assert!(common::net_by_invoice(&app).await.is_empty(), "a preview writes nothing");
        let wrong_column = app
            .post("/api/v1/connections/acc/preview", json!({"sample": EXPORT, "mapping": {"columns": {"invoice_id": "شماره", "issued_at": "تاریخ", "unit_price": "فی"}}}))
            .await;
        assert_eq!(wrong_column.status, 422);
        assert_eq!(wrong_column.body["errors"][0]["field"], "columns.invoice_id");

        // Saved, and the file posted: every invoice kept, the bad one failing with its cell.
        assert_eq!(app.put("/api/v1/connections/acc/mapping", mapping()).await.status, 200);
        let (status, _) = post_file(&app, &reader, EXPORT).await;
        assert_eq!(status, 403, "a read-only key posts nothing");
        let (status, receipt) = post_file(&app, &integration, EXPORT).await;
        assert_eq!(status, 202, "{receipt:?}");
        assert_eq!((receipt["invoices_queued"].as_i64(), receipt["errors"].as_array().unwrap().len()), (Some(3), 1));
        let round = drain(&app).await;
        assert_eq!((round.applied, round.failed), (2, 1), "{}", app.backend);
        assert_eq!(common::net_by_invoice(&app).await, [("1001".to_string(), 260_000), ("1002".to_string(), 120_000)]);
        let failed = app.get("/api/v1/connections/acc/deliveries?status=failed").await;
        assert!(failed.body[0]["outcome"].as_str().unwrap().contains("row 5 unit_price"), "{:?}", failed.body);
        let buyer = app.get("/api/v1/customers?q=09121234567").await;
        assert_eq!(buyer.body["items"].as_array().unwrap().len(), 1);

        // The same file again changes nothing.
        post_file(&app, &integration, EXPORT).await;
        let round = drain(&app).await;
        assert_eq!((round.applied, round.skipped), (0, 2), "the two good invoices are repeats");
        assert_eq!(common::net_by_invoice(&app).await.iter().map(|c| c.1).sum::<i64>(), 380_000);

        // 1001 cancelled, 1002 edited to two units.
        let next = EXPORT
            .replace(
                "1001,1405/09/01,C-1,09121234567,TEA,چای,2,1200000,0,",
                "1001,1405/09/01,C-1,09121234567,TEA,چای,2,1200000,0,باطل",
            )
            .replace(
                "1001,1405/09/01,C-1,09121234567,SUGAR,قند,1,300000,100000,",
                "1001,1405/09/01,C-1,09121234567,SUGAR,قند,1,300000,100000,باطل",
            )
            .replace("1002,1405/09/02,C-2,09351112233,TEA,چای,1,", "1002,1405/09/02,C-2,09351112233,TEA,چای,2,");
        post_file(&app, &integration, &next).await;
        drain(&app).await;
        assert_eq!(
            common::net_by_invoice(&app).await,
            [("1001".to_string(), 0), ("1002".to_string(), 0), ("1002~2".to_string(), 240_000)]
        );

        // A JSON export with its lines inside each invoice.
        let json_mapping = json!({ "currency": "IRT", "records": "data", "lines": "items", "columns": {
            "invoice_id": "id", "issued_at": "date", "customer_mobile": "buyer.mobile", "sku": "code",
            "quantity": "qty", "unit_price": "price" } });
        assert_eq!(app.put("/api/v1/connections/acc/mapping", json_mapping).await.status, 200);
        let doc = json!({ "data": [{ "id": "J-1", "date": "2026-11-25T18:30:00+03:30", "buyer": { "mobile": "09121234567" },
            "items": [{ "code": "TEA", "qty": 1, "price": 125000 }, { "code": "CUP", "qty": 3, "price": 10000 }] }] });
        let (status, receipt) = post_file(&app, &integration, &doc.to_string()).await;
        assert_eq!(status, 202, "{receipt:?}");
        drain(&app).await;
        assert!(common::net_by_invoice(&app).await.contains(&("J-1".to_string(), 155_000)));
        app.finish().await;
    }
}
