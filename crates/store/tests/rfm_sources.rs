//! The population's RFM inputs read as packed lists, chunk by chunk, are exactly the rows the
//! row-by-row read gives: same customers, same order, same figures, fully refunded customers and
//! other tenants left out.

use philia_store::commit;
use philia_store::rfm::RfmSource;

mod common;
use common::stores;

#[tokio::test]
async fn packed_chunks_read_what_rows_read() {
    for (store, _dir) in stores().await {
        store.migrate().await.unwrap();
        // A tenant id no other test uses; its rows are deleted at the end.
        let tenant = 9_000_000_000 + i64::from(std::process::id());
        let other = tenant + 1;
        let mut tx = store.begin_write().await.unwrap();
        // (customer, last purchase, invoices, refunded invoices, gross, refunds)
        let rows: [(i64, i64, i64, i64, i64, i64); 7] = [
            (5, 1_700_000_000_000, 3, 0, 90_000, 0),
            (2, 1_690_000_000_000, 1, 0, 10_000, 2_500),
            (9, 1_600_000_000_000, 2, 2, 40_000, 40_000), // every invoice refunded: out
            (11, 1_710_000_000_000, 7, 1, 700_000, 100_000),
            (-3, -86_400_000, 1, 0, 0, 0),
            (41, 1_000, 4, 3, 1_000_000_000_000, 999_999_999_999),
            (77, 1, 1, 1, 1, 1), // out
        ];
        for (customer, last, invoices, refunded, gross, refunds) in rows {
            for t in [tenant, other] {
                sqlx::query(
                    "INSERT INTO customer_stats (tenant_id, customer_id, last_purchase_at, invoice_count, gross_spend, refund_total,
                        refund_count, refunded_invoice_count, event_count) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 0)",
                )
                .bind(t)
                .bind(if t == tenant { customer } else { customer + 1000 })
                .bind(last)
                .bind(invoices)
                .bind(gross)
                .bind(refunds)
                .bind(refunded)
                .execute(&mut *tx)
                .await
                .unwrap();
            }
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
        let mut by_rows: Vec<RfmSource> = store.rfm_sources_of(&mut tx, tenant, &ids).await.unwrap();
        by_rows.sort_by_key(|s| s.customer_id);
        let mut expected: Vec<RfmSource> = rows
            .iter()
            .filter(|r| r.2 > r.3)
            .map(|r| RfmSource { customer_id: r.0, last_purchase_at: r.1, invoices: r.2, net_spend: r.4 - r.5 })
            .collect();
        expected.sort_by_key(|s| s.customer_id);
        assert_eq!(by_rows, expected, "{:?}", store.backend());
        for chunk in [1, 2, 3, 6, 7, 100] {
            let packed = store.rfm_sources_in_chunks(&mut tx, tenant, (i64::MIN, i64::MAX), chunk).await.unwrap();
            assert_eq!(packed, expected, "chunks of {chunk} on {:?}", store.backend());
        }
        let middle = store.rfm_sources_in_chunks(&mut tx, tenant, (2, 11), 2).await.unwrap();
        assert_eq!(middle, expected.iter().filter(|s| s.customer_id > 2 && s.customer_id <= 11).copied().collect::<Vec<_>>());
        assert_eq!(store.rfm_sources(&mut tx, tenant).await.unwrap(), expected);
        assert!(store.rfm_sources(&mut tx, tenant + 2).await.unwrap().is_empty());
        commit(tx).await.unwrap();
        // Side by side, in any number of parts, on connections of their own (so after the commit).
        for parts in [1, 2, 3, 5, 40] {
            assert_eq!(store.rfm_sources_side_by_side(tenant, parts).await.unwrap(), expected, "{parts} parts");
        }
        assert!(store.rfm_sources_side_by_side(tenant + 2, 2).await.unwrap().is_empty());
        let mut tx = store.begin_write().await.unwrap();
        sqlx::query("DELETE FROM customer_stats WHERE tenant_id IN ($1, $2)")
            .bind(tenant)
            .bind(other)
            .execute(&mut *tx)
            .await
            .unwrap();
        commit(tx).await.unwrap();
        store.close().await;
    }
}
