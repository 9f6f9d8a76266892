//! Outgoing webhooks: endpoints, the facts they are fed from, and the delivery queue.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq)]
pub struct EndpointRow {
    pub tenant_id: i64,
    pub id: i64,
    pub url: String,
    /// JSON list of topic names.
    pub topics: String,
    pub description: Option<String>,
    pub secret_sealed: String,
    pub active: bool,
    pub after: Positions,
    pub created_at: i64,
}

/// The last fact id of each source read for certain (later ones are read again until settled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Positions {
    pub invoices: i64,
    pub customers: i64,
    pub events: i64,
    pub points: i64,
    pub merges: i64,
}

/// Where facts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Invoices,
    Customers,
    Events,
    Points,
    Merges,
}

impl Positions {
    pub fn get(&self, s: Source) -> i64 {
        match s {
            Source::Invoices => self.invoices,
            Source::Customers => self.customers,
            Source::Events => self.events,
            Source::Points => self.points,
            Source::Merges => self.merges,
        }
    }

    pub fn set(&mut self, s: Source, v: i64) {
        match s {
            Source::Invoices => self.invoices = v,
            Source::Customers => self.customers = v,
            Source::Events => self.events = v,
            Source::Points => self.points = v,
            Source::Merges => self.merges = v,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookDeliveryRow {
    pub tenant_id: i64,
    pub id: i64,
    pub endpoint_id: i64,
    /// Deliveries about one customer go in the order they were queued.
    pub customer_id: Option<i64>,
    pub topic: String,
    pub occurrence: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub due_at: i64,
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A fact a webhook may carry: its id, when it was written, its kind (an event's type, a ledger
/// entry's kind), the customer it is about and its data.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFact {
    pub id: i64,
    pub created_at: i64,
    pub occurred_at: i64,
    pub kind: String,
    pub customer_id: Option<i64>,
    pub data: serde_json::Value,
}

const ENDPOINT: &str = "SELECT tenant_id, id, url, topics, description, secret_sealed, active, invoices_after, customers_after,
    events_after, points_after, merges_after, created_at FROM webhook_endpoints";

fn endpoint(r: &AnyRow) -> Result<EndpointRow> {
    Ok(EndpointRow {
        tenant_id: r.try_get(0)?,
        id: r.try_get(1)?,
        url: r.try_get(2)?,
        topics: r.try_get(3)?,
        description: r.try_get(4)?,
        secret_sealed: r.try_get(5)?,
        active: r.try_get::<i64, _>(6)? == 1,
        after: Positions {
            invoices: r.try_get(7)?,
            customers: r.try_get(8)?,
            events: r.try_get(9)?,
            points: r.try_get(10)?,
            merges: r.try_get(11)?,
        },
        created_at: r.try_get(12)?,
    })
}

const DELIVERY: &str = "tenant_id, id, endpoint_id, customer_id, topic, occurrence, payload, status, attempts, due_at,
    response_status, last_error, created_at, delivered_at";

fn delivery(r: &AnyRow) -> Result<WebhookDeliveryRow> {
    Ok(WebhookDeliveryRow {
        tenant_id: r.try_get(0)?,
        id: r.try_get(1)?,
        endpoint_id: r.try_get(2)?,
        customer_id: r.try_get(3)?,
        topic: r.try_get(4)?,
        occurrence: r.try_get(5)?,
        payload: r.try_get(6)?,
        status: r.try_get(7)?,
        attempts: r.try_get(8)?,
        due_at: r.try_get(9)?,
        response_status: r.try_get(10)?,
        last_error: r.try_get(11)?,
        created_at: r.try_get(12)?,
        delivered_at: r.try_get(13)?,
    })
}

/// Runs a source query whose parameters are the tenant, the id to read after and the page size.
async fn fetch_after(conn: &mut Conn, sql: &'static str, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<AnyRow>> {
    Ok(sqlx::query(sql).bind(tenant_id).bind(after).bind(limit).fetch_all(&mut *conn).await?)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

impl Store {
    pub async fn insert_endpoint(&self, conn: &mut Conn, e: &EndpointRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_endpoints (tenant_id, id, url, topics, description, secret_sealed, active, invoices_after,
                customers_after, events_after, points_after, merges_after, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $12)",
        )
        .bind(e.tenant_id)
        .bind(e.id)
        .bind(&e.url)
        .bind(&e.topics)
        .bind(&e.description)
        .bind(&e.secret_sealed)
        .bind(e.after.invoices)
        .bind(e.after.customers)
        .bind(e.after.events)
        .bind(e.after.points)
        .bind(e.after.merges)
        .bind(e.created_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn endpoints(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<EndpointRow>> {
        let rows = bulk::query(format!("{ENDPOINT} WHERE tenant_id = $1 ORDER BY id"), vec![Val::I(tenant_id)])
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(endpoint).collect()
    }

    /// Active endpoints of every tenant.
    pub async fn active_endpoints(&self, conn: &mut Conn) -> Result<Vec<EndpointRow>> {
        let rows =
            bulk::query(format!("{ENDPOINT} WHERE active = 1 ORDER BY tenant_id, id"), vec![]).fetch_all(&mut *conn).await?;
        rows.iter().map(endpoint).collect()
    }

    /// Switches an endpoint on or off; false when the tenant has no such endpoint.
    pub async fn set_endpoint_active(&self, conn: &mut Conn, tenant_id: i64, id: i64, active: bool) -> Result<bool> {
        let n = sqlx::query("UPDATE webhook_endpoints SET active = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .bind(active as i64)
            .execute(&mut *conn)
            .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn set_endpoint_positions(&self, conn: &mut Conn, tenant_id: i64, id: i64, p: Positions) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_endpoints SET invoices_after = $3, customers_after = $4, events_after = $5, points_after = $6,
                merges_after = $7 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(p.invoices)
        .bind(p.customers)
        .bind(p.events)
        .bind(p.points)
        .bind(p.merges)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The newest id of every source of a tenant: where a new endpoint starts.
    pub async fn latest_fact_ids(&self, conn: &mut Conn, tenant_id: i64) -> Result<Positions> {
        let mut out = Positions::default();
        for (source, table) in [
            (Source::Invoices, "invoices"),
            (Source::Customers, "customers"),
            (Source::Events, "events"),
            (Source::Points, "point_entries"),
            (Source::Merges, "customer_merges"),
        ] {
            let row = bulk::query(
                format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table} WHERE tenant_id = $1"),
                vec![Val::I(tenant_id)],
            )
            .fetch_one(&mut *conn)
            .await?;
            out.set(source, row.try_get(0)?);
        }
        Ok(out)
    }

    /// Facts of a source after `after`, oldest first, as webhooks carry them.
    pub async fn source_facts(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        source: Source,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SourceFact>> {
        match source {
            Source::Invoices => self.invoice_sources(conn, tenant_id, after, limit).await,
            Source::Customers => self.customer_sources(conn, tenant_id, after, limit).await,
            Source::Events => self.event_sources(conn, tenant_id, after, limit).await,
            Source::Points => self.point_sources(conn, tenant_id, after, limit).await,
            Source::Merges => self.merge_sources(conn, tenant_id, after, limit).await,
        }
    }

    async fn point_sources(&self, conn: &mut Conn, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<SourceFact>> {
        let rows = fetch_after(conn, "SELECT e.id, e.created_at, e.at, e.kind, e.customer_id, t.code, e.points, e.source_kind, e.source_id, e.reason, e.expires_at
             FROM point_entries e JOIN point_types t ON t.tenant_id = e.tenant_id AND t.id = e.point_type_id
             WHERE e.tenant_id = $1 AND e.id > $2 ORDER BY e.id LIMIT $3", tenant_id, after, limit).await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(3)?;
                let customer: i64 = r.try_get(4)?;
                Ok(SourceFact {
                    id: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                    occurred_at: r.try_get(2)?,
                    customer_id: Some(customer),
                    data: serde_json::json!({
                        "id": r.try_get::<i64, _>(0)?, "kind": kind, "customer_id": customer, "point_type": r.try_get::<String, _>(5)?,
                        "points": r.try_get::<i64, _>(6)?, "source": r.try_get::<String, _>(7)?,
                        "source_id": r.try_get::<Option<i64>, _>(8)?, "reason": r.try_get::<Option<String>, _>(9)?,
                        "expires_at": r.try_get::<Option<i64>, _>(10)?.map(crate::bulk::ts),
                    }),
                    kind,
                })
            })
            .collect()
    }

    async fn merge_sources(&self, conn: &mut Conn, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<SourceFact>> {
        let rows = fetch_after(conn, "SELECT id, merged_at, survivor_id, merged_id FROM customer_merges WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3", tenant_id, after, limit).await?;
        rows.iter()
            .map(|r| {
                let survivor: i64 = r.try_get(2)?;
                Ok(SourceFact {
                    id: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                    occurred_at: r.try_get(1)?,
                    kind: "merge".into(),
                    customer_id: Some(survivor),
                    data: serde_json::json!({"survivor_id": survivor, "merged_id": r.try_get::<i64, _>(3)?}),
                })
            })
            .collect()
    }

    /// Invoices after `after`, oldest first, as a webhook carries them.
    async fn invoice_sources(&self, conn: &mut Conn, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<SourceFact>> {
        let rows = fetch_after(conn, "SELECT id, created_at, issued_at, external_id, source, customer_id, channel, branch_code, status, subtotal, discount,
                shipping, total FROM invoices WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3", tenant_id, after, limit).await?;
        rows.iter()
            .map(|r| {
                Ok(SourceFact {
                    id: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                    occurred_at: r.try_get(2)?,
                    kind: "invoice".into(),
                    customer_id: r.try_get(5)?,
                    data: serde_json::json!({
                        "id": r.try_get::<i64, _>(0)?, "external_id": r.try_get::<String, _>(3)?, "source": r.try_get::<String, _>(4)?,
                        "customer_id": r.try_get::<Option<i64>, _>(5)?, "channel": r.try_get::<String, _>(6)?,
                        "branch": r.try_get::<Option<String>, _>(7)?, "status": r.try_get::<String, _>(8)?,
                        "subtotal": r.try_get::<i64, _>(9)?, "discount": r.try_get::<i64, _>(10)?,
                        "shipping": r.try_get::<i64, _>(11)?, "total": r.try_get::<i64, _>(12)?,
                    }),
                })
            })
            .collect()
    }

    /// Customers created after `after`, oldest first.
    async fn customer_sources(&self, conn: &mut Conn, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<SourceFact>> {
        let rows = fetch_after(
            conn,
            "SELECT id, created_at, first_name, last_name, mobile, email FROM customers
             WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            tenant_id,
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SourceFact {
                    id: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                    occurred_at: r.try_get(1)?,
                    kind: "customer".into(),
                    customer_id: r.try_get(0)?,
                    data: serde_json::json!({
                        "id": r.try_get::<i64, _>(0)?, "first_name": r.try_get::<Option<String>, _>(2)?,
                        "last_name": r.try_get::<Option<String>, _>(3)?, "mobile": r.try_get::<Option<String>, _>(4)?,
                        "email": r.try_get::<Option<String>, _>(5)?,
                    }),
                })
            })
            .collect()
    }

    /// Events after `after`, oldest first, with their type and properties.
    async fn event_sources(&self, conn: &mut Conn, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<SourceFact>> {
        let rows = fetch_after(
            conn,
            "SELECT id, created_at, occurred_at, type, event_key, customer_id, source, properties FROM events
             WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            tenant_id,
            after,
            limit,
        )
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get(3)?;
                Ok(SourceFact {
                    id: r.try_get(0)?,
                    created_at: r.try_get(1)?,
                    occurred_at: r.try_get(2)?,
                    customer_id: r.try_get(5)?,
                    data: serde_json::json!({
                        "id": r.try_get::<i64, _>(0)?, "type": kind, "event_id": r.try_get::<Option<String>, _>(4)?,
                        "customer_id": r.try_get::<Option<i64>, _>(5)?, "source": r.try_get::<String, _>(6)?,
                        "properties": json(&r.try_get::<String, _>(7)?),
                    }),
                    kind,
                })
            })
            .collect()
    }

    /// Queues deliveries; one already queued for the same endpoint and occurrence is kept.
    pub async fn insert_webhook_deliveries(&self, conn: &mut Conn, rows: &[WebhookDeliveryRow]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let values = rows
            .iter()
            .map(|d| {
                vec![
                    Val::I(d.tenant_id),
                    Val::I(d.id),
                    Val::I(d.endpoint_id),
                    Val::OI(d.customer_id),
                    Val::T(d.topic.clone()),
                    Val::T(d.occurrence.clone()),
                    Val::T(d.payload.clone()),
                    Val::T("queued".into()),
                    Val::I(0),
                    Val::I(d.due_at),
                    Val::I(d.created_at),
                ]
            })
            .collect();
        bulk::insert_counted(
            conn,
            "webhook_deliveries",
            &[
                "tenant_id",
                "id",
                "endpoint_id",
                "customer_id",
                "topic",
                "occurrence",
                "payload",
                "status",
                "attempts",
                "due_at",
                "created_at",
            ],
            values,
            " ON CONFLICT (tenant_id, endpoint_id, occurrence) DO NOTHING",
        )
        .await
    }

    /// Whether any delivery is due (or its lease ran out): a read that spares idle rounds a write.
    pub async fn webhook_work_due(&self, conn: &mut Conn, now: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM webhook_deliveries WHERE (status = 'queued' AND due_at <= $1) OR (status = 'sending' AND lease_until < $1) LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.is_some())
    }

    /// Claims due deliveries of every tenant until `lease_until` (and those whose lease ran out).
    /// A delivery about a customer waits while an earlier one to the same endpoint about the same
    /// customer is still queued or being sent, so each customer's deliveries arrive in order.
    pub async fn claim_webhook_deliveries(
        &self,
        conn: &mut Conn,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>> {
        let skip = self.skip_locked();
        let rows = bulk::query(
            format!(
                "UPDATE webhook_deliveries SET status = 'sending', lease_until = $2, attempts = attempts + 1
                 WHERE (tenant_id, id) IN (
                    SELECT d.tenant_id, d.id FROM webhook_deliveries d
                    WHERE ((d.status = 'queued' AND d.due_at <= $1) OR (d.status = 'sending' AND d.lease_until < $1))
                      AND (d.customer_id IS NULL OR NOT EXISTS (SELECT 1 FROM webhook_deliveries p
                        WHERE p.tenant_id = d.tenant_id AND p.endpoint_id = d.endpoint_id AND p.customer_id = d.customer_id
                          AND p.id < d.id AND p.status IN ('queued', 'sending')))
                    ORDER BY d.due_at LIMIT $3{skip})
                 RETURNING {DELIVERY}"
            ),
            vec![Val::I(now), Val::I(lease_until), Val::I(limit)],
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(delivery).collect()
    }

    /// Records how a claimed delivery went: `status` is `sent`, `queued` (again at `due_at`) or
    /// `failed`.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_webhook_delivery(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        status: &str,
        due_at: i64,
        response_status: Option<i64>,
        error: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = $3, due_at = $4, response_status = $5, last_error = $6, lease_until = NULL,
                delivered_at = CASE WHEN $3 = 'sent' THEN $7 ELSE delivered_at END
             WHERE tenant_id = $1 AND id = $2 AND status = 'sending'",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(status)
        .bind(due_at)
        .bind(response_status)
        .bind(error)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Sends a finished delivery again (same id and body), now; false when there is no such
    /// delivery or it is still queued or being sent.
    pub async fn replay_webhook_delivery(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        endpoint_id: i64,
        id: i64,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'queued', due_at = $4, attempts = 0, created_at = $4, last_error = NULL
             WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3 AND status IN ('sent', 'failed')",
        )
        .bind(tenant_id)
        .bind(endpoint_id)
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// An endpoint's deliveries, newest first.
    pub async fn webhook_deliveries_of(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        endpoint_id: i64,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>> {
        let rows = bulk::query(
            format!(
                "SELECT {DELIVERY} FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2 ORDER BY id DESC LIMIT $3"
            ),
            vec![Val::I(tenant_id), Val::I(endpoint_id), Val::I(limit)],
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(delivery).collect()
    }
}
