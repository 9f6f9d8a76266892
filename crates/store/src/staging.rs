//! Rows of an import held while they are regrouped: an invoices file may list the lines of one
//! invoice anywhere in the file, so lines are staged here and read back grouped by invoice.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use sqlx::Row;

/// A staged row: its group (invoice id), its row number in the file and its cells as JSON.
pub struct StagedRow {
    pub group_key: String,
    pub row_no: i64,
    pub data: String,
}

impl Store {
    pub async fn stage_rows(&self, conn: &mut Conn, tenant_id: i64, import_id: i64, rows: Vec<StagedRow>) -> Result<()> {
        let vals = rows
            .into_iter()
            .map(|r| vec![Val::I(tenant_id), Val::I(import_id), Val::T(r.group_key), Val::I(r.row_no), Val::T(r.data)])
            .collect();
        bulk::insert(conn, "import_staging", &["tenant_id", "import_id", "group_key", "row_no", "data"], vals, "").await?;
        Ok(())
    }

    /// Staged rows in group order after `after` (exclusive), at most `limit` rows.
    pub async fn staged_rows(&self, tenant_id: i64, import_id: i64, after: Option<&str>, limit: i64) -> Result<Vec<StagedRow>> {
        let rows = sqlx::query(
            "SELECT group_key, row_no, data FROM import_staging WHERE tenant_id = $1 AND import_id = $2
             AND ($3 IS NULL OR group_key > $3) ORDER BY group_key, row_no LIMIT $4",
        )
        .bind(tenant_id)
        .bind(import_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok(StagedRow { group_key: r.try_get("group_key")?, row_no: r.try_get("row_no")?, data: r.try_get("data")? }))
            .collect()
    }

    pub async fn clear_staging(&self, tenant_id: i64, import_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM import_staging WHERE tenant_id = $1 AND import_id = $2")
            .bind(tenant_id)
            .bind(import_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
