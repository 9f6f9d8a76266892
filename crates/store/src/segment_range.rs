//! Where a segment's search starts. A rule is tested against every live profile, which on a
//! tenant of a million customers means reading a million rows of profiles and as many of
//! statistics. When the rule demands a purchase figure at its top level (`all` of tests, or one
//! test), no customer outside a range of the purchase statistics can match: the search then
//! takes, from an index on `customer_stats`, the customers whose statistics pass the rule's
//! statistics-only tests, and reads profiles only for them.
//!
//! Each range term is implied by the test it comes from and is false when the customer has no
//! statistics (as the test is), and the tests moved into the subquery read nothing but
//! statistics, so the narrowed search matches exactly the customers the plain one does.

use crate::bulk::Val;
use crate::segment_sql::{Clock, compile, instant_test, value};
use philia_domain::condition::{Condition, Op, Operand, Value};

/// Every live customer with their statistics, when nothing narrows the search.
pub const EVERY_PROFILE: &str =
    "FROM customers c LEFT JOIN customer_stats s ON s.tenant_id = c.tenant_id AND s.customer_id = c.id
     WHERE c.tenant_id = $1 AND c.merged_into IS NULL";

/// Fields read from `customer_stats` alone.
const STATISTICS: [&str; 5] = ["spend", "invoices", "average_order_value", "first_purchase_at", "last_purchase_at"];

/// `FROM … WHERE …` of the live customers that match `rule`: profile `c`, and statistics `s` when
/// `with_statistics` (the caller reads them) or the rule needs them; `params` starts with the
/// tenant id as `$1`.
pub fn matching_rows(rule: &Condition, clock: &Clock, params: &mut Vec<Val>, with_statistics: bool) -> String {
    narrowed_rows(rule, clock, params, with_statistics).unwrap_or_else(|| {
        let cond = compile(rule, clock, params);
        format!("{EVERY_PROFILE} AND {cond}")
    })
}

/// The search started from a range of the statistics; None (and `params` untouched) when the rule
/// demands no purchase figure an index can serve.
pub fn narrowed_rows(rule: &Condition, clock: &Clock, params: &mut Vec<Val>, with_statistics: bool) -> Option<String> {
    let conjuncts = top_conjuncts(rule);
    let (on_statistics, rest): (Vec<&Condition>, Vec<&Condition>) =
        conjuncts.iter().partition(|c| c.fields().iter().all(|f| STATISTICS.contains(f)));
    let mut bound = params.clone();
    let mut inner: Vec<String> = on_statistics.iter().filter_map(|c| statistics_range(c, clock, &mut bound)).collect();
    if inner.is_empty() {
        return None;
    }
    *params = bound;
    inner.extend(on_statistics.iter().map(|c| compile(c, clock, params)));
    let outer: Vec<String> = rest.iter().map(|c| compile(c, clock, params)).collect();
    let joined = with_statistics || rest.iter().any(|c| c.fields().iter().any(|f| STATISTICS.contains(f)));
    let statistics =
        if joined { " LEFT JOIN customer_stats s ON s.tenant_id = c.tenant_id AND s.customer_id = c.id" } else { "" };
    let rest = if outer.is_empty() { String::new() } else { format!(" AND {}", outer.join(" AND ")) };
    Some(format!(
        "FROM customers c{statistics}
         WHERE c.tenant_id = $1 AND c.id IN (SELECT s.customer_id FROM customer_stats s WHERE s.tenant_id = $1 AND {})
           AND c.merged_into IS NULL{rest}",
        inner.join(" AND ")
    ))
}

/// The tests every match must pass: the members of a top-level `all` (and of `all`s inside it),
/// or the rule itself when it is not an `all`.
fn top_conjuncts(rule: &Condition) -> Vec<&Condition> {
    match rule {
        Condition::All(cs) => cs.iter().flat_map(top_conjuncts).collect(),
        other => vec![other],
    }
}

/// A plain condition on the statistics columns that `test` implies, if it implies one an index
/// can serve: the time of the last purchase in a window (the test itself), or a least net spend
/// or invoice count (net spend is gross spend less refunds, which are never negative, so at least
/// X net means at least X gross).
fn statistics_range(test: &Condition, clock: &Clock, params: &mut Vec<Val>) -> Option<String> {
    let Condition::Test { field, op, operand, .. } = test else { return None };
    let column = match field.as_str() {
        "last_purchase_at" if *op == Op::Exists => return Some("s.last_purchase_at IS NOT NULL".into()),
        "last_purchase_at" => return instant_test("s.last_purchase_at", *op, operand, clock, params),
        "spend" => "s.gross_spend",
        "invoices" => "s.invoice_count",
        _ => return None,
    };
    let (cmp, least) = match (op, operand) {
        (Op::Gte | Op::Eq, Operand::One(n @ Value::Num(_))) => (">=", n),
        (Op::Gt, Operand::One(n @ Value::Num(_))) => (">", n),
        (Op::Between, Operand::Many(vs)) => match vs.first() {
            Some(n @ Value::Num(_)) => (">=", n),
            _ => return None,
        },
        _ => return None,
    };
    Some(format!("{column} {cmp} {}", value(params, least)))
}
