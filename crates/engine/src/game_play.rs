//! Playing a chance game. One transaction locks the player (so one customer's plays of a game
//! are serialised and their limits exact), pays the cost, locks the stock rows of limited prizes
//! (so the odds and the taking of stock see the same numbers), draws with the committed seed,
//! takes the prize from stock, gives it, stores the play with its proof and commits a new seed
//! for the next play. A failure at any step leaves nothing behind: no prize without payment, no
//! payment without a play. A retry with the same idempotency key returns the first play.

use crate::events::NewEvent;
use crate::games::{limit_refusal, new_seed, plays_on, stored_game};
use crate::points::{Debit, idempotency_key, key_reused, unique_as_race, unknown_point_type};
use crate::wallet::WalletMove;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::draw::{Slice, draw, from_hex, reels};
use philia_domain::games::{Game, GameKind, PrizeInput, PrizeKind};
use philia_domain::records::PointTypeRecord;
use philia_store::Conn;
use philia_store::games::{PlayRow, PlayerRow};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub const GAME_PLAYED: &str = "game_played";
const DAY: i64 = 86_400_000;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlayInput {
    /// Also accepted as the `Idempotency-Key` header: a double click plays once.
    pub idempotency_key: Option<String>,
    /// Any text the player chooses, mixed into the draw (up to 64 characters; default empty).
    pub client_seed: Option<String>,
}

/// What proves a play's draw: recompute HMAC-SHA256(seed, "client_seed:nonce"), take its first
/// 16 bytes modulo `total`, and walk `weights`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlayProofView {
    /// SHA-256 of `seed`, shown before the play.
    pub commitment: String,
    /// The server seed, revealed now.
    pub seed: String,
    pub client_seed: String,
    pub nonce: i64,
    /// The prizes and weights drawn from, in order.
    pub table: Vec<Slice>,
    pub total: u64,
    pub roll: u64,
    /// The commitment of the player's next play.
    pub next_commitment: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlayRecord {
    pub id: i64,
    pub game: String,
    pub customer_id: i64,
    pub at: String,
    /// `spin`, `points` or `free`.
    pub paid_with: String,
    pub cost_points: i64,
    pub prize: String,
    pub prize_kind: String,
    pub prize_value: Option<i64>,
    /// What was given: points, wallet amount, code, redemption, spins.
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
    /// Slot machines: the three reel symbols.
    pub reels: Option<Vec<String>>,
    pub proof: PlayProofView,
}

pub(crate) fn play_record(p: &PlayRow, game: &str) -> PlayRecord {
    let table: Vec<Slice> = serde_json::from_str(&p.weights).unwrap_or_default();
    PlayRecord {
        id: p.id,
        game: game.to_string(),
        customer_id: p.customer_id,
        at: philia_domain::calendar::from_millis(p.at).to_string(),
        paid_with: p.paid_with.clone(),
        cost_points: p.cost_points,
        prize: p.prize.clone(),
        prize_kind: p.prize_kind.clone(),
        prize_value: p.prize_value,
        outcome: serde_json::from_str(&p.outcome).unwrap_or_default(),
        reels: p.reels.as_deref().and_then(|r| serde_json::from_str(r).ok()),
        proof: PlayProofView {
            commitment: p.commitment.clone(),
            seed: p.seed.clone(),
            client_seed: p.client_seed.clone(),
            nonce: p.nonce,
            total: table.iter().map(|s| s.weight).sum(),
            table,
            roll: p.roll as u64,
            next_commitment: p.next_commitment.clone(),
        },
    }
}

/// How a play was paid for.
struct Payment {
    paid_with: &'static str,
    points: i64,
    value: Option<i64>,
}

fn cash(points: i64, t: &PointTypeRecord) -> Option<i64> {
    t.cash_value.map(|v| v * points)
}

impl Engine {
    /// Plays a game for a customer; returns the play and whether it is new (false: a retry).
    pub async fn play_game(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        code: &str,
        input: &PlayInput,
        header_key: Option<&str>,
    ) -> Result<(PlayRecord, bool)> {
        let key = idempotency_key(input.idempotency_key.as_deref(), header_key)?;
        let client_seed = input.client_seed.clone().unwrap_or_default();
        if client_seed.chars().count() > 64 {
            return Err(EngineError::field(Issue::too_long(64).at("client_seed")));
        }
        in_write_tx!(self, |conn| self.play_in(conn, ctx, customer_id, code, &key, &client_seed).await.map_err(unique_as_race))
    }

    async fn play_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customer_id: i64,
        code: &str,
        key: &str,
        client_seed: &str,
    ) -> Result<(PlayRecord, bool)> {
        let now = now_ms();
        let (customer, tier) = self.live_customer_with_tier(conn, ctx, customer_id).await?;
        let row = self.store.game_by_code(conn, ctx.id, code).await?.ok_or(EngineError::NotFound("game"))?;
        if let Some(existing) = self.store.play_by_key(conn, ctx.id, key).await? {
            if existing.customer_id != customer || existing.game_id != row.id {
                return Err(key_reused());
            }
            return Ok((play_record(&existing, &row.code), false));
        }
        let game = stored_game(&row, ctx)?;
        let at = jiff::Timestamp::from_millisecond(now).expect("now is valid");
        if let Some(issue) = game.refusal(tier.as_deref(), at) {
            return Err(EngineError::refused(issue));
        }
        let player = self.player_state(conn, ctx, row.id, customer, true).await?;
        let day = ctx.day_of(now);
        let today = plays_on(&player, &day);
        if let Some(issue) = limit_refusal(&game, today, player.plays) {
            return Err(EngineError::refused(issue));
        }
        let [play_id, entry_id, event_id] = self.store.allocate_id_array(conn).await?;
        let types = self.point_type_map(conn, ctx).await?;
        let payment = self.pay_for_play(conn, ctx, &game, customer, (play_id, entry_id), &types, now).await?;
        let unavailable = self.unavailable_prizes(conn, ctx, row.id, &game, &day, true).await?;
        let weights = game.odds(tier.as_deref(), &unavailable);
        let seed_bytes = from_hex(&player.seed).ok_or_else(|| EngineError::Io("a stored seed is not hex".into()))?;
        let Some(drawn) = draw(&seed_bytes, client_seed, player.nonce, &weights) else {
            return Err(EngineError::conflict(
                "no_prize_available",
                "every prize of this game is out of stock or over its daily limit",
                "همهٔ جایزه‌های این بازی تمام شده است",
            ));
        };
        let prize = &game.prizes()[drawn.prize];
        if !matches!(prize.kind, PrizeKind::Nothing {}) {
            let daily = prize.daily_limit.is_some().then_some(day.as_str());
            if !self.store.take_prize(conn, ctx.id, row.id, &prize.code, daily).await? {
                // The stock rows are locked for this play, so this is a concurrent change of the game.
                return Err(EngineError::Race);
            }
        }
        let (outcome, given_value) = self.give_prize(conn, ctx, &game, prize, customer, play_id, &types, now).await?;
        let table: Vec<Slice> = game
            .prizes()
            .iter()
            .zip(&weights)
            .map(|(p, w)| Slice {
                prize: p.code.clone(),
                weight: *w,
                symbol: if game.input.kind == GameKind::Slot && !matches!(p.kind, PrizeKind::Nothing {}) {
                    p.symbol.clone()
                } else {
                    None
                },
            })
            .collect();
        let shown = (game.input.kind == GameKind::Slot).then(|| reels(&Slice::symbols(&table), drawn.prize, &drawn.spare));
        let (next_seed, next_commitment) = new_seed();
        let play = PlayRow {
            id: play_id,
            game_id: row.id,
            customer_id: customer,
            idem_key: key.to_string(),
            at: now,
            day: day.clone(),
            paid_with: payment.paid_with.to_string(),
            cost_points: payment.points,
            cost_value: payment.value,
            prize: prize.code.clone(),
            prize_kind: prize.kind.name().to_string(),
            prize_value: prize.value.or(given_value),
            outcome: outcome.to_string(),
            seed: player.seed.clone(),
            commitment: player.commitment.clone(),
            next_commitment: next_commitment.clone(),
            client_seed: client_seed.to_string(),
            nonce: player.nonce,
            weights: serde_json::to_string(&table).expect("a table serialises"),
            roll: drawn.roll as i64,
            reels: shown.map(|r| serde_json::to_string(&r).expect("reels serialise")),
        };
        let next = PlayerRow {
            seed: next_seed,
            commitment: next_commitment,
            nonce: player.nonce + 1,
            plays: player.plays + 1,
            day: Some(day),
            plays_day: today + 1,
        };
        // The play's own rows are written together (see `philia_store::batch`).
        let mut writes = self.store.batch();
        self.store.save_player_into(&mut writes, ctx.id, row.id, customer, &next);
        self.store.insert_play_into(&mut writes, ctx.id, &play);
        let properties = serde_json::json!({
            "game": row.code, "prize": prize.code, "prize_kind": prize.kind.name(), "paid_with": payment.paid_with
        });
        let event = NewEvent {
            key: format!("{GAME_PLAYED}:{play_id}"),
            customer_id: customer,
            event_type: GAME_PLAYED,
            at: now,
            properties: properties.to_string(),
        };
        self.write_own_event_into(&mut writes, ctx, event_id, event);
        writes.run(conn).await?;
        Ok((play_record(&play, &row.code), true))
    }

    /// Takes the cost of a play: a spin token when the game takes them and the customer has one,
    /// otherwise the points.
    #[allow(clippy::too_many_arguments)]
    async fn pay_for_play(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        game: &Game,
        customer: i64,
        (play_id, entry_id): (i64, i64),
        types: &HashMap<String, (i64, PointTypeRecord)>,
        now: i64,
    ) -> Result<Payment> {
        let cost = &game.input.cost;
        if cost.spins && self.store.take_spin(conn, ctx.id, customer, game.code(), now).await? {
            return Ok(Payment { paid_with: "spin", points: 0, value: None });
        }
        let (Some(point_type), Some(points)) = (&cost.point_type, cost.points) else {
            if cost.spins {
                return Err(EngineError::conflict("no_spins", "no spins of this game are left", "فرصت بازی ندارید"));
            }
            return Ok(Payment { paid_with: "free", points: 0, value: None });
        };
        let (type_id, t) = types.get(point_type).ok_or_else(|| unknown_point_type(point_type))?;
        let mut open = self.open_account(conn, ctx, customer, *type_id, now).await?;
        let takes = open.acc.spend(points, now).map_err(|short| {
            EngineError::conflict(
                "insufficient_points",
                format!("a play needs {points} points; {} are available", short.available),
                format!("هر بار بازی {points} امتیاز لازم دارد و {} امتیاز قابل استفاده است", short.available),
            )
        })?;
        let debit = Debit {
            kind: "spend",
            points,
            takes,
            debt_added: 0,
            at: now,
            source_kind: "game_play",
            source_id: Some(play_id),
            ref_entry_id: None,
            idem_key: Some(format!("play:{play_id}")),
            reason: Some(game.input.name.clone()),
            actor: None,
        };
        // Written before the prize is given, which may open the same account again.
        let mut writes = self.store.batch();
        self.record_debit_into(&mut writes, ctx, &mut open, debit, entry_id, now);
        self.close_account_into(&mut writes, ctx, open);
        writes.run(conn).await?;
        Ok(Payment { paid_with: "points", points, value: cash(points, t) })
    }

    /// Gives the prize; returns what was given and what it is worth in money when known.
    #[allow(clippy::too_many_arguments)]
    async fn give_prize(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        game: &Game,
        prize: &PrizeInput,
        customer: i64,
        play_id: i64,
        types: &HashMap<String, (i64, PointTypeRecord)>,
        now: i64,
    ) -> Result<(serde_json::Value, Option<i64>)> {
        let reason = format!("{}: {}", game.input.name, prize.label);
        Ok(match &prize.kind {
            PrizeKind::Points { point_type, points } => {
                let (type_id, t) = types.get(point_type).ok_or_else(|| unknown_point_type(point_type))?;
                let prize_key = format!("prize:{play_id}");
                self.award_points(conn, ctx, customer, (*type_id, t), *points, ("game_play", play_id), prize_key, reason, now)
                    .await?;
                (serde_json::json!({"points": points, "point_type": point_type}), cash(*points, t))
            }
            PrizeKind::Wallet { amount } => {
                let m = WalletMove {
                    customer_id: customer,
                    kind: "prize",
                    amount: *amount,
                    available_at: now,
                    source_kind: "game_play",
                    source_id: Some(play_id),
                    ref_entry_id: None,
                    idem_key: Some(format!("prize:{play_id}")),
                    reason: Some(reason),
                    actor: None,
                };
                self.move_wallet(conn, ctx, m, false, now).await?;
                (serde_json::json!({"wallet_credit": amount}), Some(*amount))
            }
            PrizeKind::Reward { reward } => {
                (self.grant_reward(conn, ctx, reward, customer, &format!("play:{play_id}"), now).await?, None)
            }
            PrizeKind::DiscountCode { promotion, valid_days } => {
                let until = now + *valid_days as i64 * DAY;
                let code = self.issue_personal_code(conn, ctx, promotion, &game.input.code, customer, until).await?;
                (serde_json::json!({"code": code, "valid_until": philia_store::bulk::ts(until)}), None)
            }
            PrizeKind::Spins { spins } => {
                let id = self.store.allocate_ids(conn, 1).await?[0];
                self.store
                    .insert_entitlement(conn, ctx.id, id, customer, "game_spins", game.code(), *spins as i64, None, None, now)
                    .await?;
                (serde_json::json!({"spins": spins, "game": game.code()}), None)
            }
            PrizeKind::Nothing {} => (serde_json::json!({}), None),
        })
    }
}
