//! WooCommerce on the wire: the published fixtures, signed deliveries as a shop sends them, and
//! a draining helper for the inbound queue.

use super::TestApp;
use philia_domain::tenant::NewTenant;
use philia_engine::TenantContext;
use serde_json::Value;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/woocommerce");

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// A tenant that sells in dollars (the fixtures' currency), with an admin key.
pub async fn dollar_tenant(app: &TestApp, slug: &str) -> (TenantContext, String) {
    app.engine.create_tenant(NewTenant::parse(slug, "Dollar shop", Some("USD"), Some("UTC"), None).unwrap()).await.unwrap();
    let ctx = app.engine.tenant(slug).await.unwrap();
    let key = app.engine.create_api_key(&ctx, "admin", None).await.unwrap().key;
    (ctx, key)
}

/// Posts a body as WooCommerce does: raw bytes, topic, delivery id and (when a secret is given)
/// the signature. The status code.
pub async fn deliver(app: &TestApp, path: &str, topic: &str, body: &[u8], secret: Option<&str>) -> u16 {
    let mut req = app
        .client
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .header("user-agent", "WooCommerce/8.6.1 Hookshot (WordPress/6.4.3)")
        .header("x-wc-webhook-topic", topic)
        .header("x-wc-webhook-resource", topic.split('.').next().unwrap())
        .header("x-wc-webhook-delivery-id", "0d5a1c7f3f5a4b7e8e3c2b1a09f8e7d6")
        .body(body.to_vec());
    if let Some(s) = secret {
        req = req.header("x-wc-webhook-signature", philia_domain::woocommerce::sign(body, s));
    }
    req.send().await.unwrap().status().as_u16()
}

/// Applies everything queued; the totals of every round.
pub async fn drain(app: &TestApp) -> philia_engine::inbound::InboundRound {
    let mut total = philia_engine::inbound::InboundRound::default();
    loop {
        let r = app.engine.apply_inbound(philia_engine::now_ms()).await.unwrap();
        if r.claimed == 0 {
            return total;
        }
        total.claimed += r.claimed;
        total.applied += r.applied;
        total.skipped += r.skipped;
        total.failed += r.failed;
        total.retried += r.retried;
    }
}
