//! RFM: the figures scores are computed from, the scores kept per customer, and the history of
//! segment changes.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

/// One customer's RFM inputs: last purchase instant, invoice count, net spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RfmSource {
    pub customer_id: i64,
    pub last_purchase_at: i64,
    pub invoices: i64,
    pub net_spend: i64,
}

/// Population rule: at least one invoice not fully refunded.
const FROM_ROLLUPS: &str = "SELECT customer_id, last_purchase_at, invoice_count, gross_spend - refund_total FROM customer_stats
     WHERE tenant_id = $1 AND invoice_count > refunded_invoice_count";

/// The same figures as they stood at `$2`, from the facts: invoices issued before it and the
/// refunds made before it.
const FROM_FACTS: &str = "SELECT i.customer_id, MAX(i.issued_at), COUNT(*), CAST(SUM(i.total - COALESCE(r.amount, 0)) AS BIGINT)
     FROM invoices i
     LEFT JOIN (SELECT invoice_id, SUM(amount) AS amount FROM refunds WHERE tenant_id = $1 AND refunded_at < $2 GROUP BY invoice_id) r
         ON r.invoice_id = i.id
     WHERE i.tenant_id = $1 AND i.status = 'completed' AND i.customer_id IS NOT NULL AND i.issued_at < $2
     GROUP BY i.customer_id
     HAVING SUM(CASE WHEN r.amount > 0 AND r.amount >= i.total THEN 0 ELSE 1 END) > 0";

fn sources(rows: &[sqlx::any::AnyRow]) -> Result<Vec<RfmSource>> {
    rows.iter()
        .map(|r| {
            Ok(RfmSource {
                customer_id: r.try_get(0)?,
                last_purchase_at: r.try_get(1)?,
                invoices: r.try_get(2)?,
                net_spend: r.try_get(3)?,
            })
        })
        .collect()
}

/// A customer's stored scores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRfm {
    pub r: i64,
    pub f: i64,
    pub m: i64,
    pub segment: String,
}

/// A change to write: new scores, or `None` when the customer left the population.
pub struct RfmChange {
    pub customer_id: i64,
    pub before: Option<String>,
    pub after: Option<StoredRfm>,
}

/// One line of a customer's segment history.
pub struct RfmMove {
    pub from: Option<String>,
    pub to: Option<String>,
    pub at: i64,
}

impl Store {
    /// The current population's figures, from the rollups.
    pub async fn rfm_sources(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<RfmSource>> {
        sources(&sqlx::query(FROM_ROLLUPS).bind(tenant_id).fetch_all(&mut *conn).await?)
    }

    /// The population's figures as they stood at `as_of`, from the invoices and refunds.
    pub async fn rfm_sources_at(&self, conn: &mut Conn, tenant_id: i64, as_of: i64) -> Result<Vec<RfmSource>> {
        sources(&sqlx::query(FROM_FACTS).bind(tenant_id).bind(as_of).fetch_all(&mut *conn).await?)
    }

    /// The current figures of some customers (those outside the population are absent).
    pub async fn rfm_sources_of(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<Vec<RfmSource>> {
        let sql = format!("{FROM_ROLLUPS} AND customer_id IN ({{in}})");
        sources(&bulk::select_in(conn, &sql, tenant_id, bulk::ids(ids)).await?)
    }

    pub async fn stored_rfm(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashMap<i64, StoredRfm>> {
        let rows = bulk::select_in(
            conn,
            "SELECT customer_id, r, f, m, segment FROM customer_rfm WHERE tenant_id = $1 AND customer_id IN ({in})",
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok((r.try_get(0)?, StoredRfm { r: r.try_get(1)?, f: r.try_get(2)?, m: r.try_get(3)?, segment: r.try_get(4)? }))
            })
            .collect()
    }

    /// Writes changed scores, the profile's segment and, where the segment moved, a history line.
    pub async fn save_rfm(&self, conn: &mut Conn, tenant_id: i64, changes: &[RfmChange], at: i64) -> Result<()> {
        let scored: Vec<Vec<Val>> = changes
            .iter()
            .filter_map(|c| {
                c.after.as_ref().map(|s| {
                    vec![
                        Val::I(tenant_id),
                        Val::I(c.customer_id),
                        Val::I(s.r),
                        Val::I(s.f),
                        Val::I(s.m),
                        Val::T(s.segment.clone()),
                        Val::I(at),
                    ]
                })
            })
            .collect();
        if !scored.is_empty() {
            bulk::insert(
                conn,
                "customer_rfm",
                &["tenant_id", "customer_id", "r", "f", "m", "segment", "scored_at"],
                scored,
                "ON CONFLICT (tenant_id, customer_id) DO UPDATE SET r = excluded.r, f = excluded.f, m = excluded.m,
                 segment = excluded.segment, scored_at = excluded.scored_at",
            )
            .await?;
        }
        let unscored: Vec<i64> = changes.iter().filter(|c| c.after.is_none()).map(|c| c.customer_id).collect();
        let sql = "DELETE FROM customer_rfm WHERE tenant_id = $1 AND customer_id IN ({in})";
        bulk::execute_in_with(conn, sql, tenant_id, vec![], bulk::ids(&unscored)).await?;
        let moved: Vec<&RfmChange> =
            changes.iter().filter(|c| c.before.as_deref() != c.after.as_ref().map(|s| s.segment.as_str())).collect();
        let ids = self.allocate_ids(conn, moved.len()).await?;
        let history = moved
            .iter()
            .zip(ids)
            .map(|(c, id)| {
                vec![
                    Val::I(tenant_id),
                    Val::I(id),
                    Val::I(c.customer_id),
                    Val::OT(c.before.clone()),
                    Val::OT(c.after.as_ref().map(|s| s.segment.clone())),
                    Val::I(at),
                ]
            })
            .collect();
        bulk::insert(conn, "rfm_history", &["tenant_id", "id", "customer_id", "from_segment", "to_segment", "at"], history, "")
            .await?;
        // One statement per segment, not per customer: a batch moves thousands.
        let mut by_segment: BTreeMap<Option<&str>, Vec<i64>> = BTreeMap::new();
        for c in moved {
            by_segment.entry(c.after.as_ref().map(|s| s.segment.as_str())).or_default().push(c.customer_id);
        }
        for (segment, customers) in by_segment {
            let sql = "UPDATE customers SET rfm_segment = $2 WHERE tenant_id = $1 AND id IN ({in})";
            bulk::execute_in_with(conn, sql, tenant_id, vec![Val::OT(segment.map(String::from))], bulk::ids(&customers)).await?;
        }
        Ok(())
    }

    /// Customers with stored scores, by id after `after`: for passes over the whole table.
    pub async fn rfm_customer_ids_after(&self, conn: &mut Conn, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT customer_id FROM customer_rfm WHERE tenant_id = $1 AND customer_id > $2 ORDER BY customer_id LIMIT $3",
        )
        .bind(tenant_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn rfm_history(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64) -> Result<Vec<RfmMove>> {
        let rows = sqlx::query(
            "SELECT from_segment, to_segment, at FROM rfm_history WHERE tenant_id = $1 AND customer_id = $2 ORDER BY at DESC, id DESC LIMIT 100",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok(RfmMove { from: r.try_get(0)?, to: r.try_get(1)?, at: r.try_get(2)? })).collect()
    }

    /// Mobile and external ids (`source:id`, comma-separated) of some customers, for exports.
    pub async fn contact_keys(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        ids: &[i64],
    ) -> Result<HashMap<i64, (Option<String>, String)>> {
        let vals: Vec<Val> = bulk::ids(ids);
        let mobiles = bulk::select_in(
            conn,
            "SELECT id, mobile FROM customers WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            vals.clone(),
        )
        .await?;
        let mut out: HashMap<i64, (Option<String>, String)> = HashMap::with_capacity(ids.len());
        for r in &mobiles {
            out.insert(r.try_get(0)?, (r.try_get(1)?, String::new()));
        }
        let keys = bulk::select_in(
            conn,
            "SELECT customer_id, key FROM customer_identities WHERE tenant_id = $1 AND key LIKE 'x:%' AND customer_id IN ({in}) ORDER BY key",
            tenant_id,
            vals,
        )
        .await?;
        for r in &keys {
            let id: i64 = r.try_get(0)?;
            let key: String = r.try_get(1)?;
            if let Some((_, external)) = out.get_mut(&id) {
                if !external.is_empty() {
                    external.push(',');
                }
                external.push_str(key.strip_prefix("x:").unwrap_or(&key));
            }
        }
        Ok(out)
    }
}
