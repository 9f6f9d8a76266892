//! Customers per tier and RFM segment, kept by triggers, equal a count of the profiles after any
//! mix of new customers, tier and segment moves (one row or many per statement), merges, undone
//! merges and deletions, before and after the changes are folded, and under concurrent writers
//! with folds running beside them.

use philia_store::customer_counts::CustomerCount;
use philia_store::{Store, commit};

mod common;
mod folds;
use common::stores;
use folds::fold;

const TIERS: [Option<&str>; 4] = [None, Some("bronze"), Some("silver"), Some("gold")];
const SEGMENTS: [Option<&str>; 3] = [None, Some("champions"), Some("lost")];

/// The counts as the profiles give them.
async fn counted(store: &Store, tenant: i64) -> Vec<CustomerCount> {
    let rows: Vec<(Option<String>, Option<String>, i64)> = sqlx::query_as(
        "SELECT tier, rfm_segment, CAST(COUNT(*) AS BIGINT) FROM customers WHERE tenant_id = $1 AND merged_into IS NULL
         GROUP BY tier, rfm_segment",
    )
    .bind(tenant)
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut out: Vec<CustomerCount> =
        rows.into_iter().map(|(tier, rfm_segment, customers)| CustomerCount { tier, rfm_segment, customers }).collect();
    out.sort();
    out
}

async fn kept(store: &Store, tenant: i64) -> Vec<CustomerCount> {
    let mut conn = store.pool().acquire().await.unwrap();
    let mut out = store.customer_counts(&mut conn, tenant).await.unwrap();
    out.sort();
    out
}

/// Runs `sql` with the tenant, a customer id and a tier as `$1`, `$2`, `$3`.
async fn with_tier(conn: &mut philia_store::Conn, sql: &'static str, tenant: i64, id: i64, tier: Option<&str>) {
    sqlx::query(sql).bind(tenant).bind(id).bind(tier).execute(&mut *conn).await.unwrap();
}

async fn add_customer(store: &Store, tenant: i64, id: i64, tier: Option<&str>) {
    let mut tx = store.begin_write().await.unwrap();
    let sql = "INSERT INTO customers (tenant_id, id, tier, created_at, updated_at) VALUES ($1, $2, $3, 0, 0)";
    with_tier(&mut tx, sql, tenant, id, tier).await;
    commit(tx).await.unwrap();
}

async fn run(store: &Store, sql: &str, tenant: i64, value: Option<String>, ids: &[i64]) {
    let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let mut tx = store.begin_write().await.unwrap();
    philia_store::bulk::dynamic(sql.replace("{ids}", &list)).bind(tenant).bind(value).execute(&mut *tx).await.unwrap();
    commit(tx).await.unwrap();
}

#[tokio::test]
async fn counts_follow_every_change() {
    for (store, _dir) in stores().await {
        store.migrate().await.unwrap();
        // A tenant id no other test uses.
        let tenant = 9_200_000_000 + i64::from(std::process::id());
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut ids: Vec<i64> = Vec::new();
        let mut last_id = 0;
        for step in 0..300 {
            let pick = |next: &mut dyn FnMut(u64) -> u64, ids: &[i64]| -> Vec<i64> {
                let n = 1 + next(4) as usize;
                (0..n).map(|_| ids[next(ids.len() as u64) as usize]).collect()
            };
            match (next(7), ids.is_empty()) {
                (0, _) | (_, true) => {
                    last_id += 1;
                    let id = last_id;
                    add_customer(&store, tenant, id, TIERS[next(4) as usize]).await;
                    ids.push(id);
                }
                (1 | 2, _) => {
                    let (chosen, tier) = (pick(&mut next, &ids), TIERS[next(4) as usize]);
                    run(
                        &store,
                        "UPDATE customers SET tier = $2 WHERE tenant_id = $1 AND id IN ({ids})",
                        tenant,
                        tier.map(Into::into),
                        &chosen,
                    )
                    .await;
                }
                (3 | 4, _) => {
                    let (chosen, segment) = (pick(&mut next, &ids), SEGMENTS[next(3) as usize]);
                    run(
                        &store,
                        "UPDATE customers SET rfm_segment = $2 WHERE tenant_id = $1 AND id IN ({ids})",
                        tenant,
                        segment.map(Into::into),
                        &chosen,
                    )
                    .await;
                }
                (5, _) => {
                    // Merged into another customer, or a merge undone.
                    let chosen = pick(&mut next, &ids);
                    let into = (next(2) == 0).then(|| ids[0].to_string());
                    run(
                        &store,
                        "UPDATE customers SET merged_into = CAST($2 AS BIGINT) WHERE tenant_id = $1 AND id IN ({ids})",
                        tenant,
                        into,
                        &chosen,
                    )
                    .await;
                }
                _ => {
                    let chosen = pick(&mut next, &ids);
                    run(
                        &store,
                        "DELETE FROM customers WHERE tenant_id = $1 AND id IN ({ids}) AND $2 IS NULL",
                        tenant,
                        None,
                        &chosen,
                    )
                    .await;
                    ids.retain(|i| !chosen.contains(i));
                }
            }
            folds::check_step(&store, step, || async { (kept(&store, tenant).await, counted(&store, tenant).await) }).await;
        }
        assert!(!counted(&store, tenant).await.is_empty());
        let mut tx = store.begin_write().await.unwrap();
        store.recount_customers(&mut tx, tenant).await.unwrap();
        commit(tx).await.unwrap();
        assert_eq!(kept(&store, tenant).await, counted(&store, tenant).await, "recounted on {:?}", store.backend());
    }
}

#[tokio::test]
async fn concurrent_moves_and_folds_lose_nothing() {
    for (store, _dir) in stores().await {
        store.migrate().await.unwrap();
        let tenant = 9_300_000_000 + i64::from(std::process::id());
        const WRITERS: i64 = 8;
        const PER_WRITER: i64 = 6;
        for id in 1..=WRITERS * PER_WRITER {
            add_customer(&store, tenant, id, Some("bronze")).await;
        }
        // Each writer moves its customers up and down in one transaction per round, in opposite
        // orders on odd and even rounds, while the others do the same between the same tiers.
        folds::while_folding(&store, || {
            (0..WRITERS)
                .map(|w| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let mine: Vec<i64> = (1..=PER_WRITER).map(|i| w * PER_WRITER + i).collect();
                        for round in 0..20 {
                            let mut tx = store.begin_write().await.unwrap();
                            for (k, id) in mine.iter().enumerate() {
                                let sql = "UPDATE customers SET tier = $3 WHERE tenant_id = $1 AND id = $2";
                                with_tier(&mut tx, sql, tenant, *id, TIERS[1 + (round + k) % 3]).await;
                            }
                            commit(tx).await.unwrap();
                        }
                    })
                })
                .collect()
        })
        .await;
        assert_eq!(kept(&store, tenant).await, counted(&store, tenant).await, "{:?}", store.backend());
        fold(&store).await;
        assert_eq!(kept(&store, tenant).await, counted(&store, tenant).await, "{:?}", store.backend());
        let total: i64 = kept(&store, tenant).await.iter().map(|c| c.customers).sum();
        assert_eq!(total, WRITERS * PER_WRITER);
    }
}
