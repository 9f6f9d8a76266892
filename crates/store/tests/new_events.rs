//! Events the system raises itself are written with ids just allocated and skipped when their key
//! is stored: the ids returned are exactly the rows written, whether every row was new or some
//! keys were there before — on SQLite and, with `PHILIA_TEST_DATABASE_URL`, PostgreSQL.

use philia_store::events::EventRow;

mod common;
use common::stores;

fn event(id: i64, key: &str) -> EventRow {
    EventRow {
        id,
        event_key: Some(key.to_string()),
        customer_id: Some(7),
        event_type: "mission_started".into(),
        source: "philia".into(),
        occurred_at: 1_700_000_000_000,
        day: "2023-11-14".into(),
        properties: "{}".into(),
        created_at: 1_700_000_000_000,
    }
}

#[tokio::test]
async fn the_ids_returned_are_the_rows_written() {
    for (store, _dir) in stores().await {
        store.migrate().await.unwrap();
        // A tenant id no other test uses; everything is rolled back at the end.
        let tenant = 9_100_000_000 + i64::from(std::process::id());
        let mut tx = store.begin_write().await.unwrap();
        let ids = store.allocate_ids(&mut tx, 6).await.unwrap();
        let first: Vec<EventRow> = ["a", "b", "c"].iter().zip(&ids).map(|(k, id)| event(*id, k)).collect();
        assert_eq!(store.insert_new_events(&mut tx, tenant, first).await.unwrap(), ids[..3], "{:?}", store.backend());

        // "b" and "c" are stored: only "d" is written, under its own new id.
        let second: Vec<EventRow> = ["b", "d", "c"].iter().zip(&ids[3..]).map(|(k, id)| event(*id, k)).collect();
        assert_eq!(store.insert_new_events(&mut tx, tenant, second).await.unwrap(), [ids[4]], "{:?}", store.backend());

        let stored: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, event_key FROM events WHERE tenant_id = $1 ORDER BY event_key")
                .bind(tenant)
                .fetch_all(&mut *tx)
                .await
                .unwrap();
        let expected: Vec<(i64, String)> =
            [(ids[0], "a"), (ids[1], "b"), (ids[2], "c"), (ids[4], "d")].map(|(id, k)| (id, k.to_string())).into();
        assert_eq!(stored, expected, "{:?}", store.backend());
        tx.rollback().await.unwrap();
        store.close().await;
    }
}
