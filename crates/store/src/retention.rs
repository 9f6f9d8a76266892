//! Retention: dropping the raw detail of old records while the records themselves stay.

use crate::Result;
use crate::db::{Conn, Store};

impl Store {
    /// Empties the properties of events that happened before `before`; returns how many.
    pub async fn drop_event_details(&self, conn: &mut Conn, tenant_id: i64, before: i64) -> Result<u64> {
        let n =
            sqlx::query("UPDATE events SET properties = '{}' WHERE tenant_id = $1 AND occurred_at < $2 AND properties <> '{}'")
                .bind(tenant_id)
                .bind(before)
                .execute(&mut *conn)
                .await?;
        Ok(n.rows_affected())
    }

    /// Empties the subject and text of messages made before `before` that will not be sent
    /// again (sent, failed for good, skipped); who they went to and how it ended stay.
    pub async fn drop_message_bodies(&self, conn: &mut Conn, tenant_id: i64, before: i64) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE messages SET subject = NULL, body = '', html = NULL
             WHERE tenant_id = $1 AND created_at < $2 AND status NOT IN ('queued', 'held', 'sending') AND body <> ''",
        )
        .bind(tenant_id)
        .bind(before)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected())
    }

    /// Empties the raw body of shop deliveries received before `before` that are done with (a
    /// failed one keeps its body so it can be retried).
    pub async fn drop_delivery_bodies(&self, conn: &mut Conn, tenant_id: i64, before: i64) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE inbound_deliveries SET body = NULL
             WHERE tenant_id = $1 AND received_at < $2 AND status NOT IN ('queued', 'processing', 'failed') AND body IS NOT NULL",
        )
        .bind(tenant_id)
        .bind(before)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected())
    }
}
