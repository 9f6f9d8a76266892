//! Staff notes on customers, their earlier versions, and staff inboxes.

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct NoteRow {
    pub id: i64,
    pub customer_id: i64,
    pub author_id: i64,
    pub author_email: String,
    pub body: String,
    /// JSON array of the staff ids mentioned.
    pub mentions: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const NOTE_SELECT: &str = "SELECT n.id, n.customer_id, n.author_id, s.email, n.body, n.mentions, n.created_at, n.updated_at
     FROM customer_notes n JOIN staff_users s ON s.tenant_id = n.tenant_id AND s.id = n.author_id";

fn note(r: &AnyRow) -> Result<NoteRow> {
    Ok(NoteRow {
        id: r.try_get(0)?,
        customer_id: r.try_get(1)?,
        author_id: r.try_get(2)?,
        author_email: r.try_get(3)?,
        body: r.try_get(4)?,
        mentions: r.try_get(5)?,
        created_at: r.try_get(6)?,
        updated_at: r.try_get(7)?,
    })
}

#[derive(Debug, Clone)]
pub struct NotificationRow {
    pub id: i64,
    pub kind: String,
    pub customer_id: Option<i64>,
    pub note_id: Option<i64>,
    pub text: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// A staff user as notes need them: id, email, name, whether disabled.
pub type StaffRef = (i64, String, String, bool);

impl Store {
    pub async fn staff_refs(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<StaffRef>> {
        let rows = sqlx::query("SELECT id, email, name, disabled_at FROM staff_users WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant_id)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter()
            .map(|r| {
                let disabled: Option<i64> = r.try_get(3)?;
                Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, disabled.is_some()))
            })
            .collect()
    }

    pub async fn insert_note(&self, conn: &mut Conn, tenant_id: i64, n: &NoteRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO customer_notes (tenant_id, id, customer_id, author_id, body, mentions, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(tenant_id)
        .bind(n.id)
        .bind(n.customer_id)
        .bind(n.author_id)
        .bind(&n.body)
        .bind(&n.mentions)
        .bind(n.created_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Replaces a note's text, keeping the text it replaces as a numbered version.
    pub async fn edit_note(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        old: &NoteRow,
        body: &str,
        mentions: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO customer_note_versions (tenant_id, note_id, version, body, written_at)
             SELECT $1, $2, COALESCE(MAX(version), 0) + 1, $3, $4 FROM customer_note_versions WHERE tenant_id = $1 AND note_id = $2",
        )
        .bind(tenant_id)
        .bind(old.id)
        .bind(&old.body)
        .bind(old.updated_at)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE customer_notes SET body = $3, mentions = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(old.id)
            .bind(body)
            .bind(mentions)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn note(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<NoteRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{NOTE_SELECT} WHERE n.tenant_id = $1 AND n.id = $2")))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| note(&r)).transpose()
    }

    /// A customer's notes, newest first.
    pub async fn notes_of(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64, limit: i64) -> Result<Vec<NoteRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{NOTE_SELECT} WHERE n.tenant_id = $1 AND n.customer_id = $2 ORDER BY n.id DESC LIMIT $3"
        )))
        .bind(tenant_id)
        .bind(customer_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(note).collect()
    }

    /// Earlier texts of a note, oldest first: (version, text, when it was written).
    pub async fn note_versions(&self, conn: &mut Conn, tenant_id: i64, note_id: i64) -> Result<Vec<(i64, String, i64)>> {
        let rows = sqlx::query(
            "SELECT version, body, written_at FROM customer_note_versions WHERE tenant_id = $1 AND note_id = $2 ORDER BY version",
        )
        .bind(tenant_id)
        .bind(note_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// Puts a notification in a staff inbox; one per staff member, note and kind. Returns whether
    /// it is new.
    #[allow(clippy::too_many_arguments)]
    pub async fn notify_staff(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        staff_id: i64,
        kind: &str,
        customer_id: i64,
        note_id: i64,
        text: &str,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO staff_notifications (tenant_id, id, staff_id, kind, customer_id, note_id, text, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, staff_id, note_id, kind) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(staff_id)
        .bind(kind)
        .bind(customer_id)
        .bind(note_id)
        .bind(text)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn inbox(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        staff_id: i64,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<NotificationRow>> {
        let rows = sqlx::query(
            "SELECT id, kind, customer_id, note_id, text, created_at, read_at FROM staff_notifications
             WHERE tenant_id = $1 AND staff_id = $2 AND ($3 = 0 OR read_at IS NULL) ORDER BY id DESC LIMIT $4",
        )
        .bind(tenant_id)
        .bind(staff_id)
        .bind(i64::from(unread_only))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NotificationRow {
                    id: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    customer_id: r.try_get(2)?,
                    note_id: r.try_get(3)?,
                    text: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                    read_at: r.try_get(6)?,
                })
            })
            .collect()
    }

    pub async fn mark_read(&self, conn: &mut Conn, tenant_id: i64, staff_id: i64, id: i64, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE staff_notifications SET read_at = COALESCE(read_at, $4) WHERE tenant_id = $1 AND staff_id = $2 AND id = $3",
        )
        .bind(tenant_id)
        .bind(staff_id)
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }
}
