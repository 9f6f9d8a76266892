//! Reading a WooCommerce shop through its REST API: the backfill brings in every customer,
//! product and order a page at a time (resumable: each page is queued together with the
//! progress it makes), and the reconciliation asks every 15 minutes for orders changed since the
//! last one, so a delivery the shop lost is caught. What is read goes through the same queue and
//! the same rules as webhook deliveries, so nothing counts twice.

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_connectors::{PullError, WooClient, WooResource};
use philia_store::connections::ConnectionRow;
use serde::{Deserialize, Serialize};
use std::time::Duration;

const PER_PAGE: u64 = 100;
/// How often changed orders are asked for.
pub const RECONCILE_EVERY_MS: i64 = 15 * 60_000;
/// How far back each reconciliation reaches before the previous one, for clock differences.
const OVERLAP_MS: i64 = 10 * 60_000;

/// A connection's reading progress, kept with the connection.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SyncState {
    pub backfill: Option<Backfill>,
    /// When the last reconciliation started (its changes are read from a little before).
    pub reconciled_at: Option<i64>,
    pub reconciled_orders: Option<u64>,
    pub reconcile_error: Option<String>,
    /// When a read that failed was tried (Sepidar), so a service that is down is tried again at
    /// the next turn rather than at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tried_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Backfill {
    /// `running`, `done` or `failed`.
    pub state: String,
    /// `customers`, `products`, then `orders`.
    pub resource: String,
    /// The next page to read.
    pub page: u64,
    pub total_pages: Option<u64>,
    /// Records queued so far.
    pub queued: u64,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub error: Option<String>,
}

pub(crate) fn pull_failed(e: PullError) -> EngineError {
    EngineError::conflict("shop_unreachable", e.to_string(), format!("خواندن از فروشگاه ممکن نشد: {e}"))
}

pub(crate) fn state_of(row: &ConnectionRow) -> SyncState {
    serde_json::from_str(&row.sync_state).unwrap_or_default()
}

fn topic_of(resource: WooResource) -> &'static str {
    match resource {
        WooResource::Customers => "customer.updated",
        WooResource::Products => "product.updated",
        WooResource::Orders | WooResource::TrashedOrders => "order.updated",
    }
}

impl Engine {
    pub(crate) async fn save_sync_state(&self, tenant_id: i64, connection_id: i64, state: &SyncState) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        self.store
            .set_sync_state(&mut tx, tenant_id, connection_id, &serde_json::to_string(state).expect("state serialises"))
            .await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    fn shop_client(&self, tenant_id: i64, row: &ConnectionRow) -> Result<WooClient> {
        let access = self.shop_access(tenant_id, row)?.ok_or_else(|| {
            EngineError::conflict(
                "no_api_access",
                "the connection has no shop address and API keys",
                "نشانی فروشگاه و کلیدهای API تنظیم نشده است",
            )
        })?;
        Ok(WooClient::new(&access.store_url, &access.consumer_key, &access.consumer_secret))
    }

    /// Starts (or starts over) bringing in everything the shop has. Checks the keys with a first
    /// read, so wrong keys are reported at once.
    pub async fn start_backfill(&self, ctx: &TenantContext, code: &str) -> Result<crate::connections::ConnectionView> {
        let row = self.connection_row(ctx, code).await?;
        // A Sepidar service is read whole each time: bringing everything in is reading it now.
        if row.kind == "sepidar" {
            return self.pull_sepidar_now(ctx, code).await;
        }
        let client = self.shop_client(ctx.id, &row)?;
        client.page(WooResource::Customers, 1, 1, None).await.map_err(pull_failed)?;
        let mut state = state_of(&row);
        state.backfill = Some(Backfill {
            state: "running".into(),
            resource: WooResource::Customers.path().into(),
            page: 1,
            total_pages: None,
            queued: 0,
            started_at: now_ms(),
            finished_at: None,
            error: None,
        });
        self.save_sync_state(ctx.id, row.id, &state).await?;
        self.connection(ctx, code).await
    }

    /// Reads the next page of a running backfill and queues it with the progress. `false` when
    /// the backfill has finished (or failed, or is not running).
    pub async fn backfill_step(&self, tenant_id: i64, row: &ConnectionRow) -> Result<bool> {
        let mut state = state_of(row);
        let Some(mut b) = state.backfill.clone().filter(|b| b.state == "running") else { return Ok(false) };
        let resource = WooResource::parse(&b.resource).unwrap_or(WooResource::Orders);
        let client = self.shop_client(tenant_id, row)?;
        match client.page(resource, b.page, PER_PAGE, None).await {
            Err(e) => {
                // A refusal (keys withdrawn) ends the backfill; a passing trouble leaves it to
                // the next round at the same page.
                if let PullError::Refused { .. } = e {
                    (b.state, b.error, b.finished_at) = ("failed".into(), Some(e.to_string()), Some(now_ms()));
                    state.backfill = Some(b);
                    self.save_sync_state(tenant_id, row.id, &state).await?;
                    return Ok(false);
                }
                Err(pull_failed(e))
            }
            Ok(page) => {
                b.queued += page.items.len() as u64;
                b.total_pages = page.total_pages;
                let last = page.items.len() < PER_PAGE as usize || page.total_pages.is_some_and(|t| b.page >= t);
                if last {
                    let next = WooResource::ALL.iter().skip_while(|r| **r != resource).nth(1);
                    match next {
                        Some(r) => (b.resource, b.page, b.total_pages) = (r.path().into(), 1, None),
                        None => (b.state, b.finished_at) = ("done".into(), Some(now_ms())),
                    }
                } else {
                    b.page += 1;
                }
                let running = b.state == "running";
                state.backfill = Some(b);
                let delivery_ref = format!("backfill {}", resource.path());
                let state_text = serde_json::to_string(&state).expect("state serialises");
                self.queue_pulled(tenant_id, row.id, topic_of(resource), &page.items, &delivery_ref, &state_text).await?;
                Ok(running)
            }
        }
    }

    /// Asks the shop for orders changed since shortly before the last reconciliation and queues
    /// them. The first reconciliation of a connection only marks where the next one starts.
    pub async fn reconcile(&self, tenant_id: i64, row: &ConnectionRow, now: i64) -> Result<u64> {
        let mut state = state_of(row);
        let client = self.shop_client(tenant_id, row)?;
        let mut queued = 0u64;
        if let Some(since) = state.reconciled_at {
            let after = jiff::Timestamp::from_millisecond(since - OVERLAP_MS)
                .map_err(|e| EngineError::Io(e.to_string()))?
                .strftime("%Y-%m-%dT%H:%M:%S")
                .to_string();
            // Orders changed since, then those moved to the trash since (a reversal too).
            for resource in [WooResource::Orders, WooResource::TrashedOrders] {
                let mut page = 1;
                loop {
                    let got = match client.page(resource, page, PER_PAGE, Some(&after)).await {
                        Ok(p) => p,
                        Err(e) => {
                            state.reconcile_error = Some(e.to_string());
                            self.save_sync_state(tenant_id, row.id, &state).await?;
                            return Err(pull_failed(e));
                        }
                    };
                    queued += got.items.len() as u64;
                    let last = got.items.len() < PER_PAGE as usize || got.total_pages.is_some_and(|t| page >= t);
                    let progress = serde_json::to_string(&state).expect("serialises");
                    self.queue_pulled(tenant_id, row.id, "order.updated", &got.items, "reconciliation", &progress).await?;
                    if last {
                        break;
                    }
                    page += 1;
                }
            }
        }
        (state.reconciled_at, state.reconciled_orders, state.reconcile_error) = (Some(now), Some(queued), None);
        self.save_sync_state(tenant_id, row.id, &state).await?;
        Ok(queued)
    }

    /// One pass over every active WooCommerce connection with API keys (running backfills read
    /// their next pages, due reconciliations run) and every Sepidar connection due a read.
    pub async fn sync_shops(&self, now: i64) -> Result<()> {
        let mut tx = self.store.begin_read().await?;
        let connections = self.store.active_connections(&mut tx, "woocommerce").await?;
        let sepidar = self.store.active_connections(&mut tx, "sepidar").await?;
        drop(tx);
        for (tenant_id, row) in sepidar.into_iter().filter(|(_, r)| r.settings_sealed.is_some()) {
            let state = state_of(&row);
            let last = state.reconciled_at.max(state.tried_at);
            let due = last.is_none_or(|at| now - at >= crate::sepidar::PULL_EVERY_MS);
            if due && let Err(e) = self.pull_sepidar(tenant_id, &row, now).await {
                tracing::warn!(tenant = tenant_id, connection = %row.code, error = %e, "reading Sepidar failed");
            }
        }
        // One shop failing is logged and the others go on.
        for (tenant_id, row) in connections.into_iter().filter(|(_, r)| r.settings_sealed.is_some()) {
            if let Err(e) = self.sync_shop(tenant_id, row.clone(), now).await {
                tracing::warn!(tenant = tenant_id, connection = %row.code, error = %e, "reading a shop failed");
            }
        }
        Ok(())
    }

    async fn sync_shop(&self, tenant_id: i64, mut row: ConnectionRow, now: i64) -> Result<()> {
        let state = state_of(&row);
        if state.backfill.as_ref().is_some_and(|b| b.state == "running") {
            while self.backfill_step(tenant_id, &row).await? {
                let mut tx = self.store.begin_read().await?;
                row =
                    self.store.connection_by_id(&mut tx, tenant_id, row.id).await?.ok_or(EngineError::NotFound("connection"))?;
            }
        } else if state.reconciled_at.is_none_or(|at| now - at >= RECONCILE_EVERY_MS) {
            self.reconcile(tenant_id, &row, now).await?;
        }
        Ok(())
    }

    /// Reads shops until the process ends, every few seconds.
    pub async fn run_shop_sync(self) {
        loop {
            if let Err(e) = self.sync_shops(now_ms()).await {
                tracing::warn!(error = %e, "reading shops failed");
            }
            if self.pause(Duration::from_secs(5), None).await {
                return;
            }
        }
    }
}
