//! Missions and each customer's progress in them.

use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use crate::{Result, StoreError, packed};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

pub struct MissionRow {
    pub id: i64,
    pub code: String,
    pub body: String,
    /// When the mission was created: facts from before it never count.
    pub created_at: i64,
}

/// A customer's progress in one period of a mission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressRow {
    pub mission_id: i64,
    pub customer_id: i64,
    pub period: String,
    pub step: i64,
    pub current: i64,
    /// JSON array of the values a distinct step counted.
    pub seen: String,
    /// `active`, `completed` or `expired`.
    pub status: String,
    pub joined_at: i64,
    pub deadline_at: Option<i64>,
    pub completed_at: Option<i64>,
    /// JSON array of facts kept before `facts` (rows written before facts were kept as lines).
    pub counted: String,
    /// JSON lines of the facts kept after `counted`; empty when read without them. When saved:
    /// the new facts (append) or all of them (replace).
    pub facts: String,
    /// How many facts kept as lines counted toward progress and how many are in reserve.
    pub facts_counted: i64,
    pub facts_reserved: i64,
    /// How many times a refund undid steps already done.
    pub refund_round: i64,
}

/// How saved progress treats the facts it kept before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactsWrite {
    /// `facts` holds only new facts, added after those stored (a batch of purchases and events).
    Append,
    /// `counted` and `facts` hold every kept fact (a refund rebuilt the progress).
    Replace,
}

/// Participation in a mission over a period.
pub struct Funnel {
    pub started: i64,
    /// Customers who finished at least k+1 steps, for each step k.
    pub steps_done: Vec<i64>,
    pub completed: i64,
    pub expired: i64,
}

const PROGRESS_COLUMNS: &str = "mission_id, customer_id, period, step, current, seen, status, joined_at, deadline_at, completed_at, \
     counted, facts, facts_counted, facts_reserved, refund_round";

/// The columns of a progress row without its facts kept as lines (their number is enough to take
/// new facts).
const PROGRESS_STATE_COLUMNS: &str = "mission_id, customer_id, period, step, current, seen, status, joined_at, deadline_at, \
     completed_at, counted, '', facts_counted, facts_reserved, refund_round";

fn progress(r: &AnyRow) -> Result<ProgressRow> {
    progress_from(r, 0)
}

/// A progress row whose columns start at index `o` of the result.
fn progress_from(r: &AnyRow, o: usize) -> Result<ProgressRow> {
    Ok(ProgressRow {
        mission_id: r.try_get(o)?,
        customer_id: r.try_get(o + 1)?,
        period: r.try_get(o + 2)?,
        step: r.try_get(o + 3)?,
        current: r.try_get(o + 4)?,
        seen: r.try_get(o + 5)?,
        status: r.try_get(o + 6)?,
        joined_at: r.try_get(o + 7)?,
        deadline_at: r.try_get(o + 8)?,
        completed_at: r.try_get(o + 9)?,
        counted: r.try_get(o + 10)?,
        facts: r.try_get(o + 11)?,
        facts_counted: r.try_get(o + 12)?,
        facts_reserved: r.try_get(o + 13)?,
        refund_round: r.try_get(o + 14)?,
    })
}

/// What stands for a comma inside the JSON texts of a packed read (JSON escapes every control
/// character inside its strings, so the unit separator never occurs in it).
const COMMA_IN_JSON: char = '\u{1f}';

/// The columns of a progress row without its facts, as comma-separated lists (see
/// [`crate::packed`]); `$2` is [`COMMA_IN_JSON`], missing times are empty pieces.
const PACKED_PROGRESS: &str = "COUNT(*), string_agg(CAST(mission_id AS TEXT), ','), string_agg(CAST(customer_id AS TEXT), ','),
     string_agg(period, ','), string_agg(CAST(step AS TEXT), ','), string_agg(CAST(current AS TEXT), ','),
     string_agg(replace(seen, ',', $2), ','), string_agg(status, ','), string_agg(CAST(joined_at AS TEXT), ','),
     string_agg(COALESCE(CAST(deadline_at AS TEXT), ''), ','), string_agg(COALESCE(CAST(completed_at AS TEXT), ''), ','),
     string_agg(replace(counted, ',', $2), ','), string_agg(CAST(facts_counted AS TEXT), ','),
     string_agg(CAST(facts_reserved AS TEXT), ','), string_agg(CAST(refund_round AS TEXT), ',')";

/// `columns` of these customers' progress in these missions and periods; `leading` are the
/// parameters after `$1` that `columns` may use as `$2, …`. No rows when nothing can match.
async fn select_progress(
    conn: &mut Conn,
    tenant_id: i64,
    columns: &str,
    leading: Vec<Val>,
    missions: &[i64],
    periods: &[String],
    customers: &[i64],
) -> Result<Vec<AnyRow>> {
    if missions.is_empty() || customers.is_empty() || periods.is_empty() {
        return Ok(Vec::new());
    }
    let list = missions.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(", ");
    // `+mission_id` keeps SQLite on the customer index: probing the primary key for every
    // mission × customer × period is several times slower than reading each customer's rows.
    let sql = format!(
        "SELECT {columns} FROM mission_progress WHERE tenant_id = $1 AND +mission_id IN ({list})
         AND period IN ({}) AND customer_id IN ({{in}})",
        crate::db::placeholders(2 + leading.len(), periods.len())
    );
    let mut params = leading;
    params.extend(periods.iter().map(|p| Val::T(p.clone())));
    bulk::select_in_with(conn, &sql, tenant_id, params, bulk::ids(customers)).await
}

/// Progress rows from one packed read ([`PACKED_PROGRESS`]): `count` rows, one list per column.
fn unpack_progress(count: i64, lists: &[Option<String>; 14], out: &mut Vec<ProgressRow>) -> Result<()> {
    let corrupt = || StoreError::Corrupt("packed progress lists of unequal length or holding a bad value".into());
    let mut cursors = packed::cursors(lists);
    let [
        mission,
        customer,
        period,
        step,
        current,
        seen,
        status,
        joined,
        deadline,
        completed,
        counted,
        facts_counted,
        facts_reserved,
        round,
    ] = &mut cursors;
    let json = |t: &str| t.replace(COMMA_IN_JSON, ",");
    for _ in 0..count {
        out.push(ProgressRow {
            mission_id: packed::next_int(mission).ok_or_else(corrupt)?,
            customer_id: packed::next_int(customer).ok_or_else(corrupt)?,
            period: packed::next_text(period).ok_or_else(corrupt)?.to_string(),
            step: packed::next_int(step).ok_or_else(corrupt)?,
            current: packed::next_int(current).ok_or_else(corrupt)?,
            seen: packed::next_text(seen).map(json).ok_or_else(corrupt)?,
            status: packed::next_text(status).ok_or_else(corrupt)?.to_string(),
            joined_at: packed::next_int(joined).ok_or_else(corrupt)?,
            deadline_at: packed::next_opt_int(deadline).ok_or_else(corrupt)?,
            completed_at: packed::next_opt_int(completed).ok_or_else(corrupt)?,
            counted: packed::next_text(counted).map(json).ok_or_else(corrupt)?,
            facts: String::new(),
            facts_counted: packed::next_int(facts_counted).ok_or_else(corrupt)?,
            facts_reserved: packed::next_int(facts_reserved).ok_or_else(corrupt)?,
            refund_round: packed::next_int(round).ok_or_else(corrupt)?,
        });
    }
    if !packed::all_read(&cursors) {
        return Err(corrupt());
    }
    Ok(())
}

/// The columns a progress row is written with, in the order of [`progress_values`].
const PROGRESS_WRITTEN: [&str; 17] = [
    "tenant_id",
    "mission_id",
    "customer_id",
    "period",
    "step",
    "current",
    "seen",
    "status",
    "joined_at",
    "deadline_at",
    "completed_at",
    "counted",
    "facts",
    "facts_counted",
    "facts_reserved",
    "refund_round",
    "updated_at",
];

fn progress_values(tenant_id: i64, p: ProgressRow, now: i64) -> Vec<Val> {
    vec![
        Val::I(tenant_id),
        Val::I(p.mission_id),
        Val::I(p.customer_id),
        Val::T(p.period),
        Val::I(p.step),
        Val::I(p.current),
        Val::T(p.seen),
        Val::T(p.status),
        Val::I(p.joined_at),
        Val::OI(p.deadline_at),
        Val::OI(p.completed_at),
        Val::T(p.counted),
        Val::T(p.facts),
        Val::I(p.facts_counted),
        Val::I(p.facts_reserved),
        Val::I(p.refund_round),
        Val::I(now),
    ]
}

fn mission(r: &AnyRow) -> Result<MissionRow> {
    Ok(MissionRow { id: r.try_get(0)?, code: r.try_get(1)?, body: r.try_get(2)?, created_at: r.try_get(3)? })
}

impl Store {
    pub async fn insert_mission(&self, conn: &mut Conn, tenant_id: i64, m: &MissionRow, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO missions (tenant_id, id, code, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (tenant_id, code) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(m.id)
        .bind(&m.code)
        .bind(&m.body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn update_mission(&self, conn: &mut Conn, tenant_id: i64, id: i64, body: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE missions SET body = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .bind(body)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn mission_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<MissionRow>> {
        let row = sqlx::query("SELECT id, code, body, created_at FROM missions WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| mission(&r)).transpose()
    }

    pub async fn missions(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<MissionRow>> {
        let rows = sqlx::query("SELECT id, code, body, created_at FROM missions WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant_id)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(mission).collect()
    }

    /// Progress rows of these customers in these missions, in the given periods only (a
    /// repeatable mission keeps a row per period; a batch needs the periods of its facts), with
    /// every fact they keep: for rebuilding progress after a refund.
    pub async fn progress_of(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        missions: &[i64],
        periods: &[String],
        customers: &[i64],
    ) -> Result<Vec<ProgressRow>> {
        let rows = select_progress(conn, tenant_id, PROGRESS_COLUMNS, Vec::new(), missions, periods, customers).await?;
        rows.iter().map(progress).collect()
    }

    /// Like [`Store::progress_of`] without the facts kept as lines (only their number: enough to
    /// add new facts), read packed: a batch of purchases reads tens of thousands of rows.
    pub async fn progress_states_of(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        missions: &[i64],
        periods: &[String],
        customers: &[i64],
    ) -> Result<Vec<ProgressRow>> {
        let comma = vec![Val::T(COMMA_IN_JSON.to_string())];
        let mut out = Vec::new();
        for r in select_progress(conn, tenant_id, PACKED_PROGRESS, comma, missions, periods, customers).await? {
            let mut lists: [Option<String>; 14] = Default::default();
            for (i, list) in lists.iter_mut().enumerate() {
                *list = r.try_get(i + 1)?;
            }
            unpack_progress(r.try_get(0)?, &lists, &mut out)?;
        }
        Ok(out)
    }

    /// Every progress row of a customer.
    pub async fn customer_progress(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64) -> Result<Vec<ProgressRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PROGRESS_STATE_COLUMNS} FROM mission_progress WHERE tenant_id = $1 AND customer_id = $2 ORDER BY mission_id, period"
        )))
        .bind(tenant_id)
        .bind(customer_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(progress).collect()
    }

    /// Writes progress rows, new or changed, with the facts they keep.
    pub async fn save_progress(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        rows: Vec<ProgressRow>,
        facts: FactsWrite,
        now: i64,
    ) -> Result<()> {
        let kept = match facts {
            FactsWrite::Append => "facts = mission_progress.facts || excluded.facts",
            FactsWrite::Replace => "counted = excluded.counted, facts = excluded.facts",
        };
        let values = rows.into_iter().map(|p| progress_values(tenant_id, p, now)).collect();
        let suffix = format!(
            "ON CONFLICT (tenant_id, mission_id, customer_id, period) DO UPDATE SET step = excluded.step,
             current = excluded.current, seen = excluded.seen, status = excluded.status, deadline_at = excluded.deadline_at,
             completed_at = excluded.completed_at, {kept}, facts_counted = excluded.facts_counted,
             facts_reserved = excluded.facts_reserved, refund_round = excluded.refund_round, updated_at = excluded.updated_at"
        );
        bulk::insert_counted(conn, "mission_progress", &PROGRESS_WRITTEN, values, &suffix).await?;
        Ok(())
    }

    /// Active progress whose deadline has passed, marked expired; returns what was expired.
    pub async fn expire_progress(&self, conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<(i64, ProgressRow)>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT tenant_id, {PROGRESS_STATE_COLUMNS} FROM mission_progress WHERE status = 'active' AND deadline_at <= $1
             ORDER BY deadline_at LIMIT $2{}",
            self.lock_suffix()
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let tenant: i64 = r.try_get(0)?;
            let p = progress_from(r, 1)?;
            sqlx::query(
                "UPDATE mission_progress SET status = 'expired', updated_at = $5
                 WHERE tenant_id = $1 AND mission_id = $2 AND customer_id = $3 AND period = $4",
            )
            .bind(tenant)
            .bind(p.mission_id)
            .bind(p.customer_id)
            .bind(&p.period)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            out.push((tenant, p));
        }
        Ok(out)
    }

    /// Stored segment codes of each of `customers` (for mission targeting).
    pub async fn segment_codes_of(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customers: &[i64],
    ) -> Result<HashMap<i64, Vec<String>>> {
        let rows = bulk::select_in(
            conn,
            "SELECT m.customer_id, s.code FROM segment_members m JOIN segments s ON s.tenant_id = m.tenant_id AND s.id = m.segment_id
             WHERE m.tenant_id = $1 AND m.customer_id IN ({in})",
            tenant_id,
            bulk::ids(customers),
        )
        .await?;
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for r in &rows {
            out.entry(r.try_get(0)?).or_default().push(r.try_get(1)?);
        }
        Ok(out)
    }

    /// Live customers in any of `tiers`, any of `classes` and any of the stored `segments` (an
    /// empty list does not narrow).
    pub async fn count_targeted(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        tiers: &[String],
        classes: &[String],
        segments: &[String],
    ) -> Result<i64> {
        let mut vals = vec![Val::I(tenant_id)];
        let mut sql = "SELECT COUNT(*) FROM customers c WHERE c.tenant_id = $1 AND c.merged_into IS NULL".to_string();
        let list = |vals: &mut Vec<Val>, items: &[String]| {
            let start = vals.len() + 1;
            vals.extend(items.iter().map(|t| Val::T(t.clone())));
            crate::db::placeholders(start, items.len())
        };
        if !tiers.is_empty() {
            sql += &format!(" AND c.tier IN ({})", list(&mut vals, tiers));
        }
        if !classes.is_empty() {
            sql += &format!(" AND c.loyalty_class IN ({})", list(&mut vals, classes));
        }
        if !segments.is_empty() {
            sql += &format!(
                " AND EXISTS (SELECT 1 FROM segment_members m JOIN segments s ON s.tenant_id = m.tenant_id AND s.id = m.segment_id
                 WHERE m.tenant_id = c.tenant_id AND m.customer_id = c.id AND s.code IN ({}))",
                list(&mut vals, segments)
            );
        }
        Ok(bulk::query(sql, vals).fetch_one(&mut *conn).await?.try_get(0)?)
    }

    /// Who joined a mission between `from` and `to` (epoch ms), how far they got and how many
    /// finished or ran out of time.
    pub async fn mission_funnel(&self, tenant_id: i64, mission_id: i64, steps: usize, from: i64, to: i64) -> Result<Funnel> {
        let rows = sqlx::query(
            "SELECT step, status, COUNT(*) FROM mission_progress WHERE tenant_id = $1 AND mission_id = $2
             AND joined_at >= $3 AND joined_at < $4 GROUP BY step, status",
        )
        .bind(tenant_id)
        .bind(mission_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        let mut f = Funnel { started: 0, steps_done: vec![0; steps], completed: 0, expired: 0 };
        for r in &rows {
            let step: i64 = r.try_get(0)?;
            let status: String = r.try_get(1)?;
            let n: i64 = r.try_get(2)?;
            f.started += n;
            for k in 0..(step.max(0) as usize).min(steps) {
                f.steps_done[k] += n;
            }
            match status.as_str() {
                "completed" => f.completed += n,
                "expired" => f.expired += n,
                _ => {}
            }
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_progress_unpacks_exactly_or_not_at_all() {
        let lists = |l: [&str; 14]| l.map(|x| Some(x.to_string()));
        let sep = COMMA_IN_JSON;
        let good = [
            "3,4",
            "7,7",
            "all,m1404-10",
            "0,1",
            "2,0",
            &format!("[\"a{sep} b\"{sep}\"c\"],[]"),
            "active,completed",
            "10,20",
            ",30",
            "",
            "[],[]",
            "2,1",
            "0,1",
            "0,0",
        ];
        let mut out = Vec::new();
        unpack_progress(2, &lists(good), &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].seen.as_str(), out[0].deadline_at, out[0].completed_at), ("[\"a, b\",\"c\"]", None, None));
        assert_eq!((out[1].period.as_str(), out[1].deadline_at, out[1].status.as_str()), ("m1404-10", Some(30), "completed"));
        unpack_progress(0, &[const { None }; 14], &mut out).unwrap();
        assert_eq!(out.len(), 2);
        for (column, bad) in [(0, "3"), (0, "3,4,5"), (3, "0,x"), (2, "all,"), (8, ",y")] {
            let mut l = good;
            l[column] = bad;
            assert!(unpack_progress(2, &lists(l), &mut Vec::new()).is_err(), "{column}: {bad}");
        }
    }
}
