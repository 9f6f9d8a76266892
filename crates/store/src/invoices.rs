//! Invoices, their lines and refunds.

use crate::Result;
use crate::bulk::{self, Val, ts};
use crate::db::{Conn, Store};
use philia_domain::records::{Invoice, InvoiceLine, Refund};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

pub struct InvoiceRow {
    pub id: i64,
    pub source: String,
    pub external_id: String,
    pub fingerprint: String,
    pub customer_id: Option<i64>,
    pub issued_at: i64,
    pub day: String,
    pub channel: &'static str,
    pub branch_code: Option<String>,
    pub status: &'static str,
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub total: i64,
    pub created_at: i64,
}

pub struct LineRow {
    pub invoice_id: i64,
    pub line_no: i64,
    pub sku: Option<String>,
    pub product_name: Option<String>,
    pub category: Option<String>,
    pub quantity_milli: i64,
    pub unit_price: i64,
    pub discount: i64,
    pub total: i64,
}

/// What a refund needs to know about its invoice, read under lock.
pub struct RefundTarget {
    pub customer_id: Option<i64>,
    pub issued_at: i64,
    pub status: String,
    pub total: i64,
    pub refunded_total: i64,
}

pub struct RefundRow {
    pub id: i64,
    pub invoice_id: i64,
    pub customer_id: Option<i64>,
    pub source: String,
    pub external_id: String,
    pub amount: i64,
    pub reason: Option<String>,
    pub refunded_at: i64,
    pub day: String,
    pub created_at: i64,
}

const INVOICE_COLUMNS: &str = "id, source, external_id, customer_id, issued_at, channel, branch_code, status, subtotal, discount, shipping, total, refunded_total";

fn invoice(r: &AnyRow) -> Result<Invoice> {
    Ok(Invoice {
        id: r.try_get("id")?,
        source: r.try_get("source")?,
        external_id: r.try_get("external_id")?,
        customer_id: r.try_get("customer_id")?,
        issued_at: ts(r.try_get("issued_at")?),
        channel: r.try_get("channel")?,
        branch: r.try_get("branch_code")?,
        status: r.try_get("status")?,
        subtotal: r.try_get("subtotal")?,
        discount: r.try_get("discount")?,
        shipping: r.try_get("shipping")?,
        total: r.try_get("total")?,
        refunded_total: r.try_get("refunded_total")?,
        lines: Vec::new(),
    })
}

fn refund(r: &AnyRow) -> Result<Refund> {
    Ok(Refund {
        id: r.try_get("id")?,
        invoice_id: r.try_get("invoice_id")?,
        source: r.try_get("source")?,
        external_id: r.try_get("external_id")?,
        amount: r.try_get("amount")?,
        reason: r.try_get("reason")?,
        refunded_at: ts(r.try_get("refunded_at")?),
    })
}

impl Store {
    /// Already recorded invoices among `(source, external_id)` keys: key → (id, fingerprint).
    pub async fn existing_invoices(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        keys: &[(String, String)],
    ) -> Result<HashMap<(String, String), (i64, String)>> {
        // The unique key is (tenant, external id, source): look up by external id, match the source here.
        let mut ids: Vec<&str> = keys.iter().map(|(_, e)| e.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let wanted: std::collections::HashSet<&(String, String)> = keys.iter().collect();
        let rows = bulk::select_in(
            conn,
            "SELECT id, source, external_id, fingerprint FROM invoices WHERE tenant_id = $1 AND external_id IN ({in})",
            tenant_id,
            ids.into_iter().map(|e| Val::T(e.to_string())).collect(),
        )
        .await?;
        let mut out = HashMap::new();
        for r in &rows {
            let key: (String, String) = (r.try_get("source")?, r.try_get("external_id")?);
            if wanted.contains(&key) {
                out.insert(key, (r.try_get("id")?, r.try_get("fingerprint")?));
            }
        }
        Ok(out)
    }

    /// Inserts invoices; returns how many were inserted (a concurrent writer may have recorded the
    /// same key first, in which case that invoice is skipped here).
    pub async fn insert_invoices(&self, conn: &mut Conn, tenant_id: i64, mut rows: Vec<InvoiceRow>) -> Result<u64> {
        // In key order, so concurrent writers of overlapping invoices never deadlock.
        rows.sort_by(|a, b| (&a.source, &a.external_id).cmp(&(&b.source, &b.external_id)));
        let vals = rows
            .into_iter()
            .map(|i| {
                vec![
                    Val::I(tenant_id),
                    Val::I(i.id),
                    Val::T(i.source),
                    Val::T(i.external_id),
                    Val::T(i.fingerprint),
                    i.customer_id.into(),
                    Val::I(i.issued_at),
                    Val::T(i.day),
                    i.channel.into(),
                    i.branch_code.into(),
                    i.status.into(),
                    Val::I(i.subtotal),
                    Val::I(i.discount),
                    Val::I(i.shipping),
                    Val::I(i.total),
                    Val::I(0),
                    Val::I(i.created_at),
                ]
            })
            .collect();
        bulk::insert_counted(
            conn,
            "invoices",
            &[
                "tenant_id",
                "id",
                "source",
                "external_id",
                "fingerprint",
                "customer_id",
                "issued_at",
                "day",
                "channel",
                "branch_code",
                "status",
                "subtotal",
                "discount",
                "shipping",
                "total",
                "refunded_total",
                "created_at",
            ],
            vals,
            "ON CONFLICT (tenant_id, external_id, source) DO NOTHING",
        )
        .await
    }

    pub async fn insert_invoice_lines(&self, conn: &mut Conn, tenant_id: i64, rows: Vec<LineRow>) -> Result<()> {
        let vals = rows
            .into_iter()
            .map(|l| {
                vec![
                    Val::I(tenant_id),
                    Val::I(l.invoice_id),
                    Val::I(l.line_no),
                    l.sku.into(),
                    l.product_name.into(),
                    l.category.into(),
                    Val::I(l.quantity_milli),
                    Val::I(l.unit_price),
                    Val::I(l.discount),
                    Val::I(l.total),
                ]
            })
            .collect();
        bulk::insert(
            conn,
            "invoice_lines",
            &[
                "tenant_id",
                "invoice_id",
                "line_no",
                "sku",
                "product_name",
                "category",
                "quantity_milli",
                "unit_price",
                "discount",
                "total",
            ],
            vals,
            "",
        )
        .await?;
        Ok(())
    }

    /// Invoices with their lines, in the order of `ids`.
    pub async fn invoices_by_ids(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<Vec<Invoice>> {
        let rows = bulk::select_in(
            conn,
            &format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE tenant_id = $1 AND id IN ({{in}})"),
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        let mut found: HashMap<i64, Invoice> = rows.iter().map(|r| invoice(r).map(|i| (i.id, i))).collect::<Result<_>>()?;
        let lines = bulk::select_in(
            conn,
            "SELECT invoice_id, sku, product_name, category, quantity_milli, unit_price, discount, total FROM invoice_lines
             WHERE tenant_id = $1 AND invoice_id IN ({in}) ORDER BY invoice_id, line_no",
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        for r in &lines {
            if let Some(inv) = found.get_mut(&r.try_get::<i64, _>("invoice_id")?) {
                inv.lines.push(InvoiceLine {
                    sku: r.try_get("sku")?,
                    product_name: r.try_get("product_name")?,
                    category: r.try_get("category")?,
                    quantity: r.try_get::<i64, _>("quantity_milli")? as f64 / 1000.0,
                    unit_price: r.try_get("unit_price")?,
                    discount: r.try_get("discount")?,
                    total: r.try_get("total")?,
                });
            }
        }
        Ok(ids.iter().filter_map(|i| found.remove(i)).collect())
    }

    /// A page of invoice ids, newest id first, optionally of one customer.
    pub async fn invoice_ids(
        &self,
        tenant_id: i64,
        customer_id: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<i64>> {
        // A customer's invoices are read through the customer index and then sorted (they are few);
        // `$2 IS NULL OR …` would hide the index from the planner, and a bare `ORDER BY id` lets
        // SQLite prefer walking every invoice of the tenant in id order (`id + 0` is not indexed).
        let (customer, order) = if customer_id.is_some() { ("customer_id = $2", "id + 0") } else { ("$2 IS NULL", "id") };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM invoices WHERE tenant_id = $1 AND {customer} AND ($3 IS NULL OR id < $3)
             ORDER BY {order} DESC LIMIT $4"
        )))
        .bind(tenant_id)
        .bind(customer_id)
        .bind(before)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// The invoice a refund is about, locked until commit on PostgreSQL.
    pub async fn lock_refund_target(&self, conn: &mut Conn, tenant_id: i64, invoice_id: i64) -> Result<Option<RefundTarget>> {
        let row = crate::bulk::dynamic(format!(
            "SELECT customer_id, issued_at, status, total, refunded_total FROM invoices WHERE tenant_id = $1 AND id = $2{}",
            self.lock_suffix()
        ))
        .bind(tenant_id)
        .bind(invoice_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.map(|r| {
            Ok(RefundTarget {
                customer_id: r.try_get("customer_id")?,
                issued_at: r.try_get("issued_at")?,
                status: r.try_get("status")?,
                total: r.try_get("total")?,
                refunded_total: r.try_get("refunded_total")?,
            })
        })
        .transpose()
    }

    pub async fn refund_by_key(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        source: &str,
        external_id: &str,
    ) -> Result<Option<Refund>> {
        let row = sqlx::query(
            "SELECT id, invoice_id, source, external_id, amount, reason, refunded_at FROM refunds
             WHERE tenant_id = $1 AND source = $2 AND external_id = $3",
        )
        .bind(tenant_id)
        .bind(source)
        .bind(external_id)
        .fetch_optional(&mut *conn)
        .await?;
        row.as_ref().map(refund).transpose()
    }

    pub async fn refunds_of_invoice(&self, conn: &mut Conn, tenant_id: i64, invoice_id: i64) -> Result<Vec<Refund>> {
        let rows = sqlx::query(
            "SELECT id, invoice_id, source, external_id, amount, reason, refunded_at FROM refunds
             WHERE tenant_id = $1 AND invoice_id = $2 ORDER BY id",
        )
        .bind(tenant_id)
        .bind(invoice_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(refund).collect()
    }

    /// Records a refund and raises the invoice's refunded total.
    pub async fn insert_refund(&self, conn: &mut Conn, tenant_id: i64, r: &RefundRow) -> Result<()> {
        sqlx::query("UPDATE invoices SET refunded_total = refunded_total + $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(r.invoice_id)
            .bind(r.amount)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "INSERT INTO refunds (tenant_id, id, invoice_id, customer_id, source, external_id, amount, reason, refunded_at, day, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(tenant_id)
        .bind(r.id)
        .bind(r.invoice_id)
        .bind(r.customer_id)
        .bind(&r.source)
        .bind(&r.external_id)
        .bind(r.amount)
        .bind(&r.reason)
        .bind(r.refunded_at)
        .bind(&r.day)
        .bind(r.created_at)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Category codes of known products, by SKU.
    pub async fn product_categories(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        skus: Vec<String>,
    ) -> Result<HashMap<String, String>> {
        let rows = bulk::select_in(
            conn,
            "SELECT sku, category_code FROM products WHERE tenant_id = $1 AND category_code IS NOT NULL AND sku IN ({in})",
            tenant_id,
            skus.into_iter().map(Val::T).collect(),
        )
        .await?;
        rows.iter().map(|r| Ok((r.try_get("sku")?, r.try_get("category_code")?))).collect()
    }
}
