//! `philia backup`, `philia restore` and `philia doctor`.

use philia_engine::Engine;
use philia_engine::doctor::Health;
use std::path::Path;

pub async fn backup(engine: &Engine, database_url: &str, out: &Path) -> anyhow::Result<()> {
    let report = engine.backup(database_url, out).await.map_err(crate::explain)?;
    println!("{}\t{} bytes\tschema {}", report.file.display(), report.bytes, report.schema_version);
    eprintln!("Sealed provider settings open only with the platform key: keep {} with this backup.", report.key);
    Ok(())
}

pub async fn restore(database_url: &str, file: &Path, force: bool) -> anyhow::Result<()> {
    let report = philia_engine::backup::restore(database_url, file, force).await.map_err(crate::explain)?;
    println!("restored: schema {}, {} tenants", report.schema_version, report.tenants);
    Ok(())
}

/// Prints every check; fails when any check failed.
pub async fn doctor(engine: &Engine) -> anyhow::Result<()> {
    let checks = engine.doctor().await.map_err(crate::explain)?;
    let mut failed = 0;
    for c in &checks {
        let mark = match c.health {
            Health::Ok => "ok  ",
            Health::Warning => "warn",
            Health::Failure => {
                failed += 1;
                "FAIL"
            }
        };
        println!("{mark}  {}: {}", c.area, c.detail);
    }
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed");
    }
    Ok(())
}
