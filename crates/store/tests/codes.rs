//! Texts inserted while skipping repeats: every new text lands once, repeats of stored rows and
//! of each other are skipped and not counted, and the transaction stays usable after a statement
//! that collided (on PostgreSQL that statement is rolled back to a savepoint and run again).

use philia_store::bulk::{self, Val};

mod common;
use common::stores;

fn codes(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("C{i:05}")).collect()
}

async fn stored(tx: &mut philia_store::Tx, tenant: i64) -> Vec<String> {
    sqlx::query_scalar("SELECT code FROM discount_codes WHERE tenant_id = $1 ORDER BY code")
        .bind(tenant)
        .fetch_all(&mut **tx)
        .await
        .unwrap()
}

#[tokio::test]
async fn repeats_are_skipped_and_counted_out() {
    for (store, _dir) in stores().await {
        store.migrate().await.unwrap();
        // A tenant id no other test uses; the transaction is rolled back at the end.
        let tenant = 9_100_000_000 + i64::from(std::process::id());
        let mut tx = store.begin_write().await.unwrap();
        let mut all: Vec<String> = Vec::new();
        // (texts, how many of them are new): fresh ones; a batch whose second statement repeats a
        // stored code, followed by fresh statements; repeats inside one batch; nothing new.
        let mut second = codes(100..103);
        second.extend(codes(5..6));
        second.extend(codes(103..112));
        let mut inside = codes(200..204);
        inside.extend(codes(200..204));
        let steps: Vec<(Vec<String>, u64)> =
            vec![(codes(0..10), 10), (second, 12), (inside, 4), (codes(0..10), 0), (codes(300..301), 1)];
        for (texts, new) in steps {
            for text in &texts {
                if !all.contains(text) {
                    all.push(text.clone());
                }
            }
            let written = bulk::insert_texts_skipping_repeats(
                &mut tx,
                "discount_codes",
                &["tenant_id", "promotion_id"],
                vec![Val::I(tenant), Val::I(1)],
                "code",
                texts,
                "tenant_id, code",
                3,
            )
            .await
            .unwrap();
            assert_eq!(written, new, "{:?}", store.backend());
            all.sort();
            assert_eq!(stored(&mut tx, tenant).await, all, "{:?}", store.backend());
        }
        tx.rollback().await.unwrap();
    }
}
