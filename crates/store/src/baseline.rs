//! The baseline of the ingestion benchmark: the same invoice rows written with nothing but
//! multi-row INSERTs into two plain tables — no duplicate check, no identity resolution, no
//! rollups. What the real path costs beyond this is the price of its guarantees.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::Store;

pub struct BaselineLine {
    pub sku: Option<String>,
    pub category: Option<String>,
    pub quantity_milli: i64,
    pub unit_price: i64,
    pub total: i64,
}

/// One invoice as the baseline stores it, with its lines.
pub struct BaselineInvoice {
    pub external_id: String,
    pub customer_key: Option<String>,
    pub issued_at: i64,
    pub channel: String,
    pub branch: Option<String>,
    pub total: i64,
    pub lines: Vec<BaselineLine>,
}

impl Store {
    /// Writes the invoices in transactions of `batch`; returns the seconds it took.
    pub async fn baseline_bulk_insert(&self, invoices: &[BaselineInvoice], batch: usize) -> Result<f64> {
        for sql in [
            "DROP TABLE IF EXISTS baseline_lines",
            "DROP TABLE IF EXISTS baseline_invoices",
            "CREATE TABLE baseline_invoices (id BIGINT PRIMARY KEY, external_id TEXT NOT NULL, customer_key TEXT,
             issued_at BIGINT NOT NULL, channel TEXT NOT NULL, branch TEXT, total BIGINT NOT NULL)",
            "CREATE TABLE baseline_lines (invoice_id BIGINT NOT NULL, line_no BIGINT NOT NULL, sku TEXT, category TEXT,
             quantity_milli BIGINT NOT NULL, unit_price BIGINT NOT NULL, total BIGINT NOT NULL, PRIMARY KEY (invoice_id, line_no))",
        ] {
            sqlx::query(sql).execute(self.pool()).await?;
        }
        let started = std::time::Instant::now();
        for (b, chunk) in invoices.chunks(batch.max(1)).enumerate() {
            let mut tx = self.begin_write().await?;
            let mut invoice_rows = Vec::with_capacity(chunk.len());
            let mut line_rows = Vec::new();
            for (k, inv) in chunk.iter().enumerate() {
                let id = (b * batch + k) as i64;
                invoice_rows.push(vec![
                    Val::I(id),
                    Val::T(inv.external_id.clone()),
                    Val::OT(inv.customer_key.clone()),
                    Val::I(inv.issued_at),
                    Val::T(inv.channel.clone()),
                    Val::OT(inv.branch.clone()),
                    Val::I(inv.total),
                ]);
                for (n, l) in inv.lines.iter().enumerate() {
                    line_rows.push(vec![
                        Val::I(id),
                        Val::I(n as i64),
                        Val::OT(l.sku.clone()),
                        Val::OT(l.category.clone()),
                        Val::I(l.quantity_milli),
                        Val::I(l.unit_price),
                        Val::I(l.total),
                    ]);
                }
            }
            bulk::insert(
                &mut tx,
                "baseline_invoices",
                &["id", "external_id", "customer_key", "issued_at", "channel", "branch", "total"],
                invoice_rows,
                "",
            )
            .await?;
            bulk::insert(
                &mut tx,
                "baseline_lines",
                &["invoice_id", "line_no", "sku", "category", "quantity_milli", "unit_price", "total"],
                line_rows,
                "",
            )
            .await?;
            crate::db::commit(tx).await?;
        }
        let seconds = started.elapsed().as_secs_f64();
        for sql in ["DROP TABLE baseline_lines", "DROP TABLE baseline_invoices"] {
            sqlx::query(sql).execute(self.pool()).await?;
        }
        Ok(seconds)
    }
}
