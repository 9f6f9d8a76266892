//! Point types and the ledger's debits: spending, staff adjustments, reversals and expiry. Every
//! debit locks its account, records the expiries already due, then draws from the oldest usable
//! lots through [`Account`] and writes exactly what it decided.

use crate::audit::NOTHING;
use crate::customers::Page;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::points::{Account, Lot, PointTypeInput, parse_reason};
use philia_domain::records::{LedgerEntry, PointBalance, PointTypeRecord};
use philia_store::Conn;
use philia_store::batch::Batch;
use philia_store::customers::CurrentCustomer;
use philia_store::points::{BalanceDelta, EntryRow, PointTypeRow};
use serde::Deserialize;
use std::collections::HashMap;

/// A request to spend or adjust points.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointsChangeInput {
    /// Code of the point type.
    pub point_type: String,
    /// Points to spend (positive), or for an adjustment the signed change.
    pub points: i64,
    /// Why (required for adjustments).
    pub reason: Option<String>,
    /// A key that makes a retry return the first result; also accepted as the
    /// `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

/// An account open for writing: its lots as loaded, and what changed.
pub(crate) struct OpenAccount {
    pub customer_id: i64,
    pub point_type_id: i64,
    pub acc: Account,
    loaded: HashMap<i64, i64>,
    pub delta: BalanceDelta,
}

/// Spent points to give back.
pub(crate) struct PointsBack<'a> {
    pub customer_id: i64,
    pub point_type_id: i64,
    pub points: i64,
    pub spend_entry: i64,
    pub source_kind: &'static str,
    pub source_id: i64,
    pub idem_key: String,
    pub reason: &'a str,
    pub actor: Option<&'a str>,
}

/// A credit that opens a lot: cashback as points, a referral reward, points given back.
pub(crate) struct Credit<'a> {
    pub customer_id: i64,
    pub point_type_id: i64,
    pub kind: &'static str,
    pub points: i64,
    /// When it counts as earned (the fact's time).
    pub at: i64,
    pub expires_at: Option<i64>,
    pub source_kind: &'static str,
    pub source_id: i64,
    pub ref_entry_id: Option<i64>,
    pub idem_key: String,
    pub reason: String,
    pub actor: Option<&'a str>,
}

/// One of many credits written together (mission rewards of a batch).
pub(crate) struct BulkCredit {
    pub customer_id: i64,
    pub point_type_id: i64,
    pub points: i64,
    pub at: jiff::Timestamp,
    pub expires_at: Option<i64>,
    pub source_kind: &'static str,
    pub source_id: i64,
    pub idem_key: String,
    pub reason: String,
}

/// A debit to record on an open account.
pub(crate) struct Debit<'a> {
    pub kind: &'static str,
    pub points: i64,
    pub takes: Vec<(i64, i64)>,
    pub debt_added: i64,
    pub at: i64,
    pub source_kind: &'static str,
    pub source_id: Option<i64>,
    pub ref_entry_id: Option<i64>,
    pub idem_key: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<&'a str>,
}

fn types_by_code(types: Vec<(i64, PointTypeRecord)>) -> HashMap<String, (i64, PointTypeRecord)> {
    types.into_iter().map(|(id, t)| (t.code.clone(), (id, t))).collect()
}

/// What every staff correction needs: a non-zero amount (named `field`), a reason, and an
/// idempotency key. Returns the reason and the key.
pub(crate) fn correction(
    field: &str,
    amount: i64,
    reason: Option<&str>,
    body_key: Option<&str>,
    header_key: Option<&str>,
) -> Result<(String, String)> {
    if amount == 0 {
        return Err(EngineError::field(Issue::new("zero", "must not be zero", "نباید صفر باشد").at(field)));
    }
    let reason = parse_reason(reason).map_err(|i| EngineError::field(i.at("reason")))?;
    Ok((reason, idempotency_key(body_key, header_key)?))
}

fn point_type_row(t: &philia_domain::points::PointType) -> PointTypeRow {
    PointTypeRow {
        code: t.code.clone(),
        name: t.name.clone(),
        expiry: serde_json::to_string(&t.expiry).expect("a policy serialises"),
        counts_for_tiers: t.counts_for_tiers,
        spendable: t.spendable,
        warn_days: t.warn_days as i64,
        cash_value: t.cash_value,
    }
}

/// A debit larger than what can be spent.
pub(crate) fn insufficient_points(available: i64) -> EngineError {
    EngineError::conflict(
        "insufficient_points",
        format!("only {available} points are available"),
        format!("فقط {available} امتیاز قابل استفاده است"),
    )
}

pub(crate) fn key_reused() -> EngineError {
    EngineError::conflict(
        "idempotency_key_reused",
        "this idempotency key was used for a different request",
        "این کلید یکتایی برای درخواست دیگری به کار رفته است",
    )
}

/// A unique key a concurrent request inserted first is a lost race: the transaction runs again
/// and then finds that request's result.
pub(crate) fn unique_as_race(e: EngineError) -> EngineError {
    match e {
        EngineError::Store(s) if s.is_unique_violation() => EngineError::Race,
        other => other,
    }
}

pub(crate) fn unknown_point_type(code: &str) -> EngineError {
    EngineError::field(
        Issue::new("unknown_point_type", format!("there is no point type {code:?}"), format!("نوع امتیاز {code} تعریف نشده است"))
            .at("point_type"),
    )
}

/// The idempotency key of a money-like write, from the body or the `Idempotency-Key` header;
/// required, so a retry can never apply twice.
pub(crate) fn idempotency_key(body: Option<&str>, header: Option<&str>) -> Result<String> {
    let key = body.or(header).map(str::trim).filter(|k| !k.is_empty());
    match key {
        Some(k) if k.len() <= 200 => Ok(format!("api:{k}")),
        Some(_) => Err(EngineError::field(Issue::too_long(200).at("idempotency_key"))),
        None => Err(EngineError::field(
            Issue::new(
                "required",
                "is required (or send an Idempotency-Key header): a retry must not change points twice",
                "کلید یکتایی الزامی است تا تکرار درخواست امتیاز را دوباره تغییر ندهد",
            )
            .at("idempotency_key"),
        )),
    }
}

impl Engine {
    pub async fn create_point_type(&self, ctx: &TenantContext, input: &PointTypeInput) -> Result<PointTypeRecord> {
        let t = input.parse()?;
        let row = point_type_row(&t);
        let mut tx = self.store.begin_write().await?;
        let id = self.store.allocate_ids(&mut tx, 1).await?[0];
        if !self.store.insert_point_type(&mut tx, ctx.id, id, &row, now_ms()).await? {
            return Err(EngineError::conflict(
                "code_taken",
                "a point type with this code exists",
                "نوع امتیازی با این کد وجود دارد",
            ));
        }
        let types = types_by_code(self.store.point_types(&mut tx, ctx.id).await?);
        self.audit_in(&mut tx, ctx, "point_type.create", "point_type", &t.code, NOTHING, Some(&types[&t.code].1)).await?;
        philia_store::commit(tx).await?;
        Ok(types[&t.code].1.clone())
    }

    /// Changes a point type. A new expiry policy applies to points earned from now on.
    pub async fn update_point_type(&self, ctx: &TenantContext, code: &str, input: &PointTypeInput) -> Result<PointTypeRecord> {
        let t = input.parse()?;
        if t.code != code {
            return Err(EngineError::field(
                Issue::new("code_mismatch", "must match the code in the path", "کد باید با مسیر یکی باشد").at("code"),
            ));
        }
        let row = point_type_row(&t);
        let mut tx = self.store.begin_write().await?;
        let before = types_by_code(self.store.point_types(&mut tx, ctx.id).await?).remove(code).map(|t| t.1);
        if !self.store.update_point_type(&mut tx, ctx.id, &row, now_ms()).await? {
            return Err(EngineError::NotFound("point type"));
        }
        let types = types_by_code(self.store.point_types(&mut tx, ctx.id).await?);
        self.audit_in(&mut tx, ctx, "point_type.update", "point_type", code, before.as_ref(), Some(&types[&t.code].1)).await?;
        philia_store::commit(tx).await?;
        Ok(types[&t.code].1.clone())
    }

    /// What a new tenant starts with: purchase points that expire a year after they are earned,
    /// and Bronze / Silver / Gold tiers on them.
    pub(crate) async fn create_default_programme(&self, conn: &mut Conn, tenant_id: i64) -> Result<()> {
        let id = self.store.allocate_ids(conn, 1).await?[0];
        let row = PointTypeRow {
            code: "purchase".into(),
            name: "امتیاز خرید".into(),
            expiry: serde_json::to_string(&philia_domain::points::ExpiryPolicy::AfterDays { days: 365 })
                .expect("a policy serialises"),
            counts_for_tiers: true,
            spendable: true,
            warn_days: 14,
            cash_value: None,
        };
        self.store.insert_point_type(conn, tenant_id, id, &row, now_ms()).await?;
        let tiers =
            philia_domain::tiers::TierProgramme::default_for_new_tenant().parse().expect("the default programme is valid");
        self.store_tier_programme(conn, tenant_id, &tiers).await
    }

    pub async fn point_types(&self, ctx: &TenantContext) -> Result<Vec<PointTypeRecord>> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.store.point_types(&mut tx, ctx.id).await?.into_iter().map(|(_, t)| t).collect())
    }

    pub(crate) async fn point_type_map(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
    ) -> Result<HashMap<String, (i64, PointTypeRecord)>> {
        Ok(types_by_code(self.store.point_types(conn, ctx.id).await?))
    }

    /// The id a customer goes by now (a merged id finds its survivor); NotFound when unknown.
    pub(crate) async fn live_customer(&self, conn: &mut Conn, ctx: &TenantContext, id: i64) -> Result<i64> {
        match self.store.current_customer(conn, ctx.id, id).await? {
            None => Err(EngineError::NotFound("customer")),
            Some(CurrentCustomer::Itself { .. }) => Ok(id),
            Some(CurrentCustomer::MergedInto(survivor)) => Ok(survivor),
        }
    }

    /// The customer that holds `id`'s history now, with its tier: one read unless `id` was merged.
    pub(crate) async fn live_customer_with_tier(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        id: i64,
    ) -> Result<(i64, Option<String>)> {
        match self.store.current_customer(conn, ctx.id, id).await? {
            None => Err(EngineError::NotFound("customer")),
            Some(CurrentCustomer::Itself { tier }) => Ok((id, tier)),
            Some(CurrentCustomer::MergedInto(survivor)) => Ok((survivor, self.tier_of(conn, ctx, survivor).await?)),
        }
    }

    pub async fn balances(&self, ctx: &TenantContext, customer_id: i64) -> Result<Vec<PointBalance>> {
        let mut tx = self.store.begin_read().await?;
        let id = self.live_customer(&mut tx, ctx, customer_id).await?;
        drop(tx);
        Ok(self.store.balances_of(ctx.id, id, now_ms()).await?)
    }

    /// The entries that explain a customer's balances, newest first.
    pub async fn ledger(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        point_type: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<LedgerEntry>> {
        let limit = limit.clamp(1, 500);
        let before = crate::customers::parse_cursor(cursor)?;
        let mut tx = self.store.begin_read().await?;
        let id = self.live_customer(&mut tx, ctx, customer_id).await?;
        let type_id = match point_type {
            None => None,
            Some(code) => Some(self.point_type_map(&mut tx, ctx).await?.get(code).ok_or_else(|| unknown_point_type(code))?.0),
        };
        drop(tx);
        let mut items = self.store.ledger(ctx.id, id, type_id, before, limit + 1).await?;
        let next_cursor = (items.len() as i64 > limit).then(|| items[limit as usize - 1].id.to_string());
        items.truncate(limit as usize);
        Ok(Page { items, next_cursor })
    }

    /// Locks an account, loads its lots and records every expiry already due, so nothing after
    /// this can draw on an expired point.
    pub(crate) async fn open_account(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customer_id: i64,
        point_type_id: i64,
        now: i64,
    ) -> Result<OpenAccount> {
        let debt = self.store.lock_account(conn, ctx.id, customer_id, point_type_id).await?;
        let lots = self.store.open_lots(conn, ctx.id, customer_id, point_type_id).await?;
        let loaded = lots.iter().map(|l| (l.id, l.remaining)).collect();
        let mut open =
            OpenAccount { customer_id, point_type_id, acc: Account { lots, debt }, loaded, delta: BalanceDelta::default() };
        for (lot, points) in open.acc.expire(now) {
            let debit = Debit {
                kind: "expire",
                points,
                takes: vec![(lot, points)],
                debt_added: 0,
                at: now,
                source_kind: "expiry",
                source_id: Some(lot),
                ref_entry_id: None,
                idem_key: Some(format!("expire:{lot}")),
                reason: None,
                actor: None,
            };
            self.record_debit(conn, ctx, &mut open, debit, now).await?;
        }
        Ok(open)
    }

    /// Writes one debit of an open account: the entry, its draws and the balance change.
    pub(crate) async fn record_debit(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        open: &mut OpenAccount,
        d: Debit<'_>,
        now: i64,
    ) -> Result<i64> {
        let id = self.store.allocate_ids(conn, 1).await?[0];
        let mut writes = self.store.batch();
        self.record_debit_into(&mut writes, ctx, open, d, id, now);
        writes.run(conn).await?;
        Ok(id)
    }

    /// Writes one debit of an open account into `writes` (the entry and its draws) under an id the
    /// caller allocated, and counts its balance change.
    pub(crate) fn record_debit_into(
        &self,
        writes: &mut Batch,
        ctx: &TenantContext,
        open: &mut OpenAccount,
        d: Debit<'_>,
        id: i64,
        now: i64,
    ) {
        let entry = EntryRow {
            id,
            customer_id: open.customer_id,
            point_type_id: open.point_type_id,
            kind: d.kind,
            points: -d.points,
            remaining: 0,
            debt_change: d.debt_added,
            at: d.at,
            expires_at: None,
            source_kind: d.source_kind,
            source_id: d.source_id,
            ref_entry_id: d.ref_entry_id,
            idem_key: d.idem_key,
            reason: d.reason,
            actor: d.actor.map(str::to_string),
            detail: None,
            created_at: now,
        };
        self.store.insert_entries_into(writes, ctx.id, vec![entry]);
        self.store.insert_draws_into(writes, ctx.id, d.takes.iter().map(|(lot, n)| (id, *lot, *n)).collect());
        open.delta.balance -= d.points;
        open.delta.debt += d.debt_added;
        if matches!(d.kind, "reverse" | "adjust") {
            open.delta.earned -= d.points;
        }
    }

    /// Adds a credit that opens a lot on an open account (a positive adjustment).
    pub(crate) async fn record_credit(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        open: &mut OpenAccount,
        lot: Lot,
        row: EntryRow,
    ) -> Result<()> {
        let paid = open.acc.earn(lot);
        if let Some(l) = open.acc.lots.iter().find(|l| l.id == lot.id) {
            // A new lot is written with its remaining below; it was not loaded.
            open.loaded.insert(l.id, l.remaining);
        }
        open.delta.balance += row.points;
        open.delta.debt -= paid;
        // Points given back (a cancelled redemption) were earned once already; points moved in
        // from a coalition network were earned at another brand.
        if !matches!(row.kind, "return" | "transfer") {
            open.delta.earned += row.points;
        }
        self.store
            .insert_entries(conn, ctx.id, vec![EntryRow { remaining: row.points - paid, debt_change: -paid, ..row }])
            .await
            .map_err(EngineError::from)
    }

    /// Gives spent points back (a cancelled redemption, a refunded checkout) as a new lot that keeps
    /// the latest expiry of the lots they were drawn from, so giving back never extends a point's life
    /// beyond the longest-lived one it replaces.
    pub(crate) async fn return_points(&self, conn: &mut Conn, ctx: &TenantContext, b: PointsBack<'_>, now: i64) -> Result<()> {
        let draws = self.store.draws_of_entry(conn, ctx.id, b.spend_entry).await?;
        let expires_at = if draws.iter().any(|d| d.2.is_none()) { None } else { draws.iter().filter_map(|d| d.2).max() };
        let credit = Credit {
            customer_id: b.customer_id,
            point_type_id: b.point_type_id,
            kind: "return",
            points: b.points,
            at: now,
            expires_at,
            source_kind: b.source_kind,
            source_id: b.source_id,
            ref_entry_id: Some(b.spend_entry),
            idem_key: b.idem_key,
            reason: b.reason.to_string(),
            actor: b.actor,
        };
        self.credit_lot(conn, ctx, credit, now).await
    }

    /// Writes a credit that opens a lot (or pays off debt) on its own account.
    pub(crate) async fn credit_lot(&self, conn: &mut Conn, ctx: &TenantContext, c: Credit<'_>, now: i64) -> Result<()> {
        let mut open = self.open_account(conn, ctx, c.customer_id, c.point_type_id, now).await?;
        let id = self.store.allocate_ids(conn, 1).await?[0];
        let lot = Lot { id, remaining: c.points, earned_at: c.at, expires_at: c.expires_at };
        let row = EntryRow {
            id,
            customer_id: c.customer_id,
            point_type_id: c.point_type_id,
            kind: c.kind,
            points: c.points,
            remaining: c.points,
            debt_change: 0,
            at: c.at,
            expires_at: c.expires_at,
            source_kind: c.source_kind,
            source_id: Some(c.source_id),
            ref_entry_id: c.ref_entry_id,
            idem_key: Some(c.idem_key),
            reason: Some(c.reason),
            actor: c.actor.map(str::to_string),
            detail: None,
            created_at: now,
        };
        self.record_credit(conn, ctx, &mut open, lot, row).await?;
        self.close_account(conn, ctx, open).await
    }

    /// Awards points of a type now, as a prize or a gift: a lot with the type's expiry, and the
    /// customer's tier evaluated when the type counts toward tiers.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn award_points(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customer: i64,
        (type_id, t): (i64, &PointTypeRecord),
        points: i64,
        source: (&'static str, i64),
        idem_key: String,
        reason: String,
        now: i64,
    ) -> Result<()> {
        let at = jiff::Timestamp::from_millisecond(now).expect("now is valid");
        let credit = Credit {
            customer_id: customer,
            point_type_id: type_id,
            kind: "earn",
            points,
            at: now,
            expires_at: t.expiry.expires_at(at, &ctx.zone, ctx.calendar).map(|x| x.as_millisecond()),
            source_kind: source.0,
            source_id: source.1,
            ref_entry_id: None,
            idem_key,
            reason,
            actor: None,
        };
        self.credit_lot(conn, ctx, credit, now).await?;
        if t.counts_for_tiers {
            self.evaluate_tiers_in(conn, ctx, &[customer], philia_domain::tiers::Evaluation::AfterPurchase, source.0, now)
                .await?;
        }
        Ok(())
    }

    /// Writes many credits at once: each opens a lot, after paying off its account's debt. The
    /// balances are locked first, as a single credit's account would be.
    pub(crate) async fn credit_many(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        credits: Vec<BulkCredit>,
        now: i64,
    ) -> Result<()> {
        if credits.is_empty() {
            return Ok(());
        }
        let customers: Vec<i64> = credits.iter().map(|c| c.customer_id).collect();
        let mut debts: HashMap<(i64, i64), i64> =
            self.store.lock_balances(conn, ctx.id, &customers).await?.into_iter().map(|(k, (_, debt, _))| (k, debt)).collect();
        let ids = self.store.allocate_ids(conn, credits.len()).await?;
        let mut deltas: std::collections::BTreeMap<(i64, i64), BalanceDelta> = Default::default();
        let mut entries = Vec::with_capacity(credits.len());
        for (c, id) in credits.into_iter().zip(ids) {
            let account = (c.customer_id, c.point_type_id);
            let debt = debts.entry(account).or_default();
            let paid = (*debt).min(c.points);
            *debt -= paid;
            let d = deltas.entry(account).or_default();
            d.balance += c.points;
            d.debt -= paid;
            d.earned += c.points;
            entries.push(EntryRow {
                id,
                customer_id: c.customer_id,
                point_type_id: c.point_type_id,
                kind: "earn",
                points: c.points,
                remaining: c.points - paid,
                debt_change: -paid,
                at: c.at.as_millisecond(),
                expires_at: c.expires_at,
                source_kind: c.source_kind,
                source_id: Some(c.source_id),
                ref_entry_id: None,
                idem_key: Some(c.idem_key),
                reason: Some(c.reason),
                actor: None,
                detail: None,
                created_at: now,
            });
        }
        self.store.insert_entries(conn, ctx.id, entries).await?;
        self.store.add_balances(conn, ctx.id, deltas.into_iter().collect()).await?;
        Ok(())
    }

    /// Writes what changed in the lots and the balance of an open account.
    pub(crate) async fn close_account(&self, conn: &mut Conn, ctx: &TenantContext, open: OpenAccount) -> Result<()> {
        let mut writes = self.store.batch();
        self.close_account_into(&mut writes, ctx, open);
        writes.run(conn).await?;
        Ok(())
    }

    /// [`Self::close_account`] into `writes`.
    pub(crate) fn close_account_into(&self, writes: &mut Batch, ctx: &TenantContext, open: OpenAccount) {
        let now_left: HashMap<i64, i64> = open.acc.lots.iter().map(|l| (l.id, l.remaining)).collect();
        let changed: Vec<(i64, i64)> = open
            .loaded
            .iter()
            .filter_map(|(id, before)| {
                let after = now_left.get(id).copied().unwrap_or(0);
                (after != *before).then_some((*id, after))
            })
            .collect();
        self.store.set_lot_remaining_into(writes, ctx.id, &changed);
        if open.delta != BalanceDelta::default() {
            self.store.add_balances_into(writes, ctx.id, vec![((open.customer_id, open.point_type_id), open.delta)]);
        }
    }

    /// Spends points, oldest usable first. All or nothing; a retry with the same key returns the
    /// first entry. Refused while the balance carries a debt or does not cover the amount.
    pub async fn spend_points(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        input: &PointsChangeInput,
        header_key: Option<&str>,
        actor: &str,
    ) -> Result<(LedgerEntry, bool)> {
        if input.points <= 0 {
            return Err(EngineError::field(
                Issue::new("not_positive", "must be above zero", "باید بیشتر از صفر باشد").at("points"),
            ));
        }
        let reason =
            philia_domain::issue::optional_text(input.reason.as_deref(), 500).map_err(|i| EngineError::field(i.at("reason")))?;
        let key = idempotency_key(input.idempotency_key.as_deref(), header_key)?;
        self.change_points(ctx, customer_id, input, key, "spend", reason, actor).await
    }

    /// A staff or API correction, positive or negative, with a required reason. A negative one
    /// may not take more than the usable balance.
    pub async fn adjust_points(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        input: &PointsChangeInput,
        header_key: Option<&str>,
        actor: &str,
    ) -> Result<(LedgerEntry, bool)> {
        let (reason, key) =
            correction("points", input.points, input.reason.as_deref(), input.idempotency_key.as_deref(), header_key)?;
        self.change_points(ctx, customer_id, input, key, "adjust", Some(reason), actor).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn change_points(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        input: &PointsChangeInput,
        key: String,
        kind: &'static str,
        reason: Option<String>,
        actor: &str,
    ) -> Result<(LedgerEntry, bool)> {
        in_write_tx!(self, |conn| self
            .change_points_in(conn, ctx, customer_id, input, &key, kind, reason.clone(), actor)
            .await
            .map_err(unique_as_race))
    }

    #[allow(clippy::too_many_arguments)]
    async fn change_points_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customer_id: i64,
        input: &PointsChangeInput,
        key: &str,
        kind: &'static str,
        reason: Option<String>,
        actor: &str,
    ) -> Result<(LedgerEntry, bool)> {
        let now = now_ms();
        let customer = self.live_customer(conn, ctx, customer_id).await?;
        let types = self.point_type_map(conn, ctx).await?;
        let code = input.point_type.trim().to_lowercase();
        let (type_id, point_type) = types.get(&code).ok_or_else(|| unknown_point_type(&input.point_type))?;
        let signed = if kind == "spend" { -input.points } else { input.points };
        if let Some(existing) = self.store.entry_by_key(conn, ctx.id, key).await? {
            if existing.customer_id != customer
                || existing.point_type != point_type.code
                || existing.points != signed
                || existing.kind != kind
            {
                return Err(key_reused());
            }
            return Ok((existing, false));
        }
        if kind == "spend" && !point_type.spendable {
            return Err(EngineError::conflict(
                "not_spendable",
                "points of this type cannot be spent",
                "این نوع امتیاز قابل خرج نیست",
            ));
        }
        let mut open = self.open_account(conn, ctx, customer, *type_id, now).await?;
        if signed > 0 {
            let id = self.store.allocate_ids(conn, 1).await?[0];
            let earned = jiff::Timestamp::from_millisecond(now).expect("now is a valid instant");
            let expires_at = point_type.expiry.expires_at(earned, &ctx.zone, ctx.calendar).map(|t| t.as_millisecond());
            let lot = Lot { id, remaining: signed, earned_at: now, expires_at };
            let row = EntryRow {
                id,
                customer_id: customer,
                point_type_id: *type_id,
                kind,
                points: signed,
                remaining: signed,
                debt_change: 0,
                at: now,
                expires_at,
                source_kind: "api",
                source_id: None,
                ref_entry_id: None,
                idem_key: Some(key.to_string()),
                reason,
                actor: Some(actor.to_string()),
                detail: None,
                created_at: now,
            };
            self.record_credit(conn, ctx, &mut open, lot, row).await?;
        } else {
            let takes = open.acc.spend(-signed, now).map_err(|short| insufficient_points(short.available))?;
            let debit = Debit {
                kind,
                points: -signed,
                takes,
                debt_added: 0,
                at: now,
                source_kind: "api",
                source_id: None,
                ref_entry_id: None,
                idem_key: Some(key.to_string()),
                reason,
                actor: Some(actor),
            };
            self.record_debit(conn, ctx, &mut open, debit, now).await?;
        }
        self.close_account(conn, ctx, open).await?;
        if kind == "adjust" {
            self.evaluate_tiers_in(conn, ctx, &[customer], philia_domain::tiers::Evaluation::AfterRefund, "adjustment", now)
                .await?;
        }
        let entry = self.store.entry_by_key(conn, ctx.id, key).await?.ok_or(EngineError::NotFound("ledger entry"))?;
        if kind == "adjust" {
            self.audit_in(conn, ctx, "points.adjust", "customer", &customer.to_string(), NOTHING, Some(&entry)).await?;
        }
        Ok((entry, true))
    }
}
