//! Behavioural events.

use crate::Result;
use crate::batch::Batch;
use crate::bulk::{self, Val, ts};
use crate::db::{Conn, Store};
use philia_domain::records::Event;
use sqlx::Row;
use std::collections::HashMap;

pub struct EventRow {
    pub id: i64,
    pub event_key: Option<String>,
    pub customer_id: Option<i64>,
    pub event_type: String,
    pub source: String,
    pub occurred_at: i64,
    pub day: String,
    pub properties: String,
    pub created_at: i64,
}

const EVENT_COLUMNS: &[&str] =
    &["tenant_id", "id", "event_key", "customer_id", "type", "source", "occurred_at", "day", "properties", "created_at"];

fn event_values(tenant_id: i64, e: EventRow) -> Vec<Val> {
    vec![
        Val::I(tenant_id),
        Val::I(e.id),
        e.event_key.into(),
        e.customer_id.into(),
        Val::T(e.event_type),
        Val::T(e.source),
        Val::I(e.occurred_at),
        Val::T(e.day),
        Val::T(e.properties),
        Val::I(e.created_at),
    ]
}

impl Store {
    /// Ids of events already recorded under these keys.
    pub async fn existing_events(&self, conn: &mut Conn, tenant_id: i64, keys: &[String]) -> Result<HashMap<String, i64>> {
        let rows = bulk::select_in(
            conn,
            "SELECT event_key, id FROM events WHERE tenant_id = $1 AND event_key IN ({in})",
            tenant_id,
            keys.iter().map(|k| Val::T(k.clone())).collect(),
        )
        .await?;
        rows.iter().map(|r| Ok((r.try_get("event_key")?, r.try_get("id")?))).collect()
    }

    /// Inserts events; returns how many were inserted (a key recorded concurrently is skipped).
    pub async fn insert_events(&self, conn: &mut Conn, tenant_id: i64, rows: Vec<EventRow>) -> Result<u64> {
        let mut b = self.batch();
        self.insert_events_into(&mut b, tenant_id, rows);
        b.run(conn).await
    }

    /// Inserts events; returns the ids of those inserted (a key already recorded is skipped).
    pub async fn insert_new_events(&self, conn: &mut Conn, tenant_id: i64, rows: Vec<EventRow>) -> Result<Vec<i64>> {
        // Without `RETURNING`, which cost SQLite about a third more for a batch's rows: the ids
        // were just allocated, so when every row was written (the rule) they are the ids given,
        // and otherwise the ones found are the rows written.
        let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
        let values = rows.into_iter().map(|e| event_values(tenant_id, e)).collect();
        let written =
            bulk::insert_counted(conn, "events", EVENT_COLUMNS, values, "ON CONFLICT (tenant_id, event_key) DO NOTHING").await?;
        if written == ids.len() as u64 {
            return Ok(ids);
        }
        let found =
            bulk::select_in(conn, "SELECT id FROM events WHERE tenant_id = $1 AND id IN ({in})", tenant_id, bulk::ids(&ids))
                .await?;
        found.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub fn insert_events_into(&self, b: &mut Batch, tenant_id: i64, rows: Vec<EventRow>) {
        let vals = rows.into_iter().map(|e| event_values(tenant_id, e)).collect();
        b.insert("events", EVENT_COLUMNS, vals, "ON CONFLICT (tenant_id, event_key) DO NOTHING");
    }

    /// A customer's events, newest first.
    pub async fn customer_events(&self, tenant_id: i64, customer_id: i64, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT id, event_key, customer_id, type, source, occurred_at, properties FROM events
             WHERE tenant_id = $1 AND customer_id = $2 ORDER BY occurred_at DESC, id DESC LIMIT $3",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Event {
                    id: r.try_get("id")?,
                    event_id: r.try_get("event_key")?,
                    customer_id: r.try_get("customer_id")?,
                    event_type: r.try_get("type")?,
                    source: r.try_get("source")?,
                    occurred_at: ts(r.try_get("occurred_at")?),
                    properties: serde_json::from_str(&r.try_get::<String, _>("properties")?).unwrap_or_default(),
                })
            })
            .collect()
    }
}
