//! The point ledger: point types, entries (earnings are lots), draws, balances, rule usage.

use crate::batch::Batch;
use crate::bulk::{self, Val, ts, ts_opt};
use crate::db::{Conn, Store};
use crate::packed;
use crate::{Result, StoreError};
use philia_domain::cap_usage::RulePoints;
use philia_domain::points::Lot;
use philia_domain::records::{LedgerEntry, PointBalance, PointTypeRecord};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

pub struct PointTypeRow {
    pub code: String,
    pub name: String,
    pub expiry: String,
    pub counts_for_tiers: bool,
    pub spendable: bool,
    pub warn_days: i64,
    pub cash_value: Option<i64>,
}

/// A ledger entry to write. `debt_change` is the debt a reversal added (positive) or an earning
/// paid off (negative); with the draws it makes every balance rebuildable from the entries.
pub struct EntryRow {
    pub id: i64,
    pub customer_id: i64,
    pub point_type_id: i64,
    pub kind: &'static str,
    pub points: i64,
    pub remaining: i64,
    pub debt_change: i64,
    pub at: i64,
    pub expires_at: Option<i64>,
    pub source_kind: &'static str,
    pub source_id: Option<i64>,
    pub ref_entry_id: Option<i64>,
    pub idem_key: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
    pub detail: Option<String>,
    pub created_at: i64,
}

/// A change to one balance row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BalanceDelta {
    pub balance: i64,
    pub debt: i64,
    pub earned: i64,
}

/// An earning of some source, with what reversals took back from it so far.
/// An earning with the points reversed against it so far.
const EARNING_SELECT: &str = "SELECT e.id, e.customer_id, e.point_type_id, e.points,
    CAST(COALESCE((SELECT -SUM(r.points) FROM point_entries r WHERE r.tenant_id = e.tenant_id AND r.ref_entry_id = e.id), 0) AS BIGINT)
    FROM point_entries e";

fn source_earning(r: &AnyRow) -> Result<SourceEarning> {
    Ok(SourceEarning {
        entry_id: r.try_get(0)?,
        customer_id: r.try_get(1)?,
        point_type_id: r.try_get(2)?,
        points: r.try_get(3)?,
        reversed: r.try_get(4)?,
    })
}

pub struct SourceEarning {
    pub entry_id: i64,
    pub customer_id: i64,
    pub point_type_id: i64,
    pub points: i64,
    pub reversed: i64,
}

/// A lot due to be announced as expiring.
pub struct ExpiringLot {
    pub tenant_id: i64,
    pub lot_id: i64,
    pub customer_id: i64,
    pub point_type: String,
    pub remaining: i64,
    pub expires_at: i64,
}

const ENTRY_COLUMNS: [&str; 19] = [
    "tenant_id",
    "id",
    "customer_id",
    "point_type_id",
    "kind",
    "points",
    "remaining",
    "debt_change",
    "at",
    "expires_at",
    "warned",
    "source_kind",
    "source_id",
    "ref_entry_id",
    "idem_key",
    "reason",
    "actor",
    "detail",
    "created_at",
];

fn point_type(r: &AnyRow) -> Result<(i64, PointTypeRecord)> {
    let expiry: String = r.try_get("expiry")?;
    Ok((
        r.try_get("id")?,
        PointTypeRecord {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            expiry: serde_json::from_str(&expiry).map_err(|e| crate::StoreError::Corrupt(format!("point type expiry: {e}")))?,
            counts_for_tiers: r.try_get::<i64, _>("counts_for_tiers")? != 0,
            spendable: r.try_get::<i64, _>("spendable")? != 0,
            warn_days: r.try_get::<i64, _>("warn_days")? as u32,
            cash_value: r.try_get("cash_value")?,
        },
    ))
}

fn ledger_entry(r: &AnyRow) -> Result<LedgerEntry> {
    Ok(LedgerEntry {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        point_type: r.try_get("code")?,
        kind: r.try_get("kind")?,
        points: r.try_get("points")?,
        remaining: r.try_get("remaining")?,
        at: ts(r.try_get("at")?),
        expires_at: ts_opt(r.try_get("expires_at")?),
        source: r.try_get("source_kind")?,
        source_id: r.try_get("source_id")?,
        reverses: r.try_get("ref_entry_id")?,
        idempotency_key: r.try_get("idem_key")?,
        reason: r.try_get("reason")?,
        actor: r.try_get("actor")?,
        detail: r.try_get::<Option<String>, _>("detail")?.and_then(|d| serde_json::from_str(&d).ok()),
    })
}

const LEDGER_SELECT: &str =
    "SELECT e.id, e.customer_id, t.code, e.kind, e.points, e.remaining, e.at, e.expires_at, e.source_kind,
    e.source_id, e.ref_entry_id, e.idem_key, e.reason, e.actor, e.detail
    FROM point_entries e JOIN point_types t ON t.tenant_id = e.tenant_id AND t.id = e.point_type_id";

impl Store {
    /// Inserts a point type; false when the code is taken.
    pub async fn insert_point_type(&self, conn: &mut Conn, tenant_id: i64, id: i64, t: &PointTypeRow, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO point_types (tenant_id, id, code, name, expiry, counts_for_tiers, spendable, warn_days, created_at, updated_at, cash_value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) ON CONFLICT (tenant_id, code) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(&t.code)
        .bind(&t.name)
        .bind(&t.expiry)
        .bind(t.counts_for_tiers as i64)
        .bind(t.spendable as i64)
        .bind(t.warn_days)
        .bind(now)
        .bind(t.cash_value)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Updates a point type by code; false when there is none. New settings apply to points
    /// earned from now on.
    pub async fn update_point_type(&self, conn: &mut Conn, tenant_id: i64, t: &PointTypeRow, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE point_types SET name = $3, expiry = $4, counts_for_tiers = $5, spendable = $6, warn_days = $7, updated_at = $8,
                cash_value = $9 WHERE tenant_id = $1 AND code = $2",
        )
        .bind(tenant_id)
        .bind(&t.code)
        .bind(&t.name)
        .bind(&t.expiry)
        .bind(t.counts_for_tiers as i64)
        .bind(t.spendable as i64)
        .bind(t.warn_days)
        .bind(now)
        .bind(t.cash_value)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// The tenant's point types by id.
    pub async fn point_types(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<(i64, PointTypeRecord)>> {
        let rows = sqlx::query(
            "SELECT id, code, name, expiry, counts_for_tiers, spendable, warn_days, cash_value FROM point_types WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(point_type).collect()
    }

    pub async fn insert_entries(&self, conn: &mut Conn, tenant_id: i64, entries: Vec<EntryRow>) -> Result<()> {
        let mut b = self.batch();
        self.insert_entries_into(&mut b, tenant_id, entries);
        b.run(conn).await?;
        Ok(())
    }

    pub fn insert_entries_into(&self, b: &mut Batch, tenant_id: i64, entries: Vec<EntryRow>) {
        let rows = entries
            .into_iter()
            .map(|e| {
                vec![
                    Val::I(tenant_id),
                    Val::I(e.id),
                    Val::I(e.customer_id),
                    Val::I(e.point_type_id),
                    Val::T(e.kind.into()),
                    Val::I(e.points),
                    Val::I(e.remaining),
                    Val::I(e.debt_change),
                    Val::I(e.at),
                    e.expires_at.into(),
                    Val::I(0),
                    Val::T(e.source_kind.into()),
                    e.source_id.into(),
                    e.ref_entry_id.into(),
                    e.idem_key.into(),
                    e.reason.into(),
                    e.actor.into(),
                    e.detail.into(),
                    Val::I(e.created_at),
                ]
            })
            .collect();
        b.insert("point_entries", &ENTRY_COLUMNS, rows, "");
    }

    /// Records which lots a debit drew from: (entry, lot, points).
    pub async fn insert_draws(&self, conn: &mut Conn, tenant_id: i64, draws: Vec<(i64, i64, i64)>) -> Result<()> {
        let mut b = self.batch();
        self.insert_draws_into(&mut b, tenant_id, draws);
        b.run(conn).await?;
        Ok(())
    }

    pub fn insert_draws_into(&self, b: &mut Batch, tenant_id: i64, draws: Vec<(i64, i64, i64)>) {
        let rows = draws.into_iter().map(|(e, l, p)| vec![Val::I(tenant_id), Val::I(e), Val::I(l), Val::I(p)]).collect();
        b.insert("point_draws", &["tenant_id", "entry_id", "lot_id", "points"], rows, "");
    }

    /// Sets what is left of lots after draws.
    pub async fn set_lot_remaining(&self, conn: &mut Conn, tenant_id: i64, lots: &[(i64, i64)]) -> Result<()> {
        let mut b = self.batch();
        self.set_lot_remaining_into(&mut b, tenant_id, lots);
        b.run(conn).await?;
        Ok(())
    }

    pub fn set_lot_remaining_into(&self, b: &mut Batch, tenant_id: i64, lots: &[(i64, i64)]) {
        for (id, remaining) in lots {
            b.push(
                "UPDATE point_entries SET remaining = $3 WHERE tenant_id = $1 AND id = $2",
                vec![Val::I(tenant_id), Val::I(*id), Val::I(*remaining)],
            );
        }
    }

    /// The balance rows of these (customer, point type) accounts, locked until commit on
    /// PostgreSQL in key order. Accounts without a row are absent.
    pub async fn lock_balances(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customers: &[i64],
    ) -> Result<HashMap<(i64, i64), (i64, i64, i64)>> {
        let mut ids = customers.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let sql = format!(
            "SELECT customer_id, point_type_id, balance, debt, earned FROM point_balances WHERE tenant_id = $1 AND customer_id IN ({{in}})
             ORDER BY customer_id, point_type_id{}",
            self.lock_suffix()
        );
        let rows = bulk::select_in(conn, &sql, tenant_id, ids.into_iter().map(Val::I).collect()).await?;
        rows.iter().map(|r| Ok(((r.try_get(0)?, r.try_get(1)?), (r.try_get(2)?, r.try_get(3)?, r.try_get(4)?)))).collect()
    }

    /// Makes sure the balance row of one account exists and locks it (on PostgreSQL, until
    /// commit), in one statement; returns the account's debt. A writer that reads lots holds the
    /// lock of their account first.
    pub async fn lock_account(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64, point_type_id: i64) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO point_balances (tenant_id, customer_id, point_type_id, balance, debt, earned) VALUES ($1, $2, $3, 0, 0, 0)
             ON CONFLICT (tenant_id, customer_id, point_type_id) DO UPDATE SET debt = point_balances.debt RETURNING debt",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(point_type_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Adds to balances (creating rows as needed): safe beside concurrent writers of the same row.
    pub async fn add_balances(&self, conn: &mut Conn, tenant_id: i64, deltas: Vec<((i64, i64), BalanceDelta)>) -> Result<()> {
        let mut b = self.batch();
        self.add_balances_into(&mut b, tenant_id, deltas);
        b.run(conn).await?;
        Ok(())
    }

    pub fn add_balances_into(&self, b: &mut Batch, tenant_id: i64, deltas: Vec<((i64, i64), BalanceDelta)>) {
        let rows = deltas
            .into_iter()
            .map(|((c, t), d)| vec![Val::I(tenant_id), Val::I(c), Val::I(t), Val::I(d.balance), Val::I(d.debt), Val::I(d.earned)])
            .collect();
        b.insert(
            "point_balances",
            &["tenant_id", "customer_id", "point_type_id", "balance", "debt", "earned"],
            rows,
            "ON CONFLICT (tenant_id, customer_id, point_type_id) DO UPDATE SET balance = point_balances.balance + excluded.balance,
             debt = point_balances.debt + excluded.debt, earned = point_balances.earned + excluded.earned",
        );
    }

    /// The open lots of one account, and its debt.
    pub async fn account(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customer_id: i64,
        point_type_id: i64,
    ) -> Result<(Vec<Lot>, i64)> {
        let lots = self.open_lots(conn, tenant_id, customer_id, point_type_id).await?;
        let debt: Option<i64> =
            sqlx::query("SELECT debt FROM point_balances WHERE tenant_id = $1 AND customer_id = $2 AND point_type_id = $3")
                .bind(tenant_id)
                .bind(customer_id)
                .bind(point_type_id)
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        Ok((lots, debt.unwrap_or(0)))
    }

    /// The lots of one account with points left.
    pub async fn open_lots(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64, point_type_id: i64) -> Result<Vec<Lot>> {
        let rows = sqlx::query(
            "SELECT id, remaining, at, expires_at FROM point_entries
             WHERE tenant_id = $1 AND customer_id = $2 AND point_type_id = $3 AND remaining > 0",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(point_type_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| Ok(Lot { id: r.try_get(0)?, remaining: r.try_get(1)?, earned_at: r.try_get(2)?, expires_at: r.try_get(3)? }))
            .collect()
    }

    /// The lots a debit drew from: (lot, points, lot's expiry).
    pub async fn draws_of_entry(&self, conn: &mut Conn, tenant_id: i64, entry_id: i64) -> Result<Vec<(i64, i64, Option<i64>)>> {
        let rows = sqlx::query(
            "SELECT d.lot_id, d.points, l.expires_at FROM point_draws d JOIN point_entries l ON l.tenant_id = d.tenant_id AND l.id = d.lot_id
             WHERE d.tenant_id = $1 AND d.entry_id = $2 ORDER BY d.lot_id",
        )
        .bind(tenant_id)
        .bind(entry_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// Points given back so far against a spend entry.
    pub async fn returned_against(&self, conn: &mut Conn, tenant_id: i64, spend_entry: i64) -> Result<i64> {
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM point_entries WHERE tenant_id = $1 AND ref_entry_id = $2 AND kind = 'return'",
        )
        .bind(tenant_id)
        .bind(spend_entry)
        .fetch_one(&mut *conn)
        .await?;
        Ok(r.try_get(0)?)
    }

    /// The entry recorded under an idempotency key, if any.
    pub async fn entry_by_key(&self, conn: &mut Conn, tenant_id: i64, key: &str) -> Result<Option<LedgerEntry>> {
        let sql = format!("{LEDGER_SELECT} WHERE e.tenant_id = $1 AND e.idem_key = $2");
        bulk::query(sql, vec![Val::I(tenant_id), Val::T(key.into())])
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| ledger_entry(&r))
            .transpose()
    }

    /// Earnings caused by one source (an invoice), with what was reversed of each so far.
    pub async fn earnings_of_source(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        kind: &str,
        source_id: i64,
    ) -> Result<Vec<SourceEarning>> {
        let sql = format!(
            "{EARNING_SELECT} WHERE e.tenant_id = $1 AND e.source_kind = $2 AND e.source_id = $3 AND e.kind = 'earn' ORDER BY e.id"
        );
        let rows =
            bulk::query(sql, vec![Val::I(tenant_id), Val::T(kind.into()), Val::I(source_id)]).fetch_all(&mut *conn).await?;
        rows.iter().map(source_earning).collect()
    }

    /// The earning recorded under an idempotency key (a mission's reward), with what was
    /// reversed of it so far.
    pub async fn earning_by_key(&self, conn: &mut Conn, tenant_id: i64, key: &str) -> Result<Option<SourceEarning>> {
        let sql = format!("{EARNING_SELECT} WHERE e.tenant_id = $1 AND e.idem_key = $2 AND e.kind = 'earn'");
        bulk::query(sql, vec![Val::I(tenant_id), Val::T(key.into())])
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| source_earning(&r))
            .transpose()
    }

    /// Balances of one customer, per point type, with what expires soon.
    pub async fn balances_of(&self, tenant_id: i64, customer_id: i64, now: i64) -> Result<Vec<PointBalance>> {
        let rows = sqlx::query(
            "SELECT t.code, b.balance, b.debt, b.earned,
                CAST(COALESCE((SELECT SUM(l.remaining) FROM point_entries l WHERE l.tenant_id = b.tenant_id AND l.customer_id = b.customer_id
                    AND l.point_type_id = b.point_type_id AND l.remaining > 0 AND l.expires_at IS NOT NULL
                    AND l.expires_at <= $3 + t.warn_days * 86400000), 0) AS BIGINT) AS soon,
                (SELECT MIN(l.expires_at) FROM point_entries l WHERE l.tenant_id = b.tenant_id AND l.customer_id = b.customer_id
                    AND l.point_type_id = b.point_type_id AND l.remaining > 0) AS next_expiry
             FROM point_balances b JOIN point_types t ON t.tenant_id = b.tenant_id AND t.id = b.point_type_id
             WHERE b.tenant_id = $1 AND b.customer_id = $2 ORDER BY t.id",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PointBalance {
                    point_type: r.try_get(0)?,
                    balance: r.try_get(1)?,
                    debt: r.try_get(2)?,
                    earned: r.try_get(3)?,
                    expiring_soon: r.try_get(4)?,
                    next_expiry: ts_opt(r.try_get(5)?),
                })
            })
            .collect()
    }

    /// A customer's ledger, newest first, optionally of one point type, before an entry id.
    pub async fn ledger(
        &self,
        tenant_id: i64,
        customer_id: i64,
        point_type_id: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>> {
        let sql = format!(
            "{LEDGER_SELECT} WHERE e.tenant_id = $1 AND e.customer_id = $2 AND ($3 IS NULL OR e.point_type_id = $3)
             AND ($4 IS NULL OR e.id < $4) ORDER BY e.id DESC LIMIT $5"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(customer_id)
            .bind(point_type_id)
            .bind(before)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(ledger_entry).collect()
    }

    /// Accounts (tenant, customer, point type) holding lots that expired by `now`.
    pub async fn accounts_with_due_lots(&self, now: i64, tenant_id: Option<i64>, limit: i64) -> Result<Vec<(i64, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT tenant_id, customer_id, point_type_id FROM point_entries
             WHERE remaining > 0 AND expires_at IS NOT NULL AND expires_at <= $1 AND ($3 IS NULL OR tenant_id = $3) LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// Open lots that enter their type's warning period by `now` and were not announced yet.
    pub async fn lots_to_warn(&self, conn: &mut Conn, now: i64, tenant_id: Option<i64>, limit: i64) -> Result<Vec<ExpiringLot>> {
        let rows = sqlx::query(
            "SELECT e.tenant_id, e.id, e.customer_id, t.code, e.remaining, e.expires_at FROM point_entries e
             JOIN point_types t ON t.tenant_id = e.tenant_id AND t.id = e.point_type_id
             WHERE e.remaining > 0 AND e.expires_at IS NOT NULL AND e.expires_at > $1 AND e.warned = 0 AND t.warn_days > 0
               AND e.expires_at <= $1 + t.warn_days * 86400000 AND ($3 IS NULL OR e.tenant_id = $3)
             ORDER BY e.expires_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExpiringLot {
                    tenant_id: r.try_get(0)?,
                    lot_id: r.try_get(1)?,
                    customer_id: r.try_get(2)?,
                    point_type: r.try_get(3)?,
                    remaining: r.try_get(4)?,
                    expires_at: r.try_get(5)?,
                })
            })
            .collect()
    }

    pub async fn mark_warned(&self, conn: &mut Conn, lots: &[(i64, i64)]) -> Result<()> {
        for (tenant_id, id) in lots {
            sqlx::query("UPDATE point_entries SET warned = 1 WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// What the capped rules gave customers in periods, for each `(customer, period)` asked
    /// that has any. A batch of invoices asks for tens of thousands, so they come packed
    /// ([`crate::packed`]); each pair is one look-up of the key.
    pub async fn cap_usage(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        pairs: Vec<(i64, String)>,
    ) -> Result<HashMap<(i64, String), RulePoints>> {
        if pairs.is_empty() {
            return Ok(HashMap::new());
        }
        // `CROSS JOIN` keeps SQLite from scanning the usage table for the pairs.
        let sql = "WITH b (customer_id, period) AS (VALUES {in})
             SELECT COUNT(*), string_agg(CAST(u.customer_id AS TEXT), ','), string_agg(u.period, ','), string_agg(u.used, ',')
             FROM b CROSS JOIN cap_usage u WHERE u.tenant_id = $1 AND u.customer_id = b.customer_id AND u.period = b.period";
        let wanted = pairs.into_iter().map(|(c, p)| vec![Val::I(c), Val::T(p)]).collect();
        let mut out = HashMap::new();
        for r in bulk::select_in_rows(conn, sql, tenant_id, wanted).await? {
            let lists = [r.try_get(1)?, r.try_get(2)?, r.try_get(3)?];
            unpack_usage(r.try_get(0)?, &lists, &mut out)?;
        }
        Ok(out)
    }

    /// Stores the whole usage of each `(customer, period)`. The caller read it in the same
    /// transaction while holding the customers' statistics rows, which serialises writers of
    /// one customer, so writing the sums over what is stored loses nothing.
    pub async fn write_cap_usage(&self, conn: &mut Conn, tenant_id: i64, usage: Vec<((i64, String), String)>) -> Result<()> {
        let rows = usage.into_iter().map(|((c, p), used)| vec![Val::I(tenant_id), Val::I(c), Val::T(p), Val::T(used)]).collect();
        bulk::insert(
            conn,
            "cap_usage",
            &["tenant_id", "customer_id", "period", "used"],
            rows,
            "ON CONFLICT (tenant_id, customer_id, period) DO UPDATE SET used = excluded.used",
        )
        .await?;
        Ok(())
    }

    /// Moves the points of a merged customer to the survivor: entries, balances and cap usage.
    pub async fn merge_points(&self, conn: &mut Conn, tenant_id: i64, from: i64, to: i64) -> Result<()> {
        sqlx::query("UPDATE point_entries SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2")
            .bind(tenant_id)
            .bind(from)
            .bind(to)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO point_balances (tenant_id, customer_id, point_type_id, balance, debt, earned)
             SELECT tenant_id, $3, point_type_id, balance, debt, earned FROM point_balances WHERE tenant_id = $1 AND customer_id = $2
             ON CONFLICT (tenant_id, customer_id, point_type_id) DO UPDATE SET balance = point_balances.balance + excluded.balance,
                debt = point_balances.debt + excluded.debt, earned = point_balances.earned + excluded.earned",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(to)
        .execute(&mut *conn)
        .await?;
        // The survivor's counters in each period are the sums of both customers'.
        let rows =
            sqlx::query("SELECT customer_id, period, used FROM cap_usage WHERE tenant_id = $1 AND customer_id IN ($2, $3)")
                .bind(tenant_id)
                .bind(from)
                .bind(to)
                .fetch_all(&mut *conn)
                .await?;
        let mut summed: std::collections::BTreeMap<String, RulePoints> = Default::default();
        for r in &rows {
            let used: String = r.try_get(2)?;
            let used = RulePoints::parse(&used).ok_or_else(|| StoreError::Corrupt(format!("cap usage {used:?}")))?;
            summed.entry(r.try_get(1)?).or_default().merge(&used);
        }
        let merged = summed.into_iter().filter(|(_, u)| !u.is_empty()).map(|(p, u)| ((to, p), u.text())).collect();
        self.write_cap_usage(conn, tenant_id, merged).await?;
        for table in ["point_balances", "cap_usage"] {
            bulk::dynamic(format!("DELETE FROM {table} WHERE tenant_id = $1 AND customer_id = $2"))
                .bind(tenant_id)
                .bind(from)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Recomputes balances and what is left of every lot from the entries and draws alone.
    pub async fn rebuild_points(&self, conn: &mut Conn, tenant_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE point_entries SET remaining = points + debt_change - COALESCE((SELECT SUM(d.points) FROM point_draws d
                WHERE d.tenant_id = point_entries.tenant_id AND d.lot_id = point_entries.id), 0)
             WHERE tenant_id = $1 AND points > 0 AND kind IN ('earn', 'adjust', 'return', 'transfer')",
        )
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
        sqlx::query("DELETE FROM point_balances WHERE tenant_id = $1").bind(tenant_id).execute(&mut *conn).await?;
        sqlx::query(
            "INSERT INTO point_balances (tenant_id, customer_id, point_type_id, balance, debt, earned)
             SELECT tenant_id, customer_id, point_type_id, SUM(points), SUM(debt_change),
                SUM(CASE WHEN kind IN ('earn', 'adjust', 'reverse') THEN points ELSE 0 END)
             FROM point_entries WHERE tenant_id = $1 GROUP BY tenant_id, customer_id, point_type_id",
        )
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Every balance and open lot of a tenant as text, to compare states in tests.
    pub async fn points_snapshot(&self, tenant_id: i64) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for sql in [
            "SELECT customer_id, point_type_id, balance, debt, earned FROM point_balances WHERE tenant_id = $1
             ORDER BY customer_id, point_type_id",
            "SELECT id, customer_id, point_type_id, remaining, 0 FROM point_entries WHERE tenant_id = $1 AND remaining <> 0 ORDER BY id",
        ] {
            for r in sqlx::query(sql).bind(tenant_id).fetch_all(self.pool()).await? {
                let v: Vec<i64> = (0..5).map(|i| r.try_get::<i64, _>(i)).collect::<std::result::Result<_, _>>()?;
                out.push(format!("{v:?}"));
            }
        }
        Ok(out)
    }
}

/// Adds the usage rows packed in `lists` (customer, period, counters) to `out`.
fn unpack_usage(count: i64, lists: &[Option<String>; 3], out: &mut HashMap<(i64, String), RulePoints>) -> Result<()> {
    let corrupt = || StoreError::Corrupt("packed cap usage lists of unequal length or holding a bad value".into());
    let [mut customers, mut periods, mut used] = packed::cursors(lists);
    for _ in 0..count {
        let customer = packed::next_int(&mut customers).ok_or_else(corrupt)?;
        let period = packed::next_text(&mut periods).ok_or_else(corrupt)?;
        let used = packed::next_text(&mut used).and_then(RulePoints::parse).ok_or_else(corrupt)?;
        out.insert((customer, period.to_string()), used);
    }
    if !packed::all_read(&[customers, periods, used]) {
        return Err(corrupt());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_usage_unpacks_exactly_or_not_at_all() {
        let lists = |a: &str, b: &str, c: &str| [a, b, c].map(|l| Some(l.to_string()));
        let mut out = HashMap::new();
        unpack_usage(2, &lists("7,9", "d2026-01-03,all", "3:10;4:2,4:-5"), &mut out).unwrap();
        unpack_usage(0, &[None, None, None], &mut out).unwrap();
        let used = |t: &str| RulePoints::parse(t).unwrap();
        let expected: HashMap<(i64, String), RulePoints> =
            [((7, "d2026-01-03".to_string()), used("3:10;4:2")), ((9, "all".to_string()), used("4:-5"))].into_iter().collect();
        assert_eq!(out, expected);
        for bad in [
            lists("7,9", "d1", "3:1,3:1"),        // a list short
            lists("7,9,11", "d1,all", "3:1,3:1"), // a list long
            lists("7,9", "d1,", "3:1,3:1"),       // an empty period
            lists("7,9", "d1,all", "3:1,3:x"),    // not a number
            lists("7,9", "d1,all", "3:1,"),       // no usage
        ] {
            assert!(unpack_usage(2, &bad, &mut HashMap::new()).is_err(), "{bad:?}");
        }
    }
}
