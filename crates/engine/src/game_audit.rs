//! Checking and counting plays: the audit recomputes every draw of a day from its revealed seed
//! and checks the seed chain; the report adds up plays, players, prizes, cost and prize value.

use crate::game_play::{PlayRecord, play_record};
use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::Issue;
use philia_domain::calendar::parse_date;
use philia_domain::draw::{PlayProof, Slice, reels, verify};
use philia_domain::reports::Period;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditFailure {
    pub play_id: i64,
    pub customer_id: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GameAudit {
    pub game: String,
    pub day: String,
    pub plays: usize,
    pub verified: usize,
    pub failures: Vec<AuditFailure>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PrizeLine {
    pub prize: String,
    pub kind: String,
    pub plays: i64,
    /// Share of the period's plays, in percent.
    pub share_percent: f64,
    /// Money value of the prizes given (where known).
    pub value: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GameDay {
    pub day: String,
    pub plays: i64,
    pub players: i64,
}

/// SPEC D4 / G3 for one game over a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GameReport {
    pub game: String,
    pub from: String,
    pub to: String,
    pub plays: i64,
    pub unique_players: i64,
    pub plays_paid_with_spins: i64,
    pub points_spent: i64,
    /// Money value of the points spent (point types with a cash value).
    pub cost_value: i64,
    /// Money value of the prizes given.
    pub prize_value: i64,
    pub prizes: Vec<PrizeLine>,
    pub days: Vec<GameDay>,
}

impl Engine {
    /// Recomputes every play of a game on one day (Gregorian or Jalali date): the revealed seed
    /// hashes to the commitment shown before the play, the roll and prize follow from it and the
    /// stored weights, slot reels follow from the prize, and each play's commitment is the one
    /// its player was given after their previous play.
    pub async fn audit_game_day(&self, ctx: &TenantContext, code: &str, day: &str) -> Result<GameAudit> {
        let date = parse_date(day).map_err(|i| EngineError::field(i.at("day")))?;
        let mut tx = self.store.begin_read().await?;
        let row = self.store.game_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("game"))?;
        drop(tx);
        let plays = self.store.plays_on(ctx.id, row.id, &date.to_string()).await?;
        let mut last_commitment: HashMap<i64, Option<String>> = HashMap::new();
        let mut failures = Vec::new();
        for p in &plays {
            let fail = |reason: &str| AuditFailure { play_id: p.id, customer_id: p.customer_id, reason: reason.to_string() };
            // Each play is checked against the commitment its predecessor handed out, whatever
            // that predecessor's own verdict.
            let expected = match last_commitment.insert(p.customer_id, Some(p.next_commitment.clone())) {
                Some(c) => c,
                None => self.store.previous_play(ctx.id, row.id, p.customer_id, p.id).await?.map(|x| x.next_commitment),
            };
            if expected.is_some_and(|c| c != p.commitment) {
                failures.push(fail("the commitment is not the one given after the previous play"));
                continue;
            }
            let table: Vec<Slice> = match serde_json::from_str(&p.weights) {
                Ok(t) => t,
                Err(_) => {
                    failures.push(fail("the stored prize table is unreadable"));
                    continue;
                }
            };
            let Some(index) = table.iter().position(|x| x.prize == p.prize) else {
                failures.push(fail("the prize is not in the table it was drawn from"));
                continue;
            };
            let weights = Slice::weights(&table);
            let proof = PlayProof {
                seed_hex: &p.seed,
                commitment: &p.commitment,
                client_seed: &p.client_seed,
                nonce: p.nonce,
                weights: &weights,
                roll: p.roll as u64,
                prize: index,
            };
            let drawn = match verify(&proof) {
                Ok(d) => d,
                Err(reason) => {
                    failures.push(fail(reason));
                    continue;
                }
            };
            if let Some(stored) = &p.reels {
                let shown: Option<Vec<String>> = serde_json::from_str(stored).ok();
                if shown.as_deref() != Some(&reels(&Slice::symbols(&table), index, &drawn.spare)[..]) {
                    failures.push(fail("the reels do not follow from the draw"));
                    continue;
                }
            }
        }
        Ok(GameAudit {
            game: row.code,
            day: date.to_string(),
            plays: plays.len(),
            verified: plays.len() - failures.len(),
            failures,
        })
    }

    /// Plays of a game, newest first, optionally of one customer.
    pub async fn game_plays(
        &self,
        ctx: &TenantContext,
        code: &str,
        customer_id: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<PlayRecord>> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.game_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("game"))?;
        let customer = match customer_id {
            Some(id) => Some(self.live_customer(&mut tx, ctx, id).await?),
            None => None,
        };
        drop(tx);
        if !(1..=1000).contains(&limit) {
            return Err(EngineError::field(Issue::new("out_of_range", "must be 1 to 1000", "بین ۱ و ۱۰۰۰").at("limit")));
        }
        let rows = self.store.plays(ctx.id, row.id, customer, before.unwrap_or(i64::MAX), limit).await?;
        Ok(rows.iter().map(|p| play_record(p, &row.code)).collect())
    }

    pub async fn game_report(&self, ctx: &TenantContext, code: &str, period: &Period) -> Result<GameReport> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.game_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("game"))?;
        drop(tx);
        let (from, to) = (period.from.to_string(), period.to.to_string());
        let (totals, prizes) = self.store.play_tallies(ctx.id, row.id, &from, &to).await?;
        let days = self.store.plays_per_day(ctx.id, row.id, &from, &to).await?;
        let share = |n: i64| if totals.plays == 0 { 0.0 } else { (n as f64 * 10_000.0 / totals.plays as f64).round() / 100.0 };
        Ok(GameReport {
            game: row.code,
            from,
            to,
            plays: totals.plays,
            unique_players: totals.players,
            plays_paid_with_spins: totals.spins_used,
            points_spent: totals.points_spent,
            cost_value: totals.cost_value,
            prize_value: totals.prize_value,
            prizes: prizes
                .into_iter()
                .map(|p| PrizeLine {
                    share_percent: share(p.plays),
                    prize: p.prize,
                    kind: p.prize_kind,
                    plays: p.plays,
                    value: p.value,
                })
                .collect(),
            days: days.into_iter().map(|(day, plays, players)| GameDay { day, plays, players }).collect(),
        })
    }
}
