//! Tiers: the programme, each customer's tier state, its history, and the qualifying metrics.

use crate::Result;
use crate::bulk::{self, Val, ts};
use crate::db::{Conn, Store};
use philia_domain::records::TierChange;
use sqlx::Row;
use std::collections::HashMap;

/// Which metric to read, over which span.
#[derive(Debug, Clone, Copy)]
pub enum MetricQuery {
    /// Points of a type earned, less reversals, plus adjustments.
    Points {
        point_type_id: i64,
    },
    Spend,
    Invoices,
}

/// A customer's move to another tier, as its history keeps it.
#[derive(Debug, Clone)]
pub struct TierMove {
    /// The history entry's id.
    pub id: i64,
    pub customer_id: i64,
    pub from: Option<String>,
    pub to: String,
    /// The qualifying metric that moved it.
    pub metric: i64,
}

/// A customer's tier as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierState {
    pub tier: Option<String>,
    pub since: Option<i64>,
    pub below_since: Option<i64>,
}

impl Store {
    pub async fn tier_programme(&self, conn: &mut Conn, tenant_id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM tier_programmes WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn set_tier_programme(&self, conn: &mut Conn, tenant_id: i64, body: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO tier_programmes (tenant_id, body, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(tenant_id)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The tier state of customers that exist and are not merged away.
    pub async fn tier_states(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashMap<i64, TierState>> {
        let rows = bulk::select_in(
            conn,
            "SELECT id, tier, tier_since, tier_below_since FROM customers WHERE tenant_id = $1 AND merged_into IS NULL AND id IN ({in})",
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, TierState { tier: r.try_get(1)?, since: r.try_get(2)?, below_since: r.try_get(3)? })))
            .collect()
    }

    /// Places customers in a tier without a history entry (a customer's first, lowest tier).
    pub async fn place_in_tier(&self, conn: &mut Conn, tenant_id: i64, customers: &[i64], tier: &str, at: i64) -> Result<()> {
        bulk::execute_in_with(
            conn,
            "UPDATE customers SET tier = $2, tier_since = $3, tier_below_since = NULL WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            vec![Val::T(tier.into()), Val::I(at)],
            bulk::ids(customers),
        )
        .await?;
        Ok(())
    }

    /// Moves customers to tiers for one reason and writes each change to their history: one update
    /// per target tier and one insert of the history, however many customers moved.
    pub async fn move_tiers(&self, conn: &mut Conn, tenant_id: i64, moves: &[TierMove], reason: &str, at: i64) -> Result<()> {
        let mut by_tier: HashMap<&str, Vec<i64>> = HashMap::new();
        for m in moves {
            by_tier.entry(m.to.as_str()).or_default().push(m.customer_id);
        }
        for (tier, customers) in by_tier {
            self.place_in_tier(conn, tenant_id, &customers, tier, at).await?;
        }
        let rows = moves
            .iter()
            .map(|m| {
                vec![
                    Val::I(tenant_id),
                    Val::I(m.id),
                    Val::I(m.customer_id),
                    Val::OT(m.from.clone()),
                    Val::T(m.to.clone()),
                    Val::T(reason.into()),
                    Val::I(m.metric),
                    Val::I(at),
                ]
            })
            .collect();
        bulk::insert_counted(
            conn,
            "tier_history",
            &["tenant_id", "id", "customer_id", "from_tier", "to_tier", "reason", "metric", "at"],
            rows,
            "",
        )
        .await?;
        Ok(())
    }

    /// Starts (Some) or ends (None) the grace period below their tier of `customers`.
    pub async fn set_tier_grace(&self, conn: &mut Conn, tenant_id: i64, customers: &[i64], since: Option<i64>) -> Result<()> {
        bulk::execute_in_with(
            conn,
            "UPDATE customers SET tier_below_since = $2 WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            vec![Val::OI(since)],
            bulk::ids(customers),
        )
        .await?;
        Ok(())
    }

    pub async fn tier_history(&self, tenant_id: i64, customer_id: i64) -> Result<Vec<TierChange>> {
        let rows = sqlx::query(
            "SELECT from_tier, to_tier, reason, metric, at FROM tier_history WHERE tenant_id = $1 AND customer_id = $2 ORDER BY at DESC, id DESC LIMIT 100",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TierChange {
                    from: r.try_get(0)?,
                    to: r.try_get(1)?,
                    reason: r.try_get(2)?,
                    metric: r.try_get(3)?,
                    at: ts(r.try_get(4)?),
                })
            })
            .collect()
    }

    /// The qualifying metric of each customer, counted from `since` (None: all time). Customers
    /// with nothing counted are absent (their value is 0).
    pub async fn tier_metrics(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        metric: MetricQuery,
        since: Option<i64>,
        ids: &[i64],
    ) -> Result<HashMap<i64, i64>> {
        let (sql, extra): (&str, Vec<Val>) = match (metric, since) {
            (MetricQuery::Points { point_type_id }, None) => (
                "SELECT customer_id, earned FROM point_balances WHERE tenant_id = $1 AND point_type_id = $2 AND customer_id IN ({in})",
                vec![Val::I(point_type_id)],
            ),
            (MetricQuery::Points { point_type_id }, Some(from)) => (
                "SELECT customer_id, CAST(SUM(points) AS BIGINT) FROM point_entries WHERE tenant_id = $1 AND point_type_id = $2 AND at >= $3
                 AND kind IN ('earn', 'adjust', 'reverse') AND customer_id IN ({in}) GROUP BY customer_id",
                vec![Val::I(point_type_id), Val::I(from)],
            ),
            (MetricQuery::Spend, None) => (
                "SELECT customer_id, gross_spend - refund_total FROM customer_stats WHERE tenant_id = $1 AND customer_id IN ({in})",
                vec![],
            ),
            (MetricQuery::Spend, Some(from)) => (
                "SELECT customer_id, CAST(SUM(total - refunded_total) AS BIGINT) FROM invoices WHERE tenant_id = $1 AND issued_at >= $2
                 AND status = 'completed' AND customer_id IN ({in}) GROUP BY customer_id",
                vec![Val::I(from)],
            ),
            (MetricQuery::Invoices, None) => (
                "SELECT customer_id, invoice_count - refunded_invoice_count FROM customer_stats WHERE tenant_id = $1 AND customer_id IN ({in})",
                vec![],
            ),
            (MetricQuery::Invoices, Some(from)) => (
                "SELECT customer_id, COUNT(*) FROM invoices WHERE tenant_id = $1 AND issued_at >= $2 AND status = 'completed'
                 AND refunded_total < total AND customer_id IN ({in}) GROUP BY customer_id",
                vec![Val::I(from)],
            ),
        };
        let rows = bulk::select_in_with(conn, sql, tenant_id, extra, bulk::ids(ids)).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Live customers of a tenant by id, after `after`, for jobs that walk them all.
    pub async fn customer_ids_after(&self, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<i64>> {
        let rows =
            sqlx::query("SELECT id FROM customers WHERE tenant_id = $1 AND merged_into IS NULL AND id > $2 ORDER BY id LIMIT $3")
                .bind(tenant_id)
                .bind(after)
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }
}

impl Store {
    /// The loyalty class of live customers (None: in no class).
    pub async fn loyalty_classes_of(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashMap<i64, Option<String>>> {
        let rows = bulk::select_in(
            conn,
            "SELECT id, loyalty_class FROM customers WHERE tenant_id = $1 AND merged_into IS NULL AND id IN ({in})",
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    pub async fn set_loyalty_classes(&self, conn: &mut Conn, tenant_id: i64, changes: &[(i64, Option<String>)]) -> Result<()> {
        for (id, class) in changes {
            sqlx::query("UPDATE customers SET loyalty_class = $3 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(id)
                .bind(class.as_deref())
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}
