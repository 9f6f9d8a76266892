//! Applying what a Shopify shop sends: orders through the same rules as every shop's orders,
//! refunds against the invoice their order counts under (keyed as the order's own listing of
//! them is, so a refund that also arrives with the order's next state counts once), customers
//! as profiles.

use crate::inbound::Applied;
use crate::shop_orders::{Seen, body_digest, read};
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::shopify::{ShopifyCustomer, ShopifyOrder, ShopifyRefund, Topic, source_of};
use philia_domain::woocommerce::invoice_external_id;
use philia_store::Conn;
use philia_store::connections::ConnectionRow;

impl Engine {
    pub(crate) async fn apply_shopify_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        row: &ConnectionRow,
        topic: &str,
        body: &str,
    ) -> Result<Applied> {
        let source = source_of(&row.code);
        match Topic::parse(topic) {
            Topic::Order => {
                let order: ShopifyOrder = read(body)?;
                let snap = order.snapshot(&source, &ctx.zone, &ctx.currency)?;
                self.apply_order_in(conn, ctx, row, &source, &snap).await
            }
            Topic::OrderDeleted => {
                let order: ShopifyOrder = read(body)?;
                self.apply_order_deleted_in(conn, ctx, row, &source, &order.id.text()).await
            }
            Topic::Refund => {
                let refund: ShopifyRefund = read(body)?;
                let order_id = refund.order_id.text();
                if order_id.is_empty() {
                    return Err(EngineError::field(Issue::required().at("order_id")));
                }
                let Some(draft) = refund.draft(&row.currency, &ctx.currency)? else {
                    return Ok(Applied::skipped(format!("refund {} of order {order_id}: no money returned", refund.id.text())));
                };
                let held = self.store.lock_shop_record(conn, ctx.id, row.id, "order", &order_id, now_ms()).await?;
                let Some(invoice_id) = held.invoice_id else {
                    return Ok(Applied::skipped(format!(
                        "refund {} of order {order_id}: the order is not counted as a sale",
                        draft.id
                    )));
                };
                let key = format!("{}/r{}", invoice_external_id(&order_id, held.generation), draft.id);
                let reason = format!("Shopify refund{}", draft.reason.map(|r| format!(": {r}")).unwrap_or_default());
                let at = refund.created().unwrap_or_else(jiff::Timestamp::now);
                Ok(match self.refund_rest_in(conn, ctx, &source, invoice_id, &key, Some(draft.amount), reason, at).await? {
                    Some(done) => Applied::done(format!("refund {} of order {order_id}: {done} refunded", draft.id)),
                    None => Applied::skipped(format!("refund {} of order {order_id}: already recorded", draft.id)),
                })
            }
            Topic::Customer => {
                let customer: ShopifyCustomer = read(body)?;
                let (patch, notes) = customer.patch(&source)?;
                let seen = Seen { id: customer.id.text(), version: customer.version(), digest: body_digest(body) };
                self.apply_shop_customer_in(conn, ctx, row, &source, &seen, patch, notes).await
            }
            Topic::Other => Ok(Applied::skipped(format!("{topic}: nothing to apply"))),
        }
    }
}
