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
        let links = self.store.purchase_links(ctx.id, &day_text(days.from), &day_text(days.to)).await?;
        Ok(PurchaseLinks::new(days, links))
    }

    /// The stored days' answer to what the links leave open: how many of the customers `q` names
    /// bought in its last range. Each of them costs a look-up of their days, so the customers are
    /// counted in two shares side by side, one per core of a small server.
    pub(crate) async fn answer_after_gap(&self, ctx: &TenantContext, q: AfterGap) -> Result<i64> {
        let last_on: Vec<String> = (q.last_in.from..=q.last_in.to).map(day_text).collect();
        let (next_in, bought_in) =
            ((day_text(q.next_in.from), day_text(q.next_in.to)), (day_text(q.bought_in.from), day_text(q.bought_in.to)));
        let share = |share: i64| {
            self.store.bought_after_gap(ctx.id, &last_on, (&next_in.0, &next_in.1), (&bought_in.0, &bought_in.1), (share, 2))
        };
        let (first, second) = tokio::try_join!(share(0), share(1))?;
        Ok(first + second)
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
