//! Automations: a reader turns facts (invoices, events, sign-ups) and daily dates (birthdays, days
//! since the last purchase) into runs, one per customer per occurrence; a runner performs each due
//! run's actions — messages, points, codes, tags — in one transaction with marking it done, so a
//! run acts exactly once.
//!
//! The reader follows each trigger's facts by id. Ids come from one counter, so a fact written
//! after an automation was created has a higher id than its starting position. A fact whose
//! transaction commits late can become visible behind facts already read; the position therefore
//! only passes facts before the horizon of [`crate::fact_horizon`], and newer ones are read again
//! on the next pass (the run's unique occurrence makes that harmless).

use crate::message_queue::Outgoing;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::automations::{Action, Automation, AutomationInput, Trigger, birthday_key};
use philia_domain::calendar::{from_millis, local_day};
use philia_store::Conn;
use philia_store::automations::{AutomationRow, Fact, NewRun, RunRow};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// Facts read per statement.
const PAGE: i64 = 5_000;
/// How long a runner owns the runs it claimed.
const RUN_LEASE_MS: i64 = 5 * 60_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AutomationRecord {
    pub id: i64,
    #[serde(flatten)]
    pub input: AutomationInput,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunRecord {
    pub id: i64,
    pub customer_id: i64,
    /// What started it: `invoice:ID`, `event:ID`, `signup`, `birthday:YEAR`, `inactive:DAY`.
    pub occurrence: String,
    /// `queued`, `running`, `done`, `skipped` (conditions not met) or `failed`.
    pub status: String,
    /// What each action did, or why the run did not act.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    pub due_at: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RunRow> for RunRecord {
    fn from(r: RunRow) -> Self {
        let ts = |ms: i64| from_millis(ms).to_string();
        RunRecord {
            id: r.id,
            customer_id: r.customer_id,
            occurrence: r.occurrence,
            status: r.status,
            result: r.result.and_then(|t| serde_json::from_str(&t).ok()),
            due_at: ts(r.due_at),
            created_at: ts(r.created_at),
            updated_at: ts(r.updated_at),
        }
    }
}

/// What a pass of the reader and the runner did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AutomationRound {
    pub queued: u64,
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
}

fn parse_stored(row: &AutomationRow) -> Result<Automation> {
    let input: AutomationInput =
        serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("automation {}: {e}", row.code)))?;
    input.parse().map_err(EngineError::Invalid)
}

fn reference_error(field: String, what: &str, code: &str) -> EngineError {
    EngineError::field(
        Issue::new("unknown_reference", format!("no {what} has the code {code}"), format!("{what} با کد {code} نیست")).at(field),
    )
}

impl Engine {
    /// Every template, point type and promotion an automation names must exist.
    async fn check_references(&self, conn: &mut Conn, ctx: &TenantContext, a: &Automation) -> Result<()> {
        let types = self.point_type_map(conn, ctx).await?;
        for (i, action) in a.input.actions.iter().enumerate() {
            match action {
                Action::Send { template } if self.store.template_by_code(conn, ctx.id, template).await?.is_none() => {
                    return Err(reference_error(format!("actions[{i}].template"), "template", template));
                }
                Action::Points { point_type, .. } if !types.contains_key(point_type) => {
                    return Err(reference_error(format!("actions[{i}].point_type"), "point type", point_type));
                }
                Action::Code { promotion, .. } if self.store.promotion_by_code(conn, ctx.id, promotion).await?.is_none() => {
                    return Err(reference_error(format!("actions[{i}].promotion"), "promotion", promotion));
                }
                Action::Webhook { webhook } if !self.store.endpoints(conn, ctx.id).await?.iter().any(|e| e.id == *webhook) => {
                    return Err(reference_error(format!("actions[{i}].webhook"), "webhook", &webhook.to_string()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn automation_record(row: &AutomationRow) -> Result<AutomationRecord> {
        let input: AutomationInput =
            serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("automation {}: {e}", row.code)))?;
        Ok(AutomationRecord { id: row.id, input, created_at: from_millis(row.created_at).to_string() })
    }

    /// Adds an automation. It reacts to facts from now on, never to earlier ones.
    pub async fn create_automation(&self, ctx: &TenantContext, input: &AutomationInput) -> Result<AutomationRecord> {
        let a = input.parse()?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        self.check_references(&mut tx, ctx, &a).await?;
        let ids = self.store.allocate_ids(&mut tx, 2).await?;
        let row = AutomationRow {
            tenant_id: ctx.id,
            id: ids[0],
            code: input.code.clone(),
            body: serde_json::to_string(input).expect("automations serialise"),
            paused: input.paused.unwrap_or(false),
            // Every fact written before now has a lower id than this fresh one.
            position: ids[1],
            scanned_day: None,
            created_at: now,
        };
        if !self.store.insert_automation(&mut tx, &row, now).await? {
            return Err(EngineError::conflict(
                "duplicate_code",
                format!("an automation with code {} exists", input.code),
                "خودکارسازی با این کد هست",
            ));
        }
        self.audit_in(&mut tx, ctx, "automation.create", "automation", &row.code, crate::audit::NOTHING, Some(input)).await?;
        philia_store::commit(tx).await?;
        Self::automation_record(&row)
    }

    /// Replaces an automation (also to pause or resume it with `paused`).
    pub async fn update_automation(&self, ctx: &TenantContext, code: &str, input: &AutomationInput) -> Result<AutomationRecord> {
        let a = input.parse()?;
        if input.code != code {
            return Err(EngineError::field(
                Issue::new("code_changed", "must match the automation being changed", "باید با کد یکی باشد").at("code"),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        self.check_references(&mut tx, ctx, &a).await?;
        let body = serde_json::to_string(input).expect("automations serialise");
        let before = self.store.automation_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("automation"))?;
        let paused = input.paused.unwrap_or(false);
        self.store.update_automation(&mut tx, ctx.id, code, &body, paused, now_ms()).await?;
        if before.paused && !paused {
            // Resumed: what happened while it was paused does not start it.
            let position = self.store.allocate_ids(&mut tx, 1).await?[0];
            self.store.set_automation_position(&mut tx, ctx.id, before.id, position, None).await?;
        }
        let row = self.store.automation_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("automation"))?;
        let was = crate::audit::stored(&before.body);
        self.audit_in(&mut tx, ctx, "automation.update", "automation", code, Some(&was), Some(input)).await?;
        philia_store::commit(tx).await?;
        Self::automation_record(&row)
    }

    pub async fn automations(&self, ctx: &TenantContext) -> Result<Vec<AutomationRecord>> {
        let mut tx = self.store.begin_read().await?;
        self.store.automations(&mut tx, ctx.id).await?.iter().map(Self::automation_record).collect()
    }

    pub async fn automation(&self, ctx: &TenantContext, code: &str) -> Result<AutomationRecord> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.automation_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("automation"))?;
        Self::automation_record(&row)
    }

    /// An automation's runs, newest first.
    pub async fn automation_runs(
        &self,
        ctx: &TenantContext,
        code: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<RunRecord>> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.automation_by_code(&mut tx, ctx.id, code).await?.ok_or(EngineError::NotFound("automation"))?;
        let runs = self.store.runs_of(&mut tx, ctx.id, row.id, before, limit.clamp(1, 1000)).await?;
        Ok(runs.into_iter().map(RunRecord::from).collect())
    }

    /// Reads new facts for every active automation and queues their runs.
    pub async fn scan_automations(&self, now: i64) -> Result<u64> {
        let active = {
            let mut tx = self.store.begin_read().await?;
            self.store.active_automations(&mut tx).await?
        };
        let mut queued = 0;
        let mut contexts: HashMap<i64, TenantContext> = HashMap::new();
        for row in active {
            if let std::collections::hash_map::Entry::Vacant(e) = contexts.entry(row.tenant_id) {
                e.insert(self.tenant_by_id(row.tenant_id).await?);
            }
            let ctx = &contexts[&row.tenant_id];
            match parse_stored(&row) {
                Ok(a) => queued += self.scan_one(ctx, &row, &a, now).await?,
                Err(e) => tracing::warn!(tenant = %ctx.slug, automation = %row.code, error = %e, "stored automation unreadable"),
            }
        }
        Ok(queued)
    }

    async fn scan_one(&self, ctx: &TenantContext, row: &AutomationRow, a: &Automation, now: i64) -> Result<u64> {
        let mut queued = 0;
        match &a.input.trigger {
            Trigger::Birthday { .. } | Trigger::Inactive { .. } => {
                let today = local_day(from_millis(now), &ctx.zone);
                if row.scanned_day.as_deref() == Some(today.to_string().as_str()) {
                    return Ok(0);
                }
                let mut tx = self.store.begin_write().await?;
                let runs: Vec<(i64, String, serde_json::Value)> = match &a.input.trigger {
                    Trigger::Birthday { days_before } => {
                        let key = birthday_key(today, *days_before);
                        let year = today.checked_add(jiff::Span::new().days(i64::from(*days_before))).unwrap_or(today).year();
                        self.store
                            .birthdays_on(&mut tx, ctx.id, &key)
                            .await?
                            .into_iter()
                            .map(|c| (c, format!("birthday:{year}"), json!({"days_before": days_before})))
                            .collect()
                    }
                    Trigger::Inactive { days } => {
                        let day = today.checked_sub(jiff::Span::new().days(i64::from(*days))).unwrap_or(today);
                        let start = |d: jiff::civil::Date| {
                            d.to_zoned(ctx.zone.clone()).map(|z| z.timestamp().as_millisecond()).unwrap_or(0)
                        };
                        let (from, to) = (start(day), start(day.tomorrow().unwrap_or(day)));
                        self.store
                            .last_purchased_between(&mut tx, ctx.id, from, to)
                            .await?
                            .into_iter()
                            .map(|(c, at)| (c, format!("inactive:{day}"), json!({"days": days, "last_purchase_at": at})))
                            .collect()
                    }
                    _ => Vec::new(),
                };
                let ids = self.store.allocate_ids(&mut tx, runs.len()).await?;
                let new: Vec<NewRun> = runs
                    .into_iter()
                    .zip(ids)
                    .map(|((customer_id, occurrence, data), id)| NewRun {
                        id,
                        automation_id: row.id,
                        customer_id,
                        occurrence,
                        data: data.to_string(),
                        due_at: now + a.delay_ms,
                    })
                    .collect();
                queued += self.store.insert_runs(&mut tx, ctx.id, &new, now).await?;
                self.store.set_automation_position(&mut tx, ctx.id, row.id, row.position, Some(&today.to_string())).await?;
                philia_store::commit(tx).await?;
            }
            trigger => {
                let mut position = row.position;
                let mut after = row.position;
                loop {
                    let mut tx = self.store.begin_write().await?;
                    let facts: Vec<Fact> = match trigger {
                        Trigger::Invoice {} => self.store.invoice_facts(&mut tx, ctx.id, after, PAGE).await?,
                        Trigger::Event { event_type } => self.store.event_facts(&mut tx, ctx.id, event_type, after, PAGE).await?,
                        _ => self.store.signup_facts(&mut tx, ctx.id, after, PAGE).await?,
                    };
                    let Some(last) = facts.last().map(|f| f.id) else { break };
                    let horizon = self.fact_horizon(&mut tx, now).await?;
                    let ids = self.store.allocate_ids(&mut tx, facts.len()).await?;
                    let mut settled = position == after;
                    let mut new = Vec::with_capacity(facts.len());
                    for (f, id) in facts.iter().zip(ids) {
                        settled = settled && f.created_at < horizon;
                        if settled {
                            position = f.id;
                        }
                        let (occurrence, data) = match trigger {
                            Trigger::Invoice {} => (format!("invoice:{}", f.id), json!({"invoice": f.data})),
                            Trigger::Event { .. } => {
                                (format!("event:{}", f.id), serde_json::from_str(&f.data).unwrap_or(json!({})))
                            }
                            _ => ("signup".to_string(), json!({})),
                        };
                        new.push(NewRun {
                            id,
                            automation_id: row.id,
                            customer_id: f.customer_id,
                            occurrence,
                            data: data.to_string(),
                            due_at: f.created_at.max(now) + a.delay_ms,
                        });
                    }
                    queued += self.store.insert_runs(&mut tx, ctx.id, &new, now).await?;
                    self.store.set_automation_position(&mut tx, ctx.id, row.id, position, None).await?;
                    philia_store::commit(tx).await?;
                    after = last;
                    if (facts.len() as i64) < PAGE {
                        break;
                    }
                }
            }
        }
        Ok(queued)
    }

    /// Performs due runs: checks each one's conditions now, then does its actions and marks it
    /// done in one transaction.
    pub async fn run_due_automations(&self, now: i64, limit: i64) -> Result<AutomationRound> {
        let mut round = AutomationRound::default();
        {
            let mut tx = self.store.begin_read().await?;
            if !self.store.runs_have_work(&mut tx, now).await? {
                return Ok(round);
            }
        }
        let claimed = {
            let mut tx = self.store.begin_write().await?;
            let runs = self.store.claim_due_runs(&mut tx, now, now + RUN_LEASE_MS, limit).await?;
            philia_store::commit(tx).await?;
            runs
        };
        let mut contexts: HashMap<i64, TenantContext> = HashMap::new();
        for run in claimed {
            if let std::collections::hash_map::Entry::Vacant(e) = contexts.entry(run.tenant_id) {
                e.insert(self.tenant_by_id(run.tenant_id).await?);
            }
            let ctx = &contexts[&run.tenant_id];
            let outcome = in_write_tx!(self, |conn| self.perform_run(conn, ctx, &run, now).await);
            let (status, result) = match outcome {
                Ok(status) => {
                    match status {
                        "done" => round.done += 1,
                        _ => round.skipped += 1,
                    }
                    continue;
                }
                Err(e @ (EngineError::Invalid(_) | EngineError::NotFound(_) | EngineError::Conflict { .. })) => {
                    ("failed", json!({"error": e.to_string()}))
                }
                Err(e) => return Err(e),
            };
            round.failed += 1;
            let mut tx = self.store.begin_write().await?;
            self.store.finish_run(&mut tx, ctx.id, run.id, status, &result.to_string(), now_ms()).await?;
            philia_store::commit(tx).await?;
        }
        if round.done > 0 {
            self.outbox_signal.notify_one();
        }
        Ok(round)
    }

    /// One run inside a transaction: `done` or `skipped`.
    async fn perform_run(&self, conn: &mut Conn, ctx: &TenantContext, run: &RunRow, now: i64) -> Result<&'static str> {
        let row =
            self.store.automation_by_id(conn, ctx.id, run.automation_id).await?.ok_or(EngineError::NotFound("automation"))?;
        let a = parse_stored(&row)?;
        let customer = self.live_customer(conn, ctx, run.customer_id).await?;
        if let Some(rule) = &a.conditions
            && !self.store.matching_among(conn, ctx.id, rule, &self.clock(ctx), &[customer]).await?.contains(&customer)
        {
            let result = json!({"skipped": "conditions not met"}).to_string();
            self.store.finish_run(conn, ctx.id, run.id, "skipped", &result, now_ms()).await?;
            return Ok("skipped");
        }
        let mut data: serde_json::Value = serde_json::from_str(&run.data).unwrap_or(json!({}));
        let mut results = Vec::new();
        for (i, action) in a.input.actions.iter().enumerate() {
            let key = format!("automation:{}:{i}", run.id);
            let done = match action {
                Action::Send { template } => {
                    let t = self.template_in(conn, ctx, template).await?;
                    let item = Outgoing {
                        customer_id: customer,
                        source: format!("automation:{}", row.id),
                        dedupe_key: key,
                        data: Some(data.clone()),
                        mission: data.get("mission").cloned(),
                    };
                    let ids = self.enqueue_in(conn, ctx, &t, &[item], now).await?;
                    json!({"send": template, "message_id": ids.first()})
                }
                Action::Points { point_type, points } => {
                    let types = self.point_type_map(conn, ctx).await?;
                    let (type_id, t) = types
                        .get(point_type)
                        .ok_or_else(|| reference_error(format!("actions[{i}].point_type"), "point type", point_type))?;
                    self.award_points(
                        conn,
                        ctx,
                        customer,
                        (*type_id, t),
                        *points,
                        ("automation", run.id),
                        key,
                        a.input.name.clone(),
                        now,
                    )
                    .await?;
                    json!({"points": points, "point_type": point_type})
                }
                Action::Code { promotion, valid_days } => {
                    let until = now + i64::from(*valid_days) * 86_400_000;
                    let code = self.issue_personal_code(conn, ctx, promotion, &a.input.code, customer, until).await?;
                    data["code"] = code.clone().into();
                    data["code_expires_at"] = until.into();
                    json!({"code": code, "promotion": promotion})
                }
                Action::Tag { add, remove } => {
                    self.change_tags_in(conn, ctx, customer, add, remove, now).await?;
                    json!({"tags_added": add, "tags_removed": remove})
                }
                Action::Webhook { webhook } => {
                    let body = json!({"automation": a.input.code, "run": run.id, "customer_id": customer, "trigger": data});
                    let topic = format!("automation.{}", a.input.code);
                    let id = self.queue_webhook_in(conn, ctx, *webhook, &topic, &key, body, now).await?;
                    json!({"webhook": webhook, "delivery": id})
                }
            };
            results.push(done);
        }
        self.store.finish_run(conn, ctx.id, run.id, "done", &json!({"actions": results}).to_string(), now_ms()).await?;
        Ok("done")
    }

    /// One pass of the reader and the runner (the serving process runs it every few seconds).
    pub async fn automation_round(&self, now: i64) -> Result<AutomationRound> {
        let queued = self.scan_automations(now).await?;
        let mut round = self.run_due_automations(now, 500).await?;
        round.queued = queued;
        Ok(round)
    }

    /// Runs automations until the process ends.
    pub async fn run_automations(self) {
        loop {
            match self.automation_round(now_ms()).await {
                Ok(r) if r.queued + r.done as u64 > 0 => tracing::debug!(queued = r.queued, done = r.done, "automations"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "automation round failed"),
            }
            if self.pause(std::time::Duration::from_secs(5), None).await {
                return;
            }
        }
    }
}

impl Engine {
    /// Adds and removes tags on a customer's profile (tags are kept lower-case).
    async fn change_tags_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customer: i64,
        add: &[String],
        remove: &[String],
        now: i64,
    ) -> Result<()> {
        let mut profiles = self.store.load_profiles(conn, ctx.id, &[customer]).await?;
        let mut p = profiles.remove(&customer).ok_or(EngineError::NotFound("customer"))?;
        let mut tags = p.tag_list();
        let remove: Vec<String> = remove.iter().map(|t| t.trim().to_lowercase()).collect();
        tags.retain(|t| !remove.contains(t));
        for t in add.iter().map(|t| t.trim().to_lowercase()) {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        p.tags = serde_json::to_string(&tags).expect("tags serialise");
        p.updated_at = now;
        Ok(self.store.update_profile(conn, ctx.id, &p).await?)
    }
}
