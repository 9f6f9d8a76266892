//! Plans and usage (SPEC J3): what a tenant's months cost, and which plan it is on.

use crate::tenancy::TenantContext;
use crate::{Engine, EngineError, Result};
use philia_domain::Issue;
use philia_domain::games::GameInput;
use philia_domain::missions::MissionInput;
use philia_domain::plans::{BillingMonth, ECONOMIC_BANDS, Plan, PriceBand, charge};
use philia_domain::records::Tenant;
use serde::Serialize;

/// One month's metered usage and its price.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthUsage {
    /// `1405-09` in the calendar named beside it.
    pub month: String,
    pub calendar: String,
    /// First and last day (Gregorian `YYYY-MM-DD`, tenant-local).
    pub from: String,
    pub to: String,
    /// Sales invoices dated in the month (refunds do not lower it).
    pub invoices: i64,
    /// The band of the price table the month falls in (Economic).
    pub band: Option<PriceBand>,
    /// Toman; none when priced by contract (Prime, or 50,000 invoices and more).
    pub amount: Option<i64>,
    /// The month is over: its count no longer grows with new sales.
    pub closed: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    pub plan: Plan,
    /// The price table of the Economic plan, in toman.
    pub bands: Vec<PriceBand>,
    /// The months asked for, newest first.
    pub months: Vec<MonthUsage>,
}

impl UsageReport {
    pub fn plan_name(&self) -> &'static str {
        self.plan.as_str()
    }
}

/// The most months one report covers.
pub const MAX_MONTHS: i32 = 36;

impl Engine {
    /// Usage of `months` months ending with `month` (default: the current month of the tenant's
    /// calendar), newest first.
    pub async fn usage(&self, ctx: &TenantContext, month: Option<&str>, months: i32) -> Result<UsageReport> {
        let today = philia_domain::calendar::local_day(jiff::Timestamp::now(), &ctx.zone);
        let last = match month {
            Some(text) => BillingMonth::parse(text, ctx.calendar).map_err(|e| EngineError::field(e.at("month")))?,
            None => BillingMonth::of(today, ctx.calendar),
        };
        if !(1..=MAX_MONTHS).contains(&months) {
            return Err(EngineError::field(
                Issue::new(
                    "out_of_range",
                    format!("must be between 1 and {MAX_MONTHS}"),
                    format!("باید بین ۱ و {MAX_MONTHS} باشد"),
                )
                .at("months"),
            ));
        }
        // One read of the whole span; each month sums its own days.
        let first_day = last.plus(1 - months).days().0.to_string();
        let days = self.store.daily_invoices(ctx.id, &first_day, &last.days().1.to_string()).await?;
        let mut out = Vec::with_capacity(months as usize);
        for back in 0..months {
            let m = last.plus(-back);
            let (from, to) = m.days();
            let (from_text, to_text) = (from.to_string(), to.to_string());
            let invoices = days
                .iter()
                .filter(|(d, _)| d.as_str() >= from_text.as_str() && d.as_str() <= to_text.as_str())
                .map(|(_, n)| n)
                .sum();
            let price = charge(ctx.plan, invoices);
            out.push(MonthUsage {
                month: m.label(),
                calendar: m.calendar.as_str().to_string(),
                from: from.to_string(),
                to: to.to_string(),
                invoices,
                band: price.band,
                amount: price.amount,
                closed: to < today,
            });
        }
        Ok(UsageReport { plan: ctx.plan, bands: ECONOMIC_BANDS.to_vec(), months: out })
    }

    /// Moves the tenant to another plan (the platform operator's decision). Missions and games
    /// made before stay; on Economic only the ready ones can be added or changed afterwards.
    pub async fn set_plan(&self, ctx: &TenantContext, plan: &str) -> Result<Tenant> {
        let plan = Plan::parse(plan).map_err(|e| EngineError::field(e.at("plan")))?;
        let before = self.tenant_record(ctx).await?;
        let tenant = in_write_tx!(self, |conn| async {
            let t = self.store.set_tenant_plan(conn, ctx.id, plan.as_str()).await?.ok_or(EngineError::NotFound("tenant"))?;
            self.audit_in(conn, ctx, "tenant.plan", "tenant", &ctx.slug, Some(&before.plan), Some(&t.plan)).await?;
            Ok(t)
        }
        .await)?;
        Ok(tenant)
    }

    /// On a plan without custom gamification, a mission must be a ready one: its code, goal or
    /// steps and repeat as the template has them (name, reward, dates and targeting may change).
    pub(crate) fn check_mission_plan(ctx: &TenantContext, input: &MissionInput) -> Result<()> {
        if ctx.plan.allows_custom_gamification() {
            return Ok(());
        }
        let ready = crate::missions::templates().into_iter().find(|t| t.code == input.code);
        match ready {
            None => Err(plan_limit("code")),
            Some(t) if t.goal != input.goal || t.steps != input.steps => Err(plan_limit("goal")),
            Some(t) if t.repeat != input.repeat => Err(plan_limit("repeat")),
            Some(_) => Ok(()),
        }
    }

    /// On a plan without custom gamification, a game must be a ready one (its code and kind;
    /// prizes, cost and limits may change).
    pub(crate) fn check_game_plan(ctx: &TenantContext, input: &GameInput) -> Result<()> {
        if ctx.plan.allows_custom_gamification() {
            return Ok(());
        }
        match crate::games::game_templates().into_iter().find(|t| t.code == input.code) {
            None => Err(plan_limit("code")),
            Some(t) if t.kind != input.kind => Err(plan_limit("kind")),
            Some(_) => Ok(()),
        }
    }
}

fn plan_limit(field: &str) -> EngineError {
    EngineError::field(
        Issue::new(
            "plan_limit",
            "the Economic plan offers the ready missions and games: their rewards, dates and targeting can change, anything else needs the Prime plan",
            "طرح اکونومی ماموریت‌ها و بازی‌های آماده را دارد: جایزه، تاریخ و مخاطب آن‌ها تغییرپذیر است و بیش از آن طرح پرایم را می‌خواهد",
        )
        .at(field),
    )
}
