//! The inbound queue: every delivery a connection sends, kept before it is answered and applied
//! by a worker that claims it with a lease (a worker that dies leaves it to the next).

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    pub tenant_id: i64,
    pub id: i64,
    pub connection_id: i64,
    pub received_at: i64,
    pub topic: String,
    /// The sender's own id of the delivery, for the log only.
    pub delivery_ref: Option<String>,
    /// The raw body; none for a delivery refused at the door.
    pub body: Option<String>,
    /// `queued`, `processing`, `applied`, `skipped`, `failed` or `rejected`.
    pub status: String,
    pub attempts: i64,
    pub outcome: Option<String>,
    pub processed_at: Option<i64>,
}

const COLUMNS: &str =
    "tenant_id, id, connection_id, received_at, topic, delivery_ref, body, status, attempts, outcome, processed_at";

fn delivery(r: &sqlx::any::AnyRow) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        tenant_id: r.try_get("tenant_id")?,
        id: r.try_get("id")?,
        connection_id: r.try_get("connection_id")?,
        received_at: r.try_get("received_at")?,
        topic: r.try_get("topic")?,
        delivery_ref: r.try_get("delivery_ref")?,
        body: r.try_get("body")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        outcome: r.try_get("outcome")?,
        processed_at: r.try_get("processed_at")?,
    })
}

impl Store {
    /// Keeps a delivery: queued, or already decided when refused at the door.
    pub async fn insert_delivery(&self, conn: &mut Conn, d: &DeliveryRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO inbound_deliveries (tenant_id, id, connection_id, received_at, topic, delivery_ref, body, status,
             attempts, due_at, outcome, processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $4, $9, $10)",
        )
        .bind(d.tenant_id)
        .bind(d.id)
        .bind(d.connection_id)
        .bind(d.received_at)
        .bind(&d.topic)
        .bind(d.delivery_ref.clone())
        .bind(d.body.clone())
        .bind(&d.status)
        .bind(d.outcome.clone())
        .bind(d.processed_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Claims an event id for a delivery: `None` when it is new, or the delivery that first
    /// carried it.
    pub async fn claim_event_id(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        connection_id: i64,
        event_id: &str,
        delivery_id: i64,
    ) -> Result<Option<i64>> {
        let inserted = sqlx::query(
            "INSERT INTO inbound_event_ids (tenant_id, connection_id, event_id, delivery_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, connection_id, event_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .bind(event_id)
        .bind(delivery_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(None);
        }
        let first: i64 = sqlx::query_scalar(
            "SELECT delivery_id FROM inbound_event_ids WHERE tenant_id = $1 AND connection_id = $2 AND event_id = $3",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .bind(event_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(Some(first))
    }

    /// When the connection's system last delivered something that was not refused. Read from
    /// the deliveries rather than kept on the connection, so a flood of deliveries does not queue
    /// on one row.
    pub async fn last_delivery_at(&self, conn: &mut Conn, tenant_id: i64, connection_id: i64) -> Result<Option<i64>> {
        let row = sqlx::query(
            "SELECT received_at FROM inbound_deliveries WHERE tenant_id = $1 AND connection_id = $2 AND status <> 'rejected'
             ORDER BY id DESC LIMIT 1",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.map(|r| r.try_get("received_at")).transpose()?)
    }

    /// Whether a delivery waits (due, or abandoned by a dead worker): an idle worker asks this
    /// read instead of taking the write lock.
    pub async fn inbound_has_work(&self, conn: &mut Conn, now: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM inbound_deliveries WHERE (status = 'queued' AND due_at <= $1) OR (status = 'processing' AND lease_until < $1) LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.is_some())
    }

    /// Claims up to `limit` due deliveries, oldest first, until `lease_until`; deliveries whose
    /// lease ran out are claimed again. Concurrent workers on PostgreSQL skip each other's rows.
    pub async fn claim_deliveries(&self, conn: &mut Conn, now: i64, lease_until: i64, limit: i64) -> Result<Vec<DeliveryRow>> {
        let skip = self.skip_locked();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE inbound_deliveries SET status = 'processing', lease_until = $2, attempts = attempts + 1
             WHERE (tenant_id, id) IN (
                SELECT tenant_id, id FROM inbound_deliveries
                WHERE (status = 'queued' AND due_at <= $1) OR (status = 'processing' AND lease_until < $1)
                ORDER BY due_at, id LIMIT $3{skip})
             RETURNING {COLUMNS}"
        )))
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        let mut claimed = rows.iter().map(delivery).collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|d| (d.received_at, d.id));
        Ok(claimed)
    }

    /// Records what became of a claimed delivery: `applied`, `skipped` or `failed`; or `queued`
    /// again at `due_at` to be tried later. Only a delivery still claimed changes.
    pub async fn finish_delivery(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        status: &str,
        outcome: &str,
        due_at: i64,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE inbound_deliveries SET status = $3, outcome = $4, due_at = $5, lease_until = NULL,
             processed_at = CASE WHEN $3 = 'queued' THEN processed_at ELSE $6 END
             WHERE tenant_id = $1 AND id = $2 AND status = 'processing'",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(status)
        .bind(outcome)
        .bind(due_at)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Puts a failed delivery back in the queue (a person fixed what made it fail).
    pub async fn requeue_delivery(&self, conn: &mut Conn, tenant_id: i64, id: i64, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE inbound_deliveries SET status = 'queued', due_at = $3, attempts = 0
             WHERE tenant_id = $1 AND id = $2 AND status = 'failed'",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn delivery(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<DeliveryRow>> {
        let q = format!("SELECT {COLUMNS} FROM inbound_deliveries WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(q)).bind(tenant_id).bind(id).fetch_optional(&mut *conn).await?;
        row.as_ref().map(delivery).transpose()
    }

    /// A connection's deliveries, newest first, optionally of one status, before `before`.
    pub async fn deliveries(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        connection_id: i64,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let q = format!(
            "SELECT {COLUMNS} FROM inbound_deliveries WHERE tenant_id = $1 AND connection_id = $2
             AND ($3 IS NULL OR status = $3) AND id < $4 ORDER BY id DESC LIMIT $5"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(tenant_id)
            .bind(connection_id)
            .bind(status)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(delivery).collect()
    }

    /// A connection's deliveries per status.
    pub async fn delivery_counts(&self, conn: &mut Conn, tenant_id: i64, connection_id: i64) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM inbound_deliveries WHERE tenant_id = $1 AND connection_id = $2
             GROUP BY status ORDER BY status",
        )
        .bind(tenant_id)
        .bind(connection_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
    }
}
