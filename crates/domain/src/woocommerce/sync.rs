//! Bringing Philia's record of an order in line with the newest state the shop sent.
//!
//! WooCommerce sends an order's whole state each time, possibly twice, possibly late, possibly
//! several quick changes folded into one. So nothing here counts deliveries: each state is
//! compared with what Philia holds for the order (its version, digest and the invoice that
//! counts) and only the difference is recorded. An older state than the one held changes
//! nothing; the same state again changes nothing.

use super::order::{OrderPhase, OrderSnapshot};

/// What Philia holds about one order of a connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tracked {
    /// The newest `date_modified_gmt` applied, in milliseconds.
    pub version: Option<i64>,
    pub digest: Option<String>,
    /// How many times the order has been recorded as a sale: a sale taken back and made again
    /// (or changed after it was recorded) is recorded anew under the next number.
    pub generation: i64,
    /// The invoice that counts now, if the order is a sale.
    pub invoice_id: Option<i64>,
    /// That invoice's content fingerprint.
    pub fingerprint: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Take back what the counting invoice still counts: a refund of the rest, under this key.
    ReverseLive { refund_id: String },
    /// Record the order's sale as a new invoice under this external id.
    Record { generation: i64, external_id: String },
    /// Record a refund the order lists, against the counting invoice, under this key.
    Refund { refund_id: String, amount: i64, reason: Option<String> },
}

/// Why a state changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Older than the state already applied.
    Stale,
    /// The state already applied.
    Repeat,
}

/// The invoice number of an order's n-th recording: the order id, then `727~2`, `727~3`….
pub fn invoice_external_id(order_id: &str, generation: i64) -> String {
    if generation <= 1 { order_id.to_string() } else { format!("{order_id}~{generation}") }
}

/// Whether a state (its version and digest) is news beside the one held: an older version is
/// stale, the same version with the same digest a repeat. Orders, customers and products alike.
pub fn is_news(held_version: Option<i64>, held_digest: Option<&str>, version: Option<i64>, digest: &str) -> Result<(), Skip> {
    match (version, held_version) {
        (Some(v), Some(h)) if v < h => Err(Skip::Stale),
        (v, h) if v == h && held_digest == Some(digest) => Err(Skip::Repeat),
        _ => Ok(()),
    }
}

/// The steps that bring the held record in line with `snap`, or why there are none.
pub fn plan(tracked: &Tracked, snap: &OrderSnapshot) -> Result<Vec<Step>, Skip> {
    is_news(tracked.version, tracked.digest.as_deref(), snap.version, &snap.digest)?;
    let mut steps = Vec::new();
    let mut generation = tracked.generation;
    let refunds = |generation: i64, steps: &mut Vec<Step>| {
        let invoice = invoice_external_id(&snap.id, generation);
        for r in &snap.refunds {
            steps.push(Step::Refund { refund_id: format!("{invoice}/r{}", r.id), amount: r.amount, reason: r.reason.clone() });
        }
    };
    let void = |generation: i64| Step::ReverseLive { refund_id: format!("{}/void", invoice_external_id(&snap.id, generation)) };
    match (snap.phase, &snap.invoice) {
        (OrderPhase::Sale, Some(invoice)) => {
            let fingerprint = invoice.fingerprint();
            let unchanged = tracked.invoice_id.is_some() && tracked.fingerprint.as_deref() == Some(fingerprint.as_str());
            if !unchanged {
                if tracked.invoice_id.is_some() {
                    steps.push(void(generation));
                }
                generation += 1;
                steps.push(Step::Record { generation, external_id: invoice_external_id(&snap.id, generation) });
            }
            refunds(generation, &mut steps);
        }
        _ if tracked.invoice_id.is_some() => {
            refunds(generation, &mut steps);
            steps.push(void(generation));
        }
        _ => {}
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::woocommerce::{Loose, WooOrder};
    use jiff::tz::TimeZone;
    use proptest::prelude::*;
    use std::collections::HashMap;

    /// One state of a test order: status, total, refunds and modification second.
    #[derive(Debug, Clone)]
    struct State {
        status: &'static str,
        total: i64,
        refunds: Vec<i64>,
        second: i64,
    }

    fn snapshot(s: &State) -> OrderSnapshot {
        let order = WooOrder {
            id: Loose::Int(9),
            status: s.status.into(),
            currency: "IRT".into(),
            date_created_gmt: Some("2026-01-01T10:00:00".into()),
            date_modified_gmt: Some(format!("2026-01-01T10:{:02}:{:02}", s.second / 60, s.second % 60)),
            total: Loose::Int(s.total),
            customer_id: Loose::Int(5),
            line_items: vec![crate::woocommerce::order::LineItem {
                name: "x".into(),
                quantity: Loose::Int(1),
                subtotal: Loose::Int(s.total),
                total: Loose::Int(s.total),
                ..Default::default()
            }],
            refunds: s
                .refunds
                .iter()
                .enumerate()
                .map(|(i, a)| crate::woocommerce::order::RefundRef {
                    id: Loose::Int(i as i64 + 100),
                    total: Loose::Int(-a),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        order.snapshot("woo-t", &TimeZone::UTC, "IRT").unwrap()
    }

    /// A model of the ledger side: invoices with totals and refunds keyed as the engine keys them
    /// (a repeated refund key changes nothing; a refund never passes what is left).
    #[derive(Default)]
    struct Ledger {
        invoices: HashMap<i64, (i64, i64)>,
        refund_keys: HashMap<String, i64>,
        next: i64,
    }

    impl Ledger {
        fn apply(&mut self, tracked: &mut Tracked, snap: &OrderSnapshot) {
            let Ok(steps) = plan(tracked, snap) else { return };
            for step in steps {
                match step {
                    Step::Record { generation, .. } => {
                        self.next += 1;
                        self.invoices.insert(self.next, (snap.invoice.as_ref().unwrap().total, 0));
                        tracked.invoice_id = Some(self.next);
                        tracked.generation = generation;
                        tracked.fingerprint = snap.invoice.as_ref().map(|i| i.fingerprint());
                    }
                    Step::Refund { refund_id, amount, .. } => self.refund(tracked, refund_id, Some(amount)),
                    Step::ReverseLive { refund_id } => {
                        self.refund(tracked, refund_id, None);
                        tracked.invoice_id = None;
                        tracked.fingerprint = None;
                    }
                }
            }
            tracked.version = tracked.version.max(snap.version);
            tracked.digest = Some(snap.digest.clone());
        }

        fn refund(&mut self, tracked: &Tracked, key: String, amount: Option<i64>) {
            let Some(id) = tracked.invoice_id else { return };
            if self.refund_keys.contains_key(&key) {
                return;
            }
            let (total, refunded) = self.invoices.get_mut(&id).unwrap();
            let amount = amount.unwrap_or(*total - *refunded).min(*total - *refunded);
            if amount > 0 {
                *refunded += amount;
                self.refund_keys.insert(key, id);
            }
        }

        fn counted(&self) -> i64 {
            self.invoices.values().map(|(t, r)| t - r).sum()
        }
    }

    fn expected(s: &State) -> i64 {
        match OrderPhase::of_status(s.status) {
            OrderPhase::Sale => (s.total - s.refunds.iter().sum::<i64>()).max(0),
            _ => 0,
        }
    }

    fn states() -> impl Strategy<Value = Vec<State>> {
        let status =
            prop::sample::select(vec!["pending", "processing", "completed", "on-hold", "cancelled", "refunded", "trash"]);
        prop::collection::vec((status, 1_000i64..5_000, prop::collection::vec(1i64..300, 0..3)), 1..7).prop_map(|v| {
            // Refunds only grow, as on a real order; each state is one second newer.
            let mut refunds: Vec<i64> = Vec::new();
            v.into_iter()
                .enumerate()
                .map(|(i, (status, total, more))| {
                    if refunds.len() < 4 {
                        refunds.extend(more);
                    }
                    State { status, total, refunds: refunds.clone(), second: i as i64 }
                })
                .collect()
        })
    }

    proptest! {
        /// Delivered late, twice, or in any order: what counts is what the newest state says.
        #[test]
        fn any_order_of_deliveries_ends_at_the_newest_state(states in states(), order in prop::collection::vec(0usize..100, 1..20)) {
            let mut deliveries: Vec<&State> = order.iter().map(|i| &states[i % states.len()]).collect();
            // The newest state arrives somewhere in the stream, not necessarily last.
            let at = order[0] % (deliveries.len() + 1);
            deliveries.insert(at, states.last().unwrap());
            let mut ledger = Ledger::default();
            let mut tracked = Tracked::default();
            for s in &deliveries {
                ledger.apply(&mut tracked, &snapshot(s));
            }
            let newest = deliveries.iter().max_by_key(|s| s.second).unwrap();
            prop_assert_eq!(ledger.counted(), expected(newest));
            // Everything again, any number of times: nothing moves.
            let before = ledger.counted();
            for s in &deliveries {
                ledger.apply(&mut tracked, &snapshot(s));
            }
            prop_assert_eq!(ledger.counted(), before);
        }
    }

    #[test]
    fn a_stale_state_and_a_repeat_change_nothing() {
        let mut t = Tracked::default();
        let sale = snapshot(&State { status: "processing", total: 100, refunds: vec![], second: 5 });
        let steps = plan(&t, &sale).unwrap();
        assert_eq!(steps, [Step::Record { generation: 1, external_id: "9".into() }]);
        t = Tracked {
            version: sale.version,
            digest: Some(sale.digest.clone()),
            generation: 1,
            invoice_id: Some(1),
            fingerprint: sale.invoice.as_ref().map(|i| i.fingerprint()),
        };
        assert_eq!(plan(&t, &sale), Err(Skip::Repeat));
        let older = snapshot(&State { status: "cancelled", total: 100, refunds: vec![], second: 4 });
        assert_eq!(plan(&t, &older), Err(Skip::Stale));
        let refunded = snapshot(&State { status: "refunded", total: 100, refunds: vec![100], second: 6 });
        assert_eq!(
            plan(&t, &refunded).unwrap(),
            [
                Step::Refund { refund_id: "9/r100".into(), amount: 100, reason: None },
                Step::ReverseLive { refund_id: "9/void".into() }
            ]
        );
    }
}
