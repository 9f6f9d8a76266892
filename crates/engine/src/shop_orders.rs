//! What any shop sends, applied the same way: an order's state brought in line with what
//! Philia holds for it (see `domain::woocommerce::sync`), refunds recorded once under their
//! keys, customers kept as profiles under the connection's source. The per-shop modules read
//! their own wire formats into these.

use crate::inbound::Applied;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::catalogue::{ValidCategory, ValidProduct};
use philia_domain::customer::CustomerPatch;
use philia_domain::invoice::ValidRefund;
use philia_domain::woocommerce::{OrderSnapshot, Skip, Step, Tracked, is_news, plan};
use philia_store::Conn;
use philia_store::connections::{ConnectionRow, ShopRecordRow};
use sha2::{Digest, Sha256};

pub(crate) fn read<T: serde::de::DeserializeOwned>(body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| {
        EngineError::field(Issue::new("invalid_json", format!("is not the expected JSON: {e}"), "JSON معتبر نیست").at("body"))
    })
}

pub(crate) fn body_digest(body: &str) -> String {
    Sha256::digest(body.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn skip_text(kind: &str, id: &str, skip: Skip) -> String {
    match skip {
        Skip::Stale => format!("{kind} {id}: older than the state already applied"),
        Skip::Repeat => format!("{kind} {id}: this state was already applied"),
    }
}

/// The shop's name in refund reasons.
fn shop_name(kind: &str) -> &'static str {
    match kind {
        "shopify" => "Shopify",
        _ => "WooCommerce",
    }
}

/// A record as the shop sent it: its id, modification time and a digest of the body.
pub(crate) struct Seen {
    pub id: String,
    pub version: Option<i64>,
    pub digest: String,
}

impl Engine {
    /// Creates or updates the profile a shop's customer record describes, unless this state is
    /// stale or a repeat.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply_shop_customer_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        row: &ConnectionRow,
        source: &str,
        seen: &Seen,
        patch: CustomerPatch,
        notes: Vec<String>,
    ) -> Result<Applied> {
        let now = now_ms();
        let held = self.store.lock_shop_record(conn, ctx.id, row.id, "customer", &seen.id, now).await?;
        if let Err(skip) = is_news(held.version, held.digest.as_deref(), seen.version, &seen.digest) {
            return Ok(Applied::skipped(skip_text("customer", &seen.id, skip)));
        }
        let outcome = self.upsert_in(conn, ctx, source, &[patch], None).await?.remove(0);
        let kept = ShopRecordRow { version: held.version.max(seen.version), digest: Some(seen.digest.clone()), ..held };
        self.store.write_shop_record(conn, ctx.id, row.id, "customer", &seen.id, &kept, now).await?;
        let mut said = format!(
            "customer {}: {} profile {}",
            seen.id,
            if outcome.created { "created" } else { "updated" },
            outcome.customer_id
        );
        for n in notes.iter().chain(outcome.conflicting_identifiers.iter()) {
            said.push_str(&format!("; {n}"));
        }
        Ok(Applied::done(said))
    }

    /// Puts a shop's product in the catalogue, unless this state is stale or a repeat.
    /// Categories (code, name) the catalogue lacks are added at its top level; existing ones
    /// keep their place in the tree.
    pub(crate) async fn apply_shop_product_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        row: &ConnectionRow,
        seen: &Seen,
        product: ValidProduct,
        categories: Vec<(String, String)>,
    ) -> Result<Applied> {
        let now = now_ms();
        let held = self.store.lock_shop_record(conn, ctx.id, row.id, "product", &seen.id, now).await?;
        if let Err(skip) = is_news(held.version, held.digest.as_deref(), seen.version, &seen.digest) {
            return Ok(Applied::skipped(skip_text("product", &seen.id, skip)));
        }
        let mut missing = Vec::new();
        for (code, name) in categories {
            if philia_domain::catalogue::parse_code(&code).is_ok()
                && self.store.category_parent(conn, ctx.id, &code).await?.is_none()
            {
                missing.push(ValidCategory { code, name: name.chars().take(200).collect(), parent: None });
            }
        }
        self.store.upsert_categories(conn, ctx.id, &missing, now).await?;
        self.store.upsert_products(conn, ctx.id, std::slice::from_ref(&product), now).await?;
        let kept = ShopRecordRow { version: held.version.max(seen.version), digest: Some(seen.digest.clone()), ..held };
        self.store.write_shop_record(conn, ctx.id, row.id, "product", &seen.id, &kept, now).await?;
        Ok(Applied::done(format!("product {}: {} in the catalogue", seen.id, product.sku)))
    }

    /// Brings Philia's record of one order in line with `snap`, under the order's lock.
    pub(crate) async fn apply_order_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        row: &ConnectionRow,
        source: &str,
        snap: &OrderSnapshot,
    ) -> Result<Applied> {
        let now = now_ms();
        let held = self.store.lock_shop_record(conn, ctx.id, row.id, "order", &snap.id, now).await?;
        let mut tracked = Tracked {
            version: held.version,
            digest: held.digest.clone(),
            generation: held.generation,
            invoice_id: held.invoice_id,
            fingerprint: held.fingerprint.clone(),
        };
        let steps = match plan(&tracked, snap) {
            Err(skip) => return Ok(Applied::skipped(skip_text("order", &snap.id, skip))),
            Ok(steps) => steps,
        };
        let mut at = snap.version.and_then(|v| jiff::Timestamp::from_millisecond(v).ok()).unwrap_or_else(jiff::Timestamp::now);
        if let Some(inv) = &snap.invoice {
            at = at.max(inv.issued_at);
        }
        let mut said: Vec<String> = Vec::new();
        for step in steps {
            match step {
                Step::Record { generation, external_id } => {
                    let mut invoice = snap.invoice.clone().expect("a sale carries its invoice");
                    invoice.external_id = external_id.clone();
                    let fingerprint = invoice.fingerprint();
                    let r = self.record_invoices_in(conn, ctx, &[Ok(invoice)]).await?.remove(0);
                    match r.status.as_str() {
                        "created" | "duplicate" => {}
                        "conflict" => {
                            return Err(EngineError::conflict(
                                "invoice_exists",
                                format!("invoice {external_id} of {source} was recorded earlier with other content"),
                                "این فاکتور پیش‌تر با محتوای دیگری ثبت شده است",
                            ));
                        }
                        _ => return Err(EngineError::Invalid(philia_domain::Invalid(r.errors))),
                    }
                    tracked.invoice_id = r.id;
                    tracked.generation = generation;
                    tracked.fingerprint = Some(fingerprint);
                    said.push(format!("recorded as invoice {external_id}"));
                }
                Step::Refund { refund_id, amount, reason } => {
                    let Some(invoice_id) = tracked.invoice_id else { continue };
                    let reason =
                        format!("{} refund{}", shop_name(&row.kind), reason.map(|r| format!(": {r}")).unwrap_or_default());
                    if let Some(done) =
                        self.refund_rest_in(conn, ctx, source, invoice_id, &refund_id, Some(amount), reason, at).await?
                    {
                        said.push(format!("refund {refund_id} of {done}"));
                    }
                }
                Step::ReverseLive { refund_id } => {
                    let Some(invoice_id) = tracked.invoice_id.take() else { continue };
                    tracked.fingerprint = None;
                    let reason = format!("order {}", snap.status);
                    if let Some(done) = self.refund_rest_in(conn, ctx, source, invoice_id, &refund_id, None, reason, at).await? {
                        said.push(format!("taken back ({done} refunded)"));
                    }
                }
            }
        }
        tracked.version = tracked.version.max(snap.version);
        tracked.digest = Some(snap.digest.clone());
        let kept = ShopRecordRow {
            version: tracked.version,
            digest: tracked.digest,
            generation: tracked.generation,
            invoice_id: tracked.invoice_id,
            fingerprint: tracked.fingerprint,
        };
        self.store.write_shop_record(conn, ctx.id, row.id, "order", &snap.id, &kept, now).await?;
        said.extend(snap.notes.iter().cloned());
        let what = if said.is_empty() { "nothing to count".to_string() } else { said.join("; ") };
        Ok(Applied::done(format!("order {} ({}): {what}", snap.id, snap.status)))
    }

    /// Takes back whatever an order deleted in the shop counts (the delivery names only its id).
    pub(crate) async fn apply_order_deleted_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        row: &ConnectionRow,
        source: &str,
        id: &str,
    ) -> Result<Applied> {
        if id.is_empty() {
            return Err(EngineError::field(Issue::required().at("id")));
        }
        self.apply_order_in(conn, ctx, row, source, &OrderSnapshot::deleted(id)).await
    }

    /// Refunds `amount` (or all that is left) of an invoice under `refund_id`, never more than is
    /// left; a refund already recorded under that id changes nothing. The amount refunded now.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn refund_rest_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        source: &str,
        invoice_id: i64,
        refund_id: &str,
        amount: Option<i64>,
        reason: String,
        at: jiff::Timestamp,
    ) -> Result<Option<i64>> {
        let target = self.store.lock_refund_target(conn, ctx.id, invoice_id).await?.ok_or(EngineError::NotFound("invoice"))?;
        let left = target.total - target.refunded_total;
        let amount = amount.unwrap_or(left).min(left);
        if amount <= 0 {
            return Ok(None);
        }
        let refund = ValidRefund {
            external_id: refund_id.to_string(),
            source: source.to_string(),
            amount: Some(amount),
            reason: Some(reason.chars().take(500).collect()),
            refunded_at: at,
        };
        let (_, created) = self.refund_invoice_in(conn, ctx, invoice_id, &refund).await?;
        Ok(created.then_some(amount))
    }
}
