//! What `philia doctor` and backups read about the database itself.

use crate::Result;
use crate::db::{Backend, Store};
use sqlx::Row;

/// A stored secret and the context it was sealed under: channel settings (owner, channel) or a
/// connection's webhook secret (tenant, code).
#[derive(Debug, Clone, PartialEq)]
pub enum SealedItem {
    Channel { owner: i64, channel: String, sealed: String },
    Connection { tenant_id: i64, code: String, sealed: String },
}

impl Store {
    /// The newest migration applied.
    pub async fn schema_version(&self) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM schema_migrations")
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("v")?)
    }

    /// SQLite's own check of the file's structure (`ok` when sound); `None` on PostgreSQL.
    pub async fn sqlite_quick_check(&self) -> Result<Option<String>> {
        if self.backend() != Backend::Sqlite {
            return Ok(None);
        }
        let row = sqlx::query("PRAGMA quick_check").fetch_one(self.pool()).await?;
        Ok(Some(row.try_get(0)?))
    }

    /// Every sealed secret, to check that the key in use opens them.
    pub async fn sealed_items(&self) -> Result<Vec<SealedItem>> {
        let mut out = Vec::new();
        for r in sqlx::query("SELECT tenant_id, channel, sealed FROM channel_settings ORDER BY tenant_id, channel")
            .fetch_all(self.pool())
            .await?
        {
            out.push(SealedItem::Channel { owner: r.try_get(0)?, channel: r.try_get(1)?, sealed: r.try_get(2)? });
        }
        for r in sqlx::query("SELECT tenant_id, code, secret_sealed FROM connections ORDER BY tenant_id, code")
            .fetch_all(self.pool())
            .await?
        {
            out.push(SealedItem::Connection { tenant_id: r.try_get(0)?, code: r.try_get(1)?, sealed: r.try_get(2)? });
        }
        Ok(out)
    }

    /// Writes a consistent copy of the SQLite database to `path` while it stays in use
    /// (`VACUUM INTO` reads one snapshot; writers carry on).
    pub async fn sqlite_backup_to(&self, path: &str) -> Result<()> {
        sqlx::query("VACUUM INTO $1").bind(path).execute(self.pool()).await?;
        Ok(())
    }
}

impl Store {
    /// Whether this database already holds a Philia schema.
    pub async fn has_schema(&self) -> bool {
        sqlx::query("SELECT COUNT(*) FROM schema_migrations").fetch_one(self.pool()).await.is_ok()
    }
}
