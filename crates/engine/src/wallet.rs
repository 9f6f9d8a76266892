//! The wallet: cash credited by cashback, point conversion or staff, spent at checkout. Every
//! write locks the customer's wallet row first, so concurrent debits can never overdraw it.

use crate::customers::Page;
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use philia_domain::records::{WalletBalance, WalletEntry};
use philia_store::Conn;
use philia_store::batch::Batch;
use philia_store::wallet::WalletRow;
use serde::Deserialize;

/// A staff correction of a wallet.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalletAdjustInput {
    /// Signed amount in the tenant currency.
    pub amount: i64,
    pub reason: Option<String>,
    /// Also accepted as the `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

/// A credit or debit to write.
pub(crate) struct WalletMove<'a> {
    pub customer_id: i64,
    pub kind: &'static str,
    pub amount: i64,
    pub available_at: i64,
    pub source_kind: &'static str,
    pub source_id: Option<i64>,
    pub ref_entry_id: Option<i64>,
    pub idem_key: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<&'a str>,
}

pub(crate) fn insufficient_wallet(available: i64) -> EngineError {
    EngineError::conflict(
        "insufficient_wallet",
        format!("only {available} is available in the wallet"),
        format!("موجودی قابل استفاده کیف پول {available} است"),
    )
}

impl Engine {
    /// Writes a credit (positive) or a debit (negative). A debit may not exceed what is
    /// available unless `allow_negative` (reversals of cashback already spent).
    pub(crate) async fn move_wallet(
        &self,
        conn: &mut Conn,
        ctx: &TenantContext,
        m: WalletMove<'_>,
        allow_negative: bool,
        now: i64,
    ) -> Result<i64> {
        if m.amount < 0 && !allow_negative {
            let balance = self.store.lock_wallet(conn, ctx.id, m.customer_id).await?;
            let (_, pending) = self.store.wallet_state(conn, ctx.id, m.customer_id, now).await?;
            let available = balance - pending;
            if available < -m.amount {
                return Err(insufficient_wallet(available.max(0)));
            }
        }
        let id = self.store.allocate_ids(conn, 1).await?[0];
        let mut writes = self.store.batch();
        self.wallet_move_into(&mut writes, ctx, m, id, now);
        writes.run(conn).await?;
        Ok(id)
    }

    /// Writes a wallet move into `writes` without a check: for credits, which need no lock (the
    /// balance moves in one statement and only grows), and for debits already checked.
    pub(crate) fn wallet_move_into(&self, writes: &mut Batch, ctx: &TenantContext, m: WalletMove<'_>, id: i64, now: i64) {
        let row = WalletRow {
            id,
            customer_id: m.customer_id,
            kind: m.kind,
            amount: m.amount,
            available_at: m.available_at,
            source_kind: m.source_kind,
            source_id: m.source_id,
            ref_entry_id: m.ref_entry_id,
            idem_key: m.idem_key,
            reason: m.reason,
            actor: m.actor.map(str::to_string),
            created_at: now,
        };
        self.store.add_wallet_entry_into(writes, ctx.id, &row);
    }

    pub async fn wallet(&self, ctx: &TenantContext, customer_id: i64) -> Result<WalletBalance> {
        let mut tx = self.store.begin_read().await?;
        let id = self.live_customer(&mut tx, ctx, customer_id).await?;
        let (balance, pending) = self.store.wallet_state(&mut tx, ctx.id, id, now_ms()).await?;
        Ok(WalletBalance { balance, pending, available: (balance - pending).max(0) })
    }

    pub async fn wallet_ledger(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<WalletEntry>> {
        let limit = limit.clamp(1, 500);
        let before = crate::customers::parse_cursor(cursor)?;
        let mut tx = self.store.begin_read().await?;
        let id = self.live_customer(&mut tx, ctx, customer_id).await?;
        drop(tx);
        let mut items = self.store.wallet_entries(ctx.id, id, before, limit + 1).await?;
        let next_cursor = (items.len() as i64 > limit).then(|| items[limit as usize - 1].id.to_string());
        items.truncate(limit as usize);
        Ok(Page { items, next_cursor })
    }

    /// A staff correction with a required reason; a retry with the same key returns the first entry.
    pub async fn adjust_wallet(
        &self,
        ctx: &TenantContext,
        customer_id: i64,
        input: &WalletAdjustInput,
        header_key: Option<&str>,
        actor: &str,
    ) -> Result<(WalletEntry, bool)> {
        let (reason, key) = crate::points::correction(
            "amount",
            input.amount,
            input.reason.as_deref(),
            input.idempotency_key.as_deref(),
            header_key,
        )?;
        in_write_tx!(self, |conn| {
            async {
                if let Some(existing) = self.store.wallet_entry_by_key(conn, ctx.id, &key).await? {
                    if existing.amount != input.amount || existing.kind != "adjust" {
                        return Err(crate::points::key_reused());
                    }
                    return Ok((existing, false));
                }
                let now = now_ms();
                let customer = self.live_customer(conn, ctx, customer_id).await?;
                let m = WalletMove {
                    customer_id: customer,
                    kind: "adjust",
                    amount: input.amount,
                    available_at: now,
                    source_kind: "staff",
                    source_id: None,
                    ref_entry_id: None,
                    idem_key: Some(key.clone()),
                    reason: Some(reason.clone()),
                    actor: Some(actor),
                };
                self.move_wallet(conn, ctx, m, false, now).await?;
                let entry =
                    self.store.wallet_entry_by_key(conn, ctx.id, &key).await?.ok_or(EngineError::NotFound("wallet entry"))?;
                let who = customer.to_string();
                self.audit_in(conn, ctx, "wallet.adjust", "customer", &who, crate::audit::NOTHING, Some(&entry)).await?;
                Ok((entry, true))
            }
            .await
            .map_err(crate::points::unique_as_race)
        })
    }
}
