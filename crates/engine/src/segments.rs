//! Dynamic segments (SPEC B2, B4, B6): definitions, live counts and members, CSV export, and the
//! stored membership whose changes raise `segment_entered` / `segment_left` events.
//!
//! Counts and member lists are always evaluated live against the current data, so they are exact.
//! The stored membership exists for the events: it is filled when a segment is created or its
//! rule changes (no events: nobody moved), and re-evaluated daily so time windows age out, each
//! change raising an event for automations.

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::event::ValidEvent;
use philia_domain::invoice::CustomerRef;
use philia_domain::segments::{Segment, SegmentInput, parse_rule};
use philia_store::Conn;
use philia_store::segment_sql::Clock;
use philia_store::segments::SegmentRow;
use serde::Serialize;
use std::io::Write;

const MEMBER_HEADER: [&str; 3] = ["customer_id", "external_ids", "mobile"];

pub const SEGMENT_ENTERED: &str = "segment_entered";
pub const SEGMENT_LEFT: &str = "segment_left";

/// Customers evaluated per transaction when the stored membership is refreshed.
const MEMBERSHIP_CHUNK: i64 = 5000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentRecord {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    #[schema(value_type = Object)]
    pub rule: serde_json::Value,
    /// Members at the last stored evaluation (`evaluated_at`); the live count is on `/count`.
    pub members: i64,
    pub evaluated_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn record(r: SegmentRow) -> SegmentRecord {
    let ts = |ms: i64| philia_domain::calendar::from_millis(ms).to_string();
    SegmentRecord {
        id: r.id,
        code: r.code,
        name: r.name,
        description: r.description,
        rule: serde_json::from_str(&r.rule).unwrap_or(serde_json::Value::Null),
        members: r.members,
        evaluated_at: r.evaluated_at.map(ts),
        created_at: ts(r.created_at),
        updated_at: ts(r.updated_at),
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryShare {
    pub category: String,
    /// Members who bought in the category.
    pub customers: i64,
    pub spend: i64,
    pub lines: i64,
}

/// What a segment's members buy (SPEC B5), evaluated live.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SegmentAnalysis {
    pub members: i64,
    pub net_spend: i64,
    pub invoices: i64,
    /// Net spend over invoices, rounded down.
    pub average_order_value: i64,
    /// Invoices per member, two decimals.
    pub purchase_frequency: f64,
    /// The ten categories with the most spend.
    pub top_categories: Vec<CategoryShare>,
    /// The ten products with the most spend.
    pub top_products: Vec<ProductShare>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductShare {
    /// The SKU, or the product's name for lines without one.
    pub product: String,
    pub name: Option<String>,
    /// Members who bought it.
    pub customers: i64,
    /// Line totals of members' sales not refunded in full.
    pub spend: i64,
    /// Units sold (three decimals for weighed goods).
    pub quantity: f64,
}

/// Customers per RFM segment and tier (SPEC B6).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RfmTierCell {
    pub segment: String,
    pub tier: Option<String>,
    pub customers: i64,
}

/// A stored segment with its rule parsed; a rule that no longer parses is a storage fault, since
/// every rule was checked when it was saved.
fn stored_segment(row: &SegmentRow) -> Result<Segment> {
    let fault = |e: String| EngineError::Io(format!("segment {}: {e}", row.code));
    let rule = serde_json::from_str(&row.rule).map_err(|e| fault(e.to_string()))?;
    let parsed = parse_rule(&rule).map_err(|e| fault(e.to_string()))?;
    Ok(Segment { code: row.code.clone(), name: row.name.clone(), description: row.description.clone(), rule: parsed })
}

fn not_found() -> EngineError {
    EngineError::NotFound("segment")
}

/// What staff define of a segment, as the audit log keeps it.
fn definition(row: &SegmentRow) -> serde_json::Value {
    serde_json::json!({ "name": row.name, "description": row.description, "rule": crate::audit::stored(&row.rule) })
}

impl Engine {
    pub(crate) fn clock(&self, ctx: &TenantContext) -> Clock {
        let now = jiff::Timestamp::now();
        Clock {
            now_ms: now.as_millisecond(),
            today: philia_domain::calendar::local_day(now, &ctx.zone),
            zone: ctx.zone.clone(),
            backend: self.store.backend(),
        }
    }

    pub(crate) async fn segment_row(&self, conn: &mut Conn, ctx: &TenantContext, code: &str) -> Result<(SegmentRow, Segment)> {
        let row = self.store.segment_by_code(conn, ctx.id, code).await?.ok_or_else(not_found)?;
        let segment = stored_segment(&row)?;
        Ok((row, segment))
    }

    pub async fn create_segment(&self, ctx: &TenantContext, input: &SegmentInput) -> Result<SegmentRecord> {
        let s = input.parse()?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        if self.store.segment_by_code(&mut tx, ctx.id, &s.code).await?.is_some() {
            return Err(EngineError::conflict("segment_exists", "a segment with this code exists", "بخشی با این کد وجود دارد"));
        }
        let id = self.store.allocate_ids(&mut tx, 1).await?[0];
        let row = SegmentRow {
            id,
            code: s.code.clone(),
            name: s.name,
            description: s.description,
            rule: s.rule.to_json().to_string(),
            members: 0,
            evaluated_at: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_segment(&mut tx, ctx.id, &row).await?;
        self.audit_in(&mut tx, ctx, "segment.create", "segment", &row.code, crate::audit::NOTHING, Some(&definition(&row)))
            .await?;
        philia_store::commit(tx).await?;
        self.refresh_membership(ctx, &s.code, false).await?;
        self.segment(ctx, &s.code).await
    }

    /// Replaces a segment's name, description and rule (the code stays) and stores its members
    /// anew.
    pub async fn update_segment(&self, ctx: &TenantContext, code: &str, input: &SegmentInput) -> Result<SegmentRecord> {
        let s = input.parse()?;
        if s.code != code {
            return Err(EngineError::field(
                philia_domain::Issue::new("immutable", "the code of a segment cannot change", "کد بخش قابل تغییر نیست")
                    .at("code"),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        let (mut row, _) = self.segment_row(&mut tx, ctx, code).await?;
        let was = definition(&row);
        row.name = s.name;
        row.description = s.description;
        row.rule = s.rule.to_json().to_string();
        row.updated_at = now_ms();
        self.store.update_segment(&mut tx, ctx.id, &row).await?;
        self.audit_in(&mut tx, ctx, "segment.update", "segment", code, Some(&was), Some(&definition(&row))).await?;
        philia_store::commit(tx).await?;
        self.refresh_membership(ctx, code, false).await?;
        self.segment(ctx, code).await
    }

    pub async fn delete_segment(&self, ctx: &TenantContext, code: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let (row, _) = self.segment_row(&mut tx, ctx, code).await?;
        self.store.delete_segment(&mut tx, ctx.id, row.id).await?;
        self.audit_in(&mut tx, ctx, "segment.delete", "segment", code, Some(&definition(&row)), crate::audit::NOTHING).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    pub async fn segment(&self, ctx: &TenantContext, code: &str) -> Result<SegmentRecord> {
        let mut tx = self.store.begin_read().await?;
        Ok(record(self.segment_row(&mut tx, ctx, code).await?.0))
    }

    pub async fn segments(&self, ctx: &TenantContext) -> Result<Vec<SegmentRecord>> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.store.segments(&mut tx, ctx.id).await?.into_iter().map(record).collect())
    }

    /// How many customers a rule matches now (the live count while a rule is edited).
    pub async fn preview_segment(&self, ctx: &TenantContext, rule: &serde_json::Value) -> Result<i64> {
        let rule = parse_rule(rule)
            .map_err(|e| EngineError::Invalid(philia_domain::Invalid(e.0.into_iter().map(|f| f.within("rule")).collect())))?;
        let mut tx = self.store.begin_read().await?;
        Ok(self.store.count_matching(&mut tx, ctx.id, &rule, &self.clock(ctx)).await?)
    }

    /// The live count of a stored segment.
    pub async fn segment_count(&self, ctx: &TenantContext, code: &str) -> Result<i64> {
        let mut tx = self.store.begin_read().await?;
        let (_, s) = self.segment_row(&mut tx, ctx, code).await?;
        Ok(self.store.count_matching(&mut tx, ctx.id, &s.rule, &self.clock(ctx)).await?)
    }

    /// Live members by customer id after `after`.
    pub async fn segment_members(&self, ctx: &TenantContext, code: &str, after: i64, limit: i64) -> Result<Vec<i64>> {
        let mut tx = self.store.begin_read().await?;
        let (_, s) = self.segment_row(&mut tx, ctx, code).await?;
        Ok(self.store.matching_ids(&mut tx, ctx.id, &s.rule, &self.clock(ctx), after, Some(limit.clamp(1, 1000))).await?)
    }

    pub async fn segment_analysis(&self, ctx: &TenantContext, code: &str) -> Result<SegmentAnalysis> {
        let mut tx = self.store.begin_read().await?;
        let (_, s) = self.segment_row(&mut tx, ctx, code).await?;
        let f = self.store.segment_analysis(&mut tx, ctx.id, &s.rule, &self.clock(ctx)).await?;
        Ok(SegmentAnalysis {
            members: f.members,
            net_spend: f.net_spend,
            invoices: f.invoices,
            average_order_value: if f.invoices == 0 { 0 } else { f.net_spend / f.invoices },
            purchase_frequency: if f.members == 0 { 0.0 } else { (f.invoices as f64 * 100.0 / f.members as f64).round() / 100.0 },
            top_categories: f
                .categories
                .into_iter()
                .map(|(category, customers, spend, lines)| CategoryShare { category, customers, spend, lines })
                .collect(),
            top_products: f
                .products
                .into_iter()
                .map(|(product, name, customers, spend, milli)| ProductShare {
                    product,
                    name,
                    customers,
                    spend,
                    quantity: milli as f64 / 1000.0,
                })
                .collect(),
        })
    }

    /// Live customers per stored RFM segment and tier, in segment order.
    pub async fn rfm_by_tier(&self, ctx: &TenantContext) -> Result<Vec<RfmTierCell>> {
        let mut tx = self.store.begin_read().await?;
        let mut cells: Vec<RfmTierCell> = self
            .store
            .customer_counts(&mut tx, ctx.id)
            .await?
            .into_iter()
            .filter_map(|c| Some(RfmTierCell { segment: c.rfm_segment?, tier: c.tier, customers: c.customers }))
            .collect();
        cells.sort_by(|a, b| (&a.segment, &a.tier).cmp(&(&b.segment, &b.tier)));
        Ok(cells)
    }

    /// Every live member: customer id, external ids, mobile.
    async fn member_rows(&self, ctx: &TenantContext, code: &str) -> Result<Vec<[String; 3]>> {
        let ids = {
            let mut tx = self.store.begin_read().await?;
            let (_, s) = self.segment_row(&mut tx, ctx, code).await?;
            self.store.matching_ids(&mut tx, ctx.id, &s.rule, &self.clock(ctx), i64::MIN, None).await?
        };
        let mut rows = Vec::with_capacity(ids.len());
        for page in ids.chunks(1000) {
            let mut tx = self.store.begin_read().await?;
            let contacts = self.store.contact_keys(&mut tx, ctx.id, page).await?;
            drop(tx);
            for id in page {
                let (mobile, external) = contacts.get(id).cloned().unwrap_or_default();
                rows.push([id.to_string(), external, mobile.unwrap_or_default()]);
            }
        }
        Ok(rows)
    }

    /// Every live member as CSV.
    pub async fn export_segment<W: Write + Send>(&self, ctx: &TenantContext, code: &str, out: W) -> Result<u64> {
        let rows = self.member_rows(ctx, code).await?;
        let io = |e: csv::Error| EngineError::Io(e.to_string());
        let mut w = csv::Writer::from_writer(out);
        w.write_record(MEMBER_HEADER).map_err(io)?;
        for r in &rows {
            w.write_record(r).map_err(io)?;
        }
        w.flush().map_err(|e| EngineError::Io(e.to_string()))?;
        Ok(rows.len() as u64)
    }

    /// Every live member as an Excel workbook (one sheet, ids as numbers).
    pub async fn export_segment_xlsx(&self, ctx: &TenantContext, code: &str) -> Result<Vec<u8>> {
        let rows = self.member_rows(ctx, code).await?;
        let xlsx = |e: rust_xlsxwriter::XlsxError| EngineError::Io(e.to_string());
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.set_name(code.chars().take(31).collect::<String>()).map_err(xlsx)?;
        for (c, h) in MEMBER_HEADER.iter().enumerate() {
            sheet.write_string(0, c as u16, *h).map_err(xlsx)?;
        }
        for (n, r) in rows.iter().enumerate() {
            let row = n as u32 + 1;
            sheet.write_number(row, 0, r[0].parse::<f64>().unwrap_or_default()).map_err(xlsx)?;
            sheet.write_string(row, 1, &r[1]).map_err(xlsx)?;
            sheet.write_string(row, 2, &r[2]).map_err(xlsx)?;
        }
        book.save_to_buffer().map_err(xlsx)
    }

    /// Re-evaluates a segment's stored membership over every live customer, a chunk of customers
    /// per transaction; with `events`, each entry and exit raises an event.
    pub async fn refresh_membership(&self, ctx: &TenantContext, code: &str, events: bool) -> Result<(i64, i64)> {
        let (row, s) = {
            let mut tx = self.store.begin_read().await?;
            self.segment_row(&mut tx, ctx, code).await?
        };
        let (mut entered_total, mut left_total) = (0, 0);
        let mut after = i64::MIN;
        loop {
            let ids = self.store.customer_ids_after(ctx.id, after, MEMBERSHIP_CHUNK).await?;
            let Some(&last) = ids.last() else { break };
            let (entered, left) = in_write_tx!(self, |conn| self.membership_in(conn, ctx, &row, &s, &ids, events).await)?;
            entered_total += entered;
            left_total += left;
            after = last;
        }
        // Members merged away since the last pass are no longer customers.
        in_write_tx!(self, |conn| self.drop_merged_members(conn, ctx, row.id).await)?;
        Ok((entered_total, left_total))
    }

    async fn membership_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        row: &SegmentRow,
        s: &Segment,
        ids: &[i64],
        events: bool,
    ) -> Result<(i64, i64)> {
        let now = now_ms();
        let matching = self.store.matching_among(conn, ctx.id, &s.rule, &self.clock(ctx), ids).await?;
        let stored = self.store.stored_members_among(conn, ctx.id, row.id, ids).await?;
        let mut entered: Vec<i64> = matching.difference(&stored).copied().collect();
        let mut left: Vec<i64> = stored.difference(&matching).copied().collect();
        entered.sort_unstable();
        left.sort_unstable();
        if entered.is_empty() && left.is_empty() {
            return Ok((0, 0));
        }
        self.store.change_members(conn, ctx.id, row.id, &entered, &left, now).await?;
        if events {
            let event_ids = self.store.allocate_ids(conn, entered.len() + left.len()).await?;
            let moves = entered.iter().map(|c| (*c, SEGMENT_ENTERED)).chain(left.iter().map(|c| (*c, SEGMENT_LEFT)));
            let parsed: Vec<_> = moves
                .zip(event_ids)
                .map(|((customer, kind), id)| {
                    Ok(ValidEvent {
                        event_key: Some(format!("{kind}:{id}")),
                        event_type: kind.into(),
                        occurred_at: jiff::Timestamp::from_millisecond(now).expect("now is valid"),
                        source: "philia".into(),
                        customer: Some(CustomerRef::by_id(customer)),
                        properties: serde_json::json!({"segment": row.code}).to_string(),
                    })
                })
                .collect();
            self.write_events_in(conn, ctx, &parsed).await?;
        }
        Ok((entered.len() as i64, left.len() as i64))
    }

    async fn drop_merged_members(&self, conn: &mut Conn, ctx: &TenantContext, segment_id: i64) -> Result<()> {
        let mut after = i64::MIN;
        loop {
            let members = self.store.segment_member_ids(conn, ctx.id, segment_id, after, MEMBERSHIP_CHUNK).await?;
            let Some(&last) = members.last() else { break };
            let live: std::collections::HashSet<i64> = self.store.live_customers_among(conn, ctx.id, &members).await?;
            let gone: Vec<i64> = members.into_iter().filter(|m| !live.contains(m)).collect();
            if !gone.is_empty() {
                self.store.change_members(conn, ctx.id, segment_id, &[], &gone, now_ms()).await?;
            }
            after = last;
        }
        Ok(())
    }

    /// Re-evaluates every segment for `customers` inside the caller's transaction (after their
    /// purchases, refunds, events or profile changes), raising an event for each entry and exit.
    pub(crate) async fn segments_in(&self, conn: &mut Conn, ctx: &TenantContext, customers: &[i64]) -> Result<()> {
        if customers.is_empty() {
            return Ok(());
        }
        for row in self.store.segments(conn, ctx.id).await? {
            let s = stored_segment(&row)?;
            self.membership_in(conn, ctx, &row, &s, customers, true).await?;
        }
        Ok(())
    }

    /// The daily pass: every segment of the tenant re-evaluated, entries and exits as events.
    pub async fn refresh_all_segments(&self, ctx: &TenantContext) -> Result<(i64, i64)> {
        let (mut entered, mut left) = (0, 0);
        for s in self.segments(ctx).await? {
            let (e, l) = self.refresh_membership(ctx, &s.code, true).await?;
            entered += e;
            left += l;
        }
        Ok((entered, left))
    }
}
