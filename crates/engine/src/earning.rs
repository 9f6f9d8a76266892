//! Earning: rules kept as versions, evaluated on invoices and events inside the transaction
//! that records them, and taken back in proportion when an invoice is refunded.

use crate::audit::{NOTHING, stored};
use crate::points::{Debit, unknown_point_type};
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::cap_usage::RulePoints;
use philia_domain::earning::{CustomerFacts, EventFacts, InvoiceFacts, LineFacts, PeriodKeys, Rule, RuleInput, Trigger, Usage};
use philia_domain::invoice::{InvoiceInput, ValidInvoice};
use philia_domain::points::reversal_due;
use philia_domain::records::EarningRuleRecord;
use philia_store::Conn;
use philia_store::points::{BalanceDelta, EntryRow, SourceEarning};
use philia_store::rules::RuleVersion;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One rule version ready to evaluate.
pub(crate) struct LiveRule {
    pub rule_id: i64,
    pub version: i64,
    pub from: i64,
    pub until: Option<i64>,
    pub rule: Rule,
    pub point_type_id: i64,
    pub expiry: philia_domain::points::ExpiryPolicy,
}

impl LiveRule {
    fn in_force_at(&self, at: jiff::Timestamp) -> bool {
        let ms = at.as_millisecond();
        self.from <= ms && self.until.is_none_or(|u| ms < u) && self.rule.open_at(at)
    }
}

/// The rules of one trigger in force over a span of time.
pub(crate) struct RuleSet {
    pub rules: Vec<LiveRule>,
}

impl RuleSet {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether any rule reads customer fields that only the profile holds.
    pub fn needs_profiles(&self) -> bool {
        self.rules.iter().any(|r| {
            let mut fields: Vec<&str> = r.rule.condition.as_ref().map(|c| c.fields()).unwrap_or_default();
            fields.extend(r.rule.multipliers.iter().flat_map(|(c, _)| c.fields()));
            fields.iter().any(|f| f.starts_with("customer.") && *f != "customer.previous_invoices")
        })
    }
}

/// What one rule gave one fact.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct Award {
    pub rule_id: i64,
    pub version: i64,
    pub rule: String,
    pub point_type: String,
    pub points: i64,
    /// Points the period caps held back.
    pub capped: i64,
}

/// What an invoice would earn, rule by rule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DryRun {
    pub customer_id: Option<i64>,
    pub awards: Vec<Award>,
    /// Total per point type.
    pub totals: BTreeMap<String, i64>,
}

/// A fact that may earn: an invoice or an event of a known customer.
pub(crate) struct Earner<'a> {
    pub source_kind: &'static str,
    pub source_id: i64,
    pub customer_id: i64,
    pub at: jiff::Timestamp,
    pub facts: EarnerFacts<'a>,
}

pub(crate) enum EarnerFacts<'a> {
    Invoice(&'a ValidInvoice, Vec<Option<String>>),
    Event { event_type: &'a str, source: &'a str, properties: serde_json::Map<String, serde_json::Value> },
}

/// Usage of capped rules, read once per batch and kept current while the batch is evaluated:
/// per customer, the counters of each period read or added to.
#[derive(Default)]
struct UsageBook {
    by_customer: HashMap<i64, Vec<PeriodUsage>>,
}

struct PeriodUsage {
    period: String,
    used: RulePoints,
    /// Whether the batch added to it, so it is written back.
    changed: bool,
}

impl UsageBook {
    fn from_stored(stored: HashMap<(i64, String), RulePoints>) -> UsageBook {
        let mut book = UsageBook::default();
        for ((customer, period), used) in stored {
            book.by_customer.entry(customer).or_default().push(PeriodUsage { period, used, changed: false });
        }
        book
    }

    /// The usage of one fact's periods (those `kept` by some rule), each found once per fact
    /// rather than once per rule and period.
    fn periods_of(&mut self, customer: i64, keys: &PeriodKeys, kept: [bool; 4]) -> FactUsage<'_> {
        let periods = self.by_customer.entry(customer).or_default();
        let mut at = [None; 4];
        for (slot, (key, kept)) in at.iter_mut().zip(keys.all_periods().into_iter().zip(kept)) {
            if !kept {
                continue;
            }
            *slot = Some(match periods.iter().position(|u| u.period == key) {
                Some(i) => i,
                None => {
                    periods.push(PeriodUsage { period: key.to_string(), used: RulePoints::default(), changed: false });
                    periods.len() - 1
                }
            });
        }
        FactUsage { periods, at }
    }

    /// The whole usage of every period the batch added to, as stored.
    fn changed(self) -> Vec<((i64, String), String)> {
        self.by_customer
            .into_iter()
            .flat_map(|(c, periods)| periods.into_iter().filter(|u| u.changed).map(move |u| ((c, u.period), u.used.text())))
            .collect()
    }
}

/// One fact's periods in its customer's usage: day, week, month and all time, where kept.
struct FactUsage<'a> {
    periods: &'a mut Vec<PeriodUsage>,
    at: [Option<usize>; 4],
}

impl FactUsage<'_> {
    fn usage(&self, rule: i64) -> Usage {
        let get = |slot: Option<usize>| slot.map_or(0, |i| self.periods[i].used.get(rule));
        Usage { day: get(self.at[0]), week: get(self.at[1]), month: get(self.at[2]), total: get(self.at[3]) }
    }

    /// Counts `points` given by `rule` in the periods the rule keeps.
    fn add(&mut self, rule: i64, kept: [bool; 4], points: i64) {
        for (slot, kept) in self.at.into_iter().zip(kept) {
            if let (Some(i), true) = (slot, kept) {
                self.periods[i].used.add(rule, points);
                self.periods[i].changed = true;
            }
        }
    }
}

impl Engine {
    async fn validate_rule(&self, conn: &mut Conn, ctx: &TenantContext, input: &RuleInput) -> Result<Rule> {
        let rule = input.parse(&ctx.zone)?;
        if !self.point_type_map(conn, ctx).await?.contains_key(&rule.point_type) {
            return Err(unknown_point_type(&rule.point_type));
        }
        Ok(rule)
    }

    /// Creates a rule. It applies to facts from now on, or from `starts_at` when that is earlier
    /// (so a late invoice of that period earns by it too).
    pub async fn create_rule(&self, ctx: &TenantContext, input: &RuleInput, actor: &str) -> Result<EarningRuleRecord> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let rule = self.validate_rule(&mut tx, ctx, input).await?;
        let ids = self.store.allocate_ids(&mut tx, 2).await?;
        let from = rule.starts_at.map(|s| s.as_millisecond().min(now)).unwrap_or(now);
        let v = RuleVersion {
            rule_id: ids[0],
            version: 1,
            trigger: rule.trigger.as_str().into(),
            body: serde_json::to_string(&rule.to_input()).expect("a rule serialises"),
            effective_from: from,
            effective_until: None,
        };
        self.store.insert_rule_version(&mut tx, ctx.id, ids[1], &v, Some(actor), now).await?;
        let key = v.rule_id.to_string();
        self.audit_in(&mut tx, ctx, "earning_rule.create", "earning_rule", &key, NOTHING, Some(&stored(&v.body))).await?;
        philia_store::commit(tx).await?;
        Ok(v.record(now)?)
    }

    /// Replaces a rule: the version in force ends now and the new one starts now, so facts of
    /// the past keep the rules of their time.
    pub async fn update_rule(
        &self,
        ctx: &TenantContext,
        rule_id: i64,
        input: &RuleInput,
        actor: &str,
    ) -> Result<EarningRuleRecord> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let rule = self.validate_rule(&mut tx, ctx, input).await?;
        let latest = self.store.lock_latest_rule(&mut tx, ctx.id, rule_id).await?.ok_or(EngineError::NotFound("earning rule"))?;
        if latest.trigger != rule.trigger.as_str() {
            return Err(EngineError::field(
                philia_domain::Issue::new(
                    "trigger_changed",
                    "a rule keeps its trigger; create a new rule instead",
                    "نوع قانون قابل تغییر نیست",
                )
                .at("trigger"),
            ));
        }
        if latest.effective_until.is_none_or(|u| u > now) {
            self.store.close_rule_version(&mut tx, ctx.id, rule_id, latest.version, now.max(latest.effective_from)).await?;
        }
        let id = self.store.allocate_ids(&mut tx, 1).await?[0];
        let before = stored(&latest.body);
        let v = RuleVersion {
            rule_id,
            version: latest.version + 1,
            trigger: latest.trigger,
            body: serde_json::to_string(&rule.to_input()).expect("a rule serialises"),
            effective_from: now.max(latest.effective_from),
            effective_until: None,
        };
        self.store.insert_rule_version(&mut tx, ctx.id, id, &v, Some(actor), now).await?;
        let key = rule_id.to_string();
        self.audit_in(&mut tx, ctx, "earning_rule.update", "earning_rule", &key, Some(&before), Some(&stored(&v.body))).await?;
        philia_store::commit(tx).await?;
        Ok(v.record(now)?)
    }

    /// Ends a rule now; its history stays.
    pub async fn disable_rule(&self, ctx: &TenantContext, rule_id: i64) -> Result<EarningRuleRecord> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let mut latest =
            self.store.lock_latest_rule(&mut tx, ctx.id, rule_id).await?.ok_or(EngineError::NotFound("earning rule"))?;
        if latest.effective_until.is_none_or(|u| u > now) {
            let at = now.max(latest.effective_from);
            self.store.close_rule_version(&mut tx, ctx.id, rule_id, latest.version, at).await?;
            latest.effective_until = Some(at);
            let key = rule_id.to_string();
            self.audit_in(&mut tx, ctx, "earning_rule.disable", "earning_rule", &key, Some(&stored(&latest.body)), NOTHING)
                .await?;
        }
        philia_store::commit(tx).await?;
        Ok(latest.record(now)?)
    }

    /// The latest version of every rule.
    pub async fn rules(&self, ctx: &TenantContext) -> Result<Vec<EarningRuleRecord>> {
        let now = now_ms();
        self.store.rule_versions(ctx.id, None).await?.iter().map(|v| Ok(v.record(now)?)).collect()
    }

    /// Every version of one rule, newest first.
    pub async fn rule_history(&self, ctx: &TenantContext, rule_id: i64) -> Result<Vec<EarningRuleRecord>> {
        let now = now_ms();
        let versions = self.store.rule_versions(ctx.id, Some(rule_id)).await?;
        if versions.is_empty() {
            return Err(EngineError::NotFound("earning rule"));
        }
        versions.iter().map(|v| Ok(v.record(now)?)).collect()
    }

    pub(crate) async fn rule_set(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        trigger: Trigger,
        from: i64,
        to: i64,
    ) -> Result<RuleSet> {
        let versions = self.store.rules_in_force(conn, ctx.id, trigger.as_str(), from, to).await?;
        if versions.is_empty() {
            return Ok(RuleSet { rules: Vec::new() });
        }
        let types = self.point_type_map(conn, ctx).await?;
        let mut rules = Vec::with_capacity(versions.len());
        for v in versions {
            let input: RuleInput =
                serde_json::from_str(&v.body).map_err(|e| EngineError::Io(format!("earning rule {}: {e}", v.rule_id)))?;
            let rule = input.parse(&ctx.zone).map_err(|e| EngineError::Io(format!("earning rule {}: {e}", v.rule_id)))?;
            let Some((type_id, t)) = types.get(&rule.point_type) else { continue };
            rules.push(LiveRule {
                rule_id: v.rule_id,
                version: v.version,
                from: v.effective_from,
                until: v.effective_until,
                point_type_id: *type_id,
                expiry: t.expiry,
                rule,
            });
        }
        Ok(RuleSet { rules })
    }

    /// What the rules know of each customer: previous invoices always, profile fields when a
    /// rule reads them.
    pub(crate) async fn customer_facts(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        set: &RuleSet,
        customers: &[i64],
        previous_invoices: &HashMap<i64, i64>,
    ) -> Result<HashMap<i64, CustomerFacts>> {
        let mut out: HashMap<i64, CustomerFacts> = customers
            .iter()
            .map(|c| {
                (*c, CustomerFacts { previous_invoices: previous_invoices.get(c).copied().unwrap_or(0), ..Default::default() })
            })
            .collect();
        if set.needs_profiles() {
            for (id, p) in self.store.load_profiles(conn, ctx.id, customers).await? {
                if let Some(f) = out.get_mut(&id) {
                    f.tier = p.tier.clone();
                    f.loyalty_class = p.loyalty_class.clone();
                    f.tags = serde_json::from_str(&p.tags).unwrap_or_default();
                    f.attributes = serde_json::from_str(&p.attributes).unwrap_or_default();
                }
            }
        }
        Ok(out)
    }

    /// Evaluates every rule on every fact (in order), applies the caps and credits the points.
    pub(crate) async fn earn(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        set: &RuleSet,
        earners: Vec<Earner<'_>>,
        mut customers: HashMap<i64, CustomerFacts>,
        now: i64,
    ) -> Result<Vec<i64>> {
        if set.is_empty() || earners.is_empty() {
            return Ok(Vec::new());
        }
        let customer_ids: Vec<i64> = customers.keys().copied().collect();
        let multipliers = self.tier_multipliers(conn, ctx, &customer_ids).await?;
        // The periods some rule keeps usage under; each fact's period names only when one does.
        let kept = set.rules.iter().fold([false; 4], |kept, r| {
            let periods = r.rule.caps.periods();
            std::array::from_fn(|i| kept[i] || periods[i])
        });
        let capped = kept.contains(&true);
        let period_keys: Vec<Option<PeriodKeys>> =
            earners.iter().map(|e| capped.then(|| PeriodKeys::of(e.at, &ctx.zone, ctx.calendar))).collect();
        let mut book = UsageBook::default();
        if capped {
            let mut pairs: Vec<(i64, String)> = Vec::with_capacity(earners.len() * 4);
            for (e, keys) in earners.iter().zip(period_keys.iter().flatten()) {
                for (key, kept) in keys.all_periods().into_iter().zip(kept) {
                    if kept {
                        pairs.push((e.customer_id, key.to_string()));
                    }
                }
            }
            pairs.sort_unstable();
            pairs.dedup();
            book = UsageBook::from_stored(self.store.cap_usage(conn, ctx.id, pairs).await?);
        }
        let mut credits: Vec<(usize, i64, Vec<Award>, i64)> = Vec::new();
        for (n, (e, keys)) in earners.iter().zip(&period_keys).enumerate() {
            let customer = customers.entry(e.customer_id).or_default();
            let mut usage = keys.as_ref().map(|keys| book.periods_of(e.customer_id, keys, kept));
            let mut by_type: BTreeMap<i64, Vec<Award>> = BTreeMap::new();
            let local = e.at.to_zoned(ctx.zone.clone()).datetime();
            let invoice_facts;
            let event_facts;
            let facts: Facts<'_> = match &e.facts {
                EarnerFacts::Invoice(inv, categories) => {
                    invoice_facts = invoice_facts_of(inv, categories, local, customer.clone());
                    Facts::Invoice(&invoice_facts)
                }
                EarnerFacts::Event { event_type, source, properties } => {
                    event_facts = EventFacts {
                        event_type: event_type.to_string(),
                        source: source.to_string(),
                        local,
                        properties: properties.clone(),
                        customer: customer.clone(),
                    };
                    Facts::Event(&event_facts)
                }
            };
            for live in set.rules.iter().filter(|r| r.in_force_at(e.at)) {
                let raw = match facts {
                    Facts::Invoice(f) => live.rule.invoice_points(f),
                    Facts::Event(f) => live.rule.event_points(f),
                };
                if raw <= 0 {
                    continue;
                }
                // The tier's earn multiplier, before the period caps bound the result.
                let raw = match multipliers.get(&e.customer_id) {
                    Some(m) => (raw as i128 * *m as i128 / 1000) as i64,
                    None => raw,
                };
                let granted = match usage.as_mut() {
                    Some(usage) if live.rule.caps.has_period_caps() => {
                        let granted = live.rule.caps.grant(raw, &usage.usage(live.rule_id));
                        if granted > 0 {
                            usage.add(live.rule_id, live.rule.caps.periods(), granted);
                        }
                        granted
                    }
                    _ => live.rule.caps.grant(raw, &Usage::default()),
                };
                if granted > 0 || raw > granted {
                    by_type.entry(live.point_type_id).or_default().push(Award {
                        rule_id: live.rule_id,
                        version: live.version,
                        rule: live.rule.name.clone(),
                        point_type: live.rule.point_type.clone(),
                        points: granted,
                        capped: raw - granted,
                    });
                }
            }
            if matches!(e.facts, EarnerFacts::Invoice(..)) {
                customer.previous_invoices += 1;
            }
            for (type_id, awards) in by_type {
                let total: i64 = awards.iter().map(|a| a.points).sum();
                if total > 0 {
                    credits.push((n, type_id, awards, total));
                }
            }
        }
        if credits.is_empty() {
            return Ok(Vec::new());
        }
        // Earnings pay off debts first: read (and lock) the balances they touch.
        let ids: Vec<i64> = {
            let mut v: Vec<i64> = credits.iter().map(|(n, ..)| earners[*n].customer_id).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let mut debts: HashMap<(i64, i64), i64> =
            self.store.lock_balances(conn, ctx.id, &ids).await?.into_iter().map(|(k, (_, debt, _))| (k, debt)).collect();
        let entry_ids = self.store.allocate_ids(conn, credits.len()).await?;
        let expiry_of: HashMap<i64, philia_domain::points::ExpiryPolicy> =
            set.rules.iter().map(|r| (r.point_type_id, r.expiry)).collect();
        let mut entries = Vec::with_capacity(credits.len());
        let mut deltas: BTreeMap<(i64, i64), BalanceDelta> = BTreeMap::new();
        for ((n, type_id, awards, total), id) in credits.into_iter().zip(entry_ids) {
            let e = &earners[n];
            let account = (e.customer_id, type_id);
            let debt = debts.entry(account).or_default();
            let paid = (*debt).min(total);
            *debt -= paid;
            let d = deltas.entry(account).or_default();
            d.balance += total;
            d.debt -= paid;
            d.earned += total;
            entries.push(EntryRow {
                id,
                customer_id: e.customer_id,
                point_type_id: type_id,
                kind: "earn",
                points: total,
                remaining: total - paid,
                debt_change: -paid,
                at: e.at.as_millisecond(),
                expires_at: expiry_of[&type_id].expires_at(e.at, &ctx.zone, ctx.calendar).map(|t| t.as_millisecond()),
                source_kind: e.source_kind,
                source_id: Some(e.source_id),
                ref_entry_id: None,
                // The source (an invoice or event recorded once) already makes this unique.
                idem_key: None,
                reason: None,
                actor: None,
                detail: Some(award_detail(&awards)),
                created_at: now,
            });
        }
        self.store.insert_entries(conn, ctx.id, entries).await?;
        self.store.add_balances(conn, ctx.id, deltas.into_iter().collect()).await?;
        let changed = book.changed();
        if !changed.is_empty() {
            self.store.write_cap_usage(conn, ctx.id, changed).await?;
        }
        Ok(ids)
    }

    /// Takes back, in proportion to what is now refunded, every earning of an invoice.
    pub(crate) async fn reverse_invoice_earnings(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        invoice_id: i64,
        invoice_total: i64,
        refunded_after: i64,
        refund_id: i64,
        at: i64,
    ) -> Result<()> {
        let now = now_ms();
        for earning in self.store.earnings_of_source(conn, ctx.id, "invoice", invoice_id).await? {
            let due = reversal_due(earning.points, invoice_total, refunded_after, earning.reversed);
            self.reverse_earning_in(conn, ctx, &earning, due, refund_id, at, now).await?;
        }
        Ok(())
    }

    /// Takes back `due` points of an earning because of a refund: from the lots it made while
    /// they last, as debt beyond that (points already spent).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn reverse_earning_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        earning: &SourceEarning,
        due: i64,
        refund_id: i64,
        at: i64,
        now: i64,
    ) -> Result<()> {
        if due <= 0 {
            return Ok(());
        }
        let mut open = self.open_account(conn, ctx, earning.customer_id, earning.point_type_id, now).await?;
        let (takes, short) = open.acc.reverse(due, now, Some(earning.entry_id));
        let debit = Debit {
            kind: "reverse",
            points: due,
            takes,
            debt_added: short,
            at,
            source_kind: "refund",
            source_id: Some(refund_id),
            ref_entry_id: Some(earning.entry_id),
            idem_key: Some(format!("refund:{refund_id}:{}", earning.entry_id)),
            reason: None,
            actor: None,
        };
        self.record_debit(conn, ctx, &mut open, debit, now).await?;
        self.close_account(conn, ctx, open).await
    }

    /// What an invoice would earn for a customer now, rule by rule, writing nothing.
    pub async fn dry_run(&self, ctx: &TenantContext, input: &InvoiceInput) -> Result<DryRun> {
        let inv = input.parse(&ctx.zone, &ctx.currency)?;
        let mut tx = self.store.begin_read().await?;
        let customer_id = match &inv.customer {
            Some(r) => self.find_customer(&mut tx, ctx, r).await?,
            None => None,
        };
        let categories = self.line_categories(&mut tx, ctx, &inv).await?;
        self.awards_for(&mut tx, ctx, &inv, &categories, customer_id).await
    }

    /// Each line's category: its own, or its product's in the catalogue.
    pub(crate) async fn line_categories(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        inv: &ValidInvoice,
    ) -> Result<Vec<Option<String>>> {
        let skus: Vec<String> = inv.lines.iter().filter(|l| l.category.is_none()).filter_map(|l| l.sku.clone()).collect();
        let catalogue = self.store.product_categories(conn, ctx.id, skus).await?;
        Ok(inv
            .lines
            .iter()
            .map(|l| l.category.clone().or_else(|| l.sku.as_ref().and_then(|s| catalogue.get(s).cloned())))
            .collect())
    }

    /// What the rules in force would give an invoice for a customer now, writing nothing.
    pub(crate) async fn awards_for(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        inv: &ValidInvoice,
        categories: &[Option<String>],
        customer_id: Option<i64>,
    ) -> Result<DryRun> {
        let at = inv.issued_at.as_millisecond();
        let set = self.rule_set(conn, ctx, Trigger::Invoice, at, at).await?;
        let mut customer = CustomerFacts::default();
        let keys = PeriodKeys::of(inv.issued_at, &ctx.zone, ctx.calendar);
        let mut book = UsageBook::default();
        let mut multiplier = 1000;
        if let Some(id) = customer_id {
            multiplier = self.tier_multipliers(conn, ctx, &[id]).await?.get(&id).copied().unwrap_or(1000);
            let stats = self.store.lock_customer_stats(conn, ctx.id, &[id]).await?;
            let previous = HashMap::from([(id, stats.get(&id).map(|s| s.invoice_count).unwrap_or(0))]);
            customer = self.customer_facts(conn, ctx, &set, &[id], &previous).await?.remove(&id).unwrap_or_default();
            let pairs = keys.all_periods().map(|p| (id, p.to_string())).to_vec();
            book = UsageBook::from_stored(self.store.cap_usage(conn, ctx.id, pairs).await?);
        }
        let local = inv.issued_at.to_zoned(ctx.zone.clone()).datetime();
        let facts = invoice_facts_of(inv, categories, local, customer);
        let usage = book.periods_of(customer_id.unwrap_or(0), &keys, [true; 4]);
        let mut awards = Vec::new();
        for live in set.rules.iter().filter(|r| r.in_force_at(inv.issued_at)) {
            let raw = live.rule.invoice_points(&facts);
            if raw <= 0 {
                continue;
            }
            let raw = (raw as i128 * multiplier as i128 / 1000) as i64;
            let granted = live.rule.caps.grant(raw, &usage.usage(live.rule_id));
            awards.push(Award {
                rule_id: live.rule_id,
                version: live.version,
                rule: live.rule.name.clone(),
                point_type: live.rule.point_type.clone(),
                points: granted,
                capped: raw - granted,
            });
        }
        let mut totals = BTreeMap::new();
        for a in &awards {
            *totals.entry(a.point_type.clone()).or_insert(0) += a.points;
        }
        Ok(DryRun { customer_id, awards, totals })
    }
}

enum Facts<'a> {
    Invoice(&'a InvoiceFacts),
    Event(&'a EventFacts),
}

pub(crate) fn invoice_facts_of(
    inv: &ValidInvoice,
    categories: &[Option<String>],
    local: jiff::civil::DateTime,
    customer: CustomerFacts,
) -> InvoiceFacts {
    InvoiceFacts {
        total: inv.charged(),
        amount: inv.paid_in_money(),
        subtotal: inv.subtotal,
        channel: inv.channel.as_str().into(),
        branch: inv.branch.clone(),
        source: inv.source.clone(),
        local,
        lines: inv
            .lines
            .iter()
            .zip(categories)
            .map(|(l, c)| LineFacts { category: c.clone(), sku: l.sku.clone(), total: l.total })
            .collect(),
        customer,
    }
}

/// What each rule gave, kept on the entry: `[[rule, version, points, held back by caps], …]`.
fn award_detail(awards: &[Award]) -> String {
    let rows: Vec<[i64; 4]> = awards.iter().map(|a| [a.rule_id, a.version, a.points, a.capped]).collect();
    serde_json::to_string(&rows).expect("numbers serialise")
}
