//! Live customers per (tier, RFM segment), kept by triggers on `customers` (schema V31): the
//! counts, plus on PostgreSQL the changes not yet folded into them.

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

/// Live customers of one (tier, RFM segment) pair; `None` where the customer has none.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CustomerCount {
    pub tier: Option<String>,
    pub rfm_segment: Option<String>,
    pub customers: i64,
}

/// The counts with the changes not folded yet, pairs with nobody left out, in (tier, segment) order.
const COUNTS: &str = "SELECT tier, rfm_segment, CAST(SUM(customers) AS BIGINT) FROM (
        SELECT tier, rfm_segment, customers FROM customer_counts WHERE tenant_id = $1
        UNION ALL SELECT tier, rfm_segment, change FROM customer_count_changes WHERE tenant_id = $1
    ) x GROUP BY tier, rfm_segment HAVING SUM(customers) <> 0 ORDER BY tier, rfm_segment";

/// The counts as the profiles give them, for the rebuild.
const RECOUNT: &str = "INSERT INTO customer_counts (tenant_id, tier, rfm_segment, customers)
    SELECT tenant_id, COALESCE(tier, ''), COALESCE(rfm_segment, ''), COUNT(*) FROM customers
    WHERE tenant_id = $1 AND merged_into IS NULL GROUP BY tenant_id, COALESCE(tier, ''), COALESCE(rfm_segment, '')";

fn none_if_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn count(r: &sqlx::any::AnyRow) -> Result<CustomerCount> {
    Ok(CustomerCount { tier: none_if_empty(r.try_get(0)?), rfm_segment: none_if_empty(r.try_get(1)?), customers: r.try_get(2)? })
}

impl Store {
    /// Live (not merged away) customers per tier and RFM segment.
    pub async fn customer_counts(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<CustomerCount>> {
        let rows = sqlx::query(COUNTS).bind(tenant_id).fetch_all(&mut *conn).await?;
        rows.iter().map(count).collect()
    }

    /// Live customers per tier and RFM segment counted from the profiles (the slow way the kept
    /// counts replace; for checks), in (tier, segment) order.
    pub async fn count_customers(&self, conn: &mut Conn, tenant_id: i64) -> Result<Vec<CustomerCount>> {
        let rows = sqlx::query(
            "SELECT COALESCE(tier, ''), COALESCE(rfm_segment, ''), COUNT(*) FROM customers WHERE tenant_id = $1 AND merged_into IS NULL
             GROUP BY COALESCE(tier, ''), COALESCE(rfm_segment, '') ORDER BY 1, 2",
        )
        .bind(tenant_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(count).collect()
    }

    /// Counts a tenant's live customers per tier and segment again from the profiles, inside the
    /// caller's transaction.
    pub async fn recount_customers(&self, conn: &mut Conn, tenant_id: i64) -> Result<()> {
        for table in ["customer_counts", "customer_count_changes"] {
            crate::bulk::dynamic(format!("DELETE FROM {table} WHERE tenant_id = $1")).bind(tenant_id).execute(&mut *conn).await?;
        }
        sqlx::query(RECOUNT).bind(tenant_id).execute(&mut *conn).await?;
        Ok(())
    }
}
