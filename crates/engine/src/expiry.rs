//! The expiry job: records expiries that are due and announces points about to expire, so
//! automations can remind the customer.

use crate::{Engine, Result};
use philia_domain::FieldError;
use philia_domain::event::ValidEvent;
use philia_domain::invoice::CustomerRef;
use serde::Serialize;
use std::collections::BTreeMap;

/// What one run of the job did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema, PartialEq, Eq)]
pub struct ExpiryReport {
    pub accounts: usize,
    pub warnings: usize,
}

/// The event raised once per lot when it enters its type's warning period.
pub const POINTS_EXPIRING: &str = "points_expiring";

/// Accounts handled per transaction round.
const ROUND: i64 = 500;

impl Engine {
    /// Records every expiry due by `now` (of one tenant, or of all), and raises a
    /// `points_expiring` event for each lot entering its warning period. Safe to run from
    /// several processes.
    pub async fn run_point_expiry(&self, now: i64, tenant_id: Option<i64>) -> Result<ExpiryReport> {
        let mut report = ExpiryReport::default();
        loop {
            let due = self.store.accounts_with_due_lots(now, tenant_id, ROUND).await?;
            if due.is_empty() {
                break;
            }
            for (tenant_id, customer_id, point_type_id) in due {
                let ctx = self.tenant_by_id(tenant_id).await?;
                in_write_tx!(self, |conn| {
                    async {
                        // Opening the account records its due expiries.
                        let open = self.open_account(conn, &ctx, customer_id, point_type_id, now).await?;
                        self.close_account(conn, &ctx, open).await
                    }
                    .await
                })?;
                report.accounts += 1;
            }
        }
        loop {
            let mut tx = self.store.begin_write().await?;
            let lots = self.store.lots_to_warn(&mut tx, now, tenant_id, ROUND).await?;
            if lots.is_empty() {
                break;
            }
            let at = jiff::Timestamp::from_millisecond(now).expect("now is a valid instant");
            let mut by_tenant: BTreeMap<i64, Vec<std::result::Result<ValidEvent, Vec<FieldError>>>> = BTreeMap::new();
            for lot in &lots {
                by_tenant.entry(lot.tenant_id).or_default().push(Ok(ValidEvent {
                    event_key: Some(format!("{POINTS_EXPIRING}:{}", lot.lot_id)),
                    event_type: POINTS_EXPIRING.into(),
                    occurred_at: at,
                    source: "philia".into(),
                    customer: Some(CustomerRef::by_id(lot.customer_id)),
                    properties: serde_json::json!({
                        "point_type": lot.point_type,
                        "points": lot.remaining,
                        "expires_at": philia_store::bulk::ts(lot.expires_at),
                    })
                    .to_string(),
                }));
            }
            // Through the event recorder, so the events' rollups stay exact.
            for (tenant_id, events) in by_tenant {
                let ctx = self.tenant_by_id(tenant_id).await?;
                self.write_events_in(&mut tx, &ctx, &events).await?;
            }
            let marked: Vec<(i64, i64)> = lots.iter().map(|l| (l.tenant_id, l.lot_id)).collect();
            self.store.mark_warned(&mut tx, &marked).await?;
            philia_store::commit(tx).await?;
            report.warnings += lots.len();
        }
        Ok(report)
    }
}
