//! Progress of missions as facts arrive: called in the transaction that records invoices,
//! events and referral rewards, so progress is exactly as current as the facts — a replayed fact
//! is recognised by the ingestion before it gets here and advances nothing. Also the expiry of
//! progress whose deadline passed.

use crate::missions::{
    MISSION_COMPLETED, MISSION_EXPIRED, MISSION_PROGRESSED, MISSION_STARTED, MissionEventExtra, joined, mission_event,
    stored_mission,
};
use crate::points::BulkCredit;
use crate::{Engine, Result, TenantContext};
use philia_domain::earning::PeriodKeys;
use philia_domain::mission_replay::{facts_from_lines, facts_to_lines};
use philia_domain::missions::{Advance, Counted, Enrolment, FactCounts, Mission, MissionFact, MissionReward, Progress};
use philia_store::Conn;
use philia_store::missions::{FactsWrite, ProgressRow};
use std::collections::{HashMap, HashSet};

/// Progress rows changed per transaction when deadlines are processed.
const EXPIRY_ROUND: i64 = 500;

/// A row's progress. With `with_facts`, every kept fact is loaded (the row must have been read
/// with them); without, the facts kept as lines are only counted.
pub(crate) fn to_progress(p: &ProgressRow, with_facts: bool) -> Progress {
    let mut counted: Vec<Counted> = serde_json::from_str(&p.counted).unwrap_or_default();
    let mut unloaded = FactCounts::default();
    if with_facts {
        counted.extend(facts_from_lines(&p.facts).unwrap_or_default());
    } else {
        unloaded = FactCounts { counted: p.facts_counted.max(0) as usize, reserved: p.facts_reserved.max(0) as usize };
    }
    Progress {
        step: p.step as usize,
        current: p.current,
        seen: serde_json::from_str(&p.seen).unwrap_or_default(),
        joined_at: p.joined_at,
        deadline_at: p.deadline_at,
        completed_at: p.completed_at,
        counted,
        unloaded,
        round: p.refund_round as u32,
    }
}

/// Writes `p`, loaded whole, into its row with every kept fact as lines ([`FactsWrite::Replace`]).
pub(crate) fn write_back(row: &mut ProgressRow, p: &Progress) {
    row.counted = "[]".into();
    write_back_from(row, p, 0);
}

/// Writes `p` into its row with the facts from `new_from` on as lines: for [`FactsWrite::Append`]
/// those are the batch's new facts (the ones before stay in the row's `counted` and its lines).
fn write_back_from(row: &mut ProgressRow, p: &Progress, new_from: usize) {
    write_back_state(row, p);
    row.seen = serde_json::to_string(&p.seen).expect("strings serialise");
    let new = &p.counted[new_from..];
    row.facts = facts_to_lines(new);
    let all = p.unloaded.plus(FactCounts::of(new));
    (row.facts_counted, row.facts_reserved) = (all.counted as i64, all.reserved as i64);
}

/// Everything of `p` but the lists it keeps (serialised once, when the row is written).
fn write_back_state(row: &mut ProgressRow, p: &Progress) {
    row.step = p.step as i64;
    row.current = p.current;
    row.refund_round = p.round as i64;
    row.completed_at = p.completed_at;
    if p.completed_at.is_some() {
        row.status = "completed".into();
    }
}

/// A progress row as read, beside its decoded form: a batch decodes each row once, however
/// many of its facts touch it, and writes the changed ones at the end with their new facts.
struct Tracked {
    row: ProgressRow,
    progress: Progress,
    /// Where the batch's facts start in `progress.counted`.
    new_from: usize,
    changed: bool,
}

impl Tracked {
    fn new(row: ProgressRow) -> Self {
        let progress = to_progress(&row, false);
        Tracked { new_from: progress.counted.len(), progress, row, changed: false }
    }
}

/// The key a mission's reward is given under: `part` is `step{N}` or `done`. Rewards given after
/// a refund undid steps carry the round, so a step done again is rewarded again.
pub(crate) fn reward_key(mission: i64, customer: i64, period: &str, part: &str, round: u32) -> String {
    match round {
        0 => format!("mission:{mission}:{customer}:{period}:{part}"),
        r => format!("mission:{mission}:{customer}:{period}:{part}:r{r}"),
    }
}

/// A reward to give once the batch's progress is written.
struct Due {
    customer: i64,
    mission_id: i64,
    reward: MissionReward,
    key: String,
    reason: String,
    at: i64,
}

impl Engine {
    /// The tenant's active missions; callers build facts only when there are some.
    pub(crate) async fn active_missions(&self, conn: &mut Conn, ctx: &TenantContext) -> Result<Vec<(i64, Mission)>> {
        let mut out = Vec::new();
        for r in &self.store.missions(conn, ctx.id).await? {
            let m = stored_mission(r, ctx)?;
            if m.active {
                out.push((r.id, m));
            }
        }
        Ok(out)
    }

    /// Advances `missions` with the facts of a batch, in order: `(customer, fact)`.
    pub(crate) async fn missions_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        missions: &[(i64, Mission)],
        facts: &[(i64, MissionFact<'_>)],
        now: i64,
    ) -> Result<()> {
        let missions: Vec<&(i64, Mission)> = missions
            .iter()
            .filter(|(_, m)| facts.iter().any(|(_, f)| m.open_at(f.at) && (0..m.steps.len()).any(|s| m.counts(s, f))))
            .collect();
        if missions.is_empty() {
            return Ok(());
        }
        let mut customers: Vec<i64> = facts.iter().map(|(c, _)| *c).collect();
        customers.sort_unstable();
        customers.dedup();
        let ids: Vec<i64> = missions.iter().map(|(id, _)| *id).collect();
        // The periods each fact falls in, computed once per fact rather than per mission.
        let fact_periods: Vec<PeriodKeys> = facts.iter().map(|(_, f)| PeriodKeys::of(f.at, &ctx.zone, ctx.calendar)).collect();
        let mut periods: Vec<String> = fact_periods
            .iter()
            .flat_map(|k| missions.iter().map(|(_, m)| m.period_in(k).to_string()))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        periods.sort_unstable();
        // Each customer's rows, found once per fact; a fact then looks through a handful of rows
        // for each mission rather than hashing a key per mission.
        let mut book: HashMap<i64, Vec<Tracked>> = HashMap::with_capacity(customers.len());
        for p in self.store.progress_states_of(conn, ctx.id, &ids, &periods, &customers).await? {
            book.entry(p.customer_id).or_default().push(Tracked::new(p));
        }
        let targeted =
            missions.iter().any(|(_, m)| m.input.tiers.is_some() || m.input.classes.is_some() || m.input.segments.is_some());
        let targeting = if targeted {
            let segments = missions.iter().any(|(_, m)| m.input.segments.is_some());
            self.targeting_of(conn, ctx, &customers, segments).await?
        } else {
            HashMap::new()
        };
        let mut events = Vec::new();
        let mut due = Vec::new();
        for ((customer, f), keys) in facts.iter().zip(&fact_periods) {
            let at = f.at.as_millisecond();
            let rows = book.entry(*customer).or_default();
            for (id, m) in &missions {
                if !m.open_at(f.at) {
                    continue;
                }
                let period = m.period_in(keys);
                let found = rows.iter().position(|t| t.row.mission_id == *id && t.row.period == period);
                let at_row = match found {
                    Some(i) => i,
                    None => {
                        // Automatic enrolment: the first fact that counts for the first step joins.
                        if m.enrolment == Enrolment::OptIn || !m.counts(0, f) {
                            continue;
                        }
                        if targeted {
                            let (tier, class, segments) = targeting.get(customer).cloned().unwrap_or_default();
                            if !m.targets(tier.as_deref(), class.as_deref(), &segments) {
                                continue;
                            }
                        }
                        let row = joined(m, *id, *customer, period.to_string(), at);
                        events.push(mission_event(MISSION_STARTED, m, &row, at, MissionEventExtra::default()));
                        let mut t = Tracked::new(row);
                        t.changed = true;
                        rows.push(t);
                        rows.len() - 1
                    }
                };
                let Tracked { row, progress: p, changed, .. } = &mut rows[at_row];
                // Completed progress still keeps facts in reserve against refunds.
                if row.status == "expired" {
                    continue;
                }
                let outcome = m.advance(p, f);
                if outcome == Advance::Nothing {
                    continue;
                }
                write_back_state(row, p);
                *changed = true;
                match outcome {
                    Advance::Nothing | Advance::Reserved => {}
                    // Each fact that merely counts raises no event: at ingestion rates that would
                    // be an event per purchase per mission. Steps done and completions do.
                    Advance::Progressed => {}
                    Advance::StepDone { step, mission_done } => {
                        let reward = &m.steps[step].reward;
                        if !reward.is_empty() {
                            due.push(Due {
                                customer: *customer,
                                mission_id: *id,
                                reward: reward.clone(),
                                key: reward_key(*id, *customer, period, &format!("step{step}"), p.round),
                                reason: format!("{} ({})", m.input.name, step + 1),
                                at,
                            });
                        }
                        if mission_done {
                            if !m.reward.is_empty() {
                                due.push(Due {
                                    customer: *customer,
                                    mission_id: *id,
                                    reward: m.reward.clone(),
                                    key: reward_key(*id, *customer, period, "done", p.round),
                                    reason: m.input.name.clone(),
                                    at,
                                });
                            }
                            events.push(mission_event(MISSION_COMPLETED, m, row, at, MissionEventExtra::default()));
                        } else {
                            events.push(mission_event(
                                MISSION_PROGRESSED,
                                m,
                                row,
                                at,
                                MissionEventExtra { step_done: Some(step + 1), ..Default::default() },
                            ));
                        }
                    }
                }
            }
        }
        let rows: Vec<ProgressRow> = book
            .into_values()
            .flatten()
            .filter(|t| t.changed)
            .map(|mut t| {
                write_back_from(&mut t.row, &t.progress, t.new_from);
                t.row
            })
            .collect();
        self.store.save_progress(conn, ctx.id, rows, FactsWrite::Append, now).await?;
        self.give_mission_rewards(conn, ctx, due, now).await?;
        if !events.is_empty() {
            self.write_own_events(conn, ctx, events).await?;
        }
        Ok(())
    }

    /// Gives a batch's rewards: the points in one bulk write (then the tiers they may reach),
    /// catalogue rewards one by one.
    async fn give_mission_rewards(&self, conn: &mut Conn, ctx: &TenantContext, due: Vec<Due>, now: i64) -> Result<()> {
        if due.is_empty() {
            return Ok(());
        }
        let types = self.point_type_map(conn, ctx).await?;
        let mut credits = Vec::new();
        let mut tiered = Vec::new();
        for d in &due {
            let (Some(point_type), Some(points)) = (&d.reward.point_type, d.reward.points) else { continue };
            let (type_id, t) = types.get(point_type).ok_or_else(|| crate::points::unknown_point_type(point_type))?;
            let at = jiff::Timestamp::from_millisecond(d.at).expect("a valid instant");
            credits.push(BulkCredit {
                customer_id: d.customer,
                point_type_id: *type_id,
                points,
                at,
                expires_at: t.expiry.expires_at(at, &ctx.zone, ctx.calendar).map(|x| x.as_millisecond()),
                source_kind: "mission",
                source_id: d.mission_id,
                idem_key: d.key.clone(),
                reason: d.reason.clone(),
            });
            if t.counts_for_tiers {
                tiered.push(d.customer);
            }
        }
        self.credit_many(conn, ctx, credits, now).await?;
        tiered.sort_unstable();
        tiered.dedup();
        self.evaluate_tiers_in(conn, ctx, &tiered, philia_domain::tiers::Evaluation::AfterPurchase, "mission", now).await?;
        for d in due {
            let Some(code) = &d.reward.reward else { continue };
            let reward = self.store.reward_by_code(conn, ctx.id, code).await?;
            // A reward that ran out is skipped rather than failing the purchase that completed
            // the mission; the points part (if any) was given.
            if reward.is_some_and(|r| r.stock_left.is_none_or(|s| s > 0)) {
                self.grant_reward(conn, ctx, code, d.customer, &d.key, now).await?;
            } else {
                tracing::warn!(tenant = ctx.id, customer = d.customer, reward = %code, "a mission reward is out of stock");
            }
        }
        Ok(())
    }

    /// Marks progress whose deadline passed as expired, with `mission_expired` events.
    pub async fn expire_missions(&self, now: i64) -> Result<usize> {
        let mut total = 0;
        loop {
            let mut tx = self.store.begin_write().await?;
            let expired = self.store.expire_progress(&mut tx, now, EXPIRY_ROUND).await?;
            if expired.is_empty() {
                break;
            }
            let mut by_tenant: HashMap<i64, Vec<ProgressRow>> = HashMap::new();
            for (tenant, p) in &expired {
                by_tenant.entry(*tenant).or_default().push(p.clone());
            }
            for (tenant, rows) in by_tenant {
                let ctx = self.tenant_by_id(tenant).await?;
                let missions: HashMap<i64, Mission> = self
                    .store
                    .missions(&mut tx, tenant)
                    .await?
                    .iter()
                    .filter_map(|r| stored_mission(r, &ctx).ok().map(|m| (r.id, m)))
                    .collect();
                let events: Vec<_> = rows
                    .iter()
                    .filter_map(|p| {
                        missions
                            .get(&p.mission_id)
                            .map(|m| mission_event(MISSION_EXPIRED, m, p, now, MissionEventExtra::default()))
                    })
                    .collect();
                self.write_own_events(&mut tx, &ctx, events).await?;
            }
            philia_store::commit(tx).await?;
            total += expired.len();
        }
        Ok(total)
    }
}
