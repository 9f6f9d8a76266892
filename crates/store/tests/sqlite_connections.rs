//! SQLite's connections are set up for their jobs: readers read through a memory map with small
//! caches, the one writer keeps a large cache and no map (docs/ARCHITECTURE.md).

use philia_store::Backend;

mod common;
use common::stores;

/// `PRAGMA name` on a connection of the transaction's pool.
async fn pragma(tx: &mut philia_store::Tx, name: &str) -> i64 {
    let (value,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA {name}"))).fetch_one(&mut **tx).await.unwrap();
    value
}

#[tokio::test]
async fn readers_map_the_file_and_the_writer_caches_it() {
    for (store, _dir) in stores().await {
        if store.backend() != Backend::Sqlite {
            continue;
        }
        let mut read = store.begin_read().await.unwrap();
        assert!(pragma(&mut read, "mmap_size").await >= 1 << 30, "readers map at least 1 GiB");
        assert_eq!(pragma(&mut read, "cache_size").await, -32_768);
        read.rollback().await.unwrap();
        let mut write = store.begin_write().await.unwrap();
        assert_eq!(pragma(&mut write, "mmap_size").await, 0);
        assert_eq!(pragma(&mut write, "cache_size").await, -262_144);
        write.rollback().await.unwrap();
    }
}
