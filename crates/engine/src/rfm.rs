//! RFM (SPEC B1): the exact table at any `as_of`, scores kept per customer as invoices and
//! refunds arrive, and the refresh that recomputes the cut points and every stored score.
//!
//! Staleness: a purchase or refund re-scores its customer at once against the stored cut points;
//! the cut points themselves (and the scores of customers whose recency merely aged) are
//! recomputed by the daily job, on demand (`POST /api/v1/rfm/refresh`) and when the grid changes,
//! so stored scores are at most one day behind the exact table.

use crate::{Engine, Result, TenantContext, now_ms};
use philia_domain::rfm::{Cuts, Figures, Grid, Scores, Segment};
use philia_store::Conn;
use philia_store::rfm::{RfmChange, RfmSource, StoredRfm};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

const GRID: &str = "rfm_grid";
const CUTS: &str = "rfm_cuts";

/// Customers re-scored per transaction by a refresh.
const REFRESH_CHUNK: usize = 5000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredCuts {
    cuts: Cuts,
    as_of: i64,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct RfmRow {
    pub customer_id: i64,
    pub last_purchase_at: i64,
    pub figures: Figures,
    pub scores: Scores,
    pub segment: Segment,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct SegmentCount {
    pub segment: Segment,
    pub name_en: &'static str,
    pub name_fa: &'static str,
    pub customers: i64,
    /// Share of the population, in percent with two decimals.
    pub percent: f64,
}

/// The exact table at `as_of`, rows in customer id order.
pub struct RfmTable {
    pub as_of: i64,
    pub cuts: Cuts,
    pub distribution: Vec<SegmentCount>,
    pub rows: Vec<RfmRow>,
}

impl RfmTable {
    /// The rows after customer `after`, at most `limit`, and the id to continue after (none on
    /// the last page).
    pub fn page(&self, after: i64, limit: usize) -> (&[RfmRow], Option<i64>) {
        let start = self.rows.partition_point(|r| r.customer_id <= after);
        let page = &self.rows[start..(start + limit).min(self.rows.len())];
        let next = (start + limit < self.rows.len()).then(|| page.last().map(|r| r.customer_id)).flatten();
        (page, next)
    }
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct RfmRefresh {
    pub population: i64,
    /// Customers whose stored segment changed (entered, moved or left the population).
    pub moved: i64,
}

fn distribution(rows: &[RfmRow]) -> Vec<SegmentCount> {
    let mut counts = [0i64; Segment::ALL.len()];
    for r in rows {
        counts[r.segment as usize] += 1;
    }
    let n = rows.len().max(1) as f64;
    Segment::ALL
        .iter()
        .map(|&s| {
            let c = counts[s as usize];
            SegmentCount {
                segment: s,
                name_en: s.name_en(),
                name_fa: s.name_fa(),
                customers: c,
                percent: (c as f64 * 10_000.0 / n).round() / 100.0,
            }
        })
        .collect()
}

fn figures_at(sources: &[RfmSource], as_of: i64) -> Vec<Figures> {
    sources.iter().map(|s| Figures::at(as_of, s.last_purchase_at, s.invoices, s.net_spend)).collect()
}

/// The rows of `sources`, whose figures are `figures` (in the same order).
fn score_rows(sources: &[RfmSource], figures: &[Figures], cuts: &Cuts, grid: &Grid) -> Vec<RfmRow> {
    sources
        .iter()
        .zip(figures)
        .map(|(s, &figures)| {
            let scores = cuts.score(&figures);
            RfmRow {
                customer_id: s.customer_id,
                last_purchase_at: s.last_purchase_at,
                figures,
                scores,
                segment: grid.segment(scores.r, scores.fm),
            }
        })
        .collect()
}

/// Parts the current population is read in side by side: one per core, at least two.
fn read_parts() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4))
}

fn stored(row: &RfmRow) -> StoredRfm {
    StoredRfm { r: row.scores.r.into(), f: row.scores.f.into(), m: row.scores.m.into(), segment: row.segment.code().to_string() }
}

impl Engine {
    async fn load_grid(&self, conn: &mut Conn, ctx: &TenantContext) -> Result<Grid> {
        Ok(self.load_setting(conn, ctx, GRID).await?.unwrap_or_default())
    }

    pub async fn rfm_grid(&self, ctx: &TenantContext) -> Result<Grid> {
        let mut tx = self.store.begin_read().await?;
        self.load_grid(&mut tx, ctx).await
    }

    /// Replaces the grid and re-places every customer at once.
    pub async fn set_rfm_grid(&self, ctx: &TenantContext, grid: &Grid) -> Result<Grid> {
        grid.check()?;
        let mut tx = self.store.begin_write().await?;
        self.save_chosen_setting(&mut tx, ctx, GRID, grid).await?;
        philia_store::commit(tx).await?;
        self.refresh_rfm(ctx).await?;
        Ok(grid.clone())
    }

    /// The exact table at `as_of` (default now). At or after now it reads the rollups; an
    /// earlier `as_of` recomputes the figures from the invoices and refunds made before it.
    pub async fn rfm_table(&self, ctx: &TenantContext, as_of: Option<i64>) -> Result<RfmTable> {
        let now = now_ms();
        let as_of = as_of.unwrap_or(now);
        let mut tx = self.store.begin_read().await?;
        let grid = self.load_grid(&mut tx, ctx).await?;
        let mut sources = if as_of >= now {
            drop(tx);
            self.store.rfm_sources_side_by_side(ctx.id, read_parts()).await?
        } else {
            self.store.rfm_sources_at(&mut tx, ctx.id, as_of).await?
        };
        sources.sort_unstable_by_key(|s| s.customer_id);
        let figures = figures_at(&sources, as_of);
        let cuts = Cuts::of(&figures);
        let rows = score_rows(&sources, &figures, &cuts, &grid);
        Ok(RfmTable { as_of, cuts, distribution: distribution(&rows), rows })
    }

    /// Re-scores `customers` against the stored cut points, inside the caller's transaction
    /// (after a purchase, refund or merge). A tenant without cut points gets them from its whole
    /// population first.
    pub(crate) async fn rfm_in(&self, conn: &mut Conn, ctx: &TenantContext, customers: &[i64], now: i64) -> Result<()> {
        if customers.is_empty() {
            return Ok(());
        }
        let grid = self.load_grid(conn, ctx).await?;
        let cuts = match self.load_setting::<StoredCuts>(conn, ctx, CUTS).await? {
            Some(c) => c.cuts,
            None => {
                let cuts = Cuts::of(&figures_at(&self.store.rfm_sources(conn, ctx.id).await?, now));
                self.save_setting(conn, ctx, CUTS, &StoredCuts { cuts: cuts.clone(), as_of: now }).await?;
                cuts
            }
        };
        let sources = self.store.rfm_sources_of(conn, ctx.id, customers).await?;
        let rows = score_rows(&sources, &figures_at(&sources, now), &cuts, &grid);
        self.store_scores(conn, ctx, customers, &rows, now).await?;
        Ok(())
    }

    /// Writes the scores of `rows`, and removes those of `customers` not among them; returns how
    /// many segments moved.
    async fn store_scores(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customers: &[i64],
        rows: &[RfmRow],
        now: i64,
    ) -> Result<i64> {
        let before = self.store.stored_rfm(conn, ctx.id, customers).await?;
        let scored: HashSet<i64> = rows.iter().map(|r| r.customer_id).collect();
        let mut changes: Vec<RfmChange> = rows
            .iter()
            .filter_map(|row| {
                let now_stored = stored(row);
                let was = before.get(&row.customer_id);
                (was != Some(&now_stored)).then(|| RfmChange {
                    customer_id: row.customer_id,
                    before: was.map(|w| w.segment.clone()),
                    after: Some(now_stored),
                })
            })
            .collect();
        changes.extend(
            customers.iter().filter(|c| !scored.contains(c)).filter_map(|c| {
                before.get(c).map(|w| RfmChange { customer_id: *c, before: Some(w.segment.clone()), after: None })
            }),
        );
        let moved = changes.iter().filter(|c| c.before.as_deref() != c.after.as_ref().map(|a| a.segment.as_str())).count();
        self.store.save_rfm(conn, ctx.id, &changes, now).await?;
        Ok(moved as i64)
    }

    /// Recomputes the cut points from the whole population now and re-scores every customer, a
    /// few thousand per transaction so writers are never held up for long.
    pub async fn refresh_rfm(&self, ctx: &TenantContext) -> Result<RfmRefresh> {
        let table = self.rfm_table(ctx, None).await?;
        let now = table.as_of;
        in_write_tx!(self, |conn| self
            .save_setting(conn, ctx, CUTS, &StoredCuts { cuts: table.cuts.clone(), as_of: now })
            .await)?;
        let mut moved = 0i64;
        for chunk in table.rows.chunks(REFRESH_CHUNK) {
            let ids: Vec<i64> = chunk.iter().map(|r| r.customer_id).collect();
            moved += in_write_tx!(self, |conn| self.store_scores(conn, ctx, &ids, chunk, now).await)?;
        }
        // Customers scored before who are no longer in the population.
        let in_population: HashSet<i64> = table.rows.iter().map(|r| r.customer_id).collect();
        let mut after = 0;
        loop {
            let mut tx = self.store.begin_read().await?;
            let ids = self.store.rfm_customer_ids_after(&mut tx, ctx.id, after, REFRESH_CHUNK as i64).await?;
            drop(tx);
            let Some(&last) = ids.last() else { break };
            let gone: Vec<i64> = ids.into_iter().filter(|c| !in_population.contains(c)).collect();
            if !gone.is_empty() {
                moved += in_write_tx!(self, |conn| self.store_scores(conn, ctx, &gone, &[], now).await)?;
            }
            after = last;
        }
        // A refresh may move most of the tenant between segments; readers of the counts should
        // not add up those changes one by one until the next minute's fold.
        self.fold_counts().await;
        Ok(RfmRefresh { population: table.rows.len() as i64, moved })
    }

    /// The stored scores of several customers (those outside the population are absent).
    pub async fn rfm_scores_of(&self, ctx: &TenantContext, ids: &[i64]) -> Result<std::collections::HashMap<i64, Scores>> {
        let mut tx = self.store.begin_read().await?;
        let stored = self.store.stored_rfm(&mut tx, ctx.id, ids).await?;
        Ok(stored.into_iter().map(|(id, s)| (id, Scores::new(s.r as u8, s.f as u8, s.m as u8))).collect())
    }

    /// First and last club sign-in of these customers (the G4 table's login columns).
    pub async fn logins_of(
        &self,
        ctx: &TenantContext,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, (Option<String>, Option<String>)>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let mut tx = self.store.begin_read().await?;
        let views = self.store.stats_views(&mut tx, ctx.id, ids).await?;
        Ok(views.into_iter().map(|(id, v)| (id, (v.first_login_at, v.last_login_at))).collect())
    }

    /// A customer's stored scores and segment history.
    pub async fn customer_rfm(&self, ctx: &TenantContext, customer_id: i64) -> Result<CustomerRfm> {
        let mut tx = self.store.begin_read().await?;
        let current = self.store.stored_rfm(&mut tx, ctx.id, &[customer_id]).await?.remove(&customer_id);
        let history = self.store.rfm_history(&mut tx, ctx.id, customer_id).await?;
        Ok(CustomerRfm {
            scores: current.as_ref().map(|s| Scores::new(s.r as u8, s.f as u8, s.m as u8)),
            segment: current.and_then(|s| Segment::parse(&s.segment)),
            history: history
                .into_iter()
                .map(|h| SegmentMove {
                    from: h.from.as_deref().and_then(Segment::parse),
                    to: h.to.as_deref().and_then(Segment::parse),
                    at: philia_store::bulk::ts(h.at),
                })
                .collect(),
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentMove {
    pub from: Option<Segment>,
    pub to: Option<Segment>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerRfm {
    /// None while the customer has no purchase that counts.
    pub scores: Option<Scores>,
    pub segment: Option<Segment>,
    /// Newest first (at most 100).
    pub history: Vec<SegmentMove>,
}
