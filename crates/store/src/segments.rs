//! Dynamic segments: their definitions, who matches a rule now, and the members last stored.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use crate::segment_range::{EVERY_PROFILE, matching_rows};
use crate::segment_sql::{Clock, compile};
use philia_domain::condition::Condition;
use sqlx::Row;
use std::collections::HashSet;

/// A stored segment: definition and the result of its last evaluation.
pub struct SegmentRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub rule: String,
    pub members: i64,
    pub evaluated_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a segment's members bought: (category, customers, spend, lines) for the top categories.
pub struct SegmentFigures {
    pub members: i64,
    pub net_spend: i64,
    pub invoices: i64,
    pub categories: Vec<(String, i64, i64, i64)>,
    /// (SKU or name, name, buyers, line spend, quantity in thousandths).
    pub products: Vec<(String, Option<String>, i64, i64, i64)>,
}

const COLUMNS: &str = "id, code, name, description, rule, members, evaluated_at, created_at, updated_at";

fn row(r: &sqlx::any::AnyRow) -> Result<SegmentRow> {
    Ok(SegmentRow {
        id: r.try_get(0)?,
        code: r.try_get(1)?,
        name: r.try_get(2)?,
        description: r.try_get(3)?,
        rule: r.try_get(4)?,
        members: r.try_get(5)?,
        evaluated_at: r.try_get(6)?,
        created_at: r.try_get(7)?,
        updated_at: r.try_get(8)?,
    })
}

impl Store {
    pub async fn insert_segment(&self, conn: &mut Conn, tenant_id: i64, s: &SegmentRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO segments (tenant_id, id, code, name, description, rule, members, evaluated_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, NULL, $7, $7)",
        )
        .bind(tenant_id)
        .bind(s.id)
        .bind(&s.code)
        .bind(&s.name)
        .bind(&s.description)
        .bind(&s.rule)
        .bind(s.created_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn update_segment(&self, conn: &mut Conn, tenant_id: i64, s: &SegmentRow) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE segments SET name = $3, description = $4, rule = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(s.id)
        .bind(&s.name)
        .bind(&s.description)
        .bind(&s.rule)
        .bind(s.updated_at)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn delete_segment(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<bool> {
        sqlx::query("DELETE FROM segment_members WHERE tenant_id = $1 AND segment_id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        let done = sqlx::query("DELETE FROM segments WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn segment_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<SegmentRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM segments WHERE tenant_id = $1 AND code = $2")))
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        r.as_ref().map(row).transpose()
    }

    pub async fn segments(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<SegmentRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM segments WHERE tenant_id = $1 ORDER BY code")))
            .bind(tenant_id)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(row).collect()
    }

    /// How many live customers match `rule` now.
    pub async fn count_matching(&self, conn: &mut Conn, tenant_id: i64, rule: &Condition, clock: &Clock) -> Result<i64> {
        let mut params = vec![Val::I(tenant_id)];
        let rows = matching_rows(rule, clock, &mut params, false);
        let r = bulk::query(format!("SELECT COUNT(*) {rows}"), params).fetch_one(&mut *conn).await?;
        Ok(r.try_get(0)?)
    }

    /// Customers matching `rule` now, by id after `after` (all of them when `limit` is None).
    pub async fn matching_ids(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        rule: &Condition,
        clock: &Clock,
        after: i64,
        limit: Option<i64>,
    ) -> Result<Vec<i64>> {
        let mut params = vec![Val::I(tenant_id)];
        let rows = matching_rows(rule, clock, &mut params, false);
        params.push(Val::I(after));
        let mut sql = format!("SELECT c.id {rows} AND c.id > ${} ORDER BY c.id", params.len());
        if let Some(l) = limit {
            params.push(Val::I(l));
            sql.push_str(&format!(" LIMIT ${}", params.len()));
        }
        let rows = bulk::query(sql, params).fetch_all(&mut *conn).await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Which of `ids` match `rule` now. The rule's text numbers its parameters (`$1` recurs in
    /// subqueries), so the ids are numbered after them rather than spliced in as `?`.
    pub async fn matching_among(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        rule: &Condition,
        clock: &Clock,
        ids: &[i64],
    ) -> Result<HashSet<i64>> {
        let mut out = HashSet::new();
        for chunk in ids.chunks(500) {
            let mut params = vec![Val::I(tenant_id)];
            let cond = compile(rule, clock, &mut params);
            let first = params.len() + 1;
            let list: Vec<String> = (first..first + chunk.len()).map(|n| format!("${n}")).collect();
            params.extend(chunk.iter().map(|i| Val::I(*i)));
            let sql = format!("SELECT c.id {EVERY_PROFILE} AND {cond} AND c.id IN ({})", list.join(", "));
            for r in bulk::query(sql, params).fetch_all(&mut *conn).await? {
                out.insert(r.try_get(0)?);
            }
        }
        Ok(out)
    }

    /// The stored members of a segment, by id after `after`.
    pub async fn segment_member_ids(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        segment_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT customer_id FROM segment_members WHERE tenant_id = $1 AND segment_id = $2 AND customer_id > $3 ORDER BY customer_id LIMIT $4",
        )
        .bind(tenant_id)
        .bind(segment_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Which of `ids` are stored members of a segment.
    pub async fn stored_members_among(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        segment_id: i64,
        ids: &[i64],
    ) -> Result<HashSet<i64>> {
        let rows = bulk::select_in_with(
            conn,
            "SELECT customer_id FROM segment_members WHERE tenant_id = $1 AND segment_id = $2 AND customer_id IN ({in})",
            tenant_id,
            vec![Val::I(segment_id)],
            bulk::ids(ids),
        )
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Members, their net spend and invoices, and their top categories by spend, for a rule.
    pub async fn segment_analysis(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        rule: &Condition,
        clock: &Clock,
    ) -> Result<SegmentFigures> {
        let mut params = vec![Val::I(tenant_id)];
        let matching = matching_rows(rule, clock, &mut params, true);
        let totals = bulk::query(
            format!(
                "SELECT COUNT(*), CAST(COALESCE(SUM(s.gross_spend - s.refund_total), 0) AS BIGINT), CAST(COALESCE(SUM(s.invoice_count), 0) AS BIGINT)
                 {matching}"
            ),
            params.clone(),
        )
        .fetch_one(&mut *conn)
        .await?;
        let rows = bulk::query(
            format!(
                "SELECT x.category, COUNT(*), CAST(SUM(x.spend) AS BIGINT), CAST(SUM(x.lines) AS BIGINT) FROM customer_category_stats x
                 WHERE x.tenant_id = $1 AND x.customer_id IN (SELECT c.id {matching})
                 GROUP BY x.category ORDER BY SUM(x.spend) DESC, x.category LIMIT 10"
            ),
            params.clone(),
        )
        .fetch_all(&mut *conn)
        .await?;
        // Products by the line totals of members' sales not refunded in full; a product without
        // a SKU is known by its name.
        let products = bulk::query(
            format!(
                "SELECT COALESCE(l.sku, l.product_name, ''), MAX(l.product_name), COUNT(DISTINCT i.customer_id),
                    CAST(SUM(l.total) AS BIGINT), CAST(SUM(l.quantity_milli) AS BIGINT)
                 FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
                 WHERE l.tenant_id = $1 AND i.status = 'completed' AND i.total > i.refunded_total
                   AND i.customer_id IN (SELECT c.id {matching})
                 GROUP BY COALESCE(l.sku, l.product_name, '') ORDER BY SUM(l.total) DESC, 1 LIMIT 10"
            ),
            params,
        )
        .fetch_all(&mut *conn)
        .await?;
        Ok(SegmentFigures {
            products: products
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?)))
                .collect::<Result<_>>()?,
            members: totals.try_get(0)?,
            net_spend: totals.try_get(1)?,
            invoices: totals.try_get(2)?,
            categories: rows
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
                .collect::<Result<_>>()?,
        })
    }

    /// Which of `ids` are live (not merged away) customers.
    pub async fn live_customers_among(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashSet<i64>> {
        let rows = bulk::select_in(
            conn,
            "SELECT id FROM customers WHERE tenant_id = $1 AND merged_into IS NULL AND id IN ({in})",
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Adds and removes members and keeps the segment's count.
    pub async fn change_members(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        segment_id: i64,
        entered: &[i64],
        left: &[i64],
        now: i64,
    ) -> Result<()> {
        let rows = entered.iter().map(|c| vec![Val::I(tenant_id), Val::I(segment_id), Val::I(*c), Val::I(now)]).collect();
        bulk::insert(
            conn,
            "segment_members",
            &["tenant_id", "segment_id", "customer_id", "since"],
            rows,
            "ON CONFLICT DO NOTHING",
        )
        .await?;
        bulk::execute_in_with(
            conn,
            "DELETE FROM segment_members WHERE tenant_id = $1 AND segment_id = $2 AND customer_id IN ({in})",
            tenant_id,
            vec![Val::I(segment_id)],
            bulk::ids(left),
        )
        .await?;
        // Counted by difference: entered were not members (ON CONFLICT above never fires for them,
        // the caller diffed against the stored members in this transaction) and left were.
        sqlx::query("UPDATE segments SET members = members + $3, evaluated_at = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(segment_id)
            .bind(entered.len() as i64 - left.len() as i64)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
