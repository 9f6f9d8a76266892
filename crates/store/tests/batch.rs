//! A batch runs its statements in order, binds each statement's own `$n` (repeated ones too) and
//! bulk inserts' placeholders, and fails as a whole statement would: on SQLite as one call, on
//! PostgreSQL (with `PHILIA_TEST_DATABASE_URL`) one statement after another.

use philia_store::bulk::Val;
use philia_store::commit;

mod common;
use common::stores;

#[tokio::test]
async fn statements_run_in_order_with_their_own_values() {
    for (store, _dir) in stores().await {
        let table = format!("batch_test_{}", std::process::id());
        let mut tx = store.begin_write().await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE TABLE {table} (a BIGINT PRIMARY KEY, b TEXT NOT NULL, c BIGINT)")))
            .execute(&mut *tx)
            .await
            .unwrap();
        let mut b = store.batch();
        b.push(format!("INSERT INTO {table} (a, b, c) VALUES ($1, $2, $1)"), vec![Val::I(1), Val::T("one".into())]);
        b.insert(
            &table,
            &["a", "b", "c"],
            (2..=4).map(|i| vec![Val::I(i), Val::T(format!("n{i}")), Val::OI(None)]).collect(),
            "",
        );
        // Uses `$2` before `$1` and a row written by the statements above.
        b.push(format!("UPDATE {table} SET b = $2, c = $1 + 10 WHERE a = $1"), vec![Val::I(3), Val::T("three".into())]);
        b.push(format!("DELETE FROM {table} WHERE a = $1"), vec![Val::I(4)]);
        assert_eq!(b.run(&mut tx).await.unwrap(), 1 + 3 + 1 + 1, "{:?}", store.backend());
        let rows: Vec<(i64, String, Option<i64>)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT a, b, c FROM {table} ORDER BY a")))
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        assert_eq!(
            rows,
            vec![(1, "one".into(), Some(1)), (2, "n2".into(), None), (3, "three".into(), Some(13))],
            "{:?}",
            store.backend()
        );

        // A statement that fails fails the batch, naming the cause.
        let mut b = store.batch();
        b.push(format!("INSERT INTO {table} (a, b) VALUES ($1, $2)"), vec![Val::I(5), Val::T("five".into())]);
        b.push(format!("INSERT INTO {table} (a, b) VALUES ($1, $2)"), vec![Val::I(1), Val::T("again".into())]);
        let e = b.run(&mut tx).await.unwrap_err();
        assert!(e.to_string().to_lowercase().contains("unique") || e.to_string().contains("duplicate"), "{e}");
        tx.rollback().await.unwrap();

        // Rolled back with its transaction: the table is gone again.
        let mut tx = store.begin_write().await.unwrap();
        let left = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT 1 FROM {table}"))).fetch_all(&mut *tx).await;
        assert!(left.is_err(), "{:?}", store.backend());
        commit(tx).await.unwrap();
        store.close().await;
    }
}
