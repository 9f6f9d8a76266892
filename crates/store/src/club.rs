//! The customer club: sign-in codes, customers' sessions, and the host names clubs are served on.

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

/// The newest sign-in code sent to a number.
#[derive(Debug, Clone)]
pub struct CodeRow {
    pub id: i64,
    pub code_hash: String,
    pub expires_at: i64,
    pub attempts: i64,
    pub used_at: Option<i64>,
}

/// A customer's live session with its tenant.
#[derive(Debug, Clone)]
pub struct CustomerSessionRow {
    pub tenant: philia_domain::records::Tenant,
    pub customer_id: i64,
    pub csrf: String,
    pub lang: String,
    pub seen_at: i64,
    pub expires_at: i64,
}

pub struct NewCode<'a> {
    pub id: i64,
    pub mobile: &'a str,
    pub address: &'a str,
    pub code_hash: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Store {
    /// When codes were sent since `since`: to this number at this tenant, and from this address
    /// at any tenant.
    pub async fn club_code_sends(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        mobile: &str,
        address: &str,
        since: i64,
    ) -> Result<(Vec<i64>, Vec<i64>)> {
        let times = |rows: Vec<sqlx::any::AnyRow>| {
            rows.iter().map(|r| r.try_get::<i64, _>(0)).collect::<std::result::Result<Vec<_>, _>>()
        };
        let to_number =
            sqlx::query("SELECT created_at FROM club_codes WHERE tenant_id = $1 AND mobile = $2 AND created_at >= $3")
                .bind(tenant_id)
                .bind(mobile)
                .bind(since)
                .fetch_all(&mut *conn)
                .await?;
        let from_address = sqlx::query("SELECT created_at FROM club_codes WHERE address = $1 AND created_at >= $2")
            .bind(address)
            .bind(since)
            .fetch_all(&mut *conn)
            .await?;
        Ok((times(to_number)?, times(from_address)?))
    }

    pub async fn insert_club_code(&self, conn: &mut Conn, tenant_id: i64, code: &NewCode<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO club_codes (tenant_id, id, mobile, address, code_hash, created_at, expires_at, attempts)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
        )
        .bind(tenant_id)
        .bind(code.id)
        .bind(code.mobile)
        .bind(code.address)
        .bind(code.code_hash)
        .bind(code.created_at)
        .bind(code.expires_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The newest code sent to a number, locked (PostgreSQL) so that two guesses at once count
    /// as two and a code is used once.
    pub async fn latest_club_code(&self, conn: &mut Conn, tenant_id: i64, mobile: &str) -> Result<Option<CodeRow>> {
        let sql = format!(
            "SELECT id, code_hash, expires_at, attempts, used_at FROM club_codes WHERE tenant_id = $1 AND mobile = $2
             ORDER BY created_at DESC, id DESC LIMIT 1{}",
            self.lock_suffix()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(mobile).fetch_optional(&mut *conn).await?;
        row.map(|r| {
            Ok(CodeRow {
                id: r.try_get(0)?,
                code_hash: r.try_get(1)?,
                expires_at: r.try_get(2)?,
                attempts: r.try_get(3)?,
                used_at: r.try_get(4)?,
            })
        })
        .transpose()
    }

    /// Counts a wrong guess.
    pub async fn count_code_attempt(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<()> {
        sqlx::query("UPDATE club_codes SET attempts = attempts + 1 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Marks a code used; false when another request used it first.
    pub async fn use_club_code(&self, conn: &mut Conn, tenant_id: i64, id: i64, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE club_codes SET used_at = $3 WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL")
            .bind(tenant_id)
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Codes older than `before` are of no use to anyone: neither to sign in nor to count sends.
    pub async fn delete_club_codes_before(&self, conn: &mut Conn, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM club_codes WHERE created_at < $1").bind(before).execute(&mut *conn).await?;
        Ok(done.rows_affected())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_customer_session(
        &self,
        conn: &mut Conn,
        token_hash: &str,
        tenant_id: i64,
        customer_id: i64,
        csrf: &str,
        lang: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO customer_sessions (token_hash, tenant_id, customer_id, csrf, lang, created_at, seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
        )
        .bind(token_hash)
        .bind(tenant_id)
        .bind(customer_id)
        .bind(csrf)
        .bind(lang)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The session of a token with its tenant, in one read.
    pub async fn customer_session(&self, token_hash: &str) -> Result<Option<CustomerSessionRow>> {
        let row = sqlx::query(
            "SELECT x.customer_id, x.csrf, x.lang, x.seen_at, x.expires_at,
                    t.id, t.slug, t.name, t.currency, t.time_zone, t.calendar, t.plan, t.created_at
             FROM customer_sessions x JOIN tenants t ON t.id = x.tenant_id WHERE x.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(CustomerSessionRow {
                tenant: crate::tenants::tenant(&r)?,
                customer_id: r.try_get(0)?,
                csrf: r.try_get(1)?,
                lang: r.try_get(2)?,
                seen_at: r.try_get(3)?,
                expires_at: r.try_get(4)?,
            })
        })
        .transpose()
    }

    pub async fn touch_customer_session(&self, conn: &mut Conn, token_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE customer_sessions SET seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn set_customer_session_lang(&self, conn: &mut Conn, token_hash: &str, lang: &str) -> Result<()> {
        sqlx::query("UPDATE customer_sessions SET lang = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(lang)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn delete_customer_session(&self, conn: &mut Conn, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM customer_sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *conn).await?;
        Ok(())
    }

    /// Points the club's host name at a tenant (or takes it away). False when another tenant
    /// has the host.
    pub async fn set_club_domain(&self, conn: &mut Conn, tenant_id: i64, host: Option<&str>) -> Result<bool> {
        sqlx::query("DELETE FROM club_domains WHERE tenant_id = $1").bind(tenant_id).execute(&mut *conn).await?;
        let Some(host) = host else { return Ok(true) };
        let done = sqlx::query("INSERT INTO club_domains (host, tenant_id) VALUES ($1, $2) ON CONFLICT (host) DO NOTHING")
            .bind(host)
            .bind(tenant_id)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The slug of the tenant whose club is served on a host name.
    pub async fn club_domain_tenant(&self, host: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT t.slug FROM club_domains d JOIN tenants t ON t.id = d.tenant_id WHERE d.host = $1")
            .bind(host)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }
}
