//! Putting messages in the outbox: who gets what, rendered with their own data, in the same
//! transaction as what caused them. Consent, recipients marked unable to receive, frequency caps
//! and quiet hours are applied here, and again by the sender for what may change meanwhile.

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::calendar::{from_millis, local_day};
use philia_domain::message_templates::{MessageTemplate, Purpose};
use philia_domain::messaging::Channel;
use philia_domain::referrals::referral_code;
use philia_store::Conn;
use philia_store::messages::{MessageRow, NewMessage, Wanted};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;

/// What a template is rendered with for one customer, and where their messages go.
pub(crate) struct CustomerContext {
    pub variables: serde_json::Value,
    pub language: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub sms_opt_in: Option<bool>,
    pub email_opt_in: Option<bool>,
}

/// One message for one customer, caused by `source`.
pub(crate) struct Outgoing {
    pub customer_id: i64,
    pub source: String,
    /// The same key never queues a second message.
    pub dedupe_key: String,
    /// What the cause adds to the template's variables as `data` (and `mission`).
    pub data: Option<serde_json::Value>,
    pub mission: Option<serde_json::Value>,
}

/// A message as the API shows it: the outbox row is also the delivery log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MessageRecord {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub purpose: String,
    pub template: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    /// `queued`, `sending`, `sent`, `delivered`, `failed` or `skipped`.
    pub status: String,
    /// Why it failed, was skipped or waits for another try.
    pub reason: Option<String>,
    pub attempts: i64,
    /// When it goes (or went) out: later than `created_at` in quiet hours and between retries.
    pub due_at: String,
    pub provider: Option<String>,
    pub provider_id: Option<String>,
    /// What the provider charged, in its unit.
    pub cost: Option<i64>,
    pub source: String,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub updated_at: String,
}

impl From<MessageRow> for MessageRecord {
    fn from(m: MessageRow) -> Self {
        let ts = |ms: i64| from_millis(ms).to_string();
        MessageRecord {
            id: m.id,
            customer_id: m.customer_id,
            channel: m.channel,
            recipient: m.recipient,
            purpose: m.purpose,
            template: m.template,
            subject: m.subject,
            body: m.body,
            status: m.status,
            reason: m.reason,
            attempts: m.attempts,
            due_at: ts(m.due_at),
            provider: m.provider,
            provider_id: m.provider_id,
            cost: m.cost,
            source: m.source,
            created_at: ts(m.created_at),
            sent_at: m.sent_at.map(ts),
            updated_at: ts(m.updated_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    /// The template's code.
    pub template: String,
    /// Added to the template's variables as `data`.
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
    /// Or the `Idempotency-Key` header: a retried request sends nothing new.
    pub idempotency_key: Option<String>,
}

fn message_key(body: Option<&str>, header: Option<&str>) -> Result<String> {
    match body.or(header).map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) if k.len() <= 200 => Ok(format!("api:{k}")),
        Some(_) => Err(EngineError::field(Issue::too_long(200).at("idempotency_key"))),
        None => Err(EngineError::field(
            Issue::new(
                "required",
                "is required (or send an Idempotency-Key header), so a retried request never sends twice",
                "کلید یکتایی الزامی است تا تکرار درخواست پیام را دوباره نفرستد",
            )
            .at("idempotency_key"),
        )),
    }
}

/// Where a customer's message on `channel` goes: their mobile, their email, or (push) every
/// browser they allowed, named `push:{customer}`; `None` when there is nowhere.
fn recipient_of(channel: Channel, customer_id: i64, c: &CustomerContext, push_devices: &HashMap<i64, usize>) -> Option<String> {
    match channel {
        Channel::Sms => c.mobile.clone(),
        Channel::Email => c.email.clone(),
        Channel::Push => push_devices.get(&customer_id).filter(|n| **n > 0).map(|_| format!("push:{customer_id}")),
    }
}

/// Why a message was not queued, when a rule stopped it before it was sent.
fn blocked(
    channel: Channel,
    purpose: Purpose,
    c: &CustomerContext,
    has_recipient: bool,
    undeliverable: bool,
    within_cap: bool,
) -> Option<&'static str> {
    // A browser's subscription is itself the customer's consent to its notifications.
    let opt_in = match channel {
        Channel::Sms => c.sms_opt_in,
        Channel::Email => c.email_opt_in,
        Channel::Push => None,
    };
    if !has_recipient {
        return Some(match channel {
            Channel::Sms => "no_mobile",
            Channel::Email => "no_email",
            Channel::Push => "no_push_subscription",
        });
    }
    if undeliverable {
        return Some("undeliverable");
    }
    if purpose == Purpose::Marketing && opt_in == Some(false) {
        return Some("opted_out");
    }
    if purpose == Purpose::Marketing && !within_cap {
        return Some("frequency_cap");
    }
    None
}

impl Engine {
    /// The variables of [`philia_domain::message_templates::VARIABLES`] for each customer.
    pub(crate) async fn message_contexts(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customers: &[i64],
        now: i64,
        wanted: Wanted,
    ) -> Result<HashMap<i64, CustomerContext>> {
        let profiles = self.store.load_addressees(conn, ctx.id, customers).await?;
        let referral_base = self.load_referrals(conn, ctx).await?.and_then(|p| p.link_base);
        let club_link = self.public_url.as_ref().map(|base| format!("{}/club/{}", base.trim_end_matches('/'), ctx.slug));
        let mut holdings = self.store.holdings(conn, ctx.id, customers, now, wanted).await?;
        let mut out = HashMap::new();
        for (id, p) in profiles {
            let h = holdings.remove(&id).unwrap_or_default();
            let by_type: serde_json::Map<String, serde_json::Value> =
                h.points.iter().map(|(t, b)| (t.clone(), (*b).into())).collect();
            let attributes: serde_json::Value = serde_json::from_str(&p.attributes).unwrap_or_default();
            let language = attributes.get("language").and_then(|l| l.as_str()).map(str::to_string);
            let name = philia_domain::customer::full_name(p.first_name.as_deref(), p.last_name.as_deref());
            let code = referral_code(ctx.id, id);
            let variables = json!({
                "customer": {
                    "id": id, "first_name": p.first_name, "last_name": p.last_name, "name": name,
                    "mobile": p.mobile, "email": p.email, "gender": p.gender, "birth_date": p.birth_date, "city": p.city,
                },
                "tenant": {"name": ctx.name, "slug": ctx.slug},
                "tier": p.tier,
                "points": h.points.iter().map(|(_, b)| b).sum::<i64>(),
                "points_by_type": by_type,
                "wallet": h.wallet,
                "expiring_points": h.expiring,
                "expiring_at": h.expiring_at,
                "referral_link": referral_base.as_ref().map(|b| format!("{b}{code}")),
                "referral_code": code,
                "club_link": club_link,
            });
            out.insert(
                id,
                CustomerContext {
                    variables,
                    language,
                    mobile: p.mobile,
                    email: p.email,
                    sms_opt_in: p.sms_opt_in.map(|v| v != 0),
                    email_opt_in: p.email_opt_in.map(|v| v != 0),
                },
            );
        }
        Ok(out)
    }

    /// Queues `template` for each of `items` inside the caller's transaction. Messages a rule
    /// stops are logged as `skipped` with the reason; a key already used queues nothing. Returns
    /// the ids written.
    pub(crate) async fn enqueue_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        template: &MessageTemplate,
        items: &[Outgoing],
        now: i64,
    ) -> Result<Vec<i64>> {
        let keys: Vec<String> = items.iter().map(|i| i.dedupe_key.clone()).collect();
        let known = self.store.messages_with_keys(conn, ctx.id, &keys).await?;
        let items: Vec<&Outgoing> = items.iter().filter(|i| !known.contains(&i.dedupe_key)).collect();
        self.enqueue_new_in(conn, ctx, template, &items, now).await
    }

    /// Like [`Self::enqueue_in`] for items whose keys the caller knows are unused.
    pub(crate) async fn enqueue_new_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        template: &MessageTemplate,
        items: &[&Outgoing],
        now: i64,
    ) -> Result<Vec<i64>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let customers: Vec<i64> = items.iter().map(|i| i.customer_id).collect();
        let uses = |names: &[&str]| names.iter().any(|n| template.uses.contains(*n));
        let wanted = Wanted {
            points: uses(&["points", "points_by_type"]),
            expiring: uses(&["expiring_points", "expiring_at"]),
            wallet: uses(&["wallet"]),
        };
        let contexts = self.message_contexts(conn, ctx, &customers, now, wanted).await?;
        let rules = self.delivery_rules_in(conn, ctx).await?;
        let channel = template.channel;
        let push_devices: HashMap<i64, usize> = if channel == Channel::Push {
            self.store.push_device_counts(conn, ctx.id, &customers).await?
        } else {
            HashMap::new()
        };
        let recipients: Vec<String> =
            contexts.iter().filter_map(|(id, c)| recipient_of(channel, *id, c, &push_devices)).collect();
        let undeliverable = self.store.undeliverable_among(conn, ctx.id, channel.as_str(), &recipients).await?;
        let today = local_day(from_millis(now), &ctx.zone);
        let day_start = today.to_zoned(ctx.zone.clone()).map(|z| z.timestamp().as_millisecond()).unwrap_or(now);
        let mut counts = if template.purpose == Purpose::Marketing && (rules.per_day.is_some() || rules.per_week.is_some()) {
            self.store.marketing_counts(conn, ctx.id, &customers, day_start, now - 7 * 86_400_000).await?
        } else {
            HashMap::new()
        };
        let due_at = match template.purpose {
            Purpose::Marketing => rules.send_after(channel, from_millis(now), &ctx.zone).as_millisecond(),
            Purpose::Transactional => now,
        };
        let ids = self.store.allocate_ids(conn, items.len()).await?;
        let mut rows = Vec::with_capacity(items.len());
        for (item, id) in items.iter().zip(ids) {
            let Some(c) = contexts.get(&item.customer_id) else {
                return Err(EngineError::NotFound("customer"));
            };
            let recipient = recipient_of(channel, item.customer_id, c, &push_devices);
            let count = counts.entry(item.customer_id).or_default();
            let reason = blocked(
                channel,
                template.purpose,
                c,
                recipient.is_some(),
                recipient.as_ref().is_some_and(|r| undeliverable.contains(r)),
                rules.within_cap(count.0, count.1),
            );
            let mut variables = c.variables.clone();
            if let Some(data) = &item.data {
                variables["data"] = data.clone();
                // A code an automation issued earlier in the same run shows as `{{ code }}`.
                for field in ["code", "code_expires_at"] {
                    if let Some(v) = data.get(field) {
                        variables[field] = v.clone();
                    }
                }
            }
            if let Some(mission) = &item.mission {
                variables["mission"] = mission.clone();
            }
            // A personal code is issued only for a message that will go.
            if reason.is_none()
                && let Some(promotion) = &template.promotion
            {
                let until = now + i64::from(template.code_valid_days) * 86_400_000;
                let code = self.issue_personal_code(conn, ctx, promotion, &template.code, item.customer_id, until).await?;
                variables["code"] = code.into();
                variables["code_expires_at"] = until.into();
            }
            let unsubscribe = self.unsubscribe_link(ctx, item.customer_id, channel)?;
            variables["unsubscribe_link"] = unsubscribe.clone().into();
            let language = template.language_for(c.language.as_deref());
            let mut rendered = self.render_for(ctx, template, &language, &variables)?;
            // Every marketing email carries a way out, whether or not its template shows one.
            if channel == Channel::Email && template.purpose == Purpose::Marketing && !template.uses.contains("unsubscribe_link")
            {
                let label = if language == "fa" { "لغو دریافت ایمیل" } else { "Unsubscribe" };
                rendered.body = format!("{}\n\n—\n{label}: {unsubscribe}", rendered.body);
                rendered.html = rendered
                    .html
                    .map(|h| format!("{h}<p style=\"font-size:12px;color:#888\"><a href=\"{unsubscribe}\">{label}</a></p>"));
            }
            if reason.is_none() {
                count.0 += 1;
                count.1 += 1;
            }
            rows.push(NewMessage {
                id,
                customer_id: Some(item.customer_id),
                channel: channel.as_str().into(),
                recipient: recipient.unwrap_or_default(),
                purpose: template.purpose.as_str().into(),
                template: Some(template.code.clone()),
                subject: rendered.subject,
                body: rendered.body,
                html: rendered.html,
                source: item.source.clone(),
                dedupe_key: item.dedupe_key.clone(),
                status: if reason.is_some() { "skipped" } else { "queued" }.into(),
                reason: reason.map(str::to_string),
                due_at,
            });
        }
        Ok(self.store.insert_messages(conn, ctx.id, &rows, now).await?)
    }

    /// Sends a template to one customer now (or after quiet hours). A retry with the same key
    /// returns the first message; `true` when this call queued it.
    pub async fn send_to_customer(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        input: &SendInput,
        header_key: Option<&str>,
    ) -> Result<(MessageRecord, bool)> {
        let key = message_key(input.idempotency_key.as_deref(), header_key)?;
        let now = now_ms();
        let out = in_write_tx!(self, |conn| {
            async {
                let id = self.live_customer(conn, ctx, customer_id).await?;
                let template = self.template_in(conn, ctx, &input.template).await.map_err(|e| match e {
                    EngineError::NotFound(_) => EngineError::field(
                        Issue::new(
                            "unknown_template",
                            format!("no template has the code {}", input.template),
                            "قالبی با این کد نیست",
                        )
                        .at("template"),
                    ),
                    other => other,
                })?;
                let item = Outgoing {
                    customer_id: id,
                    source: "api".into(),
                    dedupe_key: key.clone(),
                    data: input.data.clone(),
                    mission: None,
                };
                let written = self.enqueue_in(conn, ctx, &template, &[item], now).await?;
                let row = self.store.message_by_key(conn, ctx.id, &key).await?.ok_or(EngineError::Race)?;
                Ok((row, !written.is_empty()))
            }
            .await
        })?;
        if out.1 {
            self.outbox_signal.notify_one();
        }
        Ok((out.0.into(), out.1))
    }

    /// The delivery log: of a customer, of a source (a campaign, an automation) or of the tenant,
    /// newest first.
    pub async fn message_log(
        &self,
        ctx: &TenantContext,
        customer_id: Option<i64>,
        source: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<MessageRecord>> {
        let mut tx = self.store.begin_read().await?;
        let customer = match customer_id {
            Some(id) => Some(self.live_customer(&mut tx, ctx, id).await?),
            None => None,
        };
        let rows = self.store.message_log(&mut tx, ctx.id, customer, source, before, limit.clamp(1, 1000)).await?;
        Ok(rows.into_iter().map(MessageRecord::from).collect())
    }

    pub async fn message(&self, ctx: &TenantContext, id: i64) -> Result<MessageRecord> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.store.message(&mut tx, ctx.id, id).await?.ok_or(EngineError::NotFound("message"))?.into())
    }
}
