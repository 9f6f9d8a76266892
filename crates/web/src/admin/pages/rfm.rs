//! The RFM page (SPEC G4): customers per segment as a chart, and the customers of a segment with
//! their scores, last purchase, purchases, lifetime value and club sign-ins.

use super::customers::display_name;
use crate::AppState;
use crate::admin::charts::{self, Point};
use crate::admin::failure::PanelResult;
use crate::admin::layout::{self, Section};
use crate::admin::session::Staff;
use crate::admin::text::T;
use crate::admin::view::View;
use axum::extract::{Query, State};
use maud::{Markup, html};
use philia_domain::rfm::Segment;
use philia_domain::staff_auth::Lang;
use philia_engine::customers::CustomerFilter;
use serde::Deserialize;

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct RfmQuery {
    segment: Option<String>,
    cursor: Option<String>,
}

fn name(v: &View, s: Segment) -> &'static str {
    if v.lang == Lang::Fa { s.name_fa() } else { s.name_en() }
}

pub async fn page(State(state): State<AppState>, staff: Staff, Query(q): Query<RfmQuery>) -> PanelResult<Markup> {
    let v = staff.view();
    let ctx = staff.ctx();
    let cells = state.engine.rfm_by_tier(ctx).await?;
    let counts: Vec<(Segment, i64)> =
        Segment::ALL.iter().map(|&s| (s, cells.iter().filter(|c| c.segment == s.code()).map(|c| c.customers).sum())).collect();
    let points: Vec<Point> =
        counts.iter().map(|(s, n)| Point { label: name(&v, *s).to_string(), value: *n, shown: v.num(*n) }).collect();
    let chosen = q.segment.as_deref().and_then(Segment::parse).unwrap_or(Segment::ALL[0]);
    let filter = CustomerFilter { rfm_segment: Some(chosen.code().to_string()), ..CustomerFilter::default() };
    let page = state.engine.search_customers(ctx, None, filter, q.cursor.as_deref(), PAGE_SIZE).await?;
    let ids: Vec<i64> = page.items.iter().map(|c| c.id).collect();
    let scores = state.engine.rfm_scores_of(ctx, &ids).await?;
    let body = html! {
        section.card #rfm-chart {
            h2 { (v.t(T::RfmDistribution)) }
            (charts::bars(v.t(T::RfmDistribution), &points))
        }
        nav.period aria-label=(v.t(T::RfmSegment)) {
            @for (s, n) in &counts {
                a href=(format!("/admin/rfm?segment={}", s.code())) aria-current=[(*s == chosen).then_some("true")] {
                    (name(&v, *s)) " (" (v.num(*n)) ")"
                }
            }
        }
        div.card.table-wrap { table #rfm-customers {
            thead { tr {
                th { (v.t(T::Name)) } th { "R · F · M" } th { (v.t(T::LastPurchase)) } th.num { (v.t(T::Invoices)) }
                th.num { (v.t(T::Clv)) } th { (v.t(T::FirstLogin)) } th { (v.t(T::LastLogin)) }
            } }
            tbody { @for c in &page.items { tr {
                td { a href=(format!("/admin/customers/{}", c.id)) { (display_name(c)) } }
                td { @if let Some(s) = scores.get(&c.id) { (v.digits(format!("{} · {} · {}", s.r, s.f, s.m))) } }
                td { (c.stats.last_purchase_at.as_deref().map(|d| v.date(d)).unwrap_or_default()) }
                td.num { (v.num(c.stats.invoice_count)) }
                td.num { (v.money(c.stats.clv)) }
                td { (c.stats.first_login_at.as_deref().map(|d| v.date(d)).unwrap_or_default()) }
                td { (c.stats.last_login_at.as_deref().map(|d| v.date(d)).unwrap_or_default()) }
            } } }
        } }
        @if let Some(next) = &page.next_cursor {
            p { a rel="next" href=(format!("/admin/rfm?segment={}&cursor={next}", chosen.code())) { (v.t(T::NextPage)) } }
        }
    };
    Ok(layout::page(&v, Section::Segments, v.t(T::Rfm), body))
}
