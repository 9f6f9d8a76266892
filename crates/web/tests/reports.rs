//! Reports through the API — on every backend: a small history whose every figure is worked out
//! by hand in the comments, Jalali buckets, CSV, and bad periods.

mod common;

use common::TestApp;
use serde_json::{Value, json};

/// A purchase on a Tehran-local day at 10:00.
async fn buy(app: &TestApp, id: &str, day: &str, mobile: Option<&str>, amount: i64) -> i64 {
    let mut body = common::invoice(id, &format!("{day}T10:00:00+03:30"), mobile.unwrap_or(""), amount);
    if mobile.is_none() {
        body.as_object_mut().unwrap().remove("customer");
    }
    let r = app.post("/api/v1/invoices", body).await;
    assert!(r.status.is_success(), "{}", r.body);
    r.body["id"].as_i64().unwrap()
}

/// A: 01-10 100, 02-15 200, 03-05 300. B: 01-20 1000, 03-10 500 (200 refunded on 03-12).
/// C: 02-01 50. D: 03-20 400. Anonymous: 03-05 999. All in 2024.
async fn history(app: &TestApp) -> Vec<i64> {
    let (a, b, c, d) = ("09121110001", "09121110002", "09121110003", "09121110004");
    buy(app, "A1", "2024-01-10", Some(a), 100).await;
    buy(app, "A2", "2024-02-15", Some(a), 200).await;
    buy(app, "A3", "2024-03-05", Some(a), 300).await;
    buy(app, "B1", "2024-01-20", Some(b), 1000).await;
    let b2 = buy(app, "B2", "2024-03-10", Some(b), 500).await;
    buy(app, "C1", "2024-02-01", Some(c), 50).await;
    buy(app, "D1", "2024-03-20", Some(d), 400).await;
    buy(app, "X1", "2024-03-05", None, 999).await;
    let r = app
        .post(
            &format!("/api/v1/invoices/{b2}/refunds"),
            json!({"external_id": "B2-R", "amount": 200, "refunded_at": "2024-03-12T12:00:00+03:30"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let mut ids = Vec::new();
    for m in [a, b, c, d] {
        let found = app.get(&format!("/api/v1/customers?q={m}")).await.body;
        ids.push(found["items"][0]["id"].as_i64().unwrap_or_else(|| panic!("{found}")));
    }
    ids
}

fn pick<'a>(v: &'a Value, keys: &[&str]) -> Vec<&'a Value> {
    keys.iter().map(|k| &v[*k]).collect()
}

#[tokio::test]
async fn reports_give_the_defined_figures() {
    for app in common::apps().await {
        let ids = history(&app).await;
        let march = "from=2024-03-01&to=2024-03-31";

        // G1 in Jalali months: Esfand 1402 ends on 2024-03-19, Farvardin 1403 begins on 03-20.
        let sales = app.get(&format!("/api/v1/reports/sales?{march}&group=month")).await;
        assert_eq!(sales.status, 200, "{}", sales.body);
        let b = &sales.body["buckets"];
        assert_eq!(pick(&b[0], &["label", "from", "to"]), [&json!("1402-12"), &json!("2024-03-01"), &json!("2024-03-19")]);
        // 300 + 500 + 999 sold, 200 refunded; customers A, B, C have spent 600 + 1300 + 50 = 1950.
        assert_eq!(
            pick(&b[0], &["sales", "refunds", "net_sales", "invoices", "customers_to_date", "average_clv"]),
            [&json!(1799), &json!(200), &json!(1599), &json!(3), &json!(3), &json!(650)]
        );
        // D joins with 400: 2350 over 4 customers, rounded down.
        assert_eq!(
            pick(&b[1], &["label", "net_sales", "customers_to_date", "average_clv"]),
            [&json!("1403-01"), &json!(400), &json!(4), &json!(587)]
        );
        assert_eq!(sales.body["net_sales"], 1999);

        // G2 with a 30-day activity window.
        let customers = app.get(&format!("/api/v1/reports/customers?{march}&group=month&window=30")).await;
        assert_eq!(customers.status, 200, "{}", customers.body);
        let c = &customers.body;
        let b = &c["buckets"];
        assert_eq!(pick(&b[0], &["new_customers", "total_customers", "active_at_end"]), [&json!(0), &json!(3), &json!(2)]);
        assert_eq!(pick(&b[1], &["new_customers", "total_customers", "active_at_end"]), [&json!(1), &json!(4), &json!(3)]);
        // Bucket 1 (19 days) against 02-11..02-29: A bought then and again.
        assert_eq!(pick(&b[0]["retention"], &["base", "count", "percent"]), [&json!(1), &json!(1), &json!(100.0)]);
        // March against 01-30..02-29: A and C bought then, only A again.
        assert_eq!(pick(&c["retention"], &["base", "count", "percent"]), [&json!(2), &json!(1), &json!(50.0)]);
        // Active on 02-29 (01-31..02-29): A and C; active on 03-31 (03-02..03-31): A, B, D.
        assert_eq!(pick(&c["churn"], &["base", "count", "percent"]), [&json!(2), &json!(1), &json!(50.0)]);
        // A: 55 days over 2 gaps; B: 50 days over 1.
        let t = &c["time_between_purchases"];
        assert_eq!(pick(t, &["customers", "mean_days", "median_days"]), [&json!(2), &json!(38.75), &json!(38.75)]);
        assert_eq!(t["histogram"][2]["customers"], 1);
        assert_eq!(t["histogram"][3]["customers"], 1);

        // G6: D 400, then A and B with 300 each (B after its refund), by customer id.
        let top = app.get(&format!("/api/v1/reports/top-customers?{march}&limit=3")).await.body;
        let order: Vec<i64> = top["customers"].as_array().unwrap().iter().map(|r| r["customer_id"].as_i64().unwrap()).collect();
        let (first, second) = if ids[0] < ids[1] { (ids[0], ids[1]) } else { (ids[1], ids[0]) };
        assert_eq!(order, [ids[3], first, second]);
        assert_eq!(top["customers"][0]["net_spend"], 400);

        // G3: events in March.
        for (key, t, m) in [
            ("e1", "content_shared", "09121110001"),
            ("e2", "content_shared", "09121110001"),
            ("e3", "game_played", "09121110002"),
        ] {
            let r = app
                .post(
                    "/api/v1/events",
                    json!({"event_id": key, "type": t, "occurred_at": "2024-03-15T09:00:00+03:30", "customer": {"mobile": m}}),
                )
                .await;
            assert!(r.status.is_success(), "{}", r.body);
        }
        let e = app.get(&format!("/api/v1/reports/engagement?{march}")).await.body;
        assert_eq!(
            pick(&e, &["events", "active_engagers", "game_participants", "mission_participants"]),
            [&json!(3), &json!(2), &json!(1), &json!(0)]
        );
        assert_eq!(pick(&e["by_type"][0], &["type", "events", "customers"]), [&json!("content_shared"), &json!(2), &json!(1)]);
        let march_15 = e["buckets"].as_array().unwrap().iter().find(|b| b["from"] == "2024-03-15").unwrap();
        assert_eq!(march_15["events"], 3);

        // G5: every live customer counted once across tiers.
        let pt = app.get("/api/v1/reports/points-tiers").await.body;
        let counted: i64 = pt["tiers"].as_array().unwrap().iter().map(|t| t["customers"].as_i64().unwrap()).sum();
        assert_eq!(counted, 4, "{pt}");
        assert_eq!(pt["points"][0]["point_type"], "purchase");
        app.finish().await;
    }
}

#[tokio::test]
async fn campaign_effect_compares_equal_windows() {
    for app in common::apps().await {
        history(&app).await;
        for (key, day, m) in [
            ("b1", "2024-02-20", "09121110001"),
            ("b2", "2024-02-21", "09121110001"),
            ("a1", "2024-03-15", "09121110001"),
            ("a2", "2024-03-15", "09121110002"),
            ("a3", "2024-03-16", "09121110003"),
        ] {
            let r = app
                .post("/api/v1/events", json!({"event_id": key, "type": "content_shared", "occurred_at": format!("{day}T09:00:00+03:30"), "customer": {"mobile": m}}))
                .await;
            assert!(r.status.is_success(), "{}", r.body);
        }
        let r = app.get("/api/v1/reports/campaign-effect?date=1402/12/11&days=30&window=30").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let g = &r.body;
        // 1402/12/11 is 2024-03-01: before is 01-31..02-29, after 03-01..03-30.
        assert_eq!(pick(g, &["date", "days", "after_complete"]), [&json!("2024-03-01"), &json!(30), &json!(true)]);
        assert_eq!(pick(&g["before"], &["from", "to"]), [&json!("2024-01-31"), &json!("2024-02-29")]);
        assert_eq!(pick(&g["after"], &["from", "to"]), [&json!("2024-03-01"), &json!("2024-03-30")]);
        // Before: A 200 (02-15) and C 50 (02-01); active on 02-29: A and C; two events by A.
        assert_eq!(
            pick(&g["before"], &["net_sales", "invoices", "buyers", "active_at_end", "events", "engagers"]),
            [&json!(250), &json!(2), &json!(2), &json!(2), &json!(2), &json!(1)]
        );
        // After: A 300, B 500 less 200 refunded, D 400 and an anonymous 999; A, B, D active.
        assert_eq!(
            pick(&g["after"], &["net_sales", "invoices", "buyers", "active_at_end", "events", "engagers"]),
            [&json!(1999), &json!(4), &json!(3), &json!(3), &json!(3), &json!(3)]
        );
        // Retention: A and B bought in January, A again before; A and C before, A again after.
        // Churn: of A and B (active on 01-30) B lapsed by 02-29; of A and C, C by 03-30.
        for w in ["before", "after"] {
            assert_eq!(pick(&g[w]["retention"], &["base", "count", "percent"]), [&json!(2), &json!(1), &json!(50.0)], "{w}");
            assert_eq!(pick(&g[w]["churn"], &["base", "count", "percent"]), [&json!(2), &json!(1), &json!(50.0)], "{w}");
        }
        let sales = g["changes"].as_array().unwrap().iter().find(|c| c["figure"] == "net_sales").unwrap();
        assert_eq!(
            pick(sales, &["before", "after", "change", "percent"]),
            [&json!(250.0), &json!(1999.0), &json!(1749.0), &json!(699.6)]
        );

        let csv = app
            .client
            .get(format!("{}/api/v1/reports/campaign-effect?date=2024-03-01&days=30&format=csv", app.base))
            .bearer_auth(&app.key)
            .send()
            .await
            .unwrap();
        let text = csv.text().await.unwrap();
        assert!(text.starts_with("figure,before,after,change,percent\nnet_sales,250,1999,1749,699.6\n"), "{text}");
        for (query, field) in
            [("days=7", "date"), ("date=2024-03-01&days=0", "days"), ("date=2024-03-01&campaign=spring", "campaign")]
        {
            let r = app.get(&format!("/api/v1/reports/campaign-effect?{query}")).await;
            assert_eq!(r.status, 400, "{query}: {}", r.body);
            assert_eq!(r.body["errors"][0]["field"], field, "{query}");
        }
        assert_eq!(app.get("/api/v1/reports/campaign-effect?campaign=nope").await.status, 404);
        app.finish().await;
    }
}

#[tokio::test]
async fn csv_and_bad_periods() {
    for app in common::apps().await {
        history(&app).await;
        let csv = app.get("/api/v1/reports/sales?from=1402/12/11&to=1402/12/12&format=csv").await;
        assert_eq!(csv.status, 200);
        let text = csv.body.as_str().unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "bucket,from,to,sales,refunds,net_sales,invoices,customers_to_date,average_clv");
        // 1402/12/11 is 2024-03-01; 1402/12/12 is 2024-03-02; nothing was sold on either.
        assert_eq!(lines[1], "1402-12-11,2024-03-01,2024-03-01,0,0,0,0,3,450");
        assert_eq!(lines.len(), 3);

        for (query, field) in [
            ("from=2024-03-02&to=2024-03-01", "from"),
            ("from=2010-01-01&to=2024-03-01", "to"),
            ("period=7d&group=hour", "group"),
            ("period=fortnight", "period"),
            ("period=custom&from=2024-01-01", "to"),
            ("from=2024-02-30&to=2024-03-01", "from"),
            ("period=7d&format=pdf", "format"),
        ] {
            let r = app.get(&format!("/api/v1/reports/sales?{query}")).await;
            assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (400, Some(field)), "{query}: {}", r.body);
        }
        let r = app.get("/api/v1/reports/customers?period=7d&window=0").await;
        assert_eq!((r.status.as_u16(), r.body["errors"][0]["field"].as_str()), (400, Some("window")));
        app.finish().await;
    }
}

/// G6 on a tenant where the biggest lifetime spenders bought little in the period: the list the
/// API gives (grouping the period's invoices) and the search by lifetime spend, which must page
/// past them, both equal the one worked out from the invoices sent (ties by id, refunds deducted).
#[tokio::test]
async fn top_customers_match_the_invoices_when_big_spenders_were_quiet() {
    for app in common::apps().await {
        let tag = app.backend;
        // Customer k (0..1400): a large purchase in January if k < 1100; in March a purchase of a
        // pseudo-random amount with many ties; every seventh March purchase is half refunded.
        let mut invoices = Vec::new();
        let mut march: Vec<(String, i64)> = Vec::new();
        for k in 0..1400_i64 {
            let mobile = format!("0912{:07}", 3_000_000 + k);
            if k < 1100 {
                invoices.push(common::invoice(&format!("J{k}"), "2024-01-15T10:00:00+03:30", &mobile, 1_000_000 + k));
            }
            let amount = 1_000 + (k * 7919) % 97 * 10;
            if k % 7 != 0 {
                invoices.push(common::invoice(&format!("M{k}"), "2024-03-10T10:00:00+03:30", &mobile, amount));
            }
            march.push((mobile, amount));
        }
        for chunk in invoices.chunks(1000) {
            let r = app.post("/api/v1/invoices/batch", json!({ "invoices": chunk })).await;
            assert!(r.status.is_success(), "{tag}: {}", r.body);
        }
        let mut spend: Vec<(i64, String)> = Vec::new();
        for (k, (mobile, amount)) in march.iter().enumerate() {
            let mut net = *amount;
            if k % 7 == 0 {
                let r = app
                    .post("/api/v1/invoices", common::invoice(&format!("M{k}"), "2024-03-10T10:00:00+03:30", mobile, *amount))
                    .await;
                assert!(r.status.is_success(), "{tag}: {}", r.body);
                let id = r.body["id"].as_i64().unwrap();
                let r = app
                    .post(
                        &format!("/api/v1/invoices/{id}/refunds"),
                        json!({"external_id": format!("R{k}"), "amount": amount / 2}),
                    )
                    .await;
                assert!(r.status.is_success(), "{tag}: {}", r.body);
                net -= amount / 2;
            }
            spend.push((net, mobile.clone()));
        }
        // Customer ids by mobile, to order ties as the report does.
        let mut expected: Vec<(i64, i64)> = Vec::new();
        let mut sorted = spend.clone();
        sorted.sort_by_key(|s| std::cmp::Reverse(s.0));
        let cutoff = sorted[24].0;
        for (net, mobile) in spend.iter().filter(|(n, _)| *n >= cutoff) {
            let found = app.get(&format!("/api/v1/customers?q={mobile}")).await.body;
            expected.push((*net, found["items"][0]["id"].as_i64().unwrap()));
        }
        expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        expected.truncate(20);
        let top = app.get("/api/v1/reports/top-customers?from=2024-03-01&to=2024-03-31&limit=20").await.body;
        let got: Vec<(i64, i64)> = top["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["net_spend"].as_i64().unwrap(), r["customer_id"].as_i64().unwrap()))
            .collect();
        assert_eq!(got, expected, "{tag}");
        // A period this small is grouped; the search from the highest lifetime spend, which longer
        // busy periods take, must find the same list.
        let searched = app.engine.store.top_customers(app.ctx.id, "2024-03-01", "2024-03-31", 20).await.unwrap();
        let searched: Vec<(i64, i64)> = searched.iter().map(|r| (r.net_spend, r.customer_id)).collect();
        assert_eq!(searched, expected, "{tag}");
        app.finish().await;
    }
}

/// G2's active customers, retention and churn equal what the customers' purchase days say, for
/// buckets shorter and longer than the activity window, after purchases arrived out of order and
/// two customers were merged.
#[tokio::test]
async fn customers_report_matches_the_purchase_days() {
    use std::collections::{BTreeMap, BTreeSet};
    let day = |n: i64| jiff::civil::date(2024, 1, 1).checked_add(jiff::Span::new().days(n)).unwrap();
    for app in common::apps().await {
        let mut rng = philia_engine::demo::DemoRng::new(7);
        // Purchase days per mobile, posted in random order across the year's first 200 days.
        let mut posts = Vec::new();
        for who in 0..40u64 {
            for k in 0..rng.below(9) {
                posts.push((rng.below(1_000), who, day(rng.below(200) as i64), k));
            }
        }
        posts.sort();
        let mut days: BTreeMap<u64, BTreeSet<jiff::civil::Date>> = BTreeMap::new();
        for (_, who, d, k) in &posts {
            buy(&app, &format!("P{who}-{k}"), &d.to_string(), Some(&format!("0912300{who:04}")), 100).await;
            days.entry(*who).or_default().insert(*d);
        }
        // Customer 1 is merged into customer 0: their days become one history.
        let id = |who: u64| {
            let app = &app;
            async move { app.get(&format!("/api/v1/customers?q=0912300{who:04}")).await.body["items"][0]["id"].as_i64() }
        };
        if let (Some(keep), Some(gone)) = (id(0).await, id(1).await) {
            let r = app.post(&format!("/api/v1/customers/{keep}/merge"), json!({"merge_id": gone})).await;
            assert!(r.status.is_success(), "{}", r.body);
            let moved = days.remove(&1).unwrap_or_default();
            days.entry(0).or_default().extend(moved);
        }
        let bought = |from: jiff::civil::Date, to: jiff::civil::Date| -> BTreeSet<u64> {
            days.iter().filter(|(_, d)| d.range(from..=to).next().is_some()).map(|(w, _)| *w).collect()
        };
        let back = |d: jiff::civil::Date, n: i64| d.checked_sub(jiff::Span::new().days(n)).unwrap();
        let rate = |count: usize, base: usize| json!({"base": base, "count": count});
        for (query, window) in [
            ("from=2024-03-01&to=2024-06-30&group=month", 30),
            ("from=2024-02-01&to=2024-05-31&group=week", 10),
            ("from=2024-04-01&to=2024-04-20&group=day", 45),
            ("from=2024-01-15&to=2024-07-15&group=year", 60),
        ] {
            let r = app.get(&format!("/api/v1/reports/customers?{query}&window={window}")).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let mut periods: Vec<(&Value, jiff::civil::Date, jiff::civil::Date)> = r.body["buckets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| (b, b["from"].as_str().unwrap().parse().unwrap(), b["to"].as_str().unwrap().parse().unwrap()))
                .collect();
            assert!(!periods.is_empty(), "{query}");
            let whole = (&r.body, periods[0].1, periods[periods.len() - 1].2);
            periods.push(whole);
            for (figures, from, to) in periods {
                let length = (to - from).get_days() as i64 + 1;
                let before = bought(back(from, length), back(from, 1));
                let during = bought(from, to);
                let retained = before.intersection(&during).count();
                let active_start = bought(back(from, window), back(from, 1));
                let active_end = bought(back(to, window - 1), to);
                let churned = active_start.difference(&active_end).count();
                let what = format!("{query} window {window}, {from}..{to}");
                assert_eq!(
                    pick(&figures["retention"], &["base", "count"]),
                    pick(&rate(retained, before.len()), &["base", "count"]),
                    "{what}"
                );
                assert_eq!(
                    pick(&figures["churn"], &["base", "count"]),
                    pick(&rate(churned, active_start.len()), &["base", "count"]),
                    "{what}"
                );
                if figures.get("active_at_end").is_some() {
                    assert_eq!(figures["active_at_end"], json!(active_end.len()), "{what}");
                }
            }
        }
    }
}
