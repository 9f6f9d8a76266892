//! The club widget on a web shop: the shop names its signed-in customer in a token signed with
//! the connection's secret; the customer it names is found (or made) under the shop's source.

use crate::connections::secret_context;
use crate::{Engine, EngineError, Result, TenantContext};
use philia_domain::customer::{CustomerInput, ExternalIdInput};
use philia_domain::shop_token::verify_shop_token;
use philia_domain::woocommerce::{Loose, identity, source_of};

impl Engine {
    /// The brand and customer a shop's token names. A token that is not signed with the
    /// connection's secret, has expired or lives longer than a day is refused; a mobile or email
    /// that is not valid is left out.
    pub async fn widget_member(&self, tenant: &str, connection: &str, token: &str) -> Result<(TenantContext, i64)> {
        let ctx = self.tenant(tenant).await.map_err(|_| EngineError::NotFound("club"))?;
        let row = self.connection_row(&ctx, connection).await?;
        let secret = self.vault.open(&row.secret_sealed, &secret_context(ctx.id, &row.code))?;
        let claims =
            verify_shop_token(token, &secret, jiff::Timestamp::now().as_second()).map_err(|_| EngineError::Unauthenticated)?;
        let source = source_of(&row.code);
        let shop_id = Loose::Text(claims.customer_id.clone().unwrap_or_default());
        let mut left_out = Vec::new();
        let (external, mobile, email) =
            identity(&shop_id, claims.mobile.as_deref().unwrap_or(""), claims.email.as_deref().unwrap_or(""), &mut left_out);
        let input = CustomerInput {
            external_ids: external.map(|id| vec![ExternalIdInput { source: source.clone(), id }]),
            mobile,
            email,
            first_name: claims.first_name.clone(),
            last_name: claims.last_name.clone(),
            ..Default::default()
        };
        let patch = input.parse()?;
        if patch.identities.is_empty() {
            return Err(EngineError::Unauthenticated);
        }
        let out = self.upsert_customers(&ctx, &source, &[patch]).await?;
        Ok((ctx, out[0].customer_id))
    }
}
