//! Customer club benchmark: server time of the club's pages for one signed-in customer of a
//! large tenant, over HTTP on this machine, beside two floors measured in the same run: the
//! health check (HTTP alone) and the JSON API's read of the same customer's points.
//!
//! The tenant is the analytics benchmark's (shared with the panel benchmark), given a wheel, a
//! slot machine, three rewards and the eight ready missions when it has none.

use crate::bench::round;
use crate::bench_panel::Session;
use anyhow::{Context, Result};
use philia_domain::staff_auth::Lang;
use serde_json::json;

/// The club's programme, as an owner would set it up.
async fn programme(engine: &philia_engine::Engine, ctx: &philia_engine::TenantContext) -> Result<()> {
    let games: Vec<String> = engine.games(ctx).await.map_err(crate::explain)?.into_iter().map(|g| g.game.code).collect();
    let rewards: Vec<String> = engine.rewards(ctx).await.map_err(crate::explain)?.into_iter().map(|r| r.reward.code).collect();
    let missions: Vec<String> = engine.missions(ctx).await.map_err(crate::explain)?.into_iter().map(|m| m.mission.code).collect();
    let prize = |code: &str, points: i64, weight: u64| {
        json!({"code": code, "label": format!("{points} امتیاز"), "kind": "points", "point_type": "purchase", "points": points,
            "weight": weight, "symbol": code})
    };
    let nothing = json!({"code": "none", "label": "پوچ", "kind": "nothing", "weight": 5, "symbol": "none"});
    for (code, kind) in [("wheel", "wheel"), ("slot", "slot")] {
        if games.iter().any(|g| g == code) {
            continue;
        }
        let game = json!({"code": code, "name": code, "kind": kind, "cost": {"point_type": "purchase", "points": 10},
            "prizes": [prize("p10", 10, 5), prize("p50", 50, 2), prize("p200", 200, 1), nothing.clone()]});
        engine.create_game(ctx, &serde_json::from_value(game)?).await.map_err(crate::explain)?;
    }
    for (code, cost) in [("coffee", 100), ("cash", 400), ("gift", 900)] {
        if rewards.iter().any(|r| r == code) {
            continue;
        }
        let reward = json!({"code": code, "name": code, "kind": "wallet_credit", "amount": cost * 100, "point_type": "purchase", "cost": cost});
        engine.create_reward(ctx, &serde_json::from_value(reward)?).await.map_err(crate::explain)?;
    }
    for t in [
        "first-purchase",
        "third-purchase-this-month",
        "birthday-purchase",
        "invite-a-friend",
        "complete-profile",
        "follow-instagram",
        "review-a-product",
        "visit-two-branches",
    ] {
        if missions.iter().any(|m| m == t) {
            continue;
        }
        engine.enable_template(ctx, t).await.map_err(crate::explain)?;
    }
    Ok(())
}

pub async fn club(database_url: &str, customers: u64, invoices: u64, runs: usize, scratch: &std::path::Path) -> Result<()> {
    let engine = crate::open(database_url).await?;
    let ctx = crate::bench_analytics::large_tenant(&engine, customers, invoices, scratch).await?;
    let slug = ctx.slug.clone();
    programme(&engine, &ctx).await?;
    let key = engine.create_api_key(&ctx, "read_only", Some("club bench")).await.map_err(crate::explain)?.key;
    let total = engine.store.customer_count(ctx.id).await?;
    let id = crate::bench_analytics::CUSTOMER_IDS + (customers.min(total as u64) / 2) as i64;
    engine.customer(&ctx, id).await.map_err(crate::explain).context("the middle customer exists")?;
    let token = engine.open_club_session(&ctx, id, Lang::Fa).await.map_err(crate::explain)?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = philia_web::AppState::new(engine.clone(), None);
    tokio::spawn(philia_web::serve(state, listener));
    let session = Session::with_cookie(&base, format!("philia_club={token}"))?;

    let pages: Vec<(&str, String, Option<&str>)> = vec![
        ("floor: health check", "/healthz".into(), None),
        ("floor: API customer points", format!("/api/v1/customers/{id}/points"), Some(key.as_str())),
        ("home", format!("/club/{slug}"), None),
        ("missions", format!("/club/{slug}/missions"), None),
        ("games", format!("/club/{slug}/games"), None),
        ("wheel", format!("/club/{slug}/games/wheel"), None),
        ("rewards store", format!("/club/{slug}/rewards"), None),
        ("account and history", format!("/club/{slug}/me"), None),
    ];
    let mut results = Vec::new();
    eprintln!("{:<28} {:>12} {:>10} {:>6} {:>9}", "page", "median ms", "max ms", "runs", "KiB");
    for (label, path, bearer) in &pages {
        let t = session.time(path, *bearer, runs).await?;
        eprintln!("{label:<28} {:>12} {:>10} {:>6} {:>9.1}", t.median_ms, t.max_ms, t.runs, t.bytes as f64 / 1024.0);
        results.push(json!({"page": label, "path": path, "median_ms": round(t.median_ms), "max_ms": t.max_ms, "runs": t.runs}));
    }
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    println!("{}", json!({"bench": "club", "backend": backend, "customers": total, "pages": results}));
    Ok(())
}
