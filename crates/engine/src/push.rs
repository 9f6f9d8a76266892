//! Web Push for the club: each brand has its own VAPID key pair (made the first time a club page
//! asks for it, sealed like every provider's keys), customers' browsers subscribe with its public
//! key from the club, and the outbox sends push messages to every browser a customer allowed.

use crate::messaging::{Provider, seal_context};
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_channels::{PushProvider, PushTarget, WebPush};
use philia_domain::Issue;
use philia_domain::messaging::Channel;
use philia_store::push::NewPushSubscription;
use serde::Deserialize;

/// A subscription as the club's page posts it (from `PushSubscription.toJSON()`).
#[derive(Debug, Clone, Deserialize)]
pub struct PushSubscriptionInput {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Fills in a Web Push key pair that new settings leave out: the stored one when there is one
/// (changing only the subject keeps every browser's subscription working), else a new one.
pub(crate) fn complete_keys(settings: &mut serde_json::Value, stored: Option<&serde_json::Value>) {
    let Some(new) = settings.as_object_mut() else { return };
    let given = |field: &str| new.get(field).and_then(|v| v.as_str()).is_some_and(|s| !s.trim().is_empty());
    // A public key given comes with its private key (or the stored one, kept as a secret is).
    if given("public_key") {
        return;
    }
    let old = stored.and_then(|s| s.as_object()).filter(|o| o.get("provider") == new.get("provider"));
    if let Some(old) = old {
        for field in ["public_key", "private_key"] {
            if let Some(v) = old.get(field) {
                new.insert(field.into(), v.clone());
            }
        }
        if !new.contains_key("subject")
            && let Some(v) = old.get("subject")
        {
            new.insert("subject".into(), v.clone());
        }
        return;
    }
    let fresh = WebPush::generate(String::new());
    new.insert("public_key".into(), fresh.public_key.into());
    new.insert("private_key".into(), fresh.private_key.expose().into());
}

/// What a push message carries to the club's service worker, at most
/// [`philia_channels::MAX_PUSH_PAYLOAD`] bytes: a text too long for it is shortened.
pub(crate) fn payload(title: &str, body: &str, url: &str, icon: Option<&str>, tag: &str) -> Vec<u8> {
    let mut text: String = body.to_string();
    loop {
        let json = serde_json::json!({ "title": title, "body": text, "url": url, "icon": icon, "tag": tag }).to_string();
        if json.len() <= philia_channels::MAX_PUSH_PAYLOAD || text.is_empty() {
            return json.into_bytes();
        }
        let keep = text.chars().count() * 3 / 4;
        text = text.chars().take(keep).collect::<String>();
        text.push('…');
        if keep == 0 {
            text.clear();
        }
    }
}

impl Engine {
    /// Who push services may contact about a brand's messages: its club's public address, or a
    /// mailbox on this machine when no public address is configured.
    fn push_subject(&self, ctx: &TenantContext) -> String {
        match self.public_url.as_deref().filter(|u| u.starts_with("https://")) {
            Some(base) => format!("{}/club/{}", base.trim_end_matches('/'), ctx.slug),
            None => "mailto:webmaster@localhost".to_string(),
        }
    }

    /// The public key browsers subscribe to a brand's notifications with; the brand's own pair
    /// is made on the first call when neither it nor the platform has one.
    pub async fn push_public_key(&self, ctx: &TenantContext) -> Result<String> {
        let mut tx = self.store.begin_read().await?;
        if let Some((_, Provider::Push(p))) = self.provider_for(&mut tx, ctx.id, Channel::Push).await? {
            return Ok(p.public_key().to_string());
        }
        drop(tx);
        let provider = PushProvider::WebPush(WebPush::generate(self.push_subject(ctx)));
        let plain = serde_json::to_string(&provider).expect("settings serialise");
        let sealed = self.vault.seal(&plain, &seal_context(ctx.id, Channel::Push.as_str()))?;
        let mut tx = self.store.begin_write().await?;
        self.store.add_channel_settings(&mut tx, ctx.id, Channel::Push.as_str(), provider.name(), &sealed, now_ms()).await?;
        let kept = self.provider_for(&mut tx, ctx.id, Channel::Push).await?;
        philia_store::commit(tx).await?;
        match kept {
            Some((_, Provider::Push(p))) => Ok(p.public_key().to_string()),
            _ => Err(EngineError::Io("push settings were not kept".into())),
        }
    }

    /// Keeps the browser a signed-in customer allowed to show notifications.
    pub async fn subscribe_push(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        input: &PushSubscriptionInput,
        user_agent: Option<&str>,
    ) -> Result<()> {
        let target = PushTarget {
            endpoint: input.endpoint.trim().into(),
            p256dh: input.p256dh.trim().into(),
            auth: input.auth.trim().into(),
        };
        let problems = target.problems();
        if !problems.is_empty() {
            let errors = problems.into_iter().map(|(f, m)| Issue::new("invalid_subscription", m.clone(), m).at(f)).collect();
            return Err(EngineError::Invalid(philia_domain::Invalid(errors)));
        }
        let user_agent = user_agent.map(|u| u.chars().take(300).collect::<String>());
        let mut tx = self.store.begin_write().await?;
        let customer_id = self.live_customer(&mut tx, ctx, customer_id).await?;
        let id = self.store.allocate_ids(&mut tx, 1).await?[0];
        let row = NewPushSubscription {
            customer_id,
            endpoint: &target.endpoint,
            p256dh: &target.p256dh,
            auth: &target.auth,
            user_agent: user_agent.as_deref(),
        };
        self.store.save_push_subscription(&mut tx, ctx.id, id, &row, now_ms()).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    /// Forgets a customer's browser (they turned notifications off there); whether it was kept.
    pub async fn unsubscribe_push(&self, ctx: &TenantContext, customer_id: i64, endpoint: &str) -> Result<bool> {
        let mut tx = self.store.begin_write().await?;
        let gone = self.store.delete_push_subscription(&mut tx, ctx.id, customer_id, endpoint.trim()).await?;
        philia_store::commit(tx).await?;
        Ok(gone)
    }

    /// How many customers allowed notifications, and on how many browsers.
    pub async fn push_audience(&self, ctx: &TenantContext) -> Result<(i64, i64)> {
        let mut tx = self.store.begin_read().await?;
        Ok(self.store.push_audience(&mut tx, ctx.id).await?)
    }

    /// How many browsers a customer allowed.
    pub async fn push_devices(&self, ctx: &TenantContext, customer_id: i64) -> Result<usize> {
        let mut tx = self.store.begin_read().await?;
        let all = self.store.push_subscriptions_of(&mut tx, ctx.id, &[customer_id]).await?;
        Ok(all.get(&customer_id).map_or(0, Vec::len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_kept_made_or_left_as_given() {
        let mut s = serde_json::json!({"provider": "web_push", "subject": "mailto:a@b.c"});
        complete_keys(&mut s, None);
        let made: PushProvider = serde_json::from_value(s.clone()).unwrap();
        assert!(made.problems().is_empty());
        let mut changed = serde_json::json!({"provider": "web_push", "subject": "https://club.example.com"});
        complete_keys(&mut changed, Some(&s));
        assert_eq!(changed["public_key"], s["public_key"]);
        assert_eq!(changed["subject"], "https://club.example.com");
        let mut given = serde_json::json!({"provider": "web_push", "subject": "mailto:a@b.c", "public_key": "x"});
        complete_keys(&mut given, Some(&s));
        assert_eq!(given["public_key"], "x");
        assert!(given.get("private_key").is_none());
        // A secret kept from the stored settings does not stop the stored public key coming too.
        let mut kept = serde_json::json!({"provider": "web_push", "subject": "mailto:a@b.c", "private_key": s["private_key"]});
        complete_keys(&mut kept, Some(&s));
        assert_eq!(kept["public_key"], s["public_key"]);
    }

    #[test]
    fn payloads_fit_the_push_limit() {
        let small = payload("سلام", "متن", "/club/lale", None, "m1");
        let v: serde_json::Value = serde_json::from_slice(&small).unwrap();
        assert_eq!((v["title"].as_str(), v["body"].as_str(), v["url"].as_str()), (Some("سلام"), Some("متن"), Some("/club/lale")));
        let long = "امتیاز ".repeat(2000);
        let cut = payload("t", &long, "/club/lale", Some("https://x/logo.png"), "m2");
        assert!(cut.len() <= philia_channels::MAX_PUSH_PAYLOAD);
        let v: serde_json::Value = serde_json::from_slice(&cut).unwrap();
        assert!(v["body"].as_str().unwrap().ends_with('…'));
        assert!(v["body"].as_str().unwrap().chars().count() > 500);
    }
}
