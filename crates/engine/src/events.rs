//! Recording behavioural events with their rollups.

use crate::earning::{Earner, EarnerFacts};
use crate::invoices::{ItemResult, too_many};
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::FieldError;
use philia_domain::calendar::local_day;
use philia_domain::earning::{CustomerFacts, EventFacts, Trigger};
use philia_domain::event::{EventInput, ValidEvent};
use philia_domain::invoice::MAX_BATCH;
use philia_domain::missions::{FactKind, MissionFact};
use philia_domain::rollup::DailyDeltas;
use philia_store::Conn;
use philia_store::batch::Batch;
use philia_store::events::EventRow;
use philia_store::rollups::EventTypeDelta;
use std::collections::{BTreeMap, HashMap};

/// An event the engine raises about a customer it has resolved (a redemption, a play, a
/// mission's progress): its key is new by construction, so the checks events from outside need
/// are skipped (see [`Engine::write_own_events`]).
pub(crate) struct NewEvent {
    /// The whole key, unique per tenant.
    pub key: String,
    pub customer_id: i64,
    pub event_type: &'static str,
    pub at: i64,
    pub properties: String,
}

/// What a set of recorded events adds to the statistics: per customer, per customer and type,
/// per day.
#[derive(Default)]
struct EventTally {
    per_customer: BTreeMap<i64, i64>,
    per_type: BTreeMap<(i64, String), EventTypeDelta>,
    days: DailyDeltas,
}

impl EventTally {
    fn add(&mut self, customer: Option<i64>, event_type: &str, at: i64, day: &str) {
        self.days.day(day).events += 1;
        let Some(c) = customer else { return };
        *self.per_customer.entry(c).or_default() += 1;
        let t = self.per_type.entry((c, event_type.to_string())).or_insert_with(|| EventTypeDelta {
            customer_id: c,
            event_type: event_type.to_string(),
            count: 0,
            first_at: at,
            last_at: at,
        });
        t.count += 1;
        t.first_at = t.first_at.min(at);
        t.last_at = t.last_at.max(at);
    }

    /// Writes the per-type and daily statistics into `writes`, and the customers' event counts
    /// when `counts` (the general path writes them with the rest of the customers' statistics).
    fn write_into(self, store: &philia_store::Store, writes: &mut Batch, tenant_id: i64, counts: bool) {
        if counts {
            store.count_customer_events_into(writes, tenant_id, &self.per_customer.into_iter().collect::<Vec<_>>());
        }
        store.add_event_type_stats_into(writes, tenant_id, self.per_type.into_values().collect());
        store.apply_daily_deltas_into(writes, tenant_id, &self.days);
    }
}

/// What writing a batch of events decided: results per input, and (index, customer, event id)
/// of the events of known customers, with their customers' invoice counts.
pub(crate) struct Written {
    results: Vec<ItemResult>,
    earning: Vec<(usize, i64, i64)>,
    previous: HashMap<i64, i64>,
    customer_ids: Vec<i64>,
}

/// The row of an event the engine raises, with its local day.
fn own_event_row(ctx: &TenantContext, id: i64, e: NewEvent, created_at: i64) -> EventRow {
    debug_assert!(!matches!(e.event_type, philia_domain::event::CLUB_LOGIN | philia_domain::event::CLUB_LOGOUT));
    EventRow {
        id,
        event_key: Some(e.key),
        customer_id: Some(e.customer_id),
        event_type: e.event_type.to_string(),
        source: "philia".into(),
        occurred_at: e.at,
        day: local_day(philia_domain::calendar::from_millis(e.at), &ctx.zone).to_string(),
        properties: e.properties,
        created_at,
    }
}

impl Engine {
    /// Records events (one or a batch of up to 10,000), idempotent on `event_id`.
    pub async fn record_events(&self, ctx: &TenantContext, inputs: &[EventInput]) -> Result<Vec<ItemResult>> {
        if inputs.len() > MAX_BATCH {
            return Err(too_many(inputs.len()));
        }
        let now = jiff::Timestamp::now();
        let parsed: Vec<std::result::Result<ValidEvent, Vec<FieldError>>> =
            inputs.iter().map(|i| i.parse(&ctx.zone, now).map_err(|e| e.0)).collect();
        in_write_tx!(self, |conn| self.record_events_in(conn, ctx, &parsed).await)
    }

    /// Records events and the points they earn (and the tiers those points reach).
    pub(crate) async fn record_events_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        parsed: &[std::result::Result<ValidEvent, Vec<FieldError>>],
    ) -> Result<Vec<ItemResult>> {
        let now = now_ms();
        let Written { results, earning, previous, customer_ids } = self.write_events_in(conn, ctx, parsed).await?;
        let valid = |i: usize| parsed[i].as_ref().expect("only valid events are indexed");
        // Points for events of known customers, in batch order.
        if let (Some(from), Some(to)) = (
            earning.iter().map(|(i, ..)| valid(*i).occurred_at.as_millisecond()).min(),
            earning.iter().map(|(i, ..)| valid(*i).occurred_at.as_millisecond()).max(),
        ) {
            let set = self.rule_set(conn, ctx, Trigger::Event, from, to).await?;
            if !set.is_empty() {
                let customers = self.customer_facts(conn, ctx, &set, &customer_ids, &previous).await?;
                let earners = earning
                    .iter()
                    .map(|&(i, customer_id, id)| {
                        let e = valid(i);
                        Earner {
                            source_kind: "event",
                            source_id: id,
                            customer_id,
                            at: e.occurred_at,
                            facts: EarnerFacts::Event {
                                event_type: &e.event_type,
                                source: &e.source,
                                properties: serde_json::from_str(&e.properties).unwrap_or_default(),
                            },
                        }
                    })
                    .collect();
                let credited = self.earn(conn, ctx, &set, earners, customers, now).await?;
                self.evaluate_tiers_in(conn, ctx, &credited, philia_domain::tiers::Evaluation::AfterPurchase, "event", now)
                    .await?;
            }
        }
        let missions = self.active_missions(conn, ctx).await?;
        if !missions.is_empty() {
            let facts: Vec<(i64, &ValidEvent, EventFacts)> = earning
                .iter()
                .map(|&(i, customer, _)| {
                    let e = valid(i);
                    let f = EventFacts {
                        event_type: e.event_type.clone(),
                        source: e.source.clone(),
                        local: e.occurred_at.to_zoned(ctx.zone.clone()).datetime(),
                        properties: serde_json::from_str(&e.properties).unwrap_or_default(),
                        customer: CustomerFacts::default(),
                    };
                    (customer, e, f)
                })
                .collect();
            let mission_facts: Vec<(i64, MissionFact<'_>)> = facts
                .iter()
                .map(|(c, e, f)| {
                    let fact = MissionFact {
                        kind: FactKind::Event,
                        event_type: Some(&e.event_type),
                        at: e.occurred_at,
                        amount: 0,
                        facts: Some(f),
                        invoice: None,
                    };
                    (*c, fact)
                })
                .collect();
            self.missions_in(conn, ctx, &missions, &mission_facts, now).await?;
        }
        self.segments_in(conn, ctx, &customer_ids).await?;
        Ok(results)
    }

    /// Writes one event the engine raises into `writes`, under an id the caller allocated, with
    /// its statistics. Not for the club's sign-in and sign-out, whose statistics are more than a
    /// count.
    pub(crate) fn write_own_event_into(&self, writes: &mut Batch, ctx: &TenantContext, id: i64, e: NewEvent) {
        let (customer, event_type, at) = (e.customer_id, e.event_type, e.at);
        let row = own_event_row(ctx, id, e, at);
        let mut tally = EventTally::default();
        tally.add(Some(customer), event_type, at, &row.day);
        self.store.insert_events_into(writes, ctx.id, vec![row]);
        tally.write_into(&self.store, writes, ctx.id, true);
    }

    /// Writes many events the engine raises about customers it has resolved (a batch's mission
    /// events) with their statistics: ids taken at once, the rows inserted in bulk, and the
    /// statistics counted from the rows that were new, so a key already recorded is skipped as on
    /// the general path. Not for the club's sign-in and sign-out, whose statistics are more than a
    /// count.
    pub(crate) async fn write_own_events(&self, conn: &mut Conn, ctx: &TenantContext, events: Vec<NewEvent>) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let ids = self.store.allocate_ids(conn, events.len()).await?;
        let mut facts: HashMap<i64, (i64, &'static str, i64, String)> = HashMap::with_capacity(events.len());
        let mut rows = Vec::with_capacity(events.len());
        for (e, id) in events.into_iter().zip(ids) {
            let (customer, event_type, at) = (e.customer_id, e.event_type, e.at);
            // When it was recorded, as on the general path: a backdated fact's events are new.
            let row = own_event_row(ctx, id, e, now);
            facts.insert(id, (customer, event_type, at, row.day.clone()));
            rows.push(row);
        }
        let inserted = self.store.insert_new_events(conn, ctx.id, rows).await?;
        let mut tally = EventTally::default();
        for id in inserted {
            let (customer, event_type, at, day) = &facts[&id];
            tally.add(Some(*customer), event_type, *at, day);
        }
        let mut writes = self.store.batch();
        tally.write_into(&self.store, &mut writes, ctx.id, true);
        writes.run(conn).await?;
        Ok(())
    }

    /// Records events and their rollups, without earning: the path of events the system raises
    /// itself (tier changes, expiry notices), which must not set off further earning.
    pub(crate) async fn write_events_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        parsed: &[std::result::Result<ValidEvent, Vec<FieldError>>],
    ) -> Result<Written> {
        let now = now_ms();
        let mut results: Vec<Option<ItemResult>> = vec![None; parsed.len()];
        let mut first_of: HashMap<&str, usize> = HashMap::new();
        let mut fresh = Vec::new();
        for (i, p) in parsed.iter().enumerate() {
            match p {
                Err(errors) => {
                    results[i] = Some(ItemResult {
                        index: i,
                        status: "invalid".into(),
                        id: None,
                        customer_id: None,
                        errors: errors.clone(),
                    })
                }
                Ok(e) => match &e.event_key {
                    Some(k) if first_of.contains_key(k.as_str()) => {}
                    Some(k) => {
                        first_of.insert(k, i);
                        fresh.push(i);
                    }
                    None => fresh.push(i),
                },
            }
        }
        let valid = |i: usize| parsed[i].as_ref().expect("only valid events are indexed");
        let keys: Vec<String> = fresh.iter().filter_map(|&i| valid(i).event_key.clone()).collect();
        let existing = self.store.existing_events(conn, ctx.id, &keys).await?;
        fresh.retain(|&i| match valid(i).event_key.as_ref().and_then(|k| existing.get(k)) {
            Some(id) => {
                results[i] =
                    Some(ItemResult { index: i, status: "duplicate".into(), id: Some(*id), customer_id: None, errors: vec![] });
                false
            }
            None => true,
        });
        let refs: Vec<_> = fresh.iter().map(|&i| valid(i).customer.as_ref()).collect();
        let source = fresh.first().map(|&i| valid(i).source.clone()).unwrap_or_else(|| "api".into());
        let resolved = self.resolve_customers(conn, ctx, &refs, &source, now).await?;
        let mut accepted = Vec::new();
        for (&i, r) in fresh.iter().zip(resolved) {
            match r {
                Ok(c) => accepted.push((i, c)),
                Err(e) => {
                    results[i] =
                        Some(ItemResult { index: i, status: "invalid".into(), id: None, customer_id: None, errors: vec![e] })
                }
            }
        }
        let ids = self.store.allocate_ids(conn, accepted.len()).await?;
        let mut rows = Vec::with_capacity(accepted.len());
        let mut tally = EventTally::default();
        let mut by_customer: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for ((i, customer), id) in accepted.iter().zip(&ids) {
            let e = valid(*i);
            let at = e.occurred_at.as_millisecond();
            let day = local_day(e.occurred_at, &ctx.zone).to_string();
            tally.add(*customer, &e.event_type, at, &day);
            if let Some(c) = customer {
                by_customer.entry(*c).or_default().push(*i);
            }
            rows.push(EventRow {
                id: *id,
                event_key: e.event_key.clone(),
                customer_id: *customer,
                event_type: e.event_type.clone(),
                source: e.source.clone(),
                occurred_at: at,
                day,
                properties: e.properties.clone(),
                created_at: now,
            });
            results[*i] =
                Some(ItemResult { index: *i, status: "created".into(), id: Some(*id), customer_id: *customer, errors: vec![] });
        }
        let inserted = self.store.insert_events(conn, ctx.id, rows).await?;
        if inserted != ids.len() as u64 {
            return Err(EngineError::Race);
        }
        let customer_ids: Vec<i64> = by_customer.keys().copied().collect();
        let mut stats = self.store.lock_customer_stats(conn, ctx.id, &customer_ids).await?;
        let previous: HashMap<i64, i64> = stats.iter().map(|(c, s)| (*c, s.invoice_count)).collect();
        let mut updated = Vec::new();
        for (customer, items) in by_customer {
            let mut s = stats.remove(&customer).unwrap_or_default();
            for i in items {
                let e = valid(i);
                s.add_event(&e.event_type, e.occurred_at.as_millisecond());
            }
            updated.push((customer, s));
        }
        self.store.write_customer_stats(conn, ctx.id, &updated).await?;
        let mut writes = self.store.batch();
        tally.write_into(&self.store, &mut writes, ctx.id, false);
        writes.run(conn).await?;

        let earning: Vec<(usize, i64, i64)> =
            accepted.iter().zip(&ids).filter_map(|((i, c), id)| c.map(|c| (*i, c, *id))).collect();
        for (i, p) in parsed.iter().enumerate() {
            if let (None, Ok(e)) = (&results[i], p) {
                let first = first_of[e.event_key.as_deref().unwrap_or_default()];
                let f = results[first].clone().expect("first copies are decided");
                results[i] = Some(ItemResult {
                    index: i,
                    status: "duplicate".into(),
                    id: f.id,
                    customer_id: f.customer_id,
                    errors: vec![],
                });
            }
        }
        let results = results.into_iter().map(|r| r.expect("every item is decided")).collect();
        Ok(Written { results, earning, previous, customer_ids })
    }
}
