//! Outgoing webhooks (SPEC H4): endpoints a tenant registers with the topics they take; new
//! invoices, customers and events become signed deliveries, queued with leases and retried with
//! backoff like messages.
//!
//! Facts are read by id after each endpoint's position. Ids are drawn before their transaction
//! commits, so a fact with a lower id can appear after a higher one: the position only moves
//! past facts before the horizon of [`crate::fact_horizon`], later ones are read again, and a
//! delivery's occurrence key keeps each fact to one delivery per endpoint.

use crate::audit::NOTHING;
use crate::secrets::random_hex;
use crate::tenancy::TenantContext;
use crate::{Engine, EngineError, Result, now_ms};
use philia_domain::webhooks::{Topic, WebhookInput, WebhookPayload, points_topic, retry_delay_ms, signature};
use philia_store::bulk::ts;
use philia_store::webhooks::{EndpointRow, Source, SourceFact, WebhookDeliveryRow};
use serde::Serialize;
use std::time::Duration;

const PAGE: i64 = 500;
const LEASE_MS: i64 = 60_000;
const BATCH: i64 = 100;

fn secret_context(tenant_id: i64, id: i64) -> String {
    format!("webhook-secret:{tenant_id}:{id}")
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub url: String,
    pub topics: Vec<String>,
    pub description: Option<String>,
    pub active: bool,
    pub created_at: String,
    /// The signing secret: in the answer that creates the endpoint only.
    pub secret: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookDelivery {
    pub id: i64,
    pub topic: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// What one round of sending did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookRound {
    pub queued: u64,
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

fn view(e: &EndpointRow, secret: Option<String>) -> WebhookEndpoint {
    WebhookEndpoint {
        id: e.id,
        url: e.url.clone(),
        topics: serde_json::from_str(&e.topics).unwrap_or_default(),
        description: e.description.clone(),
        active: e.active,
        created_at: ts(e.created_at),
        secret,
    }
}

fn delivery_view(d: &WebhookDeliveryRow) -> WebhookDelivery {
    WebhookDelivery {
        id: d.id,
        topic: d.topic.clone(),
        status: d.status.clone(),
        attempts: d.attempts,
        next_attempt_at: (d.status == "queued").then(|| ts(d.due_at)),
        response_status: d.response_status,
        last_error: d.last_error.clone(),
        created_at: ts(d.created_at),
        delivered_at: d.delivered_at.map(ts),
        payload: serde_json::from_str(&d.payload).unwrap_or_default(),
    }
}

impl Engine {
    /// Registers an endpoint with a fresh signing secret (shown this once). It receives what
    /// happens from now on, not the history before it.
    pub async fn create_webhook(&self, ctx: &TenantContext, input: &WebhookInput) -> Result<WebhookEndpoint> {
        let w = input.parse()?;
        let secret = format!("whsec_{}", random_hex(24));
        let mut tx = self.store.begin_write().await?;
        let id = self.store.allocate_ids(&mut tx, 1).await?[0];
        let after = self.store.latest_fact_ids(&mut tx, ctx.id).await?;
        let row = EndpointRow {
            tenant_id: ctx.id,
            id,
            url: w.url,
            topics: serde_json::to_string(&w.topics.iter().map(Topic::name).collect::<Vec<_>>()).expect("names serialise"),
            description: w.description,
            secret_sealed: self.vault.seal(&secret, &secret_context(ctx.id, id))?,
            active: true,
            after,
            created_at: now_ms(),
        };
        self.store.insert_endpoint(&mut tx, &row).await?;
        let shown = view(&row, None);
        self.audit_in(&mut tx, ctx, "webhook.create", "webhook", &id.to_string(), NOTHING, Some(&shown)).await?;
        philia_store::commit(tx).await?;
        Ok(view(&row, Some(secret)))
    }

    pub async fn webhooks(&self, ctx: &TenantContext) -> Result<Vec<WebhookEndpoint>> {
        let mut conn = self.store.begin_read().await?;
        Ok(self.store.endpoints(&mut conn, ctx.id).await?.iter().map(|e| view(e, None)).collect())
    }

    /// Switches an endpoint off (nothing more is queued for it; queued deliveries still go) or
    /// back on (from what happens next).
    pub async fn set_webhook_active(&self, ctx: &TenantContext, id: i64, active: bool) -> Result<WebhookEndpoint> {
        let mut tx = self.store.begin_write().await?;
        if !self.store.set_endpoint_active(&mut tx, ctx.id, id, active).await? {
            return Err(EngineError::NotFound("webhook"));
        }
        if active {
            let latest = self.store.latest_fact_ids(&mut tx, ctx.id).await?;
            self.store.set_endpoint_positions(&mut tx, ctx.id, id, latest).await?;
        }
        let action = if active { "webhook.resume" } else { "webhook.pause" };
        self.audit_in(&mut tx, ctx, action, "webhook", &id.to_string(), NOTHING, NOTHING).await?;
        let row = self.store.endpoints(&mut tx, ctx.id).await?.into_iter().find(|e| e.id == id);
        philia_store::commit(tx).await?;
        row.map(|e| view(&e, None)).ok_or(EngineError::NotFound("webhook"))
    }

    /// Sends a delivered or failed delivery again, now, with the same id and body.
    pub async fn replay_webhook_delivery(&self, ctx: &TenantContext, endpoint: i64, id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        if !self.store.replay_webhook_delivery(&mut tx, ctx.id, endpoint, id, now_ms()).await? {
            return Err(EngineError::NotFound("finished delivery"));
        }
        self.audit_in(&mut tx, ctx, "webhook.replay", "webhook", &endpoint.to_string(), NOTHING, Some(&id)).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    pub async fn webhook_deliveries(&self, ctx: &TenantContext, id: i64, limit: i64) -> Result<Vec<WebhookDelivery>> {
        let mut conn = self.store.begin_read().await?;
        if !self.store.endpoints(&mut conn, ctx.id).await?.iter().any(|e| e.id == id) {
            return Err(EngineError::NotFound("webhook"));
        }
        Ok(self
            .store
            .webhook_deliveries_of(&mut conn, ctx.id, id, limit.clamp(1, 500))
            .await?
            .iter()
            .map(delivery_view)
            .collect())
    }

    /// Queues a delivery for every new fact each active endpoint takes.
    pub async fn queue_webhooks(&self, now: i64) -> Result<u64> {
        let endpoints = {
            let mut conn = self.store.begin_read().await?;
            self.store.active_endpoints(&mut conn).await?
        };
        let mut queued = 0;
        for e in endpoints {
            queued += self.queue_for(&e, now).await?;
        }
        Ok(queued)
    }

    async fn queue_for(&self, e: &EndpointRow, now: i64) -> Result<u64> {
        let topics: Vec<Topic> = serde_json::from_str::<Vec<String>>(&e.topics)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| Topic::parse(t).ok())
            .collect();
        let ctx = self.tenant_by_id(e.tenant_id).await?;
        // Read first: most rounds find nothing new, and then nothing is written.
        let mut read = self.store.begin_read().await?;
        let horizon = self.fact_horizon(&mut read, now).await?;
        let mut positions = e.after;
        let mut rows: Vec<(String, SourceFact)> = Vec::new();
        for source in [Source::Invoices, Source::Customers, Source::Events, Source::Points, Source::Merges] {
            let topic_of = |f: &SourceFact| -> Option<String> {
                match source {
                    Source::Invoices => topics.contains(&Topic::InvoiceCreated).then(|| "invoice.created".into()),
                    Source::Customers => topics.contains(&Topic::CustomerCreated).then(|| "customer.created".into()),
                    Source::Merges => topics.contains(&Topic::CustomerMerged).then(|| "customer.merged".into()),
                    Source::Events => topics.iter().any(|t| t.takes_event(&f.kind)).then(|| format!("event.{}", f.kind)),
                    Source::Points => topics.iter().any(|t| t.takes_entry(&f.kind)).then(|| points_topic(&f.kind)),
                }
            };
            let wanted = match source {
                Source::Invoices => topics.contains(&Topic::InvoiceCreated),
                Source::Customers => topics.contains(&Topic::CustomerCreated),
                Source::Merges => topics.contains(&Topic::CustomerMerged),
                Source::Events => topics.iter().any(|t| matches!(t, Topic::AnyEvent | Topic::Event(_))),
                Source::Points => topics.iter().any(|t| matches!(t, Topic::AnyPoints | Topic::Points(_))),
            };
            if !wanted {
                continue;
            }
            let after = e.after.get(source);
            let facts = self.store.source_facts(&mut read, e.tenant_id, source, after, PAGE).await?;
            positions.set(source, settled_position(after, &facts, horizon));
            rows.extend(facts.into_iter().filter_map(|f| topic_of(&f).map(|t| (t, f))));
        }
        drop(read);
        if rows.is_empty() && positions == e.after {
            return Ok(0);
        }
        // Facts of different sources about one customer go out in the order they happened.
        rows.sort_by_key(|(_, f)| (f.created_at, f.id));
        let mut tx = self.store.begin_write().await?;
        let ids = self.store.allocate_ids(&mut tx, rows.len()).await?;
        let deliveries: Vec<WebhookDeliveryRow> = rows
            .into_iter()
            .zip(ids)
            .map(|((topic, f), id)| {
                let payload = WebhookPayload {
                    id,
                    topic: topic.clone(),
                    tenant: ctx.slug.clone(),
                    occurred_at: ts(f.occurred_at),
                    data: f.data,
                };
                queued_delivery((e.tenant_id, e.id), f.customer_id, &payload, format!("{}:{}", f.kind, f.id), now)
            })
            .collect();
        let queued = self.store.insert_webhook_deliveries(&mut tx, &deliveries).await?;
        self.store.set_endpoint_positions(&mut tx, e.tenant_id, e.id, positions).await?;
        philia_store::commit(tx).await?;
        Ok(queued)
    }

    /// Queues one delivery to an endpoint in the caller's transaction (an automation's action);
    /// the same occurrence queues once. Returns the delivery's id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn queue_webhook_in(
        &self,
        conn: &mut philia_store::Conn,
        ctx: &TenantContext,
        endpoint: i64,
        topic: &str,
        occurrence: &str,
        data: serde_json::Value,
        now: i64,
    ) -> Result<i64> {
        let id = self.store.allocate_ids(conn, 1).await?[0];
        let customer_id = data.get("customer_id").and_then(|c| c.as_i64());
        let payload = WebhookPayload { id, topic: topic.to_string(), tenant: ctx.slug.clone(), occurred_at: ts(now), data };
        let row = queued_delivery((ctx.id, endpoint), customer_id, &payload, occurrence.to_string(), now);
        self.store.insert_webhook_deliveries(conn, &[row]).await?;
        Ok(id)
    }

    /// Queues what is new, then sends what is due: each delivery signed with its endpoint's
    /// secret; a 2xx answer is a delivery, anything else is tried again with backoff until the
    /// attempts run out.
    pub async fn deliver_webhooks(&self, now: i64) -> Result<WebhookRound> {
        let mut round = WebhookRound { queued: self.queue_webhooks(now).await?, ..Default::default() };
        {
            let mut conn = self.store.begin_read().await?;
            if !self.store.webhook_work_due(&mut conn, now).await? {
                return Ok(round);
            }
        }
        let claimed = {
            let mut tx = self.store.begin_write().await?;
            let rows = self.store.claim_webhook_deliveries(&mut tx, now, now + LEASE_MS, BATCH).await?;
            philia_store::commit(tx).await?;
            rows
        };
        round.claimed = claimed.len();
        // Each tenant's endpoints once per round (a paused one still sends what it had queued).
        let mut endpoints: std::collections::HashMap<(i64, i64), EndpointRow> = Default::default();
        {
            let mut conn = self.store.begin_read().await?;
            let mut tenants: Vec<i64> = claimed.iter().map(|d| d.tenant_id).collect();
            tenants.sort_unstable();
            tenants.dedup();
            for t in tenants {
                endpoints.extend(self.store.endpoints(&mut conn, t).await?.into_iter().map(|e| ((e.tenant_id, e.id), e)));
            }
        }
        for d in claimed {
            let Some(endpoint) = endpoints.get(&(d.tenant_id, d.endpoint_id)) else { continue };
            let secret = self.vault.open(&endpoint.secret_sealed, &secret_context(d.tenant_id, endpoint.id))?;
            let sent_at = now_ms();
            let headers = [
                ("Philia-Signature", signature(&secret, sent_at / 1000, &d.payload)),
                ("Philia-Delivery", d.id.to_string()),
                ("Philia-Topic", d.topic.clone()),
            ];
            let outcome = self.channels.post_webhook(&endpoint.url, d.payload.clone(), &headers).await;
            let (status, due_at, code, error) = match outcome {
                Ok(code) => {
                    round.sent += 1;
                    ("sent", d.due_at, Some(code as i64), None)
                }
                Err(e) => match retry_delay_ms(d.attempts as u32, d.created_at, now) {
                    Some(wait) => {
                        round.retried += 1;
                        ("queued", now + wait, None, Some(e.to_string()))
                    }
                    None => {
                        round.failed += 1;
                        ("failed", d.due_at, None, Some(e.to_string()))
                    }
                },
            };
            let mut tx = self.store.begin_write().await?;
            self.store
                .finish_webhook_delivery(&mut tx, d.tenant_id, d.id, status, due_at, code, error.as_deref(), sent_at)
                .await?;
            philia_store::commit(tx).await?;
        }
        Ok(round)
    }

    /// Sends webhooks until the process stops, every second.
    pub async fn run_webhooks(self) {
        loop {
            match self.deliver_webhooks(now_ms()).await {
                Ok(r) if r.claimed > 0 => tracing::debug!(?r, "webhook round"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook round failed"),
            }
            if self.pause(Duration::from_secs(1), None).await {
                return;
            }
        }
    }
}

/// A delivery of `payload` to `(tenant, endpoint)`, due now.
fn queued_delivery(
    (tenant_id, endpoint_id): (i64, i64),
    customer_id: Option<i64>,
    payload: &WebhookPayload,
    occurrence: String,
    now: i64,
) -> WebhookDeliveryRow {
    WebhookDeliveryRow {
        tenant_id,
        id: payload.id,
        endpoint_id,
        customer_id,
        topic: payload.topic.clone(),
        occurrence,
        payload: serde_json::to_string(payload).expect("payloads serialise"),
        status: "queued".into(),
        attempts: 0,
        due_at: now,
        response_status: None,
        last_error: None,
        created_at: now,
        delivered_at: None,
    }
}

/// How far a source may be marked read: past every fact of this page up to the first one written
/// at or after the horizon (or the whole page when all are before it).
fn settled_position(after: i64, facts: &[SourceFact], horizon: i64) -> i64 {
    let mut position = after;
    for f in facts {
        if f.created_at >= horizon {
            break;
        }
        position = f.id;
    }
    position
}
