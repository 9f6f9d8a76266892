//! Broadcast campaigns: a template to a segment, a list or everyone, now or at a set time, with a
//! random hold-out that receives nothing; and the report that compares the two groups.

use crate::message_queue::Outgoing;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::calendar::from_millis;
use philia_domain::campaigns::{Audience, Campaign, CampaignInput, Difference, GroupOutcome, in_holdout, lift};
use philia_store::Conn;
use philia_store::campaigns::CampaignRow;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Customers queued per transaction while launching: large enough to amortise the commit, small
/// enough that a long launch does not hold the writer for long.
const LAUNCH_CHUNK: usize = 5_000;
/// Chunks written at once on PostgreSQL.
const LAUNCH_PARALLEL: usize = 4;
/// How long a launcher owns a campaign; a launch that dies is taken over after it.
const LAUNCH_LEASE_MS: i64 = 10 * 60_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignRecord {
    pub id: i64,
    #[serde(flatten)]
    pub input: CampaignInput,
    /// `draft`, `scheduled`, `sending`, `sent` or `cancelled`.
    pub status: String,
    pub scheduled_for: Option<String>,
    pub launched_at: Option<String>,
    pub finished_at: Option<String>,
    pub created_at: String,
    /// Its messages per delivery status (`queued`, `sent`, `delivered`, `failed`, `skipped`).
    pub messages: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupReport {
    pub members: i64,
    pub converted: i64,
    pub conversion_rate: f64,
    pub sales: i64,
    pub sales_per_customer: f64,
}

/// The campaign report (SPEC G7): what the sent group and the hold-out bought from the launch to
/// the end of the window, and the lift with 95 % confidence intervals.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignReport {
    pub campaign: String,
    pub from: String,
    pub to: String,
    pub sent: GroupReport,
    pub held_out: GroupReport,
    /// Conversion rate of the sent group minus the hold-out's (absent without a hold-out).
    pub conversion_lift: Option<Difference>,
    /// Net sales per customer of the sent group minus the hold-out's.
    pub sales_per_customer_lift: Option<Difference>,
    pub messages: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Days after the launch that count (default 14).
    pub days: Option<u32>,
}

fn source(id: i64) -> String {
    format!("campaign:{id}")
}

/// `field` names something that does not exist: a template, a segment or a list.
fn unknown(field: &'static str, code: &str) -> EngineError {
    let issue_code = match field {
        "template" => "unknown_template",
        "segment" => "unknown_segment",
        _ => "unknown_list",
    };
    EngineError::field(
        Issue::new(issue_code, format!("no {field} has the code {code}"), format!("{field} با کد {code} نیست")).at(field),
    )
}

impl Engine {
    async fn check_campaign(&self, conn: &mut Conn, ctx: &TenantContext, c: &Campaign) -> Result<()> {
        if self.store.template_by_code(conn, ctx.id, &c.template).await?.is_none() {
            return Err(unknown("template", &c.template));
        }
        match &c.audience {
            Audience::Segment(s) if self.store.segment_by_code(conn, ctx.id, s).await?.is_none() => Err(unknown("segment", s)),
            Audience::List(l) if self.store.list_by_code(conn, ctx.id, l).await?.is_none() => Err(unknown("list", l)),
            _ => Ok(()),
        }
    }

    async fn campaign_record(&self, conn: &mut Conn, ctx: &TenantContext, row: CampaignRow) -> Result<CampaignRecord> {
        let input: CampaignInput =
            serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("campaign {}: {e}", row.code)))?;
        let messages = self.store.message_counts(conn, ctx.id, &source(row.id)).await?.into_iter().collect();
        let ts = |ms: i64| from_millis(ms).to_string();
        Ok(CampaignRecord {
            id: row.id,
            input,
            status: row.status,
            scheduled_for: row.send_at.map(ts),
            launched_at: row.launched_at.map(ts),
            finished_at: row.finished_at.map(ts),
            created_at: ts(row.created_at),
            messages,
        })
    }

    async fn campaign_row(&self, conn: &mut Conn, ctx: &TenantContext, code: &str) -> Result<CampaignRow> {
        self.store.campaign_by_code(conn, ctx.id, code).await?.ok_or(EngineError::NotFound("campaign"))
    }

    pub async fn create_campaign(&self, ctx: &TenantContext, input: &CampaignInput) -> Result<CampaignRecord> {
        let c = input.parse(&ctx.zone)?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        self.check_campaign(&mut tx, ctx, &c).await?;
        let row = CampaignRow {
            id: self.store.allocate_ids(&mut tx, 1).await?[0],
            code: c.code.clone(),
            body: serde_json::to_string(input).expect("campaigns serialise"),
            status: if c.send_at.is_some() { "scheduled" } else { "draft" }.into(),
            send_at: c.send_at.map(|t| t.as_millisecond()),
            launched_at: None,
            finished_at: None,
            created_at: now,
        };
        if !self.store.insert_campaign(&mut tx, ctx.id, &row, now).await? {
            return Err(EngineError::conflict(
                "duplicate_code",
                format!("a campaign with code {} exists", c.code),
                "کارزاری با این کد هست",
            ));
        }
        self.audit_in(&mut tx, ctx, "campaign.create", "campaign", &row.code, crate::audit::NOTHING, Some(input)).await?;
        let record = self.campaign_record(&mut tx, ctx, row).await?;
        philia_store::commit(tx).await?;
        Ok(record)
    }

    /// Changes a campaign that has not started sending.
    pub async fn update_campaign(&self, ctx: &TenantContext, code: &str, input: &CampaignInput) -> Result<CampaignRecord> {
        let c = input.parse(&ctx.zone)?;
        if c.code != code {
            return Err(EngineError::field(
                Issue::new("code_changed", "must match the campaign being changed", "باید با کد کارزار یکی باشد").at("code"),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        self.check_campaign(&mut tx, ctx, &c).await?;
        let mut row = self.campaign_row(&mut tx, ctx, code).await?;
        let was = crate::audit::stored(&row.body);
        row.body = serde_json::to_string(input).expect("campaigns serialise");
        row.status = if c.send_at.is_some() { "scheduled" } else { "draft" }.into();
        row.send_at = c.send_at.map(|t| t.as_millisecond());
        if !self.store.update_campaign(&mut tx, ctx.id, &row, now_ms()).await? {
            return Err(EngineError::conflict(
                "campaign_started",
                "a campaign that has started cannot change",
                "کارزاری که شروع شده تغییر نمی‌کند",
            ));
        }
        self.audit_in(&mut tx, ctx, "campaign.update", "campaign", code, Some(&was), Some(input)).await?;
        let record = self.campaign_record(&mut tx, ctx, row).await?;
        philia_store::commit(tx).await?;
        Ok(record)
    }

    pub async fn campaigns(&self, ctx: &TenantContext) -> Result<Vec<CampaignRecord>> {
        let mut tx = self.store.begin_read().await?;
        let mut out = Vec::new();
        for row in self.store.campaigns(&mut tx, ctx.id).await? {
            out.push(self.campaign_record(&mut tx, ctx, row).await?);
        }
        Ok(out)
    }

    pub async fn campaign(&self, ctx: &TenantContext, code: &str) -> Result<CampaignRecord> {
        let mut tx = self.store.begin_read().await?;
        let row = self.campaign_row(&mut tx, ctx, code).await?;
        self.campaign_record(&mut tx, ctx, row).await
    }

    pub async fn cancel_campaign(&self, ctx: &TenantContext, code: &str) -> Result<CampaignRecord> {
        let mut tx = self.store.begin_write().await?;
        let row = self.campaign_row(&mut tx, ctx, code).await?;
        if !self.store.cancel_campaign(&mut tx, ctx.id, row.id, now_ms()).await? {
            return Err(EngineError::conflict(
                "campaign_started",
                "a campaign that has started cannot be cancelled",
                "کارزاری که شروع شده لغو نمی‌شود",
            ));
        }
        let cancelled = serde_json::json!({ "status": "cancelled" });
        self.audit_in(
            &mut tx,
            ctx,
            "campaign.cancel",
            "campaign",
            code,
            Some(&crate::audit::stored(&row.body)),
            Some(&cancelled),
        )
        .await?;
        philia_store::commit(tx).await?;
        self.campaign(ctx, code).await
    }

    /// Sends a campaign now: every member of the audience gets the message queued (or is held
    /// out) before this returns; the sender delivers them as they come due.
    pub async fn send_campaign(&self, ctx: &TenantContext, code: &str) -> Result<CampaignRecord> {
        let row = {
            let mut tx = self.store.begin_read().await?;
            self.campaign_row(&mut tx, ctx, code).await?
        };
        if !self.launch_campaign(ctx, row.id).await? {
            return Err(EngineError::conflict(
                "campaign_started",
                "this campaign has already been sent or cancelled",
                "این کارزار پیش‌تر فرستاده یا لغو شده است",
            ));
        }
        self.campaign(ctx, code).await
    }

    /// The audience of a campaign now, by customer id.
    async fn audience(&self, ctx: &TenantContext, audience: &Audience) -> Result<Vec<i64>> {
        let mut tx = self.store.begin_read().await?;
        let mut out = Vec::new();
        match audience {
            Audience::Segment(code) => {
                let (_, s) = self.segment_row(&mut tx, ctx, code).await?;
                out = self.store.matching_ids(&mut tx, ctx.id, &s.rule, &self.clock(ctx), 0, None).await?;
            }
            Audience::List(code) => {
                let list = self.store.list_by_code(&mut tx, ctx.id, code).await?.ok_or_else(|| unknown("list", code))?;
                loop {
                    let page =
                        self.store.list_member_ids(&mut tx, ctx.id, list.id, out.last().copied().unwrap_or(0), 50_000).await?;
                    if page.is_empty() {
                        break;
                    }
                    out.extend(page);
                }
            }
            Audience::Everyone => loop {
                let page = self.store.customer_ids_after(ctx.id, out.last().copied().unwrap_or(0), 50_000).await?;
                if page.is_empty() {
                    break;
                }
                out.extend(page);
            },
        }
        Ok(out)
    }

    /// Launches a campaign if this process wins it (a draft, a due schedule or an abandoned
    /// launch). Members and messages are written in chunks; a relaunch after a crash skips what
    /// was written, as every message's key is the campaign and the customer.
    async fn launch_campaign(&self, ctx: &TenantContext, id: i64) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        if !self.store.claim_campaign(&mut tx, ctx.id, id, now, now + LAUNCH_LEASE_MS).await? {
            return Ok(false);
        }
        let row = self.store.campaign_by_id(&mut tx, ctx.id, id).await?.ok_or(EngineError::NotFound("campaign"))?;
        philia_store::commit(tx).await?;
        let input: CampaignInput =
            serde_json::from_str(&row.body).map_err(|e| EngineError::Io(format!("campaign {}: {e}", row.code)))?;
        let campaign = input.parse(&ctx.zone)?;
        let audience = self.audience(ctx, &campaign.audience).await?;
        // PostgreSQL takes chunks in parallel transactions (they touch different customers);
        // SQLite has one writer, so one at a time.
        let parallel = match self.store.backend() {
            philia_store::Backend::Postgres => LAUNCH_PARALLEL,
            philia_store::Backend::Sqlite => 1,
        };
        let mut running = tokio::task::JoinSet::new();
        for chunk in audience.chunks(LAUNCH_CHUNK) {
            if running.len() >= parallel
                && let Some(done) = running.join_next().await
            {
                done.map_err(|e| EngineError::Io(format!("a launch chunk stopped: {e}")))??;
            }
            let (engine, ctx, template) = (self.clone(), ctx.clone(), campaign.template.clone());
            let (chunk, holdout) = (chunk.to_vec(), campaign.holdout_percent);
            running.spawn(async move { engine.launch_chunk(&ctx, id, &template, holdout, &chunk, now).await });
        }
        while let Some(done) = running.join_next().await {
            done.map_err(|e| EngineError::Io(format!("a launch chunk stopped: {e}")))??;
        }
        let mut tx = self.store.begin_write().await?;
        self.store.finish_campaign(&mut tx, ctx.id, id, now_ms()).await?;
        philia_store::commit(tx).await?;
        tracing::info!(tenant = %ctx.slug, campaign = %row.code, audience = audience.len(), "campaign launched");
        Ok(true)
    }

    /// Records one chunk of a campaign's audience and queues its messages, in one transaction.
    async fn launch_chunk(
        &self,
        ctx: &TenantContext,
        id: i64,
        template: &str,
        holdout: u8,
        chunk: &[i64],
        now: i64,
    ) -> Result<()> {
        let members: Vec<(i64, bool)> = chunk.iter().map(|c| (*c, in_holdout(id, *c, holdout))).collect();
        in_write_tx!(self, |conn| {
            async {
                let template = self.template_in(conn, ctx, template).await?;
                // A member and their message are written together, so only members recorded now
                // (not by an earlier, interrupted launch) can be without one.
                let added = self.store.add_campaign_members(conn, ctx.id, id, &members).await?;
                let items: Vec<Outgoing> = members
                    .iter()
                    .filter(|(c, held)| !held && added.contains(c))
                    .map(|(c, _)| Outgoing {
                        customer_id: *c,
                        source: source(id),
                        dedupe_key: format!("campaign:{id}:{c}"),
                        data: None,
                        mission: None,
                    })
                    .collect();
                self.enqueue_new_in(conn, ctx, &template, &items.iter().collect::<Vec<_>>(), now).await
            }
            .await
        })?;
        self.outbox_signal.notify_one();
        Ok(())
    }

    /// Launches scheduled campaigns that are due, and relaunches abandoned ones (every minute).
    pub async fn launch_due_campaigns(&self, now: i64) -> Result<usize> {
        let due = {
            let mut tx = self.store.begin_read().await?;
            self.store.due_campaigns(&mut tx, now).await?
        };
        let mut launched = 0;
        for (tenant_id, id) in due {
            let ctx = self.tenant_by_id(tenant_id).await?;
            if self.launch_campaign(&ctx, id).await? {
                launched += 1;
            }
        }
        Ok(launched)
    }

    pub async fn campaign_report(&self, ctx: &TenantContext, code: &str, q: &ReportQuery) -> Result<CampaignReport> {
        let days = q.days.unwrap_or(14);
        if !(1..=365).contains(&days) {
            return Err(EngineError::field(Issue::new("out_of_range", "must be 1 to 365", "باید بین ۱ و ۳۶۵ باشد").at("days")));
        }
        let mut tx = self.store.begin_read().await?;
        let row = self.campaign_row(&mut tx, ctx, code).await?;
        let from = row
            .launched_at
            .ok_or_else(|| EngineError::conflict("not_sent", "this campaign has not been sent", "این کارزار فرستاده نشده است"))?;
        let to = from + i64::from(days) * 86_400_000;
        let mut sent = GroupOutcome::default();
        let mut held = GroupOutcome::default();
        for (held_out, members, converted, sales, squares) in
            self.store.campaign_outcomes(&mut tx, ctx.id, row.id, from, to).await?
        {
            let g = GroupOutcome { members, converted, sales, sales_squares: squares };
            if held_out { held = g } else { sent = g }
        }
        let messages = self.store.message_counts(&mut tx, ctx.id, &source(row.id)).await?.into_iter().collect();
        let group = |g: &GroupOutcome| GroupReport {
            members: g.members,
            converted: g.converted,
            conversion_rate: (g.conversion_rate() * 1e6).round() / 1e6,
            sales: g.sales,
            sales_per_customer: (g.sales_per_customer() * 100.0).round() / 100.0,
        };
        let lifts = lift(&sent, &held);
        Ok(CampaignReport {
            campaign: row.code,
            from: from_millis(from).to_string(),
            to: from_millis(to).to_string(),
            sent: group(&sent),
            held_out: group(&held),
            conversion_lift: lifts.map(|l| l.0),
            sales_per_customer_lift: lifts.map(|l| l.1),
            messages,
        })
    }
}
