//! Checkout (SPEC C4) and cashback (C6). A quote prices a cart — codes, tier discount, points
//! and wallet — and says what it would earn, writing nothing. An invoice carrying the same
//! checkout fields applies them in the transaction that records it: the code uses are taken,
//! the points and wallet spent, the cashback credited, or nothing happens at all.

use crate::invoices::ItemResult;
use crate::points::{Debit, unique_as_race, unknown_point_type};
use crate::promotions::UsableCode;
use crate::wallet::WalletMove;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::checkout::{CashbackProgramme, PointsPayment, Priced, PricingInput, cashback, price};
use philia_domain::discounts::CartLine;
use philia_domain::invoice::{CheckoutApplied, CheckoutInput, CustomerRefInput, InvoiceInput, LineInput, ValidInvoice};
use philia_domain::points::reversal_due;
use philia_domain::tiers::TierMetric;
use philia_domain::{FieldError, Issue};
use philia_store::Conn;
use philia_store::codes::UsageRow;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The settings name of the cashback programme.
const CASHBACK: &str = "cashback";

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteInput {
    pub customer: Option<CustomerRefInput>,
    pub lines: Vec<LineInput>,
    pub shipping: Option<i64>,
    pub channel: Option<String>,
    pub branch: Option<String>,
    #[serde(flatten)]
    pub checkout: CheckoutInput,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct CodeDiscount {
    pub code: String,
    pub discount: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct TierProgress {
    pub tier: Option<String>,
    pub next_tier: Option<String>,
    /// Missing to the next tier now, and after this purchase.
    pub needed_now: Option<i64>,
    pub needed_after: Option<i64>,
}

/// A priced cart.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct Quote {
    pub customer_id: Option<i64>,
    pub subtotal: i64,
    pub codes: Vec<CodeDiscount>,
    pub tier_discount: i64,
    pub shipping: i64,
    /// Subtotal less discounts plus shipping: the invoice total.
    pub total: i64,
    pub points_used: i64,
    pub points_value: i64,
    pub wallet_used: i64,
    /// Left to pay in money.
    pub to_pay: i64,
    /// Points the purchase earns, per type.
    pub points_to_earn: BTreeMap<String, i64>,
    /// Cashback it returns, and as what (`wallet` or `points`).
    pub cashback: i64,
    pub cashback_as: Option<String>,
    pub tier: Option<TierProgress>,
}

/// What pricing decided and what applying it needs.
struct Pricing {
    priced: Priced,
    codes: Vec<(UsableCode, Option<UsageRow>)>,
    points_type: Option<i64>,
}

fn refusal(field: String, issue: Issue) -> EngineError {
    EngineError::field(issue.at(field))
}

impl Engine {
    pub async fn cashback_programme(&self, ctx: &TenantContext) -> Result<Option<CashbackProgramme>> {
        let mut tx = self.store.begin_read().await?;
        self.load_cashback(&mut tx, ctx).await
    }

    async fn load_cashback(&self, conn: &mut Conn, ctx: &TenantContext) -> Result<Option<CashbackProgramme>> {
        self.load_setting(conn, ctx, CASHBACK).await
    }

    pub async fn set_cashback_programme(&self, ctx: &TenantContext, p: &CashbackProgramme) -> Result<CashbackProgramme> {
        p.check()?;
        let mut tx = self.store.begin_write().await?;
        if let Some(t) = &p.point_type
            && p.credit_as == "points"
            && !self.point_type_map(&mut tx, ctx).await?.contains_key(t)
        {
            return Err(unknown_point_type(t));
        }
        self.save_chosen_setting(&mut tx, ctx, CASHBACK, p).await?;
        philia_store::commit(tx).await?;
        Ok(p.clone())
    }

    /// The cashback of a purchase for a customer: amount and what it is credited as.
    async fn cashback_of(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        inv: &ValidInvoice,
        categories: &[Option<String>],
        customer: i64,
    ) -> Result<Option<(i64, CashbackProgramme)>> {
        let Some(p) = self.load_cashback(conn, ctx).await?.filter(|p| p.enabled) else { return Ok(None) };
        let rates = p.check().map_err(|e| EngineError::Io(format!("cashback programme: {e}")))?;
        let tier_bp = match self.load_tier_programme(conn, ctx).await? {
            None => 0,
            Some(tp) => {
                let state = self.store.tier_states(conn, ctx.id, &[customer]).await?.remove(&customer).unwrap_or_default();
                state.tier.and_then(|t| tp.tier(&t).map(|t| t.cashback_bp)).unwrap_or(0)
            }
        };
        let lines = cart_lines(inv, categories);
        let amount = cashback(&lines, inv.paid_in_money(), tier_bp, &rates);
        Ok((amount > 0).then_some((amount, p)))
    }

    /// Credits the cashback of recorded invoices (inside their transaction).
    pub(crate) async fn credit_cashback(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        invoices: &[(i64, i64, &ValidInvoice, Vec<Option<String>>)],
        now: i64,
    ) -> Result<()> {
        if invoices.is_empty() || self.store.setting(conn, ctx.id, CASHBACK).await?.is_none() {
            return Ok(());
        }
        for (invoice_id, customer, inv, categories) in invoices {
            let Some((amount, p)) = self.cashback_of(conn, ctx, inv, categories, *customer).await? else { continue };
            if p.credit_as == "wallet" {
                let m = WalletMove {
                    customer_id: *customer,
                    kind: "cashback",
                    amount,
                    available_at: now + p.maturity_days as i64 * 86_400_000,
                    source_kind: "invoice",
                    source_id: Some(*invoice_id),
                    ref_entry_id: None,
                    idem_key: Some(format!("cashback:{invoice_id}")),
                    reason: None,
                    actor: None,
                };
                self.move_wallet(conn, ctx, m, true, now).await?;
            } else if let Some(code) = &p.point_type {
                let types = self.point_type_map(conn, ctx).await?;
                let (type_id, t) = types.get(code).ok_or_else(|| unknown_point_type(code))?;
                let credit = crate::points::Credit {
                    customer_id: *customer,
                    point_type_id: *type_id,
                    kind: "earn",
                    points: amount,
                    at: inv.issued_at.as_millisecond(),
                    expires_at: t.expiry.expires_at(inv.issued_at, &ctx.zone, ctx.calendar).map(|x| x.as_millisecond()),
                    source_kind: "invoice",
                    source_id: *invoice_id,
                    ref_entry_id: None,
                    idem_key: format!("cashback:{invoice_id}"),
                    reason: "cashback".into(),
                    actor: None,
                };
                self.credit_lot(conn, ctx, credit, now).await?;
            }
        }
        Ok(())
    }

    /// Takes back wallet cashback in proportion to what is now refunded (points cashback is an
    /// earning of the invoice and is reversed with the others).
    pub(crate) async fn reverse_cashback(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        invoice_id: i64,
        total: i64,
        refunded_after: i64,
        refund_id: i64,
        now: i64,
    ) -> Result<()> {
        for credit in self.store.wallet_credits_of_source(conn, ctx.id, "cashback", "invoice", invoice_id).await? {
            let due = reversal_due(credit.amount, total, refunded_after, credit.reversed);
            if due <= 0 {
                continue;
            }
            let m = WalletMove {
                customer_id: credit.customer_id,
                kind: "reverse",
                amount: -due,
                available_at: now,
                source_kind: "refund",
                source_id: Some(refund_id),
                ref_entry_id: Some(credit.entry_id),
                idem_key: Some(format!("refund:{refund_id}:{}", credit.entry_id)),
                reason: None,
                actor: None,
            };
            // Cashback already spent leaves the wallet negative until the next credit.
            self.move_wallet(conn, ctx, m, true, now).await?;
        }
        Ok(())
    }

    /// Gives back, in proportion to what is now refunded, the points and wallet money that paid
    /// for an invoice at checkout.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn refund_checkout_payments(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        invoice_id: i64,
        total: i64,
        refunded_after: i64,
        refund_id: i64,
        now: i64,
    ) -> Result<()> {
        let key = format!("checkout:{invoice_id}");
        if let Some(spend) = self.store.entry_by_key(conn, ctx.id, &key).await? {
            let returned = self.store.returned_against(conn, ctx.id, spend.id).await?;
            let due = reversal_due(-spend.points, total, refunded_after, returned);
            if due > 0 {
                let types = self.point_type_map(conn, ctx).await?;
                let (type_id, _) = types.get(&spend.point_type).ok_or_else(|| unknown_point_type(&spend.point_type))?;
                let back = crate::points::PointsBack {
                    customer_id: spend.customer_id,
                    point_type_id: *type_id,
                    points: due,
                    spend_entry: spend.id,
                    source_kind: "refund",
                    source_id: refund_id,
                    idem_key: format!("refund:{refund_id}:{}", spend.id),
                    reason: "invoice refunded",
                    actor: None,
                };
                self.return_points(conn, ctx, back, now).await?;
            }
        }
        if let Some(paid) = self.store.wallet_entry_by_key(conn, ctx.id, &key).await? {
            let returned = self.store.wallet_returned_against(conn, ctx.id, paid.id).await?;
            let due = reversal_due(-paid.amount, total, refunded_after, returned);
            if due > 0 {
                let m = WalletMove {
                    customer_id: paid.customer_id,
                    kind: "refund",
                    amount: due,
                    available_at: now,
                    source_kind: "refund",
                    source_id: Some(refund_id),
                    ref_entry_id: Some(paid.id),
                    idem_key: Some(format!("refund:{refund_id}:{}", paid.id)),
                    reason: None,
                    actor: None,
                };
                self.move_wallet(conn, ctx, m, true, now).await?;
            }
        }
        Ok(())
    }

    /// Prices a checkout for a known (or anonymous) customer. With `lock`, the accounts read are
    /// locked, for applying.
    #[allow(clippy::too_many_arguments)]
    async fn price_checkout(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        inv: &ValidInvoice,
        categories: &[Option<String>],
        customer: Option<i64>,
        co: &CheckoutInput,
        now: i64,
        lock: bool,
    ) -> Result<Pricing> {
        let lines = cart_lines(inv, categories);
        let mut codes = Vec::new();
        for (i, typed) in co.codes.iter().enumerate() {
            match self.usable_code(conn, ctx, typed, customer, &lines, now, false).await? {
                Ok((u, _)) => codes.push((u, None)),
                Err(issue) => return Err(refusal(format!("checkout.codes[{i}]"), issue)),
            }
        }
        for (i, id) in co.reservations.iter().enumerate() {
            let field = format!("checkout.reservations[{i}]");
            let u = self.store.lock_usage(conn, ctx.id, *id).await?;
            let Some(u) =
                u.filter(|u| u.status == "reserved" && u.customer_id == customer && u.expires_at.is_some_and(|e| e > now))
            else {
                return Err(refusal(
                    field,
                    Issue::new(
                        "reservation_invalid",
                        "is not a live reservation of this customer",
                        "رزرو معتبری برای این مشتری نیست",
                    ),
                ));
            };
            match self.usable_code(conn, ctx, &u.code, customer, &lines, now, true).await? {
                Ok((usable, _)) => codes.push((usable, Some(u))),
                Err(issue) => return Err(refusal(field, issue)),
            }
        }
        let tier_discount_bp = match (customer, self.load_tier_programme(conn, ctx).await?) {
            (Some(c), Some(tp)) => {
                let state = self.store.tier_states(conn, ctx.id, &[c]).await?.remove(&c).unwrap_or_default();
                state.tier.and_then(|t| tp.tier(&t).map(|t| t.discount_bp)).unwrap_or(0)
            }
            _ => 0,
        };
        let mut points = None;
        let mut points_type = None;
        if let Some(p) = co.points.as_ref().filter(|p| p.points != 0) {
            let Some(c) = customer else {
                return Err(refusal(
                    "checkout.points".into(),
                    Issue::new(
                        "needs_customer",
                        "paying with points needs a known customer",
                        "پرداخت با امتیاز فقط برای مشتری شناخته‌شده است",
                    ),
                ));
            };
            if p.points < 0 {
                return Err(refusal("checkout.points.points".into(), Issue::negative()));
            }
            let types = self.point_type_map(conn, ctx).await?;
            let (type_id, t) =
                types.get(&p.point_type).ok_or_else(|| unknown_point_type(&p.point_type).within_field("checkout.points"))?;
            let acc = if lock {
                self.open_account(conn, ctx, c, *type_id, now).await?.acc
            } else {
                let (lots, debt) = self.store.account(conn, ctx.id, c, *type_id).await?;
                philia_domain::points::Account { lots, debt }
            };
            let available = if t.spendable { acc.available(now).max(0) } else { 0 };
            points = Some(PointsPayment { requested: p.points, value: t.cash_value.unwrap_or(0), available });
            points_type = Some(*type_id);
        }
        let mut wallet = None;
        if let Some(w) = co.wallet.filter(|w| *w != 0) {
            let Some(c) = customer else {
                return Err(refusal(
                    "checkout.wallet".into(),
                    Issue::new(
                        "needs_customer",
                        "paying from the wallet needs a known customer",
                        "پرداخت از کیف پول فقط برای مشتری شناخته‌شده است",
                    ),
                ));
            };
            if w < 0 {
                return Err(refusal("checkout.wallet".into(), Issue::negative()));
            }
            if lock {
                self.store.lock_wallet(conn, ctx.id, c).await?;
            }
            let (balance, pending) = self.store.wallet_state(conn, ctx.id, c, now).await?;
            wallet = Some((w, (balance - pending).max(0)));
        }
        let input = PricingInput {
            lines: &lines,
            shipping: inv.shipping,
            promotions: codes.iter().map(|(u, _)| (u.code.code.clone(), &u.promotion)).collect(),
            tier_discount_bp,
            points,
            wallet,
        };
        let priced = price(&input).map_err(|r| refusal(format!("checkout.{}", r.field), r.issue))?;
        Ok(Pricing { priced, codes, points_type })
    }

    /// Prices a cart and says what it would earn, writing nothing.
    pub async fn quote(&self, ctx: &TenantContext, input: &QuoteInput) -> Result<Quote> {
        let now = now_ms();
        let invoice = InvoiceInput {
            source: None,
            external_id: "quote".into(),
            issued_at: jiff::Timestamp::from_millisecond(now).expect("now is valid").to_string(),
            customer: input.customer.clone(),
            channel: input.channel.clone(),
            branch: input.branch.clone(),
            status: None,
            currency: None,
            lines: input.lines.clone(),
            discount: None,
            shipping: input.shipping,
            total: None,
            checkout: None,
        };
        let mut inv = invoice.parse(&ctx.zone, &ctx.currency)?;
        // A quote reads without locking and writes nothing.
        let mut tx = self.store.begin_read().await?;
        let customer = match &inv.customer {
            Some(r) => self.find_customer(&mut tx, ctx, r).await?,
            None => None,
        };
        let categories = self.line_categories(&mut tx, ctx, &inv).await?;
        let pricing = self.price_checkout(&mut tx, ctx, &inv, &categories, customer, &input.checkout, now, false).await?;
        let p = &pricing.priced;
        inv.checkout = Some(CheckoutApplied { discount: p.discount(), loyalty_paid: p.points_value + p.wallet_used });
        let earn = self.awards_for(&mut tx, ctx, &inv, &categories, customer).await?;
        let (cashback, cashback_as) = match customer {
            Some(c) => match self.cashback_of(&mut tx, ctx, &inv, &categories, c).await? {
                Some((amount, prog)) => (amount, Some(prog.credit_as)),
                None => (0, None),
            },
            None => (0, None),
        };
        let tier = match customer {
            Some(c) => self.tier_progress(&mut tx, ctx, c, &earn.totals, p.to_pay, now).await?,
            None => None,
        };
        tx.rollback().await?;
        Ok(Quote {
            customer_id: customer,
            subtotal: p.subtotal,
            codes: p
                .code_discounts
                .iter()
                .map(|(code, discount)| CodeDiscount { code: code.clone(), discount: *discount })
                .collect(),
            tier_discount: p.tier_discount,
            shipping: inv.shipping,
            total: p.total,
            points_used: p.points_used,
            points_value: p.points_value,
            wallet_used: p.wallet_used,
            to_pay: p.to_pay,
            points_to_earn: earn.totals,
            cashback,
            cashback_as,
            tier,
        })
    }

    async fn tier_progress(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customer: i64,
        earn: &BTreeMap<String, i64>,
        paid: i64,
        now: i64,
    ) -> Result<Option<TierProgress>> {
        let Some(tp) = self.load_tier_programme(conn, ctx).await? else { return Ok(None) };
        let query = match &tp.metric {
            TierMetric::Spend => philia_store::tiers::MetricQuery::Spend,
            TierMetric::Invoices => philia_store::tiers::MetricQuery::Invoices,
            TierMetric::Points { point_type } => {
                let types = self.point_type_map(conn, ctx).await?;
                let Some((id, _)) = types.get(point_type) else { return Ok(None) };
                philia_store::tiers::MetricQuery::Points { point_type_id: *id }
            }
        };
        let since = tp.window_start(jiff::Timestamp::from_millisecond(now).expect("now is valid"), &ctx.zone, ctx.calendar);
        let metric = self
            .store
            .tier_metrics(conn, ctx.id, query, since.map(|s| s.as_millisecond()), &[customer])
            .await?
            .get(&customer)
            .copied()
            .unwrap_or(0);
        let gain = match &tp.metric {
            TierMetric::Spend => paid,
            TierMetric::Invoices => 1,
            TierMetric::Points { point_type } => earn.get(point_type).copied().unwrap_or(0),
        };
        let state = self.store.tier_states(conn, ctx.id, &[customer]).await?.remove(&customer).unwrap_or_default();
        let next = tp.next(metric);
        Ok(Some(TierProgress {
            tier: state.tier,
            next_tier: next.map(|(t, _)| t.code.clone()),
            needed_now: next.map(|(_, n)| n),
            needed_after: next.map(|(t, _)| (t.threshold - metric - gain).max(0)),
        }))
    }

    /// Records a single invoice with checkout fields: prices it, records it with the discount,
    /// takes the code uses, spends points and wallet — or refuses and changes nothing. A retry
    /// with the same source and external id returns the first result.
    pub(crate) async fn checkout_invoice(&self, ctx: &TenantContext, input: &InvoiceInput) -> Result<ItemResult> {
        let co = input.checkout.clone().unwrap_or_default();
        let inv = input.parse(&ctx.zone, &ctx.currency)?;
        in_write_tx!(self, |conn| self.checkout_in(conn, ctx, inv.clone(), &co).await.map_err(unique_as_race))
    }

    pub(crate) async fn checkout_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        mut inv: ValidInvoice,
        co: &CheckoutInput,
    ) -> Result<ItemResult> {
        let now = now_ms();
        let key = (inv.source.clone(), inv.external_id.clone());
        if !self.store.existing_invoices(conn, ctx.id, std::slice::from_ref(&key)).await?.is_empty() {
            // Already recorded: the recorder reports it as a duplicate (or a conflict) and writes nothing.
            return Ok(self.record_invoices_in(conn, ctx, &[Ok(inv)]).await?.remove(0));
        }
        let customer = match &inv.customer {
            Some(r) => match self.resolve_customers(conn, ctx, &[Some(r)], &inv.source, now).await?.remove(0) {
                Ok(c) => c,
                Err(e) => return Err(EngineError::Invalid(philia_domain::Invalid(vec![e]))),
            },
            None => None,
        };
        let categories = self.line_categories(conn, ctx, &inv).await?;
        let pricing = self.price_checkout(conn, ctx, &inv, &categories, customer, co, now, true).await?;
        let p = &pricing.priced;
        inv.checkout = Some(CheckoutApplied { discount: p.discount(), loyalty_paid: p.points_value + p.wallet_used });
        let result = self.record_invoices_in(conn, ctx, &[Ok(inv)]).await?.remove(0);
        let Some(invoice_id) = result.id.filter(|_| result.status == "created") else { return Ok(result) };
        for (u, reserved) in &pricing.codes {
            let usage_id = match reserved {
                Some(r) => r.id,
                None => {
                    self.take_use(conn, ctx, u, customer).await.map_err(|e| e.within_field("checkout.codes"))?;
                    let id = self.store.allocate_ids(conn, 1).await?[0];
                    let row = UsageRow {
                        id,
                        code: u.code.code.clone(),
                        promotion_id: u.code.promotion_id,
                        customer_id: customer,
                        status: "redeemed".into(),
                        invoice_id: Some(invoice_id),
                        amount: 0,
                        expires_at: None,
                    };
                    self.store.insert_code_usage(conn, ctx.id, &row, None, now).await?;
                    id
                }
            };
            self.store.set_usage(conn, ctx.id, usage_id, "redeemed", Some(invoice_id), now).await?;
        }
        if let (Some(c), Some(type_id)) = (customer, pricing.points_type)
            && p.points_used > 0
        {
            let mut open = self.open_account(conn, ctx, c, type_id, now).await?;
            let takes = open.acc.spend(p.points_used, now).map_err(|s| {
                refusal(
                    "checkout.points.points".into(),
                    Issue::new("insufficient_points", format!("only {} points are available", s.available), "امتیاز کافی نیست"),
                )
            })?;
            let debit = Debit {
                kind: "spend",
                points: p.points_used,
                takes,
                debt_added: 0,
                at: now,
                source_kind: "invoice",
                source_id: Some(invoice_id),
                ref_entry_id: None,
                idem_key: Some(format!("checkout:{invoice_id}")),
                reason: None,
                actor: None,
            };
            self.record_debit(conn, ctx, &mut open, debit, now).await?;
            self.close_account(conn, ctx, open).await?;
        }
        if let Some(c) = customer.filter(|_| p.wallet_used > 0) {
            let m = WalletMove {
                customer_id: c,
                kind: "checkout",
                amount: -p.wallet_used,
                available_at: now,
                source_kind: "invoice",
                source_id: Some(invoice_id),
                ref_entry_id: None,
                idem_key: Some(format!("checkout:{invoice_id}")),
                reason: None,
                actor: None,
            };
            self.move_wallet(conn, ctx, m, false, now).await?;
        }
        Ok(result)
    }
}

pub(crate) fn cart_lines(inv: &ValidInvoice, categories: &[Option<String>]) -> Vec<CartLine> {
    inv.lines.iter().zip(categories).map(|(l, c)| CartLine { sku: l.sku.clone(), category: c.clone(), total: l.total }).collect()
}

/// Checkout fields are for single invoices: a batch that carries them is refused item by item.
pub fn checkout_in_batch() -> FieldError {
    Issue::new(
        "checkout_single_only",
        "checkout fields are accepted on single invoices (POST /invoices)",
        "اعمال کد و امتیاز فقط در ثبت تکی فاکتور ممکن است",
    )
    .at("checkout")
}
