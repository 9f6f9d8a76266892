//! Customers' data rights: everything held about a customer in one document (JSON, or CSV
//! rows), and erasure that removes the person while the facts, the ledger and every figure
//! built on them stay exactly as they were.

use crate::audit::{AuditEntry, AuditQuery};
use crate::customers::TimelineItem;
use crate::message_queue::MessageRecord;
use crate::missions::CustomerMission;
use crate::tenancy::TenantContext;
use crate::{Engine, EngineError, Result, now_ms};
use philia_domain::calendar::from_millis;
use philia_domain::records::{Customer, LedgerEntry, PointBalance, Redemption, ReferralInfo, WalletEntry};
use serde::Serialize;

/// The most items of one kind an export reads (a customer past this has more history than any
/// person asking for their data could read; the figure is stated in the export).
const EXPORT_LIMIT: i64 = 1_000_000;

/// One change of a consent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsentChange {
    pub channel: String,
    pub opted_in: bool,
    pub at: String,
}

/// Everything Philia holds about one customer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerExport {
    pub exported_at: String,
    pub brand: String,
    pub customer: Customer,
    pub consent_history: Vec<ConsentChange>,
    pub point_balances: Vec<PointBalance>,
    pub point_ledger: Vec<LedgerEntry>,
    pub wallet_ledger: Vec<WalletEntry>,
    /// Purchases, refunds, events and staff notes, newest first.
    pub activity: Vec<TimelineItem>,
    pub messages: Vec<MessageRecord>,
    pub redemptions: Vec<Redemption>,
    pub missions: Vec<CustomerMission>,
    pub referrals: ReferralInfo,
    /// Changes staff and keys made to the customer's data.
    pub changes: Vec<AuditEntry>,
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Erasure {
    pub customer_id: i64,
    pub erased_at: String,
    /// False when the customer had been erased before (nothing changed).
    pub erased_now: bool,
}

impl Engine {
    /// Everything held about a customer (a merged-away id finds the survivor).
    pub async fn export_customer(&self, ctx: &TenantContext, id: i64) -> Result<CustomerExport> {
        let customer = self.customer(ctx, id).await?;
        let id = customer.id;
        let mut point_ledger = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.ledger(ctx, id, None, cursor.as_deref(), 500).await?;
            point_ledger.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut wallet_ledger = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.wallet_ledger(ctx, id, cursor.as_deref(), 500).await?;
            wallet_ledger.extend(page.items);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let mut messages: Vec<MessageRecord> = Vec::new();
        loop {
            let page = self.message_log(ctx, Some(id), None, messages.last().map(|m| m.id), 1000).await?;
            let done = page.len() < 1000;
            messages.extend(page);
            if done {
                break;
            }
        }
        let activity = self.timeline_upto(ctx, id, EXPORT_LIMIT, false).await?;
        let mut changes = Vec::new();
        let mut query =
            AuditQuery { entity: Some("customer".into()), key: Some(id.to_string()), limit: Some(200), ..Default::default() };
        loop {
            let page = self.audit_log(ctx, &query).await?;
            changes.extend(page.entries);
            match page.next {
                Some(next) => query.cursor = Some(next),
                None => break,
            }
        }
        let consent_history = {
            let mut tx = self.store.begin_read().await?;
            self.store.consent_history(&mut tx, ctx.id, id).await?
        };
        Ok(CustomerExport {
            exported_at: jiff::Timestamp::now().to_string(),
            brand: ctx.name.clone(),
            consent_history: consent_history
                .into_iter()
                .map(|c| ConsentChange { channel: c.channel, opted_in: c.opted_in, at: from_millis(c.at).to_string() })
                .collect(),
            point_balances: self.balances(ctx, id).await?,
            point_ledger,
            wallet_ledger,
            activity,
            messages,
            redemptions: self.redemptions(ctx, Some(id), None).await?,
            missions: self.customer_missions(ctx, id).await?,
            referrals: self.referral_info(ctx, id).await?,
            changes,
            customer,
        })
    }

    /// The export as CSV rows: `path,value`, one row per field.
    pub async fn export_customer_csv(&self, ctx: &TenantContext, id: i64) -> Result<String> {
        let doc = serde_json::to_value(self.export_customer(ctx, id).await?).map_err(|e| EngineError::Io(e.to_string()))?;
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["path", "value"]).map_err(|e| EngineError::Io(e.to_string()))?;
        for (path, value) in philia_domain::privacy::flatten(&doc) {
            w.write_record([path, value]).map_err(|e| EngineError::Io(e.to_string()))?;
        }
        String::from_utf8(w.into_inner().map_err(|e| EngineError::Io(e.to_string()))?).map_err(|e| EngineError::Io(e.to_string()))
    }

    /// Erases a customer's personal data: the profile's fields, identities, tags, notes' text,
    /// messages' text and addresses, sessions and the values of their audit entries. Consents
    /// become withdrawn, so nothing is sent to them again. Invoices, refunds, events, points,
    /// wallet, redemptions and plays stay under the customer's id, so balances, rollups and
    /// reports do not move. Once is enough: a repeat changes nothing.
    pub async fn erase_customer(&self, ctx: &TenantContext, id: i64, reason: Option<&str>) -> Result<Erasure> {
        let reason = philia_domain::privacy::erasure_reason(reason).map_err(|e| EngineError::field(e.at("reason")))?;
        in_write_tx!(self, |conn| async {
            let now = now_ms();
            let customer = self.live_customer(conn, ctx, id).await?;
            if let Some(at) = self.store.erasure_times(conn, ctx.id, &[customer]).await?.get(&customer) {
                return Ok(Erasure { customer_id: customer, erased_at: from_millis(*at).to_string(), erased_now: false });
            }
            let mut profile = self
                .store
                .load_profiles(conn, ctx.id, &[customer])
                .await?
                .remove(&customer)
                .ok_or(EngineError::NotFound("customer"))?;
            let addresses: Vec<String> = [profile.mobile.take(), profile.email.take()].into_iter().flatten().collect();
            for field in [
                &mut profile.first_name,
                &mut profile.last_name,
                &mut profile.gender,
                &mut profile.birth_date,
                &mut profile.province,
                &mut profile.city,
                &mut profile.address_line,
                &mut profile.postal_code,
            ] {
                *field = None;
            }
            profile.social = "{}".into();
            profile.attributes = "{}".into();
            profile.tags = "[]".into();
            profile.interests = "[]".into();
            let mut withdrawn: Vec<(i64, &str, bool)> = Vec::new();
            for (channel, opt_in, at) in [
                ("sms", &mut profile.sms_opt_in, &mut profile.sms_consent_at),
                ("email", &mut profile.email_opt_in, &mut profile.email_consent_at),
            ] {
                if *opt_in != Some(0) {
                    withdrawn.push((customer, channel, false));
                }
                *opt_in = Some(0);
                *at = Some(now);
            }
            profile.updated_at = now;
            self.store.update_profile(conn, ctx.id, &profile).await?;
            self.store.log_consents(conn, ctx.id, &withdrawn, now).await?;
            self.store.erase_customer_traces(conn, ctx.id, customer, &addresses, now).await?;
            let key = customer.to_string();
            self.store.redact_audit(conn, ctx.id, &key).await?;
            let why = serde_json::json!({ "reason": reason });
            self.audit_in(conn, ctx, "customer.erase", "customer", &key, crate::audit::NOTHING, Some(&why)).await?;
            Ok(Erasure { customer_id: customer, erased_at: from_millis(now).to_string(), erased_now: true })
        }
        .await)
    }
}
