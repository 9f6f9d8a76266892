//! Purchase links per (day, next day) and customers per time between purchases, kept by
//! triggers, equal a count of the purchase days and statistics after any mix of statements that
//! add, relink (plain and as upserts), move (merges), change and delete them, one row or many at
//! a time, before and after the changes are folded, and under concurrent writers with folds
//! running beside them.

use philia_store::{Store, commit};

mod common;
mod folds;
use common::stores;
use folds::fold;

const DAYS: [&str; 6] = ["2026-01-01", "2026-01-05", "2026-02-10", "2026-03-01", "2026-03-02", "9999-12-31"];
const DAY_MS: i64 = 86_400_000;

type Links = Vec<(String, String, i64)>;

async fn kept(store: &Store, tenant: i64) -> (Links, Vec<(i64, i64)>) {
    (
        store.purchase_link_counts(tenant, "0000-01-01", "9999-12-31").await.unwrap(),
        store.purchase_gap_counts(tenant).await.unwrap(),
    )
}

async fn counted(store: &Store, tenant: i64) -> (Links, Vec<(i64, i64)>) {
    (
        store.count_purchase_links(tenant, "0000-01-01", "9999-12-31").await.unwrap(),
        store.count_purchase_gaps(tenant).await.unwrap(),
    )
}

/// Runs `sql` (tenant `$1`, then `binds` as integers or texts) in a transaction of its own.
async fn run(store: &Store, sql: String, tenant: i64, binds: &[Bind<'_>]) {
    let mut tx = store.begin_write().await.unwrap();
    let mut q = philia_store::bulk::dynamic(sql).bind(tenant);
    for b in binds {
        q = match b {
            Bind::I(v) => q.bind(*v),
            Bind::T(v) => q.bind(v.to_string()),
        };
    }
    q.execute(&mut *tx).await.unwrap();
    commit(tx).await.unwrap();
}

enum Bind<'a> {
    I(i64),
    T(&'a str),
}

fn list(ids: &[i64]) -> String {
    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

const ADD_STATS: &str = "INSERT INTO customer_stats (tenant_id, customer_id, first_purchase_at, last_purchase_at, invoice_count,
    gross_spend, refund_total, refund_count, refunded_invoice_count, event_count) VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, 0)";

#[tokio::test]
async fn counts_follow_every_change() {
    for (store, _dir) in stores().await {
        store.migrate().await.unwrap();
        // A tenant id no other test uses.
        let tenant = 9_400_000_000 + i64::from(std::process::id());
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut customers: Vec<i64> = Vec::new();
        for step in 0..400 {
            let some = |next: &mut dyn FnMut(u64) -> u64, ids: &[i64]| -> Vec<i64> {
                (0..1 + next(4)).map(|_| ids[next(ids.len() as u64) as usize]).collect()
            };
            let day = |next: &mut dyn FnMut(u64) -> u64| DAYS[next(5) as usize];
            match (next(9), customers.is_empty()) {
                (0, _) | (_, true) => {
                    let id = 1 + customers.len() as i64;
                    let first = next(100) as i64 * DAY_MS + next(DAY_MS as u64) as i64;
                    let binds =
                        [Bind::I(id), Bind::I(first), Bind::I(first + next(400) as i64 * 3_600_000), Bind::I(next(4) as i64)];
                    run(&store, ADD_STATS.into(), tenant, &binds).await;
                    customers.push(id);
                }
                (1, _) => {
                    // A purchase: one more invoice, a later last purchase (per row, many rows).
                    let sql = format!(
                        "UPDATE customer_stats SET invoice_count = invoice_count + 1, last_purchase_at = last_purchase_at + $2 * customer_id
                         WHERE tenant_id = $1 AND customer_id IN ({})",
                        list(&some(&mut next, &customers))
                    );
                    run(&store, sql, tenant, &[Bind::I(next(50) as i64 * 3_600_000)]).await;
                }
                (2, _) => {
                    // As ingestion writes statistics: an upsert that adds to the row.
                    let id = customers[next(customers.len() as u64) as usize];
                    let sql = format!(
                        "{ADD_STATS} ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
                         invoice_count = customer_stats.invoice_count + excluded.invoice_count,
                         last_purchase_at = excluded.last_purchase_at"
                    );
                    let binds = [Bind::I(id), Bind::I(0), Bind::I(next(300) as i64 * DAY_MS), Bind::I(next(3) as i64)];
                    run(&store, sql, tenant, &binds).await;
                }
                (3, _) => {
                    // A refund taken back to fewer invoices, or a stats row that is deleted.
                    let ids = list(&some(&mut next, &customers));
                    let sql = match next(3) {
                        0 => format!("DELETE FROM customer_stats WHERE tenant_id = $1 AND customer_id IN ({ids})"),
                        _ => format!(
                            "UPDATE customer_stats SET invoice_count = invoice_count - 1 WHERE tenant_id = $1 AND invoice_count > 0
                             AND customer_id IN ({ids})"
                        ),
                    };
                    run(&store, sql, tenant, &[]).await;
                }
                (4 | 5, _) => {
                    // A purchase day with its link, or a relink of a stored day (upsert).
                    let id = customers[next(customers.len() as u64) as usize];
                    let (d, n) = (day(&mut next), DAYS[next(6) as usize]);
                    let sql = "INSERT INTO customer_days (tenant_id, customer_id, day, next_day) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (tenant_id, customer_id, day) DO UPDATE SET next_day = excluded.next_day";
                    run(&store, sql.into(), tenant, &[Bind::I(id), Bind::T(d), Bind::T(n)]).await;
                }
                (6, _) => {
                    // Relinks of many days at once.
                    let sql = format!(
                        "UPDATE customer_days SET next_day = $2 WHERE tenant_id = $1 AND customer_id IN ({})",
                        list(&some(&mut next, &customers))
                    );
                    run(&store, sql, tenant, &[Bind::T(DAYS[next(6) as usize])]).await;
                }
                (7, _) => {
                    // A merge moves one customer's days that the other lacks to the other.
                    let (from, to) = (customers[next(customers.len() as u64) as usize], customers[0]);
                    let sql = "UPDATE customer_days SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2
                         AND day NOT IN (SELECT day FROM customer_days WHERE tenant_id = $1 AND customer_id = $3)";
                    run(&store, sql.into(), tenant, &[Bind::I(from), Bind::I(to)]).await;
                }
                _ => {
                    let sql = format!(
                        "DELETE FROM customer_days WHERE tenant_id = $1 AND day = $2 AND customer_id IN ({})",
                        list(&some(&mut next, &customers))
                    );
                    run(&store, sql, tenant, &[Bind::T(day(&mut next))]).await;
                }
            }
            folds::check_step(&store, step, || async { (kept(&store, tenant).await, counted(&store, tenant).await) }).await;
        }
        let (links, gaps) = counted(&store, tenant).await;
        assert!(links.len() > 5 && gaps.len() > 5, "the workload left links {links:?} and gaps {gaps:?}");
        let mut tx = store.begin_write().await.unwrap();
        store.recount_purchases(&mut tx, tenant).await.unwrap();
        commit(tx).await.unwrap();
        assert_eq!(kept(&store, tenant).await, counted(&store, tenant).await, "recounted on {:?}", store.backend());
    }
}

#[tokio::test]
async fn concurrent_purchases_and_folds_lose_nothing() {
    for (store, _dir) in stores().await {
        store.migrate().await.unwrap();
        let tenant = 9_500_000_000 + i64::from(std::process::id());
        const WRITERS: i64 = 8;
        const PER_WRITER: i64 = 5;
        for id in 1..=WRITERS * PER_WRITER {
            run(&store, ADD_STATS.into(), tenant, &[Bind::I(id), Bind::I(0), Bind::I(0), Bind::I(1)]).await;
        }
        // Each writer records purchases of its own customers on the same days as the others, so
        // every transaction moves the same counts: a new day linked to the end, the day before
        // relinked to it, one more invoice and a later last purchase.
        folds::while_folding(&store, || {
            (0..WRITERS)
                .map(|w| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let mine: Vec<i64> = (1..=PER_WRITER).map(|i| w * PER_WRITER + i).collect();
                        for (round, pair) in DAYS[..5].windows(2).enumerate() {
                            let mut tx = store.begin_write().await.unwrap();
                            for id in &mine {
                                for (day, next_day) in [(pair[0], pair[1]), (pair[1], "9999-12-31")] {
                                    sqlx::query(
                                    "INSERT INTO customer_days (tenant_id, customer_id, day, next_day) VALUES ($1, $2, $3, $4)
                                     ON CONFLICT (tenant_id, customer_id, day) DO UPDATE SET next_day = excluded.next_day",
                                )
                                .bind(tenant)
                                .bind(*id)
                                .bind(day)
                                .bind(next_day)
                                .execute(&mut *tx)
                                .await
                                .unwrap();
                                }
                                sqlx::query(
                                    "UPDATE customer_stats SET invoice_count = invoice_count + 1, last_purchase_at = $3
                                 WHERE tenant_id = $1 AND customer_id = $2",
                                )
                                .bind(tenant)
                                .bind(*id)
                                .bind((round as i64 + 1) * 7 * DAY_MS + id * 3_600_000)
                                .execute(&mut *tx)
                                .await
                                .unwrap();
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
        let (links, gaps) = kept(&store, tenant).await;
        assert_eq!((links.clone(), gaps.clone()), counted(&store, tenant).await, "{:?}", store.backend());
        // Every customer ends with five purchase days, the last linked to the end.
        let days: i64 = links.iter().map(|l| l.2).sum();
        assert_eq!(days, WRITERS * PER_WRITER * 5);
        assert_eq!(gaps.iter().map(|g| g.1).sum::<i64>(), WRITERS * PER_WRITER);
    }
}
