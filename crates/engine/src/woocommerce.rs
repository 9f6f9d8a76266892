//! Applying what a WooCommerce shop sends: orders become invoices and refunds (each order
//! brought in line with its newest state, see `domain::woocommerce::sync`), customers become
//! profiles, products enter the catalogue.

use crate::inbound::Applied;
use crate::shop_orders::{Seen, body_digest, read, skip_text};
use crate::{Engine, Result, TenantContext, now_ms};
use philia_domain::catalogue::ValidCategory;
use philia_domain::woocommerce::{Topic, WooCustomer, WooOrder, WooProduct, is_news, source_of};
use philia_store::Conn;
use philia_store::connections::{ConnectionRow, ShopRecordRow};

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
                let id = product.id.text();
                let digest = body_digest(body);
                let now = now_ms();
                let held = self.store.lock_shop_record(conn, ctx.id, row.id, "product", &id, now).await?;
                if let Err(skip) = is_news(held.version, held.digest.as_deref(), product.version(), &digest) {
                    return Ok(Applied::skipped(skip_text("product", &id, skip)));
                }
                // Categories the shop names that the catalogue lacks are added at its top level;
                // existing ones keep their place in the tree.
                let mut missing = Vec::new();
                for (code, name) in product.categories() {
                    if philia_domain::catalogue::parse_code(&code).is_ok()
                        && self.store.category_parent(conn, ctx.id, &code).await?.is_none()
                    {
                        missing.push(ValidCategory { code, name: name.chars().take(200).collect(), parent: None });
                    }
                }
                self.store.upsert_categories(conn, ctx.id, &missing, now).await?;
                self.store.upsert_products(conn, ctx.id, std::slice::from_ref(&valid), now).await?;
                let kept = ShopRecordRow { version: held.version.max(product.version()), digest: Some(digest), ..held };
                self.store.write_shop_record(conn, ctx.id, row.id, "product", &id, &kept, now).await?;
                Ok(Applied::done(format!("product {id}: {} in the catalogue", valid.sku)))
            }
            Topic::Other => Ok(Applied::skipped(format!("{topic}: nothing to apply"))),
        }
    }
}
