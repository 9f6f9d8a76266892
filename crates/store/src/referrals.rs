//! Referrals: who referred whom, and how it ended.

use crate::Result;
use crate::bulk::{self, Val, ts, ts_opt};
use crate::db::{Conn, Store};
use philia_domain::records::ReferralRecord;
use sqlx::Row;
use sqlx::any::AnyRow;

fn referral(r: &AnyRow) -> Result<ReferralRecord> {
    Ok(ReferralRecord {
        referee_id: r.try_get(0)?,
        referrer_id: r.try_get(1)?,
        status: r.try_get(2)?,
        created_at: ts(r.try_get(3)?),
        decided_at: ts_opt(r.try_get(4)?),
        invoice_id: r.try_get(5)?,
    })
}

const SELECT: &str = "SELECT referee_id, referrer_id, status, created_at, decided_at, invoice_id FROM referrals";

impl Store {
    /// Links a referee to a referrer; false when the referee was referred already.
    pub async fn insert_referral(&self, conn: &mut Conn, tenant_id: i64, referee: i64, referrer: i64, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO referrals (tenant_id, referee_id, referrer_id, status, created_at) VALUES ($1, $2, $3, 'pending', $4)
             ON CONFLICT (tenant_id, referee_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(referee)
        .bind(referrer)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Pending referrals of these referees: (referee, referrer, joined at).
    pub async fn pending_referrals(&self, conn: &mut Conn, tenant_id: i64, referees: &[i64]) -> Result<Vec<(i64, i64, i64)>> {
        let rows = bulk::select_in(
            conn,
            "SELECT referee_id, referrer_id, created_at FROM referrals WHERE tenant_id = $1 AND status = 'pending' AND referee_id IN ({in})",
            tenant_id,
            bulk::ids(referees),
        )
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// The referrer whose referral a purchase decided as rewarded, if any.
    pub async fn referrer_rewarded_by(&self, conn: &mut Conn, tenant_id: i64, invoice_id: i64) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT referrer_id FROM referrals WHERE tenant_id = $1 AND invoice_id = $2 AND status = 'rewarded'")
            .bind(tenant_id)
            .bind(invoice_id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(r.map(|r| r.try_get(0)).transpose()?)
    }

    pub async fn decide_referral(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        referee: i64,
        status: &str,
        invoice_id: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE referrals SET status = $3, invoice_id = $4, decided_at = $5 WHERE tenant_id = $1 AND referee_id = $2",
        )
        .bind(tenant_id)
        .bind(referee)
        .bind(status)
        .bind(invoice_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn referral_of(&self, conn: &mut Conn, tenant_id: i64, referee: i64) -> Result<Option<ReferralRecord>> {
        let sql = format!("{SELECT} WHERE tenant_id = $1 AND referee_id = $2");
        bulk::query(sql, vec![Val::I(tenant_id), Val::I(referee)])
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| referral(&r))
            .transpose()
    }

    pub async fn referrals_by(&self, tenant_id: i64, referrer: i64) -> Result<Vec<ReferralRecord>> {
        let sql =
            format!("{SELECT} WHERE tenant_id = $1 AND referrer_id = $2 ORDER BY created_at DESC, referee_id DESC LIMIT 500");
        let rows = bulk::query(sql, vec![Val::I(tenant_id), Val::I(referrer)]).fetch_all(self.pool()).await?;
        rows.iter().map(referral).collect()
    }
}
