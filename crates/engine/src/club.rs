//! The customer club's own data: the tenant's branding, and what a signed-in customer's home
//! shows, gathered in one call (points per type, wallet, tier and the way to the next one).

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::club::{Branding, BrandingInput};
use philia_domain::records::{Customer, PointBalance, TierStatus, WalletBalance};
use philia_domain::tiers::TierMetric;

pub(crate) const BRANDING_SETTING: &str = "club";

/// A point balance with its type's name.
#[derive(Debug, Clone)]
pub struct NamedBalance {
    pub name: String,
    pub spendable: bool,
    pub balance: PointBalance,
}

/// The tier ladder's next step for the customer, for a progress bar.
#[derive(Debug, Clone)]
pub struct TierProgress {
    pub status: TierStatus,
    /// What the tiers count: points, spend or invoices.
    pub metric: Option<TierMetric>,
    pub next_name: Option<String>,
    pub next_threshold: Option<i64>,
    /// 0–100: how far from the current tier's threshold to the next one.
    pub percent: u8,
}

/// Everything on the club's home page.
#[derive(Debug, Clone)]
pub struct ClubHome {
    pub customer: Customer,
    pub balances: Vec<NamedBalance>,
    pub wallet: WalletBalance,
    pub tier: TierProgress,
}

impl Engine {
    /// The tenant's club branding (defaults until it is set).
    pub async fn branding(&self, ctx: &TenantContext) -> Result<Branding> {
        let mut tx = self.store.begin_read().await?;
        let stored = self.store.setting(&mut tx, ctx.id, BRANDING_SETTING).await?;
        Ok(stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
    }

    /// Sets the branding; a custom domain another brand already has is refused by field.
    pub async fn set_branding(&self, ctx: &TenantContext, input: &BrandingInput) -> Result<Branding> {
        let branding = input.parse()?;
        let body = serde_json::to_string(&branding).map_err(|e| EngineError::Io(e.to_string()))?;
        let mut tx = self.store.begin_write().await?;
        if !self.store.set_club_domain(&mut tx, ctx.id, branding.custom_domain.as_deref()).await? {
            return Err(EngineError::field(
                Issue::new(
                    "domain_taken",
                    "another brand already serves its club on this host",
                    "این دامنه از آنِ برند دیگری است",
                )
                .at("custom_domain"),
            ));
        }
        let before = self.store.setting(&mut tx, ctx.id, BRANDING_SETTING).await?.map(|b| crate::audit::stored(&b));
        self.store.set_setting(&mut tx, ctx.id, BRANDING_SETTING, &body, now_ms()).await?;
        self.audit_in(&mut tx, ctx, "settings.branding", "settings", BRANDING_SETTING, before.as_ref(), Some(&branding)).await?;
        philia_store::commit(tx).await?;
        Ok(branding)
    }

    /// The slug of the tenant whose club a host name serves, if any.
    pub async fn club_for_host(&self, host: &str) -> Result<Option<String>> {
        let host = host.split(':').next().unwrap_or("").trim_end_matches('.').to_lowercase();
        if host.is_empty() {
            return Ok(None);
        }
        Ok(self.store.club_domain_tenant(&host).await?)
    }

    /// The club home of a customer.
    pub async fn club_home(&self, ctx: &TenantContext, customer_id: i64) -> Result<ClubHome> {
        let customer = self.customer(ctx, customer_id).await?;
        let types = self.point_types(ctx).await?;
        let held = self.balances(ctx, customer.id).await?;
        // Every point type shows, at zero until the customer earns some.
        let balances = types
            .iter()
            .map(|t| NamedBalance {
                name: t.name.clone(),
                spendable: t.spendable,
                balance: held.iter().find(|b| b.point_type == t.code).cloned().unwrap_or(PointBalance {
                    point_type: t.code.clone(),
                    balance: 0,
                    debt: 0,
                    earned: 0,
                    expiring_soon: 0,
                    next_expiry: None,
                }),
            })
            .collect();
        let wallet = self.wallet(ctx, customer.id).await?;
        let status = self.tier_status(ctx, customer.id).await?;
        let programme = match self.tier_programme(ctx).await {
            Ok(p) => Some(p),
            Err(EngineError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let tier = tier_progress(status, programme.as_ref());
        Ok(ClubHome { customer, balances, wallet, tier })
    }
}

fn tier_progress(status: TierStatus, programme: Option<&philia_domain::tiers::TierProgrammeInput>) -> TierProgress {
    let Some(p) = programme else {
        return TierProgress { status, metric: None, next_name: None, next_threshold: None, percent: 0 };
    };
    let current = p.tiers.iter().find(|t| Some(&t.code) == status.tier.as_ref()).map_or(0, |t| t.threshold);
    let next = status.next_tier.as_ref().and_then(|code| p.tiers.iter().find(|t| &t.code == code));
    let percent = match next {
        Some(n) if n.threshold > current => {
            (((status.metric - current).max(0) as f64 / (n.threshold - current) as f64) * 100.0).clamp(0.0, 100.0) as u8
        }
        Some(_) => 0,
        None => 100,
    };
    TierProgress {
        metric: Some(p.metric.clone()),
        next_name: next.map(|n| n.name.clone()),
        next_threshold: next.map(|n| n.threshold),
        percent,
        status,
    }
}
