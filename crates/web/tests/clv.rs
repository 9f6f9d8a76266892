//! Predictive CLV through the product: invoices over many days for 40 customers, the tenant's
//! models fitted from them (API and daily job), and each customer's predictions — equal to the
//! domain models fitted on summaries this test works out from the invoices it sent, with refunds
//! taken into account, too little data refused, the panel and the CSV export — on both databases.

mod common;

use philia_domain::clv::{Summary, fit_bg_nbd, fit_gamma_gamma, lifetime_value};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;

fn day_number(date: jiff::civil::Date) -> i64 {
    i64::from(date.since(jiff::civil::date(1970, 1, 1)).unwrap().get_days())
}

fn near(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= 1e-9 * theirs.abs().max(1.0)
}

#[tokio::test]
async fn clv_models_fit_on_purchase_days_and_predict_per_customer() {
    for app in common::apps().await {
        // Too little to fit: one customer who bought once.
        let today = jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::get("Asia/Tehran").unwrap()).date();
        let at = |days_ago: i64| format!("{}T08:30:00Z", today.checked_sub(jiff::Span::new().days(days_ago)).unwrap());
        let r = app.post("/api/v1/invoices", common::invoice("solo", &at(3), "09120000000", 100_000)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = app.get("/api/v1/clv").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "customers");

        // 40 customers with their own rhythm: customer k buys every (k % 7 + 2) × 9 days, k % 5 + 1
        // times, starting (k × 11) % 300 + 40 days ago; two purchases on one day count as one day.
        let mut expected: BTreeMap<String, Vec<(i64, f64)>> = BTreeMap::new();
        expected.insert("09120000000".into(), vec![(day_number(today) - 3, 100_000.0)]);
        for k in 0..40i64 {
            let mobile = format!("0912100{k:04}");
            let gap = (k % 7 + 2) * 9;
            let start = (k * 11) % 300 + 40;
            for n in 0..(k % 5 + 1) {
                let ago = start - n * gap;
                if ago < 1 {
                    break;
                }
                let amount = 50_000 + 7_000 * ((k + n) % 9);
                let r = app.post("/api/v1/invoices", common::invoice(&format!("c{k}-{n}"), &at(ago), &mobile, amount)).await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
                expected.entry(mobile.clone()).or_default().push((day_number(today) - ago, amount as f64));
            }
            if k % 4 == 0 {
                let r = app.post("/api/v1/invoices", common::invoice(&format!("c{k}-same"), &at(start), &mobile, 10_000)).await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
                expected.get_mut(&mobile).unwrap().push((day_number(today) - start, 10_000.0));
            }
        }
        // A purchase refunded in full is no purchase; one refunded in part counts what was kept.
        let r = app.post("/api/v1/invoices", common::invoice("gone", &at(2), "09121000005", 80_000)).await;
        let gone = r.body["id"].as_i64().unwrap();
        let r = app.post(&format!("/api/v1/invoices/{gone}/refunds"), json!({"external_id": "R-gone", "amount": 80_000})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = app.post("/api/v1/invoices", common::invoice("part", &at(1), "09121000006", 90_000)).await;
        let part = r.body["id"].as_i64().unwrap();
        let r = app.post(&format!("/api/v1/invoices/{part}/refunds"), json!({"external_id": "R-part", "amount": 30_000})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        expected.get_mut("09121000006").unwrap().push((day_number(today) - 1, 60_000.0));

        let end = day_number(today);
        let summaries: BTreeMap<String, Summary> =
            expected.iter().map(|(m, p)| (m.clone(), Summary::of(p, end).unwrap())).collect();
        let all: Vec<Summary> = summaries.values().copied().collect();
        let bg = fit_bg_nbd(&all).unwrap();
        let gg = fit_gamma_gamma(&all).unwrap();

        let model = app.post("/api/v1/clv/fit", json!({})).await;
        assert_eq!(model.status, StatusCode::OK, "{}", model.body);
        let m = &model.body;
        assert_eq!(m["customers"], 41, "{m}");
        assert_eq!(m["repeat_customers"], all.iter().filter(|s| s.frequency > 0.0).count());
        for (name, ours) in [("r", bg.r), ("alpha", bg.alpha), ("a", bg.a), ("b", bg.b)] {
            assert!(near(m["bg_nbd"][name].as_f64().unwrap(), ours), "{}: {name} {} vs {ours}", app.backend, m["bg_nbd"][name]);
        }
        for (name, ours) in [("p", gg.p), ("q", gg.q), ("v", gg.v)] {
            assert!(near(m["gamma_gamma"][name].as_f64().unwrap(), ours), "{}: {name}", app.backend);
        }

        for mobile in ["09121000005", "09121000006", "09121000012", "09120000000"] {
            let id = app.get(&format!("/api/v1/customers?q={mobile}")).await.body["items"][0]["id"].as_i64().unwrap();
            let c = app.get(&format!("/api/v1/customers/{id}/clv")).await;
            assert_eq!(c.status, StatusCode::OK, "{}", c.body);
            let s = summaries[mobile];
            assert_eq!(c.body["frequency"].as_f64(), Some(s.frequency), "{mobile}: {}", c.body);
            assert_eq!(c.body["recency_days"].as_f64(), Some(s.recency), "{mobile}");
            assert!(near(c.body["average_spend"].as_f64().unwrap(), s.monetary), "{mobile}");
            assert!(near(c.body["probability_alive"].as_f64().unwrap(), bg.probability_alive(&s)), "{mobile}");
            assert!(near(c.body["expected_purchases_90"].as_f64().unwrap(), bg.expected_purchases(&s, 90.0)), "{mobile}");
            assert!(near(c.body["clv_12_months"].as_f64().unwrap(), lifetime_value(&bg, &gg, &s, 12, 0.01)), "{mobile}");
        }
        let nobody =
            app.post("/api/v1/customers", json!({"mobile": "09129990000"})).await.body["customer"]["id"].as_i64().unwrap();
        assert_eq!(app.get(&format!("/api/v1/customers/{nobody}/clv")).await.status, StatusCode::NOT_FOUND);

        // The staff panel shows a customer's predictions once the models are fitted.
        app.engine.create_staff(&app.ctx, "clv@shop.ir", "سارا", "viewer", "a-long-passphrase-1").await.unwrap();
        let mut panel = common::panel::Panel::new(&app.base);
        panel.sign_in("clv@shop.ir", "a-long-passphrase-1").await;
        let id = app.get("/api/v1/customers?q=09121000012").await.body["items"][0]["id"].as_i64().unwrap();
        let page = panel.get(&format!("/admin/customers/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.html.contains("id=\"predicted-clv\"") && page.html.contains("id=\"probability-alive\""), "{}", app.backend);

        // The export has every customer with a purchase.
        let mut out = Vec::new();
        let n = app.engine.export_clv(&app.ctx, &mut out, &mut |_| {}).await.unwrap();
        assert_eq!(n, 41);
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("customer_id,external_ids,mobile,frequency,recency_days,age_days,average_spend,probability_alive")
        );
        assert_eq!(text.lines().count(), 42);
        app.finish().await;
    }
}
