//! CSV import and export (SPEC A5), on every backend.

mod common;

use reqwest::StatusCode;
use serde_json::Value;

async fn upload(app: &common::TestApp, kind: &str, query: &str, csv: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}/api/v1/imports/{kind}{query}", app.base))
        .bearer_auth(&app.key)
        .header("content-type", "text/csv")
        .body(csv.as_bytes().to_vec())
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

const CUSTOMERS_FA: &str = "\u{feff}شناسه,موبایل,ایمیل,نام,نام خانوادگی,جنسیت,تاریخ تولد,استان,شهر\n\
C1,۰۹۱۲۱۲۳۴۵۶۷,sara@example.com,سارا,احمدی,زن,۱۳۶۹/۰۲/۲۷,تهران,تهران\n\
C2,09351234567,,علی,رضایی,مرد,1985-01-20,اصفهان,کاشان\n\
C3,12345,bad-email,رضا,,x,1403/13/01,,\n\
,,,,,,,,\n\
C4,+98 936 123 4567,,مریم,کریمی,,,فارس,شیراز\n";

#[tokio::test]
async fn customers_in_persian_headers_digits_and_jalali_dates() {
    for app in common::apps().await {
        let (status, report) = upload(&app, "customers", "", CUSTOMERS_FA).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["rows"], 4, "{report}");
        assert_eq!(report["imported"], 3);
        assert_eq!(report["invalid_rows"], 1);
        let errors: Vec<(u64, &str)> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap()))
            .collect();
        assert_eq!(errors, [(4, "mobile"), (4, "email"), (4, "gender"), (4, "birth_date")]);
        let sara = app.get("/api/v1/customers?q=09121234567").await;
        assert_eq!(sara.body["items"][0]["birth_date"], "1990-05-17");
        assert_eq!(sara.body["items"][0]["external_ids"][0]["id"], "C1");
        // The same file again changes nothing.
        let (_, again) = upload(&app, "customers", "", CUSTOMERS_FA).await;
        assert_eq!((again["imported"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(3)), "{again}");
        // All or nothing: one bad row keeps every row out.
        let atomic = "external_id,mobile\nN1,09190000001\nN2,not-a-number\n";
        let (_, r) = upload(&app, "customers", "?atomic=true", atomic).await;
        assert_eq!(r["rolled_back"], true);
        assert_eq!(app.get("/api/v1/customers?q=09190000001").await.body["items"], serde_json::json!([]));
        let (status, missing) = upload(&app, "products", "", "sku,name\nA,x\n").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(missing["errors"][0]["message"].as_str().unwrap().contains("price"));
        app.finish().await;
    }
}

/// A customers file of `n` rows where every 997th row has an unusable mobile; the row numbers
/// (the header is row 1) of those rows.
fn many_customers(n: u64) -> (String, Vec<u64>) {
    let mut csv = String::from("external_id,mobile,first_name\n");
    let mut bad = Vec::new();
    for i in 0..n {
        if i % 997 == 500 {
            csv.push_str(&format!("M{i},12{i},x\n"));
            bad.push(i + 2);
        } else {
            csv.push_str(&format!("M{i},0912{:07},نام\n", i));
        }
    }
    (csv, bad)
}

#[tokio::test]
async fn a_file_of_many_chunks_reports_every_row_and_is_all_or_nothing() {
    for app in common::apps().await {
        // 12,345 rows are three chunks of 5,000, written one after another.
        let (csv, bad) = many_customers(12_345);
        let (status, report) = upload(&app, "customers", "", &csv).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        assert_eq!(report["rows"], 12_345, "{report}");
        assert_eq!(report["invalid_rows"], bad.len(), "{report}");
        assert_eq!(report["imported"], 12_345 - bad.len() as u64, "{report}");
        let rows: Vec<u64> = report["errors"].as_array().unwrap().iter().map(|e| e["row"].as_u64().unwrap()).collect();
        assert_eq!(rows, bad, "{}", app.backend);
        let last = app.get("/api/v1/customers?q=09120012344").await;
        assert_eq!(last.body["items"][0]["external_ids"][0]["id"], "M12344", "{}", app.backend);
        // All or nothing across chunks: the bad rows of later chunks keep the first chunk out too.
        let (more, _) = many_customers(11_000);
        let more = more.replace(",0912", ",0913");
        let (_, r) = upload(&app, "customers", "?atomic=true", &more).await;
        assert_eq!(r["rolled_back"], true, "{r}");
        assert_eq!(app.get("/api/v1/customers?q=09130000001").await.body["items"], serde_json::json!([]));
        app.finish().await;
    }
}

#[tokio::test]
async fn invoice_lines_in_any_order_group_into_invoices() {
    for app in common::apps().await {
        let (_, r) = upload(&app, "categories", "", "code,name,parent\nfashion,پوشاک,\nshoes,کفش,fashion\n").await;
        assert_eq!(r["imported"], 2, "{r}");
        let (_, r) = upload(
            &app,
            "products",
            "",
            "sku,name,category,price\nSH-1,کفش ورزشی,shoes,\"2,800,000\"\nFW-1,مانتو,fashion,۲۴۵۰۰۰۰\n",
        )
        .await;
        assert_eq!(r["imported"], 2, "{r}");
        let csv = "invoice_id,issued_at,customer_mobile,customer_email,customer_name,sku,product_name,category,quantity,unit_price,line_discount,branch,channel\n\
            INV-2,1403/01/15 14:30,09121234567,,سارا احمدی,SH-1,کفش,,1,2800000,0,vanak,pos\n\
            INV-1,2024-03-01T10:00:00+03:30,09351234567,ali@example.com,علی رضایی,FW-1,مانتو,,2,2450000,100000,,online\n\
            INV-2,1403/01/15 14:30,09121234567,,سارا احمدی,FW-1,مانتو,,1,2450000,,vanak,pos\n\
            INV-3,yesterday,09121234567,,,FW-1,,,1,100,,,\n\
            INV-1,2024-03-01T10:00:00+03:30,09351234567,ali@example.com,علی رضایی,SH-1,کفش,,1,2800000,,,online\n\
            INV-4,2024-05-01,,,,FW-1,,,1.5,-3,,,\n";
        let (status, r) = upload(&app, "invoices", "", csv).await;
        assert_eq!(status, StatusCode::OK, "{r}");
        assert_eq!(r["rows"], 6);
        assert_eq!(r["imported"], 2, "{r}");
        let errors: Vec<(u64, &str)> =
            r["errors"].as_array().unwrap().iter().map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap())).collect();
        assert_eq!(errors, [(5, "issued_at"), (7, "unit_price")], "{r}");
        let sara = app.get("/api/v1/customers?q=09121234567").await;
        let s = &sara.body["items"][0]["stats"];
        assert_eq!(s["invoice_count"], 1);
        assert_eq!(s["gross_spend"], 2_800_000 + 2_450_000);
        assert_eq!(s["first_purchase_at"], "2024-04-03T11:00:00Z");
        let ali = app.get("/api/v1/customers?q=ali@example.com").await;
        assert_eq!(ali.body["items"][0]["stats"]["gross_spend"], 2 * 2_450_000 - 100_000 + 2_800_000);
        // Categories come from the catalogue when the file gives none.
        let cats: Vec<&str> = ali.body["items"][0]["stats"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["category"].as_str().unwrap())
            .collect();
        assert_eq!(cats, ["fashion", "shoes"]);
        let (_, again) = upload(&app, "invoices", "", csv).await;
        assert_eq!((again["imported"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(2)), "{again}");
        let before = app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap();
        app.engine.rebuild(&app.ctx).await.unwrap();
        assert_eq!(before, app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap());
        app.finish().await;
    }
}

#[tokio::test]
async fn exported_files_import_back_unchanged() {
    for app in common::apps().await {
        let demo = philia_engine::demo::Demo::new(philia_engine::demo::DemoSpec {
            customers: 40,
            invoices: 150,
            seed: 5,
            end: jiff::civil::date(2025, 12, 1),
        });
        let patches: Vec<_> = (0..40).map(|i| demo.customer(i).parse().unwrap()).collect();
        app.engine.upsert_customers(&app.ctx, "demo", &patches).await.unwrap();
        let invoices: Vec<_> = (0..150).map(|j| demo.invoice(j)).collect();
        app.engine.record_invoices(&app.ctx, &invoices).await.unwrap();
        let mut customers_csv = Vec::new();
        assert_eq!(app.engine.export_customers(&app.ctx, &mut customers_csv, &mut |_| {}).await.unwrap(), 40);
        let mut invoices_csv = Vec::new();
        assert_eq!(app.engine.export_invoices(&app.ctx, &mut invoices_csv, &mut |_| {}).await.unwrap(), 150);
        let before = app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap();
        let (_, r) = upload(&app, "customers", "", std::str::from_utf8(&customers_csv).unwrap()).await;
        assert_eq!((r["unchanged"].as_u64(), r["invalid_rows"].as_u64()), (Some(40), Some(0)), "{r}");
        let (_, r) = upload(&app, "invoices", "", std::str::from_utf8(&invoices_csv).unwrap()).await;
        assert_eq!((r["unchanged"].as_u64(), r["invalid_rows"].as_u64()), (Some(150), Some(0)), "{r}");
        assert_eq!(before, app.engine.store.rollup_snapshot(app.ctx.id).await.unwrap(), "re-importing an export changes nothing");
        // The same files into a fresh tenant give the same figures.
        let (ctx2, key2) = app.other_tenant("copy").await;
        for (kind, file) in [("customers", &customers_csv), ("invoices", &invoices_csv)] {
            let res = app
                .client
                .post(format!("{}/api/v1/imports/{kind}?source=demo", app.base))
                .bearer_auth(&key2)
                .body(file.clone())
                .send()
                .await
                .unwrap();
            let v: Value = res.json().await.unwrap();
            assert_eq!(v["invalid_rows"], 0, "{kind}: {v}");
        }
        let days = |id| {
            let store = app.engine.store.clone();
            async move { store.daily_stats(id, "2000-01-01", "2100-01-01").await.unwrap() }
        };
        assert_eq!(days(app.ctx.id).await, days(ctx2.id).await);
        app.finish().await;
    }
}
