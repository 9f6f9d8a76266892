//! The databases a store test runs on: a fresh SQLite file, and PostgreSQL when
//! `PHILIA_TEST_DATABASE_URL` names one.

use philia_store::Store;

/// Each store with the directory that keeps its SQLite file alive (none for PostgreSQL).
pub async fn stores() -> Vec<(Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("store.db").display());
    let mut out = vec![(Store::connect(&url).await.unwrap(), Some(dir))];
    if let Ok(url) = std::env::var("PHILIA_TEST_DATABASE_URL") {
        out.push((Store::connect(&url).await.unwrap(), None));
    }
    out
}
