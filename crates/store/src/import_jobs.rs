//! Imports running in the background: their progress while they run and their outcome after.

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

pub struct ImportJobRow {
    pub id: i64,
    pub kind: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub rows_read: i64,
    /// The report as JSON, once done.
    pub report: Option<String>,
    /// Why it failed, as JSON (`{"en": …, "fa": …}`).
    pub error: Option<String>,
    pub started_at: i64,
    pub updated_at: i64,
}

impl Store {
    pub async fn insert_import_job(&self, conn: &mut Conn, tenant_id: i64, id: i64, kind: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO import_jobs (tenant_id, id, kind, status, rows_read, started_at, updated_at)
             VALUES ($1, $2, $3, 'running', 0, $4, $4)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(kind)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Rows read so far by a running import.
    pub async fn set_import_progress(&self, conn: &mut Conn, tenant_id: i64, id: i64, rows: i64, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE import_jobs SET rows_read = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND status = 'running'",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(rows)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The outcome: `done` with its report or `failed` with its reason.
    pub async fn finish_import_job(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        rows: i64,
        report: Option<&str>,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE import_jobs SET status = $3, rows_read = $4, report = $5, error = $6, updated_at = $7
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(if error.is_some() { "failed" } else { "done" })
        .bind(rows)
        .bind(report)
        .bind(error)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn import_job(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<ImportJobRow>> {
        let r = sqlx::query(
            "SELECT id, kind, status, rows_read, report, error, started_at, updated_at FROM import_jobs
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        r.map(|r| {
            Ok(ImportJobRow {
                id: r.try_get(0)?,
                kind: r.try_get(1)?,
                status: r.try_get(2)?,
                rows_read: r.try_get(3)?,
                report: r.try_get(4)?,
                error: r.try_get(5)?,
                started_at: r.try_get(6)?,
                updated_at: r.try_get(7)?,
            })
        })
        .transpose()
    }
}
