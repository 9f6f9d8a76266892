//! Opting out (SPEC E5): an unsubscribe link in every marketing email and a reply keyword by
//! SMS ("لغو", "11", "stop"…) withdraw the customer's consent at once; the sender re-checks
//! consent, so nothing queued goes out after it.

use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::customer::CustomerInput;
use philia_domain::digits::ascii_digits;
use philia_domain::messaging::Channel;
use philia_domain::mobile::Mobile;
use philia_store::Conn;

/// SMS replies that mean "stop sending me messages".
const STOP_WORDS: [&str; 9] = ["لغو", "لغو11", "لغو 11", "11", "انصراف", "stop", "unsubscribe", "cancel", "end"];

/// What an unsubscribe link did.
#[derive(Debug, Clone)]
pub struct Unsubscribed {
    pub tenant_name: String,
    pub channel: Channel,
}

fn invalid_link() -> EngineError {
    EngineError::NotFound("unsubscribe link")
}

impl Engine {
    /// The link that opts a customer out of `channel`.
    pub(crate) fn unsubscribe_link(&self, ctx: &TenantContext, customer: i64, channel: Channel) -> Result<String> {
        let data = format!("{}.{customer}.{}", ctx.id, channel.as_str());
        let mac = self.vault.sign("unsubscribe", &data)?;
        Ok(format!("{}/unsubscribe/{data}.{mac}", self.public_url.as_deref().unwrap_or("").trim_end_matches('/')))
    }

    /// Follows an unsubscribe link: withdraws the consent it names. Following it twice is fine.
    pub async fn unsubscribe(&self, token: &str) -> Result<Unsubscribed> {
        let parts: Vec<&str> = token.split('.').collect();
        let [tenant, customer, channel, mac] = parts.as_slice() else { return Err(invalid_link()) };
        let data = format!("{tenant}.{customer}.{channel}");
        if self.vault.sign("unsubscribe", &data)? != *mac {
            return Err(invalid_link());
        }
        let (Ok(tenant), Ok(customer), Ok(channel)) = (tenant.parse::<i64>(), customer.parse::<i64>(), Channel::parse(channel))
        else {
            return Err(invalid_link());
        };
        let ctx = self.tenant_by_id(tenant).await?;
        let input = match channel {
            Channel::Sms => CustomerInput { sms_opt_in: Some(false), ..Default::default() },
            Channel::Email => CustomerInput { email_opt_in: Some(false), ..Default::default() },
            // Push has no consent flag: the browsers it goes to are forgotten instead.
            Channel::Push => {
                let mut tx = self.store.begin_write().await?;
                self.store.delete_customer_push_subscriptions(&mut tx, ctx.id, customer).await?;
                philia_store::commit(tx).await?;
                return Ok(Unsubscribed { tenant_name: ctx.name, channel });
            }
        };
        self.update_customer(&ctx, customer, input.parse()?).await?;
        Ok(Unsubscribed { tenant_name: ctx.name, channel })
    }

    /// The address an SMS panel forwards replies to (Kavenegar: "receive" URL), secret per tenant.
    pub fn inbound_sms_path(&self, ctx: &TenantContext) -> Result<String> {
        Ok(format!("/hooks/sms/{}/{}", ctx.slug, self.vault.sign("inbound-sms", &ctx.slug)?))
    }

    /// A reply from a customer's phone. A stop word withdraws SMS consent of the customer with that
    /// number; anything else is ignored. Returns whether it opted someone out.
    pub async fn inbound_sms(&self, slug: &str, token: &str, from: &str, text: &str) -> Result<bool> {
        let ctx = self.tenant(slug).await?;
        if self.vault.sign("inbound-sms", slug)? != token {
            return Err(EngineError::Unauthenticated);
        }
        let said = ascii_digits(text.trim()).to_lowercase();
        if !STOP_WORDS.contains(&said.as_str()) {
            return Ok(false);
        }
        let Ok(mobile) = Mobile::parse(from) else { return Ok(false) };
        let customer = {
            let mut tx = self.store.begin_read().await?;
            self.customer_by_mobile(&mut tx, &ctx, &mobile).await?
        };
        let Some(customer) = customer else { return Ok(false) };
        let input = CustomerInput { sms_opt_in: Some(false), ..Default::default() };
        self.update_customer(&ctx, customer, input.parse()?).await?;
        tracing::info!(tenant = %ctx.slug, customer, "opted out by SMS reply");
        Ok(true)
    }

    async fn customer_by_mobile(&self, conn: &mut Conn, ctx: &TenantContext, mobile: &Mobile) -> Result<Option<i64>> {
        let key = format!("m:{mobile}");
        Ok(self.store.resolve_identities(conn, ctx.id, std::slice::from_ref(&key)).await?.get(&key).copied())
    }
}
