//! The identity index: which customer each mobile, email and external id belongs to.

use crate::Result;
use crate::bulk::{self, Val, ts};
use crate::db::{Conn, Store};
use philia_domain::records::IdentityConflict;
use sqlx::Row;
use std::collections::HashMap;

impl Store {
    /// Owners of the given identity keys (absent keys are missing from the map).
    pub async fn resolve_identities(&self, conn: &mut Conn, tenant_id: i64, keys: &[String]) -> Result<HashMap<String, i64>> {
        let rows = bulk::select_in(
            conn,
            "SELECT key, customer_id FROM customer_identities WHERE tenant_id = $1 AND key IN ({in})",
            tenant_id,
            keys.iter().map(|k| Val::T(k.clone())).collect(),
        )
        .await?;
        rows.iter().map(|r| Ok((r.try_get("key")?, r.try_get("customer_id")?))).collect()
    }

    /// Claims identity keys for customers; returns how many this call claimed. A key another
    /// customer already holds (perhaps claimed a moment ago by a concurrent writer) is left alone.
    pub async fn claim_identities(&self, conn: &mut Conn, tenant_id: i64, claims: &[(String, i64)], now: i64) -> Result<u64> {
        // Keys go in sorted order, so two writers claiming overlapping keys wait for each other
        // in the same order instead of deadlocking.
        let mut sorted: Vec<&(String, i64)> = claims.iter().collect();
        sorted.sort();
        let rows = sorted.into_iter().map(|(k, c)| vec![Val::I(tenant_id), Val::T(k.clone()), Val::I(*c), Val::I(now)]).collect();
        bulk::insert_counted(
            conn,
            "customer_identities",
            &["tenant_id", "key", "customer_id", "created_at"],
            rows,
            "ON CONFLICT (tenant_id, key) DO NOTHING",
        )
        .await
    }

    /// Every identity key of the given customers.
    pub async fn identities_of(&self, conn: &mut Conn, tenant_id: i64, customer_ids: &[i64]) -> Result<Vec<(i64, String)>> {
        let rows = bulk::select_in(
            conn,
            "SELECT customer_id, key FROM customer_identities WHERE tenant_id = $1 AND customer_id IN ({in}) ORDER BY key",
            tenant_id,
            bulk::ids(customer_ids),
        )
        .await?;
        rows.iter().map(|r| Ok((r.try_get("customer_id")?, r.try_get("key")?))).collect()
    }

    /// Removes keys of one kind (`m:` or `e:`) from a customer other than `keep`.
    pub async fn drop_identities_with_prefix(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customer_id: i64,
        prefix: &str,
        keep: &str,
    ) -> Result<()> {
        sqlx::query("DELETE FROM customer_identities WHERE tenant_id = $1 AND customer_id = $2 AND key LIKE $3 AND key <> $4")
            .bind(tenant_id)
            .bind(customer_id)
            .bind(format!("{prefix}%"))
            .bind(keep)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn record_identity_conflict(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        source: &str,
        keys: &[String],
        customer_ids: &[i64],
        chosen: i64,
        now: i64,
    ) -> Result<()> {
        let id = self.allocate_ids(conn, 1).await?[0];
        sqlx::query(
            "INSERT INTO identity_conflicts (tenant_id, id, created_at, source, keys, customer_ids, chosen_customer_id, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open')",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .bind(source)
        .bind(serde_json::to_string(keys).unwrap_or_default())
        .bind(serde_json::to_string(customer_ids).unwrap_or_default())
        .bind(chosen)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn list_identity_conflicts(&self, tenant_id: i64, status: &str) -> Result<Vec<IdentityConflict>> {
        let rows = sqlx::query(
            "SELECT id, created_at, source, keys, customer_ids, chosen_customer_id, status FROM identity_conflicts
             WHERE tenant_id = $1 AND status = $2 ORDER BY id",
        )
        .bind(tenant_id)
        .bind(status)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(IdentityConflict {
                    id: r.try_get("id")?,
                    created_at: ts(r.try_get("created_at")?),
                    source: r.try_get("source")?,
                    keys: serde_json::from_str(&r.try_get::<String, _>("keys")?).unwrap_or_default(),
                    customer_ids: serde_json::from_str(&r.try_get::<String, _>("customer_ids")?).unwrap_or_default(),
                    chosen_customer_id: r.try_get("chosen_customer_id")?,
                    status: r.try_get("status")?,
                })
            })
            .collect()
    }

    /// Closes the open conflicts that involve a customer (after staff merged or reviewed them).
    pub async fn resolve_conflicts_of(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE identity_conflicts SET status = 'resolved' WHERE tenant_id = $1 AND status = 'open'
             AND (chosen_customer_id = $2 OR customer_ids = $3 OR customer_ids LIKE $4 OR customer_ids LIKE $5 OR customer_ids LIKE $6)",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(format!("[{customer_id}]"))
        .bind(format!("[{customer_id},%"))
        .bind(format!("%,{customer_id},%"))
        .bind(format!("%,{customer_id}]"))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
