//! Partner offers (SPEC I2): a member publishes one of its promotions to its network; the other
//! members' clubs show it; a customer who joined the network claims it and gets a personal code
//! of the offering member, so the redemption happens and counts there.

use crate::audit::NOTHING;
use crate::tenancy::TenantContext;
use crate::{Engine, EngineError, Result, now_ms};
use philia_domain::Issue;
use philia_domain::invoice::CustomerRefInput;
use philia_domain::issue::{Checker, optional_text, required_text};
use philia_store::Conn;
use philia_store::bulk::ts;
use philia_store::networks::{ClaimRow, NetworkRow, OfferRow};
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;

/// A promotion published to a network.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    /// The code of one of the brand's promotions.
    pub promotion: String,
    /// What partner clubs show, e.g. "20 % off your first coffee".
    pub title: String,
    pub description: Option<String>,
    /// How long a claimed code stays valid (days, default 30).
    pub valid_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Offer {
    pub id: i64,
    pub network: String,
    /// The offering brand's slug and name.
    pub tenant: String,
    pub brand: String,
    pub promotion: String,
    pub title: String,
    pub description: Option<String>,
    pub valid_days: i64,
    pub published_at: String,
    pub withdrawn_at: Option<String>,
}

/// An offer of a partner brand as a customer sees it in their club.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartnerOffer {
    pub id: i64,
    pub network: String,
    pub network_name: String,
    pub brand: String,
    pub title: String,
    pub description: Option<String>,
    /// Whether the customer joined the network here (claiming needs it).
    pub joined: bool,
    /// The customer's code, once claimed: used at the offering brand.
    pub code: Option<String>,
    pub claimed_at: Option<String>,
}

fn offer_view(n: &NetworkRow, o: &OfferRow) -> Offer {
    Offer {
        id: o.id,
        network: n.slug.clone(),
        tenant: o.tenant_slug.clone(),
        brand: o.tenant_name.clone(),
        promotion: o.promotion_code.clone(),
        title: o.title.clone(),
        description: o.description.clone(),
        valid_days: o.valid_days,
        published_at: ts(o.published_at),
        withdrawn_at: o.withdrawn_at.map(ts),
    }
}

fn no_offer() -> EngineError {
    EngineError::NotFound("offer")
}

impl Engine {
    /// Publishes one of the brand's promotions to a network it is an active member of.
    pub async fn publish_offer(&self, ctx: &TenantContext, network: &str, input: &OfferInput) -> Result<Offer> {
        let mut c = Checker::new();
        let promotion = c.check("promotion", required_text(Some(&input.promotion), 60)).map(|p| p.to_lowercase());
        let title = c.check("title", required_text(Some(&input.title), 80));
        let description = c.check("description", optional_text(input.description.as_deref(), 300));
        let valid_days = input.valid_days.unwrap_or(30);
        if !(1..=365).contains(&valid_days) {
            c.push(Issue::new("out_of_range", "must be from 1 to 365", "باید از ۱ تا ۳۶۵ باشد").at("valid_days"));
        }
        let (promotion, title, description) = c.finish(|| (promotion.unwrap(), title.unwrap(), description.unwrap()))?;
        let mut tx = self.store.begin_write().await?;
        let (n, m) = self.active_membership(&mut tx, ctx, network).await?;
        let Some(p) = self.store.promotion_by_code(&mut tx, ctx.id, &promotion).await? else {
            return Err(EngineError::field(
                Issue::new("unknown_promotion", "no promotion has this code", "تخفیفی با این کد نیست").at("promotion"),
            ));
        };
        let row = OfferRow {
            id: self.store.allocate_ids(&mut tx, 1).await?[0],
            network_id: n.id,
            tenant_id: ctx.id,
            tenant_slug: m.tenant_slug,
            tenant_name: m.tenant_name,
            promotion_code: p.code,
            title,
            description,
            valid_days,
            published_at: now_ms(),
            withdrawn_at: None,
        };
        self.store.insert_offer(&mut tx, &row).await?;
        let view = offer_view(&n, &row);
        self.audit_in(&mut tx, ctx, "network.offer.publish", "network_offer", &row.id.to_string(), NOTHING, Some(&view)).await?;
        philia_store::commit(tx).await?;
        Ok(view)
    }

    /// Takes an offer off the network; codes already claimed stay valid.
    pub async fn withdraw_offer(&self, ctx: &TenantContext, network: &str, id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let (n, _) = self.membership(&mut tx, ctx, network).await?;
        if !self.store.withdraw_offer(&mut tx, n.id, ctx.id, id, now_ms()).await? {
            return Err(no_offer());
        }
        self.audit_in(&mut tx, ctx, "network.offer.withdraw", "network_offer", &id.to_string(), NOTHING, NOTHING).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    /// Every offer of the network, live and withdrawn, as a member sees them.
    pub async fn network_offers(&self, ctx: &TenantContext, network: &str) -> Result<Vec<Offer>> {
        let mut conn = self.store.begin_read().await?;
        let (n, _) = self.membership(&mut conn, ctx, network).await?;
        Ok(self.store.offers(&mut conn, n.id, true).await?.iter().map(|o| offer_view(&n, o)).collect())
    }

    /// The live offers of the partners of this brand, with the customer's codes.
    pub async fn partner_offers(&self, ctx: &TenantContext, customer_id: i64) -> Result<Vec<PartnerOffer>> {
        let mut conn = self.store.begin_read().await?;
        let customer = self.live_customer(&mut conn, ctx, customer_id).await?;
        let mut out = Vec::new();
        for (n, m) in self.store.memberships(&mut conn, ctx.id).await? {
            if m.status != "active" {
                continue;
            }
            let mobile = self.store.joined_as(&mut conn, n.id, ctx.id, customer).await?;
            let live = self.live_partner_offers(&mut conn, &n, ctx.id).await?;
            for o in live {
                let claim = match &mobile {
                    Some(mobile) => self.store.offer_claim(&mut conn, n.id, o.id, mobile).await?,
                    None => None,
                };
                out.push(partner_offer(&n, &o, mobile.is_some(), claim.as_ref()));
            }
        }
        Ok(out)
    }

    /// Live offers of the network's other active members.
    async fn live_partner_offers(&self, conn: &mut Conn, n: &NetworkRow, tenant_id: i64) -> Result<Vec<OfferRow>> {
        let active: Vec<i64> = self
            .store
            .network_members(conn, n.id)
            .await?
            .into_iter()
            .filter(|m| m.status == "active")
            .map(|m| m.tenant_id)
            .collect();
        Ok(self
            .store
            .offers(conn, n.id, false)
            .await?
            .into_iter()
            .filter(|o| o.tenant_id != tenant_id && active.contains(&o.tenant_id))
            .collect())
    }

    /// Claims a partner's offer: the customer (found or created at the offering brand by their
    /// mobile) gets a personal single-use code there. Claiming again returns the same code.
    pub async fn claim_offer(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        network: &str,
        offer_id: i64,
    ) -> Result<(PartnerOffer, bool)> {
        in_write_tx!(self, |conn| self.claim_in(conn, ctx, customer_id, network, offer_id).await)
    }

    async fn claim_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        customer_id: i64,
        network: &str,
        offer_id: i64,
    ) -> Result<(PartnerOffer, bool)> {
        let now = now_ms();
        let (n, _) = self.active_membership(conn, ctx, network).await?;
        let customer = self.live_customer(conn, ctx, customer_id).await?;
        let offer =
            self.live_partner_offers(conn, &n, ctx.id).await?.into_iter().find(|o| o.id == offer_id).ok_or_else(no_offer)?;
        let Some(mobile) = self.store.joined_as(conn, n.id, ctx.id, customer).await? else {
            return Err(EngineError::conflict(
                "not_joined",
                "join the network here before claiming a partner's offer",
                "برای گرفتن پیشنهاد همکاران ابتدا به شبکه بپیوندید",
            ));
        };
        if let Some(claim) = self.store.offer_claim(conn, n.id, offer.id, &mobile).await? {
            return Ok((partner_offer(&n, &offer, true, Some(&claim)), false));
        }
        let partner = self.tenant_by_id(offer.tenant_id).await?;
        let reference = CustomerRefInput { mobile: Some(mobile.clone()), ..Default::default() }.parse("network")?;
        let resolved = self.resolve_customers(conn, &partner, &[Some(&reference)], "network", now).await?;
        let partner_customer = resolved
            .into_iter()
            .next()
            .and_then(|r| r.ok().flatten())
            .ok_or_else(|| EngineError::Io("a customer by mobile resolves".into()))?;
        let code = self
            .issue_personal_code(
                conn,
                &partner,
                &offer.promotion_code,
                &offer.promotion_code,
                partner_customer,
                now + offer.valid_days * DAY_MS,
            )
            .await?;
        let claim = ClaimRow { offer_id: offer.id, shown_by_id: ctx.id, customer_id: partner_customer, code, claimed_at: now };
        if !self.store.insert_offer_claim(conn, n.id, &mobile, &claim).await? {
            return Err(EngineError::Race);
        }
        Ok((partner_offer(&n, &offer, true, Some(&claim)), true))
    }
}

fn partner_offer(n: &NetworkRow, o: &OfferRow, joined: bool, claim: Option<&ClaimRow>) -> PartnerOffer {
    PartnerOffer {
        id: o.id,
        network: n.slug.clone(),
        network_name: n.name.clone(),
        brand: o.tenant_name.clone(),
        title: o.title.clone(),
        description: o.description.clone(),
        joined,
        code: claim.map(|c| c.code.clone()),
        claimed_at: claim.map(|c| ts(c.claimed_at)),
    }
}
