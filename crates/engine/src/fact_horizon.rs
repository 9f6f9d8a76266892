//! How far a reader that follows facts by id (automations, outgoing webhooks) may move its
//! position. Ids are drawn before their transaction commits, so a fact with a lower id can become
//! visible after one with a higher id; a position moved past the gap would never see it.
//!
//! On SQLite writers take the one write lock before drawing ids, so facts become visible in id
//! order and a reader may pass everything it sees. On PostgreSQL ids come from a sequence outside
//! any lock: the position passes only facts written before every transaction still open began
//! (such a transaction's facts are written after it began), and never facts of the last
//! [`SETTLE_MS`], which covers the moment between taking the time and beginning the transaction.
//! A transaction open longer than [`LONGEST_WAIT_MS`] is not waited for, so that a forgotten
//! session cannot hold every reader back for good.

use crate::{Engine, Result};
use philia_store::{Backend, Conn};

/// Facts this recent are read again rather than passed (PostgreSQL).
pub const SETTLE_MS: i64 = 120_000;
/// The longest an open transaction holds readers back (PostgreSQL).
pub const LONGEST_WAIT_MS: i64 = 30 * 60_000;
/// Allowance between the database's clock, which dates transactions, and the one dating facts.
const CLOCK_MARGIN_MS: i64 = 5_000;

impl Engine {
    /// Facts created before the instant returned are all visible to `conn`'s reads.
    pub(crate) async fn fact_horizon(&self, conn: &mut Conn, now: i64) -> Result<i64> {
        match self.store.backend() {
            Backend::Sqlite => Ok(i64::MAX),
            Backend::Postgres => {
                let oldest_open = self.store.oldest_open_transaction(conn).await?;
                Ok(horizon(now, oldest_open))
            }
        }
    }
}

/// The PostgreSQL horizon from the time now and the start of the oldest transaction still open.
fn horizon(now: i64, oldest_open: Option<i64>) -> i64 {
    let settled = now - SETTLE_MS;
    match oldest_open {
        Some(started) => settled.min((started - CLOCK_MARGIN_MS).max(now - LONGEST_WAIT_MS)),
        None => settled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_transaction_holds_the_horizon_back_for_a_while() {
        let now = 10_000_000_000;
        assert_eq!(horizon(now, None), now - SETTLE_MS);
        // A transaction open for a minute is inside the settling window anyway.
        assert_eq!(horizon(now, Some(now - 60_000)), now - SETTLE_MS);
        // One open for ten minutes holds readers at its start.
        assert_eq!(horizon(now, Some(now - 600_000)), now - 600_000 - CLOCK_MARGIN_MS);
        // One forgotten for hours holds them back no further than the longest wait.
        assert_eq!(horizon(now, Some(now - 5 * 3_600_000)), now - LONGEST_WAIT_MS);
    }
}
