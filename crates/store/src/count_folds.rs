//! Folds into the kept counts the changes that PostgreSQL's triggers append (schema V31, V32).
//! There, transactions write side by side, and two of them moving the same count in opposite
//! directions would wait on each other's row; so the triggers append changes, readers add them,
//! and this fold, run every minute, moves them into the counts. SQLite's triggers, under its one
//! writer, add to the counts directly.

use crate::Result;
use crate::bulk::dynamic;
use crate::db::{Backend, Store};
use sqlx::Executor;

/// Each kept table with its table of changes and its key.
const KEPT: [(&str, &str, &str); 3] = [
    ("customer_counts", "customer_count_changes", "tenant_id, tier, rfm_segment"),
    ("purchase_link_counts", "purchase_link_changes", "tenant_id, day, next_day"),
    ("purchase_gap_counts", "purchase_gap_changes", "tenant_id, gap"),
];

impl Store {
    /// Adds the changes recorded since the last fold to the counts and deletes them; returns how
    /// many were folded. The fold reads and deletes in one snapshot (repeatable read), so a change
    /// committed meanwhile is neither lost nor counted twice; of two folds at once, the later one
    /// fails to serialize and folds next time.
    pub async fn fold_count_changes(&self) -> Result<u64> {
        if self.backend() != Backend::Postgres {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").await?;
        let mut changes = 0;
        for (counts, changed, key) in KEPT {
            let folded = dynamic(format!(
                "INSERT INTO {counts} ({key}, customers) SELECT {key}, SUM(change) FROM {changed} GROUP BY {key}
                 ON CONFLICT ({key}) DO UPDATE SET customers = {counts}.customers + excluded.customers"
            ))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if folded > 0 {
                changes += dynamic(format!("DELETE FROM {changed}")).execute(&mut *tx).await?.rows_affected();
            }
        }
        crate::db::commit(tx).await?;
        Ok(changes)
    }
}
