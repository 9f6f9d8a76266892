//! Rollups: statistics derived from the facts and kept current in the same transaction as each
//! fact. Every figure is a count, a sum, a minimum or a maximum, so the order in which facts arrive
//! (late, backdated, in batches) does not change the result, and a rebuild from the facts gives
//! the same values.

use std::collections::BTreeMap;

/// Per-customer statistics. Instants are epoch milliseconds; days are tenant-local `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerStats {
    pub first_purchase_at: Option<i64>,
    pub first_purchase_day: Option<String>,
    pub last_purchase_at: Option<i64>,
    pub invoice_count: i64,
    pub gross_spend: i64,
    pub refund_total: i64,
    pub refund_count: i64,
    /// Invoices whose whole amount has been refunded.
    pub refunded_invoice_count: i64,
    pub event_count: i64,
    pub first_login_at: Option<i64>,
    pub last_login_at: Option<i64>,
    pub last_logout_at: Option<i64>,
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) | (None, x) => x,
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) | (None, x) => x,
    }
}

impl CustomerStats {
    pub fn net_spend(&self) -> i64 {
        self.gross_spend - self.refund_total
    }

    /// Average order value: net spend over invoices, rounded down; zero without invoices.
    pub fn average_order_value(&self) -> i64 {
        if self.invoice_count == 0 { 0 } else { self.net_spend() / self.invoice_count }
    }

    pub fn add_purchase(&mut self, at: i64, day: &str, total: i64) {
        if self.first_purchase_at.is_none_or(|f| at < f) {
            self.first_purchase_at = Some(at);
            self.first_purchase_day = Some(day.to_string());
        }
        self.last_purchase_at = max_opt(self.last_purchase_at, Some(at));
        self.invoice_count += 1;
        self.gross_spend += total;
    }

    pub fn add_refund(&mut self, amount: i64, completes_invoice: bool) {
        self.refund_total += amount;
        self.refund_count += 1;
        self.refunded_invoice_count += i64::from(completes_invoice);
    }

    pub fn add_event(&mut self, event_type: &str, at: i64) {
        self.event_count += 1;
        match event_type {
            crate::event::CLUB_LOGIN => {
                self.first_login_at = min_opt(self.first_login_at, Some(at));
                self.last_login_at = max_opt(self.last_login_at, Some(at));
            }
            crate::event::CLUB_LOGOUT => self.last_logout_at = max_opt(self.last_logout_at, Some(at)),
            _ => {}
        }
    }

    /// The statistics of two customers taken as one (after a merge).
    pub fn merge(&mut self, other: &CustomerStats) {
        if other.first_purchase_at.is_some() && self.first_purchase_at.is_none_or(|f| other.first_purchase_at.unwrap() < f) {
            self.first_purchase_at = other.first_purchase_at;
            self.first_purchase_day = other.first_purchase_day.clone();
        }
        self.last_purchase_at = max_opt(self.last_purchase_at, other.last_purchase_at);
        self.invoice_count += other.invoice_count;
        self.gross_spend += other.gross_spend;
        self.refund_total += other.refund_total;
        self.refund_count += other.refund_count;
        self.refunded_invoice_count += other.refunded_invoice_count;
        self.event_count += other.event_count;
        self.first_login_at = min_opt(self.first_login_at, other.first_login_at);
        self.last_login_at = max_opt(self.last_login_at, other.last_login_at);
        self.last_logout_at = max_opt(self.last_logout_at, other.last_logout_at);
    }
}

/// Changes to one tenant day's statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyDelta {
    pub sales: i64,
    pub invoices: i64,
    pub refunds: i64,
    pub refund_count: i64,
    /// Sales and refunds of identified customers (the rest are anonymous).
    pub customer_sales: i64,
    pub customer_refunds: i64,
    /// Customers whose first purchase is on this day (may go down when a backdated invoice moves
    /// a customer's first purchase to an earlier day).
    pub new_customers: i64,
    /// Distinct customers who bought on this day.
    pub active_customers: i64,
    pub events: i64,
}

impl DailyDelta {
    pub fn is_zero(&self) -> bool {
        *self == DailyDelta::default()
    }
}

/// Daily deltas keyed by day, gathered over a batch and written once per day.
#[derive(Debug, Default)]
pub struct DailyDeltas(pub BTreeMap<String, DailyDelta>);

impl DailyDeltas {
    pub fn day(&mut self, day: &str) -> &mut DailyDelta {
        if !self.0.contains_key(day) {
            self.0.insert(day.to_string(), DailyDelta::default());
        }
        self.0.get_mut(day).expect("inserted above")
    }

    /// Records that `before` → `after` changed which day a customer's first purchase is on.
    pub fn move_first_purchase(&mut self, before: Option<&str>, after: Option<&str>) {
        if before == after {
            return;
        }
        if let Some(b) = before {
            self.day(b).new_customers -= 1;
        }
        if let Some(a) = after {
            self.day(a).new_customers += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any order of the same purchases gives the same statistics, and splitting them between two
        /// profiles then merging gives the same as one profile: what rebuild and merge rely on.
        #[test]
        fn order_and_split_do_not_matter(purchases in prop::collection::vec((0i64..1_000_000, 0i64..10_000), 1..30), split in 0usize..30) {
            let day = |at: i64| format!("d{}", at / 86_400);
            let mut forward = CustomerStats::default();
            for (at, total) in &purchases { forward.add_purchase(*at, &day(*at), *total); }
            let mut backward = CustomerStats::default();
            for (at, total) in purchases.iter().rev() { backward.add_purchase(*at, &day(*at), *total); }
            let (a, b) = purchases.split_at(split.min(purchases.len()));
            let (mut left, mut right) = (CustomerStats::default(), CustomerStats::default());
            for (at, total) in a { left.add_purchase(*at, &day(*at), *total); }
            for (at, total) in b { right.add_purchase(*at, &day(*at), *total); }
            left.merge(&right);
            prop_assert_eq!(&forward.first_purchase_at, &backward.first_purchase_at);
            prop_assert_eq!(&forward.first_purchase_day, &backward.first_purchase_day);
            prop_assert_eq!(&forward, &left);
            prop_assert_eq!(forward.invoice_count as usize, purchases.len());
        }
    }

    #[test]
    fn first_purchase_moves_between_days() {
        let mut d = DailyDeltas::default();
        d.move_first_purchase(None, Some("2024-01-02"));
        d.move_first_purchase(Some("2024-01-02"), Some("2024-01-01"));
        assert_eq!(d.0["2024-01-01"].new_customers, 1);
        assert_eq!(d.0["2024-01-02"].new_customers, 0);
    }
}
