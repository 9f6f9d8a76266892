//! The sender: claims due messages from the outbox, sends them through each tenant's provider and
//! records the outcome of each as soon as it is known. A claim is a lease: when a sender dies
//! mid-send, its messages return to the queue when the lease runs out, so a crash loses nothing
//! and repeats at most the messages that were in flight. Several senders (processes, machines)
//! may share a PostgreSQL database: they skip each other's claimed rows.

use crate::messaging::Provider;
use crate::{Engine, Result, now_ms};
use philia_channels::{Delivery, EmailMessage, PushTarget, SendError, SmsMessage};
use philia_domain::calendar::from_millis;
use philia_domain::messaging::{Channel, DeliveryRules, retry_delay_ms};
use philia_store::messages::{MessageRow, Outcome};
use philia_store::push::PushSubscriptionRow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// How long a sender owns the messages it claimed: far longer than a batch takes (each call
/// times out after 15 s), so only a dead sender's messages are taken over.
pub const LEASE_MS: i64 = 5 * 60_000;
/// Messages claimed per round.
const BATCH: i64 = 500;
/// Provider calls in flight at once per sender.
const CONCURRENCY: usize = 64;
/// How far back delivery reports are asked for.
const REPORT_WINDOW_MS: i64 = 3 * 86_400_000;

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryRound {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Messages of dead senders put back in the queue.
    pub requeued: u64,
}

/// What a tenant's messages need at send time.
struct TenantSending {
    zone: jiff::tz::TimeZone,
    rules: DeliveryRules,
    providers: HashMap<Channel, Option<Arc<Provider>>>,
    consents: HashMap<i64, (Option<bool>, Option<bool>)>,
    undeliverable: HashSet<(String, String)>,
    /// The browsers of the customers with push messages in this round.
    push_targets: HashMap<i64, Vec<PushSubscriptionRow>>,
    /// Where a tapped notification leads, and its icon.
    club_path: String,
    icon: Option<String>,
}

fn channel_of(m: &MessageRow) -> Channel {
    Channel::parse(&m.channel).unwrap_or(Channel::Sms)
}

/// Decides, before any call, what to do with a claimed message; `None`: send it.
fn precheck(m: &MessageRow, t: &TenantSending, now: i64) -> Option<Outcome> {
    let channel = channel_of(m);
    // Browsers turned off or gone since the message was queued.
    if channel == Channel::Push && m.customer_id.and_then(|c| t.push_targets.get(&c)).is_none_or(Vec::is_empty) {
        return Some(Outcome::Skipped { reason: "no_push_subscription".into() });
    }
    if t.undeliverable.contains(&(m.channel.clone(), m.recipient.clone())) {
        return Some(Outcome::Skipped { reason: "undeliverable".into() });
    }
    if m.purpose == "marketing" {
        let consent = m.customer_id.and_then(|c| t.consents.get(&c)).and_then(|(sms, email)| match channel {
            Channel::Sms => *sms,
            Channel::Email => *email,
            Channel::Push => None,
        });
        // Consent withdrawn after the message was queued still stops it.
        if consent == Some(false) {
            return Some(Outcome::Skipped { reason: "opted_out".into() });
        }
        let release = t.rules.send_after(channel, from_millis(now), &t.zone).as_millisecond();
        if release > now {
            return Some(Outcome::Defer { due_at: release, reason: "quiet_hours".into() });
        }
    }
    None
}

impl TenantSending {
    fn job(&self, m: &MessageRow, provider: Arc<Provider>) -> Job {
        let (browsers, payload) = match channel_of(m) {
            Channel::Push => {
                let browsers = m.customer_id.and_then(|c| self.push_targets.get(&c)).cloned().unwrap_or_default();
                let title = m.subject.as_deref().unwrap_or_default();
                let payload = crate::push::payload(title, &m.body, &self.club_path, self.icon.as_deref(), &m.id.to_string());
                (browsers, payload)
            }
            _ => (Vec::new(), Vec::new()),
        };
        Job { message: m.clone(), provider, browsers, payload }
    }
}

fn after_failure(m: &MessageRow, error: &SendError, now: i64) -> Outcome {
    let reason = error.to_string();
    if error.is_retryable()
        && let Some(delay) = retry_delay_ms(m.attempts.max(1) as u32)
    {
        return Outcome::Retry { due_at: now + delay, reason };
    }
    Outcome::Failed { reason }
}

/// What a push message did per browser: those that took it and those that are gone.
#[derive(Default)]
struct PushReach {
    took: Vec<i64>,
    gone: Vec<i64>,
}

/// A message ready to go: where to, through what, and for push the browsers and the payload.
struct Job {
    message: MessageRow,
    provider: Arc<Provider>,
    browsers: Vec<PushSubscriptionRow>,
    payload: Vec<u8>,
}

async fn send_one(
    channels: philia_channels::Channels,
    job: &Job,
) -> (std::result::Result<philia_channels::Accepted, SendError>, PushReach) {
    let m = &job.message;
    let result = match &*job.provider {
        Provider::Sms(p) => {
            channels.send_sms(p, &SmsMessage { to: m.recipient.clone(), text: m.body.clone(), lookup: None }).await
        }
        Provider::Email(p) => {
            let message = EmailMessage {
                to: m.recipient.clone(),
                subject: m.subject.clone().unwrap_or_default(),
                text: m.body.clone(),
                html: m.html.clone(),
            };
            channels.send_email(p, &message).await
        }
        Provider::Push(p) => return send_push(&channels, p, job).await,
    };
    (result, PushReach::default())
}

/// Sends a push message to each of the customer's browsers: sent when any took it; a browser
/// the push service calls gone is forgotten; when every one is gone the message has nowhere to go.
async fn send_push(
    channels: &philia_channels::Channels,
    provider: &philia_channels::PushProvider,
    job: &Job,
) -> (std::result::Result<philia_channels::Accepted, SendError>, PushReach) {
    let mut reach = PushReach::default();
    let mut failure = None;
    for browser in &job.browsers {
        let target =
            PushTarget { endpoint: browser.endpoint.clone(), p256dh: browser.p256dh.clone(), auth: browser.auth.clone() };
        match channels.send_push(provider, &target, &job.payload).await {
            Ok(_) => reach.took.push(browser.id),
            Err(SendError::BadRecipient(_)) => reach.gone.push(browser.id),
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    let result = if !reach.took.is_empty() {
        Ok(philia_channels::Accepted { provider_id: None, cost: None })
    } else if let Some(e) = failure {
        Err(e)
    } else {
        Err(SendError::BadRecipient("every browser has turned notifications off".into()))
    };
    (result, reach)
}

/// An outcome to write.
struct Recorded {
    message: MessageRow,
    outcome: Outcome,
    bad_recipient: bool,
    push: PushReach,
}

fn sent_outcome(
    m: MessageRow,
    provider: &str,
    result: std::result::Result<philia_channels::Accepted, SendError>,
    push: PushReach,
) -> Recorded {
    // A push message's recipient is the customer, not an address to mark: their gone browsers
    // are forgotten one by one instead.
    let bad_recipient = matches!(result, Err(SendError::BadRecipient(_))) && channel_of(&m) != Channel::Push;
    let outcome = match result {
        Ok(a) => Outcome::Sent { provider: provider.into(), provider_id: a.provider_id, cost: a.cost },
        Err(e) => {
            tracing::warn!(tenant = m.tenant_id, message = m.id, provider, reason = %e, "message not sent");
            after_failure(&m, &e, now_ms())
        }
    };
    Recorded { message: m, outcome, bad_recipient, push }
}

/// The sends that have finished, without waiting. A send that panicked leaves its message
/// claimed; the lease brings it back.
fn finished(running: &mut tokio::task::JoinSet<Recorded>) -> Vec<Recorded> {
    let mut out = Vec::new();
    while let Some(done) = running.try_join_next() {
        if let Ok(r) = done {
            out.push(r);
        }
    }
    out
}

impl Engine {
    async fn tenant_sending(&self, tenant_id: i64, messages: &[&MessageRow]) -> Result<TenantSending> {
        let ctx = self.tenant_by_id(tenant_id).await?;
        let mut tx = self.store.begin_read().await?;
        let rules = self.delivery_rules_in(&mut tx, &ctx).await?;
        let mut providers = HashMap::new();
        for channel in messages.iter().map(|m| channel_of(m)).collect::<HashSet<_>>() {
            let p = self.provider_for(&mut tx, tenant_id, channel).await?.map(|(_, p)| Arc::new(p));
            providers.insert(channel, p);
        }
        let customers: Vec<i64> = messages
            .iter()
            .filter(|m| m.purpose == "marketing")
            .filter_map(|m| m.customer_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let consents = self.store.consents(&mut tx, tenant_id, &customers).await?;
        let push_customers: Vec<i64> =
            messages.iter().filter(|m| channel_of(m) == Channel::Push).filter_map(|m| m.customer_id).collect();
        let push_targets = self.store.push_subscriptions_of(&mut tx, tenant_id, &push_customers).await?;
        let mut undeliverable = HashSet::new();
        for channel in [Channel::Sms, Channel::Email] {
            let recipients: Vec<String> =
                messages.iter().filter(|m| channel_of(m) == channel).map(|m| m.recipient.clone()).collect();
            for r in self.store.undeliverable_among(&mut tx, tenant_id, channel.as_str(), &recipients).await? {
                undeliverable.insert((channel.as_str().to_string(), r));
            }
        }
        drop(tx);
        let icon = if push_customers.is_empty() { None } else { self.branding(&ctx).await?.logo_url };
        let club_path = format!("/club/{}", ctx.slug);
        Ok(TenantSending { zone: ctx.zone, rules, providers, consents, undeliverable, push_targets, club_path, icon })
    }

    /// Writes what became of messages, in one transaction; a recipient the provider called
    /// invalid is marked, so no later message tries it. Outcomes are written as soon as they
    /// are known: those that arrived together share a commit.
    async fn record(&self, outcomes: &[Recorded], round: &mut DeliveryRound) -> Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        self.store.relax_commit_flush(&mut tx).await?;
        for r in outcomes {
            if let (true, Outcome::Failed { reason }) = (r.bad_recipient, &r.outcome) {
                self.store
                    .mark_undeliverable(&mut tx, r.message.tenant_id, &r.message.channel, &r.message.recipient, reason, now)
                    .await?;
            }
            self.store.record_outcome(&mut tx, r.message.tenant_id, r.message.id, &r.outcome, now).await?;
            self.store.delete_push_subscriptions(&mut tx, r.message.tenant_id, &r.push.gone).await?;
            self.store.mark_push_sent(&mut tx, r.message.tenant_id, &r.push.took, now).await?;
        }
        philia_store::commit(tx).await?;
        for r in outcomes {
            match r.outcome {
                Outcome::Sent { .. } => round.sent += 1,
                Outcome::Retry { .. } | Outcome::Defer { .. } => round.retried += 1,
                Outcome::Failed { .. } => round.failed += 1,
                Outcome::Skipped { .. } => round.skipped += 1,
            }
        }
        Ok(())
    }

    /// One round of the sender: takes back messages of dead senders, claims up to `limit` due
    /// messages, sends them and records each outcome.
    pub async fn deliver_due(&self, now: i64, limit: i64) -> Result<DeliveryRound> {
        let mut round = DeliveryRound::default();
        {
            let mut tx = self.store.begin_read().await?;
            if !self.store.outbox_has_work(&mut tx, now).await? {
                return Ok(round);
            }
        }
        let mut tx = self.store.begin_write().await?;
        round.requeued = self.store.requeue_abandoned(&mut tx, now).await?;
        let claimed = self.store.claim_due_messages(&mut tx, now, now + LEASE_MS, limit).await?;
        philia_store::commit(tx).await?;
        round.claimed = claimed.len();
        if claimed.is_empty() {
            return Ok(round);
        }
        let mut by_tenant: HashMap<i64, Vec<&MessageRow>> = HashMap::new();
        for m in &claimed {
            by_tenant.entry(m.tenant_id).or_default().push(m);
        }
        let mut jobs = Vec::new();
        let mut decided = Vec::new();
        for (tenant_id, messages) in by_tenant {
            let sending = self.tenant_sending(tenant_id, &messages).await?;
            for m in messages {
                if let Some(outcome) = precheck(m, &sending, now) {
                    decided.push(Recorded { message: m.clone(), outcome, bad_recipient: false, push: PushReach::default() });
                    continue;
                }
                match sending.providers.get(&channel_of(m)).cloned().flatten() {
                    Some(provider) => jobs.push(sending.job(m, provider)),
                    None => {
                        let error = SendError::Misconfigured(format!("no {} provider is set up", m.channel));
                        decided.push(Recorded {
                            message: m.clone(),
                            outcome: after_failure(m, &error, now),
                            bad_recipient: false,
                            push: PushReach::default(),
                        });
                    }
                }
            }
        }
        self.record(&decided, &mut round).await?;
        let limiter = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
        let mut running = tokio::task::JoinSet::new();
        for job in jobs {
            let channels = self.channels.clone();
            let permit = limiter.clone().acquire_owned().await.expect("the limiter stays open");
            running.spawn(async move {
                let (result, reach) = send_one(channels, &job).await;
                drop(permit);
                sent_outcome(job.message, job.provider.name(), result, reach)
            });
            // Record what has finished while the rest are in flight.
            let done = finished(&mut running);
            self.record(&done, &mut round).await?;
        }
        while let Some(first) = running.join_next().await {
            let mut done: Vec<Recorded> = first.into_iter().collect();
            done.extend(finished(&mut running));
            self.record(&done, &mut round).await?;
        }
        Ok(round)
    }

    /// Asks providers with delivery reports about messages sent in the last three days.
    pub async fn collect_delivery_reports(&self, now: i64) -> Result<usize> {
        let mut tx = self.store.begin_read().await?;
        let waiting = self.store.awaiting_delivery(&mut tx, now - REPORT_WINDOW_MS, 2000).await?;
        drop(tx);
        let mut groups: HashMap<(i64, String), Vec<MessageRow>> = HashMap::new();
        for m in waiting.into_iter().filter(|m| m.provider.as_deref() == Some("kavenegar")) {
            groups.entry((m.tenant_id, m.channel.clone())).or_default().push(m);
        }
        let mut updated = 0;
        for ((tenant_id, _), messages) in groups {
            let mut tx = self.store.begin_read().await?;
            let provider = self.provider_for(&mut tx, tenant_id, Channel::Sms).await?;
            drop(tx);
            let Some((_, Provider::Sms(provider))) = provider else { continue };
            for chunk in messages.chunks(100) {
                let ids: Vec<String> = chunk.iter().filter_map(|m| m.provider_id.clone()).collect();
                let reports = match self.channels.sms_delivery(&provider, &ids).await {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(tenant = tenant_id, error = %e, "delivery reports failed");
                        break;
                    }
                };
                let by_id: HashMap<&str, &MessageRow> =
                    chunk.iter().filter_map(|m| Some((m.provider_id.as_deref()?, m))).collect();
                let mut tx = self.store.begin_write().await?;
                for (id, delivery) in &reports {
                    let Some(m) = by_id.get(id.as_str()) else { continue };
                    match delivery {
                        Delivery::Pending => continue,
                        Delivery::Delivered => {
                            self.store.record_delivery(&mut tx, tenant_id, m.id, "delivered", None, now).await?
                        }
                        Delivery::Failed(reason) => {
                            self.store.record_delivery(&mut tx, tenant_id, m.id, "failed", Some(reason), now).await?
                        }
                    }
                    updated += 1;
                }
                philia_store::commit(tx).await?;
            }
        }
        Ok(updated)
    }

    /// Sends messages as they come due, until the process ends: woken at once by messages queued
    /// in this process, and every second for those queued by others. Delivery reports are
    /// collected every five minutes.
    pub async fn run_outbox(self) {
        let mut next_reports = std::time::Instant::now();
        loop {
            match self.deliver_due(now_ms(), BATCH).await {
                Ok(r) if r.claimed > 0 => {
                    tracing::debug!(claimed = r.claimed, sent = r.sent, retried = r.retried, failed = r.failed, "outbox round");
                    if self.is_stopping() {
                        return;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox round failed"),
            }
            if std::time::Instant::now() >= next_reports {
                next_reports = std::time::Instant::now() + Duration::from_secs(300);
                if let Err(e) = self.collect_delivery_reports(now_ms()).await {
                    tracing::warn!(error = %e, "delivery reports failed");
                }
            }
            if self.pause(Duration::from_secs(1), Some(&self.outbox_signal)).await {
                return;
            }
        }
    }
}
