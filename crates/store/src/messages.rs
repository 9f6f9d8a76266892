//! Messaging: provider settings, templates, the outbox (which is also the delivery log) and
//! recipients that cannot receive.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::{Conn, Store};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};

/// The platform's own provider settings, used by tenants without their own, sit under this id
/// (tenant ids start far above it).
pub const PLATFORM: i64 = 0;

/// A message to put in the outbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub purpose: String,
    pub template: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub html: Option<String>,
    /// What caused it, e.g. `api`, `campaign:42`.
    pub source: String,
    /// One message per key: a retried cause queues nothing new.
    pub dedupe_key: String,
    /// `queued`, or `skipped` with its reason when a rule stopped it at once.
    pub status: String,
    pub reason: Option<String>,
    pub due_at: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub tenant_id: i64,
    pub id: i64,
    pub customer_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub purpose: String,
    pub template: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub html: Option<String>,
    pub source: String,
    pub status: String,
    pub reason: Option<String>,
    pub attempts: i64,
    pub due_at: i64,
    pub provider: Option<String>,
    pub provider_id: Option<String>,
    pub cost: Option<i64>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub updated_at: i64,
}

const COLUMNS: &str = "tenant_id, id, customer_id, channel, recipient, purpose, template, subject, body, html, source, status, \
     reason, attempts, due_at, provider, provider_id, cost, created_at, sent_at, updated_at";

fn message(r: &AnyRow) -> Result<MessageRow> {
    Ok(MessageRow {
        tenant_id: r.try_get(0)?,
        id: r.try_get(1)?,
        customer_id: r.try_get(2)?,
        channel: r.try_get(3)?,
        recipient: r.try_get(4)?,
        purpose: r.try_get(5)?,
        template: r.try_get(6)?,
        subject: r.try_get(7)?,
        body: r.try_get(8)?,
        html: r.try_get(9)?,
        source: r.try_get(10)?,
        status: r.try_get(11)?,
        reason: r.try_get(12)?,
        attempts: r.try_get(13)?,
        due_at: r.try_get(14)?,
        provider: r.try_get(15)?,
        provider_id: r.try_get(16)?,
        cost: r.try_get(17)?,
        created_at: r.try_get(18)?,
        sent_at: r.try_get(19)?,
        updated_at: r.try_get(20)?,
    })
}

/// A stored template.
pub struct TemplateRow {
    pub id: i64,
    pub code: String,
    pub body: String,
}

/// What a customer holds, as messages show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holdings {
    /// Balance per point type code.
    pub points: Vec<(String, i64)>,
    /// Points in lots that expire within their type's warning period, and the first such expiry.
    pub expiring: i64,
    pub expiring_at: Option<i64>,
    pub wallet: i64,
}

/// Which holdings to load: a template that shows no wallet needs no wallet query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    pub points: bool,
    pub expiring: bool,
    pub wallet: bool,
}

impl Wanted {
    pub const ALL: Wanted = Wanted { points: true, expiring: true, wallet: true };
}

/// What a worker does with a claimed message after trying it.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent {
        provider: String,
        provider_id: Option<String>,
        cost: Option<i64>,
    },
    Retry {
        due_at: i64,
        reason: String,
    },
    Failed {
        reason: String,
    },
    Skipped {
        reason: String,
    },
    /// Not tried after all (quiet hours began): back to the queue without using an attempt.
    Defer {
        due_at: i64,
        reason: String,
    },
}

impl Store {
    pub async fn set_channel_settings(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        channel: &str,
        provider: &str,
        sealed: &str,
        now: i64,
    ) -> Result<()> {
        let replace = "DO UPDATE SET provider = excluded.provider, sealed = excluded.sealed, updated_at = excluded.updated_at";
        self.insert_channel_settings(conn, tenant_id, channel, provider, sealed, now, replace).await.map(|_| ())
    }

    /// Keeps settings only when the owner has none for the channel yet; whether they were kept.
    /// Two processes making a first key at once keep the same one.
    pub async fn add_channel_settings(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        channel: &str,
        provider: &str,
        sealed: &str,
        now: i64,
    ) -> Result<bool> {
        self.insert_channel_settings(conn, tenant_id, channel, provider, sealed, now, "DO NOTHING").await
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_channel_settings(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        channel: &str,
        provider: &str,
        sealed: &str,
        now: i64,
        on_conflict: &'static str,
    ) -> Result<bool> {
        let sql = format!(
            "INSERT INTO channel_settings (tenant_id, channel, provider, sealed, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, channel) {on_conflict}"
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(channel)
            .bind(provider)
            .bind(sealed)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn delete_channel_settings(&self, conn: &mut Conn, tenant_id: i64, channel: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM channel_settings WHERE tenant_id = $1 AND channel = $2")
            .bind(tenant_id)
            .bind(channel)
            .execute(&mut *conn)
            .await?;
        Ok(n.rows_affected() > 0)
    }

    /// The sealed settings of a channel: the tenant's own, else the platform's. Returns the owner
    /// (the tenant or [`PLATFORM`]) with them.
    pub async fn channel_settings(&self, conn: &mut Conn, tenant_id: i64, channel: &str) -> Result<Option<(i64, String)>> {
        let row = sqlx::query(
            "SELECT tenant_id, sealed FROM channel_settings WHERE tenant_id IN ($1, $2) AND channel = $3
             ORDER BY tenant_id DESC LIMIT 1",
        )
        .bind(tenant_id)
        .bind(PLATFORM)
        .bind(channel)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    pub async fn insert_template(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        code: &str,
        channel: &str,
        body: &str,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO message_templates (tenant_id, id, code, channel, body, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant_id, code) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(code)
        .bind(channel)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn update_template(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        code: &str,
        channel: &str,
        body: &str,
        now: i64,
    ) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE message_templates SET channel = $3, body = $4, updated_at = $5 WHERE tenant_id = $1 AND code = $2",
        )
        .bind(tenant_id)
        .bind(code)
        .bind(channel)
        .bind(body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn template_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<TemplateRow>> {
        let row = sqlx::query("SELECT id, code, body FROM message_templates WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| Ok(TemplateRow { id: r.try_get(0)?, code: r.try_get(1)?, body: r.try_get(2)? })).transpose()
    }

    pub async fn templates(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<TemplateRow>> {
        let rows = sqlx::query("SELECT id, code, body FROM message_templates WHERE tenant_id = $1 ORDER BY code")
            .bind(tenant_id)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(|r| Ok(TemplateRow { id: r.try_get(0)?, code: r.try_get(1)?, body: r.try_get(2)? })).collect()
    }

    /// Puts messages in the outbox; a message whose dedupe key is already there is left out.
    /// Returns the ids of the messages written.
    pub async fn insert_messages(&self, conn: &mut Conn, tenant_id: i64, messages: &[NewMessage], now: i64) -> Result<Vec<i64>> {
        let rows = messages
            .iter()
            .map(|m| {
                vec![
                    Val::I(tenant_id),
                    Val::I(m.id),
                    Val::OI(m.customer_id),
                    Val::T(m.channel.clone()),
                    Val::T(m.recipient.clone()),
                    Val::T(m.purpose.clone()),
                    Val::OT(m.template.clone()),
                    Val::OT(m.subject.clone()),
                    Val::T(m.body.clone()),
                    Val::OT(m.html.clone()),
                    Val::T(m.source.clone()),
                    Val::T(m.dedupe_key.clone()),
                    Val::T(m.status.clone()),
                    Val::OT(m.reason.clone()),
                    Val::I(0),
                    Val::I(m.due_at),
                    Val::I(now),
                    Val::I(now),
                ]
            })
            .collect();
        let written = bulk::insert(
            conn,
            "messages",
            &[
                "tenant_id",
                "id",
                "customer_id",
                "channel",
                "recipient",
                "purpose",
                "template",
                "subject",
                "body",
                "html",
                "source",
                "dedupe_key",
                "status",
                "reason",
                "attempts",
                "due_at",
                "created_at",
                "updated_at",
            ],
            rows,
            "ON CONFLICT (tenant_id, dedupe_key) DO NOTHING RETURNING id",
        )
        .await?;
        written.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Which of these dedupe keys already have a message.
    pub async fn messages_with_keys(&self, conn: &mut Conn, tenant_id: i64, keys: &[String]) -> Result<HashSet<String>> {
        if keys.is_empty() {
            return Ok(HashSet::new());
        }
        let rows = bulk::select_in(
            conn,
            "SELECT dedupe_key FROM messages WHERE tenant_id = $1 AND dedupe_key IN ({in})",
            tenant_id,
            keys.iter().map(|k| Val::T(k.clone())).collect(),
        )
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn message_by_key(&self, conn: &mut Conn, tenant_id: i64, key: &str) -> Result<Option<MessageRow>> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM messages WHERE tenant_id = $1 AND dedupe_key = $2")))
                .bind(tenant_id)
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
        row.map(|r| message(&r)).transpose()
    }

    /// Whether any message is due or abandoned: an idle sender asks this (a read) every second
    /// instead of taking the write lock.
    pub async fn outbox_has_work(&self, conn: &mut Conn, now: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 FROM messages WHERE (status = 'queued' AND due_at <= $1) OR (status = 'sending' AND lease_until < $1) LIMIT 1",
        )
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        Ok(row.is_some())
    }

    /// Messages whose worker died while sending them (the lease ran out) go back to the queue.
    pub async fn requeue_abandoned(&self, conn: &mut Conn, now: i64) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE messages SET status = 'queued', lease_until = NULL, updated_at = $1
             WHERE status = 'sending' AND lease_until < $1",
        )
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected())
    }

    /// Claims up to `limit` due messages of every tenant for one worker until `lease_until`.
    /// Concurrent workers on PostgreSQL skip each other's rows.
    pub async fn claim_due_messages(&self, conn: &mut Conn, now: i64, lease_until: i64, limit: i64) -> Result<Vec<MessageRow>> {
        let skip = self.skip_locked();
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE messages SET status = 'sending', lease_until = $2, attempts = attempts + 1, updated_at = $1
             WHERE (tenant_id, id) IN (
                SELECT tenant_id, id FROM messages WHERE status = 'queued' AND due_at <= $1 ORDER BY due_at LIMIT $3{skip})
             RETURNING {COLUMNS}"
        )))
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(message).collect()
    }

    /// Records what became of a claimed message. Only a message still claimed (`sending`) changes:
    /// a worker whose lease ran out cannot overwrite the outcome of the one that took over.
    pub async fn record_outcome(&self, conn: &mut Conn, tenant_id: i64, id: i64, outcome: &Outcome, now: i64) -> Result<bool> {
        let q = match outcome {
            Outcome::Sent { provider, provider_id, cost } => sqlx::query(
                "UPDATE messages SET status = 'sent', reason = NULL, lease_until = NULL, provider = $3, provider_id = $4,
                 cost = $5, sent_at = $6, updated_at = $6 WHERE tenant_id = $1 AND id = $2 AND status = 'sending'",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(provider.clone())
            .bind(provider_id.clone())
            .bind(*cost)
            .bind(now),
            Outcome::Retry { due_at, reason } => sqlx::query(
                "UPDATE messages SET status = 'queued', reason = $3, lease_until = NULL, due_at = $4, updated_at = $5
                 WHERE tenant_id = $1 AND id = $2 AND status = 'sending'",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(reason.clone())
            .bind(*due_at)
            .bind(now),
            Outcome::Defer { due_at, reason } => sqlx::query(
                "UPDATE messages SET status = 'queued', reason = $3, lease_until = NULL, due_at = $4, attempts = attempts - 1,
                 updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND status = 'sending'",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(reason.clone())
            .bind(*due_at)
            .bind(now),
            Outcome::Failed { reason } | Outcome::Skipped { reason } => sqlx::query(
                "UPDATE messages SET status = $3, reason = $4, lease_until = NULL, updated_at = $5
                 WHERE tenant_id = $1 AND id = $2 AND status = 'sending'",
            )
            .bind(tenant_id)
            .bind(id)
            .bind(if matches!(outcome, Outcome::Failed { .. }) { "failed" } else { "skipped" })
            .bind(reason.clone())
            .bind(now),
        };
        Ok(q.execute(&mut *conn).await?.rows_affected() == 1)
    }

    /// Lets this transaction's commit return before PostgreSQL has flushed it to disk. Used only
    /// for a sender's outcome records: should the database server itself crash in the next
    /// fraction of a second, the message is sent again after its lease, which the outbox allows
    /// anyway; what causes messages is always committed durably. SQLite (WAL, `synchronous =
    /// NORMAL`) already commits without a flush.
    pub async fn relax_commit_flush(&self, conn: &mut Conn) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// A delivery report: `delivered`, or `failed` with the reason.
    pub async fn record_delivery(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        id: i64,
        status: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE messages SET status = $3, reason = COALESCE($4, reason), updated_at = $5
             WHERE tenant_id = $1 AND id = $2 AND status = 'sent'",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(status)
        .bind(reason)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Sent messages with a provider id, sent after `since`, still waiting for a delivery report.
    pub async fn awaiting_delivery(&self, conn: &mut Conn, since: i64, limit: i64) -> Result<Vec<MessageRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM messages WHERE status = 'sent' AND provider_id IS NOT NULL AND sent_at >= $1
             ORDER BY sent_at LIMIT $2"
        )))
        .bind(since)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(message).collect()
    }

    pub async fn message(&self, conn: &mut Conn, tenant_id: i64, id: i64) -> Result<Option<MessageRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM messages WHERE tenant_id = $1 AND id = $2")))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| message(&r)).transpose()
    }

    /// The delivery log, newest first, of a customer or a source (or the whole tenant), after a
    /// cursor (`id` below `before`).
    pub async fn message_log(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customer_id: Option<i64>,
        source: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<MessageRow>> {
        // A customer's log is read through the customer index and then sorted; `$2 IS NULL OR …`
        // would hide the index from the planner, and a bare `ORDER BY id` lets SQLite prefer
        // walking the whole outbox in id order (`id + 0` is not indexed).
        let (customer, order) = if customer_id.is_some() { ("customer_id = $2", "id + 0") } else { ("$2 IS NULL", "id") };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM messages WHERE tenant_id = $1 AND {customer}
             AND ($3 IS NULL OR source = $3) AND ($4 IS NULL OR id < $4) ORDER BY {order} DESC LIMIT $5"
        )))
        .bind(tenant_id)
        .bind(customer_id)
        .bind(source)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(message).collect()
    }

    /// Per status, how many messages a source has.
    pub async fn message_counts(&self, conn: &mut Conn, tenant_id: i64, source: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(
            "SELECT status, CAST(COUNT(*) AS BIGINT) FROM messages WHERE tenant_id = $1 AND source = $2 GROUP BY status ORDER BY status",
        )
        .bind(tenant_id)
        .bind(source)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// How many marketing messages each customer was sent or has waiting since `day_start` and
    /// since `week_start`: what the frequency cap counts.
    pub async fn marketing_counts(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customers: &[i64],
        day_start: i64,
        week_start: i64,
    ) -> Result<HashMap<i64, (i64, i64)>> {
        if customers.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = bulk::select_in_with(
            conn,
            "SELECT customer_id, created_at FROM messages WHERE tenant_id = $1 AND created_at >= $2 AND purpose = 'marketing'
             AND status IN ('queued', 'sending', 'sent', 'delivered') AND customer_id IN ({in})",
            tenant_id,
            vec![Val::I(week_start.min(day_start))],
            bulk::ids(customers),
        )
        .await?;
        let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
        for r in &rows {
            let customer: i64 = r.try_get(0)?;
            let at: i64 = r.try_get(1)?;
            let e = out.entry(customer).or_default();
            e.0 += i64::from(at >= day_start);
            e.1 += i64::from(at >= week_start);
        }
        Ok(out)
    }

    /// Point balances, points expiring soon and wallet balances of many customers, in three
    /// statements per chunk (a broadcast renders thousands of messages at once).
    pub async fn holdings(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customers: &[i64],
        now: i64,
        wanted: Wanted,
    ) -> Result<HashMap<i64, Holdings>> {
        let mut out: HashMap<i64, Holdings> = customers.iter().map(|c| (*c, Holdings::default())).collect();
        if customers.is_empty() {
            return Ok(out);
        }
        let ids: Vec<Val> = bulk::ids(customers);
        if wanted.points {
            self.point_holdings(conn, tenant_id, ids.clone(), &mut out).await?;
        }
        if wanted.expiring {
            self.expiring_holdings(conn, tenant_id, ids.clone(), now, &mut out).await?;
        }
        if wanted.wallet {
            let rows = bulk::select_in(
                conn,
                "SELECT customer_id, balance FROM wallet_balances WHERE tenant_id = $1 AND customer_id IN ({in})",
                tenant_id,
                ids,
            )
            .await?;
            for r in &rows {
                let c: i64 = r.try_get(0)?;
                if let Some(h) = out.get_mut(&c) {
                    h.wallet = r.try_get(1)?;
                }
            }
        }
        Ok(out)
    }

    async fn point_holdings(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        ids: Vec<Val>,
        out: &mut HashMap<i64, Holdings>,
    ) -> Result<()> {
        let rows = bulk::select_in(
            conn,
            "SELECT b.customer_id, t.code, b.balance FROM point_balances b
             JOIN point_types t ON t.tenant_id = b.tenant_id AND t.id = b.point_type_id
             WHERE b.tenant_id = $1 AND b.customer_id IN ({in}) ORDER BY b.customer_id, t.id",
            tenant_id,
            ids.clone(),
        )
        .await?;
        for r in &rows {
            let c: i64 = r.try_get(0)?;
            if let Some(h) = out.get_mut(&c) {
                h.points.push((r.try_get(1)?, r.try_get(2)?));
            }
        }
        Ok(())
    }

    async fn expiring_holdings(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        ids: Vec<Val>,
        now: i64,
        out: &mut HashMap<i64, Holdings>,
    ) -> Result<()> {
        // Lots that may expire within a year; each type's own warning period is applied below.
        let rows = bulk::select_in_with(
            conn,
            "SELECT l.customer_id, l.expires_at, l.remaining, t.warn_days FROM point_entries l
             JOIN point_types t ON t.tenant_id = l.tenant_id AND t.id = l.point_type_id
             WHERE l.tenant_id = $1 AND l.remaining > 0 AND l.expires_at IS NOT NULL AND l.expires_at <= $2 AND l.customer_id IN ({in})",
            tenant_id,
            vec![Val::I(now + 366 * 86_400_000)],
            ids,
        )
        .await?;
        for r in &rows {
            let (c, expires_at, remaining, warn_days): (i64, i64, i64, i64) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
            if expires_at > now + warn_days * 86_400_000 {
                continue;
            }
            if let Some(h) = out.get_mut(&c) {
                h.expiring += remaining;
                h.expiring_at = Some(h.expiring_at.map_or(expires_at, |e| e.min(expires_at)));
            }
        }
        Ok(())
    }

    pub async fn mark_undeliverable(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        channel: &str,
        recipient: &str,
        reason: &str,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO undeliverable (tenant_id, channel, recipient, reason, at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, channel, recipient) DO UPDATE SET reason = excluded.reason, at = excluded.at",
        )
        .bind(tenant_id)
        .bind(channel)
        .bind(recipient)
        .bind(reason)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Which of these recipients are marked as unable to receive on `channel`.
    pub async fn undeliverable_among(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        channel: &str,
        recipients: &[String],
    ) -> Result<HashSet<String>> {
        if recipients.is_empty() {
            return Ok(HashSet::new());
        }
        // Most tenants have no undeliverable addresses on a channel: one probe spares the lists.
        let any = sqlx::query("SELECT 1 FROM undeliverable WHERE tenant_id = $1 AND channel = $2 LIMIT 1")
            .bind(tenant_id)
            .bind(channel)
            .fetch_optional(&mut *conn)
            .await?;
        if any.is_none() {
            return Ok(HashSet::new());
        }
        let rows = bulk::select_in_with(
            conn,
            "SELECT recipient FROM undeliverable WHERE tenant_id = $1 AND channel = $2 AND recipient IN ({in})",
            tenant_id,
            vec![Val::T(channel.to_string())],
            recipients.iter().map(|r| Val::T(r.clone())).collect(),
        )
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Consent flags of customers: (SMS, email), each `None` when never given nor withdrawn.
    pub async fn consents(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customers: &[i64],
    ) -> Result<HashMap<i64, (Option<bool>, Option<bool>)>> {
        if customers.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = bulk::select_in(
            conn,
            "SELECT id, sms_opt_in, email_opt_in FROM customers WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            bulk::ids(customers),
        )
        .await?;
        rows.iter()
            .map(|r| {
                let sms: Option<i64> = r.try_get(1)?;
                let email: Option<i64> = r.try_get(2)?;
                Ok((r.try_get(0)?, (sms.map(|v| v != 0), email.map(|v| v != 0))))
            })
            .collect()
    }
}
