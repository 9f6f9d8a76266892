//! Reading the per-day tenant statistics.

use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::Issue;
use philia_domain::calendar::{local_day, parse_date};
use philia_domain::records::{DailyStats, IdentityConflict};

impl Engine {
    /// Statistics per tenant-local day from `from` to `to` (inclusive; ISO or Jalali dates;
    /// defaults: the last 30 days).
    pub async fn daily_stats(&self, ctx: &TenantContext, from: Option<&str>, to: Option<&str>) -> Result<Vec<DailyStats>> {
        let to = match to {
            Some(t) => parse_date(t).map_err(|e| EngineError::field(e.at("to")))?,
            None => local_day(jiff::Timestamp::now(), &ctx.zone),
        };
        let from = match from {
            Some(f) => parse_date(f).map_err(|e| EngineError::field(e.at("from")))?,
            None => to.checked_sub(jiff::Span::new().days(29)).map_err(|e| EngineError::Io(e.to_string()))?,
        };
        if from > to {
            return Err(EngineError::field(Issue::new("empty_period", "is after `to`", "از تاریخ پایان دیرتر است").at("from")));
        }
        if (to - from).get_days() > 3_660 {
            return Err(EngineError::field(
                Issue::new("period_too_long", "the period may be at most 10 years", "بازه حداکثر ۱۰ سال است").at("from"),
            ));
        }
        Ok(self.store.daily_stats(ctx.id, &from.to_string(), &to.to_string()).await?)
    }

    pub async fn identity_conflicts(&self, ctx: &TenantContext, status: &str) -> Result<Vec<IdentityConflict>> {
        if !matches!(status, "open" | "resolved") {
            return Err(EngineError::field(Issue::one_of(&["open", "resolved"]).at("status")));
        }
        Ok(self.store.list_identity_conflicts(ctx.id, status).await?)
    }
}
