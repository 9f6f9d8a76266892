//! WooCommerce webhook benchmark, over HTTP on this machine: a flood of signed order
//! deliveries at a fixed rate (open loop), how long the shop waits for each answer, and how soon
//! the queue has applied them all; beside the JSON invoice API recording the same sales at the
//! same rate, measured in the same run. Goals: every answer well within WooCommerce's patience
//! (≤ 1 s), and 10,000 deliveries in a minute absorbed.

use crate::bench::round;
use crate::bench_loyalty::open_loop;
use anyhow::Result;
use philia_domain::tenant::NewTenant;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// Order `n` as WooCommerce sends it: placed, or (`refunded`) updated an hour later with a
/// partial refund.
fn order(n: u64, refunded: bool) -> serde_json::Value {
    let customer = n % 5_000;
    json!({
        "id": 100_000 + n, "status": "processing", "currency": "IRT",
        "date_created_gmt": "2026-11-01T10:00:00", "date_paid_gmt": "2026-11-01T10:00:05",
        "date_modified_gmt": if refunded { "2026-11-01T11:00:00" } else { "2026-11-01T10:00:05" },
        "total": "1290000", "shipping_total": "90000", "shipping_tax": "0", "customer_id": 0,
        "billing": {"first_name": "سارا", "last_name": "احمدی", "phone": format!("0935{customer:07}"), "email": ""},
        "line_items": [
            {"id": 1, "name": "مانتو", "product_id": 12, "variation_id": 0, "quantity": 2, "subtotal": "900000", "subtotal_tax": "0", "total": "900000", "total_tax": "0", "sku": "MNT-1", "price": 450000},
            {"id": 2, "name": "شال", "product_id": 13, "variation_id": 0, "quantity": 1, "subtotal": "300000", "subtotal_tax": "0", "total": "300000", "total_tax": "0", "sku": "SHL-1", "price": 300000}
        ],
        "refunds": if refunded { json!([{"id": 900_000 + n, "reason": "", "total": "-300000"}]) } else { json!([]) }
    })
}

fn invoice(n: u64) -> serde_json::Value {
    let customer = n % 5_000;
    json!({
        "source": "shop", "external_id": (100_000 + n).to_string(), "issued_at": "2026-11-01T10:00:05Z", "channel": "online",
        "customer": {"mobile": format!("0935{customer:07}"), "first_name": "سارا", "last_name": "احمدی"},
        "lines": [{"sku": "MNT-1", "product_name": "مانتو", "quantity": 2, "unit_price": 450000}, {"sku": "SHL-1", "product_name": "شال", "unit_price": 300000}],
        "shipping": 90000, "total": 1290000
    })
}

pub async fn hooks(database_url: &str, rate: u64, seconds: u64) -> Result<()> {
    let engine = crate::open(database_url).await?;
    let pid = std::process::id();
    let mut tenants = Vec::new();
    for name in ["hooks", "api"] {
        let slug = format!("bench-{name}-{pid}");
        engine
            .create_tenant(NewTenant::parse(&slug, "bench", None, None, None).map_err(|e| crate::explain(e.into()))?)
            .await
            .map_err(crate::explain)?;
        tenants.push(engine.tenant(&slug).await.map_err(crate::explain)?);
    }
    let input =
        philia_domain::connections::ConnectionInput { kind: "woocommerce".into(), code: "shop".into(), ..Default::default() };
    let secret = Arc::new(engine.create_connection(&tenants[0], &input).await.map_err(crate::explain)?.secret);
    let key = Arc::new(engine.create_api_key(&tenants[1], "integration", Some("bench")).await.map_err(crate::explain)?.key);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = philia_web::AppState::new(engine.clone(), None);
    tokio::spawn(philia_web::serve(state, listener));
    tokio::spawn(engine.clone().run_inbound());
    if engine.store.backend() == philia_engine::Backend::Postgres {
        // This machine's PostgreSQL runs without autovacuum, whose analysis keeps the planner's
        // picture of the growing tables current in production; refresh it the same way.
        let store = engine.store.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                let _ = store.analyze().await;
            }
        });
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    let n = rate * seconds;

    eprintln!("{n} deliveries at {rate}/s: each order placed, then updated with a refund…");
    let url = Arc::new(format!("{base}/hooks/woocommerce/{}/shop", tenants[0].slug));
    let started = Instant::now();
    let hooks = open_loop(rate, seconds, |i| {
        // Deliveries alternate: order i/2 placed, then the same order refunded.
        let body = serde_json::to_vec(&order(i / 2, i % 2 == 1)).expect("serialises");
        let signature = philia_domain::woocommerce::sign(&body, &secret);
        let (client, url) = (client.clone(), url.clone());
        async move {
            let res = client
                .post(url.as_str())
                .header("x-wc-webhook-topic", "order.updated")
                .header("x-wc-webhook-signature", signature)
                .body(body)
                .send()
                .await?;
            Ok(res.status())
        }
    })
    .await?;
    let accepted_secs = started.elapsed().as_secs_f64();
    // Done when nothing is queued or being applied.
    let view = loop {
        let view = engine.connection(&tenants[0], "shop").await.map_err(crate::explain)?;
        if !view.deliveries.iter().any(|(status, _)| status == "queued" || status == "processing") {
            break view;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let applied_secs = started.elapsed().as_secs_f64();
    eprintln!("hooks: {hooks}; all applied {applied_secs:.1} s after the first; deliveries {:?}", view.deliveries);

    eprintln!("baseline: the same {} sales through POST /api/v1/invoices at {}/s…", n / 2, rate / 2);
    let api_url = Arc::new(format!("{base}/api/v1/invoices"));
    let baseline = open_loop(rate / 2, seconds, |i| {
        let (client, url, key) = (client.clone(), api_url.clone(), key.clone());
        async move { Ok(client.post(url.as_str()).bearer_auth(key.as_str()).json(&invoice(i)).send().await?.status()) }
    })
    .await?;
    eprintln!("baseline: {baseline}");
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    println!(
        "{}",
        json!({"bench": "hooks", "backend": backend, "deliveries": n, "rate": rate,
            "hooks": hooks, "accepted_seconds": round(accepted_secs), "all_applied_seconds": round(applied_secs),
            "applied_per_s": round(n as f64 / applied_secs), "deliveries_by_status": view.deliveries,
            "baseline_invoice_api": baseline})
    );
    Ok(())
}
