//! The queries behind the reports (SPEC G). Days are tenant-local `YYYY-MM-DD` text, ranges
//! include both ends.

use crate::Result;
use crate::bulk::Val;
use crate::db::Store;
use sqlx::Row;

/// Identified customers' net spend and customers with a purchase, up to a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomerTotals {
    pub net_spend: i64,
    pub customers: i64,
}

/// A customer's spend in a period.
pub struct TopCustomer {
    pub customer_id: i64,
    pub net_spend: i64,
    pub invoices: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub mobile: Option<String>,
    pub tier: Option<String>,
}

impl Store {
    /// Net spend of identified customers and customers with a first purchase, before `day`.
    pub async fn customer_totals_before(&self, tenant_id: i64, day: &str) -> Result<CustomerTotals> {
        let r = sqlx::query(
            "SELECT CAST(COALESCE(SUM(customer_sales - customer_refunds), 0) AS BIGINT), CAST(COALESCE(SUM(new_customers), 0) AS BIGINT)
             FROM tenant_daily_stats WHERE tenant_id = $1 AND day < $2",
        )
        .bind(tenant_id)
        .bind(day)
        .fetch_one(self.pool())
        .await?;
        Ok(CustomerTotals { net_spend: r.try_get(0)?, customers: r.try_get(1)? })
    }

    /// Rows of three columns from `sql`, which takes the tenant as `$1` and a range of days as `$2`
    /// and `$3`.
    async fn triples_over_days<A, B>(
        &self,
        sql: &'static str,
        tenant_id: i64,
        (from, to): (&str, &str),
    ) -> Result<Vec<(A, B, i64)>>
    where
        A: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
        B: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        let rows = sqlx::query(sql).bind(tenant_id).bind(from).bind(to).fetch_all(self.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    /// Customers whose purchase on one of the days `last_on` is followed by their next in
    /// `next_in`, and who bought in `bought_in` (`YYYY-MM-DD`, ranges with both ends included);
    /// counted over one share of the customers, those with `customer_id % shares = share`, so
    /// that shares can be counted side by side. The days are listed rather than given as a range
    /// so that each is one seek into the day index, with the range of next days inside it: a range
    /// of days would read every link of every day and compare its next day.
    pub async fn bought_after_gap(
        &self,
        tenant_id: i64,
        last_on: &[String],
        next_in: (&str, &str),
        bought_in: (&str, &str),
        (share, shares): (i64, i64),
    ) -> Result<i64> {
        let rows = crate::bulk::select_in_with(
            &mut *self.pool().acquire().await?,
            "SELECT COUNT(*) FROM customer_days c WHERE c.tenant_id = $1 AND c.day IN ({in})
             AND c.next_day >= $2 AND c.next_day <= $3 AND c.customer_id % $6 = $7
             AND EXISTS (SELECT 1 FROM customer_days b WHERE b.tenant_id = $1 AND b.customer_id = c.customer_id
                 AND b.day >= $4 AND b.day <= $5)",
            tenant_id,
            vec![
                Val::from(next_in.0),
                Val::from(next_in.1),
                Val::from(bought_in.0),
                Val::from(bought_in.1),
                Val::I(shares),
                Val::I(share),
            ],
            last_on.iter().map(|d| Val::T(d.clone())).collect(),
        )
        .await?;
        rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).sum()
    }

    /// Events per type in `[from, to]`, with the distinct customers behind each.
    pub async fn events_by_type(&self, tenant_id: i64, from: &str, to: &str) -> Result<Vec<(String, i64, i64)>> {
        self.triples_over_days(
            "SELECT type, COUNT(*), COUNT(DISTINCT customer_id) FROM events WHERE tenant_id = $1 AND day >= $2 AND day <= $3
             GROUP BY type ORDER BY COUNT(*) DESC, type",
            tenant_id,
            (from, to),
        )
        .await
    }

    /// Distinct customers with any event in `[from, to]`.
    pub async fn engagers_between(&self, tenant_id: i64, from: &str, to: &str) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(DISTINCT customer_id) FROM events WHERE tenant_id = $1 AND day >= $2 AND day <= $3 AND customer_id IS NOT NULL",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(to)
        .fetch_one(self.pool())
        .await?;
        Ok(r.try_get(0)?)
    }

    /// Rewards redeemed (not cancelled) between two instants, and by how many customers.
    pub async fn redemptions_between(&self, tenant_id: i64, from_ms: i64, to_ms: i64) -> Result<(i64, i64)> {
        let r = sqlx::query(
            "SELECT COUNT(*), COUNT(DISTINCT customer_id) FROM redemptions WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
             AND status <> 'cancelled'",
        )
        .bind(tenant_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(self.pool())
        .await?;
        Ok((r.try_get(0)?, r.try_get(1)?))
    }

    /// Points held per point type (balances net of debt) and by how many customers.
    pub async fn points_by_type(&self, tenant_id: i64) -> Result<Vec<(String, String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT t.code, t.name, CAST(COALESCE(SUM(b.balance), 0) AS BIGINT), COUNT(b.customer_id)
             FROM point_types t LEFT JOIN point_balances b ON b.tenant_id = t.tenant_id AND b.point_type_id = t.id AND b.balance > 0
             WHERE t.tenant_id = $1 GROUP BY t.code, t.name ORDER BY t.code",
        )
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))).collect()
    }

    /// The customers with the highest net spend (after refunds) on invoices of `[from, to]`, ties
    /// by id. Nobody's spend in a period exceeds their lifetime gross spend, so candidates are
    /// taken by lifetime gross spend, highest first, in pages, and the search stops once the next
    /// candidate could not reach the list: on a big tenant the invoices of a hundred to a few
    /// hundred customers are read instead of every invoice of the period. When the bound does not
    /// bite (a quiet period whose list stays short, or spend spread evenly), it falls back to
    /// grouping the period's invoices.
    pub async fn top_customers(&self, tenant_id: i64, from: &str, to: &str, limit: i64) -> Result<Vec<TopCustomer>> {
        // Pages start small and grow fourfold: in a heavy-tailed tenant the list is usually settled by
        // the first few dozen big spenders, and each candidate costs a read of their invoices.
        const LARGEST_PAGE: i64 = 500;
        const CANDIDATES: i64 = 20_000;
        let limit_n = limit.max(0) as usize;
        let mut page = (limit.max(1) * 5).clamp(50, LARGEST_PAGE);
        let mut read = 0;
        // (period spend, invoices, customer), best first.
        let mut best: Vec<(i64, i64, i64)> = Vec::new();
        let mut after: Option<(i64, i64)> = None;
        while read < CANDIDATES {
            let (below, params) = match after {
                None => ("", vec![Val::I(tenant_id), Val::I(page)]),
                Some((gross, id)) => (
                    "AND (gross_spend, customer_id) < ($3, $4)",
                    vec![Val::I(tenant_id), Val::I(page), Val::I(gross), Val::I(id)],
                ),
            };
            let rows = crate::bulk::query(
                format!(
                    "SELECT customer_id, gross_spend FROM customer_stats WHERE tenant_id = $1 AND invoice_count > 0 {below}
                     ORDER BY gross_spend DESC, customer_id DESC LIMIT $2"
                ),
                params,
            )
            .fetch_all(self.pool())
            .await?;
            let candidates: Vec<(i64, i64)> = rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_>>()?;
            let Some(&(last_id, last_bound)) = candidates.last() else {
                return self.top_customers_named(tenant_id, best).await;
            };
            let ids: Vec<Val> = candidates.iter().map(|c| Val::I(c.0)).collect();
            let figures = crate::bulk::select_in_with(
                &mut *self.pool().acquire().await?,
                // Read through the customer index: the cast keeps the planner from walking the
                // whole period by the day index instead, which on a busy period reads far more.
                "SELECT customer_id, CAST(SUM(total - refunded_total) AS BIGINT), COUNT(*) FROM invoices
                 WHERE tenant_id = $1 AND CAST(day AS TEXT) >= $2 AND CAST(day AS TEXT) <= $3 AND status = 'completed'
                 AND customer_id IN ({in}) GROUP BY customer_id",
                tenant_id,
                vec![Val::T(from.to_string()), Val::T(to.to_string())],
                ids,
            )
            .await?;
            for r in &figures {
                best.push((r.try_get(1)?, r.try_get(2)?, r.try_get(0)?));
            }
            best.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(&b.2)));
            best.truncate(limit_n);
            let full = best.len() == limit_n;
            if (candidates.len() as i64) < page || (full && best.last().is_some_and(|w| last_bound < w.0)) {
                return self.top_customers_named(tenant_id, best).await;
            }
            after = Some((last_bound, last_id));
            read += page;
            page = (page * 4).min(LARGEST_PAGE);
        }
        self.top_customers_by_scan(tenant_id, from, to, limit).await
    }

    /// Names and tiers for the chosen (spend, invoices, customer) rows, in their order.
    async fn top_customers_named(&self, tenant_id: i64, best: Vec<(i64, i64, i64)>) -> Result<Vec<TopCustomer>> {
        if best.is_empty() {
            return Ok(Vec::new());
        }
        let rows = crate::bulk::select_in(
            &mut *self.pool().acquire().await?,
            "SELECT id, first_name, last_name, mobile, tier FROM customers WHERE tenant_id = $1 AND id IN ({in})",
            tenant_id,
            best.iter().map(|b| Val::I(b.2)).collect(),
        )
        .await?;
        let mut named = std::collections::HashMap::new();
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let person = TopCustomer {
                customer_id: id,
                net_spend: 0,
                invoices: 0,
                first_name: r.try_get(1)?,
                last_name: r.try_get(2)?,
                mobile: r.try_get(3)?,
                tier: r.try_get(4)?,
            };
            named.insert(id, person);
        }
        Ok(best
            .into_iter()
            .filter_map(|(spend, n, id)| named.remove(&id).map(|p| TopCustomer { net_spend: spend, invoices: n, ..p }))
            .collect())
    }

    /// The same list by grouping every invoice of the period (the fallback, and the baseline the
    /// analytics benchmark compares with).
    pub async fn top_customers_by_scan(&self, tenant_id: i64, from: &str, to: &str, limit: i64) -> Result<Vec<TopCustomer>> {
        let rows = sqlx::query(
            // Grouped by `customer_id + 0`: grouping by the column lets SQLite walk the tenant's
            // whole customer index (it is ordered by customer and covers the sums) instead of the
            // period's range of the day index (200–280 ms against 2–3 ms for a quiet week).
            "SELECT t.customer, t.spend, t.n, c.first_name, c.last_name, c.mobile, c.tier FROM (
                 SELECT customer_id + 0 AS customer, CAST(SUM(total - refunded_total) AS BIGINT) AS spend, COUNT(*) AS n
                 FROM invoices WHERE tenant_id = $1 AND day >= $2 AND day <= $3 AND status = 'completed' AND customer_id IS NOT NULL
                 GROUP BY 1 ORDER BY spend DESC, customer LIMIT $4) t
             JOIN customers c ON c.tenant_id = $1 AND c.id = t.customer ORDER BY t.spend DESC, t.customer",
        )
        .bind(tenant_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TopCustomer {
                    customer_id: r.try_get(0)?,
                    net_spend: r.try_get(1)?,
                    invoices: r.try_get(2)?,
                    first_name: r.try_get(3)?,
                    last_name: r.try_get(4)?,
                    mobile: r.try_get(5)?,
                    tier: r.try_get(6)?,
                })
            })
            .collect()
    }
}
