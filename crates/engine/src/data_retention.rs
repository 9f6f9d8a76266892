//! Retention settings: how long old events keep their properties, messages their texts and shop
//! deliveries their raw bodies. Applied once a day; facts and figures are never touched.

use crate::tenancy::TenantContext;
use crate::{Engine, Result, now_ms};
use philia_domain::privacy::Retention;
use serde::Serialize;

const SETTING: &str = "retention";
const DAY_MS: i64 = 86_400_000;

/// What one application of the settings emptied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RetentionRun {
    pub event_details: u64,
    pub message_bodies: u64,
    pub delivery_bodies: u64,
}

impl Engine {
    pub async fn data_retention(&self, ctx: &TenantContext) -> Result<Retention> {
        let mut conn = self.store.begin_read().await?;
        Ok(self.load_setting(&mut conn, ctx, SETTING).await?.unwrap_or_default())
    }

    pub async fn set_data_retention(&self, ctx: &TenantContext, input: Retention) -> Result<Retention> {
        let checked = input.check()?;
        let mut tx = self.store.begin_write().await?;
        self.save_chosen_setting(&mut tx, ctx, SETTING, &checked).await?;
        philia_store::commit(tx).await?;
        Ok(checked)
    }

    /// Empties the detail older than each period, as of `now`.
    pub async fn apply_data_retention(&self, ctx: &TenantContext, now: i64) -> Result<RetentionRun> {
        let r = self.data_retention(ctx).await?;
        let before = |days: Option<i64>| days.map(|d| now - d * DAY_MS);
        let mut run = RetentionRun::default();
        let mut tx = self.store.begin_write().await?;
        if let Some(t) = before(r.event_details_days) {
            run.event_details = self.store.drop_event_details(&mut tx, ctx.id, t).await?;
        }
        if let Some(t) = before(r.message_bodies_days) {
            run.message_bodies = self.store.drop_message_bodies(&mut tx, ctx.id, t).await?;
        }
        if let Some(t) = before(r.delivery_bodies_days) {
            run.delivery_bodies = self.store.drop_delivery_bodies(&mut tx, ctx.id, t).await?;
        }
        philia_store::commit(tx).await?;
        Ok(run)
    }

    /// The daily pass over every tenant.
    pub(crate) async fn apply_data_retention_everywhere(&self) {
        let tenants = match self.list_tenants().await {
            Ok(t) => t,
            Err(e) => return tracing::warn!(error = %e, "listing tenants for retention failed"),
        };
        for t in tenants {
            let result = match self.tenant(&t.slug).await {
                Ok(ctx) => self.apply_data_retention(&ctx, now_ms()).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(run) if run != RetentionRun::default() => tracing::info!(tenant = %t.slug, ?run, "retention"),
                Ok(_) => {}
                Err(e) => tracing::warn!(tenant = %t.slug, error = %e, "retention failed"),
            }
        }
    }
}
