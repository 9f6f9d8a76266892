//! Chance games: definitions, prize stock and daily wins, players' committed seeds, plays.

use crate::Result;
use crate::batch::Batch;
use crate::bulk::Val;
use crate::db::{Conn, Store};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

pub struct GameRow {
    pub id: i64,
    pub code: String,
    pub body: String,
}

/// A customer's state in one game: the secret seed of their next play and its commitment.
pub struct PlayerRow {
    pub seed: String,
    pub commitment: String,
    pub nonce: i64,
    pub plays: i64,
    pub day: Option<String>,
    pub plays_day: i64,
}

/// One play, with everything an audit needs to recompute its draw.
#[derive(Debug, Clone)]
pub struct PlayRow {
    pub id: i64,
    pub game_id: i64,
    pub customer_id: i64,
    pub idem_key: String,
    pub at: i64,
    pub day: String,
    /// `spin`, `points` or `free`.
    pub paid_with: String,
    pub cost_points: i64,
    pub cost_value: Option<i64>,
    pub prize: String,
    pub prize_kind: String,
    pub prize_value: Option<i64>,
    pub outcome: String,
    pub seed: String,
    pub commitment: String,
    pub next_commitment: String,
    pub client_seed: String,
    pub nonce: i64,
    /// JSON array of the weights used, in prize order.
    pub weights: String,
    pub roll: i64,
    /// JSON array of the three reel symbols (slot machines).
    pub reels: Option<String>,
}

/// What the report adds up per prize.
pub struct PrizeTally {
    pub prize: String,
    pub prize_kind: String,
    pub plays: i64,
    pub value: i64,
}

/// What the report adds up over a period.
pub struct PlayTotals {
    pub plays: i64,
    pub players: i64,
    pub spins_used: i64,
    pub points_spent: i64,
    pub cost_value: i64,
    pub prize_value: i64,
}

const PLAY_COLUMNS: &str = "id, game_id, customer_id, idem_key, at, day, paid_with, cost_points, cost_value, prize, prize_kind,
    prize_value, outcome, seed, commitment, next_commitment, client_seed, nonce, weights, roll, reels";

fn play(r: &AnyRow) -> Result<PlayRow> {
    Ok(PlayRow {
        id: r.try_get(0)?,
        game_id: r.try_get(1)?,
        customer_id: r.try_get(2)?,
        idem_key: r.try_get(3)?,
        at: r.try_get(4)?,
        day: r.try_get(5)?,
        paid_with: r.try_get(6)?,
        cost_points: r.try_get(7)?,
        cost_value: r.try_get(8)?,
        prize: r.try_get(9)?,
        prize_kind: r.try_get(10)?,
        prize_value: r.try_get(11)?,
        outcome: r.try_get(12)?,
        seed: r.try_get(13)?,
        commitment: r.try_get(14)?,
        next_commitment: r.try_get(15)?,
        client_seed: r.try_get(16)?,
        nonce: r.try_get(17)?,
        weights: r.try_get(18)?,
        roll: r.try_get(19)?,
        reels: r.try_get(20)?,
    })
}

fn game(r: &AnyRow) -> Result<GameRow> {
    Ok(GameRow { id: r.try_get(0)?, code: r.try_get(1)?, body: r.try_get(2)? })
}

impl Store {
    pub async fn insert_game(&self, conn: &mut Conn, tenant_id: i64, g: &GameRow, kind: &str, now: i64) -> Result<bool> {
        let n = sqlx::query(
            "INSERT INTO games (tenant_id, id, code, kind, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (tenant_id, code) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(g.id)
        .bind(&g.code)
        .bind(kind)
        .bind(&g.body)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(n.rows_affected() == 1)
    }

    pub async fn update_game(&self, conn: &mut Conn, tenant_id: i64, id: i64, kind: &str, body: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE games SET kind = $3, body = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .bind(kind)
            .bind(body)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn game_by_code(&self, conn: &mut Conn, tenant_id: i64, code: &str) -> Result<Option<GameRow>> {
        let row = sqlx::query("SELECT id, code, body FROM games WHERE tenant_id = $1 AND code = $2")
            .bind(tenant_id)
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?;
        row.map(|r| game(&r)).transpose()
    }

    pub async fn list_games(&self, tenant_id: i64) -> Result<Vec<GameRow>> {
        let rows = sqlx::query("SELECT id, code, body FROM games WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(game).collect()
    }

    /// Sets each prize's stock to its new total less what was won already (a new prize starts
    /// with its whole stock). Prizes dropped from the game keep their rows for the plays that won
    /// them.
    pub async fn set_prize_stock(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        game_id: i64,
        prizes: &[(String, Option<i64>)],
    ) -> Result<()> {
        for (code, stock) in prizes {
            sqlx::query(
                "INSERT INTO game_prizes (tenant_id, game_id, code, stock_left, won) VALUES ($1, $2, $3, $4, 0)
                 ON CONFLICT (tenant_id, game_id, code) DO UPDATE SET stock_left =
                    CASE WHEN excluded.stock_left IS NULL THEN NULL ELSE excluded.stock_left - game_prizes.won END",
            )
            .bind(tenant_id)
            .bind(game_id)
            .bind(code)
            .bind(*stock)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    /// Each prize's stock left and wins in all; `lock` holds the rows until commit on PostgreSQL,
    /// so a play's odds and its taking of stock see the same numbers.
    pub async fn prize_stock(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        game_id: i64,
        lock: bool,
    ) -> Result<HashMap<String, (Option<i64>, i64)>> {
        let suffix = if lock { self.lock_suffix() } else { "" };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT code, stock_left, won FROM game_prizes WHERE tenant_id = $1 AND game_id = $2 ORDER BY code{suffix}"
        )))
        .bind(tenant_id)
        .bind(game_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?)))).collect()
    }

    /// Wins per prize on one day.
    pub async fn prize_wins_on(&self, conn: &mut Conn, tenant_id: i64, game_id: i64, day: &str) -> Result<HashMap<String, i64>> {
        let rows = sqlx::query("SELECT code, won FROM game_prize_days WHERE tenant_id = $1 AND game_id = $2 AND day = $3")
            .bind(tenant_id)
            .bind(game_id)
            .bind(day)
            .fetch_all(&mut *conn)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Counts a win of a prize: one from stock (false when none is left) and, when the prize has
    /// a daily limit, one more for the day.
    pub async fn take_prize(&self, conn: &mut Conn, tenant_id: i64, game_id: i64, code: &str, day: Option<&str>) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE game_prizes SET stock_left = CASE WHEN stock_left IS NULL THEN NULL ELSE stock_left - 1 END, won = won + 1
             WHERE tenant_id = $1 AND game_id = $2 AND code = $3 AND (stock_left IS NULL OR stock_left > 0)",
        )
        .bind(tenant_id)
        .bind(game_id)
        .bind(code)
        .execute(&mut *conn)
        .await?;
        if n.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(day) = day {
            sqlx::query(
                "INSERT INTO game_prize_days (tenant_id, game_id, code, day, won) VALUES ($1, $2, $3, $4, 1)
                 ON CONFLICT (tenant_id, game_id, code, day) DO UPDATE SET won = game_prize_days.won + 1",
            )
            .bind(tenant_id)
            .bind(game_id)
            .bind(code)
            .bind(day)
            .execute(&mut *conn)
            .await?;
        }
        Ok(true)
    }

    /// Creates the player's state with its first committed seed if there is none.
    pub async fn ensure_player(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        game_id: i64,
        customer_id: i64,
        seed: &str,
        commitment: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO game_players (tenant_id, game_id, customer_id, seed, commitment, nonce, plays, day, plays_day)
             VALUES ($1, $2, $3, $4, $5, 0, 0, NULL, 0) ON CONFLICT (tenant_id, game_id, customer_id) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(game_id)
        .bind(customer_id)
        .bind(seed)
        .bind(commitment)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// The player's state; `lock` serialises this customer's plays of this game on PostgreSQL.
    pub async fn player(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        game_id: i64,
        customer_id: i64,
        lock: bool,
    ) -> Result<Option<PlayerRow>> {
        let suffix = if lock { self.lock_suffix() } else { "" };
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT seed, commitment, nonce, plays, day, plays_day FROM game_players
             WHERE tenant_id = $1 AND game_id = $2 AND customer_id = $3{suffix}"
        )))
        .bind(tenant_id)
        .bind(game_id)
        .bind(customer_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| {
            Ok(PlayerRow {
                seed: r.try_get(0)?,
                commitment: r.try_get(1)?,
                nonce: r.try_get(2)?,
                plays: r.try_get(3)?,
                day: r.try_get(4)?,
                plays_day: r.try_get(5)?,
            })
        })
        .transpose()
    }

    pub fn save_player_into(&self, b: &mut Batch, tenant_id: i64, game_id: i64, customer_id: i64, p: &PlayerRow) {
        b.push(
            "UPDATE game_players SET seed = $4, commitment = $5, nonce = $6, plays = $7, day = $8, plays_day = $9
             WHERE tenant_id = $1 AND game_id = $2 AND customer_id = $3",
            vec![
                Val::I(tenant_id),
                Val::I(game_id),
                Val::I(customer_id),
                p.seed.clone().into(),
                p.commitment.clone().into(),
                Val::I(p.nonce),
                Val::I(p.plays),
                p.day.clone().into(),
                Val::I(p.plays_day),
            ],
        );
    }

    /// Spin tokens of a game the customer holds now.
    pub async fn spins_left(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64, game: &str, now: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM entitlements WHERE tenant_id = $1 AND customer_id = $2
             AND kind = 'game_spins' AND target = $3 AND quantity > 0 AND (valid_until IS NULL OR valid_until > $4)",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(game)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// Uses one spin token, from the earliest-ending grant first; false when there is none.
    pub async fn take_spin(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64, game: &str, now: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT id FROM entitlements WHERE tenant_id = $1 AND customer_id = $2 AND kind = 'game_spins' AND target = $3
             AND quantity > 0 AND (valid_until IS NULL OR valid_until > $4)
             ORDER BY CASE WHEN valid_until IS NULL THEN 1 ELSE 0 END, valid_until, id LIMIT 1",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(game)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { return Ok(false) };
        let id: i64 = row.try_get(0)?;
        let n = sqlx::query("UPDATE entitlements SET quantity = quantity - 1 WHERE tenant_id = $1 AND id = $2 AND quantity > 0")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(n.rows_affected() == 1)
    }

    pub fn insert_play_into(&self, b: &mut Batch, tenant_id: i64, p: &PlayRow) {
        b.push(
            format!(
                "INSERT INTO game_plays (tenant_id, {PLAY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                 $14, $15, $16, $17, $18, $19, $20, $21, $22)"
            ),
            vec![
                Val::I(tenant_id),
                Val::I(p.id),
                Val::I(p.game_id),
                Val::I(p.customer_id),
                p.idem_key.clone().into(),
                Val::I(p.at),
                p.day.clone().into(),
                p.paid_with.clone().into(),
                Val::I(p.cost_points),
                p.cost_value.into(),
                p.prize.clone().into(),
                p.prize_kind.clone().into(),
                p.prize_value.into(),
                p.outcome.clone().into(),
                p.seed.clone().into(),
                p.commitment.clone().into(),
                p.next_commitment.clone().into(),
                p.client_seed.clone().into(),
                Val::I(p.nonce),
                p.weights.clone().into(),
                Val::I(p.roll),
                p.reels.clone().into(),
            ],
        );
    }

    pub async fn play_by_key(&self, conn: &mut Conn, tenant_id: i64, key: &str) -> Result<Option<PlayRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAY_COLUMNS} FROM game_plays WHERE tenant_id = $1 AND idem_key = $2"
        )))
        .bind(tenant_id)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| play(&r)).transpose()
    }

    /// Plays of a game, newest first, optionally of one customer, before play id `before`.
    pub async fn plays(
        &self,
        tenant_id: i64,
        game_id: i64,
        customer_id: Option<i64>,
        before: i64,
        limit: i64,
    ) -> Result<Vec<PlayRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAY_COLUMNS} FROM game_plays WHERE tenant_id = $1 AND game_id = $2 AND ($3 IS NULL OR customer_id = $3)
             AND id < $4 ORDER BY id DESC LIMIT $5"
        )))
        .bind(tenant_id)
        .bind(game_id)
        .bind(customer_id)
        .bind(before)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(play).collect()
    }

    /// Every play of a game on one day, in the order they happened.
    pub async fn plays_on(&self, tenant_id: i64, game_id: i64, day: &str) -> Result<Vec<PlayRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAY_COLUMNS} FROM game_plays WHERE tenant_id = $1 AND game_id = $2 AND day = $3 ORDER BY id"
        )))
        .bind(tenant_id)
        .bind(game_id)
        .bind(day)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(play).collect()
    }

    /// The play of a customer just before play `id` in the same game (to check the seed chain).
    pub async fn previous_play(&self, tenant_id: i64, game_id: i64, customer_id: i64, id: i64) -> Result<Option<PlayRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {PLAY_COLUMNS} FROM game_plays WHERE tenant_id = $1 AND game_id = $2 AND customer_id = $3 AND id < $4
             ORDER BY id DESC LIMIT 1"
        )))
        .bind(tenant_id)
        .bind(game_id)
        .bind(customer_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| play(&r)).transpose()
    }

    /// Totals and per-prize counts of a game's plays on days `from..=to`.
    pub async fn play_tallies(
        &self,
        tenant_id: i64,
        game_id: i64,
        from: &str,
        to: &str,
    ) -> Result<(PlayTotals, Vec<PrizeTally>)> {
        let t = sqlx::query(
            "SELECT COUNT(*), COUNT(DISTINCT customer_id), CAST(COALESCE(SUM(CASE WHEN paid_with = 'spin' THEN 1 ELSE 0 END), 0) AS BIGINT),
             CAST(COALESCE(SUM(cost_points), 0) AS BIGINT), CAST(COALESCE(SUM(cost_value), 0) AS BIGINT),
             CAST(COALESCE(SUM(prize_value), 0) AS BIGINT)
             FROM game_plays WHERE tenant_id = $1 AND game_id = $2 AND day >= $3 AND day <= $4",
        )
        .bind(tenant_id)
        .bind(game_id)
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?;
        let totals = PlayTotals {
            plays: t.try_get(0)?,
            players: t.try_get(1)?,
            spins_used: t.try_get(2)?,
            points_spent: t.try_get(3)?,
            cost_value: t.try_get(4)?,
            prize_value: t.try_get(5)?,
        };
        let rows = sqlx::query(
            "SELECT prize, prize_kind, COUNT(*), CAST(COALESCE(SUM(prize_value), 0) AS BIGINT) FROM game_plays
             WHERE tenant_id = $1 AND game_id = $2 AND day >= $3 AND day <= $4 GROUP BY prize, prize_kind ORDER BY prize",
        )
        .bind(tenant_id)
        .bind(game_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        let prizes = rows
            .iter()
            .map(|r| {
                Ok(PrizeTally { prize: r.try_get(0)?, prize_kind: r.try_get(1)?, plays: r.try_get(2)?, value: r.try_get(3)? })
            })
            .collect::<Result<_>>()?;
        Ok((totals, prizes))
    }

    /// Plays and distinct players per day on days `from..=to`.
    pub async fn plays_per_day(&self, tenant_id: i64, game_id: i64, from: &str, to: &str) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT day, COUNT(*), COUNT(DISTINCT customer_id) FROM game_plays
             WHERE tenant_id = $1 AND game_id = $2 AND day >= $3 AND day <= $4 GROUP BY day ORDER BY day",
        )
        .bind(tenant_id)
        .bind(game_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }
}
