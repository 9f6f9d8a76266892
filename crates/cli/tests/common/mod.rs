//! Databases for the binary's tests: a fresh SQLite file, and a fresh PostgreSQL database when
//! PHILIA_TEST_DATABASE_URL is set.

#![allow(dead_code)]

use std::path::Path;

/// Database URLs to run against: a fresh SQLite file, and a fresh PostgreSQL database when
/// PHILIA_TEST_DATABASE_URL is set (created with psql-free SQL through the binary's own driver).
pub fn databases(dir: &Path) -> Vec<(String, Option<String>)> {
    let mut out = vec![(format!("sqlite://{}", dir.join("cli.db").display()), None)];
    if let Ok(admin) = std::env::var("PHILIA_TEST_DATABASE_URL") {
        let name = format!(
            "philia_cli_{}_{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
        );
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut c).await.unwrap();
        });
        let base = &admin[..admin.rfind('/').unwrap()];
        out.push((format!("{base}/{name}"), Some(name)));
    }
    out
}

pub fn drop_database(name: &str) {
    let admin = std::env::var("PHILIA_TEST_DATABASE_URL").unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(&mut c).await;
    });
}
