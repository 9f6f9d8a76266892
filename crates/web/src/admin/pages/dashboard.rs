//! The dashboard (SPEC G1–G6): a period picker, sales and CLV over time, customer growth,
//! retention and churn, time between purchases, engagement, the RFM distribution, points by type,
//! customers per tier and the top customers.

use crate::AppState;
use crate::admin::charts::{self, Point};
use crate::admin::failure::PanelResult;
use crate::admin::layout::{self, Section};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::extract::{Query, State};
use maud::{Markup, html};
use philia_domain::reports::{Bucket, PeriodQuery};
use philia_domain::rfm::Segment;
use philia_domain::staff_auth::Lang;
use philia_engine::reports::DEFAULT_ACTIVITY_WINDOW;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct DashboardQuery {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

const PERIODS: [(&str, T); 6] = [
    ("7d", T::Last7),
    ("10d", T::Last10),
    ("14d", T::Last14),
    ("30d", T::Last30),
    ("month", T::ThisMonth),
    ("year", T::ThisYear),
];

fn period_picker(v: &View, q: &DashboardQuery) -> Markup {
    let custom = q.from.is_some() || q.to.is_some();
    let current = if custom { "custom" } else { q.period.as_deref().unwrap_or("30d") };
    html! {
        nav.period aria-label=(v.t(T::Period)) {
            @for (code, label) in PERIODS {
                a href=(format!("/admin?period={code}")) aria-current=[(code == current).then_some("true")] { (v.t(label)) }
            }
            details open[custom] {
                summary { (v.t(T::CustomRange)) }
                form.inline method="get" action="/admin" {
                    input type="hidden" name="period" value="custom";
                    label { (v.t(T::From)) " " input name="from" value=(q.from.as_deref().unwrap_or("")) placeholder=(v.t(T::DateHint)) size="12"; }
                    label { (v.t(T::To)) " " input name="to" value=(q.to.as_deref().unwrap_or("")) placeholder=(v.t(T::DateHint)) size="12"; }
                    button type="submit" { (v.t(T::Apply)) }
                }
            }
        }
    }
}

fn figure(label: &str, value: String) -> Markup {
    html! { div.figure { span.label { (label) } span.value { (value) } } }
}

fn bucket_label(v: &View, label: &str, from: &str) -> String {
    // Day buckets are labelled by their date; longer ones keep their calendar label.
    if label.len() == 10 { v.civil(from) } else { v.digits(label) }
}

/// One chart point per bucket of a report: its label, its value and the value as shown.
fn series<B>(v: &View, buckets: &[B], pick: impl Fn(&B) -> (&Bucket, i64), show: fn(&View, i64) -> String) -> Vec<Point> {
    buckets
        .iter()
        .map(|b| {
            let (bucket, value) = pick(b);
            Point { label: bucket_label(v, &bucket.label, &bucket.from), value, shown: show(v, value) }
        })
        .collect()
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<DashboardQuery>) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let e = &state.engine;
    let query = PeriodQuery { period: q.period.clone(), from: q.from.clone(), to: q.to.clone(), group: None };
    let period = match e.report_period(ctx, &query) {
        Ok(p) => p,
        Err(err) => {
            let failure = crate::admin::failure::PanelError::from(err).0;
            let text = if v.lang == Lang::Fa { failure.message_fa } else { failure.message_en };
            let body = html! { (period_picker(&v, &q)) (layout::notice(&text, true)) };
            return Ok(layout::page(&v, Section::Dashboard, v.t(T::Dashboard), body));
        }
    };
    let (sales, customers, engagement, points_tiers, top, rfm, tiers) = tokio::try_join!(
        e.sales_report(ctx, &period),
        e.customers_report(ctx, &period, DEFAULT_ACTIVITY_WINDOW),
        e.engagement_report(ctx, &period),
        e.points_tiers_report(ctx),
        e.top_customers_report(ctx, &period, 10),
        e.rfm_by_tier(ctx),
        e.tier_names(ctx),
    )?;
    let tier_name = |code: &str| tiers.iter().find(|t| t.0 == code).map(|t| t.1.clone()).unwrap_or(code.to_string());

    let sales_points = series(&v, &sales.buckets, |b| (&b.bucket, b.net_sales), View::money);
    let clv_points = series(&v, &sales.buckets, |b| (&b.bucket, b.average_clv), View::money);
    let growth = series(&v, &customers.buckets, |b| (&b.bucket, b.total_customers), View::num);
    let gaps: Vec<Point> = customers
        .time_between_purchases
        .histogram
        .iter()
        .map(|h| Point {
            label: match h.to_days {
                Some(to) => v.digits(format!("{}–{}", h.from_days, to)),
                None => v.digits(format!("{}+", h.from_days)),
            },
            value: h.customers,
            shown: v.num(h.customers),
        })
        .collect();
    let events = series(&v, &engagement.buckets, |b| (&b.bucket, b.events), View::num);
    let mut by_segment: Vec<(String, i64)> = Vec::new();
    for cell in &rfm {
        let name = Segment::parse(&cell.segment)
            .map(|s| if v.lang == Lang::Fa { s.name_fa() } else { s.name_en() }.to_string())
            .unwrap_or_else(|| cell.segment.clone());
        match by_segment.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += cell.customers,
            None => by_segment.push((name, cell.customers)),
        }
    }
    by_segment.sort_by_key(|s| std::cmp::Reverse(s.1));
    let rfm_points: Vec<Point> =
        by_segment.into_iter().map(|(label, value)| Point { label, value, shown: v.num(value) }).collect();
    let points_slices: Vec<Point> =
        points_tiers.points.iter().map(|p| Point { label: p.name.clone(), value: p.points, shown: v.num(p.points) }).collect();
    let tier_slices: Vec<Point> = points_tiers
        .tiers
        .iter()
        .map(|t| Point {
            label: t.tier.as_deref().map(tier_name).unwrap_or_else(|| v.t(T::NoTier).to_string()),
            value: t.customers,
            shown: v.num(t.customers),
        })
        .collect();
    let share = |p: f64| v.percent(p);
    let max_of = |pts: &[Point]| pts.iter().max_by_key(|p| p.value).map(|p| p.shown.clone()).unwrap_or_default();

    let body = html! {
        (period_picker(&v, &q))
        p.toolbar { a #till-report href="/admin/till-report" { (v.t(T::TillByCashier)) } }
        div.figures {
            (figure(v.t(T::NetSales), v.money(sales.net_sales)))
            (figure(v.t(T::Invoices), v.num(sales.invoices)))
            (figure(v.t(T::NewCustomers), v.num(customers.new_customers)))
            (figure(v.t(T::Retention), v.percent(customers.retention.percent)))
            (figure(v.t(T::Churn), v.percent(customers.churn.percent)))
            (figure(v.t(T::ActiveEngagers), v.num(engagement.active_engagers)))
        }
        div.grid {
            section.card #sales { h2 { (v.t(T::Sales)) } (charts::line(v.t(T::Sales), &sales_points, &max_of(&sales_points))) }
            section.card #clv { h2 { (v.t(T::AverageClv)) } (charts::line(v.t(T::AverageClv), &clv_points, &max_of(&clv_points))) }
            section.card #growth { h2 { (v.t(T::CustomersGrowth)) } (charts::line(v.t(T::CustomersGrowth), &growth, &max_of(&growth))) }
            section.card #gaps {
                h2 { (v.t(T::TimeBetweenPurchases)) }
                p.muted { (v.t(T::MedianDays)) ": " (v.decimal(customers.time_between_purchases.median_days))
                    " · " (v.t(T::MeanDays)) ": " (v.decimal(customers.time_between_purchases.mean_days)) }
                (charts::bars(v.t(T::TimeBetweenPurchases), &gaps))
            }
            section.card #engagement {
                h2 { (v.t(T::Engagement)) }
                p.muted { (v.t(T::Events)) ": " (v.num(engagement.events)) " · " (v.t(T::MissionParticipants)) ": " (v.num(engagement.mission_participants))
                    " · " (v.t(T::GameParticipants)) ": " (v.num(engagement.game_participants)) " · " (v.t(T::RewardsClaimed)) ": " (v.num(engagement.rewards_claimed)) }
                (charts::line(v.t(T::Engagement), &events, &max_of(&events)))
            }
            section.card #rfm {
                h2 { (v.t(T::RfmDistribution)) }
                @if rfm_points.is_empty() { p.muted { (v.t(T::NoData)) } } @else { (charts::pie(v.t(T::RfmDistribution), &rfm_points, share)) }
            }
            section.card #points {
                h2 { (v.t(T::PointsByType)) }
                @if points_slices.is_empty() { p.muted { (v.t(T::NoData)) } } @else { (charts::pie(v.t(T::PointsByType), &points_slices, share)) }
            }
            section.card #tiers {
                h2 { (v.t(T::CustomersPerTier)) }
                @if tier_slices.is_empty() { p.muted { (v.t(T::NoData)) } } @else { (charts::pie(v.t(T::CustomersPerTier), &tier_slices, share)) }
            }
        }
        section.card #top {
            h2 { (v.t(T::TopCustomers)) }
            div.table-wrap { table {
                thead { tr { th { (v.t(T::Name)) } th { (v.t(T::Mobile)) } th { (v.t(T::Tier)) } th.num { (v.t(T::Invoices)) } th.num { (v.t(T::NetSpend)) } } }
                tbody {
                    @for c in &top.customers {
                        tr {
                            td { a href=(format!("/admin/customers/{}", c.customer_id)) { (c.name) } }
                            td dir="ltr" { (c.mobile.as_deref().map(|m| v.mobile(m)).unwrap_or_default()) }
                            td { (c.tier.as_deref().map(tier_name).unwrap_or_default()) }
                            td.num { (v.num(c.invoices)) }
                            td.num { (v.money(c.net_spend)) }
                        }
                    }
                }
            } }
        }
    };
    Ok(layout::page(&v, Section::Dashboard, v.t(T::Dashboard), body))
}
