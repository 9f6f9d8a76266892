//! A tenant's connections to shops and other systems: created with a secret the other system
//! signs its deliveries with, paused and resumed, their secrets replaced, their delivery log.

use crate::secrets::random_hex;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::connections::{ConnectionInput, ShopAccess, ValidConnection, parse_connection_code};
use philia_domain::sepidar::SepidarAccess;
use philia_store::connections::ConnectionRow;
use philia_store::deliveries::DeliveryRow;
use serde::Serialize;

/// A connection as staff see it: never its secrets.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct ConnectionView {
    pub kind: String,
    pub code: String,
    pub name: String,
    /// `active` or `paused`.
    pub status: String,
    pub currency: String,
    /// The path the other system delivers to, below the platform's address; empty for a system
    /// Philia reads from (Sepidar); an accounting feed posts its files to the API path with a key.
    pub delivery_path: String,
    /// The shop address backfill and reconciliation read from, when API keys are set (for
    /// Sepidar, its service's address once the sign-in is set).
    pub store_url: Option<String>,
    pub created_at: i64,
    pub last_delivery_at: Option<i64>,
    /// Backfill progress and the last reconciliation.
    #[schema(value_type = Object)]
    pub sync: serde_json::Value,
    /// Deliveries per status (`queued`, `applied`, `skipped`, `failed`, `rejected`).
    pub deliveries: Vec<(String, i64)>,
    /// Records brought in per kind (`order`, `customer`, `product`).
    pub records: Vec<(String, i64)>,
}

/// A connection just created or given a new secret: the one time the secret is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectionSecret {
    pub connection: ConnectionView,
    /// Paste into the webhook's "Secret" field in the shop.
    pub secret: String,
}

/// One delivery in the log.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema, PartialEq)]
pub struct DeliveryView {
    pub id: i64,
    pub received_at: i64,
    pub topic: String,
    pub delivery_ref: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub outcome: Option<String>,
    pub processed_at: Option<i64>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(d: DeliveryRow) -> Self {
        DeliveryView {
            id: d.id,
            received_at: d.received_at,
            topic: d.topic,
            delivery_ref: d.delivery_ref,
            status: d.status,
            attempts: d.attempts,
            outcome: d.outcome,
            processed_at: d.processed_at,
        }
    }
}

pub(crate) fn secret_context(tenant_id: i64, code: &str) -> String {
    format!("connection-secret:{tenant_id}:{code}")
}

pub(crate) fn access_context(tenant_id: i64, code: &str) -> String {
    format!("connection-access:{tenant_id}:{code}")
}

/// What the audit log keeps of a connection: never its secret or keys, only whether they are set.
fn audited(row: &ConnectionRow) -> serde_json::Value {
    serde_json::json!({ "kind": row.kind, "name": row.name, "currency": row.currency, "status": row.status,
        "shop_access": row.settings_sealed.is_some() })
}

impl Engine {
    /// Creates a connection with a fresh secret, shown this once.
    pub async fn create_connection(&self, ctx: &TenantContext, input: &ConnectionInput) -> Result<ConnectionSecret> {
        let v: ValidConnection = input.parse_new()?;
        let secret = v.secret.clone().unwrap_or_else(|| format!("whs_{}", random_hex(24)));
        let mut tx = self.store.begin_write().await?;
        let row = ConnectionRow {
            id: self.store.allocate_ids(&mut tx, 1).await?[0],
            kind: v.kind.as_str().into(),
            code: v.code.clone(),
            name: v.name.clone(),
            secret_sealed: self.vault.seal(&secret, &secret_context(ctx.id, &v.code))?,
            settings_sealed: self.seal_settings(ctx, &v.code, &v)?,
            currency: v.currency.unwrap_or_else(|| ctx.currency.clone()),
            status: "active".into(),
            sync_state: "{}".into(),
            created_at: now_ms(),
        };
        if !self.store.insert_connection(&mut tx, ctx.id, &row).await? {
            return Err(EngineError::conflict(
                "code_taken",
                format!("a connection with the code {} exists", v.code),
                "اتصالی با این کد وجود دارد",
            ));
        }
        self.audit_in(&mut tx, ctx, "connection.create", "connection", &row.code, crate::audit::NOTHING, Some(&audited(&row)))
            .await?;
        philia_store::commit(tx).await?;
        Ok(ConnectionSecret { connection: self.connection(ctx, &v.code).await?, secret })
    }

    /// Seals what Philia reads the other system with: a shop's API keys or a Sepidar sign-in.
    fn seal_settings(&self, ctx: &TenantContext, code: &str, v: &ValidConnection) -> Result<Option<String>> {
        let plain = match (&v.access, &v.sepidar) {
            (Some(a), _) => serde_json::to_string(a),
            (None, Some(s)) => serde_json::to_string(s),
            (None, None) => return Ok(None),
        };
        Ok(Some(self.vault.seal(&plain.expect("settings serialise"), &access_context(ctx.id, code))?))
    }

    fn open_settings<T: serde::de::DeserializeOwned>(&self, tenant_id: i64, row: &ConnectionRow) -> Result<Option<T>> {
        match &row.settings_sealed {
            None => Ok(None),
            Some(sealed) => {
                let plain = self.vault.open(sealed, &access_context(tenant_id, &row.code))?;
                Ok(Some(serde_json::from_str(&plain).map_err(|e| EngineError::Io(format!("connection settings: {e}")))?))
            }
        }
    }

    pub(crate) fn shop_access(&self, tenant_id: i64, row: &ConnectionRow) -> Result<Option<ShopAccess>> {
        if matches!(row.kind.as_str(), "sepidar" | "feed") { Ok(None) } else { self.open_settings(tenant_id, row) }
    }

    pub(crate) fn feed_mapping(&self, tenant_id: i64, row: &ConnectionRow) -> Result<Option<philia_domain::feed::FeedMapping>> {
        if row.kind == "feed" { self.open_settings(tenant_id, row) } else { Ok(None) }
    }

    /// Seals a feed's mapping as its settings.
    pub(crate) fn seal_feed_mapping(
        &self,
        tenant_id: i64,
        code: &str,
        mapping: &philia_domain::feed::FeedMapping,
    ) -> Result<String> {
        self.vault.seal(&serde_json::to_string(mapping).expect("a mapping serialises"), &access_context(tenant_id, code))
    }

    pub(crate) fn sepidar_access(&self, tenant_id: i64, row: &ConnectionRow) -> Result<Option<SepidarAccess>> {
        if row.kind == "sepidar" { self.open_settings(tenant_id, row) } else { Ok(None) }
    }

    pub(crate) async fn connection_row(&self, ctx: &TenantContext, code: &str) -> Result<ConnectionRow> {
        let code = parse_connection_code(code).map_err(|_| EngineError::NotFound("connection"))?;
        let mut tx = self.store.begin_read().await?;
        self.store.connection_by_code(&mut tx, ctx.id, &code).await?.ok_or(EngineError::NotFound("connection"))
    }

    async fn view(&self, ctx: &TenantContext, row: ConnectionRow) -> Result<ConnectionView> {
        let mut tx = self.store.begin_read().await?;
        let deliveries = self.store.delivery_counts(&mut tx, ctx.id, row.id).await?;
        let records = self.store.shop_record_counts(&mut tx, ctx.id, row.id).await?;
        let last_delivery_at = self.store.last_delivery_at(&mut tx, ctx.id, row.id).await?;
        drop(tx);
        let store_url = match self.sepidar_access(ctx.id, &row)? {
            Some(s) => Some(s.server_url),
            None => self.shop_access(ctx.id, &row)?.map(|a| a.store_url),
        };
        Ok(ConnectionView {
            delivery_path: match row.kind.as_str() {
                "sepidar" => String::new(),
                "feed" => format!("/api/v1/connections/{}/feed", row.code),
                kind => format!("/hooks/{kind}/{}/{}", ctx.slug, row.code),
            },
            kind: row.kind,
            code: row.code,
            name: row.name,
            status: row.status,
            currency: row.currency,
            store_url,
            created_at: row.created_at,
            last_delivery_at,
            sync: serde_json::from_str(&row.sync_state).unwrap_or_default(),
            deliveries,
            records,
        })
    }

    pub async fn connection(&self, ctx: &TenantContext, code: &str) -> Result<ConnectionView> {
        let row = self.connection_row(ctx, code).await?;
        self.view(ctx, row).await
    }

    pub async fn connections(&self, ctx: &TenantContext) -> Result<Vec<ConnectionView>> {
        let mut tx = self.store.begin_read().await?;
        let rows = self.store.connections(&mut tx, ctx.id).await?;
        drop(tx);
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.view(ctx, row).await?);
        }
        Ok(out)
    }

    /// Replaces the secret (the old one stops verifying at once); shown this once.
    pub async fn rotate_connection_secret(&self, ctx: &TenantContext, code: &str) -> Result<ConnectionSecret> {
        let mut row = self.connection_row(ctx, code).await?;
        if row.kind == "shopify" {
            return Err(EngineError::conflict(
                "secret_chosen_by_shop",
                "Shopify chooses the key it signs with; enter its new key in the connection's settings",
                "شاپیفای کلید امضا را خودش تعیین می‌کند؛ کلید تازه را در تنظیمات اتصال وارد کنید",
            ));
        }
        let secret = format!("whs_{}", random_hex(24));
        row.secret_sealed = self.vault.seal(&secret, &secret_context(ctx.id, &row.code))?;
        let mut tx = self.store.begin_write().await?;
        self.store.update_connection(&mut tx, ctx.id, &row).await?;
        self.audit_in(
            &mut tx,
            ctx,
            "connection.rotate_secret",
            "connection",
            &row.code,
            crate::audit::NOTHING,
            Some(&audited(&row)),
        )
        .await?;
        philia_store::commit(tx).await?;
        Ok(ConnectionSecret { connection: self.connection(ctx, code).await?, secret })
    }

    /// Pauses or resumes a connection: a paused one answers its system but applies nothing;
    /// what arrives meanwhile is kept as skipped.
    pub async fn set_connection_status(&self, ctx: &TenantContext, code: &str, active: bool) -> Result<ConnectionView> {
        let mut row = self.connection_row(ctx, code).await?;
        row.status = if active { "active" } else { "paused" }.into();
        let mut tx = self.store.begin_write().await?;
        self.store.update_connection(&mut tx, ctx.id, &row).await?;
        self.audit_in(&mut tx, ctx, "connection.status", "connection", &row.code, crate::audit::NOTHING, Some(&audited(&row)))
            .await?;
        philia_store::commit(tx).await?;
        self.view(ctx, row).await
    }

    /// Sets or clears the shop's API address and keys (for backfill and reconciliation), and
    /// takes a new signing key when one is given (the one a shop chose for itself).
    pub async fn set_connection_access(
        &self,
        ctx: &TenantContext,
        code: &str,
        input: &ConnectionInput,
    ) -> Result<ConnectionView> {
        let mut row = self.connection_row(ctx, code).await?;
        let v = ConnectionInput { kind: row.kind.clone(), code: row.code.clone(), ..input.clone() }.parse()?;
        // A feed's settings are its mapping, set on their own.
        if row.kind != "feed" {
            row.settings_sealed = self.seal_settings(ctx, &row.code, &v)?;
        }
        if let Some(secret) = &v.secret {
            row.secret_sealed = self.vault.seal(secret, &secret_context(ctx.id, &row.code))?;
        }
        if input.name.as_deref().is_some_and(|n| !n.trim().is_empty()) {
            row.name = v.name.clone();
        }
        if let Some(currency) = v.currency {
            row.currency = currency;
        }
        let mut tx = self.store.begin_write().await?;
        self.store.update_connection(&mut tx, ctx.id, &row).await?;
        self.audit_in(&mut tx, ctx, "connection.access", "connection", &row.code, crate::audit::NOTHING, Some(&audited(&row)))
            .await?;
        philia_store::commit(tx).await?;
        self.view(ctx, row).await
    }

    /// A connection's deliveries, newest first.
    pub async fn deliveries(
        &self,
        ctx: &TenantContext,
        code: &str,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<DeliveryView>> {
        let row = self.connection_row(ctx, code).await?;
        let mut tx = self.store.begin_read().await?;
        let rows = self.store.deliveries(&mut tx, ctx.id, row.id, status, before, limit.clamp(1, 500)).await?;
        Ok(rows.into_iter().map(DeliveryView::from).collect())
    }

    /// A delivery with its body, for looking into what a system sent.
    pub async fn delivery_body(&self, ctx: &TenantContext, code: &str, id: i64) -> Result<(DeliveryView, Option<String>)> {
        let row = self.connection_row(ctx, code).await?;
        let mut tx = self.store.begin_read().await?;
        let d = self.store.delivery(&mut tx, ctx.id, id).await?.filter(|d| d.connection_id == row.id);
        let d = d.ok_or(EngineError::NotFound("delivery"))?;
        let body = d.body.clone();
        Ok((d.into(), body))
    }

    /// Sends a failed delivery through again (after the cause was fixed: a missing currency
    /// setting, a product…). Applying is idempotent, so nothing counts twice.
    pub async fn retry_delivery(&self, ctx: &TenantContext, code: &str, id: i64) -> Result<DeliveryView> {
        let row = self.connection_row(ctx, code).await?;
        let mut tx = self.store.begin_write().await?;
        let found = self.store.delivery(&mut tx, ctx.id, id).await?.filter(|d| d.connection_id == row.id);
        if found.is_none() {
            return Err(EngineError::NotFound("delivery"));
        }
        if !self.store.requeue_delivery(&mut tx, ctx.id, id, now_ms()).await? {
            return Err(EngineError::conflict(
                "not_failed",
                "only a failed delivery can be retried",
                "فقط تحویل ناموفق دوباره اجرا می‌شود",
            ));
        }
        philia_store::commit(tx).await?;
        self.inbound_signal.notify_one();
        let (view, _) = self.delivery_body(ctx, code, id).await?;
        Ok(view)
    }
}
