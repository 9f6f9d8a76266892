//! Staff sign-in to the admin panel: password check with lockout, sessions with a CSRF token
//! each, sign-out, and the language a staff member reads the panel in.

use crate::secrets::random_hex;
use crate::tenancy::hash_key;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::email::Email;
use philia_domain::roles::StaffRole;
use philia_domain::staff_auth::{Failures, Lang, SESSION_IDLE_MS, SESSION_MAX_MS, SESSION_TOUCH_MS};

/// A signed-in staff member, as every panel request sees them.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub ctx: TenantContext,
    pub staff_id: i64,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    pub lang: Lang,
    /// The token every form of this session must carry back.
    pub csrf: String,
    /// The branch a till session sells at (chosen when signing in to the till).
    pub branch: Option<String>,
}

/// A brand whose account accepted the password, when one email works for several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandChoice {
    pub slug: String,
    pub name: String,
}

pub enum SignIn {
    /// Signed in: the token goes into the session cookie.
    Session { token: String, session: Box<StaffSession> },
    /// The password opens accounts at several brands; the person picks one.
    ChooseBrand(Vec<BrandChoice>),
}

/// A stand-in hash checked when no account has the email, so that an unknown address takes as
/// long to refuse as a wrong password.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| crate::tenancy::hash_password(&random_hex(16)).unwrap_or_default())
}

fn password_matches(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

fn bad_credentials() -> EngineError {
    EngineError::conflict("bad_credentials", "wrong email or password", "ایمیل یا گذرواژه درست نیست")
}

impl Engine {
    /// Checks an email and password (and, when the email works at several brands, which one).
    /// Five wrong passwords within 15 minutes lock the address for 15 minutes.
    pub async fn sign_in(&self, email: &str, password: &str, brand: Option<&str>) -> Result<SignIn> {
        let Ok(email) = Email::parse(email) else { return Err(bad_credentials()) };
        let email = email.as_str().to_string();
        let now = now_ms();
        {
            let mut tx = self.store.begin_read().await?;
            if let Some(until) = Failures::locked_at(self.store.sign_in_failures(&mut tx, &email).await?, now) {
                let minutes = (until - now + 59_999) / 60_000;
                return Err(EngineError::conflict(
                    "locked",
                    format!("too many wrong passwords; try again in {minutes} minutes"),
                    format!(
                        "گذرواژه چند بار نادرست وارد شد؛ {} دقیقه دیگر دوباره تلاش کنید",
                        philia_domain::digits::persian_digits(&minutes.to_string())
                    ),
                ));
            }
        }
        let logins = self.store.staff_logins(&email).await?;
        let brand = brand.map(str::trim).filter(|b| !b.is_empty());
        let candidates: Vec<_> = logins.into_iter().filter(|l| brand.is_none_or(|b| l.tenant_slug == b)).collect();
        let password = password.to_string();
        let matched = tokio::task::spawn_blocking(move || {
            if candidates.is_empty() {
                password_matches(dummy_hash(), &password);
            }
            candidates.into_iter().filter(|l| password_matches(&l.password_hash, &password)).collect::<Vec<_>>()
        })
        .await
        .map_err(|e| EngineError::Io(e.to_string()))?;

        let mut tx = self.store.begin_write().await?;
        if matched.is_empty() {
            let state = self.store.sign_in_failures(&mut tx, &email).await?;
            self.store.save_sign_in_failures(&mut tx, &email, &Failures::after_failure(state, now)).await?;
            philia_store::commit(tx).await?;
            return Err(bad_credentials());
        }
        self.store.clear_sign_in_failures(&mut tx, &email).await?;
        if matched.len() > 1 {
            philia_store::commit(tx).await?;
            return Ok(SignIn::ChooseBrand(
                matched.into_iter().map(|l| BrandChoice { slug: l.tenant_slug, name: l.tenant_name }).collect(),
            ));
        }
        let login = &matched[0];
        let token = random_hex(32);
        let csrf = random_hex(16);
        self.store
            .insert_session(&mut tx, &hash_key(&token), login.tenant_id, login.staff_id, &csrf, now, now + SESSION_MAX_MS)
            .await?;
        philia_store::commit(tx).await?;
        let session = self.staff_session(&token).await?.ok_or(EngineError::Unauthenticated)?;
        Ok(SignIn::Session { token, session: Box::new(session) })
    }

    /// The session of a cookie token, if it is live. Ended sessions are removed on sight.
    pub async fn staff_session(&self, token: &str) -> Result<Option<StaffSession>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hash = hash_key(token);
        let Some(row) = self.store.session(&hash).await? else { return Ok(None) };
        let now = now_ms();
        if now >= row.expires_at || now - row.seen_at >= SESSION_IDLE_MS {
            let mut tx = self.store.begin_write().await?;
            self.store.delete_session(&mut tx, &hash).await?;
            philia_store::commit(tx).await?;
            return Ok(None);
        }
        if now - row.seen_at >= SESSION_TOUCH_MS {
            let mut tx = self.store.begin_write().await?;
            self.store.touch_session(&mut tx, &hash, now).await?;
            philia_store::commit(tx).await?;
        }
        let Ok(role) = StaffRole::parse(&row.role) else { return Ok(None) };
        Ok(Some(StaffSession {
            ctx: TenantContext::from_record(&row.tenant)?
                .acting_as(crate::audit::Actor::Staff { id: row.staff_id, email: row.email.clone() }),
            staff_id: row.staff_id,
            email: row.email,
            name: row.name,
            role,
            lang: Lang::or_default(&row.lang),
            csrf: row.csrf,
            branch: row.branch,
        }))
    }

    pub async fn sign_out(&self, token: &str) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        self.store.delete_session(&mut tx, &hash_key(token)).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    pub async fn set_staff_language(&self, session: &StaffSession, lang: Lang) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        self.store.set_staff_lang(&mut tx, session.ctx.id, session.staff_id, lang.as_str()).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }
}
