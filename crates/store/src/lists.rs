//! Static lists and their members.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use sqlx::Row;

pub struct ListRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub members: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

fn row(r: &sqlx::any::AnyRow) -> Result<ListRow> {
    Ok(ListRow {
        id: r.try_get(0)?,
        code: r.try_get(1)?,
        name: r.try_get(2)?,
        members: r.try_get(3)?,
        created_at: r.try_get(4)?,
        updated_at: r.try_get(5)?,
    })
}

const COLUMNS: &str = "id, code, name, members, created_at, updated_at";

impl Store {
    pub async fn insert_list(&self, conn: &mut Conn, tenant_id: i64, id: i64, code: &str, name: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO lists (tenant_id, id, code, name, members, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $5)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(code)
        .bind(name)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    pub async fn list_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<ListRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM lists WHERE tenant_id = $1 AND code = $2")))
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        r.as_ref().map(row).transpose()
    }

    pub async fn lists(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<ListRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM lists WHERE tenant_id = $1 ORDER BY code")))
            .bind(tenant_id)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(row).collect()
    }

    /// Adds customers to a list (those already in it stay as they were); returns how many joined.
    pub async fn add_list_members(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        list_id: i64,
        customers: &[i64],
        now: i64,
    ) -> Result<u64> {
        let rows = customers.iter().map(|c| vec![Val::I(tenant_id), Val::I(list_id), Val::I(*c), Val::I(now)]).collect();
        let added = bulk::insert_counted(
            conn,
            "list_members",
            &["tenant_id", "list_id", "customer_id", "added_at"],
            rows,
            "ON CONFLICT DO NOTHING",
        )
        .await?;
        sqlx::query("UPDATE lists SET members = members + $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(list_id)
            .bind(added as i64)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(added)
    }

    pub async fn list_member_ids(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        list_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT m.customer_id FROM list_members m JOIN customers c ON c.tenant_id = m.tenant_id AND c.id = m.customer_id
             WHERE m.tenant_id = $1 AND m.list_id = $2 AND m.customer_id > $3 AND c.merged_into IS NULL ORDER BY m.customer_id LIMIT $4",
        )
        .bind(tenant_id)
        .bind(list_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn delete_list(&self, conn: &mut Conn, tenant_id: i64, list_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM list_members WHERE tenant_id = $1 AND list_id = $2")
            .bind(tenant_id)
            .bind(list_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM lists WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(list_id)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
