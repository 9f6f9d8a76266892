//! Loyalty benchmarks:
//! - `earning`: batch ingestion into tenants with 20 active earning rules against the same
//!   ingestion into tenants without rules, taking turns in one run on one database.
//! - `codes`: bulk generation of unique discount codes, beside generating them in memory only.
//! - `latency`: redeem and checkout-quote latency at a fixed request rate on loopback, measured
//!   open-loop from each request's scheduled start (so a slow answer delays no later request's
//!   clock); the quote is also measured with `hey` when it is installed.

use crate::bench::{Dating, post_invoices, round, start_server};
use anyhow::{Context, Result};
use philia_domain::discounts::{PromotionInput, generate_codes};
use philia_domain::earning::RuleInput;
use philia_domain::invoice::{CustomerRefInput, InvoiceInput, LineInput};
use philia_domain::rewards::{RewardInput, RewardKind};
use philia_domain::tenant::NewTenant;
use philia_engine::demo::{Demo, DemoSpec};
use philia_engine::promotions::GenerateInput;
use philia_engine::{Engine, TenantContext};
use rand::RngCore;
use serde_json::json;
use std::time::{Duration, Instant};

pub(crate) async fn tenant(engine: &Engine, slug: &str) -> Result<TenantContext> {
    engine
        .create_tenant(NewTenant::parse(slug, "bench", None, None, None).map_err(|e| crate::explain(e.into()))?)
        .await
        .map_err(crate::explain)?;
    engine.tenant(slug).await.map_err(crate::explain)
}

/// Twenty rules of the kinds a real programme has: a base rate, category and channel
/// multipliers, time windows, minimums, a first-purchase bonus, capped promotions.
fn twenty_rules() -> Vec<RuleInput> {
    let categories =
        ["coffee", "cake", "shoes", "makeup", "perfume", "skincare", "fashion-women", "fashion-men", "cold-drinks", "beauty"];
    let mut rules = vec![serde_json::from_value::<RuleInput>(json!({
        "name": "base", "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 10000, "starts_at": "2000-01-01",
        "line_multipliers": [{"category": "coffee", "factor": 2}, {"category": "perfume", "factor": 1.5}],
        "multipliers": [{"when": {"field": "invoice.channel", "op": "eq", "value": "online"}, "factor": 1.2}]
    }))
    .expect("a valid rule")];
    rules.push(
        serde_json::from_value(json!({"name": "first purchase", "trigger": "invoice", "point_type": "purchase", "points": 50, "starts_at": "2000-01-01",
            "condition": {"field": "customer.previous_invoices", "op": "eq", "value": 0}}))
        .expect("a valid rule"),
    );
    for (i, c) in categories.iter().enumerate() {
        rules.push(
            serde_json::from_value(json!({"name": format!("{c} bonus"), "trigger": "invoice", "point_type": "purchase", "points": 5 + i as i64,
                "starts_at": "2000-01-01", "min_amount": 50000,
                "condition": {"all": [{"field": "invoice.categories", "op": "contains", "value": c}, {"field": "invoice.hour", "op": "between", "value": [8, 22]}]},
                "caps": {"per_day": 20}}))
            .expect("a valid rule"),
        );
    }
    for (i, day) in ["saturday", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"].iter().enumerate()
    {
        rules.push(
            serde_json::from_value(json!({"name": format!("{day} {i}"), "trigger": "invoice", "point_type": "purchase", "points": 1, "per_amount": 50000,
                "starts_at": "2000-01-01",
                "condition": {"any": [{"field": "invoice.weekday", "op": "eq", "value": day}, {"field": "invoice.total", "op": "gte", "value": 5000000}]},
                "caps": {"per_invoice": 100, "per_month": 500}}))
            .expect("a valid rule"),
        );
    }
    rules
}

/// The tenants without rules and with them take turns in the order without, with, with,
/// without, so the database growing under the runs weighs on both sides alike.
pub async fn earning(database_url: &str, invoices: u64, customers: u64, batch: u64, clients: usize, rules: usize) -> Result<()> {
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let engine = crate::open(database_url).await?;
    let pid = std::process::id();
    let rule_inputs: Vec<RuleInput> = twenty_rules().into_iter().take(rules).collect();
    let mut keys = Vec::new();
    for (n, ruled) in [false, true, true, false].into_iter().enumerate() {
        let ctx = tenant(&engine, &format!("bench-{}-{n}-{pid}", if ruled { "rules" } else { "plain" })).await?;
        if ruled {
            for r in &rule_inputs {
                engine.create_rule(&ctx, r, "bench").await.map_err(crate::explain)?;
            }
        }
        keys.push((ruled, engine.create_api_key(&ctx, "integration", None).await.map_err(crate::explain)?.key));
    }
    let demo = std::sync::Arc::new(Demo::new(DemoSpec { customers, invoices, seed: 42, end: jiff::civil::date(2026, 3, 1) }));
    let (mut plain_secs, mut ruled_secs, mut peak_rss) = (0.0, 0.0, 0.0_f64);
    let mut rates = Vec::new();
    for (ruled, key) in &keys {
        eprintln!("{}…", if *ruled { format!("with {rules} rules") } else { "without rules".to_string() });
        let (secs, rss) = post_invoices(database_url, key, demo.clone(), invoices, batch, clients, Dating::History).await?;
        *(if *ruled { &mut ruled_secs } else { &mut plain_secs }) += secs;
        peak_rss = peak_rss.max(rss);
        rates.push(round(invoices as f64 / secs));
    }
    println!(
        "{}",
        json!({
            "bench": "earning", "backend": backend, "invoices": invoices, "customers": customers, "rules": rules,
            "without_rules_invoices_per_s": round(2.0 * invoices as f64 / plain_secs),
            "with_rules_invoices_per_s": round(2.0 * invoices as f64 / ruled_secs),
            "ratio": round(plain_secs / ruled_secs), "runs_invoices_per_s_without_with_with_without": rates,
            "server_peak_rss_mib": round(peak_rss),
        })
    );
    Ok(())
}

pub async fn codes(database_url: &str, count: usize) -> Result<()> {
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let engine = crate::open(database_url).await?;
    let ctx = tenant(&engine, &format!("bench-codes-{}", std::process::id())).await?;
    let promotion: PromotionInput =
        serde_json::from_value(json!({"code": "bench", "name": "bench", "discount": "percent", "value": 10})).expect("valid");
    engine.create_promotion(&ctx, &promotion).await.map_err(crate::explain)?;
    let started = Instant::now();
    let in_memory = generate_codes(count, "BN-", 10, |b| rand::rng().fill_bytes(b));
    let generate_secs = started.elapsed().as_secs_f64();
    drop(in_memory);
    let started = Instant::now();
    let out = engine
        .generate_codes(&ctx, "bench", &GenerateInput { count, prefix: Some("BN-".into()), length: Some(10) })
        .await
        .map_err(crate::explain)?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(out.created == count, "created {} of {count}", out.created);
    println!(
        "{}",
        json!({
            "bench": "codes", "backend": backend, "codes": count, "seconds": round(secs), "codes_per_s": round(count as f64 / secs),
            "in_memory_generation_seconds": round(generate_secs),
        })
    );
    Ok(())
}

/// Customers with one invoice each (mobiles 0919…), in order; the tenant's rules decide their
/// points.
pub(crate) async fn seed_customers(engine: &Engine, ctx: &TenantContext, customers: u64) -> Result<Vec<i64>> {
    eprintln!("seeding {customers} customers with points…");
    let now = jiff::Timestamp::now().to_string();
    let seed: Vec<InvoiceInput> = (0..customers)
        .map(|i| InvoiceInput {
            source: None,
            external_id: format!("seed-{i}"),
            issued_at: now.clone(),
            customer: Some(CustomerRefInput { mobile: Some(format!("0919{i:07}")), ..Default::default() }),
            channel: None,
            branch: None,
            status: None,
            currency: None,
            lines: vec![LineInput { sku: Some("SEED".into()), unit_price: 1000, ..Default::default() }],
            discount: None,
            shipping: None,
            total: None,
            checkout: None,
        })
        .collect();
    let mut ids = Vec::with_capacity(customers as usize);
    for chunk in seed.chunks(5000) {
        for r in engine.record_invoices(ctx, chunk).await.map_err(crate::explain)? {
            ids.push(r.customer_id.context("seeded invoices have customers")?);
        }
    }
    Ok(ids)
}

/// Latency percentiles in milliseconds of `n` requests made at `rate` per second by `make`.
///
/// Each request's clock starts at its scheduled instant, so a late answer cannot hide the queue
/// behind it. The instants are kept by a thread of their own that sleeps until each one and then
/// hands its number to this task: tokio's timer fires on whole milliseconds, which would send
/// each request up to a millisecond after its instant and count that delay of the client's
/// against the server. How late the client itself sent is reported as `sent_late_*`.
pub(crate) async fn open_loop<F, Fut>(rate: u64, seconds: u64, make: F) -> Result<serde_json::Value>
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = Result<reqwest::StatusCode>> + Send + 'static,
{
    let n = rate * seconds;
    let start = Instant::now() + Duration::from_millis(50);
    let instant = move |i: u64| start + Duration::from_nanos(i * 1_000_000_000 / rate);
    let (due, mut ticks) = tokio::sync::mpsc::unbounded_channel();
    let pacer = std::thread::spawn(move || {
        for i in 0..n {
            if let Some(wait) = instant(i).checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if due.send(i).is_err() {
                break;
            }
        }
    });
    let mut tasks = Vec::with_capacity(n as usize);
    let mut late = Vec::with_capacity(n as usize);
    while let Some(i) = ticks.recv().await {
        let at = instant(i);
        late.push(at.elapsed().as_micros() as u64);
        let request = make(i);
        tasks.push(tokio::spawn(async move {
            let status = request.await;
            (at.elapsed(), status)
        }));
    }
    pacer.join().map_err(|_| anyhow::anyhow!("the pacing thread failed"))?;
    let mut micros = Vec::with_capacity(tasks.len());
    let mut failed = 0;
    for t in tasks {
        let (took, status) = t.await?;
        if !matches!(status, Ok(s) if s.is_success()) {
            failed += 1;
        }
        micros.push(took.as_micros() as u64);
    }
    let achieved = n as f64 / (start.elapsed().as_secs_f64());
    let (micros, late) = (Percentiles::of(micros), Percentiles::of(late));
    Ok(json!({
        "requests": n, "failed": failed, "achieved_rate": round(achieved),
        "p50_ms": micros.ms(0.50), "p90_ms": micros.ms(0.90), "p99_ms": micros.ms(0.99), "max_ms": micros.ms(1.0),
        "sent_late_p50_ms": late.ms(0.50), "sent_late_p99_ms": late.ms(0.99),
    }))
}

/// Durations in microseconds, sorted, read as percentiles in milliseconds.
struct Percentiles(Vec<u64>);

impl Percentiles {
    fn of(mut micros: Vec<u64>) -> Self {
        micros.sort_unstable();
        Percentiles(micros)
    }

    /// The smallest value at or above fraction `p` of them (nearest rank).
    fn ms(&self, p: f64) -> f64 {
        let n = self.0.len();
        if n == 0 {
            return 0.0;
        }
        round(self.0[((n as f64 * p).ceil() as usize).clamp(1, n) - 1] as f64 / 1000.0)
    }
}

fn quote_body(i: u64, customers: u64) -> serde_json::Value {
    json!({
        "customer": {"mobile": format!("0919{:07}", i % customers)},
        "lines": [{"sku": "CF-LAT-01", "category": "coffee", "quantity": 2, "unit_price": 120000}, {"sku": "CK-01", "category": "cake", "quantity": 1, "unit_price": 90000}],
        "points": {"point_type": "purchase", "points": 100},
        "codes": ["BENCH10"]
    })
}

pub async fn latency(database_url: &str, rate: u64, seconds: u64, customers: u64) -> Result<()> {
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let engine = crate::open(database_url).await?;
    let ctx = tenant(&engine, &format!("bench-latency-{}", std::process::id())).await?;
    let key = engine.create_api_key(&ctx, "admin", None).await.map_err(crate::explain)?.key;
    let purchase: philia_domain::points::PointTypeInput =
        serde_json::from_value(json!({"code": "purchase", "name": "purchase", "expiry": {"kind": "never"}, "cash_value": 100}))
            .expect("valid");
    engine.update_point_type(&ctx, "purchase", &purchase).await.map_err(crate::explain)?;
    let rule: RuleInput = serde_json::from_value(
        json!({"name": "seed", "trigger": "invoice", "point_type": "purchase", "points": 1000000, "starts_at": "2000-01-01"}),
    )
    .expect("valid");
    engine.create_rule(&ctx, &rule, "bench").await.map_err(crate::explain)?;
    for r in twenty_rules().iter().skip(1) {
        engine.create_rule(&ctx, r, "bench").await.map_err(crate::explain)?;
    }
    let promotion: PromotionInput = serde_json::from_value(
        json!({"code": "bench", "name": "bench", "discount": "percent", "value": 10, "shared_code": "BENCH10"}),
    )
    .expect("valid");
    engine.create_promotion(&ctx, &promotion).await.map_err(crate::explain)?;
    let reward = RewardInput {
        code: "credit".into(),
        name: "credit".into(),
        description: None,
        kind: RewardKind::WalletCredit { amount: 1000 },
        point_type: "purchase".into(),
        cost: 10,
        stock: None,
        per_customer_limit: None,
        tiers: None,
        segments: None,
        available_from: None,
        available_until: None,
        active: None,
    };
    engine.create_reward(&ctx, &reward).await.map_err(crate::explain)?;
    let ids = seed_customers(&engine, &ctx, customers).await?;
    engine.store.close().await;
    let (_server, port) = start_server(database_url).await?;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    // Warm the connection pool and the caches before measuring.
    for i in 0..200 {
        client.post(format!("{base}/checkout/quote")).bearer_auth(&key).json(&quote_body(i, customers)).send().await?;
    }
    let ids = std::sync::Arc::new(ids);
    eprintln!("redeem at {rate}/s for {seconds}s…");
    let redeem = open_loop(rate, seconds, |i| {
        let (client, key, url) = (
            client.clone(),
            key.clone(),
            format!("{base}/customers/{}/rewards/credit/redeem", ids[(i % ids.len() as u64) as usize]),
        );
        async move {
            Ok(client.post(url).bearer_auth(key).json(&json!({"idempotency_key": format!("bench-{i}")})).send().await?.status())
        }
    })
    .await?;
    eprintln!("quote at {rate}/s for {seconds}s…");
    let quote = open_loop(rate, seconds, |i| {
        let (client, key, url) = (client.clone(), key.clone(), format!("{base}/checkout/quote"));
        async move { Ok(client.post(url).bearer_auth(key).json(&quote_body(i, customers)).send().await?.status()) }
    })
    .await?;
    let hey = hey_quote(&base, &key, rate, seconds, customers);
    println!(
        "{}",
        json!({"bench": "latency", "backend": backend, "rate": rate, "seconds": seconds, "customers": customers, "rules": 20,
            "redeem": redeem, "quote": quote, "quote_by_hey": hey})
    );
    Ok(())
}

/// The quote measured by `hey` (Debian) at the same rate: 10 workers of rate/10 each.
fn hey_quote(base: &str, key: &str, rate: u64, seconds: u64, customers: u64) -> serde_json::Value {
    let body = quote_body(1, customers).to_string();
    let out = std::process::Command::new("hey")
        .args(["-z", &format!("{seconds}s"), "-c", "10", "-q", &(rate / 10).to_string(), "-m", "POST", "-T", "application/json"])
        .args(["-H", &format!("Authorization: Bearer {key}"), "-d", &body, &format!("{base}/checkout/quote")])
        .output();
    let Ok(out) = out else { return json!("hey is not installed") };
    let text = String::from_utf8_lossy(&out.stdout);
    let find = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .and_then(|l| l.split_whitespace().nth(2))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|s| round(s * 1000.0))
    };
    let rps = text
        .lines()
        .find(|l| l.contains("Requests/sec"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok());
    json!({"p50_ms": find("50%"), "p90_ms": find("90%"), "p99_ms": find("99%"), "requests_per_s": rps})
}
