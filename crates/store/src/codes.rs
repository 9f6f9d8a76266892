//! Promotions, their discount codes, and code usage (reservations and redemptions). Every limit
//! is taken by one conditional UPDATE, so concurrent checkouts can never use more than allowed.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use sqlx::Row;
use sqlx::any::AnyRow;

pub struct PromotionRow {
    pub id: i64,
    pub code: String,
    pub body: String,
    pub used: i64,
}

#[derive(Debug, Clone)]
pub struct CodeRow {
    pub code: String,
    pub promotion_id: i64,
    pub customer_id: Option<i64>,
    pub used: i64,
    pub expires_at: Option<i64>,
}

/// A use of a code: reserved at checkout, redeemed with an invoice, or released.
#[derive(Debug, Clone)]
pub struct UsageRow {
    pub id: i64,
    pub code: String,
    pub promotion_id: i64,
    pub customer_id: Option<i64>,
    pub status: String,
    pub invoice_id: Option<i64>,
    pub amount: i64,
    pub expires_at: Option<i64>,
}

fn promotion(r: &AnyRow) -> Result<PromotionRow> {
    Ok(PromotionRow { id: r.try_get("id")?, code: r.try_get("code")?, body: r.try_get("body")?, used: r.try_get("used")? })
}

fn usage(r: &AnyRow) -> Result<UsageRow> {
    Ok(UsageRow {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        promotion_id: r.try_get("promotion_id")?,
        customer_id: r.try_get("customer_id")?,
        status: r.try_get("status")?,
        invoice_id: r.try_get("invoice_id")?,
        amount: r.try_get("amount")?,
        expires_at: r.try_get("expires_at")?,
    })
}

const USAGE_SELECT: &str = "SELECT id, code, promotion_id, customer_id, status, invoice_id, amount, expires_at FROM code_usages";

impl Store {
    pub async fn insert_promotion(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        code: &str,
        body: &str,
        total_limit: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO promotions (tenant_id, id, code, body, total_limit, used, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6)
             ON CONFLICT (tenant_id, code) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(code)
        .bind(body)
        .bind(total_limit)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn update_promotion(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        body: &str,
        total_limit: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE promotions SET body = $3, total_limit = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .bind(body)
            .bind(total_limit)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn promotion_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<PromotionRow>> {
        let r = sqlx::query("SELECT id, code, body, used FROM promotions WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        r.map(|r| promotion(&r)).transpose()
    }

    pub async fn promotions_by_ids(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<Vec<PromotionRow>> {
        let rows = bulk::select_in(
            conn,
            "SELECT id, code, body, used FROM promotions WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        rows.iter().map(promotion).collect()
    }

    pub async fn list_promotions(&self, tenant_id: i64) -> Result<Vec<PromotionRow>> {
        let rows = sqlx::query("SELECT id, code, body, used FROM promotions WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(promotion).collect()
    }

    /// Inserts codes of a promotion (optionally each for one customer, until an instant); codes
    /// that already exist are skipped. Returns how many were inserted.
    pub async fn insert_codes(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        promotion_id: i64,
        codes: Vec<String>,
        personal: Option<(i64, Option<i64>)>,
    ) -> Result<u64> {
        match personal {
            None => {
                bulk::insert_texts_skipping_repeats(
                    conn,
                    "discount_codes",
                    &["tenant_id", "promotion_id"],
                    vec![Val::I(tenant_id), Val::I(promotion_id)],
                    "code",
                    codes,
                    "tenant_id, code",
                    bulk::POSTGRES_TEXTS_PER_STATEMENT,
                )
                .await
            }
            Some((c, expires_at)) => {
                let rows = codes
                    .into_iter()
                    .map(|code| vec![Val::I(tenant_id), Val::T(code), Val::I(promotion_id), Val::I(c), Val::OI(expires_at)])
                    .collect();
                bulk::insert_counted(
                    conn,
                    "discount_codes",
                    &["tenant_id", "code", "promotion_id", "customer_id", "expires_at"],
                    rows,
                    "ON CONFLICT (tenant_id, code) DO NOTHING",
                )
                .await
            }
        }
    }

    /// Ends a code at `now` if it was never used; returns whether it was ended.
    pub async fn end_unused_code(&self, conn: &mut Conn, tenant_id: i64, code: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE discount_codes SET expires_at = $3 WHERE tenant_id = $1 AND code = $2 AND used = 0
             AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(tenant_id)
        .bind(code)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<CodeRow>> {
        let r = sqlx::query(
            "SELECT code, promotion_id, customer_id, used, expires_at FROM discount_codes WHERE tenant_id = $1 AND code = $2",
        )
        .bind(tenant_id)
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(match r {
            None => None,
            Some(r) => Some(CodeRow {
                code: r.try_get(0)?,
                promotion_id: r.try_get(1)?,
                customer_id: r.try_get(2)?,
                used: r.try_get(3)?,
                expires_at: r.try_get(4)?,
            }),
        })
    }

    /// Codes of a promotion in code order, after `after`, for download.
    pub async fn codes_of_promotion(&self, tenant_id: i64, promotion_id: i64, after: &str, limit: i64) -> Result<Vec<CodeRow>> {
        let rows = sqlx::query(
            "SELECT code, promotion_id, customer_id, used, expires_at FROM discount_codes WHERE tenant_id = $1 AND promotion_id = $2 AND code > $3
             ORDER BY code LIMIT $4",
        )
        .bind(tenant_id)
        .bind(promotion_id)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CodeRow {
                    code: r.try_get(0)?,
                    promotion_id: r.try_get(1)?,
                    customer_id: r.try_get(2)?,
                    used: r.try_get(3)?,
                    expires_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Takes one use of a code, a promotion and a customer's allowance, each only if its limit
    /// allows. All three or none: the caller rolls back when this says false.
    pub async fn take_code_use(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        code: &str,
        code_limit: Option<i64>,
        promotion_id: i64,
        customer: Option<(i64, Option<i64>)>,
    ) -> Result<Option<&'static str>> {
        let n = sqlx::query(
            "UPDATE discount_codes SET used = used + 1 WHERE tenant_id = $1 AND code = $2 AND ($3 IS NULL OR used < $3)",
        )
        .bind(tenant_id)
        .bind(code)
        .bind(code_limit)
        .execute(&mut *conn)
        .await?;
        if n.rows_affected() == 0 {
            return Ok(Some("code_used_up"));
        }
        let n = sqlx::query("UPDATE promotions SET used = used + 1 WHERE tenant_id = $1 AND id = $2 AND (total_limit IS NULL OR used < total_limit)")
            .bind(tenant_id)
            .bind(promotion_id)
            .execute(&mut *conn)
            .await?;
        if n.rows_affected() == 0 {
            return Ok(Some("code_used_up"));
        }
        if let Some((customer_id, limit)) = customer {
            sqlx::query(
                "INSERT INTO promotion_customer_usage (tenant_id, promotion_id, customer_id, used) VALUES ($1, $2, $3, 0)
                 ON CONFLICT (tenant_id, promotion_id, customer_id) DO NOTHING",
            )
            .bind(tenant_id)
            .bind(promotion_id)
            .bind(customer_id)
            .execute(&mut *conn)
            .await?;
            let n = sqlx::query(
                "UPDATE promotion_customer_usage SET used = used + 1 WHERE tenant_id = $1 AND promotion_id = $2 AND customer_id = $3
                 AND ($4 IS NULL OR used < $4)",
            )
            .bind(tenant_id)
            .bind(promotion_id)
            .bind(customer_id)
            .bind(limit)
            .execute(&mut *conn)
            .await?;
            if n.rows_affected() == 0 {
                return Ok(Some("code_customer_limit"));
            }
        }
        Ok(None)
    }

    /// Gives back a use taken by [`Self::take_code_use`] (a released reservation or a refund).
    pub async fn give_back_code_use(&self, conn: &mut Conn, tenant_id: i64, u: &UsageRow) -> Result<()> {
        sqlx::query("UPDATE discount_codes SET used = used - 1 WHERE tenant_id = $1 AND code = $2 AND used > 0")
            .bind(tenant_id)
            .bind(&u.code)
            .execute(&mut *conn)
            .await?;
        sqlx::query("UPDATE promotions SET used = used - 1 WHERE tenant_id = $1 AND id = $2 AND used > 0")
            .bind(tenant_id)
            .bind(u.promotion_id)
            .execute(&mut *conn)
            .await?;
        if let Some(c) = u.customer_id {
            sqlx::query("UPDATE promotion_customer_usage SET used = used - 1 WHERE tenant_id = $1 AND promotion_id = $2 AND customer_id = $3 AND used > 0")
                .bind(tenant_id)
                .bind(u.promotion_id)
                .bind(c)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_code_usage(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        u: &UsageRow,
        idem_key: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO code_usages (tenant_id, id, code, promotion_id, customer_id, status, invoice_id, amount, expires_at, idem_key, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(tenant_id)
        .bind(u.id)
        .bind(&u.code)
        .bind(u.promotion_id)
        .bind(u.customer_id)
        .bind(&u.status)
        .bind(u.invoice_id)
        .bind(u.amount)
        .bind(u.expires_at)
        .bind(idem_key)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn usage_by_key(&self, conn: &mut Conn, tenant_id: i64, key: &str) -> Result<Option<UsageRow>> {
        let sql = format!("{USAGE_SELECT} WHERE tenant_id = $1 AND idem_key = $2");
        bulk::query(sql, vec![Val::I(tenant_id), Val::T(key.into())])
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| usage(&r))
            .transpose()
    }

    /// A usage, locked until commit on PostgreSQL.
    pub async fn lock_usage(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<UsageRow>> {
        let sql = format!("{USAGE_SELECT} WHERE tenant_id = $1 AND id = $2{}", self.lock_suffix());
        bulk::query(sql, vec![Val::I(tenant_id), Val::I(id)]).fetch_optional(&mut *conn).await?.map(|r| usage(&r)).transpose()
    }

    /// Usages redeemed with an invoice.
    pub async fn usages_of_invoice(&self, conn: &mut Conn, tenant_id: i64, invoice_id: i64) -> Result<Vec<UsageRow>> {
        let sql = format!("{USAGE_SELECT} WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY id");
        let rows = bulk::query(sql, vec![Val::I(tenant_id), Val::I(invoice_id)]).fetch_all(&mut *conn).await?;
        rows.iter().map(usage).collect()
    }

    pub async fn set_usage(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        status: &str,
        invoice_id: Option<i64>,
        now: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE code_usages SET status = $3, invoice_id = $4, expires_at = NULL, updated_at = $5 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .bind(status)
            .bind(invoice_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Reservations whose time ran out, across tenants: (tenant, usage id).
    pub async fn expired_reservations(&self, now: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query("SELECT tenant_id, id FROM code_usages WHERE status = 'reserved' AND expires_at <= $1 LIMIT $2")
            .bind(now)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }
}
