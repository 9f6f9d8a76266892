//! Message channels of a tenant (and the platform's defaults), and its delivery rules.

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_channels::{EmailProvider, PushProvider, SmsProvider};
use philia_domain::Issue;
use philia_domain::messaging::{Channel, DeliveryRules, DeliveryRulesInput};
use philia_store::Conn;
use philia_store::messages::PLATFORM;
use serde::Serialize;

/// A channel's provider as shown: which one, whose settings, and the settings without secrets.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChannelView {
    pub channel: Channel,
    pub provider: String,
    /// `tenant` (its own settings) or `platform` (the platform's default provider).
    pub owner: String,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// For SMS: where the panel should forward customers' replies (path on this server), so a
    /// stop word ("لغو", "11", "stop") opts the sender out.
    pub inbound_path: Option<String>,
}

/// A channel's provider, opened.
pub(crate) enum Provider {
    Sms(SmsProvider),
    Email(EmailProvider),
    Push(PushProvider),
}

impl Provider {
    fn view(&self, channel: Channel, owner: i64) -> ChannelView {
        let (provider, settings) = match self {
            Provider::Sms(p) => (p.name(), p.redacted()),
            Provider::Email(p) => (p.name(), p.redacted()),
            Provider::Push(p) => (p.name(), p.redacted()),
        };
        ChannelView {
            channel,
            provider: provider.into(),
            owner: if owner == PLATFORM { "platform" } else { "tenant" }.into(),
            settings,
            inbound_path: None,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Provider::Sms(p) => p.name(),
            Provider::Email(p) => p.name(),
            Provider::Push(p) => p.name(),
        }
    }

    /// The settings as stored (secrets included: only ever sealed).
    fn settings(&self) -> serde_json::Value {
        match self {
            Provider::Sms(p) => serde_json::to_value(p),
            Provider::Email(p) => serde_json::to_value(p),
            Provider::Push(p) => serde_json::to_value(p),
        }
        .expect("settings serialise")
    }

    fn parse(channel: Channel, settings: serde_json::Value) -> serde_json::Result<Provider> {
        Ok(match channel {
            Channel::Sms => Provider::Sms(serde_json::from_value(settings)?),
            Channel::Email => Provider::Email(serde_json::from_value(settings)?),
            Channel::Push => Provider::Push(serde_json::from_value(settings)?),
        })
    }

    fn problems(&self) -> Vec<(&'static str, String)> {
        match self {
            Provider::Sms(p) => p.problems(),
            Provider::Email(p) => p.problems(),
            Provider::Push(p) => p.problems(),
        }
    }
}

/// What a channel's settings are sealed under: whose they are and which channel.
pub(crate) fn seal_context(owner: i64, channel: &str) -> String {
    format!("channel:{owner}:{channel}")
}

/// A settings problem at `field`.
fn settings_error(field: &str, message: impl Into<String>) -> EngineError {
    let message = message.into();
    EngineError::field(Issue::new("invalid_settings", message.clone(), message).at(field))
}

/// Secrets left empty in new settings keep their stored value when the provider stays the same,
/// so a form can show "set" without ever holding the key.
fn keep_secrets(new: &mut serde_json::Value, old: &serde_json::Value) {
    let (Some(n), Some(o)) = (new.as_object_mut(), old.as_object()) else { return };
    if n.get("provider") != o.get("provider") {
        return;
    }
    for field in ["api_key", "password", "private_key"] {
        let empty = n.get(field).is_none_or(|v| v.is_null() || v.as_str() == Some(""));
        if empty && let Some(v) = o.get(field) {
            n.insert(field.into(), v.clone());
        }
    }
}

impl Engine {
    /// The provider of a channel: the tenant's own, else the platform's, with its owner.
    pub(crate) async fn provider_for(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        channel: Channel,
    ) -> Result<Option<(i64, Provider)>> {
        let Some((owner, sealed)) = self.store.channel_settings(conn, tenant_id, channel.as_str()).await? else {
            return Ok(None);
        };
        let plain = self.vault.open(&sealed, &seal_context(owner, channel.as_str()))?;
        let bad = |e: serde_json::Error| EngineError::Io(format!("stored {} settings: {e}", channel.as_str()));
        let value = serde_json::from_str(&plain).map_err(bad)?;
        Ok(Some((owner, Provider::parse(channel, value).map_err(bad)?)))
    }

    /// Sets the provider of a channel for a tenant, or the platform default when `ctx` is `None`.
    /// Settings are checked, secrets sealed; the answer never contains them.
    pub async fn set_channel(
        &self,
        ctx: Option<&TenantContext>,
        channel: &str,
        mut settings: serde_json::Value,
    ) -> Result<ChannelView> {
        let channel = Channel::parse(channel).map_err(|i| EngineError::field(i.at("channel")))?;
        let owner = ctx.map_or(PLATFORM, |c| c.id);
        let mut tx = self.store.begin_write().await?;
        let stored = self.provider_for(&mut tx, owner, channel).await?.filter(|(o, _)| *o == owner).map(|(_, p)| p.settings());
        if let Some(old) = &stored {
            keep_secrets(&mut settings, old);
        }
        if channel == Channel::Push {
            crate::push::complete_keys(&mut settings, stored.as_ref());
        }
        let parse_error = |e: serde_json::Error| {
            let text = e.to_string();
            // serde names the missing or unknown field in backticks.
            let field = text.split('`').nth(1).filter(|_| text.contains("field")).unwrap_or("settings").to_string();
            settings_error(&field, text)
        };
        let provider = Provider::parse(channel, settings).map_err(parse_error)?;
        let problems = provider.problems();
        if !problems.is_empty() {
            let errors = problems.into_iter().map(|(f, m)| Issue::new("invalid_settings", m.clone(), m).at(f)).collect();
            return Err(EngineError::Invalid(philia_domain::Invalid(errors)));
        }
        // Browsers subscribed with the old key take nothing signed by a new one: forget them, and
        // the club subscribes them again with the new key on their next visit.
        if let Provider::Push(p) = &provider
            && stored.as_ref().and_then(|s| s.get("public_key")).and_then(|k| k.as_str()) != Some(p.public_key())
        {
            self.store.delete_tenant_push_subscriptions(&mut tx, owner).await?;
        }
        let plain = provider.settings().to_string();
        let sealed = self.vault.seal(&plain, &seal_context(owner, channel.as_str()))?;
        self.store.set_channel_settings(&mut tx, owner, channel.as_str(), provider.name(), &sealed, now_ms()).await?;
        let view = provider.view(channel, owner);
        if let Some(ctx) = ctx {
            // The view shows which secrets are set, never their values.
            self.audit_in(&mut tx, ctx, "channel.set", "channel", channel.as_str(), crate::audit::NOTHING, Some(&view)).await?;
        }
        philia_store::commit(tx).await?;
        self.with_inbound(ctx, view)
    }

    fn with_inbound(&self, ctx: Option<&TenantContext>, mut view: ChannelView) -> Result<ChannelView> {
        if let (Some(ctx), Channel::Sms) = (ctx, view.channel) {
            view.inbound_path = Some(self.inbound_sms_path(ctx)?);
        }
        Ok(view)
    }

    /// The provider a tenant's messages on `channel` go through (`None`: the platform's settings).
    pub async fn channel(&self, ctx: Option<&TenantContext>, channel: &str) -> Result<ChannelView> {
        let channel = Channel::parse(channel).map_err(|i| EngineError::field(i.at("channel")))?;
        let mut tx = self.store.begin_read().await?;
        match self.provider_for(&mut tx, ctx.map_or(PLATFORM, |c| c.id), channel).await? {
            Some((owner, p)) => self.with_inbound(ctx, p.view(channel, owner)),
            None => Err(EngineError::NotFound("channel settings")),
        }
    }

    /// Removes a tenant's own provider of a channel: its messages fall back to the platform's.
    pub async fn remove_channel(&self, ctx: Option<&TenantContext>, channel: &str) -> Result<()> {
        let channel = Channel::parse(channel).map_err(|i| EngineError::field(i.at("channel")))?;
        let mut tx = self.store.begin_write().await?;
        let owner = ctx.map_or(PLATFORM, |c| c.id);
        let removed = self.store.delete_channel_settings(&mut tx, owner, channel.as_str()).await?;
        if removed && channel == Channel::Push {
            self.store.delete_tenant_push_subscriptions(&mut tx, owner).await?;
        }
        if let Some(ctx) = ctx.filter(|_| removed) {
            let gone = serde_json::json!({ "removed": true });
            self.audit_in(&mut tx, ctx, "channel.remove", "channel", channel.as_str(), crate::audit::NOTHING, Some(&gone))
                .await?;
        }
        philia_store::commit(tx).await?;
        if removed { Ok(()) } else { Err(EngineError::NotFound("channel settings")) }
    }

    pub(crate) async fn delivery_rules_in(&self, conn: &mut Conn, ctx: &TenantContext) -> Result<DeliveryRules> {
        match self.load_setting::<DeliveryRulesInput>(conn, ctx, "delivery_rules").await? {
            None => Ok(DeliveryRules::default()),
            Some(input) => input.parse().map_err(EngineError::Invalid),
        }
    }

    pub async fn delivery_rules(&self, ctx: &TenantContext) -> Result<DeliveryRulesInput> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.delivery_rules_in(&mut tx, ctx).await?.to_input())
    }

    pub async fn set_delivery_rules(&self, ctx: &TenantContext, input: &DeliveryRulesInput) -> Result<DeliveryRulesInput> {
        let rules = input.parse()?;
        let mut tx = self.store.begin_write().await?;
        self.save_chosen_setting(&mut tx, ctx, "delivery_rules", &rules.to_input()).await?;
        philia_store::commit(tx).await?;
        Ok(rules.to_input())
    }
}
