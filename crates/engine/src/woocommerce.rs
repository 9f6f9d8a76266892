//! Applying what a WooCommerce shop sends: orders become invoices and refunds (each order
//! brought in line with its newest state, see `domain::woocommerce::sync`), customers become
//! profiles, products enter the catalogue.

use crate::inbound::Applied;
use crate::shop_orders::{Seen, body_digest, read};
use crate::{Engine, Result, TenantContext};
use philia_domain::woocommerce::{Topic, WooCustomer, WooOrder, WooProduct, source_of};
use philia_store::Conn;
use philia_store::connections::ConnectionRow;

impl Engine {
    pub(crate) async fn apply_woocommerce_in(
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
                let order: WooOrder = read(body)?;
                let snap = order.snapshot(&source, &ctx.zone, &ctx.currency)?;
                self.apply_order_in(conn, ctx, row, &source, &snap).await
            }
            Topic::OrderDeleted => {
                let order: WooOrder = read(body)?;
                self.apply_order_deleted_in(conn, ctx, row, &source, &order.id.text()).await
            }
            Topic::Customer => {
                let customer: WooCustomer = read(body)?;
                let (patch, notes) = customer.patch(&source)?;
                let seen = Seen { id: customer.id.text(), version: customer.version(), digest: body_digest(body) };
                self.apply_shop_customer_in(conn, ctx, row, &source, &seen, patch, notes).await
            }
            Topic::Product => {
                let product: WooProduct = read(body)?;
                let valid = product.product(&row.currency, &ctx.currency)?;
                let seen = Seen { id: product.id.text(), version: product.version(), digest: body_digest(body) };
                self.apply_shop_product_in(conn, ctx, row, &seen, valid, product.categories()).await
            }
            Topic::Other => Ok(Applied::skipped(format!("{topic}: nothing to apply"))),
        }
    }
}
