//! Missions and journeys (SPEC D1, D2): definitions, the ready-made templates, what a customer
//! sees (available, in progress with time left, completed), starting an opt-in mission, and the
//! participation funnel. Progress from facts is in [`crate::mission_progress`].

use crate::audit::{NOTHING, stored};
use crate::events::NewEvent;
use crate::points::unknown_point_type;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::missions::{Enrolment, Mission, MissionInput, MissionReward};
use philia_domain::reports::Period;
use philia_store::Conn;
use philia_store::missions::{FactsWrite, MissionRow, ProgressRow};
use serde::Serialize;

pub const MISSION_STARTED: &str = "mission_started";
pub const MISSION_PROGRESSED: &str = "mission_progressed";
pub const MISSION_COMPLETED: &str = "mission_completed";
pub const MISSION_EXPIRED: &str = "mission_expired";
/// A refund took back a purchase that had completed the mission.
pub const MISSION_REOPENED: &str = "mission_reopened";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MissionRecord {
    pub id: i64,
    #[serde(flatten)]
    pub mission: MissionInput,
}

/// A mission as one customer sees it now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerMission {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// `available`, `in_progress`, `completed` or `expired` (for the current period).
    pub status: &'static str,
    pub opt_in: bool,
    /// The current period of a repeatable mission (`all` for a one-time one).
    pub period: String,
    pub steps: usize,
    pub steps_done: usize,
    /// Progress in the current step and its target.
    pub current: i64,
    pub target: i64,
    pub step_label: Option<String>,
    pub joined_at: Option<String>,
    pub deadline_at: Option<String>,
    pub seconds_left: Option<i64>,
    pub completed_at: Option<String>,
    /// Periods completed in all (repeatable missions).
    pub times_completed: usize,
    pub reward: MissionReward,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepFunnel {
    pub step: usize,
    pub label: Option<String>,
    pub done: i64,
}

/// Participation in a mission over a period (SPEC D4): eligible now → started → each step →
/// completed → rewarded.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MissionFunnel {
    pub mission: String,
    pub from: String,
    pub to: String,
    /// Customers the mission targets now (everyone when it targets nobody in particular).
    pub eligible: i64,
    pub started: i64,
    pub steps: Vec<StepFunnel>,
    pub completed: i64,
    /// Completions that carried a reward (all of them when the mission has one).
    pub rewarded: i64,
    pub expired: i64,
}

/// What targeting reads of a customer: tier, loyalty class, stored segment codes.
pub(crate) type Targeting = (Option<String>, Option<String>, Vec<String>);

pub(crate) fn stored_mission(row: &MissionRow, ctx: &TenantContext) -> Result<Mission> {
    let input: MissionInput =
        serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("mission {}: {e}", row.code)))?;
    let mut m = input.parse(&ctx.zone).map_err(|e| EngineError::Io(format!("mission {}: {e}", row.code)))?;
    m.created_at = jiff::Timestamp::from_millisecond(row.created_at).ok();
    Ok(m)
}

/// What some mission events add to the mission, period and steps: the step just done, or the
/// refunded invoice that undid steps.
#[derive(Default, Serialize)]
pub(crate) struct MissionEventExtra {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_done: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps_undone: Option<usize>,
}

/// A mission event's properties, written straight to text (a batch of purchases raises tens of
/// thousands of these).
#[derive(Serialize)]
struct MissionEventProperties<'a> {
    mission: &'a str,
    period: &'a str,
    steps_done: i64,
    steps: usize,
    #[serde(flatten)]
    extra: MissionEventExtra,
}

pub(crate) fn mission_event(
    kind: &'static str,
    mission: &Mission,
    p: &ProgressRow,
    at: i64,
    extra: MissionEventExtra,
) -> NewEvent {
    let properties = MissionEventProperties {
        mission: mission.code(),
        period: &p.period,
        steps_done: p.step,
        steps: mission.steps.len(),
        extra,
    };
    NewEvent {
        // After a refund undid steps, the same steps done again are new events.
        key: match p.refund_round {
            0 => format!("{kind}:{}:{}:{}:{}", p.mission_id, p.customer_id, p.period, p.step),
            r => format!("{kind}:{}:{}:{}:{}:r{r}", p.mission_id, p.customer_id, p.period, p.step),
        },
        event_type: kind,
        customer_id: p.customer_id,
        at,
        properties: serde_json::to_string(&properties).expect("names and numbers serialise"),
    }
}

/// The progress row of a customer who joins a mission's period at `at`.
pub(crate) fn joined(m: &Mission, mission_id: i64, customer_id: i64, period: String, at: i64) -> ProgressRow {
    let p = m.join(at);
    ProgressRow {
        mission_id,
        customer_id,
        period,
        step: 0,
        current: 0,
        seen: "[]".into(),
        status: "active".into(),
        joined_at: p.joined_at,
        deadline_at: p.deadline_at,
        completed_at: None,
        counted: "[]".into(),
        facts: String::new(),
        facts_counted: 0,
        facts_reserved: 0,
        refund_round: 0,
    }
}

/// The ready missions of the Economic plan (SPEC J3), switched on in one step.
pub fn templates() -> Vec<MissionInput> {
    let t = |v: serde_json::Value| serde_json::from_value::<MissionInput>(v).expect("a valid template");
    vec![
        t(serde_json::json!({"code": "first-purchase", "name": "اولین خرید", "description": "اولین خریدتان را انجام دهید",
            "goal": {"fact": "invoice", "target": 1, "label": "یک خرید"},
            "tiers": null, "reward": {"point_type": "purchase", "points": 100}})),
        t(serde_json::json!({"code": "third-purchase-this-month", "name": "سومین خرید این ماه", "repeat": "monthly",
            "goal": {"fact": "invoice", "target": 3, "label": "سه خرید در این ماه"}, "reward": {"point_type": "purchase", "points": 150}})),
        t(serde_json::json!({"code": "birthday-purchase", "name": "خرید تولد", "description": "در هفتهٔ تولدتان خرید کنید",
            "repeat": "monthly", "goal": {"fact": "event", "event_type": "birthday_purchase", "target": 1, "label": "خرید در هفتهٔ تولد"},
            "reward": {"point_type": "purchase", "points": 200}})),
        t(serde_json::json!({"code": "invite-a-friend", "name": "دعوت از دوست", "goal": {"fact": "referral", "target": 1,
            "label": "دوستی که دعوت کرده‌اید خرید کند"}, "reward": {"point_type": "purchase", "points": 200}})),
        t(serde_json::json!({"code": "complete-profile", "name": "تکمیل پروفایل", "goal": {"fact": "event",
            "event_type": "profile_completed", "target": 1, "label": "پروفایل را کامل کنید"}, "reward": {"point_type": "purchase", "points": 50}})),
        t(serde_json::json!({"code": "follow-instagram", "name": "دنبال کردن در اینستاگرام", "goal": {"fact": "event",
            "event_type": "social_followed", "target": 1, "label": "صفحهٔ اینستاگرام را دنبال کنید",
            "filter": {"field": "event.properties.network", "op": "eq", "value": "instagram"}},
            "reward": {"point_type": "purchase", "points": 30}})),
        t(serde_json::json!({"code": "review-a-product", "name": "نظر دربارهٔ محصول", "goal": {"fact": "event",
            "event_type": "product_reviewed", "target": 1, "label": "برای یک محصول نظر بنویسید"}, "reward": {"point_type": "purchase", "points": 40}})),
        t(serde_json::json!({"code": "visit-two-branches", "name": "سر زدن به دو شعبه", "deadline_days": 30,
            "goal": {"fact": "invoice", "measure": "distinct", "distinct_field": "invoice.branch", "target": 2, "label": "از دو شعبه خرید کنید"},
            "reward": {"point_type": "purchase", "points": 120}})),
    ]
}

fn time(ms: Option<i64>) -> Option<String> {
    ms.map(|m| philia_domain::calendar::from_millis(m).to_string())
}

impl Engine {
    async fn checked_mission(&self, conn: &mut Conn, ctx: &TenantContext, input: &MissionInput) -> Result<Mission> {
        let mission = input.parse(&ctx.zone)?;
        Self::check_mission_plan(ctx, input)?;
        let types = self.point_type_map(conn, ctx).await?;
        let rewards = mission.steps.iter().enumerate().map(|(i, g)| (format!("steps[{i}].reward"), &g.reward));
        for (at, r) in rewards.chain([("reward".to_string(), &mission.reward)]) {
            let at = if mission.input.goal.is_some() { at.replace("steps[0]", "goal") } else { at };
            if let Some(t) = &r.point_type
                && !types.contains_key(t)
            {
                return Err(EngineError::field(
                    Issue::new(
                        "unknown_point_type",
                        format!("there is no point type {t:?}"),
                        format!("نوع امتیاز {t} تعریف نشده است"),
                    )
                    .at(format!("{at}.point_type")),
                ));
            }
            if let Some(code) = &r.reward
                && self.store.reward_by_code(conn, ctx.id, code).await?.is_none()
            {
                return Err(EngineError::field(
                    Issue::new("unknown", "there is no such reward", "چنین جایزه‌ای تعریف نشده است").at(format!("{at}.reward")),
                ));
            }
        }
        Ok(mission)
    }

    pub async fn create_mission(&self, ctx: &TenantContext, input: &MissionInput) -> Result<MissionRecord> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let mission = self.checked_mission(&mut tx, ctx, input).await?;
        let row = MissionRow {
            id: self.store.allocate_ids(&mut tx, 1).await?[0],
            code: mission.code().to_string(),
            body: serde_json::to_string(&mission.input).expect("a mission serialises"),
            created_at: now,
        };
        if !self.store.insert_mission(&mut tx, ctx.id, &row, now).await? {
            return Err(EngineError::conflict("code_taken", "a mission with this code exists", "ماموریتی با این کد وجود دارد"));
        }
        self.audit_in(&mut tx, ctx, "mission.create", "mission", &row.code, NOTHING, Some(&mission.input)).await?;
        philia_store::commit(tx).await?;
        Ok(MissionRecord { id: row.id, mission: mission.input })
    }

    /// Replaces a mission's definition; progress already made is kept.
    pub async fn update_mission(&self, ctx: &TenantContext, code: &str, input: &MissionInput) -> Result<MissionRecord> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let mission = self.checked_mission(&mut tx, ctx, input).await?;
        if mission.code() != code {
            return Err(EngineError::field(
                Issue::new("code_mismatch", "must match the code in the path", "کد باید با مسیر یکی باشد").at("code"),
            ));
        }
        let current = self.store.mission_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("mission"))?;
        let body = serde_json::to_string(&mission.input).expect("a mission serialises");
        self.store.update_mission(&mut tx, ctx.id, current.id, &body, now).await?;
        self.audit_in(&mut tx, ctx, "mission.update", "mission", code, Some(&stored(&current.body)), Some(&mission.input))
            .await?;
        philia_store::commit(tx).await?;
        Ok(MissionRecord { id: current.id, mission: mission.input })
    }

    pub async fn missions(&self, ctx: &TenantContext) -> Result<Vec<MissionRecord>> {
        let mut tx = self.store.begin_read().await?;
        let rows = self.store.missions(&mut tx, ctx.id).await?;
        rows.iter().map(|r| Ok(MissionRecord { id: r.id, mission: stored_mission(r, ctx)?.input })).collect()
    }

    pub async fn mission(&self, ctx: &TenantContext, code: &str) -> Result<MissionRecord> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.mission_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("mission"))?;
        Ok(MissionRecord { id: row.id, mission: stored_mission(&row, ctx)?.input })
    }

    /// Switches on a ready-made mission (its points go to the tenant's `purchase` point type).
    pub async fn enable_template(&self, ctx: &TenantContext, name: &str) -> Result<MissionRecord> {
        let t = templates().into_iter().find(|t| t.code == name).ok_or(EngineError::NotFound("template"))?;
        if !self.point_types(ctx).await?.iter().any(|p| p.code == "purchase") {
            return Err(unknown_point_type("purchase"));
        }
        self.create_mission(ctx, &t).await
    }

    /// The customer's tier, loyalty class and stored segments, for targeting.
    pub(crate) async fn targeting_of(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customers: &[i64],
        segments: bool,
    ) -> Result<std::collections::HashMap<i64, Targeting>> {
        let mut out: std::collections::HashMap<i64, Targeting> = self
            .store
            .load_profiles(conn, ctx.id, customers)
            .await?
            .into_iter()
            .map(|(id, p)| (id, (p.tier, p.loyalty_class, Vec::new())))
            .collect();
        if segments {
            for (id, codes) in self.store.segment_codes_of(conn, ctx.id, customers).await? {
                if let Some(t) = out.get_mut(&id) {
                    t.2 = codes;
                }
            }
        }
        Ok(out)
    }

    /// Every mission open now that the customer may take part in, with their progress.
    pub async fn customer_missions(&self, ctx: &TenantContext, customer_id: i64) -> Result<Vec<CustomerMission>> {
        let now = now_ms();
        let mut tx = self.store.begin_read().await?;
        let customer = self.live_customer(&mut tx, ctx, customer_id).await?;
        let rows = self.store.missions(&mut tx, ctx.id).await?;
        let progress = self.store.customer_progress(&mut tx, ctx.id, customer).await?;
        let targeting = self.targeting_of(&mut tx, ctx, &[customer], true).await?;
        let (tier, class, segments) = targeting.get(&customer).cloned().unwrap_or_default();
        let at = jiff::Timestamp::from_millisecond(now).expect("now is valid");
        let mut out = Vec::new();
        for row in &rows {
            let m = stored_mission(row, ctx)?;
            let period = m.period_of(at, &ctx.zone, ctx.calendar);
            let mine: Vec<&ProgressRow> = progress.iter().filter(|p| p.mission_id == row.id).collect();
            let current = mine.iter().find(|p| p.period == period);
            if current.is_none() && !(m.open_at(at) && m.targets(tier.as_deref(), class.as_deref(), &segments)) {
                continue;
            }
            let times_completed = mine.iter().filter(|p| p.status == "completed").count();
            let step = current.map(|p| p.step as usize).unwrap_or(0);
            let goal = m.steps.get(step.min(m.steps.len() - 1)).expect("a mission has steps");
            out.push(CustomerMission {
                code: row.code.clone(),
                name: m.input.name.clone(),
                description: m.input.description.clone(),
                status: match current.map(|p| p.status.as_str()) {
                    None => "available",
                    Some("completed") => "completed",
                    Some("expired") => "expired",
                    Some(_) if current.and_then(|p| p.deadline_at).is_some_and(|d| d <= now) => "expired",
                    Some(_) => "in_progress",
                },
                opt_in: m.enrolment == Enrolment::OptIn,
                period,
                steps: m.steps.len(),
                steps_done: step,
                current: current.map(|p| p.current).unwrap_or(0),
                target: goal.target,
                step_label: m
                    .input
                    .goal
                    .as_ref()
                    .or(m.input.steps.as_ref().and_then(|s| s.get(step)))
                    .and_then(|g| g.label.clone()),
                joined_at: time(current.map(|p| p.joined_at)),
                deadline_at: time(current.and_then(|p| p.deadline_at)),
                seconds_left: current
                    .filter(|p| p.status == "active")
                    .and_then(|p| p.deadline_at)
                    .map(|d| ((d - now) / 1000).max(0)),
                completed_at: time(current.and_then(|p| p.completed_at)),
                times_completed,
                reward: m.reward.clone(),
            });
        }
        Ok(out)
    }

    /// The customer presses "start": they join the mission's current period now (facts from now
    /// on count). Starting again returns the same progress.
    pub async fn start_mission(&self, ctx: &TenantContext, customer_id: i64, code: &str) -> Result<(CustomerMission, bool)> {
        let started = in_write_tx!(self, |conn| self.start_mission_in(conn, ctx, customer_id, code).await)?;
        let view = self
            .customer_missions(ctx, started.0)
            .await?
            .into_iter()
            .find(|m| m.code == code)
            .ok_or(EngineError::NotFound("mission"))?;
        Ok((view, started.1))
    }

    async fn start_mission_in(&self, conn: &mut Conn, ctx: &TenantContext, customer_id: i64, code: &str) -> Result<(i64, bool)> {
        let now = now_ms();
        let customer = self.live_customer(conn, ctx, customer_id).await?;
        let row = self.store.mission_by_code(conn, ctx.id, code).await?.ok_or(EngineError::NotFound("mission"))?;
        let m = stored_mission(&row, ctx)?;
        let at = jiff::Timestamp::from_millisecond(now).expect("now is valid");
        if !m.open_at(at) {
            return Err(EngineError::conflict(
                "mission_unavailable",
                "this mission is not open now",
                "این ماموریت اکنون فعال نیست",
            ));
        }
        let t = self.targeting_of(conn, ctx, &[customer], m.input.segments.is_some()).await?;
        let (tier, class, segments) = t.get(&customer).cloned().unwrap_or_default();
        if !m.targets(tier.as_deref(), class.as_deref(), &segments) {
            return Err(EngineError::conflict(
                "not_targeted",
                "this mission is not offered to this customer",
                "این ماموریت برای این مشتری نیست",
            ));
        }
        let period = m.period_of(at, &ctx.zone, ctx.calendar);
        let existing = self.store.progress_states_of(conn, ctx.id, &[row.id], std::slice::from_ref(&period), &[customer]).await?;
        if !existing.is_empty() {
            return Ok((customer, false));
        }
        let progress = joined(&m, row.id, customer, period, now);
        let started = mission_event(MISSION_STARTED, &m, &progress, now, MissionEventExtra::default());
        self.store.save_progress(conn, ctx.id, vec![progress], FactsWrite::Append, now).await?;
        self.write_own_events(conn, ctx, vec![started]).await?;
        Ok((customer, true))
    }

    /// SPEC D4 for one mission: who joined in the period, how far they got.
    pub async fn mission_funnel(&self, ctx: &TenantContext, code: &str, period: &Period) -> Result<MissionFunnel> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.mission_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("mission"))?;
        let m = stored_mission(&row, ctx)?;
        let eligible = self.eligible_count(&mut tx, ctx, &m).await?;
        drop(tx);
        let start = |d: jiff::civil::Date| {
            d.to_zoned(ctx.zone.clone()).map(|z| z.timestamp().as_millisecond()).map_err(|e| EngineError::Io(e.to_string()))
        };
        let from = start(period.from)?;
        let to = start(period.to.tomorrow().map_err(|e| EngineError::Io(e.to_string()))?)?;
        let f = self.store.mission_funnel(ctx.id, row.id, m.steps.len(), from, to).await?;
        let labels: Vec<Option<String>> = match (&m.input.goal, &m.input.steps) {
            (Some(g), _) => vec![g.label.clone()],
            (None, Some(s)) => s.iter().map(|g| g.label.clone()).collect(),
            _ => vec![],
        };
        let has_reward = !m.reward.is_empty() || m.steps.iter().any(|s| !s.reward.is_empty());
        Ok(MissionFunnel {
            mission: row.code,
            from: period.from.to_string(),
            to: period.to.to_string(),
            eligible,
            started: f.started,
            steps: f
                .steps_done
                .iter()
                .enumerate()
                .map(|(i, n)| StepFunnel { step: i + 1, label: labels.get(i).cloned().flatten(), done: *n })
                .collect(),
            completed: f.completed,
            rewarded: if has_reward { f.completed } else { 0 },
            expired: f.expired,
        })
    }

    /// Customers the mission targets now.
    async fn eligible_count(&self, conn: &mut Conn, ctx: &TenantContext, m: &Mission) -> Result<i64> {
        let list = |l: &Option<Vec<String>>| l.clone().unwrap_or_default();
        Ok(self
            .store
            .count_targeted(conn, ctx.id, &list(&m.input.tiers), &list(&m.input.classes), &list(&m.input.segments))
            .await?)
    }
}
