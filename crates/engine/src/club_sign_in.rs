//! Customers sign in to their club with their mobile number and a one-time code by SMS. Codes
//! are six digits, live five minutes, take five guesses, are used once and stored only as a keyed
//! digest; sends are limited per number and per network address. A first sign-in creates the
//! customer (with the referral code they brought); every sign-in and sign-out is a `club_login`
//! / `club_logout` event, which keeps the profile's first and last login.

use crate::messaging::Provider;
use crate::secrets::random_hex;
use crate::tenancy::hash_key;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_channels::SmsMessage;
use philia_domain::club::{
    CLUB_SESSION_IDLE_MS, CLUB_SESSION_MAX_MS, CLUB_SESSION_TOUCH_MS, CODE_MAX_ATTEMPTS, CODE_TTL_MS, CodeLimits, clean_code,
};
use philia_domain::customer::CustomerInput;
use philia_domain::event::{CLUB_LOGIN, CLUB_LOGOUT, EventInput};
use philia_domain::invoice::CustomerRefInput;
use philia_domain::messaging::Channel;
use philia_domain::mobile::Mobile;
use philia_domain::staff_auth::Lang;
use philia_domain::{Issue, digits::persian_digits};
use philia_store::club::NewCode;
use philia_store::messages::{NewMessage, Outcome};

/// A signed-in customer, as every club request sees them.
#[derive(Debug, Clone)]
pub struct CustomerSession {
    pub ctx: TenantContext,
    pub customer_id: i64,
    pub lang: Lang,
    /// The token every form of this session must carry back.
    pub csrf: String,
    token_hash: String,
}

/// How a sign-in code went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeDelivery {
    /// By SMS through the tenant's (or the platform's) provider.
    Sms,
    /// To the server's log: the demo, which has no SMS provider.
    Log,
}

/// What a successful code check gives the club.
#[derive(Debug, Clone)]
pub struct ClubSignIn {
    /// Goes into the session cookie.
    pub token: String,
    pub customer_id: i64,
    /// A customer seen for the first time.
    pub joined: bool,
    /// Why the referral code they brought was not taken (they are signed in all the same).
    pub referral_refused: Option<(String, String)>,
}

fn wrong_code() -> EngineError {
    EngineError::field(Issue::new("wrong_code", "this code is not right", "این کد درست نیست").at("code"))
}

fn no_code() -> EngineError {
    EngineError::field(
        Issue::new(
            "code_expired",
            "this code has expired or was used; ask for a new one",
            "این کد منقضی یا استفاده شده است؛ کد تازه بخواهید",
        )
        .at("code"),
    )
}

/// The text of the code message; the delivery log keeps it with the code masked.
fn code_text(club: &str, code: &str, lang: Lang) -> String {
    match lang {
        Lang::Fa => format!("{club}\nکد ورود شما: {}\nاین کد را به کسی ندهید.", persian_digits(code)),
        Lang::En => format!("{club}\nYour sign-in code: {code}\nDo not share it with anyone."),
    }
}

impl Engine {
    fn code_digest(&self, ctx: &TenantContext, mobile: &str, code: &str) -> Result<String> {
        self.vault.sign("club-code", &format!("{}:{mobile}:{code}", ctx.id))
    }

    /// Sends a sign-in code to a mobile number, if the limits allow. `address` is the network
    /// address the request came from.
    pub async fn send_club_code(&self, ctx: &TenantContext, mobile: &str, address: &str, lang: Lang) -> Result<CodeDelivery> {
        let mobile = Mobile::parse(mobile).map_err(|i| EngineError::field(i.at("mobile")))?;
        let mobile = mobile.as_str().to_string();
        let provider = {
            let mut tx = self.store.begin_read().await?;
            self.provider_for(&mut tx, ctx.id, Channel::Sms).await?.map(|(_, p)| p)
        };
        let provider = match provider {
            Some(Provider::Sms(p)) => Some(p),
            _ if self.demo_codes => None,
            _ => {
                return Err(EngineError::conflict(
                    "sms_unavailable",
                    "this club cannot send sign-in codes yet; please try again later",
                    "باشگاه هنوز نمی‌تواند کد ورود بفرستد؛ کمی بعد دوباره تلاش کنید",
                ));
            }
        };
        let code: String = {
            let n = u32::from_str_radix(&random_hex(4), 16).unwrap_or(0) % 1_000_000;
            format!("{n:06}")
        };
        let digest = self.code_digest(ctx, &mobile, &code)?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let (to_number, from_address) = self.store.club_code_sends(&mut tx, ctx.id, &mobile, address, now - 3_600_000).await?;
        if let Some(secs) = CodeLimits::default().wait_secs(&to_number, &from_address, now) {
            drop(tx);
            let minutes = (secs + 59) / 60;
            return Err(EngineError::conflict(
                "wait",
                if secs < 120 {
                    format!("a code was sent a moment ago; you may ask again in {secs} seconds")
                } else {
                    format!("too many codes were asked for; try again in {minutes} minutes")
                },
                if secs < 120 {
                    format!("کدی همین حالا فرستاده شد؛ {} ثانیه دیگر می‌توانید دوباره بخواهید", persian_digits(&secs.to_string()))
                } else {
                    format!("کدهای زیادی خواسته شد؛ {} دقیقه دیگر تلاش کنید", persian_digits(&minutes.to_string()))
                },
            ));
        }
        let id = self.store.allocate_ids(&mut tx, 1).await?[0];
        let row = NewCode { id, mobile: &mobile, address, code_hash: &digest, created_at: now, expires_at: now + CODE_TTL_MS };
        self.store.insert_club_code(&mut tx, ctx.id, &row).await?;
        philia_store::commit(tx).await?;

        let club = self.branding(ctx).await?.club_name.unwrap_or_else(|| ctx.name.clone());
        let text = code_text(&club, &code, lang);
        let Some(provider) = provider else {
            // The demo has no SMS provider: the code goes to the server's log instead.
            tracing::warn!(tenant = %ctx.slug, mobile = %mobile, code = %code, "club sign-in code (no SMS provider: demo mode)");
            return Ok(CodeDelivery::Log);
        };
        let sent = self.channels.send_sms(&provider, &SmsMessage { to: mobile.clone(), text: text.clone(), lookup: None }).await;
        let outcome = match &sent {
            Ok(a) => Outcome::Sent { provider: provider.name().into(), provider_id: a.provider_id.clone(), cost: a.cost },
            Err(e) => Outcome::Failed { reason: e.to_string() },
        };
        let mut tx = self.store.begin_write().await?;
        let message_id = self.store.allocate_ids(&mut tx, 1).await?[0];
        let logged = NewMessage {
            id: message_id,
            customer_id: None,
            channel: Channel::Sms.as_str().into(),
            recipient: mobile.clone(),
            purpose: "transactional".into(),
            template: None,
            subject: None,
            body: text.replace(&code, "••••••").replace(&persian_digits(&code), "••••••"),
            html: None,
            source: "club:sign-in".into(),
            dedupe_key: format!("club-code:{id}"),
            status: "sending".into(),
            reason: None,
            due_at: now,
        };
        self.store.insert_messages(&mut tx, ctx.id, &[logged], now).await?;
        self.store.record_outcome(&mut tx, ctx.id, message_id, &outcome, now_ms()).await?;
        philia_store::commit(tx).await?;
        match sent {
            Ok(_) => Ok(CodeDelivery::Sms),
            Err(e) => {
                tracing::warn!(tenant = %ctx.slug, reason = %e, "club sign-in code not sent");
                Err(EngineError::conflict(
                    "sms_failed",
                    "the code could not be sent; please try again in a minute",
                    "کد فرستاده نشد؛ یک دقیقه دیگر دوباره تلاش کنید",
                ))
            }
        }
    }

    /// Checks a code; on success the customer (created on a first visit) is signed in.
    pub async fn verify_club_code(
        &self,
        ctx: &TenantContext,
        mobile: &str,
        code: &str,
        referral_code: Option<&str>,
        lang: Lang,
    ) -> Result<ClubSignIn> {
        let mobile = Mobile::parse(mobile).map_err(|i| EngineError::field(i.at("mobile")))?;
        let mobile = mobile.as_str().to_string();
        let code = clean_code(code).ok_or_else(|| {
            EngineError::field(
                Issue::new("invalid_code", "must be the six digits sent to you", "باید همان شش رقم پیامک‌شده باشد").at("code"),
            )
        })?;
        let digest = self.code_digest(ctx, &mobile, &code)?;
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let Some(row) = self.store.latest_club_code(&mut tx, ctx.id, &mobile).await? else {
            return Err(no_code());
        };
        if row.used_at.is_some() || row.expires_at <= now || row.attempts >= CODE_MAX_ATTEMPTS {
            return Err(no_code());
        }
        if !crate::secrets::same_secret(&row.code_hash, &digest) {
            self.store.count_code_attempt(&mut tx, ctx.id, row.id).await?;
            philia_store::commit(tx).await?;
            return Err(wrong_code());
        }
        if !self.store.use_club_code(&mut tx, ctx.id, row.id, now).await? {
            return Err(no_code());
        }
        philia_store::commit(tx).await?;

        let input = CustomerInput { mobile: Some(mobile), ..Default::default() };
        let patch = input.parse()?;
        let outcome =
            self.upsert_customers(ctx, "club", &[patch]).await?.into_iter().next().ok_or(EngineError::NotFound("customer"))?;
        let customer_id = outcome.customer_id;
        let referral_refused = match referral_code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) if outcome.created => match self.join_with_code(ctx, customer_id, c).await {
                Ok(_) => None,
                Err(e) => Some(refusal_text(e)),
            },
            _ => None,
        };
        let token = self.open_club_session(ctx, customer_id, lang).await?;
        Ok(ClubSignIn { token, customer_id, joined: outcome.created, referral_refused })
    }

    /// Signs a known customer in to the club (after their code checked out) and records the
    /// sign-in; the token goes into the session cookie.
    pub async fn open_club_session(&self, ctx: &TenantContext, customer_id: i64, lang: Lang) -> Result<String> {
        self.record_club_event(ctx, customer_id, CLUB_LOGIN).await?;
        let token = random_hex(32);
        let csrf = random_hex(16);
        let now = now_ms();
        let expires = now + CLUB_SESSION_MAX_MS;
        let mut tx = self.store.begin_write().await?;
        self.store
            .insert_customer_session(&mut tx, &hash_key(&token), ctx.id, customer_id, &csrf, lang.as_str(), now, expires)
            .await?;
        philia_store::commit(tx).await?;
        Ok(token)
    }

    async fn record_club_event(&self, ctx: &TenantContext, customer_id: i64, kind: &str) -> Result<()> {
        let event = EventInput {
            event_id: Some(format!("club:{}", random_hex(12))),
            event_type: kind.into(),
            occurred_at: None,
            source: Some("club".into()),
            customer: Some(CustomerRefInput { id: Some(customer_id), ..Default::default() }),
            properties: None,
        };
        self.record_events(ctx, &[event]).await?;
        Ok(())
    }

    /// The session of a cookie token at a tenant's club, if it is live. Ended sessions are
    /// removed on sight; a session of a customer merged into another follows the survivor.
    pub async fn customer_session(&self, tenant_slug: &str, token: &str) -> Result<Option<CustomerSession>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = hash_key(token);
        let Some(row) = self.store.customer_session(&hash).await? else { return Ok(None) };
        if row.tenant.slug != tenant_slug {
            return Ok(None);
        }
        let now = now_ms();
        if now >= row.expires_at || now - row.seen_at >= CLUB_SESSION_IDLE_MS {
            let mut tx = self.store.begin_write().await?;
            self.store.delete_customer_session(&mut tx, &hash).await?;
            philia_store::commit(tx).await?;
            return Ok(None);
        }
        if now - row.seen_at >= CLUB_SESSION_TOUCH_MS {
            let mut tx = self.store.begin_write().await?;
            self.store.touch_customer_session(&mut tx, &hash, now).await?;
            philia_store::commit(tx).await?;
        }
        let ctx = TenantContext::from_record(&row.tenant)?.acting_as(crate::audit::Actor::Customer { id: row.customer_id });
        let customer_id = {
            let mut tx = self.store.begin_read().await?;
            match self.live_customer(&mut tx, &ctx, row.customer_id).await {
                Ok(id) => id,
                Err(EngineError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e),
            }
        };
        Ok(Some(CustomerSession { ctx, customer_id, lang: Lang::or_default(&row.lang), csrf: row.csrf, token_hash: hash }))
    }

    pub async fn club_sign_out(&self, session: &CustomerSession) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        self.store.delete_customer_session(&mut tx, &session.token_hash).await?;
        philia_store::commit(tx).await?;
        self.record_club_event(&session.ctx, session.customer_id, CLUB_LOGOUT).await
    }

    pub async fn set_club_language(&self, session: &CustomerSession, lang: Lang) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        self.store.set_customer_session_lang(&mut tx, &session.token_hash, lang.as_str()).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    /// Forgets sign-in codes older than a day (the send limits look back one hour).
    pub async fn forget_old_club_codes(&self) -> Result<u64> {
        let mut tx = self.store.begin_write().await?;
        let n = self.store.delete_club_codes_before(&mut tx, now_ms() - 86_400_000).await?;
        philia_store::commit(tx).await?;
        Ok(n)
    }
}

/// A refusal's English and Persian messages.
fn refusal_text(e: EngineError) -> (String, String) {
    match e {
        EngineError::Conflict { message, message_fa, .. } => (message, message_fa),
        EngineError::Invalid(i) => {
            let first = i.0.into_iter().next();
            first.map(|f| (f.message, f.message_fa)).unwrap_or_default()
        }
        other => (other.to_string(), other.to_string()),
    }
}
