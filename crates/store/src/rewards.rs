//! The rewards catalogue, redemptions and entitlements.

use crate::Result;
use crate::batch::Batch;
use crate::bulk::{Val, query, ts, ts_opt};
use crate::db::{Conn, Store};
use philia_domain::records::{Entitlement, Redemption};
use sqlx::Row;
use sqlx::any::AnyRow;

/// A stored reward: its normalised input as JSON, and its stock.
pub struct RewardRow {
    pub id: i64,
    pub code: String,
    pub body: String,
    pub stock_left: Option<i64>,
    pub redeemed: i64,
}

pub struct RedemptionRow {
    pub id: i64,
    pub reward_id: i64,
    pub customer_id: i64,
    pub status: &'static str,
    pub points: i64,
    pub point_entry_id: i64,
    pub idem_key: String,
    pub outcome: String,
    pub now: i64,
}

/// A redemption with what changing it needs.
pub struct RedemptionState {
    pub view: Redemption,
    pub reward_id: i64,
    pub point_entry_id: i64,
}

fn reward(r: &AnyRow) -> Result<RewardRow> {
    Ok(RewardRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        body: r.try_get("body")?,
        stock_left: r.try_get("stock_left")?,
        redeemed: r.try_get("redeemed")?,
    })
}

const REDEMPTION_SELECT: &str =
    "SELECT d.id, w.code, w.kind, d.customer_id, d.status, d.points, d.outcome, d.created_at, d.updated_at,
    d.reward_id, d.point_entry_id FROM redemptions d JOIN rewards w ON w.tenant_id = d.tenant_id AND w.id = d.reward_id";

fn redemption(r: &AnyRow) -> Result<RedemptionState> {
    Ok(RedemptionState {
        view: Redemption {
            id: r.try_get(0)?,
            reward: r.try_get(1)?,
            kind: r.try_get(2)?,
            customer_id: r.try_get(3)?,
            status: r.try_get(4)?,
            points: r.try_get(5)?,
            outcome: serde_json::from_str(&r.try_get::<String, _>(6)?).unwrap_or_default(),
            created_at: ts(r.try_get(7)?),
            updated_at: ts(r.try_get(8)?),
        },
        reward_id: r.try_get(9)?,
        point_entry_id: r.try_get(10)?,
    })
}

impl Store {
    /// Inserts a reward; false when its code is taken.
    pub async fn insert_reward(&self, conn: &mut Conn, tenant_id: i64, row: &RewardRow, kind: &str, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO rewards (tenant_id, id, code, kind, body, stock_left, redeemed, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7) ON CONFLICT (tenant_id, code) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(row.id)
        .bind(&row.code)
        .bind(kind)
        .bind(&row.body)
        .bind(row.stock_left)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Replaces a reward's definition; `stock_left` follows the new stock.
    pub async fn update_reward(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        kind: &str,
        body: &str,
        stock_left: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE rewards SET kind = $3, body = $4, stock_left = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .bind(kind)
            .bind(body)
            .bind(stock_left)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn reward_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<RewardRow>> {
        let row = sqlx::query("SELECT id, code, body, stock_left, redeemed FROM rewards WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| reward(&r)).transpose()
    }

    pub async fn list_rewards(&self, tenant_id: i64) -> Result<Vec<RewardRow>> {
        let rows = sqlx::query("SELECT id, code, body, stock_left, redeemed FROM rewards WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(reward).collect()
    }

    /// Takes one from stock: false when none is left. One statement, so concurrent redemptions
    /// can never take more than there is.
    pub async fn take_reward_stock(&self, conn: &mut Conn, tenant_id: i64, reward_id: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE rewards SET stock_left = CASE WHEN stock_left IS NULL THEN NULL ELSE stock_left - 1 END, redeemed = redeemed + 1
             WHERE tenant_id = $1 AND id = $2 AND (stock_left IS NULL OR stock_left > 0)",
        )
        .bind(tenant_id)
        .bind(reward_id)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    /// Counts a redemption of a reward without a stock limit into `b`. Should staff have set a
    /// limit since the reward was read, the count still goes up and the stock only while above
    /// zero: the redemption is judged as of the reading.
    pub fn count_unstocked_redemption_into(&self, b: &mut Batch, tenant_id: i64, reward_id: i64) {
        b.push(
            "UPDATE rewards SET redeemed = redeemed + 1, stock_left = CASE WHEN stock_left > 0 THEN stock_left - 1 ELSE stock_left END
             WHERE tenant_id = $1 AND id = $2",
            vec![Val::I(tenant_id), Val::I(reward_id)],
        );
    }

    pub async fn return_reward_stock(&self, conn: &mut Conn, tenant_id: i64, reward_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE rewards SET stock_left = CASE WHEN stock_left IS NULL THEN NULL ELSE stock_left + 1 END, redeemed = redeemed - 1
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(reward_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Redemptions of a reward by a customer that were not cancelled.
    pub async fn count_redemptions(&self, conn: &mut Conn, tenant_id: i64, reward_id: i64, customer_id: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM redemptions WHERE tenant_id = $1 AND reward_id = $2 AND customer_id = $3 AND status <> 'cancelled'",
        )
        .bind(tenant_id)
        .bind(reward_id)
        .bind(customer_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(row.try_get(0)?)
    }

    pub async fn insert_redemption(&self, conn: &mut Conn, tenant_id: i64, r: &RedemptionRow) -> Result<()> {
        let mut b = self.batch();
        self.insert_redemption_into(&mut b, tenant_id, r);
        b.run(conn).await?;
        Ok(())
    }

    pub fn insert_redemption_into(&self, b: &mut Batch, tenant_id: i64, r: &RedemptionRow) {
        b.push(
            "INSERT INTO redemptions (tenant_id, id, reward_id, customer_id, status, points, point_entry_id, idem_key, outcome, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            vec![
                Val::I(tenant_id),
                Val::I(r.id),
                Val::I(r.reward_id),
                Val::I(r.customer_id),
                r.status.into(),
                Val::I(r.points),
                Val::I(r.point_entry_id),
                r.idem_key.clone().into(),
                r.outcome.clone().into(),
                Val::I(r.now),
            ],
        );
    }

    pub async fn redemption_by_key(&self, conn: &mut Conn, tenant_id: i64, key: &str) -> Result<Option<RedemptionState>> {
        let sql = format!("{REDEMPTION_SELECT} WHERE d.tenant_id = $1 AND d.idem_key = $2");
        query(sql, vec![Val::I(tenant_id), Val::T(key.into())])
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| redemption(&r))
            .transpose()
    }

    /// One redemption, locked until commit on PostgreSQL.
    pub async fn lock_redemption(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<RedemptionState>> {
        let sql = format!(
            "{REDEMPTION_SELECT} WHERE d.tenant_id = $1 AND d.id = $2{}",
            self.lock_suffix().replace("FOR UPDATE", "FOR UPDATE OF d")
        );
        query(sql, vec![Val::I(tenant_id), Val::I(id)]).fetch_optional(&mut *conn).await?.map(|r| redemption(&r)).transpose()
    }

    pub async fn set_redemption_status(&self, conn: &mut Conn, tenant_id: i64, id: i64, status: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE redemptions SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .bind(status)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// A customer's redemptions (or every one of a status), newest first.
    pub async fn redemptions(
        &self,
        tenant_id: i64,
        customer_id: Option<i64>,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Redemption>> {
        let sql = format!(
            "{REDEMPTION_SELECT} WHERE d.tenant_id = $1 AND ($2 IS NULL OR d.customer_id = $2) AND ($3 IS NULL OR d.status = $3)
             ORDER BY d.id DESC LIMIT $4"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(customer_id)
            .bind(status)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok(redemption(r)?.view)).collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_entitlement(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        customer_id: i64,
        kind: &str,
        target: &str,
        quantity: i64,
        valid_until: Option<i64>,
        redemption_id: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO entitlements (tenant_id, id, customer_id, kind, target, quantity, valid_until, redemption_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(customer_id)
        .bind(kind)
        .bind(target)
        .bind(quantity)
        .bind(valid_until)
        .bind(redemption_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Ends the entitlements a redemption gave (when it is cancelled).
    pub async fn drop_entitlements_of(&self, conn: &mut Conn, tenant_id: i64, redemption_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM entitlements WHERE tenant_id = $1 AND redemption_id = $2")
            .bind(tenant_id)
            .bind(redemption_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// A customer's entitlements still in force at `now`.
    pub async fn entitlements(&self, tenant_id: i64, customer_id: i64, now: i64) -> Result<Vec<Entitlement>> {
        let rows = sqlx::query(
            "SELECT id, kind, target, quantity, valid_until, created_at FROM entitlements
             WHERE tenant_id = $1 AND customer_id = $2 AND quantity > 0 AND (valid_until IS NULL OR valid_until > $3) ORDER BY id",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Entitlement {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    target: r.try_get(2)?,
                    quantity: r.try_get(3)?,
                    valid_until: ts_opt(r.try_get(4)?),
                    created_at: ts(r.try_get(5)?),
                })
            })
            .collect()
    }
}
