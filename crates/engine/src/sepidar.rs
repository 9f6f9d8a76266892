//! Reading a Sepidar accounting system: every 15 minutes (and on demand) its customers, items and
//! the current fiscal year's invoices are read through its web service, and what changed since
//! the last read is queued; invoices counted earlier and missing from the year's list were
//! revoked and are taken back. Applying goes through the same queue and order rules as shop
//! deliveries, so nothing counts twice.

use crate::inbound::Applied;
use crate::shop_orders::{Seen, read};
use crate::shop_sync::{SyncState, pull_failed, state_of};
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_connectors::SepidarClient;
use philia_domain::sepidar::{InvoiceWithItems, ItemName, SepidarCustomer, SepidarItem, record_digest, revoked, source_of};
use philia_store::Conn;
use philia_store::connections::ConnectionRow;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How often a Sepidar service is read.
pub const PULL_EVERY_MS: i64 = 15 * 60_000;

fn id_of(record: &serde_json::Value, field: &str) -> String {
    match &record[field] {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_string(),
        _ => String::new(),
    }
}

/// The records whose content differs from what was applied for them.
fn changed<'a>(
    records: &'a [serde_json::Value],
    id_field: &str,
    held: &HashMap<String, Option<String>>,
) -> Vec<&'a serde_json::Value> {
    records
        .iter()
        .filter(|r| {
            let id = id_of(r, id_field);
            !id.is_empty() && held.get(&id).and_then(|d| d.as_deref()) != Some(record_digest(r).as_str())
        })
        .collect()
}

impl Engine {
    pub(crate) async fn apply_sepidar_in(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        row: &ConnectionRow,
        topic: &str,
        body: &str,
    ) -> Result<Applied> {
        let source = source_of(&row.code);
        match topic {
            "sepidar.invoice" => {
                let invoice: InvoiceWithItems = read(body)?;
                let snap = invoice.snapshot(&source, &ctx.zone, &row.currency, &ctx.currency)?;
                self.apply_order_in(conn, ctx, row, &source, &snap).await
            }
            "sepidar.invoice_revoked" => {
                let record: serde_json::Value = read(body)?;
                self.apply_order_deleted_in(conn, ctx, row, &source, &id_of(&record, "InvoiceID")).await
            }
            "sepidar.customer" => {
                let record: serde_json::Value = read(body)?;
                let customer: SepidarCustomer = read(body)?;
                let (patch, notes) = customer.patch(&source)?;
                let seen = Seen { id: customer.customer_id.text(), version: None, digest: record_digest(&record) };
                self.apply_shop_customer_in(conn, ctx, row, &source, &seen, patch, notes).await
            }
            "sepidar.item" => {
                let record: serde_json::Value = read(body)?;
                let item: SepidarItem = read(body)?;
                let valid = item.product(&row.currency, &ctx.currency)?;
                let seen = Seen { id: item.item_id.text(), version: None, digest: record_digest(&record) };
                self.apply_shop_product_in(conn, ctx, row, &seen, valid, vec![]).await
            }
            other => Ok(Applied::skipped(format!("{other}: nothing to apply"))),
        }
    }

    /// Reads the service and queues what changed; the number of records queued.
    pub async fn pull_sepidar(&self, tenant_id: i64, row: &ConnectionRow, now: i64) -> Result<u64> {
        let access = self.sepidar_access(tenant_id, row)?.ok_or_else(|| {
            EngineError::conflict(
                "no_api_access",
                "the connection has no Sepidar address and sign-in",
                "نشانی و کاربر سپیدار تنظیم نشده است",
            )
        })?;
        let mut state: SyncState = state_of(row);
        let read_all = async {
            let client =
                SepidarClient::connect(&access.server_url, &access.device_serial, &access.username, &access.password).await?;
            Ok::<_, philia_connectors::PullError>((
                client.list("Customers").await?,
                client.list("Items").await?,
                client.list("Invoices").await?,
            ))
        };
        let (customers, items, invoices) = match read_all.await {
            Ok(lists) => lists,
            Err(e) => {
                (state.reconcile_error, state.tried_at) = (Some(e.to_string()), Some(now));
                self.save_sync_state(tenant_id, row.id, &state).await?;
                return Err(pull_failed(e));
            }
        };
        let held = |rows: Vec<(String, Option<String>, bool)>| -> HashMap<String, Option<String>> {
            rows.into_iter().map(|(id, digest, _)| (id, digest)).collect()
        };
        let mut tx = self.store.begin_read().await?;
        let held_customers = held(self.store.shop_record_digests(&mut tx, tenant_id, row.id, "customer").await?);
        let held_items = held(self.store.shop_record_digests(&mut tx, tenant_id, row.id, "product").await?);
        let held_orders = self.store.shop_record_digests(&mut tx, tenant_id, row.id, "order").await?;
        drop(tx);
        let counted: Vec<&str> = held_orders.iter().filter(|(_, _, counts)| *counts).map(|(id, _, _)| id.as_str()).collect();
        let held_orders: HashMap<String, Option<String>> =
            held_orders.iter().map(|(id, digest, _)| (id.clone(), digest.clone())).collect();

        let names: HashMap<String, ItemName> = items
            .iter()
            .filter_map(|i| serde_json::from_value::<SepidarItem>(i.clone()).ok())
            .map(|i| (i.item_id.text(), i.name()))
            .collect();
        let text = |v: &serde_json::Value| serde_json::to_string(v).expect("JSON serialises");
        let new_customers: Vec<String> = changed(&customers, "CustomerID", &held_customers).into_iter().map(text).collect();
        let new_items: Vec<String> = changed(&items, "ItemID", &held_items).into_iter().map(text).collect();
        let new_invoices: Vec<String> = changed(&invoices, "InvoiceID", &held_orders)
            .into_iter()
            .map(|inv| {
                let lines = inv["InvoiceItems"].as_array().cloned().unwrap_or_default();
                let items: BTreeMap<String, ItemName> = lines
                    .iter()
                    .filter_map(|l| {
                        let r = id_of(l, "ItemRef");
                        names.get(&r).map(|n| (r, n.clone()))
                    })
                    .collect();
                serde_json::to_string(&InvoiceWithItems { invoice: inv.clone(), items }).expect("JSON serialises")
            })
            .collect();
        let listed: HashSet<i64> = invoices.iter().filter_map(|i| id_of(i, "InvoiceID").parse().ok()).collect();
        let gone: Vec<String> =
            revoked(counted, &listed).into_iter().map(|id| serde_json::json!({ "InvoiceID": id }).to_string()).collect();

        let queued = (new_customers.len() + new_items.len() + new_invoices.len() + gone.len()) as u64;
        (state.reconciled_at, state.reconciled_orders, state.reconcile_error) = (Some(now), Some(queued), None);
        let state_text = serde_json::to_string(&state).expect("state serialises");
        // Customers and items first, so invoices find their buyers and products in place.
        for (topic, records) in [
            ("sepidar.customer", new_customers),
            ("sepidar.item", new_items),
            ("sepidar.invoice", new_invoices),
            ("sepidar.invoice_revoked", gone),
        ] {
            self.queue_pulled(tenant_id, row.id, topic, &records, "pull", &state_text).await?;
        }
        Ok(queued)
    }

    /// Reads a Sepidar connection now (from the panel or the API) rather than at its next turn.
    pub async fn pull_sepidar_now(&self, ctx: &TenantContext, code: &str) -> Result<crate::connections::ConnectionView> {
        let row = self.connection_row(ctx, code).await?;
        self.pull_sepidar(ctx.id, &row, now_ms()).await?;
        self.connection(ctx, code).await
    }
}
