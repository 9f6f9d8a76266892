//! Rollups kept incrementally equal a rebuild from the facts, whatever the order and mix of
//! invoices (late ones included), refunds, events and merges. Each seed is a different random
//! workload, run on every backend.

mod common;

use philia_engine::demo::DemoRng;
use serde_json::json;

#[tokio::test]
async fn incremental_rollups_equal_a_rebuild_for_random_workloads() {
    for app in common::apps().await {
        for seed in 0..6u64 {
            let (ctx, key) = app.other_tenant(&format!("t{seed}")).await;
            let mut rng = DemoRng::new(seed);
            let mut invoices: Vec<(i64, i64)> = Vec::new();
            let mut customers: Vec<i64> = Vec::new();
            for step in 0..80 {
                let post = |path: String, body: serde_json::Value| {
                    let (app, key) = (&app, key.clone());
                    async move { app.request(reqwest::Method::POST, &path, Some(&key), Some(body)).await }
                };
                match rng.below(10) {
                    0..=4 => {
                        let n = 1 + rng.below(4);
                        let list: Vec<_> = (0..n)
                            .map(|k| {
                                let who = rng.below(12);
                                let customer = match rng.below(3) {
                                    0 => json!({"mobile": format!("0912000{who:04}")}),
                                    1 => json!({"email": format!("c{who}@example.com")}),
                                    _ => json!({"mobile": format!("0912000{who:04}"), "email": format!("c{}@example.com", rng.below(12))}),
                                };
                                let status = ["completed", "completed", "completed", "pending"][rng.below(4) as usize];
                                let category = ["a", "b", "c"][rng.below(3) as usize];
                                json!({
                                    "external_id": format!("{step}-{k}-{}", rng.below(3)),
                                    "issued_at": format!("2025-{:02}-{:02}T{:02}:30:00Z", 1 + rng.below(12), 1 + rng.below(28), rng.below(24)),
                                    "customer": customer,
                                    "status": status,
                                    "lines": [{"sku": format!("S{}", rng.below(5)), "category": category, "quantity": 1 + rng.below(3), "unit_price": 1000 * (1 + rng.below(50))}]
                                })
                            })
                            .collect();
                        let r = post("/api/v1/invoices/batch".into(), json!({"invoices": list})).await;
                        for item in r.body["results"].as_array().unwrap() {
                            if let (Some(id), Some(c)) = (item["id"].as_i64(), item["customer_id"].as_i64()) {
                                invoices.push((id, c));
                                customers.push(c);
                            }
                        }
                    }
                    5 | 6 if !invoices.is_empty() => {
                        let (id, _) = invoices[rng.below(invoices.len() as u64) as usize];
                        let amount = if rng.below(2) == 0 { json!(null) } else { json!(1 + rng.below(20_000)) };
                        post(
                            format!("/api/v1/invoices/{id}/refunds"),
                            json!({"external_id": format!("r{step}"), "amount": amount, "refunded_at": "2025-12-30T10:00:00Z"}),
                        )
                        .await;
                    }
                    7 | 8 => {
                        let who = rng.below(12);
                        let kind = ["club_login", "club_logout", "page_view"][rng.below(3) as usize];
                        post("/api/v1/events".into(), json!({"event_id": format!("e{}", rng.below(40)), "type": kind, "occurred_at": format!("2025-{:02}-10T10:00:00Z", 1 + rng.below(12)), "customer": {"mobile": format!("0912000{who:04}")}})).await;
                    }
                    _ if customers.len() >= 2 => {
                        let a = customers[rng.below(customers.len() as u64) as usize];
                        let b = customers[rng.below(customers.len() as u64) as usize];
                        post(format!("/api/v1/customers/{a}/merge"), json!({"merge_id": b})).await;
                    }
                    _ => {}
                }
            }
            let incremental = app.engine.store.rollup_snapshot(ctx.id).await.unwrap();
            assert!(incremental.len() > 20, "the workload produced rollups");
            app.engine.rebuild(&ctx).await.unwrap();
            let rebuilt = app.engine.store.rollup_snapshot(ctx.id).await.unwrap();
            if incremental != rebuilt {
                let only_inc: Vec<_> = incremental.iter().filter(|l| !rebuilt.contains(l)).collect();
                let only_reb: Vec<_> = rebuilt.iter().filter(|l| !incremental.contains(l)).collect();
                panic!("{} seed {seed}: incremental only {only_inc:#?}\nrebuild only {only_reb:#?}", app.backend);
            }
        }
        app.finish().await;
    }
}
