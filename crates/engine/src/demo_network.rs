//! The demo's coalition: a bakery next door in one network with the demo brand, sharing some
//! customers, with a few exchanges between them and an offer of the bakery's in the demo's club.

use crate::coalition::{AcceptInput, ExchangeInput, InviteInput, NetworkInput};
use crate::coalition_offers::OfferInput;
use crate::demo_programme::parse;
use crate::{Engine, Result, TenantContext};
use philia_domain::invoice::InvoiceInput;
use philia_domain::tenant::NewTenant;
use serde_json::json;

/// How many of the demo's customers also buy at the bakery and join the network.
const SHARED: i64 = 40;

impl Engine {
    /// Creates `{slug}-bakery` and the network `{slug}-mall` around the demo tenant `ctx`.
    pub async fn setup_demo_network(&self, ctx: &TenantContext) -> Result<()> {
        let bakery_slug = format!("{}-bakery", ctx.slug);
        let t = NewTenant::parse(&bakery_slug, "نان‌سرای همسایه", Some(&ctx.currency), None, None)?;
        self.create_tenant(t).await?;
        let bakery = self.tenant(&bakery_slug).await?;
        let network = format!("{}-mall", ctx.slug);
        self.create_network(&NetworkInput {
            slug: network.clone(),
            name: "بازارچه رویا".into(),
            point_name: "امتیاز بازارچه".into(),
            point_value: 1_000,
            currency: Some(ctx.currency.clone()),
            time_zone: None,
            calendar: None,
        })
        .await?;
        for (member, rate) in [(ctx, "10:1"), (&bakery, "5:1")] {
            self.invite_to_network(&network, &InviteInput { tenant: member.slug.clone(), rate: rate.into() }).await?;
            self.accept_network(member, &network, &AcceptInput::default()).await?;
        }
        let now = jiff::Timestamp::now();
        let customers = self.search_customers(ctx, None, Default::default(), None, SHARED).await?.items;
        for (i, c) in customers.iter().enumerate() {
            let Some(mobile) = &c.mobile else { continue };
            let sale: InvoiceInput = parse(json!({
                "external_id": format!("bakery-{i}"), "issued_at": (now - jiff::SignedDuration::from_hours(24 * (i as i64 % 20 + 1))).to_string(),
                "customer": {"mobile": mobile, "first_name": c.first_name, "last_name": c.last_name}, "channel": "pos",
                "lines": [{"sku": "BREAD-1", "product_name": "نان سنگک", "quantity": 2, "unit_price": 45_000}]
            }))?;
            let recorded = self.record_invoice(&bakery, &sale).await?;
            self.join_network(ctx, c.id, &network).await?;
            let Some(at_bakery) = recorded.customer_id else { continue };
            self.join_network(&bakery, at_bakery, &network).await?;
            // Some move demo points to the network and spend a part of them at the bakery;
            // those without enough points simply keep theirs.
            let out = ExchangeInput { direction: "to_network".into(), points: 5, idempotency_key: Some(format!("demo-out-{i}")) };
            if i % 2 == 0 && self.exchange_points(ctx, c.id, &network, &out, None).await.is_ok() {
                let back =
                    ExchangeInput { direction: "to_brand".into(), points: 3, idempotency_key: Some(format!("demo-in-{i}")) };
                self.exchange_points(&bakery, at_bakery, &network, &back, None).await?;
            }
        }
        self.create_promotion(
            &bakery,
            &parse(json!({"code": "bakery-coffee", "name": "قهوه مهمان نان‌سرا", "discount": "fixed", "value": 40_000}))?,
        )
        .await?;
        let offer = OfferInput {
            promotion: "bakery-coffee".into(),
            title: "یک قهوه مهمان نان‌سرای همسایه".into(),
            description: Some("با هر خرید نان، یک قهوه مهمان ما باشید".into()),
            valid_days: Some(30),
        };
        self.publish_offer(&bakery, &network, &offer).await?;
        Ok(())
    }
}
