//! The inbound queue: a delivery is verified and kept before it is answered (so the answer is
//! quick and nothing is lost), then applied by a worker in a transaction of its own. A delivery
//! that cannot be applied fails alone; the others of its connection and of every other
//! connection go on.

use crate::connections::secret_context;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::woocommerce::signature_matches;
use philia_store::connections::ConnectionRow;
use philia_store::deliveries::DeliveryRow;
use std::collections::HashMap;
use std::time::Duration;

/// How long a worker may hold a delivery before another takes it over.
const LEASE_MS: i64 = 60_000;
/// Tries of a delivery that fails for a passing reason (the database busy) before it is failed.
const MAX_ATTEMPTS: i64 = 6;
const BATCH: i64 = 200;

/// What a webhook request carried.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub topic: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub delivery_ref: Option<&'a str>,
    /// The id of the event the delivery carries, when the system names one that its retries
    /// repeat (Shopify's `X-Shopify-Event-Id`): a second delivery of it is logged, not applied.
    pub event_id: Option<&'a str>,
    pub body: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// WooCommerce's check when a webhook is saved: answered, nothing kept.
    Ping,
    /// Kept under this id; applied from the queue.
    Queued(i64),
    /// Kept but not applied: the connection is paused.
    Paused(i64),
    /// An event already received: logged under this id, not applied again.
    Repeat(i64),
}

/// What applying a delivery did, for its log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// `applied` or `skipped`.
    pub status: &'static str,
    pub outcome: String,
}

impl Applied {
    pub fn done(outcome: impl Into<String>) -> Applied {
        Applied { status: "applied", outcome: outcome.into() }
    }

    pub fn skipped(outcome: impl Into<String>) -> Applied {
        Applied { status: "skipped", outcome: outcome.into() }
    }
}

/// What one round of the worker did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundRound {
    pub claimed: usize,
    pub applied: usize,
    pub skipped: usize,
    pub failed: usize,
    pub retried: usize,
}

/// A delivery whose cause a person must fix fails at once; a passing trouble is tried again.
fn lasting(e: &EngineError) -> bool {
    matches!(e, EngineError::Invalid(_) | EngineError::Conflict { .. } | EngineError::NotFound(_) | EngineError::Forbidden)
}

impl Engine {
    /// Takes a delivery at `/hooks/{kind}/{tenant}/{connection}`: answers WooCommerce's creation
    /// ping, refuses (and records) a bad or missing signature, logs a repeated event without
    /// applying it, keeps the rest for the queue.
    pub async fn receive_delivery(&self, kind: &str, tenant: &str, code: &str, d: Incoming<'_>) -> Result<Received> {
        let ctx = self.tenant(tenant).await.map_err(|_| EngineError::NotFound("connection"))?;
        let row = self.connection_row(&ctx, code).await?;
        if row.kind != kind {
            return Err(EngineError::NotFound("connection"));
        }
        if kind == "woocommerce" && d.signature.is_none() && d.topic.is_none() && d.body.starts_with(b"webhook_id=") {
            return Ok(Received::Ping);
        }
        let secret = self.vault.open(&row.secret_sealed, &secret_context(ctx.id, &row.code))?;
        let refusal = match (d.signature, std::str::from_utf8(d.body)) {
            (None, _) => Some("no signature"),
            (Some(sig), _) if !signature_matches(d.body, &secret, sig) => Some("the signature does not match the secret"),
            (_, Err(_)) => Some("the body is not UTF-8 text"),
            _ => None,
        };
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let mut delivery = DeliveryRow {
            tenant_id: ctx.id,
            id: self.store.allocate_ids(&mut tx, 1).await?[0],
            connection_id: row.id,
            received_at: now,
            topic: d.topic.unwrap_or("").chars().take(64).collect(),
            delivery_ref: d.delivery_ref.map(|r| r.chars().take(100).collect()),
            body: None,
            status: "rejected".into(),
            attempts: 0,
            outcome: refusal.map(str::to_string),
            processed_at: Some(now),
        };
        let event = d.event_id.map(str::trim).filter(|e| !e.is_empty() && refusal.is_none());
        let first = match event {
            Some(event) => self.store.claim_event_id(&mut tx, ctx.id, row.id, event, delivery.id).await?,
            None => None,
        };
        if let Some(first) = first {
            (delivery.status, delivery.outcome) =
                ("skipped".into(), Some(format!("event {} was received before (delivery {first})", event.unwrap_or(""))));
        } else if refusal.is_none() {
            delivery.body = Some(String::from_utf8_lossy(d.body).into_owned());
            if row.status == "active" {
                (delivery.status, delivery.outcome, delivery.processed_at) = ("queued".into(), None, None);
            } else {
                (delivery.status, delivery.outcome) = ("skipped".into(), Some("the connection is paused".into()));
            }
        }
        self.store.insert_delivery(&mut tx, &delivery).await?;
        philia_store::commit(tx).await?;
        match delivery.status.as_str() {
            "rejected" => Err(EngineError::Unauthenticated),
            "skipped" if first.is_some() => Ok(Received::Repeat(delivery.id)),
            "skipped" => Ok(Received::Paused(delivery.id)),
            _ => {
                self.inbound_signal.notify_one();
                Ok(Received::Queued(delivery.id))
            }
        }
    }

    /// Keeps records pulled from a shop (backfill, reconciliation) in the queue, in one
    /// transaction with `then` (the pull's progress), so a pull resumes exactly where it stopped.
    pub(crate) async fn queue_pulled(
        &self,
        tenant_id: i64,
        connection_id: i64,
        topic: &str,
        items: &[String],
        delivery_ref: &str,
        sync_state: &str,
    ) -> Result<()> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let ids = self.store.allocate_ids(&mut tx, items.len()).await?;
        for (id, body) in ids.into_iter().zip(items) {
            let d = DeliveryRow {
                tenant_id,
                id,
                connection_id,
                received_at: now,
                topic: topic.into(),
                delivery_ref: Some(delivery_ref.into()),
                body: Some(body.clone()),
                status: "queued".into(),
                attempts: 0,
                outcome: None,
                processed_at: None,
            };
            self.store.insert_delivery(&mut tx, &d).await?;
        }
        self.store.set_sync_state(&mut tx, tenant_id, connection_id, sync_state).await?;
        philia_store::commit(tx).await?;
        self.inbound_signal.notify_one();
        Ok(())
    }

    /// One round of the worker: claims due deliveries and applies each in its own transaction.
    pub async fn apply_inbound(&self, now: i64) -> Result<InboundRound> {
        let mut round = InboundRound::default();
        {
            let mut tx = self.store.begin_read().await?;
            if !self.store.inbound_has_work(&mut tx, now).await? {
                return Ok(round);
            }
        }
        let mut tx = self.store.begin_write().await?;
        let claimed = self.store.claim_deliveries(&mut tx, now, now + LEASE_MS, BATCH).await?;
        philia_store::commit(tx).await?;
        round.claimed = claimed.len();
        let mut tenants: HashMap<i64, TenantContext> = HashMap::new();
        let mut connections: HashMap<(i64, i64), ConnectionRow> = HashMap::new();
        let workers = match self.store.backend() {
            crate::Backend::Postgres => 4,
            crate::Backend::Sqlite => 1,
        };
        let limiter = std::sync::Arc::new(tokio::sync::Semaphore::new(workers));
        let mut running = tokio::task::JoinSet::new();
        for d in claimed {
            if let std::collections::hash_map::Entry::Vacant(e) = tenants.entry(d.tenant_id) {
                e.insert(self.tenant_by_id(d.tenant_id).await?);
            }
            if let std::collections::hash_map::Entry::Vacant(e) = connections.entry((d.tenant_id, d.connection_id)) {
                let mut tx = self.store.begin_read().await?;
                let row = self.store.connection_by_id(&mut tx, d.tenant_id, d.connection_id).await?;
                e.insert(row.ok_or(EngineError::NotFound("connection"))?);
            }
            let ctx = tenants[&d.tenant_id].clone();
            let row = connections[&(d.tenant_id, d.connection_id)].clone();
            let engine = self.clone();
            let permit = limiter.clone().acquire_owned().await.expect("the limiter stays open");
            running.spawn(async move {
                let outcome = engine.apply_one(&ctx, &row, &d).await;
                drop(permit);
                outcome
            });
        }
        while let Some(done) = running.join_next().await {
            match done.map_err(|e| EngineError::Io(format!("a delivery task ended: {e}")))?? {
                "applied" => round.applied += 1,
                "skipped" => round.skipped += 1,
                "failed" => round.failed += 1,
                _ => round.retried += 1,
            }
        }
        Ok(round)
    }

    /// Applies one claimed delivery and records its outcome with it; a failure is recorded on
    /// its own. Returns the delivery's new status.
    async fn apply_one(&self, ctx: &TenantContext, row: &ConnectionRow, d: &DeliveryRow) -> Result<&'static str> {
        let now = now_ms();
        let result: Result<Applied> = in_write_tx!(self, |conn| {
            match self.apply_delivery_in(conn, ctx, row, d).await {
                Ok(a) => {
                    self.store.finish_delivery(conn, ctx.id, d.id, a.status, &a.outcome, now, now).await?;
                    Ok(a)
                }
                Err(e) => Err(e),
            }
        });
        let (status, outcome, due_at) = match result {
            Ok(a) => return Ok(a.status),
            Err(e) if lasting(&e) || d.attempts >= MAX_ATTEMPTS => ("failed", e.to_string(), now),
            Err(e) => ("queued", e.to_string(), now + 5_000 * (1 << d.attempts.clamp(0, 10))),
        };
        tracing::warn!(tenant = ctx.id, delivery = d.id, error = %outcome, "a delivery was not applied");
        let mut tx = self.store.begin_write().await?;
        self.store.finish_delivery(&mut tx, ctx.id, d.id, status, &outcome, due_at, now).await?;
        philia_store::commit(tx).await?;
        Ok(status)
    }

    async fn apply_delivery_in(
        &self,
        conn: &mut philia_store::Conn,
        ctx: &TenantContext,
        row: &ConnectionRow,
        d: &DeliveryRow,
    ) -> Result<Applied> {
        let body = d.body.as_deref().unwrap_or("");
        match row.kind.as_str() {
            "woocommerce" => self.apply_woocommerce_in(conn, ctx, row, &d.topic, body).await,
            "shopify" => self.apply_shopify_in(conn, ctx, row, &d.topic, body).await,
            "sepidar" => self.apply_sepidar_in(conn, ctx, row, &d.topic, body).await,
            "feed" => self.apply_feed_in(conn, ctx, row, &d.topic, body).await,
            other => Err(EngineError::Io(format!("no handler for {other} deliveries"))),
        }
    }

    /// Applies deliveries as they arrive, until the process ends: woken at once by deliveries
    /// kept in this process, and every second for those kept by others.
    pub async fn run_inbound(self) {
        loop {
            match self.apply_inbound(now_ms()).await {
                Ok(r) if r.claimed > 0 => {
                    tracing::debug!(claimed = r.claimed, applied = r.applied, failed = r.failed, "inbound round");
                    if self.is_stopping() {
                        return;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "inbound round failed"),
            }
            if self.pause(Duration::from_secs(1), Some(&self.inbound_signal)).await {
                return;
            }
        }
    }
}
