//! Applying what a WooCommerce shop sends: orders become invoices and refunds (each order
//! brought in line with its newest state, see `domain::woocommerce::sync`), customers become
//! profiles, products enter the catalogue.

use crate::inbound::Applied;
use crate::shop_orders::{Seen, body_digest, read};
use crate::{Engine, Result, TenantContext};
use philia_domain::woocommerce::{CouponMirror, Topic, WooCoupon, WooCustomer, WooOrder, WooProduct, source_of};
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
            Topic::Coupon => {
                let coupon: WooCoupon = read(body)?;
                let seen = Seen { id: coupon.id.text(), version: coupon.version(), digest: body_digest(body) };
                self.apply_coupon_in(conn, ctx, row, &coupon, &seen).await
            }
            Topic::CouponDeleted => {
                let coupon: WooCoupon = read(body)?;
                let code = coupon.promotion_code(&row.code);
                match self.promotion_input_in(conn, ctx, &code).await? {
                    Some(mut p) => {
                        p.active = Some(false);
                        self.update_promotion_in(conn, ctx, &code, &p).await?;
                        Ok(Applied::done(format!("coupon {}: promotion {code} switched off", coupon.id.text())))
                    }
                    None => Ok(Applied::skipped(format!("coupon {}: was not mirrored", coupon.id.text()))),
                }
            }
            Topic::Other => Ok(Applied::skipped(format!("{topic}: nothing to apply"))),
        }
    }

    /// Mirrors a coupon as a promotion with its code as the shared code, unless this state is
    /// stale or a repeat, or the coupon is one only the shop can apply.
    async fn apply_coupon_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        row: &ConnectionRow,
        coupon: &WooCoupon,
        seen: &Seen,
    ) -> Result<Applied> {
        let now = crate::now_ms();
        let held = self.store.lock_shop_record(conn, ctx.id, row.id, "coupon", &seen.id, now).await?;
        if let Err(skip) = philia_domain::woocommerce::is_news(held.version, held.digest.as_deref(), seen.version, &seen.digest) {
            return Ok(Applied::skipped(crate::shop_orders::skip_text("coupon", &seen.id, skip)));
        }
        let said = match coupon.mirror(&row.code, &row.currency, &ctx.currency)? {
            CouponMirror::Left(why) => format!("coupon {} ({}): {why}", seen.id, coupon.code.trim()),
            CouponMirror::Promotion(p) => {
                if self.promotion_input_in(conn, ctx, &p.code).await?.is_some() {
                    self.update_promotion_in(conn, ctx, &p.code, &p).await?;
                } else {
                    self.create_promotion_in(conn, ctx, &p).await?;
                }
                format!("coupon {} ({}): promotion {}", seen.id, coupon.code.trim(), p.code)
            }
        };
        let kept = philia_store::connections::ShopRecordRow {
            version: held.version.max(seen.version),
            digest: Some(seen.digest.clone()),
            ..held
        };
        self.store.write_shop_record(conn, ctx.id, row.id, "coupon", &seen.id, &kept, now).await?;
        Ok(Applied::done(said))
    }
}
