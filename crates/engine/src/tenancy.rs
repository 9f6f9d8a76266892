//! Tenants, API keys and staff users; authentication of API keys.

use crate::audit::{Actor, NOTHING};
use crate::{Engine, EngineError, Result, now_ms};
use philia_domain::Issue;
use philia_domain::calendar::{CalendarKind, parse_time_zone};
use philia_domain::email::Email;
use philia_domain::issue::{Checker, required_text};
use philia_domain::plans::Plan;
use philia_domain::records::{ApiKey, StaffUser, Tenant};
use philia_domain::roles::{Access, KeyRole, StaffRole};
use philia_domain::tenant::{NewTenant, Slug};
use philia_store::tenants::NewTenantRow;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The tenant a request acts for, with its settings parsed.
#[derive(Debug, Clone)]
pub struct TenantContext {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub currency: String,
    pub zone: jiff::tz::TimeZone,
    pub calendar: CalendarKind,
    pub plan: Plan,
    /// Who the request acts as (written in the audit log).
    pub actor: Actor,
}

impl TenantContext {
    pub(crate) fn from_record(t: &Tenant) -> Result<Self> {
        Ok(TenantContext {
            id: t.id,
            slug: t.slug.clone(),
            name: t.name.clone(),
            currency: t.currency.clone(),
            zone: parse_time_zone(&t.time_zone).map_err(|e| EngineError::Io(format!("tenant {}: {}", t.slug, e.message)))?,
            calendar: CalendarKind::parse(&t.calendar).unwrap_or(CalendarKind::Jalali),
            plan: Plan::parse(&t.plan).unwrap_or(Plan::Prime),
            actor: Actor::System,
        })
    }

    /// The same tenant, acted on by `actor`.
    pub fn acting_as(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    /// The tenant's local day (`YYYY-MM-DD`) at an instant in milliseconds: what daily limits
    /// and rollups count by.
    pub fn day_of(&self, ms: i64) -> String {
        philia_domain::calendar::local_day(philia_domain::calendar::from_millis(ms), &self.zone).to_string()
    }
}

/// The longest time a rotated key's old secret keeps working.
const MAX_GRACE_MINUTES: i64 = 1440;

/// A new API key: the secret is returned once and only its hash is kept.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedKey {
    /// The key to send as `Authorization: Bearer …`. It is shown only now.
    pub key: String,
    #[serde(flatten)]
    pub record: ApiKey,
}

pub(crate) fn hash_key(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

impl Engine {
    pub async fn create_tenant(&self, t: NewTenant) -> Result<Tenant> {
        let mut tx = self.store.begin_write().await?;
        let row = NewTenantRow {
            slug: t.slug.as_str(),
            name: &t.name,
            currency: &t.currency,
            time_zone: &t.time_zone,
            calendar: t.calendar.as_str(),
            plan: t.plan.as_str(),
        };
        let created = self.store.insert_tenant(&mut tx, row, now_ms()).await?;
        if let Some(t) = &created {
            self.create_default_programme(&mut tx, t.id).await?;
        }
        philia_store::commit(tx).await?;
        created.ok_or_else(|| EngineError::conflict("slug_taken", "a tenant with this slug exists", "این شناسه قبلاً ثبت شده است"))
    }

    pub async fn tenant(&self, slug: &str) -> Result<TenantContext> {
        let slug = Slug::parse(slug).map_err(|e| EngineError::field(e.at("tenant")))?;
        let t = self.store.tenant_by_slug(slug.as_str()).await?.ok_or(EngineError::NotFound("tenant"))?;
        TenantContext::from_record(&t)
    }

    pub(crate) async fn tenant_by_id(&self, id: i64) -> Result<TenantContext> {
        let t = self.store.tenant_by_id(id).await?.ok_or(EngineError::NotFound("tenant"))?;
        TenantContext::from_record(&t)
    }

    pub async fn tenant_record(&self, ctx: &TenantContext) -> Result<Tenant> {
        self.store.tenant_by_id(ctx.id).await?.ok_or(EngineError::NotFound("tenant"))
    }

    pub async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        Ok(self.store.list_tenants().await?)
    }

    /// Changes a tenant's name, time zone or calendar (slug and currency are fixed: facts use them).
    pub async fn update_tenant(
        &self,
        ctx: &TenantContext,
        name: Option<&str>,
        time_zone: Option<&str>,
        calendar: Option<&str>,
    ) -> Result<Tenant> {
        let current = self.tenant_record(ctx).await?;
        let mut c = Checker::new();
        let name = c.check("name", required_text(Some(name.unwrap_or(&current.name)), 120));
        let zone = time_zone.unwrap_or(&current.time_zone).trim().to_string();
        c.check("time_zone", parse_time_zone(&zone));
        let calendar = c.check("calendar", CalendarKind::parse(calendar.unwrap_or(&current.calendar)));
        let (name, calendar) = c.finish(|| (name.unwrap(), calendar.unwrap()))?;
        let mut tx = self.store.begin_write().await?;
        let t = self.store.update_tenant(&mut tx, ctx.id, &name, &zone, calendar.as_str()).await?;
        self.audit_in(&mut tx, ctx, "tenant.update", "tenant", &ctx.slug, Some(&current), t.as_ref()).await?;
        philia_store::commit(tx).await?;
        t.ok_or(EngineError::NotFound("tenant"))
    }

    pub async fn create_api_key(&self, ctx: &TenantContext, role: &str, name: Option<&str>) -> Result<IssuedKey> {
        let mut c = Checker::new();
        let role = c.check("role", KeyRole::parse(role));
        let name = c.check("name", required_text(Some(name.unwrap_or("API key")), 100));
        let (role, name) = c.finish(|| (role.unwrap(), name.unwrap()))?;
        let key = format!("phk_{}", crate::secrets::random_hex(24));
        let mut tx = self.store.begin_write().await?;
        let record =
            self.store.insert_api_key(&mut tx, ctx.id, &name, role.as_str(), &key[..12], &hash_key(&key), now_ms()).await?;
        self.audit_in(&mut tx, ctx, "api_key.create", "api_key", &record.id.to_string(), NOTHING, Some(&record)).await?;
        philia_store::commit(tx).await?;
        Ok(IssuedKey { key, record })
    }

    /// Gives a key a new secret, shown once; the old secret keeps working for `grace_minutes`
    /// (0–1440), so the systems using it can change over without a gap.
    pub async fn rotate_api_key(&self, ctx: &TenantContext, id: i64, grace_minutes: Option<i64>) -> Result<IssuedKey> {
        let grace = grace_minutes.unwrap_or(0);
        if !(0..=MAX_GRACE_MINUTES).contains(&grace) {
            return Err(EngineError::field(
                Issue::new(
                    "out_of_range",
                    format!("must be between 0 and {MAX_GRACE_MINUTES} minutes"),
                    format!("باید بین ۰ و {MAX_GRACE_MINUTES} دقیقه باشد"),
                )
                .at("grace_minutes"),
            ));
        }
        let key = format!("phk_{}", crate::secrets::random_hex(24));
        let now = now_ms();
        let mut tx = self.store.begin_write().await?;
        let record = self
            .store
            .rotate_api_key(&mut tx, ctx.id, id, &key[..12], &hash_key(&key), now + grace * 60_000)
            .await?
            .ok_or(EngineError::NotFound("api key"))?;
        let rotated = serde_json::json!({ "prefix": record.prefix, "grace_minutes": grace });
        self.audit_in(&mut tx, ctx, "api_key.rotate", "api_key", &id.to_string(), NOTHING, Some(&rotated)).await?;
        philia_store::commit(tx).await?;
        Ok(IssuedKey { key, record })
    }

    pub async fn list_api_keys(&self, ctx: &TenantContext) -> Result<Vec<ApiKey>> {
        Ok(self.store.list_api_keys(ctx.id).await?)
    }

    pub async fn revoke_api_key(&self, ctx: &TenantContext, id: i64) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        let done = self.store.revoke_api_key(&mut tx, ctx.id, id, now_ms()).await?;
        if done {
            let revoked = serde_json::json!({ "revoked": true });
            self.audit_in(&mut tx, ctx, "api_key.revoke", "api_key", &id.to_string(), NOTHING, Some(&revoked)).await?;
        }
        philia_store::commit(tx).await?;
        if done { Ok(()) } else { Err(EngineError::NotFound("api key")) }
    }

    /// The tenant, role and id of a presented API key.
    pub async fn authenticate(&self, key: &str) -> Result<(TenantContext, KeyRole, i64)> {
        if !key.starts_with("phk_") || key.len() > 100 {
            return Err(EngineError::Unauthenticated);
        }
        let holder = self.store.find_api_key(&hash_key(key), now_ms()).await?.ok_or(EngineError::Unauthenticated)?;
        let role = KeyRole::parse(&holder.role).map_err(|_| EngineError::Unauthenticated)?;
        let ctx =
            TenantContext::from_record(&holder.tenant)?.acting_as(Actor::ApiKey { id: holder.key_id, name: holder.key_name });
        Ok((ctx, role, holder.key_id))
    }

    /// Refuses unless `role` allows `needed`.
    pub fn authorize(role: KeyRole, needed: Access) -> Result<()> {
        if role.allows(needed) { Ok(()) } else { Err(EngineError::Forbidden) }
    }

    pub async fn create_staff(
        &self,
        ctx: &TenantContext,
        email: &str,
        name: &str,
        role: &str,
        password: &str,
    ) -> Result<StaffUser> {
        let mut c = Checker::new();
        let email = c.check("email", Email::parse(email));
        let name = c.check("name", required_text(Some(name), 100));
        let role = c.check("role", StaffRole::parse(role));
        if password.chars().count() < 10 {
            c.push(Issue::new("too_short", "must be at least 10 characters", "دست‌کم ۱۰ نویسه لازم است").at("password"));
        }
        let (email, name, role) = c.finish(|| (email.unwrap(), name.unwrap(), role.unwrap()))?;
        let password = password.to_string();
        let hash =
            tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|e| EngineError::Io(e.to_string()))??;
        let mut tx = self.store.begin_write().await?;
        let user = self.store.insert_staff(&mut tx, ctx.id, email.as_str(), &name, role.as_str(), &hash, now_ms()).await?;
        if let Some(u) = &user {
            self.audit_in(&mut tx, ctx, "staff.create", "staff", &u.id.to_string(), NOTHING, Some(u)).await?;
        }
        philia_store::commit(tx).await?;
        user.ok_or_else(|| {
            EngineError::conflict("email_taken", "a staff user with this email exists", "کاربری با این ایمیل وجود دارد")
        })
    }

    /// Sets a new password for a staff member (by email); their open sessions end.
    pub async fn set_staff_password(&self, ctx: &TenantContext, email: &str, password: &str) -> Result<()> {
        let mut c = Checker::new();
        let email = c.check("email", Email::parse(email));
        if password.chars().count() < 10 {
            c.push(Issue::new("too_short", "must be at least 10 characters", "دست‌کم ۱۰ نویسه لازم است").at("password"));
        }
        let email = c.finish(|| email.unwrap())?;
        let password = password.to_string();
        let hash =
            tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|e| EngineError::Io(e.to_string()))??;
        let mut tx = self.store.begin_write().await?;
        let found = self.store.set_staff_password(&mut tx, ctx.id, email.as_str(), &hash).await?;
        if found {
            let changed = serde_json::json!({ "password": "changed" });
            self.audit_in(&mut tx, ctx, "staff.password", "staff", email.as_str(), NOTHING, Some(&changed)).await?;
        }
        philia_store::commit(tx).await?;
        if found { Ok(()) } else { Err(EngineError::NotFound("staff member")) }
    }

    pub async fn list_staff(&self, ctx: &TenantContext) -> Result<Vec<StaffUser>> {
        Ok(self.store.list_staff(ctx.id).await?)
    }
}

/// Argon2id with a random salt, in PHC string form.
pub(crate) fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| EngineError::Io(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| EngineError::Io(e.to_string()))
}
