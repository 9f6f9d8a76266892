//! Automations, the facts that trigger them and their runs.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct AutomationRow {
    pub tenant_id: i64,
    pub id: i64,
    pub code: String,
    pub body: String,
    pub paused: bool,
    /// The last fact id read for the trigger; facts with higher ids are still to read.
    pub position: i64,
    /// For daily triggers: the tenant-local day last scanned.
    pub scanned_day: Option<String>,
    pub created_at: i64,
}

const COLUMNS: &str = "tenant_id, id, code, body, paused, position, scanned_day, created_at";

fn automation(r: &AnyRow) -> Result<AutomationRow> {
    let paused: i64 = r.try_get(4)?;
    Ok(AutomationRow {
        tenant_id: r.try_get(0)?,
        id: r.try_get(1)?,
        code: r.try_get(2)?,
        body: r.try_get(3)?,
        paused: paused != 0,
        position: r.try_get(5)?,
        scanned_day: r.try_get(6)?,
        created_at: r.try_get(7)?,
    })
}

/// A fact that may trigger an automation: its id, customer, when it was written, and what the
/// messages may show of it.
#[derive(Debug, Clone)]
pub struct Fact {
    pub id: i64,
    pub customer_id: i64,
    pub created_at: i64,
    pub data: String,
}

/// A run to queue.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub id: i64,
    pub automation_id: i64,
    pub customer_id: i64,
    pub occurrence: String,
    pub data: String,
    pub due_at: i64,
}

#[derive(Debug, Clone)]
pub struct RunRow {
    pub tenant_id: i64,
    pub id: i64,
    pub automation_id: i64,
    pub customer_id: i64,
    pub occurrence: String,
    pub data: String,
    pub due_at: i64,
    pub status: String,
    pub result: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const RUN_COLUMNS: &str =
    "tenant_id, id, automation_id, customer_id, occurrence, data, due_at, status, result, created_at, updated_at";

fn run(r: &AnyRow) -> Result<RunRow> {
    Ok(RunRow {
        tenant_id: r.try_get(0)?,
        id: r.try_get(1)?,
        automation_id: r.try_get(2)?,
        customer_id: r.try_get(3)?,
        occurrence: r.try_get(4)?,
        data: r.try_get(5)?,
        due_at: r.try_get(6)?,
        status: r.try_get(7)?,
        result: r.try_get(8)?,
        created_at: r.try_get(9)?,
        updated_at: r.try_get(10)?,
    })
}

fn facts(rows: &[AnyRow]) -> Result<Vec<Fact>> {
    rows.iter()
        .map(|r| Ok(Fact { id: r.try_get(0)?, customer_id: r.try_get(1)?, created_at: r.try_get(2)?, data: r.try_get(3)? }))
        .collect()
}

impl Store {
    pub async fn insert_automation(&self, conn: &mut Conn, a: &AutomationRow, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO automations (tenant_id, id, code, body, paused, position, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (tenant_id, code) DO NOTHING",
        )
        .bind(a.tenant_id)
        .bind(a.id)
        .bind(&a.code)
        .bind(&a.body)
        .bind(i64::from(a.paused))
        .bind(a.position)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn update_automation(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        code: &str,
        body: &str,
        paused: bool,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query("UPDATE automations SET body = $3, paused = $4, updated_at = $5 WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .bind(body)
            .bind(i64::from(paused))
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn automation_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<AutomationRow>> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM automations WHERE tenant_id = $1 AND code = $2")))
                .bind(tenant_id)
                .bind(code)
                .fetch_optional(&mut *conn)
                .await?;
        row.map(|r| automation(&r)).transpose()
    }

    pub async fn automation_by_id(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<AutomationRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM automations WHERE tenant_id = $1 AND id = $2")))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| automation(&r)).transpose()
    }

    pub async fn automations(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<AutomationRow>> {
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM automations WHERE tenant_id = $1 ORDER BY code")))
                .bind(tenant_id)
                .fetch_all(&mut *conn)
                .await?;
        rows.iter().map(automation).collect()
    }

    /// Automations of every tenant that are not paused.
    pub async fn active_automations(&self, conn: &mut Conn) -> Result<Vec<AutomationRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM automations WHERE paused = 0 ORDER BY tenant_id, id"
        )))
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(automation).collect()
    }

    pub async fn set_automation_position(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        position: i64,
        scanned_day: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE automations SET position = $3, scanned_day = COALESCE($4, scanned_day) WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(position)
        .bind(scanned_day)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Invoices with a customer, by id after `after`.
    pub async fn invoice_facts(&self, conn: &mut Conn, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<Fact>> {
        let rows = sqlx::query(
            "SELECT id, customer_id, created_at, external_id FROM invoices
             WHERE tenant_id = $1 AND id > $2 AND customer_id IS NOT NULL ORDER BY id LIMIT $3",
        )
        .bind(tenant_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        facts(&rows)
    }

    /// Events of a type with a customer, by id after `after`, with their properties.
    pub async fn event_facts(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        event_type: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Fact>> {
        let rows = sqlx::query(
            "SELECT id, customer_id, created_at, properties FROM events
             WHERE tenant_id = $1 AND id > $2 AND type = $3 AND customer_id IS NOT NULL ORDER BY id LIMIT $4",
        )
        .bind(tenant_id)
        .bind(after)
        .bind(event_type)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        facts(&rows)
    }

    /// Customers created, by id after `after`.
    pub async fn signup_facts(&self, conn: &mut Conn, tenant_id: i64, after: i64, limit: i64) -> Result<Vec<Fact>> {
        let rows = sqlx::query(
            "SELECT id, id, created_at, '{}' FROM customers WHERE tenant_id = $1 AND id > $2 AND merged_into IS NULL ORDER BY id LIMIT $3",
        )
        .bind(tenant_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        facts(&rows)
    }

    /// Live customers born on `month_day` (`MM-DD`).
    pub async fn birthdays_on(&self, conn: &mut Conn, tenant_id: i64, month_day: &str) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT id FROM customers WHERE tenant_id = $1 AND merged_into IS NULL AND birth_date IS NOT NULL
             AND substr(birth_date, 6, 5) = $2",
        )
        .bind(tenant_id)
        .bind(month_day)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Customers whose last purchase fell in `[from, to)`, with it.
    pub async fn last_purchased_between(&self, conn: &mut Conn, tenant_id: i64, from: i64, to: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT customer_id, last_purchase_at FROM customer_stats WHERE tenant_id = $1 AND last_purchase_at >= $2 AND last_purchase_at < $3",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Queues runs; an occurrence already run or queued for the customer is left out.
    pub async fn insert_runs(&self, conn: &mut Conn, tenant_id: i64, runs: &[NewRun], now: i64) -> Result<u64> {
        let rows = runs
            .iter()
            .map(|r| {
                vec![
                    Val::I(tenant_id),
                    Val::I(r.id),
                    Val::I(r.automation_id),
                    Val::I(r.customer_id),
                    Val::T(r.occurrence.clone()),
                    Val::T(r.data.clone()),
                    Val::I(r.due_at),
                    Val::T("queued".into()),
                    Val::I(now),
                    Val::I(now),
                ]
            })
            .collect();
        bulk::insert_counted(
            conn,
            "automation_runs",
            &[
                "tenant_id",
                "id",
                "automation_id",
                "customer_id",
                "occurrence",
                "data",
                "due_at",
                "status",
                "created_at",
                "updated_at",
            ],
            rows,
            "ON CONFLICT (tenant_id, automation_id, customer_id, occurrence) DO NOTHING",
        )
        .await
    }

    /// Whether any run is due or abandoned (a read, so an idle runner takes no write lock).
    pub async fn runs_have_work(&self, conn: &mut Conn, now: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM automation_runs WHERE (status = 'queued' AND due_at <= $1) OR (status = 'running' AND lease_until < $1) LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.is_some())
    }

    /// Claims due runs of automations that are not paused, until `lease_until`; runs whose
    /// runner died come back when their lease runs out.
    pub async fn claim_due_runs(&self, conn: &mut Conn, now: i64, lease_until: i64, limit: i64) -> Result<Vec<RunRow>> {
        sqlx::query(
            "UPDATE automation_runs SET status = 'queued', lease_until = NULL WHERE status = 'running' AND lease_until < $1",
        )
        .bind(now)
        .execute(&mut *conn)
        .await?;
        let skip = match self.backend() {
            crate::Backend::Postgres => " FOR UPDATE OF r SKIP LOCKED",
            crate::Backend::Sqlite => "",
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE automation_runs SET status = 'running', lease_until = $2, updated_at = $1
             WHERE (tenant_id, id) IN (
                SELECT r.tenant_id, r.id FROM automation_runs r JOIN automations a ON a.tenant_id = r.tenant_id AND a.id = r.automation_id
                WHERE r.status = 'queued' AND r.due_at <= $1 AND a.paused = 0 ORDER BY r.due_at LIMIT $3{skip})
             RETURNING {RUN_COLUMNS}"
        )))
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(run).collect()
    }

    /// Ends a claimed run: `done`, `skipped` or `failed`, with what it did or why not.
    pub async fn finish_run(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        status: &str,
        result: &str,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE automation_runs SET status = $3, result = $4, lease_until = NULL, updated_at = $5
             WHERE tenant_id = $1 AND id = $2 AND status = 'running'",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(status)
        .bind(result)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn runs_of(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        automation_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<RunRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RUN_COLUMNS} FROM automation_runs WHERE tenant_id = $1 AND automation_id = $2 AND ($3 IS NULL OR id < $3)
             ORDER BY id DESC LIMIT $4"
        )))
        .bind(tenant_id)
        .bind(automation_id)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(run).collect()
    }
}
