//! What the predictive CLV models read: each customer's net purchases per day.

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

/// One customer's net purchases on one local day.
pub struct PurchaseDay {
    pub customer_id: i64,
    /// `YYYY-MM-DD`, the Gregorian date in the tenant's time zone.
    pub day: String,
    pub net: i64,
}

const PURCHASE_DAYS: &str = "SELECT customer_id, day, CAST(SUM(total - refunded_total) AS BIGINT)
     FROM invoices
     WHERE tenant_id = $1 AND status = 'completed' AND customer_id IS NOT NULL AND issued_at < $2 AND total > refunded_total";

impl Store {
    /// Every customer's purchase days before `before`, by customer then day. Invoices refunded in
    /// full are not purchases; partly refunded ones count with what was kept.
    pub async fn clv_purchase_days(&self, conn: &mut Conn, tenant_id: i64, before: i64) -> Result<Vec<PurchaseDay>> {
        let sql = format!("{PURCHASE_DAYS} GROUP BY customer_id, day ORDER BY customer_id, day");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(before).fetch_all(&mut *conn).await?;
        rows.iter().map(|r| Ok(PurchaseDay { customer_id: r.try_get(0)?, day: r.try_get(1)?, net: r.try_get(2)? })).collect()
    }

    /// One customer's purchase days before `before`.
    pub async fn clv_customer_days(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        customer_id: i64,
        before: i64,
    ) -> Result<Vec<PurchaseDay>> {
        let sql = format!("{PURCHASE_DAYS} AND customer_id = $3 GROUP BY customer_id, day ORDER BY day");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(before).bind(customer_id).fetch_all(&mut *conn).await?;
        rows.iter().map(|r| Ok(PurchaseDay { customer_id: r.try_get(0)?, day: r.try_get(1)?, net: r.try_get(2)? })).collect()
    }
}
