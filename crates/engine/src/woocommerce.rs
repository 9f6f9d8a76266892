//! Applying what a WooCommerce shop sends: orders become invoices and refunds (each order
//! brought in line with its newest state, see `domain::woocommerce::sync`), customers become
//! profiles, products enter the catalogue.

use crate::inbound::Applied;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::Issue;
use philia_domain::catalogue::ValidCategory;
use philia_domain::invoice::ValidRefund;
use philia_domain::woocommerce::{
    OrderSnapshot, Skip, Step, Topic, Tracked, WooCustomer, WooOrder, WooProduct, is_news, plan, source_of,
};
use philia_store::Conn;
use philia_store::connections::{ConnectionRow, ShopRecordRow};
use sha2::{Digest, Sha256};

fn read<T: serde::de::DeserializeOwned>(body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| {
        EngineError::field(Issue::new("invalid_json", format!("is not the expected JSON: {e}"), "JSON معتبر نیست").at("body"))
    })
}

fn body_digest(body: &str) -> String {
    Sha256::digest(body.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn skip_text(kind: &str, id: &str, skip: Skip) -> String {
    match skip {
        Skip::Stale => format!("{kind} {id}: older than the state already applied"),
        Skip::Repeat => format!("{kind} {id}: this state was already applied"),
    }
}

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
                let id = order.id.text();
                if id.is_empty() {
                    return Err(EngineError::field(Issue::required().at("id")));
                }
                self.apply_order_in(conn, ctx, row, &source, &OrderSnapshot::deleted(&id)).await
            }
            Topic::Customer => {
                let customer: WooCustomer = read(body)?;
                let (patch, notes) = customer.patch(&source)?;
                let id = customer.id.text();
                let digest = body_digest(body);
                let now = now_ms();
                let held = self.store.lock_shop_record(conn, ctx.id, row.id, "customer", &id, now).await?;
                if let Err(skip) = is_news(held.version, held.digest.as_deref(), customer.version(), &digest) {
                    return Ok(Applied::skipped(skip_text("customer", &id, skip)));
                }
                let outcome = self.upsert_in(conn, ctx, &source, &[patch], None).await?.remove(0);
                let kept = ShopRecordRow { version: held.version.max(customer.version()), digest: Some(digest), ..held };
                self.store.write_shop_record(conn, ctx.id, row.id, "customer", &id, &kept, now).await?;
                let mut said = format!(
                    "customer {id}: {} profile {}",
                    if outcome.created { "created" } else { "updated" },
                    outcome.customer_id
                );
                for n in notes.iter().chain(outcome.conflicting_identifiers.iter()) {
                    said.push_str(&format!("; {n}"));
                }
                Ok(Applied::done(said))
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

    /// Brings Philia's record of one order in line with `snap`, under the order's lock.
    async fn apply_order_in(
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
                    let reason = format!("WooCommerce refund{}", reason.map(|r| format!(": {r}")).unwrap_or_default());
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

    /// Refunds `amount` (or all that is left) of an invoice under `refund_id`, never more than is
    /// left; a refund already recorded under that id changes nothing. The amount refunded now.
    #[allow(clippy::too_many_arguments)]
    async fn refund_rest_in(
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
