//! RFM: the figures scores are computed from, the scores kept per customer, and the history of
//! segment changes.

use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use crate::packed;
use crate::{Result, StoreError};
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

/// Customers per packed read of the whole population.
const PACKED_CHUNK: i64 = 100_000;

/// [`FROM_ROLLUPS`] for the customers after `$2` up to `$4`, at most `$3` of them, as one row: their number,
/// the last id, and each column as a comma-separated list in one order. Handing a million rows one
/// by one through the driver took ~1 µs each, several times what the database spends on them.
const PACKED_FROM_ROLLUPS: &str = "SELECT COUNT(*), MAX(customer_id), string_agg(CAST(customer_id AS TEXT), ','),
         string_agg(CAST(last_purchase_at AS TEXT), ','), string_agg(CAST(invoice_count AS TEXT), ','),
         string_agg(CAST(net_spend AS TEXT), ',')
     FROM (SELECT customer_id, COALESCE(last_purchase_at, 0) AS last_purchase_at, invoice_count, gross_spend - refund_total AS net_spend
           FROM customer_stats
           WHERE tenant_id = $1 AND invoice_count > refunded_invoice_count AND customer_id > $2 AND customer_id <= $4
           ORDER BY customer_id LIMIT $3) s";

/// Splits the packed lists of one chunk back into sources.
fn unpack(count: i64, lists: [Option<String>; 4]) -> Result<Vec<RfmSource>> {
    let corrupt = || StoreError::Corrupt("packed RFM lists of unequal length or holding a non-number".into());
    let mut cursors = packed::cursors(&lists);
    let mut out = Vec::with_capacity(count.max(0) as usize);
    for _ in 0..count {
        let mut v = [0i64; 4];
        for (slot, cursor) in v.iter_mut().zip(cursors.iter_mut()) {
            *slot = packed::next_int(cursor).ok_or_else(corrupt)?;
        }
        out.push(RfmSource { customer_id: v[0], last_purchase_at: v[1], invoices: v[2], net_spend: v[3] });
    }
    if !packed::all_read(&cursors) {
        return Err(corrupt());
    }
    Ok(out)
}

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
    /// The current population's figures, from the rollups, in customer id order.
    pub async fn rfm_sources(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<RfmSource>> {
        self.rfm_sources_in_chunks(conn, tenant_id, (i64::MIN, i64::MAX), PACKED_CHUNK).await
    }

    /// [`Store::rfm_sources`] read in `parts` ranges of customer ids side by side, each on a
    /// reading connection of its own (a million customers: ~0.6 s in one read on SQLite, ~0.35 s
    /// in two on two cores). Each part is a snapshot of its own, so a purchase committed while
    /// the parts start may count in one part and not in another: fit for the table "now", not for
    /// a figure that must match a single instant.
    pub async fn rfm_sources_side_by_side(&self, tenant_id: i64, parts: usize) -> Result<Vec<RfmSource>> {
        let mut conn = self.begin_read().await?;
        // Two sub-selects, each one step down the key: SQLite answers MIN and MAX together by a scan.
        let row = sqlx::query(
            "SELECT (SELECT MIN(customer_id) FROM customer_stats WHERE tenant_id = $1),
                    (SELECT MAX(customer_id) FROM customer_stats WHERE tenant_id = $1)",
        )
        .bind(tenant_id)
        .fetch_one(&mut *conn)
        .await?;
        drop(conn);
        let (Some(low), Some(high)): (Option<i64>, Option<i64>) = (row.try_get(0)?, row.try_get(1)?) else {
            return Ok(Vec::new());
        };
        let parts = parts.max(1) as i128;
        let bound = |k: i128| (i128::from(low) - 1 + (i128::from(high) - i128::from(low) + 1) * k / parts) as i64;
        let mut reads = tokio::task::JoinSet::new();
        for k in 0..parts {
            let (store, range) = (self.clone(), (bound(k), bound(k + 1)));
            reads.spawn(async move {
                let mut conn = store.begin_read().await?;
                Ok::<_, StoreError>((range.0, store.rfm_sources_in_chunks(&mut conn, tenant_id, range, PACKED_CHUNK).await?))
            });
        }
        let mut done = Vec::with_capacity(parts as usize);
        while let Some(part) = reads.join_next().await {
            done.push(part.map_err(|e| StoreError::Corrupt(format!("RFM read stopped: {e}")))??);
        }
        done.sort_unstable_by_key(|(start, _)| *start);
        Ok(done.into_iter().flat_map(|(_, rows)| rows).collect())
    }

    /// The population's customers in `(range.0, range.1]`, read `chunk` at a time, in id order.
    pub async fn rfm_sources_in_chunks(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        range: (i64, i64),
        chunk: i64,
    ) -> Result<Vec<RfmSource>> {
        let mut out = Vec::new();
        let mut after = range.0;
        loop {
            let row = sqlx::query(PACKED_FROM_ROLLUPS)
                .bind(tenant_id)
                .bind(after)
                .bind(chunk)
                .bind(range.1)
                .fetch_one(&mut *conn)
                .await?;
            let count: i64 = row.try_get(0)?;
            if count == 0 {
                return Ok(out);
            }
            after = row.try_get(1)?;
            out.extend(unpack(count, [row.try_get(2)?, row.try_get(3)?, row.try_get(4)?, row.try_get(5)?])?);
            if count < chunk {
                return Ok(out);
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_lists_unpack_exactly_or_not_at_all() {
        let lists = |a: &str, b: &str, c: &str, d: &str| [a, b, c, d].map(|l| Some(l.to_string()));
        let got = unpack(2, lists("7,9", "-86400000,1700000000000", "1,12", "0,-9223372036854775808")).unwrap();
        assert_eq!(
            got,
            vec![
                RfmSource { customer_id: 7, last_purchase_at: -86_400_000, invoices: 1, net_spend: 0 },
                RfmSource { customer_id: 9, last_purchase_at: 1_700_000_000_000, invoices: 12, net_spend: i64::MIN },
            ]
        );
        assert!(unpack(0, [None, None, None, None]).unwrap().is_empty());
        for bad in [
            lists("7,9", "1,2", "1", "0,0"),                      // a list short
            lists("7", "1,2", "1,1", "0,0"),                      // a list long
            lists("7,x", "1,2", "1,1", "0,0"),                    // not a number
            lists("7,", "1,2", "1,1", "0,0"),                     // empty value
            lists("7,9", "1,-", "1,1", "0,0"),                    // a sign alone
            lists("7,9", "1,99999999999999999999", "1,1", "0,0"), // past i64
        ] {
            assert!(unpack(2, bad.clone()).is_err(), "{bad:?}");
        }
    }
}
