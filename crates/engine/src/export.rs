//! CSV export of customers and invoices, in the columns the importer reads.

use crate::{Engine, EngineError, Result, TenantContext};
use philia_store::customers::CustomerFilter;
use std::io::Write;

pub(crate) const CUSTOMER_HEADER: [&str; 16] = [
    "external_id",
    "external_source",
    "mobile",
    "email",
    "first_name",
    "last_name",
    "gender",
    "birth_date",
    "province",
    "city",
    "address_line",
    "postal_code",
    "tags",
    "interests",
    "sms_opt_in",
    "email_opt_in",
];

const INVOICE_HEADER: [&str; 19] = [
    "invoice_id",
    "source",
    "issued_at",
    "customer_external_id",
    "customer_mobile",
    "customer_email",
    "customer_name",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "line_discount",
    "branch",
    "channel",
    "status",
    "invoice_discount",
    "shipping",
    "total",
];

fn io(e: impl std::fmt::Display) -> EngineError {
    EngineError::Io(e.to_string())
}

fn yes_no(v: Option<bool>) -> String {
    v.map(|b| if b { "yes" } else { "no" }.to_string()).unwrap_or_default()
}

/// One customers-CSV record in the order of [`CUSTOMER_HEADER`]: the external id and its source,
/// the ten text fields from mobile to postal code, tags and interests, SMS and email consent.
pub(crate) fn customer_row(
    external: Option<(&str, &str)>,
    fields: [Option<String>; 10],
    (tags, interests): (&[String], &[String]),
    (sms, email): (Option<bool>, Option<bool>),
) -> Vec<String> {
    let mut row =
        vec![external.map(|e| e.0.to_string()).unwrap_or_default(), external.map(|e| e.1.to_string()).unwrap_or_default()];
    row.extend(fields.into_iter().map(Option::unwrap_or_default));
    row.extend([tags.join(";"), interests.join(";"), yes_no(sms), yes_no(email)]);
    row
}

impl Engine {
    /// Writes every (unmerged) customer; returns how many.
    pub async fn export_customers<W: Write + Send>(
        &self,
        ctx: &TenantContext,
        out: W,
        on_progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(CUSTOMER_HEADER).map_err(io)?;
        let mut after = None;
        let mut count = 0;
        loop {
            let ids = self.store.search_customer_ids(ctx.id, &CustomerFilter::default(), after, 1000).await?;
            let Some(last) = ids.last() else { break };
            after = Some(*last);
            for c in self.customers_by_ids(ctx, &ids).await? {
                let ext = c.external_ids.first();
                w.write_record(customer_row(
                    ext.map(|e| (e.id.as_str(), e.source.as_str())),
                    [
                        c.mobile,
                        c.email,
                        c.first_name,
                        c.last_name,
                        c.gender,
                        c.birth_date,
                        c.province,
                        c.city,
                        c.address_line,
                        c.postal_code,
                    ],
                    (&c.tags, &c.interests),
                    (c.sms_consent.opted_in, c.email_consent.opted_in),
                ))
                .map_err(io)?;
                count += 1;
            }
            on_progress(count);
        }
        w.flush().map_err(io)?;
        Ok(count)
    }

    /// Writes every invoice, one row per line; returns how many invoices.
    pub async fn export_invoices<W: Write + Send>(
        &self,
        ctx: &TenantContext,
        out: W,
        on_progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(INVOICE_HEADER).map_err(io)?;
        let mut cursor: Option<String> = None;
        let mut count = 0;
        loop {
            let page = self.list_invoices(ctx, None, cursor.as_deref(), 500).await?;
            let mut customer_ids: Vec<i64> = page.items.iter().filter_map(|i| i.customer_id).collect();
            customer_ids.sort_unstable();
            customer_ids.dedup();
            let customers: std::collections::HashMap<i64, philia_domain::records::Customer> =
                self.customers_by_ids(ctx, &customer_ids).await?.into_iter().map(|c| (c.id, c)).collect();
            for inv in &page.items {
                let c = inv.customer_id.and_then(|id| customers.get(&id));
                let ext = c.and_then(|c| c.external_ids.iter().find(|e| e.source == inv.source).or(c.external_ids.first()));
                let name =
                    c.map(|c| [c.first_name.clone(), c.last_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" "));
                for l in &inv.lines {
                    w.write_record([
                        inv.external_id.clone(),
                        inv.source.clone(),
                        inv.issued_at.clone(),
                        ext.map(|e| e.id.clone()).unwrap_or_default(),
                        c.and_then(|c| c.mobile.clone()).unwrap_or_default(),
                        c.and_then(|c| c.email.clone()).unwrap_or_default(),
                        name.clone().unwrap_or_default(),
                        l.sku.clone().unwrap_or_default(),
                        l.product_name.clone().unwrap_or_default(),
                        l.category.clone().unwrap_or_default(),
                        l.quantity.to_string(),
                        l.unit_price.to_string(),
                        l.discount.to_string(),
                        inv.branch.clone().unwrap_or_default(),
                        inv.channel.clone(),
                        inv.status.clone(),
                        inv.discount.to_string(),
                        inv.shipping.to_string(),
                        inv.total.to_string(),
                    ])
                    .map_err(io)?;
                }
                count += 1;
            }
            on_progress(count);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        w.flush().map_err(io)?;
        Ok(count)
    }
}

const CLV_HEADER: [&str; 12] = [
    "customer_id",
    "external_ids",
    "mobile",
    "frequency",
    "recency_days",
    "age_days",
    "average_spend",
    "probability_alive",
    "expected_purchases_30",
    "expected_purchases_90",
    "expected_purchases_365",
    "clv_12_months",
];

const RFM_HEADER: [&str; 12] = [
    "customer_id",
    "external_ids",
    "mobile",
    "recency_days",
    "frequency",
    "monetary",
    "r",
    "f",
    "m",
    "fm",
    "segment",
    "segment_fa",
];

impl Engine {
    /// Writes `rows` as CSV under `header`, each row's cells after the customer's id, external
    /// ids and mobile (read a thousand customers at a time).
    async fn write_customer_rows<W: Write + Send, R: Sync>(
        &self,
        ctx: &TenantContext,
        out: W,
        header: &[&str],
        rows: &[R],
        customer: impl Fn(&R) -> i64,
        cells: impl Fn(&R) -> Vec<String>,
        on_progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(header).map_err(io)?;
        let mut count = 0;
        for page in rows.chunks(1000) {
            let ids: Vec<i64> = page.iter().map(&customer).collect();
            let mut tx = self.store.begin_read().await?;
            let contacts = self.store.contact_keys(&mut tx, ctx.id, &ids).await?;
            drop(tx);
            for r in page {
                let id = customer(r);
                let (mobile, external) = contacts.get(&id).cloned().unwrap_or_default();
                let mut record = vec![id.to_string(), external, mobile.unwrap_or_default()];
                record.extend(cells(r));
                w.write_record(record).map_err(io)?;
            }
            count += page.len() as u64;
            on_progress(count);
        }
        w.flush().map_err(|e| EngineError::Io(e.to_string()))?;
        Ok(count)
    }

    /// The RFM table at `as_of` (default now), one row per customer in id order.
    pub async fn export_rfm<W: Write + Send>(
        &self,
        ctx: &TenantContext,
        as_of: Option<i64>,
        out: W,
        on_progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let table = self.rfm_table(ctx, as_of).await?;
        let cells = |r: &crate::rfm::RfmRow| {
            let s = r.scores;
            vec![
                r.figures.recency_days.to_string(),
                r.figures.frequency.to_string(),
                r.figures.monetary.to_string(),
                s.r.to_string(),
                s.f.to_string(),
                s.m.to_string(),
                s.fm.to_string(),
                r.segment.code().to_string(),
                r.segment.name_fa().to_string(),
            ]
        };
        self.write_customer_rows(ctx, out, &RFM_HEADER, &table.rows, |r| r.customer_id, cells, on_progress).await
    }

    /// Every customer's CLV predictions as CSV (mobile and external id beside the figures).
    pub async fn export_clv<W: Write + Send>(
        &self,
        ctx: &TenantContext,
        out: W,
        on_progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let rows = self.all_customer_clv(ctx).await?;
        let round = |v: f64| format!("{v:.4}");
        let cells = |r: &crate::clv::CustomerClv| {
            vec![
                r.frequency.to_string(),
                r.recency_days.to_string(),
                r.age_days.to_string(),
                format!("{:.0}", r.average_spend),
                round(r.probability_alive),
                round(r.expected_purchases_30),
                round(r.expected_purchases_90),
                round(r.expected_purchases_365),
                r.clv_12_months.map(|v| format!("{v:.0}")).unwrap_or_default(),
            ]
        };
        self.write_customer_rows(ctx, out, &CLV_HEADER, &rows, |r| r.customer_id, cells, on_progress).await
    }
}
