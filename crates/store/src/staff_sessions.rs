//! Staff sign-in: accounts by email across tenants, sessions by token hash, wrong-password counts.

use crate::Result;
use crate::db::{Conn, Store};
use philia_domain::staff_auth::Failures;
use sqlx::Row;

/// A staff account that may sign in with an email address.
#[derive(Debug, Clone)]
pub struct StaffLogin {
    pub tenant_id: i64,
    pub staff_id: i64,
    pub password_hash: String,
    pub tenant_slug: String,
    pub tenant_name: String,
}

/// A live session with the staff member and the tenant it belongs to.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub tenant: philia_domain::records::Tenant,
    pub staff_id: i64,
    pub csrf: String,
    pub seen_at: i64,
    pub expires_at: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub lang: String,
    /// The branch a till session sells at.
    pub branch: Option<String>,
}

impl Store {
    /// Every enabled account with this (normalised) email, in tenant order.
    pub async fn staff_logins(&self, email: &str) -> Result<Vec<StaffLogin>> {
        let rows = sqlx::query(
            "SELECT s.tenant_id, s.id, s.password_hash, t.slug, t.name FROM staff_users s
             JOIN tenants t ON t.id = s.tenant_id WHERE s.email = $1 AND s.disabled_at IS NULL ORDER BY s.tenant_id",
        )
        .bind(email)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StaffLogin {
                    tenant_id: r.try_get(0)?,
                    staff_id: r.try_get(1)?,
                    password_hash: r.try_get(2)?,
                    tenant_slug: r.try_get(3)?,
                    tenant_name: r.try_get(4)?,
                })
            })
            .collect()
    }

    pub async fn sign_in_failures(&self, conn: &mut Conn, email: &str) -> Result<Option<Failures>> {
        let row = sqlx::query("SELECT failures, window_start, locked_until FROM sign_in_failures WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| Ok(Failures { count: r.try_get(0)?, window_start: r.try_get(1)?, locked_until: r.try_get(2)? })).transpose()
    }

    pub async fn save_sign_in_failures(&self, conn: &mut Conn, email: &str, f: &Failures) -> Result<()> {
        sqlx::query(
            "INSERT INTO sign_in_failures (email, failures, window_start, locked_until) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO UPDATE SET failures = $2, window_start = $3, locked_until = $4",
        )
        .bind(email)
        .bind(f.count)
        .bind(f.window_start)
        .bind(f.locked_until)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn clear_sign_in_failures(&self, conn: &mut Conn, email: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE email = $1").bind(email).execute(&mut *conn).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_session(
        &self,
        conn: &mut Conn,
        token_hash: &str,
        tenant_id: i64,
        staff_id: i64,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO staff_sessions (token_hash, tenant_id, staff_id, csrf, created_at, seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(token_hash)
        .bind(tenant_id)
        .bind(staff_id)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The session of a token with its staff member (if still enabled) and tenant, in one read.
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT x.staff_id, x.csrf, x.seen_at, x.expires_at, s.email, s.name AS staff_name, s.role, s.lang,
                    t.id, t.slug, t.name, t.currency, t.time_zone, t.calendar, t.plan, t.created_at, x.branch
             FROM staff_sessions x JOIN staff_users s ON s.tenant_id = x.tenant_id AND s.id = x.staff_id
             JOIN tenants t ON t.id = x.tenant_id
             WHERE x.token_hash = $1 AND s.disabled_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                tenant: crate::tenants::tenant(&r)?,
                staff_id: r.try_get(0)?,
                csrf: r.try_get(1)?,
                seen_at: r.try_get(2)?,
                expires_at: r.try_get(3)?,
                email: r.try_get(4)?,
                name: r.try_get(5)?,
                role: r.try_get(6)?,
                lang: r.try_get(7)?,
                branch: r.try_get("branch")?,
            })
        })
        .transpose()
    }

    pub async fn touch_session(&self, conn: &mut Conn, token_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE staff_sessions SET seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, conn: &mut Conn, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1").bind(token_hash).execute(&mut *conn).await?;
        Ok(())
    }

    pub async fn set_staff_lang(&self, conn: &mut Conn, tenant_id: i64, staff_id: i64, lang: &str) -> Result<()> {
        sqlx::query("UPDATE staff_users SET lang = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(staff_id)
            .bind(lang)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    /// Replaces a staff member's password and ends their sessions. False when no such account.
    pub async fn set_staff_password(&self, conn: &mut Conn, tenant_id: i64, email: &str, hash: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE staff_users SET password_hash = $3 WHERE tenant_id = $1 AND email = $2")
            .bind(tenant_id)
            .bind(email)
            .bind(hash)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "DELETE FROM staff_sessions WHERE tenant_id = $1 AND staff_id IN (SELECT id FROM staff_users WHERE tenant_id = $1 AND email = $2)",
        )
        .bind(tenant_id)
        .bind(email)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
