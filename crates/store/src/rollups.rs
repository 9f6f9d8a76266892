//! Rollup tables: written in the same transaction as the facts that change them.

use crate::Result;
use crate::batch::Batch;
use crate::bulk::{self, Val, ts_opt};
use crate::db::{Conn, Store};
use philia_domain::buyer_days::{LinkedDay, relink};
use philia_domain::records::{CategoryStat, CustomerStatsView, DailyStats};
use philia_domain::rollup::{CustomerStats, DailyDeltas};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, HashMap};

const STATS_COLUMNS: [&str; 14] = [
    "tenant_id",
    "customer_id",
    "first_purchase_at",
    "first_purchase_day",
    "last_purchase_at",
    "invoice_count",
    "gross_spend",
    "refund_total",
    "refund_count",
    "refunded_invoice_count",
    "event_count",
    "first_login_at",
    "last_login_at",
    "last_logout_at",
];

/// The counting columns of `customer_stats`: a row of them in zeros starts a customer's figures.
pub(crate) const STATS_COUNT_COLUMNS: [&str; 8] = [
    "tenant_id",
    "customer_id",
    "invoice_count",
    "gross_spend",
    "refund_total",
    "refund_count",
    "refunded_invoice_count",
    "event_count",
];

fn stats_from_row(r: &AnyRow) -> Result<CustomerStats> {
    Ok(CustomerStats {
        first_purchase_at: r.try_get("first_purchase_at")?,
        first_purchase_day: r.try_get("first_purchase_day")?,
        last_purchase_at: r.try_get("last_purchase_at")?,
        invoice_count: r.try_get("invoice_count")?,
        gross_spend: r.try_get("gross_spend")?,
        refund_total: r.try_get("refund_total")?,
        refund_count: r.try_get("refund_count")?,
        refunded_invoice_count: r.try_get("refunded_invoice_count")?,
        event_count: r.try_get("event_count")?,
        first_login_at: r.try_get("first_login_at")?,
        last_login_at: r.try_get("last_login_at")?,
        last_logout_at: r.try_get("last_logout_at")?,
    })
}

/// What a batch of purchases adds to one customer's statistics.
pub struct PurchaseDelta {
    pub customer_id: i64,
    pub first_at: i64,
    pub first_day: String,
    pub last_at: i64,
    pub invoices: i64,
    pub gross: i64,
}

/// A per-customer, per-category addition.
pub struct CategoryDelta {
    pub customer_id: i64,
    pub category: String,
    pub lines: i64,
    pub quantity_milli: i64,
    pub spend: i64,
}

/// A per-customer, per-event-type addition.
pub struct EventTypeDelta {
    pub customer_id: i64,
    pub event_type: String,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
}

/// A purchase day's link: the customer's next purchase day, or `9999-12-31`.
const NEXT_DAY: &str = "COALESCE((SELECT MIN(n.day) FROM customer_days n WHERE n.tenant_id = customer_days.tenant_id
    AND n.customer_id = customer_days.customer_id AND n.day > customer_days.day), '9999-12-31')";

/// Sets to the customer's next purchase day the links of a tenant's (`$1`) purchase days that
/// `picked` (conditions joined with AND) picks and that are wrong.
fn relink_days(picked: &str) -> String {
    format!("UPDATE customer_days SET next_day = {NEXT_DAY} WHERE tenant_id = $1 AND {picked} AND next_day <> {NEXT_DAY}")
}

impl Store {
    /// Reads the statistics of `ids` and, on PostgreSQL, locks them until commit (in id order, so
    /// two writers never wait on each other in a cycle).
    pub async fn lock_customer_stats(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashMap<i64, CustomerStats>> {
        let mut sorted = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let sql = format!(
            "SELECT {} FROM customer_stats WHERE tenant_id = $1 AND customer_id IN ({{in}}) ORDER BY customer_id{}",
            STATS_COLUMNS.join(", "),
            self.lock_suffix()
        );
        let rows = bulk::select_in(conn, &sql, tenant_id, sorted.into_iter().map(Val::I).collect()).await?;
        rows.iter().map(|r| Ok((r.try_get("customer_id")?, stats_from_row(r)?))).collect()
    }

    /// The first purchase (instant and day) and invoice count of each customer, locked until
    /// commit on PostgreSQL (in id order). Customers without a purchase are absent.
    pub async fn lock_first_purchases(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        ids: &[i64],
    ) -> Result<HashMap<i64, (i64, String, i64)>> {
        let sql = format!(
            "SELECT customer_id, first_purchase_at, first_purchase_day, invoice_count FROM customer_stats WHERE tenant_id = $1 AND customer_id IN ({{in}})
             ORDER BY customer_id{}",
            self.lock_suffix()
        );
        let rows = bulk::select_in(conn, &sql, tenant_id, bulk::ids(ids)).await?;
        let mut out = HashMap::with_capacity(rows.len());
        for r in &rows {
            if let (Some(at), Some(day)) = (r.try_get::<Option<i64>, _>(1)?, r.try_get::<Option<String>, _>(2)?) {
                out.insert(r.try_get(0)?, (at, day, r.try_get(3)?));
            }
        }
        Ok(out)
    }

    /// Adds purchases to customer statistics in one statement per few hundred customers: counts
    /// and sums add up, first and last purchase keep the earlier and the later.
    pub async fn add_purchases(&self, conn: &mut Conn, tenant_id: i64, deltas: Vec<PurchaseDelta>) -> Result<()> {
        let rows = deltas
            .into_iter()
            .map(|d| {
                vec![
                    Val::I(tenant_id),
                    Val::I(d.customer_id),
                    Val::I(d.first_at),
                    Val::T(d.first_day),
                    Val::I(d.last_at),
                    Val::I(d.invoices),
                    Val::I(d.gross),
                    Val::I(0),
                    Val::I(0),
                    Val::I(0),
                    Val::I(0),
                ]
            })
            .collect();
        let earlier = "customer_stats.first_purchase_at IS NULL OR excluded.first_purchase_at < customer_stats.first_purchase_at";
        bulk::insert(
            conn,
            "customer_stats",
            &[
                "tenant_id", "customer_id", "first_purchase_at", "first_purchase_day", "last_purchase_at", "invoice_count", "gross_spend",
                "refund_total", "refund_count", "refunded_invoice_count", "event_count",
            ],
            rows,
            &format!(
                "ON CONFLICT (tenant_id, customer_id) DO UPDATE SET
                 first_purchase_at = CASE WHEN {earlier} THEN excluded.first_purchase_at ELSE customer_stats.first_purchase_at END,
                 first_purchase_day = CASE WHEN {earlier} THEN excluded.first_purchase_day ELSE customer_stats.first_purchase_day END,
                 last_purchase_at = CASE WHEN customer_stats.last_purchase_at IS NULL OR excluded.last_purchase_at > customer_stats.last_purchase_at
                     THEN excluded.last_purchase_at ELSE customer_stats.last_purchase_at END,
                 invoice_count = customer_stats.invoice_count + excluded.invoice_count,
                 gross_spend = customer_stats.gross_spend + excluded.gross_spend"
            ),
        )
        .await?;
        Ok(())
    }

    /// Adds `(customer, n)` to the customers' event counts in one statement, without reading or
    /// locking their statistics: for events that move nothing else (any but the club's sign-in and
    /// sign-out).
    pub fn count_customer_events_into(&self, b: &mut Batch, tenant_id: i64, counts: &[(i64, i64)]) {
        let rows = counts
            .iter()
            .map(|(customer, n)| [tenant_id, *customer, 0, 0, 0, 0, 0, *n].into_iter().map(Val::I).collect())
            .collect();
        b.insert(
            "customer_stats",
            &STATS_COUNT_COLUMNS,
            rows,
            "ON CONFLICT (tenant_id, customer_id) DO UPDATE SET event_count = customer_stats.event_count + excluded.event_count",
        );
    }

    /// Writes absolute statistics (computed under the lock taken by [`Self::lock_customer_stats`]).
    pub async fn write_customer_stats(&self, conn: &mut Conn, tenant_id: i64, stats: &[(i64, CustomerStats)]) -> Result<()> {
        let rows = stats
            .iter()
            .map(|(id, s)| {
                vec![
                    Val::I(tenant_id),
                    Val::I(*id),
                    s.first_purchase_at.into(),
                    s.first_purchase_day.clone().into(),
                    s.last_purchase_at.into(),
                    Val::I(s.invoice_count),
                    Val::I(s.gross_spend),
                    Val::I(s.refund_total),
                    Val::I(s.refund_count),
                    Val::I(s.refunded_invoice_count),
                    Val::I(s.event_count),
                    s.first_login_at.into(),
                    s.last_login_at.into(),
                    s.last_logout_at.into(),
                ]
            })
            .collect();
        let updates: Vec<String> = STATS_COLUMNS[2..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
        bulk::insert(
            conn,
            "customer_stats",
            &STATS_COLUMNS,
            rows,
            &format!("ON CONFLICT (tenant_id, customer_id) DO UPDATE SET {}", updates.join(", ")),
        )
        .await?;
        Ok(())
    }

    pub async fn add_category_stats(&self, conn: &mut Conn, tenant_id: i64, deltas: Vec<CategoryDelta>) -> Result<()> {
        let rows = deltas
            .into_iter()
            .map(|d| {
                vec![
                    Val::I(tenant_id),
                    Val::I(d.customer_id),
                    Val::T(d.category),
                    Val::I(d.lines),
                    Val::I(d.quantity_milli),
                    Val::I(d.spend),
                ]
            })
            .collect();
        bulk::insert(
            conn,
            "customer_category_stats",
            &["tenant_id", "customer_id", "category", "lines", "quantity_milli", "spend"],
            rows,
            "ON CONFLICT (tenant_id, customer_id, category) DO UPDATE SET lines = customer_category_stats.lines + excluded.lines,
             quantity_milli = customer_category_stats.quantity_milli + excluded.quantity_milli,
             spend = customer_category_stats.spend + excluded.spend",
        )
        .await?;
        Ok(())
    }

    pub async fn add_event_type_stats(&self, conn: &mut Conn, tenant_id: i64, deltas: Vec<EventTypeDelta>) -> Result<()> {
        let mut b = self.batch();
        self.add_event_type_stats_into(&mut b, tenant_id, deltas);
        b.run(conn).await?;
        Ok(())
    }

    pub fn add_event_type_stats_into(&self, b: &mut Batch, tenant_id: i64, deltas: Vec<EventTypeDelta>) {
        let rows = deltas
            .into_iter()
            .map(|d| {
                vec![
                    Val::I(tenant_id),
                    Val::I(d.customer_id),
                    Val::T(d.event_type),
                    Val::I(d.count),
                    Val::I(d.first_at),
                    Val::I(d.last_at),
                ]
            })
            .collect();
        b.insert(
            "customer_event_stats",
            &["tenant_id", "customer_id", "type", "count", "first_at", "last_at"],
            rows,
            "ON CONFLICT (tenant_id, customer_id, type) DO UPDATE SET count = customer_event_stats.count + excluded.count,
             first_at = CASE WHEN excluded.first_at < customer_event_stats.first_at THEN excluded.first_at ELSE customer_event_stats.first_at END,
             last_at = CASE WHEN excluded.last_at > customer_event_stats.last_at THEN excluded.last_at ELSE customer_event_stats.last_at END",
        );
    }

    /// Records that customers bought on days; returns, for each pair that is new, its day: one
    /// more customer active on that day. Each new day is linked to the customer's next purchase
    /// day and the day before it to the new one. The caller holds the customers' statistics
    /// locked, so no other writer links their days meanwhile.
    pub async fn mark_customer_days(&self, conn: &mut Conn, tenant_id: i64, pairs: Vec<(i64, String)>) -> Result<Vec<String>> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        // For each pair, the stored day with the earliest link after it: the day the new one falls
        // behind, or the customer's first when it comes before them all (a few rows per customer
        // are scanned in the database; only these come back). `CROSS JOIN` keeps SQLite from
        // scanning the days table for the pairs instead of looking each pair up.
        let sql = "WITH b (customer_id, day) AS (VALUES {in})
             SELECT DISTINCT x.customer_id, x.day, x.next_day FROM b CROSS JOIN customer_days x
             WHERE x.tenant_id = $1 AND x.customer_id = b.customer_id
               AND x.day = (SELECT MIN(y.day) FROM customer_days y
                            WHERE y.tenant_id = x.tenant_id AND y.customer_id = b.customer_id AND y.next_day > b.day)";
        let wanted = pairs.iter().map(|(c, d)| vec![Val::I(*c), Val::T(d.clone())]).collect();
        let mut stored: HashMap<i64, Vec<LinkedDay>> = HashMap::new();
        for r in bulk::select_in_rows(conn, sql, tenant_id, wanted).await? {
            stored.entry(r.try_get(0)?).or_default().push(LinkedDay { day: r.try_get(1)?, next_day: r.try_get(2)? });
        }
        let mut added: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (customer, day) in pairs {
            added.entry(customer).or_default().push(day);
        }
        let mut new_days = Vec::new();
        let mut rows = Vec::new();
        for (customer, days) in &added {
            let relinked = relink(stored.get(customer).map_or(&[][..], Vec::as_slice), days);
            new_days.extend(relinked.added.iter().map(|l| l.day.clone()));
            rows.extend(
                relinked
                    .added
                    .into_iter()
                    .chain(relinked.changed)
                    .map(|l| vec![Val::I(tenant_id), Val::I(*customer), Val::T(l.day), Val::T(l.next_day)]),
            );
        }
        bulk::insert(
            conn,
            "customer_days",
            &["tenant_id", "customer_id", "day", "next_day"],
            rows,
            "ON CONFLICT (tenant_id, customer_id, day) DO UPDATE SET next_day = excluded.next_day",
        )
        .await?;
        Ok(new_days)
    }

    pub async fn apply_daily_deltas(&self, conn: &mut Conn, tenant_id: i64, deltas: &DailyDeltas) -> Result<()> {
        let mut b = self.batch();
        self.apply_daily_deltas_into(&mut b, tenant_id, deltas);
        b.run(conn).await?;
        Ok(())
    }

    pub fn apply_daily_deltas_into(&self, b: &mut Batch, tenant_id: i64, deltas: &DailyDeltas) {
        let rows = deltas
            .0
            .iter()
            .filter(|(_, d)| !d.is_zero())
            .map(|(day, d)| {
                vec![
                    Val::I(tenant_id),
                    Val::T(day.clone()),
                    Val::I(d.sales),
                    Val::I(d.invoices),
                    Val::I(d.refunds),
                    Val::I(d.refund_count),
                    Val::I(d.new_customers),
                    Val::I(d.active_customers),
                    Val::I(d.events),
                    Val::I(d.customer_sales),
                    Val::I(d.customer_refunds),
                ]
            })
            .collect();
        b.insert(
            "tenant_daily_stats",
            &[
                "tenant_id",
                "day",
                "sales",
                "invoices",
                "refunds",
                "refund_count",
                "new_customers",
                "active_customers",
                "events",
                "customer_sales",
                "customer_refunds",
            ],
            rows,
            "ON CONFLICT (tenant_id, day) DO UPDATE SET sales = tenant_daily_stats.sales + excluded.sales,
             invoices = tenant_daily_stats.invoices + excluded.invoices, refunds = tenant_daily_stats.refunds + excluded.refunds,
             refund_count = tenant_daily_stats.refund_count + excluded.refund_count,
             new_customers = tenant_daily_stats.new_customers + excluded.new_customers,
             active_customers = tenant_daily_stats.active_customers + excluded.active_customers,
             events = tenant_daily_stats.events + excluded.events,
             customer_sales = tenant_daily_stats.customer_sales + excluded.customer_sales,
             customer_refunds = tenant_daily_stats.customer_refunds + excluded.customer_refunds",
        );
    }

    /// Statistics as shown on profiles.
    pub async fn stats_views(&self, conn: &mut Conn, tenant_id: i64, ids: &[i64]) -> Result<HashMap<i64, CustomerStatsView>> {
        let rows = bulk::select_in(
            conn,
            &format!("SELECT {} FROM customer_stats WHERE tenant_id = $1 AND customer_id IN ({{in}})", STATS_COLUMNS.join(", ")),
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        let mut out = HashMap::new();
        for r in &rows {
            let s = stats_from_row(r)?;
            out.insert(
                r.try_get::<i64, _>("customer_id")?,
                CustomerStatsView {
                    first_purchase_at: ts_opt(s.first_purchase_at),
                    last_purchase_at: ts_opt(s.last_purchase_at),
                    invoice_count: s.invoice_count,
                    gross_spend: s.gross_spend,
                    refund_total: s.refund_total,
                    refund_count: s.refund_count,
                    net_spend: s.net_spend(),
                    average_order_value: s.average_order_value(),
                    event_count: s.event_count,
                    clv: s.net_spend(),
                    first_login_at: ts_opt(s.first_login_at),
                    last_login_at: ts_opt(s.last_login_at),
                    last_logout_at: ts_opt(s.last_logout_at),
                    categories: Vec::new(),
                },
            );
        }
        let cats = bulk::select_in(
            conn,
            "SELECT customer_id, category, lines, quantity_milli, spend FROM customer_category_stats
             WHERE tenant_id = $1 AND customer_id IN ({in}) ORDER BY spend DESC, category",
            tenant_id,
            bulk::ids(ids),
        )
        .await?;
        for r in &cats {
            if let Some(view) = out.get_mut(&r.try_get::<i64, _>("customer_id")?) {
                view.categories.push(CategoryStat {
                    category: r.try_get("category")?,
                    lines: r.try_get("lines")?,
                    quantity: r.try_get::<i64, _>("quantity_milli")? as f64 / 1000.0,
                    spend: r.try_get("spend")?,
                });
            }
        }
        Ok(out)
    }

    /// Tenant statistics per day in `[from, to]` (inclusive `YYYY-MM-DD`).
    pub async fn daily_stats(&self, tenant_id: i64, from: &str, to: &str) -> Result<Vec<DailyStats>> {
        let rows = sqlx::query(
            "SELECT day, sales, invoices, refunds, refund_count, new_customers, active_customers, events, customer_sales, customer_refunds
             FROM tenant_daily_stats
             WHERE tenant_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(to)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let sales: i64 = r.try_get("sales")?;
                let refunds: i64 = r.try_get("refunds")?;
                Ok(DailyStats {
                    day: r.try_get("day")?,
                    sales,
                    invoices: r.try_get("invoices")?,
                    refunds,
                    refund_count: r.try_get("refund_count")?,
                    net_sales: sales - refunds,
                    new_customers: r.try_get("new_customers")?,
                    active_customers: r.try_get("active_customers")?,
                    events: r.try_get("events")?,
                    customer_sales: r.try_get("customer_sales")?,
                    customer_refunds: r.try_get("customer_refunds")?,
                })
            })
            .collect()
    }

    /// Moves the per-category, per-event-type and per-day rollups of `from` onto `to` (a merge).
    /// Returns the days on which both customers bought: each such day now has one active customer
    /// fewer.
    pub async fn merge_customer_rollups(&self, conn: &mut Conn, tenant_id: i64, from: i64, to: i64) -> Result<Vec<String>> {
        let moves = [
            "INSERT INTO customer_category_stats (tenant_id, customer_id, category, lines, quantity_milli, spend)
             SELECT tenant_id, $3, category, lines, quantity_milli, spend FROM customer_category_stats
             WHERE tenant_id = $1 AND customer_id = $2
             ON CONFLICT (tenant_id, customer_id, category) DO UPDATE SET lines = customer_category_stats.lines + excluded.lines,
             quantity_milli = customer_category_stats.quantity_milli + excluded.quantity_milli,
             spend = customer_category_stats.spend + excluded.spend",
            "INSERT INTO customer_event_stats (tenant_id, customer_id, type, count, first_at, last_at)
             SELECT tenant_id, $3, type, count, first_at, last_at FROM customer_event_stats WHERE tenant_id = $1 AND customer_id = $2
             ON CONFLICT (tenant_id, customer_id, type) DO UPDATE SET count = customer_event_stats.count + excluded.count,
             first_at = CASE WHEN excluded.first_at < customer_event_stats.first_at THEN excluded.first_at ELSE customer_event_stats.first_at END,
             last_at = CASE WHEN excluded.last_at > customer_event_stats.last_at THEN excluded.last_at ELSE customer_event_stats.last_at END",
            "DELETE FROM customer_category_stats WHERE tenant_id = $1 AND customer_id = $2 AND $3 = $3",
            "DELETE FROM customer_event_stats WHERE tenant_id = $1 AND customer_id = $2 AND $3 = $3",
        ];
        for sql in moves {
            sqlx::query(sql).bind(tenant_id).bind(from).bind(to).execute(&mut *conn).await?;
        }
        let shared = sqlx::query(
            "SELECT day FROM customer_days WHERE tenant_id = $1 AND customer_id = $2
             AND day IN (SELECT day FROM customer_days WHERE tenant_id = $1 AND customer_id = $3) ORDER BY day",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?;
        let shared: Vec<String> = shared.iter().map(|r| r.try_get("day")).collect::<std::result::Result<_, _>>()?;
        sqlx::query(
            "DELETE FROM customer_days WHERE tenant_id = $1 AND customer_id = $2
             AND day IN (SELECT day FROM customer_days WHERE tenant_id = $1 AND customer_id = $3)",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(to)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE customer_days SET customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2")
            .bind(tenant_id)
            .bind(from)
            .bind(to)
            .execute(&mut *conn)
            .await?;
        bulk::dynamic(relink_days("customer_id = $2")).bind(tenant_id).bind(to).execute(&mut *conn).await?;
        Ok(shared)
    }
}
