//! RFM through the API — on every backend: the table against the definition written out in the
//! test, at now and at a past date, stored scores, history, the grid and bad input.

mod common;

use common::TestApp;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const DAY: i64 = 86_400_000;

/// One test customer's purchases: (days ago, total), and which of them get refunded (fully or by
/// an amount).
struct Shopper {
    mobile: String,
    purchases: Vec<(i64, i64, Option<Option<i64>>)>,
}

fn shoppers() -> Vec<Shopper> {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    (0..40)
        .map(|i| {
            let count = 1 + next(5) as usize;
            let purchases = (0..count)
                .map(|_| {
                    let days = next(400) as i64;
                    // Few distinct amounts, so ties happen.
                    let total = 10_000 * (1 + next(6) as i64);
                    let refund = match next(10) {
                        0 => Some(None),
                        1 => Some(Some(total / 2)),
                        _ => None,
                    };
                    (days, total, refund)
                })
                .collect();
            Shopper { mobile: format!("0912500{i:04}"), purchases }
        })
        .collect()
}

/// (recency days, frequency, monetary) per mobile, of the population at `as_of` (ms), when
/// refunds happen at `refunded_at`.
fn figures_at(shoppers: &[Shopper], now: i64, as_of: i64, refunded_at: i64) -> BTreeMap<String, (i64, i64, i64)> {
    let mut out = BTreeMap::new();
    for s in shoppers {
        let (mut last, mut n, mut spend, mut kept) = (i64::MIN, 0, 0, 0);
        for &(days, total, refund) in &s.purchases {
            let at = now - days * DAY - 3_600_000;
            if at >= as_of {
                continue;
            }
            let refunded = match refund {
                Some(amount) if refunded_at < as_of => amount.unwrap_or(total),
                _ => 0,
            };
            last = last.max(at);
            n += 1;
            spend += total - refunded;
            kept += i64::from(refunded < total);
        }
        if kept > 0 {
            out.insert(s.mobile.clone(), ((as_of - last).div_euclid(DAY), n, spend));
        }
    }
    out
}

/// Scores and segment by the definition: W counted customer by customer, the default grid.
fn scored(figures: &BTreeMap<String, (i64, i64, i64)>) -> BTreeMap<String, (i64, i64, i64, &'static str)> {
    let n = figures.len() as i64;
    let grid = [
        ["new_customers", "potential_loyalist", "potential_loyalist", "champions", "champions"],
        ["promising", "potential_loyalist", "potential_loyalist", "loyal", "champions"],
        ["about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"],
        ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"],
        ["lost", "lost", "at_risk", "cant_lose_them", "cant_lose_them"],
    ];
    figures
        .iter()
        .map(|(m, &(r, f, mo))| {
            let score = |w: usize| 1 + 5 * w as i64 / n;
            let rs = score(figures.values().filter(|o| o.0 > r).count());
            let fs = score(figures.values().filter(|o| o.1 < f).count());
            let ms = score(figures.values().filter(|o| o.2 < mo).count());
            let fm = (fs + ms + 1) / 2;
            (m.clone(), (rs, fs, ms, grid[(5 - rs) as usize][(fm - 1) as usize]))
        })
        .collect()
}

async fn load(app: &TestApp, shoppers: &[Shopper], now: i64) -> BTreeMap<String, i64> {
    let mut invoices = Vec::new();
    for s in shoppers {
        for (k, &(days, total, _)) in s.purchases.iter().enumerate() {
            let at = jiff::Timestamp::from_millisecond(now - days * DAY - 3_600_000).unwrap().to_string();
            invoices.push(common::invoice(&format!("{}-{k}", s.mobile), &at, &s.mobile, total));
        }
    }
    let r = app.post("/api/v1/invoices/batch", json!({ "invoices": invoices })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let results = r.body["results"].as_array().unwrap().clone();
    let mut ids = BTreeMap::new();
    let mut n = 0;
    for s in shoppers {
        for (k, &(_, _, refund)) in s.purchases.iter().enumerate() {
            let item = &results[n];
            n += 1;
            ids.insert(s.mobile.clone(), item["customer_id"].as_i64().unwrap());
            if let Some(amount) = refund {
                let mut body = json!({"external_id": format!("RF-{}-{k}", s.mobile)});
                if let Some(a) = amount {
                    body["amount"] = json!(a);
                }
                let r = app.post(&format!("/api/v1/invoices/{}/refunds", item["id"]), body).await;
                assert!(r.status.is_success(), "{}", r.body);
            }
        }
    }
    ids
}

/// Every row of the table, following the pages.
async fn table(app: &TestApp, query: &str) -> (Value, BTreeMap<i64, Value>) {
    let mut rows = BTreeMap::new();
    let mut after: Option<i64> = None;
    loop {
        let path = match after {
            Some(a) => format!("/api/v1/rfm?limit=7&after={a}{query}"),
            None => format!("/api/v1/rfm?limit=7{query}"),
        };
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for r in page.body["customers"].as_array().unwrap() {
            rows.insert(r["customer_id"].as_i64().unwrap(), r.clone());
        }
        match page.body["next_after"].as_i64() {
            Some(a) => after = Some(a),
            None => return (page.body, rows),
        }
    }
}

fn assert_matches(
    expected: &BTreeMap<String, (i64, i64, i64, &str)>,
    figures: &BTreeMap<String, (i64, i64, i64)>,
    ids: &BTreeMap<String, i64>,
    rows: &BTreeMap<i64, Value>,
) {
    assert_eq!(rows.len(), expected.len());
    for (mobile, &(r, f, m, segment)) in expected {
        let row = &rows[&ids[mobile]];
        let (days, count, spend) = figures[mobile];
        assert_eq!(
            (row["recency_days"].as_i64(), row["frequency"].as_i64(), row["monetary"].as_i64()),
            (Some(days), Some(count), Some(spend)),
            "{mobile}"
        );
        assert_eq!(
            (row["r"].as_i64(), row["f"].as_i64(), row["m"].as_i64(), row["segment"].as_str()),
            (Some(r), Some(f), Some(m), Some(segment)),
            "{mobile}"
        );
    }
}

#[tokio::test]
async fn the_table_follows_the_definition_now_and_at_a_past_date() {
    let shoppers = shoppers();
    for app in common::apps().await {
        let now = jiff::Timestamp::now().as_millisecond();
        let ids = load(&app, &shoppers, now).await;

        let (body, rows) = table(&app, "").await;
        let as_of: jiff::Timestamp = body["as_of"].as_str().unwrap().parse().unwrap();
        let figures = figures_at(&shoppers, now, as_of.as_millisecond(), as_of.as_millisecond() - 1);
        let expected = scored(&figures);
        assert_matches(&expected, &figures, &ids, &rows);
        assert_eq!(body["population"].as_i64(), Some(expected.len() as i64));
        let counted: i64 = body["distribution"].as_array().unwrap().iter().map(|d| d["customers"].as_i64().unwrap()).sum();
        assert_eq!(counted, expected.len() as i64);
        let champions = expected.values().filter(|e| e.3 == "champions").count() as i64;
        assert_eq!(body["distribution"][0]["segment"], "champions");
        assert_eq!(body["distribution"][0]["customers"].as_i64(), Some(champions));
        assert_eq!(body["distribution"][0]["name_fa"], "قهرمان");
        // The G4 table's login columns: one shopper signs in twice.
        let first = ids.keys().next().unwrap().clone();
        for (key, at) in [("in-1", "2025-03-02T08:00:00Z"), ("in-2", "2025-04-02T08:00:00Z")] {
            let e = json!({"event_id": key, "type": "club_login", "occurred_at": at, "customer": {"mobile": first}});
            assert!(app.post("/api/v1/events", e).await.status.is_success());
        }
        let (_, rows) = table(&app, "").await;
        let row = &rows[&ids[&first]];
        assert_eq!(
            (row["first_login_at"].as_str(), row["last_login_at"].as_str()),
            (Some("2025-03-02T08:00:00Z"), Some("2025-04-02T08:00:00Z"))
        );
        assert!(rows.values().filter(|r| r["customer_id"] != row["customer_id"]).all(|r| r["first_login_at"].is_null()));

        // The export has the same rows, with the customer's mobile beside their figures.
        let mut out = Vec::new();
        let n = app.engine.export_rfm(&app.ctx, None, &mut out, &mut |_| {}).await.unwrap();
        assert_eq!(n as usize, rows.len());
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().next(),
            Some("customer_id,external_ids,mobile,recency_days,frequency,monetary,r,f,m,fm,segment,segment_fa")
        );
        let line = text.lines().find(|l| l.starts_with(&format!("{},", row["customer_id"]))).unwrap();
        let cells: Vec<&str> = line.split(',').collect();
        assert!(cells[2].ends_with(&first[1..]), "{line}");
        assert_eq!(
            (cells[3], cells[5], cells[10]),
            (row["recency_days"].to_string().as_str(), row["monetary"].to_string().as_str(), row["segment"].as_str().unwrap())
        );

        // 100 days ago, from the invoices then (the refunds came later).
        let past = now - 100 * DAY;
        let at = jiff::Timestamp::from_millisecond(past).unwrap().to_string();
        let (_, rows) = table(&app, &format!("&as_of={at}")).await;
        let figures = figures_at(&shoppers, now, past, now);
        assert_matches(&scored(&figures), &figures, &ids, &rows);
        app.finish().await;
    }
}

#[tokio::test]
async fn scores_are_stored_kept_current_and_their_history_kept() {
    let shoppers = shoppers();
    for app in common::apps().await {
        let now = jiff::Timestamp::now().as_millisecond();
        let ids = load(&app, &shoppers, now).await;
        let refreshed = app.post("/api/v1/rfm/refresh", json!({})).await;
        assert_eq!(refreshed.status, 200, "{}", refreshed.body);
        let (body, rows) = table(&app, "").await;
        assert_eq!(refreshed.body["population"], body["population"]);
        for (id, row) in &rows {
            let stored = app.get(&format!("/api/v1/customers/{id}/rfm")).await.body;
            assert_eq!(
                (&stored["segment"], &stored["scores"]["r"], &stored["scores"]["fm"]),
                (&row["segment"], &row["r"], &row["fm"])
            );
            assert_eq!(app.get(&format!("/api/v1/customers/{id}")).await.body["rfm_segment"], row["segment"]);
        }

        // A newcomer is scored at once; refunding their only purchase takes them out again.
        let inv = app
            .post("/api/v1/invoices", common::invoice("NEW-1", &jiff::Timestamp::now().to_string(), "09125009999", 10_000))
            .await;
        let newcomer = inv.body["customer_id"].as_i64().unwrap();
        let stored = app.get(&format!("/api/v1/customers/{newcomer}/rfm")).await.body;
        assert_eq!(stored["scores"]["r"], 5, "{stored}");
        assert!(stored["segment"].is_string());
        app.post(&format!("/api/v1/invoices/{}/refunds", inv.body["id"]), json!({"external_id": "NEW-1-R"})).await;
        let stored = app.get(&format!("/api/v1/customers/{newcomer}/rfm")).await.body;
        assert!(stored["segment"].is_null() && stored["scores"].is_null(), "{stored}");
        let moves = stored["history"].as_array().unwrap();
        assert_eq!(moves.len(), 2);
        assert!(moves[0]["to"].is_null() && moves[0]["from"] == moves[1]["to"] && moves[1]["from"].is_null());
        assert!(app.get(&format!("/api/v1/customers/{newcomer}")).await.body["rfm_segment"].is_null());
        assert!(!rows.contains_key(&newcomer) && ids.values().all(|id| *id != newcomer));
        app.finish().await;
    }
}

#[tokio::test]
async fn the_grid_is_the_tenants_and_bad_input_names_the_field() {
    for app in common::apps().await {
        let now = jiff::Timestamp::now().as_millisecond();
        load(&app, &shoppers()[..5], now).await;
        let grid = app.get("/api/v1/rfm/grid").await.body;
        assert_eq!(grid["rows"][4][0], "lost");
        let all_loyal = json!({"rows": vec![vec!["loyal"; 5]; 5]});
        assert_eq!(app.put("/api/v1/rfm/grid", all_loyal).await.status, 200);
        let (body, rows) = table(&app, "").await;
        assert!(rows.values().all(|r| r["segment"] == "loyal"));
        assert_eq!(body["distribution"][1]["percent"].as_f64(), Some(100.0));
        let some = rows.keys().next().unwrap();
        assert_eq!(app.get(&format!("/api/v1/customers/{some}/rfm")).await.body["segment"], "loyal");

        let short = app.put("/api/v1/rfm/grid", json!({"rows": [["loyal"]]})).await;
        assert_eq!((short.status.as_u16(), short.body["errors"][0]["field"].as_str()), (422, Some("rows")));
        let unknown = app.put("/api/v1/rfm/grid", json!({"rows": vec![vec!["famous"; 5]; 5]})).await;
        assert_eq!(
            (unknown.status.as_u16(), unknown.body["errors"][0]["field"].as_str()),
            (400, Some("rows[0][0]")),
            "{}",
            unknown.body
        );
        let bad = app.get("/api/v1/rfm?as_of=1403-13-40").await;
        assert_eq!((bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()), (400, Some("as_of")), "{}", bad.body);
        // A Jalali date means the end of that day.
        assert_eq!(app.get("/api/v1/rfm?as_of=1403/01/01").await.status, 200);
        app.finish().await;
    }
}
