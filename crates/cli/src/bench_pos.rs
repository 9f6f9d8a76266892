//! Till benchmark: the product search as the cashier types or scans, on a catalogue of many
//! products all stocked at the branch, over HTTP on this machine, beside the health check
//! (HTTP alone) measured in the same run. Goal: ≤ 20 ms on 100,000 products.

use crate::bench_panel::{Session, form_encode as encode};
use anyhow::{Context, Result};
use philia_domain::catalogue::{StockInput, ValidProduct};
use philia_domain::tenant::NewTenant;
use philia_engine::staff_sessions::SignIn;
use serde_json::json;

const NOUNS: [&str; 12] = ["چای", "قهوه", "لیوان", "کیسه", "دفتر", "شمع", "عطر", "روسری", "کفش", "کتاب", "شکلات", "ادویه"];
const KINDS: [&str; 8] = ["سبز", "سیاه", "سفالی", "پارچه‌ای", "کوچک", "بزرگ", "ویژه", "ساده"];

pub async fn pos(database_url: &str, products: u64, runs: usize) -> Result<()> {
    let engine = crate::open(database_url).await?;
    let slug = format!("bench-pos-{}", std::process::id());
    engine
        .create_tenant(NewTenant::parse(&slug, "bench", None, None, None).map_err(|e| crate::explain(e.into()))?)
        .await
        .map_err(crate::explain)?;
    let ctx = engine.tenant(&slug).await.map_err(crate::explain)?;
    let branch =
        philia_domain::catalogue::BranchInput { name: "شعبه مرکزی".into(), city: None, address: None, active: true };
    engine.put_branch(&ctx, "main", &branch).await.map_err(crate::explain)?;

    eprintln!("writing {products} products, each stocked at the branch…");
    let started = std::time::Instant::now();
    let all: Vec<ValidProduct> = (0..products)
        .map(|i| ValidProduct {
            sku: format!("P-{i:06}"),
            name: format!("{} {} {}", NOUNS[(i % 12) as usize], KINDS[((i / 12) % 8) as usize], i),
            category: None,
            price: 10_000 + (i as i64 % 500) * 1_000,
            active: true,
        })
        .collect();
    for chunk in all.chunks(5_000) {
        engine.put_products(&ctx, chunk).await.map_err(crate::explain)?;
    }
    for p in &all {
        let input = StockInput { quantity: Some(100), delta: None, reason: None };
        engine.change_stock(&ctx, "main", &p.sku, &input).await.map_err(crate::explain)?;
    }
    engine.store.analyze().await?;
    eprintln!("written in {:.1?}", started.elapsed());

    let email = "cashier@bench.example";
    let password = format!("bench-password-{}", std::process::id());
    engine.create_staff(&ctx, email, "bench", "cashier", &password).await.map_err(crate::explain)?;
    let SignIn::Session { token, session } = engine.sign_in(email, &password, Some(&slug)).await.map_err(crate::explain)? else {
        anyhow::bail!("the cashier signs in at one brand");
    };
    engine.open_till(&token, &session, "main").await.map_err(crate::explain)?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = philia_web::AppState::new(engine.clone(), None);
    tokio::spawn(philia_web::serve(state, listener));
    let browser = Session::with_cookie(&base, format!("philia_session={token}"))?;

    let middle = format!("P-{:06}", products / 2);
    let rare = all.get(products as usize / 2).map(|p| p.name.clone()).context("the catalogue has products")?;
    let searches: Vec<(&str, String)> = vec![
        ("floor: health check", "/healthz".into()),
        ("scan: exact SKU", format!("/pos/api/products?q={middle}")),
        ("typed: a common word", format!("/pos/api/products?q={}", encode("چای"))),
        ("typed: one product's full name", format!("/pos/api/products?q={}", encode(&rare))),
        ("typed: nothing matches", "/pos/api/products?q=zzzz".into()),
    ];
    let mut results = Vec::new();
    eprintln!("{:<34} {:>12} {:>10} {:>6}", "search", "median ms", "max ms", "runs");
    for (label, path) in &searches {
        let t = browser.time(path, None, runs).await?;
        eprintln!("{label:<34} {:>12} {:>10} {:>6}", t.median_ms, t.max_ms, t.runs);
        results.push(json!({"search": label, "median_ms": t.median_ms, "max_ms": t.max_ms, "runs": t.runs}));
    }
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    println!("{}", json!({"bench": "pos", "backend": backend, "products": products, "searches": results}));
    Ok(())
}
