//! Browsers that allowed a club's notifications: one row per Web Push subscription, kept under
//! the customer who signed in when it was made.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use sqlx::Row;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSubscriptionRow {
    pub id: i64,
    pub customer_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_sent_at: Option<i64>,
}

const COLUMNS: &str = "id, customer_id, endpoint, p256dh, auth, user_agent, created_at, last_sent_at";

fn row(r: &sqlx::any::AnyRow) -> Result<PushSubscriptionRow> {
    Ok(PushSubscriptionRow {
        id: r.try_get(0)?,
        customer_id: r.try_get(1)?,
        endpoint: r.try_get(2)?,
        p256dh: r.try_get(3)?,
        auth: r.try_get(4)?,
        user_agent: r.try_get(5)?,
        created_at: r.try_get(6)?,
        last_sent_at: r.try_get(7)?,
    })
}

/// A subscription as a browser hands it over.
pub struct NewPushSubscription<'a> {
    pub customer_id: i64,
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
    pub user_agent: Option<&'a str>,
}

impl Store {
    /// Keeps a subscription. The endpoint is the browser's: subscribing again (new keys, or
    /// another customer signed in on the same browser) replaces what was kept for it.
    pub async fn save_push_subscription(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        s: &NewPushSubscription<'_>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO push_subscriptions (tenant_id, id, customer_id, endpoint, p256dh, auth, user_agent, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (tenant_id, endpoint) DO UPDATE SET customer_id = excluded.customer_id, p256dh = excluded.p256dh,
                auth = excluded.auth, user_agent = excluded.user_agent, created_at = excluded.created_at",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(s.customer_id)
        .bind(s.endpoint)
        .bind(s.p256dh)
        .bind(s.auth)
        .bind(s.user_agent)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Forgets a customer's subscription by its endpoint; whether there was one.
    pub async fn delete_push_subscription(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customer_id: i64,
        endpoint: &str,
    ) -> Result<bool> {
        let done = sqlx::query("DELETE FROM push_subscriptions WHERE tenant_id = $1 AND customer_id = $2 AND endpoint = $3")
            .bind(tenant_id)
            .bind(customer_id)
            .bind(endpoint)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Forgets every browser of a customer (they opted out of notifications by a link).
    pub async fn delete_customer_push_subscriptions(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM push_subscriptions WHERE tenant_id = $1 AND customer_id = $2")
            .bind(tenant_id)
            .bind(customer_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Forgets every browser of a brand (its key pair changed, so they cannot be reached).
    pub async fn delete_tenant_push_subscriptions(&self, conn: &mut Conn, tenant_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM push_subscriptions WHERE tenant_id = $1").bind(tenant_id).execute(&mut *conn).await?;
        Ok(())
    }

    /// Forgets subscriptions the push service says are gone.
    pub async fn delete_push_subscriptions(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<()> {
        let ids = bulk::ids(ids);
        bulk::execute_in_with(
            conn,
            "DELETE FROM push_subscriptions WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            vec![],
            ids,
        )
        .await?;
        Ok(())
    }

    /// When a message last reached these subscriptions.
    pub async fn mark_push_sent(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64], now: i64) -> Result<()> {
        let ids = bulk::ids(ids);
        bulk::execute_in_with(
            conn,
            "UPDATE push_subscriptions SET last_sent_at = $2 WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            vec![Val::I(now)],
            ids,
        )
        .await?;
        Ok(())
    }

    /// How many customers allowed notifications, and on how many browsers.
    pub async fn push_audience(&self, conn: &mut Conn, tenant_id: i64) -> Result<(i64, i64)> {
        let r = sqlx::query("SELECT COUNT(DISTINCT customer_id), COUNT(*) FROM push_subscriptions WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_one(&mut *conn)
            .await?;
        Ok((r.try_get(0)?, r.try_get(1)?))
    }

    /// How many browsers each of `customers` has subscribed (those with none are absent).
    pub async fn push_device_counts(&self, conn: &mut Conn, tenant_id: i64, customers: &[i64]) -> Result<HashMap<i64, usize>> {
        if customers.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = bulk::select_in(
            conn,
            "SELECT customer_id, COUNT(*) FROM push_subscriptions WHERE tenant_id = $1 AND customer_id IN ({in}) GROUP BY customer_id",
            tenant_id,
            bulk::ids(customers),
        )
        .await?;
        rows.iter().map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)? as usize))).collect()
    }

    /// The subscriptions of these customers, oldest first.
    pub async fn push_subscriptions_of(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customers: &[i64],
    ) -> Result<HashMap<i64, Vec<PushSubscriptionRow>>> {
        if customers.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM push_subscriptions WHERE tenant_id = $1 AND customer_id IN ({{in}}) ORDER BY created_at, id"
        );
        let rows = bulk::select_in(conn, &sql, tenant_id, bulk::ids(customers)).await?;
        let mut out: HashMap<i64, Vec<PushSubscriptionRow>> = HashMap::new();
        for r in &rows {
            let s = row(r)?;
            out.entry(s.customer_id).or_default().push(s);
        }
        Ok(out)
    }
}
