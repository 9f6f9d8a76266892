//! Chance games (SPEC D3): definitions, and what a customer sees before playing — the odds
//! their tier plays with now, the cost, what is left of their limits, and the commitment to the
//! seed of their next play. Playing is in [`crate::game_play`], the audit and report in
//! [`crate::game_audit`].

use crate::audit::{NOTHING, stored};
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::draw::{SEED_BYTES, commitment, to_hex};
use philia_domain::games::{Game, GameInput, GameKind, GameLook, PlayCost, PrizeKind, Unavailable};
use philia_store::Conn;
use philia_store::games::{GameRow, PlayerRow};
use rand::RngCore;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PrizeStock {
    pub code: String,
    /// Absent: unlimited.
    pub stock_left: Option<i64>,
    pub won: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GameRecord {
    pub id: i64,
    #[serde(flatten)]
    pub game: GameInput,
    pub stock: Vec<PrizeStock>,
}

/// A prize as a customer sees it, with the chance their tier has of winning it now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PrizeOdds {
    pub code: String,
    pub label: String,
    pub kind: &'static str,
    pub colour: Option<String>,
    pub image: Option<String>,
    pub symbol: Option<String>,
    /// The weight used in the draw.
    pub weight: u64,
    /// weight / sum of weights, in percent.
    pub chance_percent: f64,
    /// Out of stock or over its daily limit: its weight went to the fallback prize.
    pub unavailable: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Refusal {
    pub code: String,
    pub message: String,
    pub message_fa: String,
}

/// Everything a customer needs before pressing "play".
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GameForCustomer {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: GameKind,
    pub look: GameLook,
    pub cost: PlayCost,
    pub prizes: Vec<PrizeOdds>,
    pub spins_left: i64,
    pub plays_today: i64,
    /// Absent: no daily limit.
    pub plays_left_today: Option<i64>,
    /// Absent: no overall limit.
    pub plays_left: Option<i64>,
    /// SHA-256 of the secret seed of this customer's next play; revealed with the play.
    pub commitment: String,
    /// Why the customer cannot play now (absent: they can, if they can pay).
    pub refusal: Option<Refusal>,
}

/// A fresh secret seed from a cryptographic generator, and its commitment.
pub(crate) fn new_seed() -> (String, String) {
    let mut seed = [0u8; SEED_BYTES];
    // The thread generator is a CSPRNG seeded from the operating system.
    rand::rng().fill_bytes(&mut seed);
    (to_hex(&seed), commitment(&seed))
}

pub(crate) fn stored_game(row: &GameRow, ctx: &TenantContext) -> Result<Game> {
    let input: GameInput = serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("game {}: {e}", row.code)))?;
    input.parse(&ctx.zone).map_err(|e| EngineError::Io(format!("game {}: {e}", row.code)))
}

/// Today's plays of a player (the stored count belongs to the day it was counted on).
pub(crate) fn plays_on(player: &PlayerRow, day: &str) -> i64 {
    if player.day.as_deref() == Some(day) { player.plays_day } else { 0 }
}

/// Why a player who played `today` times today and `total` in all may not play again.
pub(crate) fn limit_refusal(game: &Game, today: i64, total: i64) -> Option<Issue> {
    if game.input.plays_per_day.is_some_and(|n| today >= n as i64) {
        return Some(Issue::new(
            "daily_play_limit",
            "no plays of this game are left today",
            "امروز دیگر نمی‌توانید این بازی را انجام دهید",
        ));
    }
    if game.input.plays_per_customer.is_some_and(|n| total >= n as i64) {
        return Some(Issue::new("play_limit", "every play of this game was used", "همهٔ دفعات این بازی استفاده شده است"));
    }
    None
}

/// The ready games of the Economic plan (SPEC J3): a wheel and a slot machine paying in the
/// tenant's `purchase` points, switched on in one step and adjustable afterwards.
pub fn game_templates() -> Vec<GameInput> {
    let t = |v: serde_json::Value| serde_json::from_value::<GameInput>(v).expect("a valid game template");
    vec![
        t(serde_json::json!({"code": "wheel", "name": "گردونه شانس", "kind": "wheel", "plays_per_day": 1,
        "cost": {"spins": true, "point_type": "purchase", "points": 20},
        "prizes": [
            {"code": "p20", "label": "۲۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 20, "weight": 30},
            {"code": "p50", "label": "۵۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 50, "weight": 15},
            {"code": "p200", "label": "۲۰۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 200, "weight": 3},
            {"code": "again", "label": "یک بار دیگر", "kind": "spins", "spins": 1, "weight": 12},
            {"code": "none", "label": "پوچ", "kind": "nothing", "weight": 40}
        ]})),
        t(serde_json::json!({"code": "slot", "name": "ماشین شانس", "kind": "slot", "plays_per_day": 3,
        "cost": {"point_type": "purchase", "points": 10},
        "prizes": [
            {"code": "cherry", "label": "۱۵ امتیاز", "kind": "points", "point_type": "purchase", "points": 15, "weight": 25, "symbol": "🍒"},
            {"code": "bell", "label": "۶۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 60, "weight": 6, "symbol": "🔔"},
            {"code": "diamond", "label": "۵۰۰ امتیاز", "kind": "points", "point_type": "purchase", "points": 500, "weight": 1, "symbol": "💎"},
            {"code": "none", "label": "پوچ", "kind": "nothing", "weight": 68}
        ]})),
    ]
}

impl Engine {
    /// Checks what a game refers to: point types, rewards and promotions must exist, and the
    /// cost's point type must be spendable.
    async fn checked_game(&self, conn: &mut Conn, ctx: &TenantContext, input: &GameInput) -> Result<Game> {
        let game = input.parse(&ctx.zone)?;
        Self::check_game_plan(ctx, input)?;
        let types = self.point_type_map(conn, ctx).await?;
        if let Some(t) = &game.input.cost.point_type {
            match types.get(t) {
                None => {
                    return Err(EngineError::field(
                        Issue::new(
                            "unknown_point_type",
                            format!("there is no point type {t:?}"),
                            format!("نوع امتیاز {t} تعریف نشده است"),
                        )
                        .at("cost.point_type"),
                    ));
                }
                Some((_, rec)) if !rec.spendable => {
                    return Err(EngineError::field(
                        Issue::new("not_spendable", "this point type cannot be spent", "این نوع امتیاز قابل خرج نیست")
                            .at("cost.point_type"),
                    ));
                }
                Some(_) => {}
            }
        }
        for (i, p) in game.prizes().iter().enumerate() {
            let missing = match &p.kind {
                PrizeKind::Points { point_type, .. } if !types.contains_key(point_type) => Some(("point_type", "point type")),
                PrizeKind::Reward { reward } if self.store.reward_by_code(conn, ctx.id, reward).await?.is_none() => {
                    Some(("reward", "reward"))
                }
                PrizeKind::DiscountCode { promotion, .. }
                    if self.store.promotion_by_code(conn, ctx.id, promotion).await?.is_none() =>
                {
                    Some(("promotion", "promotion"))
                }
                _ => None,
            };
            if let Some((field, what)) = missing {
                return Err(EngineError::field(
                    Issue::new("unknown", format!("there is no such {what}"), "تعریف نشده است")
                        .at(format!("prizes[{i}].{field}")),
                ));
            }
        }
        Ok(game)
    }

    pub async fn create_game(&self, ctx: &TenantContext, input: &GameInput) -> Result<GameRecord> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let game = self.checked_game(&mut tx, ctx, input).await?;
        let row = GameRow {
            id: self.store.allocate_ids(&mut tx, 1).await?[0],
            code: game.code().to_string(),
            body: serde_json::to_string(&game.input).expect("a game serialises"),
        };
        if !self.store.insert_game(&mut tx, ctx.id, &row, kind_name(&game), now).await? {
            return Err(EngineError::conflict("code_taken", "a game with this code exists", "بازی‌ای با این کد وجود دارد"));
        }
        self.store.set_prize_stock(&mut tx, ctx.id, row.id, &stocks(&game)).await?;
        self.audit_in(&mut tx, ctx, "game.create", "game", &row.code, NOTHING, Some(&game.input)).await?;
        let record = self.game_record(&mut tx, ctx, &row).await?;
        philia_store::commit(tx).await?;
        Ok(record)
    }

    /// Replaces a game's definition. A prize's stock is its new total: what is left is that
    /// minus what was won already. Plays already made keep the odds they were drawn with.
    pub async fn update_game(&self, ctx: &TenantContext, code: &str, input: &GameInput) -> Result<GameRecord> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let game = self.checked_game(&mut tx, ctx, input).await?;
        if game.code() != code {
            return Err(EngineError::field(
                Issue::new("code_mismatch", "must match the code in the path", "کد باید با مسیر یکی باشد").at("code"),
            ));
        }
        let current = self.store.game_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("game"))?;
        let won = self.store.prize_stock(&mut tx, ctx.id, current.id, true).await?;
        for (i, p) in game.prizes().iter().enumerate() {
            let already = won.get(&p.code).map(|w| w.1).unwrap_or(0);
            if p.stock.is_some_and(|s| s < already) {
                return Err(EngineError::field(
                    Issue::new("below_won", format!("{already} were won already"), format!("{already} مورد قبلاً برده شده است"))
                        .at(format!("prizes[{i}].stock")),
                ));
            }
        }
        let body = serde_json::to_string(&game.input).expect("a game serialises");
        self.store.update_game(&mut tx, ctx.id, current.id, kind_name(&game), &body, now).await?;
        self.store.set_prize_stock(&mut tx, ctx.id, current.id, &stocks(&game)).await?;
        self.audit_in(&mut tx, ctx, "game.update", "game", code, Some(&stored(&current.body)), Some(&game.input)).await?;
        let record = self.game_record(&mut tx, ctx, &GameRow { id: current.id, code: current.code, body }).await?;
        philia_store::commit(tx).await?;
        Ok(record)
    }

    async fn game_record(&self, conn: &mut Conn, ctx: &TenantContext, row: &GameRow) -> Result<GameRecord> {
        let game = stored_game(row, ctx)?;
        let stock = self.store.prize_stock(conn, ctx.id, row.id, false).await?;
        let stock = game
            .prizes()
            .iter()
            .map(|p| {
                let (left, won) = stock.get(&p.code).copied().unwrap_or((p.stock, 0));
                PrizeStock { code: p.code.clone(), stock_left: left, won }
            })
            .collect();
        Ok(GameRecord { id: row.id, game: game.input, stock })
    }

    /// Switches on a ready game (its points go to the tenant's `purchase` point type).
    pub async fn enable_game_template(&self, ctx: &TenantContext, code: &str) -> Result<GameRecord> {
        let t = game_templates().into_iter().find(|t| t.code == code).ok_or(EngineError::NotFound("template"))?;
        self.create_game(ctx, &t).await
    }

    pub async fn games(&self, ctx: &TenantContext) -> Result<Vec<GameRecord>> {
        let rows = self.store.list_games(ctx.id).await?;
        let mut tx = self.store.begin_read().await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.game_record(&mut tx, ctx, row).await?);
        }
        Ok(out)
    }

    pub async fn game(&self, ctx: &TenantContext, code: &str) -> Result<GameRecord> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.game_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("game"))?;
        self.game_record(&mut tx, ctx, &row).await
    }

    /// Which prizes cannot be won now: out of stock (a catalogue reward's own stock included) or
    /// over their daily limit. `lock` holds the stock rows until commit (for a play).
    pub(crate) async fn unavailable_prizes(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        game_id: i64,
        game: &Game,
        day: &str,
        lock: bool,
    ) -> Result<Vec<Option<Unavailable>>> {
        let prizes = game.prizes();
        // Locking every limited prize's row (not only stocked ones) also serialises the daily counts.
        let stock = if prizes.iter().any(|p| p.limited()) {
            self.store.prize_stock(conn, ctx.id, game_id, lock).await?
        } else {
            Default::default()
        };
        let today = if prizes.iter().any(|p| p.daily_limit.is_some()) {
            self.store.prize_wins_on(conn, ctx.id, game_id, day).await?
        } else {
            Default::default()
        };
        let mut out = Vec::with_capacity(prizes.len());
        for (i, p) in prizes.iter().enumerate() {
            let left = stock.get(&p.code).and_then(|s| s.0);
            let mut why = game.availability(i, left, today.get(&p.code).copied().unwrap_or(0));
            if let (None, PrizeKind::Reward { reward }) = (why, &p.kind) {
                let r = self.store.reward_by_code(conn, ctx.id, reward).await?;
                if r.is_none_or(|r| r.stock_left.is_some_and(|s| s <= 0)) {
                    why = Some(Unavailable::OutOfStock);
                }
            }
            out.push(why);
        }
        Ok(out)
    }

    /// A player's state, created with its first committed seed on first sight.
    pub(crate) async fn player_state(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        game_id: i64,
        customer: i64,
        lock: bool,
    ) -> Result<PlayerRow> {
        if let Some(p) = self.store.player(conn, ctx.id, game_id, customer, lock).await? {
            return Ok(p);
        }
        let (seed, hash) = new_seed();
        self.store.ensure_player(conn, ctx.id, game_id, customer, &seed, &hash).await?;
        self.store.player(conn, ctx.id, game_id, customer, lock).await?.ok_or(EngineError::NotFound("player"))
    }

    /// The game as a customer sees it now. Creates the customer's first seed commitment, so the
    /// commitment shown here is the one their next play uses.
    pub async fn game_for_customer(&self, ctx: &TenantContext, customer_id: i64, code: &str) -> Result<GameForCustomer> {
        in_write_tx!(self, |conn| self.game_for_customer_in(conn, ctx, customer_id, code).await)
    }

    async fn game_for_customer_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customer_id: i64,
        code: &str,
    ) -> Result<GameForCustomer> {
        let now = now_ms();
        let (customer, tier) = self.live_customer_with_tier(conn, ctx, customer_id).await?;
        let row = self.store.game_by_code(conn, ctx.id, code).await?.ok_or(EngineError::NotFound("game"))?;
        let game = stored_game(&row, ctx)?;
        let player = self.player_state(conn, ctx, row.id, customer, false).await?;
        let day = ctx.day_of(now);
        let today = plays_on(&player, &day);
        let unavailable = self.unavailable_prizes(conn, ctx, row.id, &game, &day, false).await?;
        let weights = game.odds(tier.as_deref(), &unavailable);
        let total: u64 = weights.iter().sum();
        let prizes = game
            .prizes()
            .iter()
            .zip(&weights)
            .zip(&unavailable)
            .map(|((p, w), u)| PrizeOdds {
                code: p.code.clone(),
                label: p.label.clone(),
                kind: p.kind.name(),
                colour: p.colour.clone(),
                image: p.image.clone(),
                symbol: p.symbol.clone(),
                weight: *w,
                chance_percent: if total == 0 { 0.0 } else { (*w as f64 * 10_000.0 / total as f64).round() / 100.0 },
                unavailable: u.is_some(),
            })
            .collect();
        let at = jiff::Timestamp::from_millisecond(now).expect("now is valid");
        let refusal = game.refusal(tier.as_deref(), at).or_else(|| limit_refusal(&game, today, player.plays)).map(|i| Refusal {
            code: i.code.to_string(),
            message: i.message,
            message_fa: i.message_fa,
        });
        Ok(GameForCustomer {
            code: row.code,
            name: game.input.name.clone(),
            description: game.input.description.clone(),
            kind: game.input.kind,
            look: game.input.look.clone(),
            cost: game.input.cost.clone(),
            prizes,
            spins_left: self.store.spins_left(conn, ctx.id, customer, game.code(), now).await?,
            plays_today: today,
            plays_left_today: game.input.plays_per_day.map(|n| (n as i64 - today).max(0)),
            plays_left: game.input.plays_per_customer.map(|n| (n as i64 - player.plays).max(0)),
            commitment: player.commitment,
            refusal,
        })
    }
}

fn kind_name(game: &Game) -> &'static str {
    match game.input.kind {
        GameKind::Wheel => "wheel",
        GameKind::Slot => "slot",
    }
}

fn stocks(game: &Game) -> Vec<(String, Option<i64>)> {
    game.prizes().iter().map(|p| (p.code.clone(), p.stock)).collect()
}
