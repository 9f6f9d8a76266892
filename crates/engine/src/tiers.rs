//! Tiers: the programme, evaluation after purchases, refunds and adjustments (in the same
//! transaction), the scheduled evaluation that moves customers down after their grace period,
//! and `tier_changed` events for automations.

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::FieldError;
use philia_domain::event::ValidEvent;
use philia_domain::invoice::CustomerRef;
use philia_domain::records::TierStatus;
use philia_domain::tiers::{Evaluation, TierDecision, TierMetric, TierProgramme, TierProgrammeInput};
use philia_store::Conn;
use philia_store::tiers::{MetricQuery, TierMove};
use std::collections::HashMap;

/// The event raised when a customer's tier changes.
pub const TIER_CHANGED: &str = "tier_changed";

/// Customers walked per transaction by the scheduled evaluation.
const EVALUATION_CHUNK: i64 = 1000;

impl Engine {
    pub(crate) async fn load_tier_programme(&self, conn: &mut Conn, ctx: &TenantContext) -> Result<Option<TierProgramme>> {
        let Some(body) = self.store.tier_programme(conn, ctx.id).await? else { return Ok(None) };
        let input: TierProgrammeInput =
            serde_json::from_str(&body).map_err(|e| EngineError::Io(format!("tier programme: {e}")))?;
        Ok(Some(input.parse().map_err(|e| EngineError::Io(format!("tier programme: {e}")))?))
    }

    pub(crate) async fn store_tier_programme(&self, conn: &mut Conn, ctx_id: i64, p: &TierProgramme) -> Result<()> {
        let body = serde_json::to_string(&p.to_input()).expect("a programme serialises");
        Ok(self.store.set_tier_programme(conn, ctx_id, &body, now_ms()).await?)
    }

    /// Stores a programme without evaluating customers (for setting up a tenant before it has any).
    pub(crate) async fn store_tier_programme_input(&self, ctx: &TenantContext, input: &TierProgrammeInput) -> Result<()> {
        let p = input.parse()?;
        let mut tx = self.store.begin_write().await?;
        self.store_tier_programme(&mut tx, ctx.id, &p).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    pub async fn tier_programme(&self, ctx: &TenantContext) -> Result<TierProgrammeInput> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.load_tier_programme(&mut tx, ctx).await?.ok_or(EngineError::NotFound("tier programme"))?.to_input())
    }

    /// Code and name of each tier, lowest first (none while the tenant has no tiers).
    pub async fn tier_names(&self, ctx: &TenantContext) -> Result<Vec<(String, String)>> {
        let mut tx = self.store.begin_read().await?;
        let programme = self.load_tier_programme(&mut tx, ctx).await?;
        Ok(programme.map(|p| p.to_input().tiers.into_iter().map(|t| (t.code, t.name)).collect()).unwrap_or_default())
    }

    /// Replaces the tier programme and evaluates every customer against it: up at once, down
    /// after the grace period.
    pub async fn set_tier_programme(&self, ctx: &TenantContext, input: &TierProgrammeInput) -> Result<TierProgrammeInput> {
        let p = input.parse()?;
        let mut tx = self.store.begin_write().await?;
        if let TierMetric::Points { point_type } = &p.metric
            && !self.point_type_map(&mut tx, ctx).await?.contains_key(point_type)
        {
            return Err(crate::points::unknown_point_type(point_type).within_field("metric"));
        }
        let before = self.load_tier_programme(&mut tx, ctx).await?.map(|b| b.to_input());
        self.store_tier_programme(&mut tx, ctx.id, &p).await?;
        self.audit_in(&mut tx, ctx, "tiers.update", "tiers", "programme", before.as_ref(), Some(&p.to_input())).await?;
        philia_store::commit(tx).await?;
        self.evaluate_all_tiers(ctx, now_ms(), "programme").await?;
        Ok(p.to_input())
    }

    async fn metric_query(&self, conn: &mut Conn, ctx: &TenantContext, p: &TierProgramme) -> Result<MetricQuery> {
        Ok(match &p.metric {
            TierMetric::Spend => MetricQuery::Spend,
            TierMetric::Invoices => MetricQuery::Invoices,
            TierMetric::Points { point_type } => {
                let types = self.point_type_map(conn, ctx).await?;
                let id = types
                    .get(point_type)
                    .map(|t| t.0)
                    .ok_or_else(|| EngineError::Io(format!("tier programme counts unknown point type {point_type}")))?;
                MetricQuery::Points { point_type_id: id }
            }
        })
    }

    /// Evaluates `customers` inside the caller's transaction and writes every change, with its
    /// history and a `tier_changed` event. Returns the customers whose tier moved.
    /// The tier a customer is in now (what rewards, codes and games are restricted by).
    pub(crate) async fn tier_of(&self, conn: &mut Conn, ctx: &TenantContext, customer: i64) -> Result<Option<String>> {
        Ok(self.store.tier_states(conn, ctx.id, &[customer]).await?.remove(&customer).and_then(|s| s.tier))
    }

    pub(crate) async fn evaluate_tiers_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customers: &[i64],
        mode: Evaluation,
        reason: &str,
        now: i64,
    ) -> Result<Vec<i64>> {
        if customers.is_empty() {
            return Ok(Vec::new());
        }
        let Some(p) = self.load_tier_programme(conn, ctx).await? else { return Ok(Vec::new()) };
        let query = self.metric_query(conn, ctx, &p).await?;
        let since = p.window_start(jiff::Timestamp::from_millisecond(now).expect("now is valid"), &ctx.zone, ctx.calendar);
        let metrics = self.store.tier_metrics(conn, ctx.id, query, since.map(|s| s.as_millisecond()), customers).await?;
        let states = self.store.tier_states(conn, ctx.id, customers).await?;
        // A customer's first tier, when it is the lowest, is where everyone starts: no history
        // entry and no event for it.
        let mut placed = Vec::new();
        let mut grace_started = Vec::new();
        let mut grace_ended = Vec::new();
        let mut moving = Vec::new();
        for (customer, state) in states {
            let value = metrics.get(&customer).copied().unwrap_or(0);
            match p.decide(state.tier.as_deref(), value, state.below_since, now, mode) {
                TierDecision::Keep => {}
                TierDecision::StartGrace => grace_started.push(customer),
                TierDecision::EndGrace => grace_ended.push(customer),
                TierDecision::Move(to) if Some(&to) == state.tier.as_ref() => {}
                TierDecision::Move(to) if state.tier.is_none() && to == p.lowest().code => placed.push(customer),
                TierDecision::Move(to) => moving.push((customer, state.tier, to, value)),
            }
        }
        self.store.set_tier_grace(conn, ctx.id, &grace_started, Some(now)).await?;
        self.store.set_tier_grace(conn, ctx.id, &grace_ended, None).await?;
        let ids = self.store.allocate_ids(conn, moving.len()).await?;
        let moves: Vec<TierMove> = moving
            .into_iter()
            .zip(ids)
            .map(|((customer_id, from, to, metric), id)| TierMove { id, customer_id, from, to, metric })
            .collect();
        self.store.move_tiers(conn, ctx.id, &moves, reason, now).await?;
        let events: Vec<_> = moves.iter().map(|m| tier_event(m.id, m.customer_id, m.from.as_deref(), &m.to, &p, now)).collect();
        let moved = moves.iter().map(|m| m.customer_id).collect();
        self.store.place_in_tier(conn, ctx.id, &placed, &p.lowest().code, now).await?;
        if !events.is_empty() {
            self.write_events_in(conn, ctx, &events).await?;
        }
        Ok(moved)
    }

    /// Evaluates every customer of a tenant (the scheduled run, and after a programme change).
    pub async fn evaluate_all_tiers(&self, ctx: &TenantContext, now: i64, reason: &str) -> Result<usize> {
        let mut after = 0;
        let mut moved = 0;
        loop {
            let ids = self.store.customer_ids_after(ctx.id, after, EVALUATION_CHUNK).await?;
            let Some(&last) = ids.last() else { break };
            moved +=
                in_write_tx!(self, |conn| self.evaluate_tiers_in(conn, ctx, &ids, Evaluation::Scheduled, reason, now).await)?
                    .len();
            after = last;
        }
        Ok(moved)
    }

    /// Where a customer stands: tier, metric, what is missing to the next tier, history.
    pub async fn tier_status(&self, ctx: &TenantContext, customer_id: i64) -> Result<TierStatus> {
        let now = now_ms();
        let mut tx = self.store.begin_read().await?;
        let id = self.live_customer(&mut tx, ctx, customer_id).await?;
        let p = self.load_tier_programme(&mut tx, ctx).await?.ok_or(EngineError::NotFound("tier programme"))?;
        let query = self.metric_query(&mut tx, ctx, &p).await?;
        let since = p.window_start(jiff::Timestamp::from_millisecond(now).expect("now is valid"), &ctx.zone, ctx.calendar);
        let metric = self
            .store
            .tier_metrics(&mut tx, ctx.id, query, since.map(|s| s.as_millisecond()), &[id])
            .await?
            .get(&id)
            .copied()
            .unwrap_or(0);
        let state = self.store.tier_states(&mut tx, ctx.id, &[id]).await?.remove(&id).unwrap_or_default();
        drop(tx);
        let tier = state.tier.as_deref().and_then(|t| p.tier(t));
        let next = p.next(metric).filter(|(t, _)| tier.is_none_or(|cur| t.threshold > cur.threshold));
        Ok(TierStatus {
            tier: state.tier.clone(),
            name: tier.map(|t| t.name.clone()),
            since: state.since.map(philia_store::bulk::ts),
            metric,
            next_tier: next.map(|(t, _)| t.code.clone()),
            needed: next.map(|(_, n)| n),
            grace_until: state.below_since.map(|s| philia_store::bulk::ts(s + p.grace_days as i64 * 86_400_000)),
            benefits: tier.map(|t| t.input.benefits.clone().unwrap_or_default()),
            history: self.store.tier_history(ctx.id, id).await?,
        })
    }

    /// Earn multipliers (per mille) of customers whose tier has one.
    pub(crate) async fn tier_multipliers(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customers: &[i64],
    ) -> Result<HashMap<i64, i64>> {
        let Some(p) = self.load_tier_programme(conn, ctx).await? else { return Ok(HashMap::new()) };
        if p.tiers.iter().all(|t| t.earn_permille == 1000) {
            return Ok(HashMap::new());
        }
        let states = self.store.tier_states(conn, ctx.id, customers).await?;
        Ok(states
            .into_iter()
            .filter_map(|(c, s)| s.tier.and_then(|t| p.tier(&t).map(|t| (c, t.earn_permille))))
            .filter(|(_, m)| *m != 1000)
            .collect())
    }
}

fn tier_event(
    id: i64,
    customer: i64,
    from: Option<&str>,
    to: &str,
    p: &TierProgramme,
    now: i64,
) -> std::result::Result<ValidEvent, Vec<FieldError>> {
    let rank = |c: Option<&str>| c.and_then(|c| p.tiers.iter().position(|t| t.code == c));
    let direction = if rank(Some(to)) > rank(from) { "up" } else { "down" };
    Ok(ValidEvent {
        event_key: Some(format!("{TIER_CHANGED}:{id}")),
        event_type: TIER_CHANGED.into(),
        occurred_at: jiff::Timestamp::from_millisecond(now).expect("now is valid"),
        source: "philia".into(),
        customer: Some(CustomerRef::by_id(customer)),
        properties: serde_json::json!({"from": from, "to": to, "direction": direction}).to_string(),
    })
}
