//! Refunds in missions: a refunded purchase takes back the progress it gave (the customer's own,
//! and the referrer's when it was a referred friend's first purchase), and the rewards of steps
//! that are no longer done. Runs in the refund's transaction, so progress, points and rewards
//! move together; the rules are `philia_domain::mission_replay`.

use crate::mission_progress::{reward_key, to_progress, write_back};
use crate::missions::{MISSION_REOPENED, MissionEventExtra, mission_event, stored_mission};
use crate::wallet::WalletMove;
use crate::{Engine, Result, TenantContext};
use philia_domain::earning::PeriodKeys;
use philia_domain::missions::Mission;
use philia_domain::tiers::Evaluation;
use philia_store::Conn;
use philia_store::missions::FactsWrite;

/// What a refund leaves of an invoice.
pub(crate) struct RefundedInvoice {
    pub invoice_id: i64,
    pub customer_id: Option<i64>,
    pub issued_at: i64,
    pub total: i64,
    pub refunded_after: i64,
    pub refund_id: i64,
    pub refunded_at: i64,
}

/// A redemption taken back: its status from then on.
const WITHDRAWN: &str = "withdrawn";

impl Engine {
    /// Rebuilds the progress the refunded invoice counted in, and takes back the rewards of
    /// the steps no longer done.
    pub(crate) async fn take_back_missions_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        r: &RefundedInvoice,
        now: i64,
    ) -> Result<()> {
        // Missions first, as most refunds meet none. Switched-off missions count too: what a
        // purchase earned in them is taken back all the same.
        let missions: Vec<(i64, Mission)> = self
            .store
            .missions(conn, ctx.id)
            .await?
            .iter()
            .filter_map(|m| stored_mission(m, ctx).ok().map(|parsed| (m.id, parsed)))
            .collect();
        if missions.is_empty() {
            return Ok(());
        }
        let mut customers: Vec<i64> = r.customer_id.into_iter().collect();
        if let Some(referrer) = self.store.referrer_rewarded_by(conn, ctx.id, r.invoice_id).await? {
            // The refund holds its own customer's row; the referrer's progress is written under
            // the same lock their own purchases take.
            self.store.lock_customer_stats(conn, ctx.id, &[referrer]).await?;
            customers.push(referrer);
        }
        if customers.is_empty() {
            return Ok(());
        }
        let keys =
            PeriodKeys::of(jiff::Timestamp::from_millisecond(r.issued_at).expect("a valid instant"), &ctx.zone, ctx.calendar);
        let ids: Vec<i64> = missions.iter().map(|(id, _)| *id).collect();
        let mut periods: Vec<String> = missions.iter().map(|(_, m)| m.period_in(&keys).to_string()).collect();
        periods.sort_unstable();
        periods.dedup();
        let kept = r.total - r.refunded_after;
        let mut changed = Vec::new();
        let mut events = Vec::new();
        let mut rewarded_back = Vec::new();
        for mut row in self.store.progress_of(conn, ctx.id, &ids, &periods, &customers).await? {
            let Some((_, m)) = missions.iter().find(|(id, _)| *id == row.mission_id) else { continue };
            if row.period != m.period_in(&keys) {
                continue;
            }
            let before = to_progress(&row, true);
            let Some(t) = m.take_back(&before, r.invoice_id, kept, r.total) else { continue };
            let parts = t
                .undone
                .iter()
                .filter(|s| !m.steps[**s].reward.is_empty())
                .map(|s| format!("step{s}"))
                .chain(t.reopened.then(|| "done".to_string()).filter(|_| !m.reward.is_empty()));
            for part in parts {
                for round in 0..=before.round {
                    let key = reward_key(row.mission_id, row.customer_id, &row.period, &part, round);
                    if self.take_back_reward(conn, ctx, &key, r, now).await? {
                        rewarded_back.push(row.customer_id);
                    }
                }
            }
            write_back(&mut row, &t.progress);
            if t.reopened {
                // An expired row stays expired; an open one waits for its deadline again.
                if row.status == "completed" {
                    row.status = "active".into();
                }
                events.push(mission_event(
                    MISSION_REOPENED,
                    m,
                    &row,
                    r.refunded_at,
                    MissionEventExtra { invoice: Some(r.invoice_id), steps_undone: Some(t.undone.len()), ..Default::default() },
                ));
            }
            changed.push(row);
        }
        if changed.is_empty() {
            return Ok(());
        }
        self.store.save_progress(conn, ctx.id, changed, FactsWrite::Replace, now).await?;
        if !events.is_empty() {
            self.write_own_events(conn, ctx, events).await?;
        }
        // The refund re-evaluates its own customer's tier; a referrer's points may have moved too.
        rewarded_back.retain(|c| Some(*c) != r.customer_id);
        rewarded_back.sort_unstable();
        rewarded_back.dedup();
        if !rewarded_back.is_empty() {
            self.evaluate_tiers_in(conn, ctx, &rewarded_back, Evaluation::AfterRefund, "refund", now).await?;
        }
        Ok(())
    }

    /// Takes back what was given under a mission reward's key: its points (as debt where they
    /// were spent), and a catalogue reward as far as it is unused — the rest of its spins or
    /// access, a code never used, a gift not yet approved, wallet money still in the wallet.
    /// Returns whether anything was given under the key.
    async fn take_back_reward(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        key: &str,
        r: &RefundedInvoice,
        now: i64,
    ) -> Result<bool> {
        let mut found = false;
        if let Some(e) = self.store.earning_by_key(conn, ctx.id, key).await? {
            found = true;
            self.reverse_earning_in(conn, ctx, &e, e.points - e.reversed, r.refund_id, r.refunded_at, now).await?;
        }
        let Some(red) = self.store.redemption_by_key(conn, ctx.id, key).await? else { return Ok(found) };
        let v = &red.view;
        if v.points != 0 || v.status == WITHDRAWN || v.status == "cancelled" {
            return Ok(true);
        }
        let withdrawn = match v.kind.as_str() {
            "game_spins" | "vip_access" | "early_access" => {
                self.store.drop_entitlements_of(conn, ctx.id, v.id).await?;
                true
            }
            "physical_gift" if v.status == "requested" => {
                self.store.return_reward_stock(conn, ctx.id, red.reward_id).await?;
                true
            }
            "discount_code" => match v.outcome.get("code").and_then(|c| c.as_str()) {
                Some(code) if self.store.end_unused_code(conn, ctx.id, code, now).await? => {
                    self.store.return_reward_stock(conn, ctx.id, red.reward_id).await?;
                    true
                }
                _ => false,
            },
            "wallet_credit" => {
                let credited = v.outcome.get("wallet_credit").and_then(|a| a.as_i64()).unwrap_or(0);
                let balance = self.store.lock_wallet(conn, ctx.id, v.customer_id).await?;
                let (_, pending) = self.store.wallet_state(conn, ctx.id, v.customer_id, now).await?;
                let back = credited.min(balance - pending);
                if back > 0 {
                    let m = WalletMove {
                        customer_id: v.customer_id,
                        kind: "reverse",
                        amount: -back,
                        available_at: now,
                        source_kind: "refund",
                        source_id: Some(r.refund_id),
                        ref_entry_id: None,
                        idem_key: Some(format!("refund:{}:{key}", r.refund_id)),
                        reason: Some("mission reward taken back".into()),
                        actor: None,
                    };
                    self.move_wallet(conn, ctx, m, false, now).await?;
                }
                back > 0
            }
            _ => false,
        };
        if withdrawn {
            self.store.set_redemption_status(conn, ctx.id, v.id, WITHDRAWN, now).await?;
        }
        Ok(true)
    }
}
