//! Recomputes every rollup of a tenant from its facts. The result must equal what the incremental
//! updates produced; a test compares the two.

use crate::Result;
use crate::db::{Conn, Store};
use sqlx::Row;

const ROLLUP_TABLES: [&str; 5] =
    ["customer_stats", "customer_category_stats", "customer_event_stats", "customer_days", "tenant_daily_stats"];

const CUSTOMER_STATS: &str = "
INSERT INTO customer_stats (tenant_id, customer_id, first_purchase_at, first_purchase_day, last_purchase_at, invoice_count,
    gross_spend, refund_total, refund_count, refunded_invoice_count, event_count, first_login_at, last_login_at, last_logout_at)
SELECT c.tenant_id, c.id, p.first_at, p.first_day, p.last_at, COALESCE(p.n, 0), COALESCE(p.gross, 0), COALESCE(r.amount, 0),
    COALESCE(r.n, 0), COALESCE(p.fully_refunded, 0), COALESCE(e.n, 0), e.first_login, e.last_login, e.last_logout
FROM customers c
LEFT JOIN (SELECT customer_id, MIN(issued_at) AS first_at, MIN(day) AS first_day, MAX(issued_at) AS last_at, COUNT(*) AS n,
        SUM(total) AS gross, SUM(CASE WHEN refunded_total > 0 AND refunded_total >= total THEN 1 ELSE 0 END) AS fully_refunded
    FROM invoices WHERE tenant_id = $1 AND status = 'completed' AND customer_id IS NOT NULL GROUP BY customer_id) p
    ON p.customer_id = c.id
LEFT JOIN (SELECT customer_id, SUM(amount) AS amount, COUNT(*) AS n FROM refunds
    WHERE tenant_id = $1 AND customer_id IS NOT NULL GROUP BY customer_id) r ON r.customer_id = c.id
LEFT JOIN (SELECT customer_id, COUNT(*) AS n,
        MIN(CASE WHEN type = 'club_login' THEN occurred_at END) AS first_login,
        MAX(CASE WHEN type = 'club_login' THEN occurred_at END) AS last_login,
        MAX(CASE WHEN type = 'club_logout' THEN occurred_at END) AS last_logout
    FROM events WHERE tenant_id = $1 AND customer_id IS NOT NULL GROUP BY customer_id) e ON e.customer_id = c.id
WHERE c.tenant_id = $1";

const CATEGORY_STATS: &str = "
INSERT INTO customer_category_stats (tenant_id, customer_id, category, lines, quantity_milli, spend)
SELECT i.tenant_id, i.customer_id, l.category, COUNT(*), SUM(l.quantity_milli), SUM(l.total)
FROM invoice_lines l JOIN invoices i ON i.tenant_id = l.tenant_id AND i.id = l.invoice_id
WHERE l.tenant_id = $1 AND i.status = 'completed' AND i.customer_id IS NOT NULL AND l.category IS NOT NULL
GROUP BY i.tenant_id, i.customer_id, l.category";

const EVENT_STATS: &str = "
INSERT INTO customer_event_stats (tenant_id, customer_id, type, count, first_at, last_at)
SELECT tenant_id, customer_id, type, COUNT(*), MIN(occurred_at), MAX(occurred_at) FROM events
WHERE tenant_id = $1 AND customer_id IS NOT NULL GROUP BY tenant_id, customer_id, type";

const CUSTOMER_DAYS: &str = "
INSERT INTO customer_days (tenant_id, customer_id, day, next_day)
SELECT tenant_id, customer_id, day, COALESCE(LEAD(day) OVER (PARTITION BY customer_id ORDER BY day), '9999-12-31')
FROM (SELECT DISTINCT tenant_id, customer_id, day FROM invoices WHERE tenant_id = $1 AND status = 'completed'
    AND customer_id IS NOT NULL) d";

const DAILY_STATS: &str = "
INSERT INTO tenant_daily_stats (tenant_id, day, sales, invoices, refunds, refund_count, new_customers, active_customers, events,
    customer_sales, customer_refunds)
SELECT $1, day, SUM(sales), SUM(invoices), SUM(refunds), SUM(refund_count), SUM(new_customers), SUM(active_customers), SUM(events),
    SUM(customer_sales), SUM(customer_refunds)
FROM (
    SELECT day, SUM(total) AS sales, COUNT(*) AS invoices, 0 AS refunds, 0 AS refund_count, 0 AS new_customers,
        0 AS active_customers, 0 AS events, SUM(CASE WHEN customer_id IS NULL THEN 0 ELSE total END) AS customer_sales,
        0 AS customer_refunds FROM invoices WHERE tenant_id = $1 AND status = 'completed' GROUP BY day
    UNION ALL SELECT day, 0, 0, SUM(amount), COUNT(*), 0, 0, 0, 0, SUM(CASE WHEN customer_id IS NULL THEN 0 ELSE amount END)
        FROM refunds WHERE tenant_id = $1 GROUP BY day
    UNION ALL SELECT first_purchase_day, 0, 0, 0, 0, COUNT(*), 0, 0, 0, 0 FROM customer_stats
        WHERE tenant_id = $1 AND first_purchase_day IS NOT NULL GROUP BY first_purchase_day
    UNION ALL SELECT day, 0, 0, 0, 0, 0, COUNT(*), 0, 0, 0 FROM customer_days WHERE tenant_id = $1 GROUP BY day
    UNION ALL SELECT day, 0, 0, 0, 0, 0, 0, COUNT(*), 0, 0 FROM events WHERE tenant_id = $1 GROUP BY day
) x GROUP BY day";

impl Store {
    /// Deletes and recomputes the rollups of one tenant, and its customers per tier and segment,
    /// inside the caller's transaction.
    pub async fn rebuild_rollups(&self, conn: &mut Conn, tenant_id: i64) -> Result<()> {
        for table in ROLLUP_TABLES {
            crate::bulk::dynamic(format!("DELETE FROM {table} WHERE tenant_id = $1")).bind(tenant_id).execute(&mut *conn).await?;
        }
        for sql in [CUSTOMER_STATS, CATEGORY_STATS, EVENT_STATS, CUSTOMER_DAYS, DAILY_STATS] {
            sqlx::query(sql).bind(tenant_id).execute(&mut *conn).await?;
        }
        self.recount_customers(conn, tenant_id).await?;
        self.recount_purchases(conn, tenant_id).await
    }

    /// Every rollup row of a tenant, and where its kept customers per tier and segment disagree
    /// with the profiles, as text lines, sorted: two snapshots are equal exactly when the rollups are. Used to prove that incremental
    /// updates and a rebuild agree.
    pub async fn rollup_snapshot(&self, tenant_id: i64) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for (table, order) in [
            ("customer_stats", "customer_id"),
            ("customer_category_stats", "customer_id, category"),
            ("customer_event_stats", "customer_id, type"),
            ("customer_days", "customer_id, day"),
            ("tenant_daily_stats", "day"),
        ] {
            let rows = crate::bulk::dynamic(format!("SELECT * FROM {table} WHERE tenant_id = $1 ORDER BY {order}"))
                .bind(tenant_id)
                .fetch_all(self.pool())
                .await?;
            for r in rows {
                let mut line = table.to_string();
                for i in 0..r.len() {
                    let text = r
                        .try_get::<Option<i64>, _>(i)
                        .map(|v| v.map_or("null".to_string(), |v| v.to_string()))
                        .or_else(|_| r.try_get::<Option<String>, _>(i).map(|v| v.unwrap_or_else(|| "null".into())))
                        .unwrap_or_else(|e| format!("?{e}"));
                    line.push('|');
                    line.push_str(&text);
                }
                out.push(line);
            }
        }
        // The kept counts follow the profiles, which a rebuild may change (it scores RFM again),
        // so what is compared is where they disagree with a count of the profiles: nowhere.
        let mut conn = self.pool().acquire().await?;
        let kept = self.customer_counts(&mut conn, tenant_id).await?;
        let counted = self.count_customers(&mut conn, tenant_id).await?;
        out.extend(differences("customer_counts", &kept, &counted));
        let (kept, counted) = (
            self.purchase_link_counts(tenant_id, "0000-01-01", "9999-12-31").await?,
            self.count_purchase_links(tenant_id, "0000-01-01", "9999-12-31").await?,
        );
        out.extend(differences("purchase_link_counts", &kept, &counted));
        let (kept, counted) = (self.purchase_gap_counts(tenant_id).await?, self.count_purchase_gaps(tenant_id).await?);
        out.extend(differences("purchase_gap_counts", &kept, &counted));
        Ok(out)
    }
}

/// Lines naming what `kept` holds that `counted` lacks and the reverse (both sorted).
fn differences<T: PartialEq + std::fmt::Debug>(table: &str, kept: &[T], counted: &[T]) -> Vec<String> {
    let kept_only = kept.iter().filter(|k| !counted.contains(k)).map(|k| format!("{table} kept but not counted|{k:?}"));
    let counted_only = counted.iter().filter(|c| !kept.contains(c)).map(|c| format!("{table} counted but not kept|{c:?}"));
    kept_only.chain(counted_only).collect()
}
