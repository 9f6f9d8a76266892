//! The purchase history a customers report (G2) needs, kept as counts by triggers (schema V32):
//! purchase days per (day, next purchase day) and customers per time between purchases. Reads
//! add, on PostgreSQL, the changes not folded yet, and come back packed (`crate::packed`): a busy
//! tenant's two years hold a hundred thousand links.

use crate::Result;
use crate::db::{Backend, Conn, Store};
use crate::packed::{cursors, next_int, next_text};
use philia_domain::buyer_days::day_number;
use sqlx::Row;

/// Purchase days in `[$2, $3]` per (day, next day), kept counts plus changes, as three lists.
const LINKS: &str = "SELECT string_agg(day, ','), string_agg(next_day, ','), string_agg(CAST(n AS TEXT), ',') FROM (
        SELECT day, next_day, SUM(customers) AS n FROM (
            SELECT day, next_day, customers FROM purchase_link_counts WHERE tenant_id = $1 AND day >= $2 AND day <= $3
            UNION ALL SELECT day, next_day, change FROM purchase_link_changes WHERE tenant_id = $1 AND day >= $2 AND day <= $3
        ) k GROUP BY day, next_day HAVING SUM(customers) <> 0
    ) x";

/// The same read from the counts alone, where no changes are recorded (SQLite, whose triggers
/// add to the counts directly): grouping the union costs ~115 ms on a 1M-customer tenant's
/// 105,000 links, the plain range ~25 ms.
const LINKS_KEPT: &str = "SELECT string_agg(day, ','), string_agg(next_day, ','), string_agg(CAST(customers AS TEXT), ',')
    FROM purchase_link_counts WHERE tenant_id = $1 AND day >= $2 AND day <= $3 AND customers <> 0";

/// Customers per gap (hundredths of a day), kept counts plus changes, as two lists.
const GAPS: &str = "SELECT string_agg(CAST(gap AS TEXT), ','), string_agg(CAST(n AS TEXT), ',') FROM (
        SELECT gap, SUM(customers) AS n FROM (
            SELECT gap, customers FROM purchase_gap_counts WHERE tenant_id = $1
            UNION ALL SELECT gap, change FROM purchase_gap_changes WHERE tenant_id = $1
        ) k GROUP BY gap HAVING SUM(customers) <> 0
    ) x";

/// The same read from the counts alone (SQLite).
const GAPS_KEPT: &str = "SELECT string_agg(CAST(gap AS TEXT), ','), string_agg(CAST(customers AS TEXT), ',')
    FROM purchase_gap_counts WHERE tenant_id = $1 AND customers <> 0";

/// A customer's time between purchases in hundredths of a day, rounded down (as in schema V32).
const GAP: &str = "COALESCE(last_purchase_at - first_purchase_at, 0) * 100 / ((invoice_count - 1) * 86400000)";

/// Links as the days give them, for checks and the rebuild.
const COUNT_LINKS: &str = "SELECT day, next_day, COUNT(*) FROM customer_days WHERE tenant_id = $1 AND day >= $2 AND day <= $3
    GROUP BY day, next_day ORDER BY day, next_day";

impl Store {
    /// `(day, next purchase day, customers)` for the purchase days in `[from, to]`
    /// (`YYYY-MM-DD`; a customer's last day links to `9999-12-31`), in (day, next day) order.
    pub async fn purchase_link_counts(&self, tenant_id: i64, from: &str, to: &str) -> Result<Vec<(String, String, i64)>> {
        let lists = self.link_lists(tenant_id, from, to).await?;
        let [mut days, mut next_days, mut counts] = cursors(&lists);
        let mut links = Vec::new();
        while let (Some(day), Some(next_day), Some(n)) = (next_text(&mut days), next_text(&mut next_days), next_int(&mut counts))
        {
            links.push((day.to_string(), next_day.to_string(), n));
        }
        links.sort_unstable();
        Ok(links)
    }

    /// The same links as day numbers (`philia_domain::buyer_days::day_number`; a last day's link
    /// is the number of `9999-12-31`), in any order: what the reports read, with no text kept
    /// per link.
    pub async fn purchase_links(&self, tenant_id: i64, from: &str, to: &str) -> Result<Vec<(i32, i32, i64)>> {
        let lists = self.link_lists(tenant_id, from, to).await?;
        let [mut days, mut next_days, mut counts] = cursors(&lists);
        let mut links = Vec::new();
        while let (Some(day), Some(next_day), Some(n)) = (next_text(&mut days), next_text(&mut next_days), next_int(&mut counts))
        {
            // A stored day always parses; a link that did not would only be a customer's last.
            if let Some(day) = day_number(day) {
                links.push((day, day_number(next_day).unwrap_or(i32::MAX), n));
            }
        }
        Ok(links)
    }

    /// The links of `[from, to]` as three packed lists: days, next days, customers.
    async fn link_lists(&self, tenant_id: i64, from: &str, to: &str) -> Result<[Option<String>; 3]> {
        let sql = if self.backend() == Backend::Postgres { LINKS } else { LINKS_KEPT };
        let row = sqlx::query(sql).bind(tenant_id).bind(from).bind(to).fetch_one(self.pool()).await?;
        Ok([row.try_get(0)?, row.try_get(1)?, row.try_get(2)?])
    }

    /// The same links counted from the purchase days (the slow way the kept counts replace).
    pub async fn count_purchase_links(&self, tenant_id: i64, from: &str, to: &str) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(COUNT_LINKS).bind(tenant_id).bind(from).bind(to).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// `(gap in hundredths of a day, customers)` over customers with two invoices or more, where a
    /// customer's gap is (last − first purchase) / (invoices − 1) rounded down; in gap order.
    pub async fn purchase_gap_counts(&self, tenant_id: i64) -> Result<Vec<(i64, i64)>> {
        let sql = if self.backend() == Backend::Postgres { GAPS } else { GAPS_KEPT };
        let row = sqlx::query(sql).bind(tenant_id).fetch_one(self.pool()).await?;
        let lists: [Option<String>; 2] = [row.try_get(0)?, row.try_get(1)?];
        let [mut gaps, mut counts] = cursors(&lists);
        let mut out = Vec::new();
        while let (Some(gap), Some(n)) = (next_int(&mut gaps), next_int(&mut counts)) {
            out.push((gap, n));
        }
        out.sort_unstable();
        Ok(out)
    }

    /// The same gaps counted from the customers' statistics.
    pub async fn count_purchase_gaps(&self, tenant_id: i64) -> Result<Vec<(i64, i64)>> {
        let rows = crate::bulk::dynamic(format!(
            "SELECT {GAP}, COUNT(*) FROM customer_stats WHERE tenant_id = $1 AND invoice_count >= 2 GROUP BY 1 ORDER BY 1"
        ))
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Counts a tenant's links and gaps again from its purchase days and statistics, inside the
    /// caller's transaction.
    pub async fn recount_purchases(&self, conn: &mut Conn, tenant_id: i64) -> Result<()> {
        for table in ["purchase_link_counts", "purchase_link_changes", "purchase_gap_counts", "purchase_gap_changes"] {
            crate::bulk::dynamic(format!("DELETE FROM {table} WHERE tenant_id = $1")).bind(tenant_id).execute(&mut *conn).await?;
        }
        for sql in [
            "INSERT INTO purchase_link_counts (tenant_id, day, next_day, customers)
             SELECT tenant_id, day, next_day, COUNT(*) FROM customer_days WHERE tenant_id = $1 GROUP BY tenant_id, day, next_day"
                .to_string(),
            format!(
                "INSERT INTO purchase_gap_counts (tenant_id, gap, customers)
                 SELECT tenant_id, {GAP}, COUNT(*) FROM customer_stats WHERE tenant_id = $1 AND invoice_count >= 2 GROUP BY 1, 2"
            ),
        ] {
            crate::bulk::dynamic(sql).bind(tenant_id).execute(&mut *conn).await?;
        }
        Ok(())
    }
}
