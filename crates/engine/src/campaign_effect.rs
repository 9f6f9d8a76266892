//! G7: a campaign's effect, as equal windows before and after a day (or a campaign's launch)
//! compared on sales, invoices, buyers, active customers, churn, retention and engagement.
//! Definitions in `docs/REPORTS.md`.

use crate::buyers::day;
use crate::reports::{Rate, ReportTable};
use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::Issue;
use philia_domain::buyer_days::Days;
use philia_domain::calendar::local_day;
use philia_domain::reports::{EffectQuery, effect_windows};
use serde::Serialize;
use utoipa::ToSchema;

/// The figures of one window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowFigures {
    pub from: String,
    pub to: String,
    pub net_sales: i64,
    pub invoices: i64,
    /// Identified customers with a purchase in the window.
    pub buyers: i64,
    /// Customers active (a purchase in the activity window) on the window's last day.
    pub active_at_end: i64,
    /// Buyers of the window before this one who bought again in it.
    pub retention: Rate,
    /// Customers active at the window's start who are not at its end.
    pub churn: Rate,
    pub events: i64,
    pub engagers: i64,
}

/// One figure before and after, and how it moved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureChange {
    pub figure: String,
    pub before: f64,
    pub after: f64,
    pub change: f64,
    /// The change as a percent of `before` (absent when `before` is 0).
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignEffectReport {
    /// The first day of the "after" window, and the campaign it came from.
    pub date: String,
    pub campaign: Option<String>,
    pub days: i64,
    pub activity_window_days: i64,
    pub before: WindowFigures,
    pub after: WindowFigures,
    /// Whether the "after" window has ended (its figures are partial until then).
    pub after_complete: bool,
    pub changes: Vec<FigureChange>,
}

fn change(figure: &str, before: f64, after: f64) -> FigureChange {
    let round = |x: f64| (x * 100.0).round() / 100.0;
    FigureChange {
        figure: figure.into(),
        before,
        after,
        change: round(after - before),
        percent: (before != 0.0).then(|| round((after - before) * 100.0 / before)),
    }
}

impl Engine {
    async fn window_figures(&self, ctx: &TenantContext, from: &str, to: &str, window: i64) -> Result<WindowFigures> {
        let days = self.store.daily_stats(ctx.id, from, to).await?;
        let (first, last, w) = (day(from)?, day(to)?, window as i32);
        let links = self.purchase_links(ctx, Days::new(first - (last - first + 1).max(w), last)).await?;
        let (churn, active_at_end) = self.churn_and_active_of(ctx, &links, first, last, w).await?;
        Ok(WindowFigures {
            from: from.into(),
            to: to.into(),
            net_sales: days.iter().map(|d| d.sales - d.refunds).sum(),
            invoices: days.iter().map(|d| d.invoices).sum(),
            buyers: links.buyers(Days::new(first, last)),
            active_at_end,
            retention: self.retention_of(ctx, &links, first, last).await?,
            churn,
            events: days.iter().map(|d| d.events).sum(),
            engagers: self.store.engagers_between(ctx.id, from, to).await?,
        })
    }

    /// G7 for a day, or for a campaign's launch day.
    pub async fn campaign_effect(&self, ctx: &TenantContext, q: &EffectQuery, window: i64) -> Result<CampaignEffectReport> {
        let (date, days) = q.parse()?;
        let date = match (date, &q.campaign) {
            (Some(d), _) => d,
            (None, Some(code)) => {
                let campaign = self.campaign(ctx, code).await?;
                let launched =
                    campaign.launched_at.as_deref().and_then(|t| t.parse::<jiff::Timestamp>().ok()).ok_or_else(|| {
                        EngineError::field(
                            Issue::new("not_launched", "has not been launched yet", "هنوز اجرا نشده است").at("campaign"),
                        )
                    })?;
                local_day(launched, &ctx.zone)
            }
            (None, None) => unreachable!("the query requires a date or a campaign"),
        };
        let w = effect_windows(date, days);
        let (b0, b1, a0, a1) = (w.before.0.to_string(), w.before.1.to_string(), w.after.0.to_string(), w.after.1.to_string());
        let before = self.window_figures(ctx, &b0, &b1, window).await?;
        let after = self.window_figures(ctx, &a0, &a1, window).await?;
        let today = local_day(jiff::Timestamp::now(), &ctx.zone);
        let changes = vec![
            change("net_sales", before.net_sales as f64, after.net_sales as f64),
            change("invoices", before.invoices as f64, after.invoices as f64),
            change("buyers", before.buyers as f64, after.buyers as f64),
            change("active_at_end", before.active_at_end as f64, after.active_at_end as f64),
            change("retention_percent", before.retention.percent, after.retention.percent),
            change("churn_percent", before.churn.percent, after.churn.percent),
            change("events", before.events as f64, after.events as f64),
            change("engagers", before.engagers as f64, after.engagers as f64),
        ];
        Ok(CampaignEffectReport {
            date: date.to_string(),
            campaign: q.campaign.clone(),
            days,
            activity_window_days: window,
            before,
            after,
            after_complete: w.after.1 < today,
            changes,
        })
    }
}

impl ReportTable for CampaignEffectReport {
    fn table(&self) -> Vec<Vec<String>> {
        let mut out = vec![["figure", "before", "after", "change", "percent"].map(String::from).to_vec()];
        out.extend(self.changes.iter().map(|c| {
            vec![
                c.figure.clone(),
                c.before.to_string(),
                c.after.to_string(),
                c.change.to_string(),
                c.percent.map(|p| p.to_string()).unwrap_or_default(),
            ]
        }));
        out
    }
}
