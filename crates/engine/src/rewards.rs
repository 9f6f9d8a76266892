//! The rewards catalogue and redemption. A redemption locks the customer's point account, checks
//! the reward's window, tier and per-customer limit, takes one from stock with a conditional
//! update, spends the points and delivers the outcome — all in one transaction, so a failure at
//! any step leaves points and stock untouched.

use crate::audit::{NOTHING, stored};
use crate::events::NewEvent;
use crate::points::{Debit, PointsBack, key_reused, unique_as_race, unknown_point_type};
use crate::wallet::WalletMove;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::discounts::{PromotionInput, generate_codes};
use philia_domain::records::{Entitlement, Redemption, RewardRecord};
use philia_domain::rewards::{Reward, RewardInput, RewardKind, gift_transition_allowed};
use philia_store::Conn;
use philia_store::batch::Batch;
use philia_store::rewards::{RedemptionRow, RedemptionState, RewardRow};
use rand::RngCore;
use serde::Deserialize;

/// What a redemption is judged by (see `Engine::redemption_terms`).
struct RedemptionTerms {
    customer: i64,
    tier: Option<String>,
    /// The customer's stored segments, read only when the reward is restricted to some.
    segments: Vec<String>,
    point_type_id: i64,
    row: RewardRow,
    reward: Reward,
    /// A redemption already made with the request's key.
    earlier: Option<RedemptionState>,
}

/// A retry's answer: the redemption its key made, when it was for the same customer and reward.
fn same_redemption(earlier: &RedemptionState, customer: i64, reward_id: i64) -> Result<(Redemption, bool)> {
    if earlier.view.customer_id != customer || earlier.reward_id != reward_id {
        return Err(key_reused());
    }
    Ok((earlier.view.clone(), false))
}

/// The event raised when a customer redeems a reward.
pub const REWARD_REDEEMED: &str = "reward_redeemed";

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemInput {
    /// Also accepted as the `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionStatusInput {
    /// `approved`, `shipped`, `delivered` or `cancelled` (cancelling gives the points back).
    pub status: String,
}

/// The promotion behind a discount-code reward: one personal, single-use code per redemption.
fn reward_promotion(reward: &Reward) -> Option<PromotionInput> {
    let RewardKind::DiscountCode { discount, value, max_discount, min_amount, .. } = &reward.kind else { return None };
    Some(PromotionInput {
        code: format!("reward-{}", reward.code),
        name: reward.name.clone(),
        discount: discount.clone(),
        value: *value,
        max_discount: *max_discount,
        starts_at: None,
        ends_at: None,
        min_amount: *min_amount,
        categories: None,
        skus: None,
        total_limit: None,
        per_customer_limit: None,
        uses_per_code: Some(1),
        tiers: None,
        stackable: Some(false),
        shared_code: None,
        active: Some(true),
    })
}

fn record(row: &RewardRow) -> Result<RewardRecord> {
    let reward: RewardInput =
        serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("reward {}: {e}", row.code)))?;
    Ok(RewardRecord { id: row.id, reward, stock_left: row.stock_left, redeemed: row.redeemed })
}

impl Engine {
    async fn checked_reward(&self, conn: &mut Conn, ctx: &TenantContext, input: &RewardInput) -> Result<Reward> {
        let reward = input.parse(&ctx.zone)?;
        if !self.point_type_map(conn, ctx).await?.contains_key(&reward.point_type) {
            return Err(unknown_point_type(&reward.point_type));
        }
        for (i, code) in reward.segments.iter().enumerate() {
            if self.store.segment_by_code(conn, ctx.id, code).await?.is_none() {
                return Err(EngineError::field(
                    Issue::new("unknown_segment", format!("no segment has the code {code}"), format!("بخشی با کد {code} نیست"))
                        .at(format!("segments[{i}]")),
                ));
            }
        }
        Ok(reward)
    }

    pub async fn create_reward(&self, ctx: &TenantContext, input: &RewardInput) -> Result<RewardRecord> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let reward = self.checked_reward(&mut tx, ctx, input).await?;
        let ids = self.store.allocate_ids(&mut tx, 2).await?;
        let row = RewardRow {
            id: ids[0],
            code: reward.code.clone(),
            body: serde_json::to_string(&reward.to_input()).expect("a reward serialises"),
            stock_left: reward.stock,
            redeemed: 0,
        };
        if !self.store.insert_reward(&mut tx, ctx.id, &row, reward.kind.name(), now).await? {
            return Err(EngineError::conflict("code_taken", "a reward with this code exists", "جایزه‌ای با این کد وجود دارد"));
        }
        if let Some(p) = reward_promotion(&reward) {
            let body = serde_json::to_string(&p).expect("a promotion serialises");
            self.store.insert_promotion(&mut tx, ctx.id, ids[1], &p.code, &body, None, now).await?;
        }
        self.audit_in(&mut tx, ctx, "reward.create", "reward", &row.code, NOTHING, Some(&stored(&row.body))).await?;
        philia_store::commit(tx).await?;
        record(&row)
    }

    /// Replaces a reward's definition. Stock is the new total: what is left is that minus what
    /// was redeemed already.
    pub async fn update_reward(&self, ctx: &TenantContext, code: &str, input: &RewardInput) -> Result<RewardRecord> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let reward = self.checked_reward(&mut tx, ctx, input).await?;
        if reward.code != code {
            return Err(EngineError::field(
                Issue::new("code_mismatch", "must match the code in the path", "کد باید با مسیر یکی باشد").at("code"),
            ));
        }
        let current = self.store.reward_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("reward"))?;
        let stock_left = match reward.stock {
            None => None,
            Some(s) if s < current.redeemed => {
                return Err(EngineError::field(
                    Issue::new(
                        "below_redeemed",
                        format!("{} were redeemed already", current.redeemed),
                        format!("{} مورد قبلاً دریافت شده است", current.redeemed),
                    )
                    .at("stock"),
                ));
            }
            Some(s) => Some(s - current.redeemed),
        };
        let body = serde_json::to_string(&reward.to_input()).expect("a reward serialises");
        self.store.update_reward(&mut tx, ctx.id, current.id, reward.kind.name(), &body, stock_left, now).await?;
        if let Some(p) = reward_promotion(&reward) {
            let pbody = serde_json::to_string(&p).expect("a promotion serialises");
            match self.store.promotion_by_code(&mut tx, ctx.id, &p.code).await? {
                Some(existing) => self.store.update_promotion(&mut tx, ctx.id, existing.id, &pbody, None, now).await?,
                None => {
                    let id = self.store.allocate_ids(&mut tx, 1).await?[0];
                    self.store.insert_promotion(&mut tx, ctx.id, id, &p.code, &pbody, None, now).await?;
                }
            }
        }
        self.audit_in(&mut tx, ctx, "reward.update", "reward", code, Some(&stored(&current.body)), Some(&stored(&body))).await?;
        philia_store::commit(tx).await?;
        record(&RewardRow { id: current.id, code: current.code, body, stock_left, redeemed: current.redeemed })
    }

    pub async fn rewards(&self, ctx: &TenantContext) -> Result<Vec<RewardRecord>> {
        self.store.list_rewards(ctx.id).await?.iter().map(record).collect()
    }

    pub async fn reward(&self, ctx: &TenantContext, code: &str) -> Result<RewardRecord> {
        let mut tx = self.store.begin_read().await?;
        record(&self.store.reward_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("reward"))?)
    }

    /// Redeems a reward for a customer. A retry with the same key returns the first redemption.
    pub async fn redeem(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        code: &str,
        key: Option<&str>,
        header_key: Option<&str>,
    ) -> Result<(Redemption, bool)> {
        let key = crate::points::idempotency_key(key, header_key)?;
        let terms = self.redemption_terms(ctx, customer_id, code, &key).await?;
        if let Some(earlier) = &terms.earlier {
            return same_redemption(earlier, terms.customer, terms.row.id);
        }
        // The key was looked up before the lock. A copy of this request written since makes this
        // one's writes break the key's uniqueness, and the retry looks again; or it took what this
        // one needed (points, stock, the limit), and the refusal looks again.
        let mut retried = false;
        let outcome = in_write_tx!(self, |conn| {
            let outcome = self.redeem_in(conn, ctx, &terms, customer_id, &key, retried).await.map_err(unique_as_race);
            retried = true;
            outcome
        });
        match outcome {
            Err(refused @ EngineError::Conflict { .. }) => {
                let mut tx = self.store.begin_read().await?;
                match self.store.redemption_by_key(&mut tx, ctx.id, &key).await? {
                    Some(earlier) => same_redemption(&earlier, terms.customer, terms.row.id),
                    None => Err(refused),
                }
            }
            other => other,
        }
    }

    /// What a redemption is judged by, read before the write lock so that the lock is held only
    /// for what must be exact (the key, the account, the stock, the limit): the reward and the point
    /// types change by staff's hand, and the tier by the customer's purchases, so a redemption
    /// racing such a change is judged as if it came a moment before it.
    async fn redemption_terms(&self, ctx: &TenantContext, customer_id: i64, code: &str, key: &str) -> Result<RedemptionTerms> {
        let mut tx = self.store.begin_read().await?;
        let earlier = self.store.redemption_by_key(&mut tx, ctx.id, key).await?;
        let (customer, tier) = self.live_customer_with_tier(&mut tx, ctx, customer_id).await?;
        let row = self.store.reward_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("reward"))?;
        let input: RewardInput = serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("reward {code}: {e}")))?;
        let reward = input.parse(&ctx.zone).map_err(|e| EngineError::Io(format!("reward {code}: {e}")))?;
        let segments = self.segments_for(&mut tx, ctx, &reward, customer).await?;
        let types = self.point_type_map(&mut tx, ctx).await?;
        let (point_type_id, _) = types.get(&reward.point_type).ok_or_else(|| unknown_point_type(&reward.point_type))?;
        Ok(RedemptionTerms { customer, tier, segments, point_type_id: *point_type_id, row, reward, earlier })
    }

    /// The customer's stored segment codes when `reward` is restricted to segments (none read
    /// otherwise).
    async fn segments_for(&self, conn: &mut Conn, ctx: &TenantContext, reward: &Reward, customer: i64) -> Result<Vec<String>> {
        self.segments_if(conn, ctx, !reward.segments.is_empty(), customer).await
    }

    /// The customer's stored segment codes, read only when `needed`.
    async fn segments_if(&self, conn: &mut Conn, ctx: &TenantContext, needed: bool, customer: i64) -> Result<Vec<String>> {
        if !needed {
            return Ok(Vec::new());
        }
        Ok(self.store.segment_codes_of(conn, ctx.id, &[customer]).await?.remove(&customer).unwrap_or_default())
    }

    /// Every reward, each with whether the customer may redeem it now whatever their points:
    /// offered, inside its window, for the customer's tier and segments. Stock and limits are left
    /// to the redemption.
    pub async fn rewards_for(&self, ctx: &TenantContext, customer_id: i64) -> Result<Vec<(RewardRecord, bool)>> {
        let records = self.rewards(ctx).await?;
        let rewards = records
            .iter()
            .map(|r| r.reward.parse(&ctx.zone).map_err(|e| EngineError::Io(format!("reward {}: {e}", r.reward.code))))
            .collect::<Result<Vec<Reward>>>()?;
        let (tier, segments) = {
            let mut tx = self.store.begin_read().await?;
            let (customer, tier) = self.live_customer_with_tier(&mut tx, ctx, customer_id).await?;
            let restricted = rewards.iter().any(|r| !r.segments.is_empty());
            (tier, self.segments_if(&mut tx, ctx, restricted, customer).await?)
        };
        let now = jiff::Timestamp::now();
        Ok(records
            .into_iter()
            .zip(&rewards)
            .map(|(record, reward)| (record, reward.refusal(tier.as_deref(), &segments, now).is_none()))
            .collect())
    }

    async fn redeem_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        terms: &RedemptionTerms,
        customer_id: i64,
        key: &str,
        look_up_key: bool,
    ) -> Result<(Redemption, bool)> {
        let now = now_ms();
        let RedemptionTerms { row, reward, .. } = terms;
        let customer = self.live_customer(conn, ctx, customer_id).await?;
        if look_up_key && let Some(earlier) = self.store.redemption_by_key(conn, ctx.id, key).await? {
            return same_redemption(&earlier, customer, row.id);
        }
        // A merge between the reading and the lock leaves another customer to judge.
        let (tier, segments) = if customer == terms.customer {
            (terms.tier.clone(), terms.segments.clone())
        } else {
            (self.tier_of(conn, ctx, customer).await?, self.segments_for(conn, ctx, reward, customer).await?)
        };
        let at = jiff::Timestamp::from_millisecond(now).expect("now is valid");
        if let Some(issue) = reward.refusal(tier.as_deref(), &segments, at) {
            return Err(EngineError::refused(issue));
        }
        // The account lock serialises this customer's redemptions, so the limit count is exact.
        let mut open = self.open_account(conn, ctx, customer, terms.point_type_id, now).await?;
        if let Some(limit) = reward.per_customer_limit
            && self.store.count_redemptions(conn, ctx.id, row.id, customer).await? >= limit
        {
            return Err(EngineError::conflict(
                "reward_limit_reached",
                "this reward was already redeemed as often as allowed",
                "سقف دریافت این جایزه پر شده است",
            ));
        }
        // A stock is taken under the lock before anything is spent; a reward without one is only
        // counted, with the other writes.
        let stocked = row.stock_left.is_some();
        if stocked && !self.store.take_reward_stock(conn, ctx.id, row.id).await? {
            return Err(EngineError::conflict("out_of_stock", "this reward is out of stock", "موجودی این جایزه تمام شده است"));
        }
        let takes = open.acc.spend(reward.cost, now).map_err(|short| {
            EngineError::conflict(
                "insufficient_points",
                format!("needs {} points; {} are available", reward.cost, short.available),
                format!("این جایزه {} امتیاز لازم دارد و {} امتیاز قابل استفاده است", reward.cost, short.available),
            )
        })?;
        let [redemption_id, entry_id, event_id, delivery_id] = self.store.allocate_id_array(conn).await?;
        let debit = Debit {
            kind: "spend",
            points: reward.cost,
            takes,
            debt_added: 0,
            at: now,
            source_kind: "redemption",
            source_id: Some(redemption_id),
            ref_entry_id: None,
            idem_key: Some(format!("redeem:{key}")),
            reason: Some(reward.name.clone()),
            actor: None,
        };
        // What is left is writing, sent as one batch.
        let mut writes = self.store.batch();
        if !stocked {
            self.store.count_unstocked_redemption_into(&mut writes, ctx.id, row.id);
        }
        self.record_debit_into(&mut writes, ctx, &mut open, debit, entry_id, now);
        self.close_account_into(&mut writes, ctx, open);
        let (status, outcome) = self.deliver(conn, &mut writes, ctx, reward, customer, (redemption_id, delivery_id), now).await?;
        let r = RedemptionRow {
            id: redemption_id,
            reward_id: row.id,
            customer_id: customer,
            status,
            points: reward.cost,
            point_entry_id: entry_id,
            idem_key: key.to_string(),
            outcome: outcome.to_string(),
            now,
        };
        self.store.insert_redemption_into(&mut writes, ctx.id, &r);
        // For automations (a confirmation message, say) and reports.
        let mut properties = serde_json::json!({"reward": reward.name, "reward_code": row.code, "points": reward.cost});
        if let (Some(p), Some(o)) = (properties.as_object_mut(), outcome.as_object()) {
            for (k, v) in o {
                p.entry(k.clone()).or_insert(v.clone());
            }
        }
        let event = NewEvent {
            key: format!("{REWARD_REDEEMED}:{redemption_id}"),
            customer_id: customer,
            event_type: REWARD_REDEEMED,
            at: now,
            properties: properties.to_string(),
        };
        self.write_own_event_into(&mut writes, ctx, event_id, event);
        writes.run(conn).await?;
        let view = Redemption {
            id: redemption_id,
            reward: row.code.clone(),
            kind: reward.kind.name().to_string(),
            customer_id: customer,
            status: status.to_string(),
            points: reward.cost,
            outcome,
            created_at: philia_store::bulk::ts(now),
            updated_at: philia_store::bulk::ts(now),
        };
        Ok((view, true))
    }

    /// Gives the customer what the reward is; returns the redemption's status and outcome. Writes
    /// that need no answer (a wallet credit) go into `writes`.
    async fn deliver(
        &self,
        conn: &mut Conn,
        writes: &mut Batch,
        ctx: &TenantContext,
        reward: &Reward,
        customer: i64,
        (redemption_id, delivery_id): (i64, i64),
        now: i64,
    ) -> Result<(&'static str, serde_json::Value)> {
        const DAY: i64 = 86_400_000;
        Ok(match &reward.kind {
            RewardKind::DiscountCode { valid_days, .. } => {
                let promo_code = format!("reward-{}", reward.code);
                let until = now + *valid_days as i64 * DAY;
                let code = self.issue_personal_code(conn, ctx, &promo_code, &reward.code, customer, until).await?;
                ("fulfilled", serde_json::json!({"code": code, "valid_until": philia_store::bulk::ts(until)}))
            }
            RewardKind::WalletCredit { amount } => {
                let m = WalletMove {
                    customer_id: customer,
                    kind: "conversion",
                    amount: *amount,
                    available_at: now,
                    source_kind: "redemption",
                    source_id: Some(redemption_id),
                    ref_entry_id: None,
                    idem_key: Some(format!("redemption:{redemption_id}")),
                    reason: Some(reward.name.clone()),
                    actor: None,
                };
                self.wallet_move_into(writes, ctx, m, delivery_id, now);
                ("fulfilled", serde_json::json!({"wallet_credit": amount}))
            }
            RewardKind::VipAccess { target, days } | RewardKind::EarlyAccess { target, days } => {
                let id = delivery_id;
                let until = now + *days as i64 * DAY;
                self.store
                    .insert_entitlement(
                        conn,
                        ctx.id,
                        id,
                        customer,
                        reward.kind.name(),
                        target,
                        1,
                        Some(until),
                        Some(redemption_id),
                        now,
                    )
                    .await?;
                (
                    "fulfilled",
                    serde_json::json!({"entitlement": id, "target": target, "valid_until": philia_store::bulk::ts(until)}),
                )
            }
            RewardKind::GameSpins { game, spins } => {
                let id = delivery_id;
                self.store
                    .insert_entitlement(
                        conn,
                        ctx.id,
                        id,
                        customer,
                        "game_spins",
                        game,
                        *spins as i64,
                        None,
                        Some(redemption_id),
                        now,
                    )
                    .await?;
                ("fulfilled", serde_json::json!({"entitlement": id, "game": game, "spins": spins}))
            }
            RewardKind::PhysicalGift {} => ("requested", serde_json::json!({})),
        })
    }

    /// Gives a catalogue reward without its point cost (a game prize, a mission's reward): one
    /// from its stock, delivered, and recorded as a redemption of 0 points under `key`. A reward
    /// out of stock is a lost race for the caller, which checked the stock under its own lock.
    pub(crate) async fn grant_reward(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        code: &str,
        customer: i64,
        key: &str,
        now: i64,
    ) -> Result<serde_json::Value> {
        let r = self.store.reward_by_code(conn, ctx.id, code).await?.ok_or(EngineError::NotFound("reward"))?;
        if !self.store.take_reward_stock(conn, ctx.id, r.id).await? {
            return Err(EngineError::Race);
        }
        let input: RewardInput = serde_json::from_str(&r.body).map_err(|e| EngineError::Io(format!("reward {code}: {e}")))?;
        let parsed = input.parse(&ctx.zone).map_err(|e| EngineError::Io(format!("reward {code}: {e}")))?;
        let [redemption_id, delivery_id] = self.store.allocate_id_array(conn).await?;
        let mut writes = self.store.batch();
        let (status, outcome) =
            self.deliver(conn, &mut writes, ctx, &parsed, customer, (redemption_id, delivery_id), now).await?;
        writes.run(conn).await?;
        let row = RedemptionRow {
            id: redemption_id,
            reward_id: r.id,
            customer_id: customer,
            status,
            points: 0,
            point_entry_id: 0,
            idem_key: key.to_string(),
            outcome: outcome.to_string(),
            now,
        };
        self.store.insert_redemption(conn, ctx.id, &row).await?;
        Ok(serde_json::json!({"reward": code, "redemption": redemption_id, "status": status, "delivered": outcome}))
    }

    /// Creates a single-use code of a promotion for one customer, valid until `until`; its
    /// prefix comes from `prefix_of` (up to six letters and digits).
    pub(crate) async fn issue_personal_code(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        promotion_code: &str,
        prefix_of: &str,
        customer: i64,
        until: i64,
    ) -> Result<String> {
        let promotion =
            self.store.promotion_by_code(conn, ctx.id, promotion_code).await?.ok_or(EngineError::NotFound("promotion"))?;
        let prefix =
            format!("{}-", prefix_of.to_uppercase().chars().filter(|c| c.is_ascii_alphanumeric()).take(6).collect::<String>());
        loop {
            let code = generate_codes(1, &prefix, 8, |b| rand::rng().fill_bytes(b)).remove(0);
            if self.store.insert_codes(conn, ctx.id, promotion.id, vec![code.clone()], Some((customer, Some(until)))).await? == 1
            {
                return Ok(code);
            }
        }
    }

    /// Moves a physical gift along its fulfilment; cancelling gives back the points (as a new
    /// lot that keeps the latest expiry of the lots they came from) and the stock.
    pub async fn set_redemption_status(
        &self,
        ctx: &TenantContext,
        id: i64,
        input: &RedemptionStatusInput,
        actor: &str,
    ) -> Result<Redemption> {
        let now = now_ms();
        let status = input.status.as_str();
        if !philia_domain::rewards::GIFT_STATES[1..].contains(&status) {
            return Err(EngineError::field(Issue::one_of(&philia_domain::rewards::GIFT_STATES[1..]).at("status")));
        }
        in_write_tx!(self, |conn| {
            async {
                let r = self.store.lock_redemption(conn, ctx.id, id).await?.ok_or(EngineError::NotFound("redemption"))?;
                if r.view.status == status {
                    return Ok(r.view);
                }
                if r.view.kind != "physical_gift" || !gift_transition_allowed(&r.view.status, status) {
                    return Err(EngineError::conflict(
                        "invalid_transition",
                        format!("a {} redemption cannot go from {} to {status}", r.view.kind, r.view.status),
                        format!("وضعیت از {} به {status} قابل تغییر نیست", r.view.status),
                    ));
                }
                if status == "cancelled" {
                    // A reward won in a game cost no points.
                    if r.view.points > 0 {
                        self.give_points_back(conn, ctx, &r.view, r.point_entry_id, actor, now).await?;
                    }
                    self.store.return_reward_stock(conn, ctx.id, r.reward_id).await?;
                    self.store.drop_entitlements_of(conn, ctx.id, id).await?;
                }
                self.store.set_redemption_status(conn, ctx.id, id, status, now).await?;
                let after = self.store.lock_redemption(conn, ctx.id, id).await?.ok_or(EngineError::NotFound("redemption"))?.view;
                self.audit_in(conn, ctx, "redemption.status", "redemption", &id.to_string(), Some(&r.view), Some(&after)).await?;
                Ok(after)
            }
            .await
        })
    }

    async fn give_points_back(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        r: &Redemption,
        spend_entry: i64,
        actor: &str,
        now: i64,
    ) -> Result<()> {
        let rewards = self.store.reward_by_code(conn, ctx.id, &r.reward).await?.ok_or(EngineError::NotFound("reward"))?;
        let input: RewardInput = serde_json::from_str(&rewards.body).map_err(|e| EngineError::Io(format!("reward: {e}")))?;
        let types = self.point_type_map(conn, ctx).await?;
        let (type_id, _) = types.get(&input.point_type).ok_or_else(|| unknown_point_type(&input.point_type))?;
        let back = PointsBack {
            customer_id: r.customer_id,
            point_type_id: *type_id,
            points: r.points,
            spend_entry,
            source_kind: "redemption",
            source_id: r.id,
            idem_key: format!("return:{}", r.id),
            reason: "redemption cancelled",
            actor: Some(actor),
        };
        self.return_points(conn, ctx, back, now).await
    }

    pub async fn redemptions(
        &self,
        ctx: &TenantContext,
        customer_id: Option<i64>,
        status: Option<&str>,
    ) -> Result<Vec<Redemption>> {
        let customer = match customer_id {
            None => None,
            Some(id) => {
                let mut tx = self.store.begin_read().await?;
                Some(self.live_customer(&mut tx, ctx, id).await?)
            }
        };
        Ok(self.store.redemptions(ctx.id, customer, status, 500).await?)
    }

    pub async fn entitlements(&self, ctx: &TenantContext, customer_id: i64) -> Result<Vec<Entitlement>> {
        let mut tx = self.store.begin_read().await?;
        let id = self.live_customer(&mut tx, ctx, customer_id).await?;
        drop(tx);
        Ok(self.store.entitlements(ctx.id, id, now_ms()).await?)
    }
}
