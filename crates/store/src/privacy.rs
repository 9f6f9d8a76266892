//! A customer's right to be forgotten: what erasing removes besides the profile's own fields,
//! and the consent history an export shows.

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;
use std::collections::HashMap;

/// One change of a consent.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentChange {
    pub channel: String,
    pub opted_in: bool,
    pub at: i64,
}

impl Store {
    /// Removes what identifies a customer outside the profile row: identities (mobile, email,
    /// external ids), tags, notes' text and their earlier versions, the text and address of
    /// their messages (waiting ones are skipped), the merged profiles kept in merge history,
    /// club sessions, sign-in codes and browsers allowed to notify, and addresses marked undeliverable. Facts (invoices,
    /// ledger, events) stay under the customer's id, which no longer leads to a person.
    pub async fn erase_customer_traces(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customer_id: i64,
        addresses: &[String],
        now: i64,
    ) -> Result<()> {
        for sql in [
            "DELETE FROM customer_identities WHERE tenant_id = $1 AND customer_id = $2",
            "DELETE FROM customer_tags WHERE tenant_id = $1 AND customer_id = $2",
            "DELETE FROM customer_sessions WHERE tenant_id = $1 AND customer_id = $2",
            "DELETE FROM push_subscriptions WHERE tenant_id = $1 AND customer_id = $2",
            "UPDATE customer_notes SET body = '', mentions = '[]' WHERE tenant_id = $1 AND customer_id = $2",
            "UPDATE customer_note_versions SET body = '' WHERE tenant_id = $1 AND note_id IN
                (SELECT id FROM customer_notes WHERE tenant_id = $1 AND customer_id = $2)",
            "UPDATE customer_merges SET merged_profile = '{}' WHERE tenant_id = $1 AND (survivor_id = $2 OR merged_id = $2)",
            "UPDATE staff_notifications SET text = '' WHERE tenant_id = $1 AND customer_id = $2",
            // Their consent to be known across coalition networks by mobile goes with them.
            "DELETE FROM network_joins WHERE tenant_id = $1 AND customer_id = $2",
        ] {
            sqlx::query(sql).bind(tenant_id).bind(customer_id).execute(&mut *conn).await?;
        }
        sqlx::query(
            "UPDATE messages SET recipient = '', subject = NULL, body = '', html = NULL, updated_at = $3,
             status = CASE WHEN status IN ('queued', 'held') THEN 'skipped' ELSE status END,
             reason = CASE WHEN status IN ('queued', 'held') THEN 'erased' ELSE reason END
             WHERE tenant_id = $1 AND customer_id = $2",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        for address in addresses {
            sqlx::query("DELETE FROM club_codes WHERE tenant_id = $1 AND mobile = $2")
                .bind(tenant_id)
                .bind(address)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM undeliverable WHERE tenant_id = $1 AND recipient = $2")
                .bind(tenant_id)
                .bind(address)
                .execute(&mut *conn)
                .await?;
        }
        sqlx::query(
            "INSERT INTO customer_erasures (tenant_id, customer_id, erased_at) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id, customer_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// When each of `ids` was erased, for those that were.
    pub async fn erasure_times(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashMap<i64, i64>> {
        let rows = crate::bulk::select_in(
            conn,
            "SELECT customer_id, erased_at FROM customer_erasures WHERE tenant_id = $1 AND customer_id IN ({in})",
            tenant_id,
            ids.iter().map(|i| crate::bulk::Val::I(*i)).collect(),
        )
        .await?;
        rows.iter().map(|r| Ok((r.try_get("customer_id")?, r.try_get("erased_at")?))).collect()
    }

    /// Every change of a customer's consents, oldest first.
    pub async fn consent_history(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64) -> Result<Vec<ConsentChange>> {
        let rows = sqlx::query(
            "SELECT channel, opted_in, at FROM consent_log WHERE tenant_id = $1 AND customer_id = $2 ORDER BY at, id",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ConsentChange {
                    channel: r.try_get("channel")?,
                    opted_in: r.try_get::<i64, _>("opted_in")? != 0,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}
