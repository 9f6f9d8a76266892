//! Programme settings kept as JSON per tenant and name (cashback, referrals).

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

impl Store {
    pub async fn setting(&self, conn: &mut Conn, tenant_id: i64, name: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT body FROM programme_settings WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(r.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn set_setting(&self, conn: &mut Conn, tenant_id: i64, name: &str, body: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO programme_settings (tenant_id, name, body, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(name)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
