//! The till: products found as the cashier types with this branch's stock, the branch a staff
//! session sells at, and the log of what each cashier did.

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

/// A product as the till shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TillProduct {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub price: i64,
    /// Units held at the branch; `None` when the branch does not keep stock of it.
    pub stock: Option<i64>,
}

/// One action taken at a till.
#[derive(Debug, Clone)]
pub struct PosActionRow {
    pub staff_id: i64,
    pub staff_name: String,
    pub branch: String,
    pub action: String,
    pub detail: String,
    pub at: i64,
}

const COLUMNS: &str = "p.id, p.sku, p.name, p.category_code, p.price, s.quantity AS stock";

fn till_product(r: &sqlx::any::AnyRow) -> Result<TillProduct> {
    Ok(TillProduct {
        id: r.try_get(0)?,
        sku: r.try_get(1)?,
        name: r.try_get(2)?,
        category: r.try_get(3)?,
        price: r.try_get(4)?,
        stock: r.try_get(5)?,
    })
}

impl Store {
    /// Products of a tenant by exact SKUs (a scanned barcode, a cart), with a branch's stock.
    pub async fn till_products_by_sku(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        branch_id: i64,
        skus: &[String],
    ) -> Result<Vec<TillProduct>> {
        let mut out = Vec::with_capacity(skus.len());
        for sku in skus {
            let row = crate::bulk::dynamic(format!(
                "SELECT {COLUMNS} FROM products p LEFT JOIN branch_stock s
                   ON s.tenant_id = p.tenant_id AND s.branch_id = $2 AND s.product_id = p.id
                 WHERE p.tenant_id = $1 AND p.sku = $3"
            ))
            .bind(tenant_id)
            .bind(branch_id)
            .bind(sku)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(r) = row {
                out.push(till_product(&r)?);
            }
        }
        Ok(out)
    }

    /// Active products whose SKU or name contains `text` (lower case), up to `limit` of them,
    /// in SKU order. The table is read in storage order and stops at `limit` matches; sorting
    /// the few found is cheaper than walking the SKU index and fetching every row from it.
    pub async fn till_search(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        branch_id: i64,
        text: &str,
        limit: i64,
    ) -> Result<Vec<TillProduct>> {
        let pattern = format!("%{}%", text.replace(['%', '_'], ""));
        let rows = crate::bulk::dynamic(format!(
            "SELECT {COLUMNS} FROM products p LEFT JOIN branch_stock s
               ON s.tenant_id = p.tenant_id AND s.branch_id = $2 AND s.product_id = p.id
             WHERE p.tenant_id = $1 AND p.active = 1 AND p.search_key LIKE $3 LIMIT $4"
        ))
        .bind(tenant_id)
        .bind(branch_id)
        .bind(pattern)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
        let mut found = rows.iter().map(till_product).collect::<Result<Vec<_>>>()?;
        found.sort_by(|a, b| a.sku.cmp(&b.sku));
        Ok(found)
    }

    pub async fn set_session_branch(&self, conn: &mut Conn, token_hash: &str, branch: &str) -> Result<()> {
        sqlx::query("UPDATE staff_sessions SET branch = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(branch)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_pos_action(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        staff_id: i64,
        branch: &str,
        action: &str,
        invoice_id: Option<i64>,
        detail: &str,
        now: i64,
    ) -> Result<()> {
        let id = self.allocate_ids(conn, 1).await?[0];
        sqlx::query(
            "INSERT INTO pos_actions (tenant_id, id, staff_id, branch, action, invoice_id, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(staff_id)
        .bind(branch)
        .bind(action)
        .bind(invoice_id)
        .bind(detail)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// What was done at a till about one invoice, oldest first, with who did it.
    /// The details of the returns recorded against an invoice, read in the caller's transaction
    /// (which holds the invoice's lock).
    pub async fn return_details(&self, conn: &mut Conn, tenant_id: i64, invoice_id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT detail FROM pos_actions WHERE tenant_id = $1 AND invoice_id = $2 AND action = 'return' ORDER BY id",
        )
        .bind(tenant_id)
        .bind(invoice_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn pos_actions_of_invoice(&self, tenant_id: i64, invoice_id: i64) -> Result<Vec<PosActionRow>> {
        let rows = sqlx::query(
            "SELECT a.staff_id, COALESCE(s.name, ''), a.branch, a.action, a.detail, a.at FROM pos_actions a
             LEFT JOIN staff_users s ON s.tenant_id = a.tenant_id AND s.id = a.staff_id
             WHERE a.tenant_id = $1 AND a.invoice_id = $2 ORDER BY a.id",
        )
        .bind(tenant_id)
        .bind(invoice_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PosActionRow {
                    staff_id: r.try_get(0)?,
                    staff_name: r.try_get(1)?,
                    branch: r.try_get(2)?,
                    action: r.try_get(3)?,
                    detail: r.try_get(4)?,
                    at: r.try_get(5)?,
                })
            })
            .collect()
    }
}

impl Store {
    /// The till's sales and returns in `[from, until)`, with each sale's total and discount,
    /// for the cashier report; one branch or all.
    pub async fn till_actions_between(
        &self,
        tenant_id: i64,
        from: i64,
        until: i64,
        branch: Option<&str>,
    ) -> Result<Vec<philia_domain::pos::TillActionFact>> {
        let rows = sqlx::query(
            "SELECT a.staff_id, COALESCE(s.name, ''), a.branch, a.action, a.detail,
                    COALESCE(i.total, 0),
                    CAST(COALESCE(i.discount, 0) + COALESCE((SELECT SUM(l.discount) FROM invoice_lines l
                        WHERE l.tenant_id = a.tenant_id AND l.invoice_id = a.invoice_id AND a.action = 'sale'), 0) AS BIGINT)
             FROM pos_actions a
             LEFT JOIN staff_users s ON s.tenant_id = a.tenant_id AND s.id = a.staff_id
             LEFT JOIN invoices i ON i.tenant_id = a.tenant_id AND i.id = a.invoice_id
             WHERE a.tenant_id = $1 AND a.at >= $2 AND a.at < $3 AND ($4 = '' OR a.branch = $4)
             ORDER BY a.id",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(until)
        .bind(branch.unwrap_or(""))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(philia_domain::pos::TillActionFact {
                    staff_id: r.try_get(0)?,
                    staff_name: r.try_get(1)?,
                    branch: r.try_get(2)?,
                    action: r.try_get(3)?,
                    detail: r.try_get(4)?,
                    invoice_total: r.try_get(5)?,
                    invoice_discount: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// Points an invoice earned, less what its refunds took back (all types together).
    pub async fn points_of_invoice(&self, tenant_id: i64, invoice_id: i64) -> Result<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) FROM point_entries WHERE tenant_id = $1 AND (
                (source_kind = 'invoice' AND source_id = $2 AND kind = 'earn')
                OR (kind = 'reverse' AND ref_entry_id IN
                    (SELECT id FROM point_entries WHERE tenant_id = $1 AND source_kind = 'invoice' AND source_id = $2)))",
        )
        .bind(tenant_id)
        .bind(invoice_id)
        .fetch_one(self.pool())
        .await?;
        Ok(row.try_get(0)?)
    }
}
