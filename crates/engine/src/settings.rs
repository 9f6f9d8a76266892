//! Programme settings stored as JSON per tenant and name (cashback, referrals, loyalty classes).

use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_store::Conn;
use serde::Serialize;
use serde::de::DeserializeOwned;

impl Engine {
    pub(crate) async fn load_setting<T: DeserializeOwned>(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        name: &str,
    ) -> Result<Option<T>> {
        match self.store.setting(conn, ctx.id, name).await? {
            None => Ok(None),
            Some(body) => Ok(Some(serde_json::from_str(&body).map_err(|e| EngineError::Io(format!("{name}: {e}")))?)),
        }
    }

    pub(crate) async fn save_setting<T: Serialize>(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        name: &str,
        value: &T,
    ) -> Result<()> {
        let body = serde_json::to_string(value).expect("settings serialise");
        Ok(self.store.set_setting(conn, ctx.id, name, &body, now_ms()).await?)
    }

    /// Saves a setting staff or a key chose, with the change in the audit log.
    pub(crate) async fn save_chosen_setting<T: Serialize>(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        name: &str,
        value: &T,
    ) -> Result<()> {
        let before = self.store.setting(conn, ctx.id, name).await?.map(|b| crate::audit::stored(&b));
        self.save_setting(conn, ctx, name, value).await?;
        self.audit_in(conn, ctx, &format!("settings.{name}"), "settings", name, before.as_ref(), Some(value)).await
    }
}
