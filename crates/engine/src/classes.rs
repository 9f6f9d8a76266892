//! Loyalty classes: kept current after purchases and refunds, and daily as windows slide.

use crate::{Engine, Result, TenantContext, now_ms};
use philia_domain::classes::LoyaltyClasses;
use philia_store::Conn;
use philia_store::tiers::MetricQuery;

const CLASSES: &str = "loyalty_classes";

impl Engine {
    pub async fn loyalty_classes(&self, ctx: &TenantContext) -> Result<LoyaltyClasses> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.load_classes(&mut tx, ctx).await?.unwrap_or(LoyaltyClasses { classes: vec![] }))
    }

    async fn load_classes(&self, conn: &mut Conn, ctx: &TenantContext) -> Result<Option<LoyaltyClasses>> {
        self.load_setting(conn, ctx, CLASSES).await
    }

    /// Replaces the classes and places every customer at once.
    pub async fn set_loyalty_classes(&self, ctx: &TenantContext, classes: &LoyaltyClasses) -> Result<LoyaltyClasses> {
        classes.check()?;
        let mut tx = self.store.begin_write().await?;
        self.save_chosen_setting(&mut tx, ctx, CLASSES, classes).await?;
        philia_store::commit(tx).await?;
        self.classify_all(ctx, now_ms()).await?;
        Ok(classes.clone())
    }

    /// Places `customers` in their class (inside the caller's transaction).
    pub(crate) async fn classify_in(&self, conn: &mut Conn, ctx: &TenantContext, customers: &[i64], now: i64) -> Result<()> {
        if customers.is_empty() {
            return Ok(());
        }
        let Some(classes) = self.load_classes(conn, ctx).await? else { return Ok(()) };
        let mut figures: Vec<Vec<(i64, i64)>> = vec![Vec::new(); customers.len()];
        for k in &classes.classes {
            let since = Some(now - k.window_days as i64 * 86_400_000);
            let invoices = self.store.tier_metrics(conn, ctx.id, MetricQuery::Invoices, since, customers).await?;
            let spend = self.store.tier_metrics(conn, ctx.id, MetricQuery::Spend, since, customers).await?;
            for (i, c) in customers.iter().enumerate() {
                figures[i].push((invoices.get(c).copied().unwrap_or(0), spend.get(c).copied().unwrap_or(0)));
            }
        }
        let current = self.store.loyalty_classes_of(conn, ctx.id, customers).await?;
        let changes: Vec<(i64, Option<String>)> = customers
            .iter()
            .zip(&figures)
            .filter_map(|(c, f)| {
                let class = classes.classify(f).map(|k| k.code.clone());
                (current.get(c) != Some(&class)).then_some((*c, class))
            })
            .collect();
        self.store.set_loyalty_classes(conn, ctx.id, &changes).await?;
        Ok(())
    }

    /// Places every customer of a tenant (daily, and after the classes change).
    pub async fn classify_all(&self, ctx: &TenantContext, now: i64) -> Result<()> {
        let mut after = 0;
        loop {
            let ids = self.store.customer_ids_after(ctx.id, after, 1000).await?;
            let Some(&last) = ids.last() else { break };
            in_write_tx!(self, |conn| self.classify_in(conn, ctx, &ids, now).await)?;
            after = last;
        }
        Ok(())
    }
}
