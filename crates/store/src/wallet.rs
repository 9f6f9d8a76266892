//! The wallet: cash per customer with its own ledger.

use crate::Result;
use crate::batch::Batch;
use crate::bulk::{Val, query, ts};
use crate::db::{Conn, Store};
use philia_domain::records::WalletEntry;
use sqlx::Row;
use sqlx::any::AnyRow;

pub struct WalletRow {
    pub id: i64,
    pub customer_id: i64,
    pub kind: &'static str,
    pub amount: i64,
    pub available_at: i64,
    pub source_kind: &'static str,
    pub source_id: Option<i64>,
    pub ref_entry_id: Option<i64>,
    pub idem_key: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
    pub created_at: i64,
}

/// A credit of some source with what reversals took back from it so far.
pub struct SourceCredit {
    pub entry_id: i64,
    pub customer_id: i64,
    pub amount: i64,
    pub reversed: i64,
}

const SELECT: &str = "SELECT id, customer_id, kind, amount, available_at, source_kind, source_id, idem_key, reason, actor, created_at FROM wallet_entries";

fn entry(r: &AnyRow) -> Result<WalletEntry> {
    Ok(WalletEntry {
        id: r.try_get(0)?,
        customer_id: r.try_get(1)?,
        kind: r.try_get(2)?,
        amount: r.try_get(3)?,
        available_at: ts(r.try_get(4)?),
        source: r.try_get(5)?,
        source_id: r.try_get(6)?,
        idempotency_key: r.try_get(7)?,
        reason: r.try_get(8)?,
        actor: r.try_get(9)?,
        created_at: ts(r.try_get(10)?),
    })
}

impl Store {
    /// Makes sure the customer's wallet row exists and locks it (on PostgreSQL, until commit), in
    /// one statement; returns the balance.
    pub async fn lock_wallet(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO wallet_balances (tenant_id, customer_id, balance) VALUES ($1, $2, 0)
             ON CONFLICT (tenant_id, customer_id) DO UPDATE SET balance = wallet_balances.balance RETURNING balance",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// The balance and the credits not yet available at `now`.
    pub async fn wallet_state(&self, conn: &mut Conn, tenant_id: i64, customer_id: i64, now: i64) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COALESCE((SELECT balance FROM wallet_balances WHERE tenant_id = $1 AND customer_id = $2), 0),
                CAST(COALESCE((SELECT SUM(amount) FROM wallet_entries WHERE tenant_id = $1 AND customer_id = $2 AND available_at > $3), 0) AS BIGINT)",
        )
        .bind(tenant_id)
        .bind(customer_id)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// Writes an entry and moves the balance by its amount.
    pub async fn add_wallet_entry(&self, conn: &mut Conn, tenant_id: i64, e: &WalletRow) -> Result<()> {
        let mut b = self.batch();
        self.add_wallet_entry_into(&mut b, tenant_id, e);
        b.run(conn).await?;
        Ok(())
    }

    pub fn add_wallet_entry_into(&self, b: &mut Batch, tenant_id: i64, e: &WalletRow) {
        b.push(
            "INSERT INTO wallet_entries (tenant_id, id, customer_id, kind, amount, available_at, source_kind, source_id, ref_entry_id,
                idem_key, reason, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            vec![
                Val::I(tenant_id),
                Val::I(e.id),
                Val::I(e.customer_id),
                e.kind.into(),
                Val::I(e.amount),
                Val::I(e.available_at),
                e.source_kind.into(),
                e.source_id.into(),
                e.ref_entry_id.into(),
                e.idem_key.clone().into(),
                e.reason.clone().into(),
                e.actor.clone().into(),
                Val::I(e.created_at),
            ],
        );
        b.push(
            "INSERT INTO wallet_balances (tenant_id, customer_id, balance) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id, customer_id) DO UPDATE SET balance = wallet_balances.balance + excluded.balance",
            vec![Val::I(tenant_id), Val::I(e.customer_id), Val::I(e.amount)],
        );
    }

    /// Amounts credited so far against a wallet entry (a refunded checkout payment).
    pub async fn wallet_returned_against(&self, conn: &mut Conn, tenant_id: i64, entry_id: i64) -> Result<i64> {
        let r = sqlx::query("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM wallet_entries WHERE tenant_id = $1 AND ref_entry_id = $2 AND kind = 'refund'")
            .bind(tenant_id)
            .bind(entry_id)
            .fetch_one(&mut *conn)
            .await?;
        Ok(r.try_get(0)?)
    }

    pub async fn wallet_entry_by_key(&self, conn: &mut Conn, tenant_id: i64, key: &str) -> Result<Option<WalletEntry>> {
        let sql = format!("{SELECT} WHERE tenant_id = $1 AND idem_key = $2");
        query(sql, vec![Val::I(tenant_id), Val::T(key.into())]).fetch_optional(&mut *conn).await?.map(|r| entry(&r)).transpose()
    }

    pub async fn wallet_entries(
        &self,
        tenant_id: i64,
        customer_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<WalletEntry>> {
        let sql =
            format!("{SELECT} WHERE tenant_id = $1 AND customer_id = $2 AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant_id)
            .bind(customer_id)
            .bind(before)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(entry).collect()
    }

    /// Credits of one kind caused by a source, with what was reversed of each.
    pub async fn wallet_credits_of_source(
        &self,
        conn: &mut Conn,
        tenant_id: i64,
        kind: &str,
        source_kind: &str,
        source_id: i64,
    ) -> Result<Vec<SourceCredit>> {
        let rows = sqlx::query(
            "SELECT e.id, e.customer_id, e.amount,
                CAST(COALESCE((SELECT -SUM(r.amount) FROM wallet_entries r WHERE r.tenant_id = e.tenant_id AND r.ref_entry_id = e.id), 0) AS BIGINT)
             FROM wallet_entries e WHERE e.tenant_id = $1 AND e.kind = $2 AND e.source_kind = $3 AND e.source_id = $4 ORDER BY e.id",
        )
        .bind(tenant_id)
        .bind(kind)
        .bind(source_kind)
        .bind(source_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SourceCredit {
                    entry_id: r.try_get(0)?,
                    customer_id: r.try_get(1)?,
                    amount: r.try_get(2)?,
                    reversed: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Recomputes wallet balances from the entries.
    pub async fn rebuild_wallets(&self, conn: &mut Conn, tenant_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM wallet_balances WHERE tenant_id = $1").bind(tenant_id).execute(&mut *conn).await?;
        sqlx::query(
            "INSERT INTO wallet_balances (tenant_id, customer_id, balance)
             SELECT tenant_id, customer_id, SUM(amount) FROM wallet_entries WHERE tenant_id = $1 GROUP BY tenant_id, customer_id",
        )
        .bind(tenant_id)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Every wallet balance of a tenant as text, to compare states in tests.
    pub async fn wallets_snapshot(&self, tenant_id: i64) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT customer_id, balance FROM wallet_balances WHERE tenant_id = $1 AND balance <> 0 ORDER BY customer_id",
        )
        .bind(tenant_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| Ok(format!("{}:{}", r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?))).collect()
    }
}
