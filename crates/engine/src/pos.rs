//! The till (SPEC F1): a staff session that sells at one branch; products found as the cashier
//! types or scans, with the branch's stock; customers looked up by mobile or added on the spot;
//! a quote from the loyalty engine; the sale recorded with its discounts, codes, points and
//! wallet, the branch's stock taken and points earned in one transaction; receipts looked up by
//! their barcode; lines returned with their stock put back. Every action is logged with its
//! cashier.

use crate::checkout::{Quote, QuoteInput};
use crate::club::NamedBalance;
use crate::points::unique_as_race;
use crate::staff_sessions::StaffSession;
use crate::tenancy::hash_key;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::catalogue::StockChange;
use philia_domain::customer::{CustomerInput, full_name};
use philia_domain::invoice::{CheckoutInput, CustomerRefInput, InvoiceInput, LineInput, RefundInput};
use philia_domain::pos::{CartLine, InstantDiscount, check_cart, may_override_stock, may_sell};
use philia_domain::records::{Invoice, Refund, WalletBalance};
use philia_store::pos::{PosActionRow, TillProduct};
use serde::{Deserialize, Serialize};

/// Products shown for one search.
const SEARCH_LIMIT: i64 = 20;

/// A sale as the till sends it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TillSale {
    pub lines: Vec<CartLine>,
    pub customer_id: Option<i64>,
    pub discount: Option<InstantDiscount>,
    #[serde(flatten)]
    pub checkout: CheckoutInput,
    /// Sell more than the branch holds (owners and admins only).
    #[serde(default)]
    pub override_stock: bool,
}

/// A customer as the till shows them.
#[derive(Debug, Clone)]
pub struct TillCustomer {
    pub id: i64,
    pub name: String,
    pub mobile: Option<String>,
    pub tier: Option<String>,
    pub balances: Vec<NamedBalance>,
    pub wallet: WalletBalance,
    /// Discount codes the customer holds from rewards.
    pub codes: Vec<String>,
}

/// The quote of a sale, with the cart before the instant discount and that discount.
#[derive(Debug, Clone, Serialize)]
pub struct TillQuote {
    /// The cart at catalogue prices.
    pub gross: i64,
    pub instant_discount: i64,
    #[serde(flatten)]
    pub quote: Quote,
}

/// A receipt: the invoice with its branch, who sold it and what the till did about it since.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub invoice: Invoice,
    pub refunds: Vec<Refund>,
    pub actions: Vec<PosActionRow>,
    /// Points the sale earned (net of what refunds took back), per type.
    pub points: i64,
    pub customer_name: Option<String>,
    /// What loyalty paid at checkout: points spent and their value, and wallet money.
    pub paid: LoyaltyPaid,
}

/// The cashier report of a period: from and to (inclusive) in the tenant's calendar days.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CashierReport {
    pub from: String,
    pub to: String,
    pub branch: Option<String>,
    pub lines: Vec<philia_domain::pos::CashierLine>,
}

/// What the customer's points and wallet paid for a sale (the rest was paid in money).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoyaltyPaid {
    pub points: i64,
    pub point_type: Option<String>,
    pub points_value: i64,
    pub wallet: i64,
}

fn not_a_till_role() -> EngineError {
    EngineError::conflict("not_a_cashier", "this account may not sell at the till", "این حساب اجازه فروش در صندوق ندارد")
}

fn till_branch(session: &StaffSession) -> Result<&str> {
    session
        .branch
        .as_deref()
        .ok_or_else(|| EngineError::conflict("no_branch", "choose a branch first", "ابتدا شعبه را انتخاب کنید"))
}

impl Engine {
    /// Puts a signed-in staff session to work at a branch's till.
    pub async fn open_till(&self, session_token: &str, session: &StaffSession, branch: &str) -> Result<()> {
        if !may_sell(session.role) {
            return Err(not_a_till_role());
        }
        let mut tx = self.store.begin_write().await?;
        if self.store.branch_id(&mut tx, session.ctx.id, branch).await?.is_none() {
            return Err(EngineError::field(
                Issue::new("unknown_branch", "is not a branch of this brand", "شعبه‌ای با این کد نیست").at("branch"),
            ));
        }
        self.store.set_session_branch(&mut tx, &hash_key(session_token), branch).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    async fn till_branch_id(&self, conn: &mut philia_store::Conn, session: &StaffSession) -> Result<i64> {
        let code = till_branch(session)?;
        self.store.branch_id(conn, session.ctx.id, code).await?.ok_or(EngineError::NotFound("branch"))
    }

    /// Products for what the cashier typed or scanned: an exact SKU first, then SKUs and names
    /// that contain the text.
    pub async fn till_search(&self, session: &StaffSession, text: &str) -> Result<Vec<TillProduct>> {
        let typed = philia_domain::digits::ascii_digits(text.trim());
        let text = typed.to_lowercase();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.store.begin_read().await?;
        let branch = self.till_branch_id(&mut tx, session).await?;
        // A scanned code is one SKU: found by its index, nothing else to look for.
        let exact = self.store.till_products_by_sku(&mut tx, session.ctx.id, branch, std::slice::from_ref(&typed)).await?;
        if !exact.is_empty() {
            return Ok(exact);
        }
        let mut found = exact;
        for p in self.store.till_search(&mut tx, session.ctx.id, branch, &text, SEARCH_LIMIT).await? {
            if !found.iter().any(|f| f.id == p.id) {
                found.push(p);
            }
        }
        found.truncate(SEARCH_LIMIT as usize);
        Ok(found)
    }

    /// A customer by mobile, with what they can use at the till.
    pub async fn till_customer(&self, ctx: &TenantContext, mobile: &str) -> Result<Option<TillCustomer>> {
        let mobile = philia_domain::mobile::Mobile::parse(mobile).map_err(|i| EngineError::field(i.at("mobile")))?;
        let page = self.search_customers(ctx, Some(mobile.as_str()), Default::default(), None, 1).await?;
        let Some(c) = page.items.into_iter().find(|c| c.mobile.as_deref() == Some(mobile.as_str())) else { return Ok(None) };
        self.till_customer_by_id(ctx, c.id).await.map(Some)
    }

    pub async fn till_customer_by_id(&self, ctx: &TenantContext, id: i64) -> Result<TillCustomer> {
        let home = self.club_home(ctx, id).await?;
        let codes = self
            .redemptions(ctx, Some(home.customer.id), Some("fulfilled"))
            .await?
            .into_iter()
            .filter_map(|r| r.outcome.get("code").and_then(|c| c.as_str()).map(str::to_string))
            .collect();
        let c = home.customer;
        let name = full_name(c.first_name.as_deref(), c.last_name.as_deref());
        Ok(TillCustomer { id: c.id, name, mobile: c.mobile, tier: c.tier, balances: home.balances, wallet: home.wallet, codes })
    }

    /// Adds a customer at the till (or finds the one the mobile belongs to).
    pub async fn till_add_customer(&self, ctx: &TenantContext, mobile: &str, name: &str) -> Result<TillCustomer> {
        let mut parts = name.trim().splitn(2, ' ');
        let input = CustomerInput {
            mobile: Some(mobile.to_string()),
            first_name: parts.next().filter(|s| !s.is_empty()).map(str::to_string),
            last_name: parts.next().map(str::to_string),
            ..Default::default()
        };
        let patch = input.parse()?;
        let out = self.upsert_customers(ctx, "pos", &[patch]).await?.remove(0);
        self.till_customer_by_id(ctx, out.customer_id).await
    }

    /// The cart priced from the catalogue, with the instant discount spread over its lines.
    async fn till_lines(&self, session: &StaffSession, sale: &TillSale) -> Result<(Vec<LineInput>, i64, i64)> {
        check_cart(&sale.lines)?;
        let mut tx = self.store.begin_read().await?;
        let branch = self.till_branch_id(&mut tx, session).await?;
        let skus: Vec<String> = sale.lines.iter().map(|l| l.sku.trim().to_string()).collect();
        let products = self.store.till_products_by_sku(&mut tx, session.ctx.id, branch, &skus).await?;
        let mut lines = Vec::with_capacity(sale.lines.len());
        for (i, l) in sale.lines.iter().enumerate() {
            let p = products.iter().find(|p| p.sku == l.sku.trim()).ok_or_else(|| {
                EngineError::field(
                    Issue::new("unknown_product", "is not in the catalogue", "در فهرست کالاها نیست").at(format!("lines[{i}].sku")),
                )
            })?;
            lines.push(LineInput {
                sku: Some(p.sku.clone()),
                product_name: Some(p.name.clone()),
                category: p.category.clone(),
                quantity: Some(l.quantity as f64),
                unit_price: p.price,
                discount: None,
            });
        }
        let gross: i64 = lines.iter().map(|l| l.unit_price * l.quantity.unwrap_or(1.0) as i64).sum();
        let mut instant = 0;
        if let Some(d) = sale.discount {
            instant = d.amount(gross, session.role).map_err(|i| EngineError::field(i.at("discount")))?;
            spread(&mut lines, gross, instant);
        }
        Ok((lines, gross, instant))
    }

    /// What the sale comes to: discounts, codes, points and wallet, what is left to pay and
    /// what it earns.
    pub async fn till_quote(&self, session: &StaffSession, sale: &TillSale) -> Result<TillQuote> {
        let (lines, gross, instant_discount) = self.till_lines(session, sale).await?;
        let input = QuoteInput {
            customer: sale.customer_id.map(|id| CustomerRefInput { id: Some(id), ..Default::default() }),
            lines,
            shipping: None,
            channel: Some("pos".into()),
            branch: session.branch.clone(),
            checkout: sale.checkout.clone(),
        };
        Ok(TillQuote { gross, instant_discount, quote: self.quote(&session.ctx, &input).await? })
    }

    /// Records the sale: the invoice with its loyalty applied, the branch's stock taken, and the
    /// cashier's action, in one transaction. `key` makes a repeated press record it once.
    pub async fn till_sell(&self, session: &StaffSession, sale: &TillSale, key: &str) -> Result<i64> {
        if !may_sell(session.role) {
            return Err(not_a_till_role());
        }
        if sale.override_stock && !may_override_stock(session.role) {
            return Err(EngineError::field(
                Issue::new("manager_only", "only a manager may sell beyond stock", "فروش بیش از موجودی فقط با تأیید مدیر")
                    .at("override_stock"),
            ));
        }
        let key = key.trim();
        if key.is_empty() || key.len() > 100 {
            return Err(EngineError::field(Issue::required().at("key")));
        }
        let (lines, _, _) = self.till_lines(session, sale).await?;
        let branch = till_branch(session)?.to_string();
        let input = InvoiceInput {
            source: Some("pos".into()),
            external_id: key.to_string(),
            issued_at: jiff::Timestamp::now().to_string(),
            customer: sale.customer_id.map(|id| CustomerRefInput { id: Some(id), ..Default::default() }),
            channel: Some("pos".into()),
            branch: Some(branch.clone()),
            status: None,
            currency: None,
            lines,
            discount: None,
            shipping: None,
            total: None,
            checkout: Some(sale.checkout.clone()),
        };
        let ctx = &session.ctx;
        let inv = input.parse(&ctx.zone, &ctx.currency)?;
        let co = sale.checkout.clone();
        let result = in_write_tx!(self, |conn| {
            async {
                let result = self.checkout_in(conn, ctx, inv.clone(), &co).await.map_err(unique_as_race)?;
                let Some(id) = result.id.filter(|_| result.status == "created") else { return Ok(result) };
                let now = now_ms();
                let branch_id = self.store.branch_id(conn, ctx.id, &branch).await?.ok_or(EngineError::NotFound("branch"))?;
                // Whether the branch counts each product, read again under the write lock: a stock
                // row added since the quote is honoured.
                let skus: Vec<String> = sale.lines.iter().map(|l| l.sku.trim().to_string()).collect();
                let counted = self.store.till_products_by_sku(conn, ctx.id, branch_id, &skus).await?;
                for (i, line) in sale.lines.iter().enumerate() {
                    let Some(p) = counted.iter().find(|p| p.sku == line.sku.trim()).filter(|p| p.stock.is_some()) else {
                        continue;
                    };
                    let reason = format!("sale:{id}");
                    let moved = self
                        .store
                        .change_stock(conn, ctx.id, branch_id, p.id, StockChange::Move(-line.quantity), Some(&reason), now)
                        .await?;
                    if moved.is_none() {
                        if !sale.override_stock {
                            return Err(EngineError::field(
                                Issue::new("insufficient_stock", "is more than this branch holds", "بیش از موجودی این شعبه است")
                                    .at(format!("lines[{i}].quantity")),
                            ));
                        }
                        let reason = format!("sale:{id}:override:staff:{}", session.staff_id);
                        self.store.change_stock(conn, ctx.id, branch_id, p.id, StockChange::Set(0), Some(&reason), now).await?;
                    }
                }
                let detail =
                    serde_json::json!({"lines": sale.lines, "discount": sale.discount, "override_stock": sale.override_stock});
                self.store
                    .insert_pos_action(conn, ctx.id, session.staff_id, &branch, "sale", Some(id), &detail.to_string(), now)
                    .await?;
                Ok(result)
            }
            .await
        })?;
        // A key already recorded is the same cart pressed again (or retried after a lost
        // answer, with a later time): the first sale stands and its receipt is shown.
        match (result.status.as_str(), result.id) {
            ("created" | "duplicate" | "conflict", Some(id)) => Ok(id),
            _ => Err(EngineError::Invalid(philia_domain::Invalid(result.errors))),
        }
    }

    /// Per cashier and branch: sales, their totals and discounts, stock overrides and returns,
    /// for the days `from` to `to` (either calendar; today when absent), one branch or all.
    pub async fn cashier_report(
        &self,
        ctx: &TenantContext,
        from: Option<&str>,
        to: Option<&str>,
        branch: Option<&str>,
    ) -> Result<CashierReport> {
        use philia_domain::calendar::{local_day, parse_date};
        let today = local_day(jiff::Timestamp::now(), &ctx.zone);
        let day = |field: &str, v: Option<&str>| -> Result<jiff::civil::Date> {
            match v.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(today),
                Some(s) => parse_date(s).map_err(|e| EngineError::field(e.at(field))),
            }
        };
        let (first, last) = (day("from", from)?, day("to", to)?);
        if last < first {
            return Err(EngineError::field(
                Issue::new("before_from", "must not be before from", "نباید پیش از «از» باشد").at("to"),
            ));
        }
        if (last - first).get_days() > 366 {
            return Err(EngineError::field(
                Issue::new("too_long", "a report covers at most a year", "بازه حداکثر یک سال است").at("to"),
            ));
        }
        let start = |d: jiff::civil::Date| -> Result<i64> {
            Ok(d.to_zoned(ctx.zone.clone()).map_err(|e| EngineError::Io(e.to_string()))?.timestamp().as_millisecond())
        };
        let until = start(last.tomorrow().map_err(|e| EngineError::Io(e.to_string()))?)?;
        let branch = branch.map(str::trim).filter(|b| !b.is_empty());
        let facts = self.store.till_actions_between(ctx.id, start(first)?, until, branch).await?;
        Ok(CashierReport {
            from: first.to_string(),
            to: last.to_string(),
            branch: branch.map(str::to_string),
            lines: philia_domain::pos::cashier_report(&facts),
        })
    }

    /// A receipt by invoice id.
    pub async fn receipt(&self, ctx: &TenantContext, invoice_id: i64) -> Result<Receipt> {
        let invoice = self.invoice(ctx, invoice_id).await?;
        let refunds = self.refunds_of(ctx, invoice_id).await?;
        let actions = self.store.pos_actions_of_invoice(ctx.id, invoice_id).await?;
        let points = self.store.points_of_invoice(ctx.id, invoice_id).await?;
        let customer_name = match invoice.customer_id {
            Some(c) => Some(self.customer(ctx, c).await.map(|c| full_name(c.first_name.as_deref(), c.last_name.as_deref()))?),
            None => None,
        };
        // Checkout payments are ledger entries under the invoice's checkout key.
        let key = format!("checkout:{invoice_id}");
        let mut tx = self.store.begin_read().await?;
        let mut paid = LoyaltyPaid::default();
        if let Some(spend) = self.store.entry_by_key(&mut tx, ctx.id, &key).await? {
            let types = self.point_type_map(&mut tx, ctx).await?;
            let value = types.get(&spend.point_type).and_then(|(_, t)| t.cash_value).unwrap_or(0);
            (paid.points, paid.points_value) = (-spend.points, -spend.points * value);
            paid.point_type = Some(spend.point_type);
        }
        if let Some(w) = self.store.wallet_entry_by_key(&mut tx, ctx.id, &key).await? {
            paid.wallet = -w.amount;
        }
        Ok(Receipt { invoice, refunds, actions, points, customer_name, paid })
    }

    /// Takes back units of one line of a receipt (all that are left unless `quantity` says
    /// fewer): their part of the line's share of what was paid is refunded (points, cashback and
    /// loyalty payments follow) and they go back to the branch's stock, in one transaction that
    /// holds the invoice, so concurrent returns never take back more units than were sold. A
    /// return is made once per `key`; pressing again changes nothing.
    pub async fn till_return_line(
        &self,
        session: &StaffSession,
        invoice_id: i64,
        line: usize,
        quantity: Option<i64>,
        key: &str,
    ) -> Result<(Refund, bool)> {
        if !may_sell(session.role) {
            return Err(not_a_till_role());
        }
        let ctx = &session.ctx;
        let invoice = self.invoice(ctx, invoice_id).await?;
        let l = invoice
            .lines
            .get(line)
            .ok_or_else(|| EngineError::field(Issue::new("unknown_line", "no such line", "چنین ردیفی نیست").at("line")))?;
        let units = l.quantity.round() as i64;
        let branch = till_branch(session)?.to_string();
        let external_id = format!("pos-return:{invoice_id}:{line}:{key}");
        let mut tx = self.store.begin_write().await?;
        self.store.lock_refund_target(&mut tx, ctx.id, invoice_id).await?.ok_or(EngineError::NotFound("invoice"))?;
        let returns: Vec<serde_json::Value> = self
            .store
            .return_details(&mut tx, ctx.id, invoice_id)
            .await?
            .iter()
            .filter_map(|d| serde_json::from_str(d).ok())
            .filter(|d: &serde_json::Value| d["line"].as_u64() == Some(line as u64))
            .collect();
        let repeated = returns.iter().any(|d| d["key"].as_str() == Some(key));
        // A return from before partial returns carries no quantity: it took the whole line.
        let before: i64 = returns.iter().map(|d| d["quantity"].as_i64().unwrap_or(units)).sum();
        let left = (units - before).max(0);
        let quantity = quantity.unwrap_or(left);
        if !repeated && !(1..=left).contains(&quantity) {
            return Err(EngineError::field(
                Issue::new(
                    "out_of_range",
                    format!("{left} of this line's {units} units are left to return"),
                    format!("از {units} عدد این ردیف {left} عدد قابل مرجوع است"),
                )
                .at("quantity"),
            ));
        }
        let share = line_share(&invoice, line);
        let amount =
            philia_domain::pos::return_amount(share, units, before, quantity).min(invoice.total - invoice.refunded_total);
        let input = RefundInput {
            external_id,
            source: Some("pos".into()),
            amount: Some(amount),
            reason: Some(format!("returned {quantity} × {}", l.sku.as_deref().unwrap_or(""))),
            refunded_at: None,
        };
        let r = input.parse(&ctx.zone, jiff::Timestamp::now())?;
        let (refund, created) = self.refund_invoice_in(&mut tx, ctx, invoice_id, &r).await?;
        if created {
            let now = now_ms();
            let branch_id = self.store.branch_id(&mut tx, ctx.id, &branch).await?.ok_or(EngineError::NotFound("branch"))?;
            if let Some(sku) = &l.sku {
                let stocked = self.store.till_products_by_sku(&mut tx, ctx.id, branch_id, std::slice::from_ref(sku)).await?;
                if let Some(p) = stocked.first().filter(|p| p.stock.is_some()) {
                    let reason = format!("return:{invoice_id}:{line}");
                    self.store
                        .change_stock(&mut tx, ctx.id, branch_id, p.id, StockChange::Move(quantity), Some(&reason), now)
                        .await?;
                }
            }
            let detail =
                serde_json::json!({"line": line, "quantity": quantity, "amount": amount, "refund": refund.id, "key": key});
            self.store
                .insert_pos_action(
                    &mut tx,
                    ctx.id,
                    session.staff_id,
                    &branch,
                    "return",
                    Some(invoice_id),
                    &detail.to_string(),
                    now,
                )
                .await?;
        }
        philia_store::commit(tx).await?;
        Ok((refund, created))
    }
}

/// Spreads a discount over lines in proportion to their amounts; the last line takes the
/// rounding, so the parts add up to the whole.
fn spread(lines: &mut [LineInput], subtotal: i64, discount: i64) {
    if subtotal <= 0 || discount <= 0 || lines.is_empty() {
        return;
    }
    let mut given = 0;
    let last = lines.len() - 1;
    for (i, l) in lines.iter_mut().enumerate() {
        let amount = l.unit_price * l.quantity.unwrap_or(1.0) as i64;
        let part = if i == last { discount - given } else { discount * amount / subtotal };
        given += part;
        l.discount = Some(part);
    }
}

/// A line's share of what the invoice finally cost (after codes and loyalty payments), in
/// proportion to the line's amount.
fn line_share(invoice: &Invoice, line: usize) -> i64 {
    let sum: i64 = invoice.lines.iter().map(|l| l.total).sum();
    if sum <= 0 {
        return 0;
    }
    invoice.total * invoice.lines[line].total / sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(price: i64, qty: f64) -> LineInput {
        LineInput { sku: None, product_name: None, category: None, quantity: Some(qty), unit_price: price, discount: None }
    }

    #[test]
    fn a_discount_is_spread_to_the_last_toman() {
        let mut lines = vec![line(100_000, 1.0), line(33_333, 3.0), line(1, 1.0)];
        let subtotal = 100_000 + 99_999 + 1;
        spread(&mut lines, subtotal, 20_000);
        let parts: Vec<i64> = lines.iter().map(|l| l.discount.unwrap()).collect();
        assert_eq!(parts.iter().sum::<i64>(), 20_000);
        assert_eq!(parts[0], 10_000);
    }
}
