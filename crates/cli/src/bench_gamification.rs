//! Gamification benchmarks.
//!
//! `bench missions`: batch invoice ingestion into a tenant with 20 active missions (the eight
//! templates and twelve more of every goal kind) against the same ingestion into a tenant
//! without missions, in one run on one database.
//!
//! `bench games`: the latency of playing a wheel of fortune (points paid, a stocked prize and a
//! prize with a daily limit, so every play takes the stock lock) at a fixed request rate on
//! loopback, beside redeeming a wallet-credit reward — the nearest transaction of the same
//! shape — at the same rate in the same run. Both are measured open-loop.

use crate::bench::{Dating, post_invoices, round, start_server};
use crate::bench_loyalty::{open_loop, seed_customers, tenant};
use anyhow::Result;
use philia_domain::earning::RuleInput;
use philia_domain::games::GameInput;
use philia_domain::missions::MissionInput;
use philia_domain::rewards::RewardInput;
use philia_engine::demo::{Demo, DemoSpec};
use serde_json::json;

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).expect("a valid bench definition")
}

pub async fn games(database_url: &str, rate: u64, seconds: u64, customers: u64) -> Result<()> {
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let engine = crate::open(database_url).await?;
    let ctx = tenant(&engine, &format!("bench-games-{}", std::process::id())).await?;
    let key = engine.create_api_key(&ctx, "admin", None).await.map_err(crate::explain)?.key;
    let rule: RuleInput = parse(
        json!({"name": "seed", "trigger": "invoice", "point_type": "purchase", "points": 1000000, "starts_at": "2000-01-01"}),
    );
    engine.create_rule(&ctx, &rule, "bench").await.map_err(crate::explain)?;
    let reward: RewardInput = parse(
        json!({"code": "credit", "name": "credit", "kind": "wallet_credit", "amount": 1000, "point_type": "purchase", "cost": 10}),
    );
    engine.create_reward(&ctx, &reward).await.map_err(crate::explain)?;
    let game: GameInput = parse(json!({
        "code": "wheel", "name": "wheel", "kind": "wheel", "cost": {"spins": true, "point_type": "purchase", "points": 10},
        "prizes": [
            {"code": "p50", "label": "50", "kind": "points", "point_type": "purchase", "points": 50, "weight": 30, "tier_weights": {"gold": 40}},
            {"code": "cash", "label": "cash", "kind": "wallet", "amount": 10000, "weight": 10, "daily_limit": 1000000},
            {"code": "big", "label": "big", "kind": "points", "point_type": "purchase", "points": 5000, "weight": 2, "stock": 1000000},
            {"code": "again", "label": "again", "kind": "spins", "spins": 1, "weight": 10},
            {"code": "none", "label": "none", "kind": "nothing", "weight": 48}
        ]
    }));
    engine.create_game(&ctx, &game).await.map_err(crate::explain)?;
    let ids = std::sync::Arc::new(seed_customers(&engine, &ctx, customers).await?);
    engine.store.close().await;
    let (_server, port) = start_server(database_url).await?;
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    // Warm the connection pool and the caches; each customer sees the game (and its seed
    // commitment) before playing, as in the club.
    for id in ids.iter().take(200) {
        client.get(format!("{base}/customers/{id}/games/wheel")).bearer_auth(&key).send().await?.error_for_status()?;
    }
    let call = |path: &'static str| {
        let (client, key, base, ids) = (client.clone(), key.clone(), base.clone(), ids.clone());
        move |i: u64| {
            let url = format!("{base}/customers/{}/{path}", ids[(i % ids.len() as u64) as usize]);
            let (client, key) = (client.clone(), key.clone());
            async move {
                Ok(client
                    .post(url)
                    .bearer_auth(key)
                    .json(&json!({"idempotency_key": format!("bench-{path}-{i}")}))
                    .send()
                    .await?
                    .status())
            }
        }
    };
    eprintln!("redeem at {rate}/s for {seconds}s…");
    let redeem = open_loop(rate, seconds, call("rewards/credit/redeem")).await?;
    eprintln!("play at {rate}/s for {seconds}s…");
    let play = open_loop(rate, seconds, call("games/wheel/play")).await?;
    println!(
        "{}",
        json!({"bench": "games", "backend": backend, "rate": rate, "seconds": seconds, "customers": customers,
            "play": play, "redeem_baseline": redeem})
    );
    Ok(())
}

/// Twelve missions beside the eight templates: purchase counts with filters, spend, distinct
/// branches and categories, events, monthly and weekly repeats, journeys.
fn twelve_missions() -> Vec<MissionInput> {
    let cats = ["coffee", "cake", "tea", "beans"];
    let mut out: Vec<MissionInput> = Vec::new();
    for (i, c) in cats.iter().enumerate() {
        out.push(parse(json!({"code": format!("buy-{c}"), "name": c, "repeat": "monthly",
            "goal": {"fact": "invoice", "target": 3 + i as i64, "filter": {"field": "invoice.categories", "op": "contains", "value": c}},
            "reward": {"point_type": "purchase", "points": 50}})));
    }
    for (i, amount) in [1_000_000i64, 5_000_000, 20_000_000].iter().enumerate() {
        out.push(parse(json!({"code": format!("spend-{i}"), "name": "spend", "deadline_days": 60,
            "goal": {"fact": "invoice", "measure": "amount", "target": amount}, "reward": {"point_type": "purchase", "points": 100}})));
    }
    out.push(parse(json!({"code": "three-categories", "name": "variety", "repeat": "weekly",
        "goal": {"fact": "invoice", "measure": "distinct", "distinct_field": "invoice.channel", "target": 2}})));
    out.push(parse(json!({"code": "pos-evening", "name": "evening", "goal": {"fact": "invoice", "target": 5,
        "filter": {"all": [{"field": "invoice.channel", "op": "eq", "value": "pos"}, {"field": "invoice.hour", "op": "gte", "value": 18}]}}})));
    out.push(parse(
        json!({"code": "share", "name": "share", "goal": {"fact": "event", "event_type": "content_shared", "target": 3}}),
    ));
    for j in 0..2 {
        out.push(parse(json!({"code": format!("journey-{j}"), "name": "journey", "steps": [
            {"fact": "invoice", "target": 1},
            {"fact": "invoice", "target": 2, "filter": {"field": "invoice.total", "op": "gte", "value": 500000}},
            {"fact": "invoice", "measure": "amount", "target": 3_000_000}
        ], "reward": {"point_type": "purchase", "points": 300}})));
    }
    out
}

pub async fn missions(database_url: &str, invoices: u64, customers: u64, batch: u64, clients: usize) -> Result<()> {
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    let engine = crate::open(database_url).await?;
    let pid = std::process::id();
    let plain = tenant(&engine, &format!("bench-nomissions-{pid}")).await?;
    let busy = tenant(&engine, &format!("bench-missions-{pid}")).await?;
    for t in philia_engine::missions::templates() {
        engine.enable_template(&busy, &t.code).await.map_err(crate::explain)?;
    }
    for m in twelve_missions() {
        engine.create_mission(&busy, &m).await.map_err(crate::explain)?;
    }
    let count = engine.missions(&busy).await.map_err(crate::explain)?.len();
    let demo = std::sync::Arc::new(Demo::new(DemoSpec {
        customers,
        invoices,
        seed: 42,
        end: jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date(),
    }));
    let plain_key = engine.create_api_key(&plain, "integration", None).await.map_err(crate::explain)?.key;
    let busy_key = engine.create_api_key(&busy, "integration", None).await.map_err(crate::explain)?.key;
    engine.store.close().await;
    eprintln!("without missions…");
    let (plain_secs, _) = post_invoices(database_url, &plain_key, demo.clone(), invoices, batch, clients, Dating::Live).await?;
    eprintln!("with {count} missions…");
    let (busy_secs, rss) = post_invoices(database_url, &busy_key, demo, invoices, batch, clients, Dating::Live).await?;
    println!(
        "{}",
        json!({
            "bench": "missions", "backend": backend, "invoices": invoices, "customers": customers, "missions": count, "batch": batch,
            "without_missions_invoices_per_s": round(invoices as f64 / plain_secs),
            "with_missions_invoices_per_s": round(invoices as f64 / busy_secs),
            "added_percent": round((busy_secs / plain_secs - 1.0) * 100.0), "server_peak_rss_mib": round(rss),
        })
    );
    Ok(())
}
