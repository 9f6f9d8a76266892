//! Loading a large tenant's facts straight into their tables, for the analytics benchmarks: the
//! figures measured there are reads, so the facts are written with plain multi-row INSERTs and
//! the rollups rebuilt from them in SQL, instead of going through ingestion one batch at a time.

use crate::Result;
use crate::bulk::{self, Val};
use crate::db::Store;

pub struct FactCustomer {
    pub id: i64,
    pub mobile: String,
    pub first_name: String,
    pub created_at: i64,
}

pub struct FactInvoice {
    pub id: i64,
    pub customer_id: i64,
    pub issued_at: i64,
    pub day: String,
    pub channel: String,
    pub total: i64,
    pub refunded_total: i64,
}

pub struct FactRefund {
    pub id: i64,
    pub invoice_id: i64,
    pub customer_id: i64,
    pub amount: i64,
    pub refunded_at: i64,
    pub day: String,
}

impl Store {
    pub async fn load_fact_customers(&self, tenant_id: i64, rows: &[FactCustomer]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let values = rows
            .iter()
            .map(|c| {
                vec![
                    Val::I(tenant_id),
                    Val::I(c.id),
                    Val::T(c.first_name.clone()),
                    Val::T(c.mobile.clone()),
                    Val::I(c.created_at),
                    Val::I(c.created_at),
                ]
            })
            .collect();
        bulk::insert(&mut tx, "customers", &["tenant_id", "id", "first_name", "mobile", "created_at", "updated_at"], values, "")
            .await?;
        crate::commit(tx).await
    }

    pub async fn load_fact_invoices(&self, tenant_id: i64, rows: &[FactInvoice], refunds: &[FactRefund]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let values = rows
            .iter()
            .map(|i| {
                vec![
                    Val::I(tenant_id),
                    Val::I(i.id),
                    Val::T("bench".into()),
                    Val::T(i.id.to_string()),
                    Val::T(String::new()),
                    Val::I(i.customer_id),
                    Val::I(i.issued_at),
                    Val::T(i.day.clone()),
                    Val::T(i.channel.clone()),
                    Val::T("completed".into()),
                    Val::I(i.total),
                    Val::I(0),
                    Val::I(0),
                    Val::I(i.total),
                    Val::I(i.refunded_total),
                    Val::I(i.issued_at),
                ]
            })
            .collect();
        bulk::insert(
            &mut tx,
            "invoices",
            &[
                "tenant_id",
                "id",
                "source",
                "external_id",
                "fingerprint",
                "customer_id",
                "issued_at",
                "day",
                "channel",
                "status",
                "subtotal",
                "discount",
                "shipping",
                "total",
                "refunded_total",
                "created_at",
            ],
            values,
            "",
        )
        .await?;
        let values = refunds
            .iter()
            .map(|r| {
                vec![
                    Val::I(tenant_id),
                    Val::I(r.id),
                    Val::I(r.invoice_id),
                    Val::I(r.customer_id),
                    Val::T("bench".into()),
                    Val::T(r.id.to_string()),
                    Val::I(r.amount),
                    Val::I(r.refunded_at),
                    Val::T(r.day.clone()),
                    Val::I(r.refunded_at),
                ]
            })
            .collect();
        bulk::insert(
            &mut tx,
            "refunds",
            &[
                "tenant_id",
                "id",
                "invoice_id",
                "customer_id",
                "source",
                "external_id",
                "amount",
                "refunded_at",
                "day",
                "created_at",
            ],
            values,
            "",
        )
        .await?;
        crate::commit(tx).await
    }
}
