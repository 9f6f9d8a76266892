//! Tenants, their API keys and staff users.

use crate::Result;
use crate::bulk::ts;
use crate::db::{Conn, Store};
use philia_domain::records::{ApiKey, StaffUser, Tenant};
use sqlx::Row;
use sqlx::any::AnyRow;

const TENANT_COLUMNS: &str = "id, slug, name, currency, time_zone, calendar, plan, created_at";

/// A live key found by its hash (or by the hash it had before a rotation, until its grace period
/// ends at `$2`), with its tenant's columns as [`tenant`] reads them.
static KEY_WITH_TENANT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let tenant_columns = TENANT_COLUMNS.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT {tenant_columns}, k.role AS key_role, k.id AS key_id, k.name AS key_name
         FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
         WHERE (k.key_hash = $1 OR (k.previous_hash = $1 AND k.previous_until > $2)) AND k.revoked_at IS NULL"
    )
});

/// An API key found by its secret, with the tenant it belongs to.
pub struct KeyHolder {
    pub tenant: Tenant,
    pub role: String,
    pub key_id: i64,
    pub key_name: String,
}

pub(crate) fn tenant(r: &AnyRow) -> Result<Tenant> {
    Ok(Tenant {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        name: r.try_get("name")?,
        currency: r.try_get("currency")?,
        time_zone: r.try_get("time_zone")?,
        calendar: r.try_get("calendar")?,
        plan: r.try_get("plan")?,
        created_at: ts(r.try_get("created_at")?),
    })
}

fn api_key(r: &AnyRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        role: r.try_get("role")?,
        prefix: r.try_get("prefix")?,
        created_at: ts(r.try_get("created_at")?),
        revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(ts),
    })
}

pub struct NewTenantRow<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub currency: &'a str,
    pub time_zone: &'a str,
    pub calendar: &'a str,
    pub plan: &'a str,
}

impl Store {
    /// Inserts a tenant; `None` when the slug is taken.
    pub async fn insert_tenant(&self, conn: &mut Conn, t: NewTenantRow<'_>, now: i64) -> Result<Option<Tenant>> {
        let id = self.allocate_ids(conn, 1).await?[0];
        let row = crate::bulk::dynamic(format!(
            "INSERT INTO tenants ({TENANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (slug) DO NOTHING RETURNING {TENANT_COLUMNS}"
        ))
        .bind(id)
        .bind(t.slug)
        .bind(t.name)
        .bind(t.currency)
        .bind(t.time_zone)
        .bind(t.calendar)
        .bind(t.plan)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(tenant).transpose()
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
        let row = crate::bulk::dynamic(format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = $1"))
            .bind(slug)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(tenant).transpose()
    }

    pub async fn tenant_by_id(&self, id: i64) -> Result<Option<Tenant>> {
        let row = crate::bulk::dynamic(format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(tenant).transpose()
    }

    pub async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        let rows =
            crate::bulk::dynamic(format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY slug")).fetch_all(self.pool()).await?;
        rows.iter().map(tenant).collect()
    }

    pub async fn update_tenant(
        &self,
        conn: &mut Conn,
        id: i64,
        name: &str,
        time_zone: &str,
        calendar: &str,
    ) -> Result<Option<Tenant>> {
        let row = crate::bulk::dynamic(format!(
            "UPDATE tenants SET name = $2, time_zone = $3, calendar = $4 WHERE id = $1 RETURNING {TENANT_COLUMNS}"
        ))
        .bind(id)
        .bind(name)
        .bind(time_zone)
        .bind(calendar)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(tenant).transpose()
    }

    /// Moves a tenant to another plan.
    pub async fn set_tenant_plan(&self, conn: &mut Conn, id: i64, plan: &str) -> Result<Option<Tenant>> {
        let row = crate::bulk::dynamic(format!("UPDATE tenants SET plan = $2 WHERE id = $1 RETURNING {TENANT_COLUMNS}"))
            .bind(id)
            .bind(plan)
            .fetch_optional(&mut *conn)
            .await?;
        row.as_ref().map(tenant).transpose()
    }

    /// Sales invoices per tenant-local day within `[from, to]` (both included), from the daily
    /// statistics; days without any are left out.
    pub async fn daily_invoices(&self, tenant_id: i64, from: &str, to: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT day, invoices FROM tenant_daily_stats WHERE tenant_id = $1 AND day >= $2 AND day <= $3 AND invoices <> 0",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get("day")?, r.try_get("invoices")?))).collect()
    }

    pub async fn insert_api_key(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        name: &str,
        role: &str,
        prefix: &str,
        key_hash: &str,
        now: i64,
    ) -> Result<ApiKey> {
        let id = self.allocate_ids(conn, 1).await?[0];
        sqlx::query(
            "INSERT INTO api_keys (tenant_id, id, name, role, prefix, key_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(name)
        .bind(role)
        .bind(prefix)
        .bind(key_hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(ApiKey { id, name: name.into(), role: role.into(), prefix: prefix.into(), created_at: ts(now), revoked_at: None })
    }

    /// The live key with this hash (or a rotated key's previous hash still in its grace period),
    /// with its tenant: one statement, as every API request asks it.
    pub async fn find_api_key(&self, key_hash: &str, now: i64) -> Result<Option<KeyHolder>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(KEY_WITH_TENANT.as_str()))
            .bind(key_hash)
            .bind(now)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(KeyHolder {
                tenant: tenant(&r)?,
                role: r.try_get("key_role")?,
                key_id: r.try_get("key_id")?,
                key_name: r.try_get("key_name")?,
            })
        })
        .transpose()
    }

    pub async fn list_api_keys(&self, tenant_id: i64) -> Result<Vec<ApiKey>> {
        let rows =
            sqlx::query("SELECT id, name, role, prefix, created_at, revoked_at FROM api_keys WHERE tenant_id = $1 ORDER BY id")
                .bind(tenant_id)
                .fetch_all(self.pool())
                .await?;
        rows.iter().map(api_key).collect()
    }

    /// Gives a live key a new secret; the old one keeps working until `previous_until` (now:
    /// not at all). `None` when the tenant has no such live key.
    pub async fn rotate_api_key(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        prefix: &str,
        key_hash: &str,
        previous_until: i64,
    ) -> Result<Option<ApiKey>> {
        let row = sqlx::query(
            "UPDATE api_keys SET previous_hash = key_hash, previous_until = $5, key_hash = $4, prefix = $3
             WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL RETURNING id, name, role, prefix, created_at, revoked_at",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(prefix)
        .bind(key_hash)
        .bind(previous_until)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(api_key).transpose()
    }

    /// Revokes a key; false when the tenant has no such active key.
    pub async fn revoke_api_key(&self, conn: &mut Conn, tenant_id: i64, id: i64, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
            .bind(tenant_id)
            .bind(id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Inserts a staff user; `None` when the email is taken in this tenant.
    pub async fn insert_staff(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        email: &str,
        name: &str,
        role: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<StaffUser>> {
        let id = self.allocate_ids(conn, 1).await?[0];
        let done = sqlx::query(
            "INSERT INTO staff_users (tenant_id, id, email, name, role, password_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, email) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(email)
        .bind(name)
        .bind(role)
        .bind(password_hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok((done.rows_affected() == 1).then(|| StaffUser {
            id,
            email: email.into(),
            name: name.into(),
            role: role.into(),
            created_at: ts(now),
        }))
    }

    pub async fn list_staff(&self, tenant_id: i64) -> Result<Vec<StaffUser>> {
        let rows = sqlx::query("SELECT id, email, name, role, created_at FROM staff_users WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StaffUser {
                    id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    created_at: ts(r.try_get("created_at")?),
                })
            })
            .collect()
    }
}
