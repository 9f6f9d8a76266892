//! Reports (SPEC G1–G6): the series behind each dashboard chart, and the same as CSV rows.
//! Definitions are in `docs/REPORTS.md`; every figure comes from the rollups or the facts, never
//! from a sample.

use crate::buyers::{churn_ranges, day};
use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::buyer_days::{Days, after_gap, date_day_number};
use philia_domain::reports::{Bucket, Grouping, Period, PeriodQuery};
use serde::Serialize;
use utoipa::ToSchema;

/// Up to this many invoices in a period, its top customers are found by grouping its invoices.
const TOP_CUSTOMERS_BY_GROUPING: i64 = 150_000;

/// Days before a moment in which a purchase makes a customer active, unless the caller says.
pub const DEFAULT_ACTIVITY_WINDOW: i64 = 90;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodInfo {
    pub from: String,
    pub to: String,
    pub days: i64,
    pub grouping: Grouping,
}

impl PeriodInfo {
    fn of(p: &Period) -> PeriodInfo {
        PeriodInfo { from: p.from.to_string(), to: p.to.to_string(), days: p.days(), grouping: p.grouping }
    }
}

/// A share: `count` of `base`, in percent with two decimals (0 when the base is empty).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Rate {
    pub base: i64,
    pub count: i64,
    pub percent: f64,
}

impl Rate {
    pub(crate) fn of(count: i64, base: i64) -> Rate {
        let percent = if base == 0 { 0.0 } else { (count as f64 * 10_000.0 / base as f64).round() / 100.0 };
        Rate { base, count, percent }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesBucket {
    #[serde(flatten)]
    pub bucket: Bucket,
    pub sales: i64,
    pub refunds: i64,
    pub net_sales: i64,
    pub invoices: i64,
    /// Customers with a purchase up to the bucket's last day.
    pub customers_to_date: i64,
    /// Historic CLV: identified customers' net spend to date over `customers_to_date`.
    pub average_clv: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SalesReport {
    pub period: PeriodInfo,
    pub net_sales: i64,
    pub invoices: i64,
    pub buckets: Vec<SalesBucket>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerBucket {
    #[serde(flatten)]
    pub bucket: Bucket,
    /// Customers whose first purchase falls in the bucket.
    pub new_customers: i64,
    /// Customers with a purchase up to the bucket's last day.
    pub total_customers: i64,
    /// Customers who bought in the activity window ending on the bucket's last day.
    pub active_at_end: i64,
    pub retention: Rate,
    pub churn: Rate,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistogramBin {
    pub from_days: i64,
    /// Exclusive; absent for the last bin.
    pub to_days: Option<i64>,
    pub customers: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeBetweenPurchases {
    /// Customers with at least two invoices.
    pub customers: i64,
    pub mean_days: f64,
    pub median_days: f64,
    pub histogram: Vec<HistogramBin>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomersReport {
    pub period: PeriodInfo,
    pub activity_window_days: i64,
    pub new_customers: i64,
    /// Over the whole period, against the equal-length period before it.
    pub retention: Rate,
    pub churn: Rate,
    pub buckets: Vec<CustomerBucket>,
    pub time_between_purchases: TimeBetweenPurchases,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventTypeCount {
    #[serde(rename = "type")]
    pub event_type: String,
    pub events: i64,
    pub customers: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EngagementReport {
    pub period: PeriodInfo,
    pub events: i64,
    /// Distinct customers with any event in the period.
    pub active_engagers: i64,
    pub by_type: Vec<EventTypeCount>,
    pub buckets: Vec<EngagementBucket>,
    /// Customers who started a mission (`mission_started` events).
    pub mission_participants: i64,
    /// Customers who played a game (`game_played` events).
    pub game_participants: i64,
    pub rewards_claimed: i64,
    pub reward_claimers: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EngagementBucket {
    #[serde(flatten)]
    pub bucket: Bucket,
    pub events: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsSlice {
    pub point_type: String,
    pub name: String,
    pub points: i64,
    pub customers: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierSlice {
    /// None: customers without a tier.
    pub tier: Option<String>,
    pub customers: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsTiersReport {
    pub points: Vec<PointsSlice>,
    pub tiers: Vec<TierSlice>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopCustomerRow {
    pub customer_id: i64,
    pub name: String,
    pub mobile: Option<String>,
    pub tier: Option<String>,
    pub net_spend: i64,
    pub invoices: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopCustomersReport {
    pub period: PeriodInfo,
    pub customers: Vec<TopCustomerRow>,
}

/// Upper bounds (exclusive) of the time-between-purchases histogram, in days.
const GAP_BINS: [i64; 7] = [7, 14, 30, 60, 90, 180, 365];

/// The figures over customers' gaps, given as `(gap in hundredths of a day, customers)` in gap
/// order.
fn gaps(counts: &[(i64, i64)]) -> TimeBetweenPurchases {
    let n: i64 = counts.iter().map(|c| c.1).sum();
    let total: i128 = counts.iter().map(|&(gap, k)| i128::from(gap) * i128::from(k)).sum();
    let mean = if n == 0 { 0.0 } else { total as f64 / n as f64 / 100.0 };
    // The gap of the customer at a (0-based) rank, counting up the sorted counts.
    let at = |rank: i64| {
        let mut seen = 0;
        counts.iter().find(|c| {
            seen += c.1;
            seen > rank
        })
    };
    let gap_at = |rank: i64| at(rank).map_or(0, |c| c.0);
    let median = match n {
        0 => 0.0,
        _ if n % 2 == 1 => gap_at(n / 2) as f64 / 100.0,
        _ => (gap_at(n / 2 - 1) + gap_at(n / 2)) as f64 / 200.0,
    };
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let mut histogram = Vec::new();
    let mut lower = 0;
    for upper in GAP_BINS.iter().map(|&u| Some(u)).chain([None]) {
        let customers =
            counts.iter().filter(|&&(gap, _)| gap >= lower * 100 && upper.is_none_or(|u| gap < u * 100)).map(|c| c.1).sum();
        histogram.push(HistogramBin { from_days: lower, to_days: upper, customers });
        lower = upper.unwrap_or(lower);
    }
    TimeBetweenPurchases { customers: n, mean_days: round(mean), median_days: round(median), histogram }
}

impl Engine {
    /// The period a query names, in the tenant's calendar and today.
    pub fn report_period(&self, ctx: &TenantContext, q: &PeriodQuery) -> Result<Period> {
        let today = philia_domain::calendar::local_day(jiff::Timestamp::now(), &ctx.zone);
        Ok(q.parse(today, ctx.calendar)?)
    }

    /// G1: net sales and invoices per bucket, and the average historic CLV at each bucket's end.
    pub async fn sales_report(&self, ctx: &TenantContext, p: &Period) -> Result<SalesReport> {
        let days = self.store.daily_stats(ctx.id, &p.from.to_string(), &p.to.to_string()).await?;
        let before = self.store.customer_totals_before(ctx.id, &p.from.to_string()).await?;
        let (mut spend, mut customers) = (before.net_spend, before.customers);
        let mut i = 0;
        let buckets = p
            .buckets(ctx.calendar)
            .into_iter()
            .map(|bucket| {
                let (mut sales, mut refunds, mut invoices) = (0, 0, 0);
                while i < days.len() && days[i].day <= bucket.to {
                    let d = &days[i];
                    sales += d.sales;
                    refunds += d.refunds;
                    invoices += d.invoices;
                    spend += d.customer_sales - d.customer_refunds;
                    customers += d.new_customers;
                    i += 1;
                }
                SalesBucket {
                    bucket,
                    sales,
                    refunds,
                    net_sales: sales - refunds,
                    invoices,
                    customers_to_date: customers,
                    average_clv: if customers == 0 { 0 } else { spend / customers },
                }
            })
            .collect::<Vec<_>>();
        Ok(SalesReport {
            period: PeriodInfo::of(p),
            net_sales: buckets.iter().map(|b| b.net_sales).sum(),
            invoices: buckets.iter().map(|b| b.invoices).sum(),
            buckets,
        })
    }

    /// G2: growth, activity, retention, churn and time between purchases.
    pub async fn customers_report(&self, ctx: &TenantContext, p: &Period, window: i64) -> Result<CustomersReport> {
        let (first, last) = (p.from.to_string(), p.to.to_string());
        let (from, to, w) = (date_day_number(p.from), date_day_number(p.to), window as i32);
        // Every range asked about below lies within the period and the longer of its own length
        // and the activity window before it. The reads are independent, so they run side by side,
        // and so does the one question the links cannot answer: the period's churn, whose two
        // activity windows lie apart when the period is longer than the window.
        let (start, end) = churn_ranges(from, to, w);
        let open_question = after_gap(start, end);
        let (days, before, mut links, gap_counts, answered) = tokio::try_join!(
            async { Ok::<_, EngineError>(self.store.daily_stats(ctx.id, &first, &last).await?) },
            async { Ok(self.store.customer_totals_before(ctx.id, &first).await?) },
            self.purchase_links(ctx, Days::new(from - (to - from + 1).max(w), to)),
            async { Ok(self.store.purchase_gap_counts(ctx.id).await?) },
            async {
                match open_question {
                    Some(q) => Ok(Some((q, self.answer_after_gap(ctx, q).await?))),
                    None => Ok(None),
                }
            },
        )?;
        if let Some((q, customers)) = answered {
            links.answer(q, customers);
        }
        let mut total = before.customers;
        let mut buckets = Vec::new();
        let mut i = 0;
        for bucket in p.buckets(ctx.calendar) {
            let mut new_customers = 0;
            while i < days.len() && days[i].day <= bucket.to {
                new_customers += days[i].new_customers;
                i += 1;
            }
            total += new_customers;
            let (b_from, b_to) = (day(&bucket.from)?, day(&bucket.to)?);
            let retention = self.retention_of(ctx, &links, b_from, b_to).await?;
            let (churn, active_at_end) = self.churn_and_active_of(ctx, &links, b_from, b_to, w).await?;
            buckets.push(CustomerBucket { bucket, new_customers, total_customers: total, active_at_end, retention, churn });
        }
        Ok(CustomersReport {
            period: PeriodInfo::of(p),
            activity_window_days: window,
            new_customers: buckets.iter().map(|b| b.new_customers).sum(),
            retention: self.retention_of(ctx, &links, from, to).await?,
            churn: self.churn_and_active_of(ctx, &links, from, to, w).await?.0,
            buckets,
            time_between_purchases: gaps(&gap_counts),
        })
    }

    /// G3: events per type and per bucket, engagers, mission and game participants, rewards claimed.
    pub async fn engagement_report(&self, ctx: &TenantContext, p: &Period) -> Result<EngagementReport> {
        let (from, to) = (p.from.to_string(), p.to.to_string());
        let by_type: Vec<EventTypeCount> = self
            .store
            .events_by_type(ctx.id, &from, &to)
            .await?
            .into_iter()
            .map(|(event_type, events, customers)| EventTypeCount { event_type, events, customers })
            .collect();
        let participants = |t: &str| by_type.iter().find(|e| e.event_type == t).map(|e| e.customers).unwrap_or(0);
        let days = self.store.daily_stats(ctx.id, &from, &to).await?;
        let mut i = 0;
        let buckets = p
            .buckets(ctx.calendar)
            .into_iter()
            .map(|bucket| {
                let mut events = 0;
                while i < days.len() && days[i].day <= bucket.to {
                    events += days[i].events;
                    i += 1;
                }
                EngagementBucket { bucket, events }
            })
            .collect();
        let start = p.from.to_zoned(ctx.zone.clone()).map(|z| z.timestamp().as_millisecond()).unwrap_or(0);
        let end =
            p.to.tomorrow()
                .ok()
                .and_then(|d| d.to_zoned(ctx.zone.clone()).ok())
                .map(|z| z.timestamp().as_millisecond())
                .unwrap_or(i64::MAX);
        let (rewards_claimed, reward_claimers) = self.store.redemptions_between(ctx.id, start, end).await?;
        Ok(EngagementReport {
            period: PeriodInfo::of(p),
            events: by_type.iter().map(|e| e.events).sum(),
            active_engagers: self.store.engagers_between(ctx.id, &from, &to).await?,
            mission_participants: participants("mission_started"),
            game_participants: participants("game_played"),
            by_type,
            buckets,
            rewards_claimed,
            reward_claimers,
        })
    }

    /// G5: points held per type and customers per tier, now.
    pub async fn points_tiers_report(&self, ctx: &TenantContext) -> Result<PointsTiersReport> {
        let points = self
            .store
            .points_by_type(ctx.id)
            .await?
            .into_iter()
            .map(|(point_type, name, points, customers)| PointsSlice { point_type, name, points, customers })
            .collect();
        let counts = {
            let mut tx = self.store.begin_read().await?;
            self.store.customer_counts(&mut tx, ctx.id).await?
        };
        // Counts come in tier order, so each tier's pairs are next to each other.
        let mut tiers: Vec<TierSlice> = Vec::new();
        for c in counts {
            match tiers.last_mut() {
                Some(last) if last.tier == c.tier => last.customers += c.customers,
                _ => tiers.push(TierSlice { tier: c.tier, customers: c.customers }),
            }
        }
        Ok(PointsTiersReport { points, tiers })
    }

    /// G6: the customers with the highest net spend in the period.
    pub async fn top_customers_report(&self, ctx: &TenantContext, p: &Period, limit: i64) -> Result<TopCustomersReport> {
        let (from, to, limit) = (p.from.to_string(), p.to.to_string(), limit.clamp(1, 1000));
        // Grouping the period's invoices read by their day costs what they number; the search
        // from the highest lifetime spend costs about the same on any period, so it wins on long
        // busy ones.
        let invoices: i64 = self.store.daily_stats(ctx.id, &from, &to).await?.iter().map(|d| d.invoices).sum();
        let rows = if invoices <= TOP_CUSTOMERS_BY_GROUPING {
            self.store.top_customers_by_scan(ctx.id, &from, &to, limit).await?
        } else {
            self.store.top_customers(ctx.id, &from, &to, limit).await?
        };
        Ok(TopCustomersReport {
            period: PeriodInfo::of(p),
            customers: rows
                .into_iter()
                .map(|r| TopCustomerRow {
                    customer_id: r.customer_id,
                    name: [r.first_name, r.last_name].into_iter().flatten().collect::<Vec<_>>().join(" "),
                    mobile: r.mobile,
                    tier: r.tier,
                    net_spend: r.net_spend,
                    invoices: r.invoices,
                })
                .collect(),
        })
    }
}

/// A report as one table: a header and rows, for CSV files.
pub trait ReportTable {
    fn table(&self) -> Vec<Vec<String>>;

    fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        for row in self.table() {
            w.write_record(row).expect("writing to memory");
        }
        w.into_inner().expect("writing to memory")
    }
}

fn cells<const N: usize>(values: [&dyn ToString; N]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

impl ReportTable for SalesReport {
    fn table(&self) -> Vec<Vec<String>> {
        let mut out = vec![header(&[
            "bucket",
            "from",
            "to",
            "sales",
            "refunds",
            "net_sales",
            "invoices",
            "customers_to_date",
            "average_clv",
        ])];
        out.extend(self.buckets.iter().map(|b| {
            cells([
                &b.bucket.label,
                &b.bucket.from,
                &b.bucket.to,
                &b.sales,
                &b.refunds,
                &b.net_sales,
                &b.invoices,
                &b.customers_to_date,
                &b.average_clv,
            ])
        }));
        out
    }
}

impl ReportTable for CustomersReport {
    fn table(&self) -> Vec<Vec<String>> {
        let mut out = vec![header(&[
            "bucket",
            "from",
            "to",
            "new_customers",
            "total_customers",
            "active_at_end",
            "retention_percent",
            "churn_percent",
        ])];
        out.extend(self.buckets.iter().map(|b| {
            cells([
                &b.bucket.label,
                &b.bucket.from,
                &b.bucket.to,
                &b.new_customers,
                &b.total_customers,
                &b.active_at_end,
                &b.retention.percent,
                &b.churn.percent,
            ])
        }));
        out
    }
}

impl ReportTable for EngagementReport {
    fn table(&self) -> Vec<Vec<String>> {
        let mut out = vec![header(&["type", "events", "customers"])];
        out.extend(self.by_type.iter().map(|e| cells([&e.event_type, &e.events, &e.customers])));
        out
    }
}

impl ReportTable for PointsTiersReport {
    fn table(&self) -> Vec<Vec<String>> {
        let mut out = vec![header(&["kind", "code", "name", "amount", "customers"])];
        out.extend(self.points.iter().map(|p| cells([&"points", &p.point_type, &p.name, &p.points, &p.customers])));
        out.extend(self.tiers.iter().map(|t| {
            let tier = t.tier.clone().unwrap_or_default();
            cells([&"tier", &tier, &tier, &t.customers, &t.customers])
        }));
        out
    }
}

impl ReportTable for TopCustomersReport {
    fn table(&self) -> Vec<Vec<String>> {
        let mut out = vec![header(&["rank", "customer_id", "name", "mobile", "tier", "net_spend", "invoices"])];
        out.extend(self.customers.iter().enumerate().map(|(i, c)| {
            let (mobile, tier) = (c.mobile.clone().unwrap_or_default(), c.tier.clone().unwrap_or_default());
            cells([&(i + 1), &c.customer_id, &c.name, &mobile, &tier, &c.net_spend, &c.invoices])
        }));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_give_mean_median_and_bins() {
        // Gaps of 3, 10 and 40 days, in hundredths of a day, one customer each.
        let t = gaps(&[(300, 1), (1000, 1), (4000, 1)]);
        assert_eq!((t.customers, t.mean_days, t.median_days), (3, 17.67, 10.0));
        assert_eq!(t.histogram.iter().map(|b| b.customers).collect::<Vec<_>>(), [1, 1, 0, 1, 0, 0, 0, 0]);
        assert_eq!(t.histogram.last().unwrap().to_days, None);
        // Two customers at 10 days: an even count's median is the mean of the middle two.
        let t = gaps(&[(300, 1), (1000, 2), (4000, 1)]);
        assert_eq!((t.customers, t.mean_days, t.median_days), (4, 15.75, 10.0));
        assert_eq!(t.histogram.iter().map(|b| b.customers).collect::<Vec<_>>(), [1, 2, 0, 1, 0, 0, 0, 0]);
        let t = gaps(&[(699, 1), (701, 1)]);
        assert_eq!((t.median_days, t.histogram[0].customers, t.histogram[1].customers), (7.0, 1, 1));
        assert_eq!(gaps(&[]).median_days, 0.0);
    }
}
