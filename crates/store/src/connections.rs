//! Connections to shops and other systems, and what Philia holds of each record they name.

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionRow {
    pub id: i64,
    pub kind: String,
    pub code: String,
    pub name: String,
    pub secret_sealed: String,
    pub settings_sealed: Option<String>,
    /// The currency the other system writes amounts in.
    pub currency: String,
    /// `active` or `paused`.
    pub status: String,
    /// Backfill cursors and the last reconciliation (JSON).
    pub sync_state: String,
    pub created_at: i64,
}

/// What Philia holds of one record of a connection (an order, a customer, a product).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShopRecordRow {
    pub version: Option<i64>,
    pub digest: Option<String>,
    pub generation: i64,
    pub invoice_id: Option<i64>,
    pub fingerprint: Option<String>,
}

const COLUMNS: &str = "id, kind, code, name, secret_sealed, settings_sealed, currency, status, sync_state, created_at";

fn connection(r: &sqlx::any::AnyRow) -> Result<ConnectionRow> {
    Ok(ConnectionRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        secret_sealed: r.try_get("secret_sealed")?,
        settings_sealed: r.try_get("settings_sealed")?,
        currency: r.try_get("currency")?,
        status: r.try_get("status")?,
        sync_state: r.try_get("sync_state")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// Adds a connection; `false` when the tenant already has one with this code.
    pub async fn insert_connection(&self, conn: &mut Conn, tenant_id: i64, c: &ConnectionRow) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO connections (tenant_id, id, kind, code, name, secret_sealed, settings_sealed, currency, status,
             sync_state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (tenant_id, code) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(c.id)
        .bind(&c.kind)
        .bind(&c.code)
        .bind(&c.name)
        .bind(&c.secret_sealed)
        .bind(c.settings_sealed.clone())
        .bind(&c.currency)
        .bind(&c.status)
        .bind(&c.sync_state)
        .bind(c.created_at)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Changes a connection's name, status, currency, settings or secret (the row as given).
    pub async fn update_connection(&self, conn: &mut Conn, tenant_id: i64, c: &ConnectionRow) -> Result<()> {
        sqlx::query(
            "UPDATE connections SET name = $3, secret_sealed = $4, settings_sealed = $5, currency = $6, status = $7,
             sync_state = $8 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(c.id)
        .bind(&c.name)
        .bind(&c.secret_sealed)
        .bind(c.settings_sealed.clone())
        .bind(&c.currency)
        .bind(&c.status)
        .bind(&c.sync_state)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn set_sync_state(&self, conn: &mut Conn, tenant_id: i64, id: i64, state: &str) -> Result<()> {
        sqlx::query("UPDATE connections SET sync_state = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .bind(state)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn connection_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<ConnectionRow>> {
        let q = format!("SELECT {COLUMNS} FROM connections WHERE tenant_id = $1 AND code = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(q)).bind(tenant_id).bind(code).fetch_optional(&mut *conn).await?;
        row.as_ref().map(connection).transpose()
    }

    pub async fn connection_by_id(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<ConnectionRow>> {
        let q = format!("SELECT {COLUMNS} FROM connections WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(q)).bind(tenant_id).bind(id).fetch_optional(&mut *conn).await?;
        row.as_ref().map(connection).transpose()
    }

    pub async fn connections(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<ConnectionRow>> {
        let q = format!("SELECT {COLUMNS} FROM connections WHERE tenant_id = $1 ORDER BY code");
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).bind(tenant_id).fetch_all(&mut *conn).await?;
        rows.iter().map(connection).collect()
    }

    /// Every active connection of a kind, with its tenant: what the reconciliation job walks.
    pub async fn active_connections(&self, conn: &mut Conn, kind: &str) -> Result<Vec<(i64, ConnectionRow)>> {
        let q =
            format!("SELECT tenant_id, {COLUMNS} FROM connections WHERE kind = $1 AND status = 'active' ORDER BY tenant_id, id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).bind(kind).fetch_all(&mut *conn).await?;
        rows.iter().map(|r| Ok((r.try_get("tenant_id")?, connection(r)?))).collect()
    }

    /// The held state of a record, locked until commit; a record seen for the first time gets an
    /// empty row first, so two deliveries about one new order wait for each other.
    pub async fn lock_shop_record(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        connection_id: i64,
        kind: &str,
        record_id: &str,
        now: i64,
    ) -> Result<ShopRecordRow> {
        sqlx::query(
            "INSERT INTO shop_records (tenant_id, connection_id, kind, record_id, generation, updated_at)
             VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (tenant_id, connection_id, kind, record_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .bind(kind)
        .bind(record_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let q = format!(
            "SELECT version, digest, generation, invoice_id, fingerprint FROM shop_records
             WHERE tenant_id = $1 AND connection_id = $2 AND kind = $3 AND record_id = $4{}",
            self.lock_suffix()
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(tenant_id)
            .bind(connection_id)
            .bind(kind)
            .bind(record_id)
            .fetch_one(&mut *conn)
            .await?;
        Ok(ShopRecordRow {
            version: r.try_get("version")?,
            digest: r.try_get("digest")?,
            generation: r.try_get("generation")?,
            invoice_id: r.try_get("invoice_id")?,
            fingerprint: r.try_get("fingerprint")?,
        })
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn write_shop_record(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        connection_id: i64,
        kind: &str,
        record_id: &str,
        row: &ShopRecordRow,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE shop_records SET version = $5, digest = $6, generation = $7, invoice_id = $8, fingerprint = $9, updated_at = $10
             WHERE tenant_id = $1 AND connection_id = $2 AND kind = $3 AND record_id = $4",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .bind(kind)
        .bind(record_id)
        .bind(row.version)
        .bind(row.digest.clone())
        .bind(row.generation)
        .bind(row.invoice_id)
        .bind(row.fingerprint.clone())
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// How many records of each kind a connection has brought in.
    pub async fn shop_record_counts(&self, conn: &mut Conn, tenant_id: i64, connection_id: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT kind, COUNT(*) AS n FROM shop_records WHERE tenant_id = $1 AND connection_id = $2 GROUP BY kind ORDER BY kind",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("kind")?, r.try_get("n")?))).collect()
    }

    /// What is held for every record of one kind of a connection: its id, digest and whether an
    /// invoice counts for it. For systems that are read whole (Sepidar), to queue only what
    /// changed.
    pub async fn shop_record_digests(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        connection_id: i64,
        kind: &str,
    ) -> Result<Vec<(String, Option<String>, bool)>> {
        let rows = sqlx::query(
            "SELECT record_id, digest, invoice_id FROM shop_records WHERE tenant_id = $1 AND connection_id = $2 AND kind = $3",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .bind(kind)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("record_id")?, r.try_get("digest")?, r.try_get::<Option<i64>, _>("invoice_id")?.is_some())))
            .collect()
    }
}
