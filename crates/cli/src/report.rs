//! `philia report NAME`: one report as a CSV file, the same figures the API returns.

use anyhow::{Context, Result};
use philia_domain::reports::{EffectQuery, PeriodQuery};
use philia_engine::reports::{DEFAULT_ACTIVITY_WINDOW, ReportTable};
use philia_engine::{Engine, TenantContext};

#[derive(clap::Args)]
pub struct ReportArgs {
    /// sales, customers, engagement, points-tiers, top-customers, campaign-effect or rfm
    name: String,
    #[arg(long)]
    tenant: String,
    /// 7d, 10d, 14d, 30d, month, year or custom (default 30d; custom when --from/--to are given)
    #[arg(long)]
    period: Option<String>,
    /// First day, Gregorian or Jalali
    #[arg(long)]
    from: Option<String>,
    /// Last day, included
    #[arg(long)]
    to: Option<String>,
    /// day, week, month or year
    #[arg(long)]
    group: Option<String>,
    /// Customers report: days a purchase keeps a customer active
    #[arg(long, default_value_t = DEFAULT_ACTIVITY_WINDOW)]
    window: i64,
    /// Top customers: how many
    #[arg(long, default_value_t = 20)]
    limit: i64,
    /// Campaign effect: the first day after (Gregorian or Jalali), or a campaign's code, and
    /// the days in each window
    #[arg(long)]
    date: Option<String>,
    #[arg(long)]
    campaign: Option<String>,
    #[arg(long)]
    days: Option<i64>,
    #[arg(long)]
    out: std::path::PathBuf,
}

impl ReportArgs {
    pub fn tenant_slug(&self) -> String {
        self.tenant.clone()
    }
}

pub async fn run(engine: &Engine, ctx: &TenantContext, a: ReportArgs) -> Result<()> {
    if a.name == "rfm" {
        return crate::files::export(engine, ctx, "rfm", a.to.as_deref(), &a.out).await;
    }
    if a.name == "campaign-effect" {
        let q = EffectQuery { date: a.date, campaign: a.campaign, days: a.days };
        let report = engine.campaign_effect(ctx, &q, a.window).await.map_err(crate::explain)?;
        std::fs::write(&a.out, report.to_csv()).with_context(|| format!("writing {}", a.out.display()))?;
        eprintln!("wrote the campaign effect around {} to {}", report.date, a.out.display());
        return Ok(());
    }
    let q = PeriodQuery { period: a.period, from: a.from, to: a.to, group: a.group };
    let p = engine.report_period(ctx, &q).map_err(crate::explain)?;
    let csv = match a.name.as_str() {
        "sales" => engine.sales_report(ctx, &p).await.map(|r| r.to_csv()),
        "customers" => engine.customers_report(ctx, &p, a.window).await.map(|r| r.to_csv()),
        "engagement" => engine.engagement_report(ctx, &p).await.map(|r| r.to_csv()),
        "points-tiers" => engine.points_tiers_report(ctx).await.map(|r| r.to_csv()),
        "top-customers" => engine.top_customers_report(ctx, &p, a.limit).await.map(|r| r.to_csv()),
        other => anyhow::bail!(
            "no report {other:?}: choose sales, customers, engagement, points-tiers, top-customers, campaign-effect or rfm"
        ),
    }
    .map_err(crate::explain)?;
    std::fs::write(&a.out, csv).with_context(|| format!("writing {}", a.out.display()))?;
    eprintln!("wrote the {} report for {} to {} to {}", a.name, p.from, p.to, a.out.display());
    Ok(())
}
