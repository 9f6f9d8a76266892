//! A segment's search narrowed to a range of purchase statistics finds exactly the customers the
//! search over every profile finds: random rules (purchase figures at the top level, inside `not`
//! and `any`, beside profile tests) over random customers, some without statistics, some merged
//! away, some with every invoice refunded.

use philia_domain::segments::parse_rule;
use philia_store::bulk::{self, Val};
use philia_store::commit;
use philia_store::segment_range::{EVERY_PROFILE, narrowed_rows};
use philia_store::segment_sql::{Clock, compile};
use serde_json::{Value as Json, json};
use sqlx::Row;

mod common;
use common::stores;

const NOW: i64 = 1_780_000_000_000;
const DAY: i64 = 86_400_000;

/// A small deterministic generator (xorshift), so a failure names its seed.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn purchase_test(d: &mut Draw) -> Json {
    let spend = *d.pick(&[0, 1, 150_000, 400_000, 1_000_000]);
    let count = *d.pick(&[0, 1, 2, 3, 5]);
    let days = *d.pick(&[1, 30, 90, 365]);
    match d.below(12) {
        0 => json!({"field": "spend", "op": "gte", "value": spend}),
        1 => json!({"field": "spend", "op": "gt", "value": spend}),
        2 => json!({"field": "spend", "op": "eq", "value": spend}),
        3 => json!({"field": "spend", "op": "between", "value": [spend, spend * 3 + 1]}),
        4 => json!({"field": "invoices", "op": "gte", "value": count}),
        5 => json!({"field": "invoices", "op": "eq", "value": count}),
        6 => json!({"field": "invoices", "op": "between", "value": [count, count + 1]}),
        7 => json!({"field": "last_purchase_at", "op": "within_last_days", "value": days}),
        8 => {
            json!({"field": "last_purchase_at", "op": *d.pick(&["after", "before"]), "value": *d.pick(&["2026-01-15", "2026-05-20"])})
        }
        9 => json!({"field": "last_purchase_at", "op": *d.pick(&["exists", "missing"])}),
        10 => json!({"field": "average_order_value", "op": "gte", "value": spend}),
        _ => json!({"field": "first_purchase_at", "op": "within_last_days", "value": days}),
    }
}

fn profile_test(d: &mut Draw) -> Json {
    match d.below(3) {
        0 => json!({"field": "has_mobile", "op": "eq", "value": d.below(2) == 0}),
        1 => json!({"field": "rfm_segment", "op": "in", "value": ["lost", "hibernating"]}),
        _ => json!({"field": "gender", "op": "eq", "value": *d.pick(&["female", "male"])}),
    }
}

/// One conjunct: a test of either kind, or a `not` or `any` of them.
fn conjunct(d: &mut Draw) -> Json {
    match d.below(6) {
        0 | 1 => purchase_test(d),
        2 => profile_test(d),
        3 => json!({"not": purchase_test(d)}),
        4 => json!({"any": [purchase_test(d), profile_test(d)]}),
        _ => json!({"any": [purchase_test(d), purchase_test(d)]}),
    }
}

fn rule(d: &mut Draw) -> Json {
    if d.below(5) == 0 {
        return purchase_test(d);
    }
    let n = 1 + d.below(5) as usize;
    let mut parts: Vec<Json> = (0..n).map(|_| conjunct(d)).collect();
    if d.below(3) == 0 {
        parts.push(json!({"all": [purchase_test(d), profile_test(d)]}));
    }
    json!({ "all": parts })
}

#[tokio::test]
async fn narrowed_search_finds_what_every_profile_finds() {
    for (store, _dir) in stores().await {
        store.migrate().await.unwrap();
        let tenant = 9_100_000_000 + i64::from(std::process::id());
        let mut d = Draw(0x9e37_79b9_7f4a_7c15);
        let mut tx = store.begin_write().await.unwrap();
        for id in 1..=300_i64 {
            let merged = (d.below(15) == 0).then_some(1_i64);
            let mobile = (d.below(4) != 0).then(|| format!("0912{id:07}"));
            let segment = d.pick(&[None, Some("lost"), Some("hibernating"), Some("champions")]).map(str::to_string);
            let gender = d.pick(&[None, Some("female"), Some("male")]).map(str::to_string);
            sqlx::query(
                "INSERT INTO customers (tenant_id, id, merged_into, mobile, rfm_segment, gender, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 0, 0)",
            )
            .bind(tenant)
            .bind(id)
            .bind(merged)
            .bind(mobile)
            .bind(segment)
            .bind(gender)
            .execute(&mut *tx)
            .await
            .unwrap();
            if d.below(5) == 0 {
                continue; // never bought, no statistics
            }
            let invoices = d.below(6);
            let gross = invoices * *d.pick(&[0, 50_000, 150_000, 400_000]);
            let refunds = if d.below(4) == 0 { gross } else { gross / (1 + d.below(5)) };
            let last = (invoices > 0).then(|| NOW - d.below(500) * DAY + d.below(DAY as u64));
            let first = last.map(|l| l - d.below(400) * DAY);
            sqlx::query(
                "INSERT INTO customer_stats (tenant_id, customer_id, first_purchase_at, last_purchase_at, invoice_count, gross_spend,
                    refund_total, refund_count, refunded_invoice_count, event_count) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0)",
            )
            .bind(tenant)
            .bind(id)
            .bind(first)
            .bind(last)
            .bind(invoices)
            .bind(gross)
            .bind(refunds)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        commit(tx).await.unwrap();
        let mut tx = store.begin_read().await.unwrap();
        let clock = Clock {
            now_ms: NOW,
            today: jiff::civil::date(2026, 5, 28),
            zone: jiff::tz::TimeZone::get("Asia/Tehran").unwrap(),
            backend: store.backend(),
        };
        let mut narrowed_rules = 0;
        for n in 0..400 {
            let json = rule(&mut d);
            let parsed = parse_rule(&json).unwrap_or_else(|e| panic!("rule {n}: {json}: {e:?}"));
            let mut params = vec![Val::I(tenant)];
            let cond = compile(&parsed, &clock, &mut params);
            let rows = bulk::query(format!("SELECT c.id {EVERY_PROFILE} AND {cond} ORDER BY c.id"), params)
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            let expected: Vec<i64> = rows.iter().map(|r| r.try_get(0).unwrap()).collect();
            let got = store.matching_ids(&mut tx, tenant, &parsed, &clock, 0, None).await.unwrap();
            assert_eq!(got, expected, "rule {n} on {:?}: {json}", store.backend());
            let count = store.count_matching(&mut tx, tenant, &parsed, &clock).await.unwrap();
            assert_eq!(count, expected.len() as i64, "rule {n}: {json}");
            let figures = store.segment_analysis(&mut tx, tenant, &parsed, &clock).await.unwrap();
            assert_eq!(figures.members, expected.len() as i64, "rule {n}: {json}");
            narrowed_rules += usize::from(narrowed_rows(&parsed, &clock, &mut vec![Val::I(tenant)], false).is_some());
        }
        // The generator exercises both searches.
        assert!(narrowed_rules > 100 && narrowed_rules < 400, "{narrowed_rules} of 400 narrowed");
        drop(tx);
        let mut tx = store.begin_write().await.unwrap();
        sqlx::query("DELETE FROM customer_stats WHERE tenant_id = $1").bind(tenant).execute(&mut *tx).await.unwrap();
        sqlx::query("DELETE FROM customers WHERE tenant_id = $1").bind(tenant).execute(&mut *tx).await.unwrap();
        commit(tx).await.unwrap();
        store.close().await;
    }
}
