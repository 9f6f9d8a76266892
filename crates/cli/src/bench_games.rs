//! `bench games`: the latency of playing a wheel of fortune (points paid, a stocked prize and a
//! prize with a daily limit, so every play takes the stock lock) at a fixed request rate on
//! loopback, beside redeeming a wallet-credit reward — the nearest transaction of the same
//! shape — at the same rate in the same run. Both are measured open-loop.

use crate::bench::start_server;
use crate::bench_loyalty::{open_loop, seed_customers, tenant};
use anyhow::Result;
use philia_domain::earning::RuleInput;
use philia_domain::games::GameInput;
use philia_domain::rewards::RewardInput;
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
