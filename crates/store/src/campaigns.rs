//! Broadcast campaigns and their members (sent or held out).

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashSet;

#[derive(Debug, Clone)]
pub struct CampaignRow {
    pub id: i64,
    pub code: String,
    pub body: String,
    /// `draft`, `scheduled`, `sending`, `sent` or `cancelled`.
    pub status: String,
    pub send_at: Option<i64>,
    pub launched_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, code, body, status, send_at, launched_at, finished_at, created_at";

fn campaign(r: &AnyRow) -> Result<CampaignRow> {
    Ok(CampaignRow {
        id: r.try_get(0)?,
        code: r.try_get(1)?,
        body: r.try_get(2)?,
        status: r.try_get(3)?,
        send_at: r.try_get(4)?,
        launched_at: r.try_get(5)?,
        finished_at: r.try_get(6)?,
        created_at: r.try_get(7)?,
    })
}

/// Per group (sent, held out): members, members who bought, their net sales and the sum of
/// squares of each member's net sales.
pub type GroupRow = (bool, i64, i64, i64, f64);

impl Store {
    pub async fn insert_campaign(&self, conn: &mut Conn, tenant_id: i64, c: &CampaignRow, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO campaigns (tenant_id, id, code, body, status, send_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (tenant_id, code) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(c.id)
        .bind(&c.code)
        .bind(&c.body)
        .bind(&c.status)
        .bind(c.send_at)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Changes a campaign that has not started sending.
    pub async fn update_campaign(&self, conn: &mut Conn, tenant_id: i64, c: &CampaignRow, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE campaigns SET body = $3, status = $4, send_at = $5, updated_at = $6
             WHERE tenant_id = $1 AND id = $2 AND status IN ('draft', 'scheduled')",
        )
        .bind(tenant_id)
        .bind(c.id)
        .bind(&c.body)
        .bind(&c.status)
        .bind(c.send_at)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn campaign_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<CampaignRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM campaigns WHERE tenant_id = $1 AND code = $2")))
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| campaign(&r)).transpose()
    }

    pub async fn campaign_by_id(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<CampaignRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM campaigns WHERE tenant_id = $1 AND id = $2")))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| campaign(&r)).transpose()
    }

    pub async fn campaigns(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<CampaignRow>> {
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM campaigns WHERE tenant_id = $1 ORDER BY id DESC")))
                .bind(tenant_id)
                .fetch_all(&mut *conn)
                .await?;
        rows.iter().map(campaign).collect()
    }

    /// Takes a campaign for launching until `lease_until`: a draft or a scheduled one, or one whose
    /// launcher died (its lease ran out). Only one launcher gets it.
    pub async fn claim_campaign(&self, conn: &mut Conn, tenant_id: i64, id: i64, now: i64, lease_until: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE campaigns SET status = 'sending', lease_until = $4, launched_at = COALESCE(launched_at, $3), updated_at = $3
             WHERE tenant_id = $1 AND id = $2
             AND (status IN ('draft', 'scheduled') OR (status = 'sending' AND lease_until < $3))",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .bind(lease_until)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn finish_campaign(&self, conn: &mut Conn, tenant_id: i64, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE campaigns SET status = 'sent', lease_until = NULL, finished_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn cancel_campaign(&self, conn: &mut Conn, tenant_id: i64, id: i64, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE campaigns SET status = 'cancelled', updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND status IN ('draft', 'scheduled')",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Campaigns of every tenant due to launch: scheduled and due, or abandoned mid-launch.
    pub async fn due_campaigns(&self, conn: &mut Conn, now: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT tenant_id, id FROM campaigns WHERE (status = 'scheduled' AND send_at <= $1)
             OR (status = 'sending' AND lease_until < $1) ORDER BY send_at",
        )
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Records who a campaign went to and who was held out; members already recorded stay as
    /// they are. Returns the customers recorded now.
    pub async fn add_campaign_members(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        campaign_id: i64,
        members: &[(i64, bool)],
    ) -> Result<HashSet<i64>> {
        let rows = members
            .iter()
            .map(|(c, held)| vec![Val::I(tenant_id), Val::I(campaign_id), Val::I(*c), Val::I(i64::from(*held))])
            .collect();
        let added = bulk::insert(
            conn,
            "campaign_members",
            &["tenant_id", "campaign_id", "customer_id", "held_out"],
            rows,
            "ON CONFLICT (tenant_id, campaign_id, customer_id) DO NOTHING RETURNING customer_id",
        )
        .await?;
        added.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// What the sent and the held-out members bought between `from` and `to`, net of refunds of
    /// those invoices.
    pub async fn campaign_outcomes(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        campaign_id: i64,
        from: i64,
        to: i64,
    ) -> Result<Vec<GroupRow>> {
        let rows = sqlx::query(
            "SELECT m.held_out, CAST(COUNT(*) AS BIGINT),
                CAST(SUM(CASE WHEN s.spend > 0 THEN 1 ELSE 0 END) AS BIGINT),
                CAST(COALESCE(SUM(s.spend), 0) AS BIGINT),
                CAST(COALESCE(SUM(CAST(s.spend AS DOUBLE PRECISION) * s.spend), 0) AS DOUBLE PRECISION)
             FROM campaign_members m LEFT JOIN (
                SELECT customer_id, SUM(total - refunded_total) AS spend FROM invoices
                WHERE tenant_id = $1 AND issued_at >= $3 AND issued_at < $4 AND customer_id IS NOT NULL
                GROUP BY customer_id) s ON s.customer_id = m.customer_id
             WHERE m.tenant_id = $1 AND m.campaign_id = $2 GROUP BY m.held_out ORDER BY m.held_out",
        )
        .bind(tenant_id)
        .bind(campaign_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let held: i64 = r.try_get(0)?;
                Ok((held != 0, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?))
            })
            .collect()
    }
}
