//! The audit log. Entries are only ever added; the one exception is erasing a customer, which
//! blanks the personal values their entries hold (see `redact_audit`).

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    /// `staff:12`, `api_key:5`, `operator` or `system`.
    pub actor: String,
    /// The staff member's email or the key's name, as it was then.
    pub actor_name: String,
    /// `reward.update`, `points.adjust`, …
    pub action: String,
    /// What was changed: `reward`, `customer`, …, and which one.
    pub entity: String,
    pub entity_key: String,
    /// JSON of the state before and after (none for a creation or a removal).
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Which entries to read, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_key: Option<String>,
    pub actor: Option<String>,
    /// Entries whose action starts with this (`reward.` finds every change of rewards).
    pub action_prefix: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Entries older than this id (the cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: i64,
}

fn audit_row(r: &sqlx::any::AnyRow) -> Result<AuditRow> {
    Ok(AuditRow {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        actor_name: r.try_get("actor_name")?,
        action: r.try_get("action")?,
        entity: r.try_get("entity")?,
        entity_key: r.try_get("entity_key")?,
        before: r.try_get("before_value")?,
        after: r.try_get("after_value")?,
    })
}

impl Store {
    pub async fn insert_audit(&self, conn: &mut Conn, tenant_id: i64, e: &AuditRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (tenant_id, id, at, actor, actor_name, action, entity, entity_key, before_value, after_value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(tenant_id)
        .bind(e.id)
        .bind(e.at)
        .bind(&e.actor)
        .bind(&e.actor_name)
        .bind(&e.action)
        .bind(&e.entity)
        .bind(&e.entity_key)
        .bind(e.before.clone())
        .bind(e.after.clone())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Entries matching every part of the filter given, newest first.
    pub async fn audit_entries(&self, tenant_id: i64, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        // Absent parts of the filter are bound as NULL and match everything, so one statement
        // serves every combination.
        let rows = sqlx::query(
            "SELECT id, at, actor, actor_name, action, entity, entity_key, before_value, after_value FROM audit_log
             WHERE tenant_id = $1 AND ($2 IS NULL OR entity = $2) AND ($3 IS NULL OR entity_key = $3)
             AND ($4 IS NULL OR actor = $4) AND ($5 IS NULL OR action LIKE $5) AND ($6 IS NULL OR at >= $6)
             AND ($7 IS NULL OR at < $7) AND ($8 IS NULL OR id < $8)
             ORDER BY id DESC LIMIT $9",
        )
        .bind(tenant_id)
        .bind(f.entity.clone())
        .bind(f.entity_key.clone())
        .bind(f.actor.clone())
        .bind(f.action_prefix.as_ref().map(|p| format!("{}%", p.replace(['%', '_'], ""))))
        .bind(f.from)
        .bind(f.to)
        .bind(f.before_id)
        .bind(f.limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(audit_row).collect()
    }

    /// Blanks the values of a customer's entries (their personal data), keeping who changed
    /// what and when.
    pub async fn redact_audit(&self, conn: &mut Conn, tenant_id: i64, customer_key: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE audit_log SET before_value = CASE WHEN before_value IS NULL THEN NULL ELSE '\"erased\"' END,
             after_value = CASE WHEN after_value IS NULL THEN NULL ELSE '\"erased\"' END
             WHERE tenant_id = $1 AND entity = 'customer' AND entity_key = $2",
        )
        .bind(tenant_id)
        .bind(customer_key)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected())
    }
}
