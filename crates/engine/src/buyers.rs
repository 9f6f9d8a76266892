//! Buyers of ranges of days for the reports: retention, churn and the active customers
//! (definitions in `docs/REPORTS.md`, G2). A report loads the links of the purchase days it
//! needs once and answers every bucket from them (`philia_domain::buyer_days`).

use crate::reports::Rate;
use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::Issue;
use philia_domain::buyer_days::{AfterGap, BuyerSets, Days, PurchaseLinks, day_number, day_text};

/// A `YYYY-MM-DD` day of a report's period as a day number.
pub(crate) fn day(text: &str) -> Result<i32> {
    day_number(text).ok_or_else(|| {
        EngineError::field(Issue::new("invalid_day", "is not a YYYY-MM-DD day", "روز به شکل YYYY-MM-DD نیست").at("from"))
    })
}

/// The two ranges whose buyers retention compares: the `length` days before `[from, to]`, and it.
pub(crate) fn retention_ranges(from: i32, to: i32, length: i32) -> (Days, Days) {
    (Days::new(from - length, from - 1), Days::new(from, to))
}

/// The two ranges whose buyers churn compares: the customers active at the end of the day before
/// `from` and those active at the end of `to`, with a `window` of days.
pub(crate) fn churn_ranges(from: i32, to: i32, window: i32) -> (Days, Days) {
    (Days::new(from - window, from - 1), Days::new(to - window + 1, to))
}

impl Engine {
    /// The links of the purchase days in `days`.
    pub(crate) async fn purchase_links(&self, ctx: &TenantContext, days: Days) -> Result<PurchaseLinks> {
        let rows = self.store.purchase_link_counts(ctx.id, &day_text(days.from), &day_text(days.to)).await?;
        // A stored day always parses; a link that does not is the customer's last.
        let links =
            rows.iter().filter_map(|(d, n, count)| Some((day_number(d)?, day_number(n).unwrap_or(i32::MAX), *count))).collect();
        Ok(PurchaseLinks::new(days, links))
    }

    /// The stored days' answer to what the links leave open: how many of the customers `q` names
    /// bought in its last range.
    pub(crate) async fn answer_after_gap(&self, ctx: &TenantContext, q: AfterGap) -> Result<i64> {
        let text = |d: Days| (day_text(d.from), day_text(d.to));
        let (last_in, next_in, bought_in) = (text(q.last_in), text(q.next_in), text(q.bought_in));
        Ok(self
            .store
            .bought_after_gap(ctx.id, (&last_in.0, &last_in.1), (&next_in.0, &next_in.1), (&bought_in.0, &bought_in.1))
            .await?)
    }

    /// The buyers of `a`, of `b` and of both, asking the stored days what the links leave open.
    pub(crate) async fn buyer_sets(&self, ctx: &TenantContext, links: &PurchaseLinks, a: Days, b: Days) -> Result<BuyerSets> {
        let mut sets = links.sets(a, b);
        if let Some(q) = sets.after_gap.take() {
            sets.in_both += self.answer_after_gap(ctx, q).await?;
        }
        Ok(sets)
    }

    /// Retention of `[from, to]`: buyers of the `length` days before it who bought again in it.
    pub(crate) async fn retention_of(&self, ctx: &TenantContext, links: &PurchaseLinks, from: i32, to: i32) -> Result<Rate> {
        let (before, period) = retention_ranges(from, to, to - from + 1);
        let sets = self.buyer_sets(ctx, links, before, period).await?;
        Ok(Rate::of(sets.in_both, sets.in_a))
    }

    /// Churn of `[from, to]` (customers active at its start who are no longer active at its end),
    /// with the customers active at its end.
    pub(crate) async fn churn_and_active_of(
        &self,
        ctx: &TenantContext,
        links: &PurchaseLinks,
        from: i32,
        to: i32,
        window: i32,
    ) -> Result<(Rate, i64)> {
        let (start, end) = churn_ranges(from, to, window);
        let sets = self.buyer_sets(ctx, links, start, end).await?;
        Ok((Rate::of(sets.in_a - sets.in_both, sets.in_a), sets.in_b))
    }
}
