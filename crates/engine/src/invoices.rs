//! Recording invoices and refunds, with every rollup they change, in one transaction.

use crate::earning::invoice_facts_of;
use crate::earning::{Earner, EarnerFacts};
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::calendar::local_day;
use philia_domain::earning::Trigger;
use philia_domain::earning::{CustomerFacts, InvoiceFacts};
use philia_domain::invoice::{InvoiceInput, InvoiceStatus, MAX_BATCH, RefundInput, ValidInvoice};
use philia_domain::missions::{FactKind, MissionFact};
use philia_domain::records::{Invoice, Refund};
use philia_domain::rollup::DailyDeltas;
use philia_domain::tiers::Evaluation;
use philia_domain::{FieldError, Issue};
use philia_store::Conn;
use philia_store::invoices::{InvoiceRow, LineRow, RefundRow};
use philia_store::rollups::{CategoryDelta, PurchaseDelta};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The outcome of one record of a batch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct ItemResult {
    pub index: usize,
    /// `created`; `duplicate` (already recorded with the same content: nothing changed);
    /// `conflict` (already recorded with different content: nothing changed); `invalid`.
    pub status: String,
    pub id: Option<i64>,
    pub customer_id: Option<i64>,
    pub errors: Vec<FieldError>,
}

impl ItemResult {
    fn new(index: usize, status: &str, id: Option<i64>, customer_id: Option<i64>, errors: Vec<FieldError>) -> Self {
        ItemResult { index, status: status.into(), id, customer_id, errors }
    }
}

/// Totals of a batch, for responses and progress reports.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema, PartialEq)]
pub struct BatchSummary {
    pub created: usize,
    pub duplicate: usize,
    pub conflict: usize,
    pub invalid: usize,
}

impl BatchSummary {
    pub fn of(items: &[ItemResult]) -> Self {
        let mut s = BatchSummary::default();
        for i in items {
            match i.status.as_str() {
                "created" => s.created += 1,
                "duplicate" => s.duplicate += 1,
                "conflict" => s.conflict += 1,
                _ => s.invalid += 1,
            }
        }
        s
    }
}

pub(crate) fn too_many(len: usize) -> EngineError {
    EngineError::field(
        Issue::new(
            "too_many",
            format!("a batch holds at most {MAX_BATCH} items, this one {len}"),
            format!("هر دسته حداکثر {MAX_BATCH} مورد"),
        )
        .at("items"),
    )
}

impl Engine {
    /// Records one invoice; one that carries checkout fields has them applied atomically.
    pub async fn record_invoice(&self, ctx: &TenantContext, input: &InvoiceInput) -> Result<ItemResult> {
        match input.checkout {
            Some(_) => self.checkout_invoice(ctx, input).await,
            None => Ok(self.record_invoices(ctx, std::slice::from_ref(input)).await?.remove(0)),
        }
    }

    /// Records invoices (one or a batch of up to 10,000). Each is idempotent on source +
    /// external id; invalid ones are reported with their fields and the valid ones recorded.
    pub async fn record_invoices(&self, ctx: &TenantContext, inputs: &[InvoiceInput]) -> Result<Vec<ItemResult>> {
        if inputs.len() > MAX_BATCH {
            return Err(too_many(inputs.len()));
        }
        let parsed: Vec<std::result::Result<ValidInvoice, Vec<FieldError>>> = inputs
            .iter()
            .map(|i| match i.checkout {
                Some(_) => Err(vec![crate::checkout::checkout_in_batch()]),
                None => i.parse(&ctx.zone, &ctx.currency).map_err(|e| e.0),
            })
            .collect();
        self.record_valid_invoices(ctx, parsed).await
    }

    /// Records already parsed invoices (the importer parses its own rows).
    pub async fn record_valid_invoices(
        &self,
        ctx: &TenantContext,
        parsed: Vec<std::result::Result<ValidInvoice, Vec<FieldError>>>,
    ) -> Result<Vec<ItemResult>> {
        in_write_tx!(self, |conn| self.record_invoices_in(conn, ctx, &parsed).await)
    }

    pub(crate) async fn record_invoices_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        parsed: &[std::result::Result<ValidInvoice, Vec<FieldError>>],
    ) -> Result<Vec<ItemResult>> {
        let now = now_ms();
        let mut results: Vec<Option<ItemResult>> = vec![None; parsed.len()];
        // Later copies of a key within the batch are duplicates of the first.
        let mut first_of: HashMap<(&str, &str), usize> = HashMap::new();
        let mut fresh: Vec<usize> = Vec::new();
        for (i, p) in parsed.iter().enumerate() {
            match p {
                Err(errors) => results[i] = Some(ItemResult::new(i, "invalid", None, None, errors.clone())),
                Ok(inv) => {
                    let first = *first_of.entry((&inv.source, &inv.external_id)).or_insert(i);
                    if first == i {
                        fresh.push(i);
                    }
                }
            }
        }
        let valid = |i: usize| parsed[i].as_ref().expect("only valid invoices are indexed");
        let keys: Vec<(String, String)> =
            fresh.iter().map(|&i| (valid(i).source.clone(), valid(i).external_id.clone())).collect();
        let existing = self.store.existing_invoices(conn, ctx.id, &keys).await?;
        fresh.retain(|&i| {
            let inv = valid(i);
            match existing.get(&(inv.source.clone(), inv.external_id.clone())) {
                Some((id, fp)) => {
                    let status = if *fp == inv.fingerprint() { "duplicate" } else { "conflict" };
                    results[i] = Some(ItemResult::new(i, status, Some(*id), None, vec![]));
                    false
                }
                None => true,
            }
        });

        let refs: Vec<Option<&philia_domain::invoice::CustomerRef>> = fresh.iter().map(|&i| valid(i).customer.as_ref()).collect();
        let source = fresh.first().map(|&i| valid(i).source.clone()).unwrap_or_else(|| "api".into());
        let resolved = self.resolve_customers(conn, ctx, &refs, &source, now).await?;
        let mut accepted: Vec<(usize, Option<i64>)> = Vec::with_capacity(fresh.len());
        for (&i, r) in fresh.iter().zip(resolved) {
            match r {
                Ok(customer) => accepted.push((i, customer)),
                Err(e) => results[i] = Some(ItemResult::new(i, "invalid", None, None, vec![e])),
            }
        }

        // Lines without a category take their product's category from the catalogue.
        let skus: BTreeSet<String> = accepted
            .iter()
            .flat_map(|(i, _)| valid(*i).lines.iter())
            .filter(|l| l.category.is_none())
            .filter_map(|l| l.sku.clone())
            .collect();
        let categories = self.store.product_categories(conn, ctx.id, skus.into_iter().collect()).await?;

        let ids = self.store.allocate_ids(conn, accepted.len()).await?;
        let mut rows = Vec::with_capacity(accepted.len());
        let mut lines = Vec::new();
        let mut days = Vec::with_capacity(accepted.len());
        for ((i, customer), id) in accepted.iter().zip(&ids) {
            let inv = valid(*i);
            let day = local_day(inv.issued_at, &ctx.zone).to_string();
            for (n, l) in inv.lines.iter().enumerate() {
                lines.push(LineRow {
                    invoice_id: *id,
                    line_no: n as i64,
                    sku: l.sku.clone(),
                    product_name: l.product_name.clone(),
                    category: l.category.clone().or_else(|| l.sku.as_ref().and_then(|s| categories.get(s).cloned())),
                    quantity_milli: l.quantity.milli(),
                    unit_price: l.unit_price,
                    discount: l.discount,
                    total: l.total,
                });
            }
            rows.push(InvoiceRow {
                id: *id,
                source: inv.source.clone(),
                external_id: inv.external_id.clone(),
                fingerprint: inv.fingerprint(),
                customer_id: *customer,
                issued_at: inv.issued_at.as_millisecond(),
                day: day.clone(),
                channel: inv.channel.as_str(),
                branch_code: inv.branch.clone(),
                status: inv.status.as_str(),
                subtotal: inv.subtotal,
                discount: inv.recorded_discount(),
                shipping: inv.shipping,
                total: inv.charged(),
                created_at: now,
            });
            days.push(day);
        }
        let inserted = self.store.insert_invoices(conn, ctx.id, rows).await?;
        if inserted != ids.len() as u64 {
            // A concurrent request recorded one of these keys first: start over to see it.
            return Err(EngineError::Race);
        }
        self.store.insert_invoice_lines(conn, ctx.id, lines).await?;

        // Rollups: sales for every completed invoice; customer statistics under lock.
        let mut deltas = DailyDeltas::default();
        let mut by_customer: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (n, (i, customer)) in accepted.iter().enumerate() {
            let inv = valid(*i);
            results[*i] = Some(ItemResult::new(*i, "created", Some(ids[n]), *customer, vec![]));
            if inv.status != InvoiceStatus::Completed {
                continue;
            }
            let d = deltas.day(&days[n]);
            d.sales += inv.charged();
            d.invoices += 1;
            if customer.is_some() {
                d.customer_sales += inv.charged();
            }
            if let Some(c) = customer {
                by_customer.entry(*c).or_default().push(n);
            }
        }
        let customer_ids: Vec<i64> = by_customer.keys().copied().collect();
        let firsts = self.store.lock_first_purchases(conn, ctx.id, &customer_ids).await?;
        let mut category_deltas: BTreeMap<(i64, String), CategoryDelta> = BTreeMap::new();
        let mut day_marks = Vec::new();
        let mut purchases = Vec::with_capacity(by_customer.len());
        for (customer, invoices) in &by_customer {
            let mut delta = PurchaseDelta {
                customer_id: *customer,
                first_at: i64::MAX,
                first_day: String::new(),
                last_at: i64::MIN,
                invoices: 0,
                gross: 0,
            };
            for &n in invoices {
                let inv = valid(accepted[n].0);
                let at = inv.issued_at.as_millisecond();
                if at < delta.first_at {
                    delta.first_at = at;
                    delta.first_day.clone_from(&days[n]);
                }
                delta.last_at = delta.last_at.max(at);
                delta.invoices += 1;
                delta.gross += inv.charged();
                day_marks.push((*customer, days[n].clone()));
                for l in &inv.lines {
                    let Some(category) = l.category.clone().or_else(|| l.sku.as_ref().and_then(|s| categories.get(s).cloned()))
                    else {
                        continue;
                    };
                    let entry = category_deltas.entry((*customer, category.clone())).or_insert_with(|| CategoryDelta {
                        customer_id: *customer,
                        category,
                        lines: 0,
                        quantity_milli: 0,
                        spend: 0,
                    });
                    entry.lines += 1;
                    entry.quantity_milli += l.quantity.milli();
                    entry.spend += l.total;
                }
            }
            // The first purchase moves only to an earlier instant (ties keep the one recorded first).
            match firsts.get(customer) {
                None => deltas.move_first_purchase(None, Some(&delta.first_day)),
                Some((at, day, _)) if delta.first_at < *at => deltas.move_first_purchase(Some(day), Some(&delta.first_day)),
                Some(_) => {}
            }
            purchases.push(delta);
        }
        self.store.add_purchases(conn, ctx.id, purchases).await?;
        self.store.add_category_stats(conn, ctx.id, category_deltas.into_values().collect()).await?;
        day_marks.sort();
        day_marks.dedup();
        for day in self.store.mark_customer_days(conn, ctx.id, day_marks).await? {
            deltas.day(&day).active_customers += 1;
        }
        self.store.apply_daily_deltas(conn, ctx.id, &deltas).await?;

        // Points: completed invoices of known customers, in batch order.
        let earning: Vec<(usize, i64)> = accepted
            .iter()
            .enumerate()
            .filter(|(_, (i, _))| valid(*i).status == InvoiceStatus::Completed)
            .filter_map(|(n, (_, c))| c.map(|c| (n, c)))
            .collect();
        if let (Some(from), Some(to)) = (
            earning.iter().map(|(n, _)| valid(accepted[*n].0).issued_at.as_millisecond()).min(),
            earning.iter().map(|(n, _)| valid(accepted[*n].0).issued_at.as_millisecond()).max(),
        ) {
            let set = self.rule_set(conn, ctx, Trigger::Invoice, from, to).await?;
            if !set.is_empty() {
                let previous: HashMap<i64, i64> = firsts.iter().map(|(c, (_, _, n))| (*c, *n)).collect();
                let customers = self.customer_facts(conn, ctx, &set, &customer_ids, &previous).await?;
                let earners = earning
                    .iter()
                    .map(|&(n, customer_id)| {
                        let inv = valid(accepted[n].0);
                        let line_categories = inv
                            .lines
                            .iter()
                            .map(|l| l.category.clone().or_else(|| l.sku.as_ref().and_then(|s| categories.get(s).cloned())))
                            .collect();
                        Earner {
                            source_kind: "invoice",
                            source_id: ids[n],
                            customer_id,
                            at: inv.issued_at,
                            facts: EarnerFacts::Invoice(inv, line_categories),
                        }
                    })
                    .collect();
                self.earn(conn, ctx, &set, earners, customers, now).await?;
            }
        }
        self.evaluate_tiers_in(conn, ctx, &customer_ids, Evaluation::AfterPurchase, "purchase", now).await?;
        // Cashback at the rate of the tier the purchase reached.
        let cashback: Vec<_> = earning
            .iter()
            .map(|&(n, customer_id)| {
                let inv = valid(accepted[n].0);
                let line_categories = inv
                    .lines
                    .iter()
                    .map(|l| l.category.clone().or_else(|| l.sku.as_ref().and_then(|s| categories.get(s).cloned())))
                    .collect();
                (ids[n], customer_id, inv, line_categories)
            })
            .collect();
        self.credit_cashback(conn, ctx, &cashback, now).await?;
        let purchases: Vec<(i64, i64, &ValidInvoice)> = earning.iter().map(|&(n, c)| (ids[n], c, valid(accepted[n].0))).collect();
        let referred = self.settle_referrals(conn, ctx, &purchases, now).await?;
        let missions = self.active_missions(conn, ctx).await?;
        if !missions.is_empty() {
            let facts: Vec<(i64, InvoiceFacts)> = cashback
                .iter()
                .map(|(_, c, inv, categories)| {
                    let local = inv.issued_at.to_zoned(ctx.zone.clone()).datetime();
                    (*c, invoice_facts_of(inv, categories, local, CustomerFacts::default()))
                })
                .collect();
            let mut mission_facts: Vec<(i64, MissionFact<'_>)> = facts
                .iter()
                .zip(&cashback)
                .map(|((c, f), (invoice_id, _, inv, _))| {
                    let fact = MissionFact {
                        kind: FactKind::Invoice,
                        event_type: None,
                        at: inv.issued_at,
                        amount: inv.charged(),
                        facts: Some(f),
                        invoice: Some(*invoice_id),
                    };
                    (*c, fact)
                })
                .collect();
            mission_facts.extend(referred.iter().map(|(referrer, at, invoice)| {
                let fact = MissionFact {
                    kind: FactKind::Referral,
                    event_type: None,
                    at: *at,
                    amount: 0,
                    facts: None,
                    invoice: Some(*invoice),
                };
                (*referrer, fact)
            }));
            self.missions_in(conn, ctx, &missions, &mission_facts, now).await?;
        }
        self.classify_in(conn, ctx, &customer_ids, now).await?;
        self.rfm_in(conn, ctx, &customer_ids, now).await?;
        self.segments_in(conn, ctx, &customer_ids).await?;

        // Duplicates inside the batch point at what their first copy became.
        for (i, p) in parsed.iter().enumerate() {
            if let (None, Ok(inv)) = (&results[i], p) {
                let first = first_of[&(inv.source.as_str(), inv.external_id.as_str())];
                let f = results[first].clone().expect("first copies are decided");
                let status = if valid(first).fingerprint() == inv.fingerprint() { "duplicate" } else { "conflict" };
                results[i] = Some(ItemResult::new(i, status, f.id, f.customer_id, vec![]));
            }
        }
        Ok(results.into_iter().map(|r| r.expect("every item is decided")).collect())
    }

    pub async fn invoice(&self, ctx: &TenantContext, id: i64) -> Result<Invoice> {
        let mut tx = self.store.begin_read().await?;
        let found = self.store.invoices_by_ids(&mut tx, ctx.id, &[id]).await?;
        found.into_iter().next().ok_or(EngineError::NotFound("invoice"))
    }

    /// Invoices newest first, optionally of one customer.
    pub async fn list_invoices(
        &self,
        ctx: &TenantContext,
        customer_id: Option<i64>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<crate::customers::Page<Invoice>> {
        let limit = limit.clamp(1, 500);
        let before = crate::customers::parse_cursor(cursor)?;
        let ids = self.store.invoice_ids(ctx.id, customer_id, before, limit + 1).await?;
        let next_cursor = (ids.len() as i64 > limit).then(|| ids[limit as usize - 1].to_string());
        let ids = &ids[..ids.len().min(limit as usize)];
        let mut tx = self.store.begin_read().await?;
        Ok(crate::customers::Page { items: self.store.invoices_by_ids(&mut tx, ctx.id, ids).await?, next_cursor })
    }

    /// Records a full or partial refund of a completed invoice. A retry with the same refund id
    /// returns the first result; the refunded total can never exceed the invoice total.
    pub async fn refund_invoice(&self, ctx: &TenantContext, invoice_id: i64, input: &RefundInput) -> Result<(Refund, bool)> {
        let r = input.parse(&ctx.zone, jiff::Timestamp::now())?;
        let mut tx = self.store.begin_write().await?;
        let out = self.refund_invoice_in(&mut tx, ctx, invoice_id, &r).await?;
        philia_store::commit(tx).await?;
        Ok(out)
    }

    /// A refund inside the caller's write transaction (the till restocks in the same one).
    pub(crate) async fn refund_invoice_in(
        &self,
        tx: &mut Conn,
        ctx: &TenantContext,
        invoice_id: i64,
        r: &philia_domain::invoice::ValidRefund,
    ) -> Result<(Refund, bool)> {
        let now = now_ms();
        let target = self.store.lock_refund_target(tx, ctx.id, invoice_id).await?.ok_or(EngineError::NotFound("invoice"))?;
        if let Some(existing) = self.store.refund_by_key(tx, ctx.id, &r.source, &r.external_id).await? {
            if existing.invoice_id != invoice_id {
                return Err(EngineError::conflict(
                    "refund_id_taken",
                    "this refund id was used for another invoice",
                    "این شناسه بازگشت برای فاکتور دیگری ثبت شده است",
                ));
            }
            return Ok((existing, false));
        }
        if target.status != InvoiceStatus::Completed.as_str() {
            return Err(EngineError::conflict(
                "not_refundable",
                "only completed invoices can be refunded",
                "فقط فاکتور تکمیل‌شده قابل بازگشت است",
            ));
        }
        let remaining = target.total - target.refunded_total;
        let amount = r.amount.unwrap_or(remaining);
        if amount <= 0 || amount > remaining {
            return Err(EngineError::field(
                Issue::new(
                    "exceeds_remaining",
                    format!("is more than the {remaining} not yet refunded"),
                    format!("بیش از مبلغ بازنگشته ({remaining}) است"),
                )
                .at("amount"),
            ));
        }
        let day = local_day(r.refunded_at, &ctx.zone).to_string();
        let id = self.store.allocate_ids(tx, 1).await?[0];
        let row = RefundRow {
            id,
            invoice_id,
            customer_id: target.customer_id,
            source: r.source.clone(),
            external_id: r.external_id.clone(),
            amount,
            reason: r.reason.clone(),
            refunded_at: r.refunded_at.as_millisecond(),
            day: day.clone(),
            created_at: now,
        };
        self.store.insert_refund(tx, ctx.id, &row).await?;
        if let Some(customer) = target.customer_id {
            let mut stats = self.store.lock_customer_stats(tx, ctx.id, &[customer]).await?;
            let mut s = stats.remove(&customer).unwrap_or_default();
            s.add_refund(amount, amount == remaining);
            self.store.write_customer_stats(tx, ctx.id, &[(customer, s)]).await?;
        }
        let mut deltas = DailyDeltas::default();
        let d = deltas.day(&day);
        d.refunds += amount;
        d.refund_count += 1;
        if target.customer_id.is_some() {
            d.customer_refunds += amount;
        }
        self.store.apply_daily_deltas(tx, ctx.id, &deltas).await?;
        self.reverse_invoice_earnings(tx, ctx, invoice_id, target.total, target.refunded_total + amount, id, row.refunded_at)
            .await?;
        self.reverse_cashback(tx, ctx, invoice_id, target.total, target.refunded_total + amount, id, now).await?;
        self.refund_checkout_payments(tx, ctx, invoice_id, target.total, target.refunded_total + amount, id, now).await?;
        let refunded = crate::mission_refunds::RefundedInvoice {
            invoice_id,
            customer_id: target.customer_id,
            issued_at: target.issued_at,
            total: target.total,
            refunded_after: target.refunded_total + amount,
            refund_id: id,
            refunded_at: row.refunded_at,
        };
        self.take_back_missions_in(tx, ctx, &refunded, now).await?;
        if let Some(customer) = target.customer_id {
            self.evaluate_tiers_in(tx, ctx, &[customer], Evaluation::AfterRefund, "refund", now).await?;
            self.classify_in(tx, ctx, &[customer], now).await?;
            self.rfm_in(tx, ctx, &[customer], now).await?;
            self.segments_in(tx, ctx, &[customer]).await?;
        }
        let refund =
            self.store.refund_by_key(tx, ctx.id, &r.source, &r.external_id).await?.ok_or(EngineError::NotFound("refund"))?;
        Ok((refund, true))
    }

    pub async fn refunds_of(&self, ctx: &TenantContext, invoice_id: i64) -> Result<Vec<Refund>> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.store.refunds_of_invoice(&mut tx, ctx.id, invoice_id).await?)
    }
}
