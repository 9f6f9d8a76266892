//! Self-serve onboarding (SPEC J2): a business signs up (its tenant on the Economic plan and its
//! owner), then a guided setup shows what a working club still needs, step by step.

use crate::audit::{Actor, NOTHING};
use crate::tenancy::TenantContext;
use crate::{Engine, EngineError, Result};
use philia_domain::Issue;
use philia_domain::email::Email;
use philia_domain::issue::{Checker, required_text};
use philia_domain::messaging::Channel;
use philia_domain::plans::Plan;
use philia_domain::records::Tenant;
use philia_domain::tenant::NewTenant;
use serde::Serialize;

/// What a business types to sign up.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct SignUpInput {
    pub business: String,
    /// The short Latin name in the club's address (`/club/{slug}`).
    pub slug: String,
    pub name: String,
    pub email: String,
    pub password: String,
}

/// The steps of the guided setup, in order, each done or not.
#[derive(Debug, Clone, Serialize)]
pub struct SetupProgress {
    /// Points and tiers (a new tenant starts with the standard programme).
    pub programme: bool,
    pub missions: usize,
    pub games: usize,
    pub club_look: bool,
    /// SMS reaches customers (the tenant's own provider or the platform's).
    pub sms: bool,
    pub customers: bool,
}

impl SetupProgress {
    pub fn done(&self) -> usize {
        [self.programme, self.missions > 0, self.games > 0, self.club_look, self.sms, self.customers]
            .iter()
            .filter(|d| **d)
            .count()
    }

    pub const STEPS: usize = 6;
}

impl Engine {
    /// Creates the business (Economic plan, the standard points and tiers) and its owner. Every
    /// field is checked before anything is written, so a refused sign-up leaves nothing behind.
    pub async fn sign_up(&self, input: &SignUpInput) -> Result<Tenant> {
        let mut c = Checker::new();
        let tenant = match NewTenant::parse(&input.slug, &input.business, None, None, None) {
            Ok(t) => Some(t),
            Err(invalid) => {
                for mut e in invalid.0 {
                    // The tenant's name is the business's name on this form.
                    if e.field == "name" {
                        e.field = "business".into();
                    }
                    c.push(e);
                }
                None
            }
        };
        c.check("name", required_text(Some(&input.name), 100));
        c.check("email", Email::parse(&input.email));
        if input.password.chars().count() < 10 {
            c.push(Issue::new("too_short", "must be at least 10 characters", "دست‌کم ۱۰ نویسه لازم است").at("password"));
        }
        let mut tenant = c.finish(|| tenant.expect("checked"))?;
        tenant.plan = Plan::Economic;
        let created = self.create_tenant(tenant).await.map_err(|e| match e {
            EngineError::Conflict { code: "slug_taken", .. } => EngineError::field(
                Issue::new(
                    "slug_taken",
                    "another business has this address; choose another",
                    "این نشانی از آنِ کسب‌وکار دیگری است",
                )
                .at("slug"),
            ),
            other => other,
        })?;
        let ctx = self.tenant(&created.slug).await?.acting_as(Actor::System);
        self.create_staff(&ctx, &input.email, &input.name, "owner", &input.password).await?;
        let mut tx = self.store.begin_write().await?;
        let signed_up = serde_json::json!({ "business": created.name, "owner": input.email.trim(), "plan": created.plan });
        self.audit_in(&mut tx, &ctx, "tenant.sign_up", "tenant", &created.slug, NOTHING, Some(&signed_up)).await?;
        philia_store::commit(tx).await?;
        Ok(created)
    }

    /// Where the tenant stands on the way to a working club.
    pub async fn setup_progress(&self, ctx: &TenantContext) -> Result<SetupProgress> {
        let games = self.store.list_games(ctx.id).await?.len();
        let mut tx = self.store.begin_read().await?;
        let programme = !self.store.point_types(&mut tx, ctx.id).await?.is_empty();
        let missions = self.store.missions(&mut tx, ctx.id).await?.len();
        let club_look = self.store.setting(&mut tx, ctx.id, crate::club::BRANDING_SETTING).await?.is_some();
        let sms = self.store.channel_settings(&mut tx, ctx.id, Channel::Sms.as_str()).await?.is_some();
        drop(tx);
        let customers = !self.store.search_customer_ids(ctx.id, &Default::default(), None, 1).await?.is_empty();
        Ok(SetupProgress { programme, missions, games, club_look, sms, customers })
    }
}
