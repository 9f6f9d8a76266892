//! Backups and restores with each database's own means: SQLite's `VACUUM INTO` (one consistent
//! snapshot while the server keeps writing) and PostgreSQL's `pg_dump` / `pg_restore` (custom
//! format, one snapshot). The platform key is not in a backup (sealed settings stay sealed);
//! keep it beside the backups.

use crate::{Engine, EngineError, Result};
use philia_store::Store;
use philia_store::db::Backend;
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub file: PathBuf,
    pub bytes: u64,
    pub schema_version: i64,
    /// Where the platform key lives, to keep it with the backup.
    pub key: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub schema_version: i64,
    pub tenants: usize,
}

/// The kind of backup a file holds, by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BackupKind {
    Sqlite,
    PgDump,
}

fn kind_of(file: &Path) -> Result<BackupKind> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let n = std::fs::File::open(file)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| EngineError::Io(format!("{}: {e}", file.display())))?;
    if n == 16 && &head == b"SQLite format 3\0" {
        Ok(BackupKind::Sqlite)
    } else if n >= 5 && &head[..5] == b"PGDMP" {
        Ok(BackupKind::PgDump)
    } else {
        Err(EngineError::Io(format!("{} is not a Philia backup (neither a SQLite file nor a pg_dump archive)", file.display())))
    }
}

/// The file of a `sqlite://` URL.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or(rest);
    (!file.is_empty() && !file.starts_with(":memory:")).then(|| PathBuf::from(file))
}

/// Runs one of PostgreSQL's own tools; its error output becomes the error.
async fn pg_tool(program: &str, args: &[&str]) -> Result<()> {
    let out = tokio::process::Command::new(program).args(args).output().await.map_err(|e| {
        EngineError::Io(format!("{program} could not start ({e}); install PostgreSQL's client tools (Debian: postgresql-client)"))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(EngineError::Io(format!("{program} failed: {}", String::from_utf8_lossy(&out.stderr).trim())))
    }
}

fn file_text(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| EngineError::Io(format!("{} is not a UTF-8 path", path.display())))
}

impl Engine {
    /// Writes a consistent copy of the database to `out` (which must not exist yet) while the
    /// database stays in use.
    pub async fn backup(&self, database_url: &str, out: &Path) -> Result<BackupReport> {
        if out.exists() {
            return Err(EngineError::Io(format!("{} exists; a backup never overwrites a file", out.display())));
        }
        match self.store.backend() {
            Backend::Sqlite => self.store.sqlite_backup_to(file_text(out)?).await?,
            Backend::Postgres => {
                pg_tool("pg_dump", &["--format=custom", "--no-owner", "--no-privileges", "--file", file_text(out)?, database_url])
                    .await?
            }
        }
        let bytes = std::fs::metadata(out).map_err(|e| EngineError::Io(e.to_string()))?.len();
        Ok(BackupReport {
            file: out.to_path_buf(),
            bytes,
            schema_version: self.store.schema_version().await?,
            key: self.vault.source(),
        })
    }
}

/// Restores `file` into the database at `database_url`. A database that already holds Philia
/// data is replaced only with `force` (stop the servers first). The restored database is
/// brought to the current schema and checked.
pub async fn restore(database_url: &str, file: &Path, force: bool) -> Result<RestoreReport> {
    let kind = kind_of(file)?;
    match (kind, sqlite_file(database_url)) {
        (BackupKind::Sqlite, Some(target)) => restore_sqlite(file, &target, force).await?,
        (BackupKind::PgDump, None) => restore_postgres(database_url, file, force).await?,
        (BackupKind::Sqlite, None) => {
            return Err(EngineError::Io("this is a SQLite backup; restore it into a sqlite:// DATABASE_URL".into()));
        }
        (BackupKind::PgDump, Some(_)) => {
            return Err(EngineError::Io("this is a PostgreSQL backup; restore it into a postgres:// DATABASE_URL".into()));
        }
    }
    let engine = Engine::open(database_url).await?;
    let report =
        RestoreReport { schema_version: engine.store.schema_version().await?, tenants: engine.list_tenants().await?.len() };
    if let Some(answer) = engine.store.sqlite_quick_check().await?.filter(|a| a != "ok") {
        return Err(EngineError::Io(format!("the restored file fails SQLite's check: {answer}")));
    }
    engine.store.close().await;
    Ok(report)
}

fn holds_data(path: &Path) -> bool {
    std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false)
}

async fn restore_sqlite(file: &Path, target: &Path, force: bool) -> Result<()> {
    if holds_data(target) && !force {
        return Err(EngineError::Io(format!(
            "{} already holds a database; stop the server and pass --force to replace it",
            target.display()
        )));
    }
    let io = |e: std::io::Error| EngineError::Io(e.to_string());
    // Check the copy before it takes the target's place: the target is untouched until then.
    let staged = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(file, &staged).map_err(io)?;
    let store = Store::connect(&format!("sqlite://{}", staged.display())).await?;
    let checked = if store.has_schema().await { store.sqlite_quick_check().await? } else { Some("no Philia schema".into()) };
    store.close().await;
    if checked.as_deref() != Some("ok") {
        let _ = std::fs::remove_file(&staged);
        return Err(EngineError::Io(format!("the backup is not usable: {}", checked.unwrap_or_default())));
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(side).map_err(io)?;
        }
    }
    std::fs::rename(&staged, target).map_err(io)
}

async fn restore_postgres(database_url: &str, file: &Path, force: bool) -> Result<()> {
    let store = Store::connect(database_url).await?;
    let occupied = store.has_schema().await;
    store.close().await;
    if occupied && !force {
        return Err(EngineError::Io(
            "the database already holds Philia data; stop the servers and pass --force to replace it".into(),
        ));
    }
    let mut args = vec!["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"];
    if occupied {
        args.extend(["--clean", "--if-exists"]);
    }
    args.extend(["--dbname", database_url, file_text(file)?]);
    pg_tool("pg_restore", &args).await
}
