//! Cap usage: one row per customer and period holding every capped rule's counter. Counters
//! kept per rule by earlier releases carry over, pairs are read by their key, and a merge sums
//! both customers' counters.

use philia_domain::cap_usage::RulePoints;
use philia_store::Store;
use std::collections::HashMap;

mod common;

/// A database no migration has touched: a fresh SQLite file, or a fresh PostgreSQL database
/// (dropped when done).
enum Empty {
    /// The directory that holds the file, removed when dropped.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        server: Store,
        name: String,
    },
}

/// A store on every empty database this run can make.
async fn empty_stores() -> Vec<(Store, Empty)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let mut out = vec![(Store::connect(&url).await.unwrap(), Empty::Sqlite(dir))];
    if let Ok(admin) = std::env::var("PHILIA_TEST_DATABASE_URL") {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let name = format!("philia_caps_{}_{nanos}", std::process::id());
        let server = Store::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(server.pool()).await.unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        out.push((Store::connect(&format!("{base}/{name}")).await.unwrap(), Empty::Postgres { server, name }));
    }
    out
}

async fn finish(store: Store, empty: Empty) {
    store.pool().close().await;
    if let Empty::Postgres { server, name } = empty {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}"))).execute(server.pool()).await.unwrap();
    }
}

fn used(text: &str) -> RulePoints {
    RulePoints::parse(text).unwrap()
}

#[tokio::test]
async fn counters_kept_per_rule_carry_over_into_one_row_per_period() {
    for (store, empty) in empty_stores().await {
        store.migrate_up_to(34).await.unwrap();
        let mut tx = store.begin_write().await.unwrap();
        for (customer, rule, period, points) in
            [(7, 3, "d2026-03-01", 10), (7, 4, "d2026-03-01", 25), (7, 3, "m2026-03", 10), (8, 3, "all", 5), (8, 5, "all", 0)]
        {
            sqlx::query("INSERT INTO rule_usage (tenant_id, customer_id, rule_id, period, points) VALUES (1, $1, $2, $3, $4)")
                .bind(customer as i64)
                .bind(rule as i64)
                .bind(period)
                .bind(points as i64)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        philia_store::commit(tx).await.unwrap();
        store.migrate().await.unwrap();

        let mut tx = store.begin_write().await.unwrap();
        let pairs = [(7, "d2026-03-01"), (7, "m2026-03"), (7, "all"), (8, "all"), (9, "all")];
        let got = store.cap_usage(&mut tx, 1, pairs.map(|(c, p)| (c, p.to_string())).to_vec()).await.unwrap();
        let expected: HashMap<(i64, String), RulePoints> = [
            ((7, "d2026-03-01".to_string()), used("3:10;4:25")),
            ((7, "m2026-03".to_string()), used("3:10")),
            ((8, "all".to_string()), used("3:5")),
        ]
        .into_iter()
        .collect();
        assert_eq!(got, expected, "{:?}", store.backend());
        tx.rollback().await.unwrap();
        finish(store, empty).await;
    }
}

#[tokio::test]
async fn usage_is_written_whole_and_a_merge_sums_both_customers() {
    for (store, _dir) in common::stores().await {
        store.migrate().await.unwrap();
        // A tenant of its own on the shared PostgreSQL database.
        let tenant = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i64;
        let key = |c: i64, p: &str| (c, p.to_string());
        let mut tx = store.begin_write().await.unwrap();
        store
            .write_cap_usage(
                &mut tx,
                tenant,
                vec![
                    (key(1, "d2026-03-01"), "3:10".into()),
                    (key(1, "all"), "3:10;4:1".into()),
                    (key(2, "all"), "4:2;5:7".into()),
                ],
            )
            .await
            .unwrap();
        // A second write replaces the row: the caller wrote the sum of what it read and added.
        store.write_cap_usage(&mut tx, tenant, vec![(key(1, "d2026-03-01"), "3:15;4:5".into())]).await.unwrap();
        store.merge_points(&mut tx, tenant, 2, 1).await.unwrap();
        let pairs = vec![key(1, "d2026-03-01"), key(1, "all"), key(2, "all")];
        let got = store.cap_usage(&mut tx, tenant, pairs).await.unwrap();
        let expected: HashMap<(i64, String), RulePoints> =
            [(key(1, "d2026-03-01"), used("3:15;4:5")), (key(1, "all"), used("3:10;4:3;5:7"))].into_iter().collect();
        assert_eq!(got, expected, "{:?}", store.backend());
        tx.rollback().await.unwrap();
    }
}
