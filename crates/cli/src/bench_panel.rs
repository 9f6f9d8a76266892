//! Admin panel benchmark: server time of the panel's pages on a large tenant, over HTTP on this
//! machine, beside two floors measured in the same run: the health check (HTTP alone) and the
//! JSON API's read of the same customer (the engine without the page).
//!
//! The tenant is the analytics benchmark's (written straight into the tables, rollups and RFM
//! rebuilt); a database loaded by an earlier run of either benchmark is measured as it is.

use crate::bench::round;
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Instant;

const STAFF: &str = "bench@panel.example";

pub(crate) struct Timing {
    pub median_ms: f64,
    pub max_ms: f64,
    pub runs: usize,
    pub bytes: usize,
}

pub(crate) struct Session {
    base: String,
    client: reqwest::Client,
    cookie: String,
}

impl Session {
    /// A browser that already holds a session cookie (`name=value`).
    pub(crate) fn with_cookie(base: &str, cookie: String) -> Result<Session> {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        Ok(Session { base: base.to_string(), client, cookie })
    }

    async fn sign_in(base: &str, password: &str) -> Result<Session> {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let page = client.get(format!("{base}/admin/sign-in")).send().await?;
        let pre = page
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("philia_pre="))
            .and_then(|v| v.split(';').next())
            .context("the sign-in page sets its form cookie")?
            .to_string();
        let csrf = pre.trim_start_matches("philia_pre=").to_string();
        let answer = client
            .post(format!("{base}/admin/sign-in"))
            .header("cookie", &pre)
            .form(&[("csrf", csrf.as_str()), ("email", STAFF), ("password", password)])
            .send()
            .await?;
        let cookie = answer
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("philia_session="))
            .and_then(|v| v.split(';').next())
            .context("signing in sets the session cookie")?
            .to_string();
        Ok(Session { base: base.to_string(), client, cookie })
    }

    /// Times `runs` requests after one warm-up; a page slower than 5 s is timed once.
    pub(crate) async fn time(&self, path: &str, bearer: Option<&str>, runs: usize) -> Result<Timing> {
        let get = || {
            let mut req = self.client.get(format!("{}{path}", self.base)).header("cookie", &self.cookie);
            if let Some(key) = bearer {
                req = req.bearer_auth(key);
            }
            req
        };
        let t = Instant::now();
        let first = get().send().await?;
        anyhow::ensure!(first.status().is_success(), "{path} answered {}", first.status());
        let bytes = first.bytes().await?.len();
        let warm_ms = t.elapsed().as_secs_f64() * 1000.0;
        let runs = if warm_ms > 5000.0 { 1 } else { runs };
        let mut times = Vec::with_capacity(runs);
        if runs == 1 && warm_ms > 5000.0 {
            times.push(warm_ms);
        } else {
            for _ in 0..runs {
                let t = Instant::now();
                let r = get().send().await?;
                anyhow::ensure!(r.status().is_success(), "{path} answered {}", r.status());
                r.bytes().await?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        let median_ms = round(crate::bench_analytics::median(&mut times));
        Ok(Timing { median_ms, max_ms: round(times.last().copied().unwrap_or(0.0)), runs, bytes })
    }
}

pub async fn panel(database_url: &str, customers: u64, invoices: u64, runs: usize, scratch: &std::path::Path) -> Result<()> {
    let engine = crate::open(database_url).await?;
    let ctx = crate::bench_analytics::large_tenant(&engine, customers, invoices, scratch).await?;
    let password = format!("bench-password-{}", std::process::id());
    if engine.create_staff(&ctx, STAFF, "bench", "owner", &password).await.is_err() {
        engine.set_staff_password(&ctx, STAFF, &password).await.map_err(crate::explain)?;
    }
    let key = engine.create_api_key(&ctx, "read_only", Some("panel bench")).await.map_err(crate::explain)?.key;
    let total = engine.store.customer_count(ctx.id).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = philia_web::AppState::new(engine.clone(), None);
    tokio::spawn(philia_web::serve(state, listener));
    let session = Session::sign_in(&base, &password).await?;

    let id = crate::bench_analytics::CUSTOMER_IDS + (customers.min(total as u64) / 2) as i64;
    let customer = engine.customer(&ctx, id).await.map_err(crate::explain)?;
    let mobile = customer.mobile.clone().context("the demo customer has a mobile")?;
    let name = customer.first_name.clone().unwrap_or_default();
    let pages: Vec<(&str, String, Option<&str>)> = vec![
        ("floor: health check", "/healthz".into(), None),
        ("floor: API customer", format!("/api/v1/customers/{id}"), Some(key.as_str())),
        ("floor: API customer points", format!("/api/v1/customers/{id}/points"), Some(key.as_str())),
        ("sign-in page", "/admin/sign-in".into(), None),
        ("customers, first page", "/admin/customers".into(), None),
        ("customers, search by mobile", format!("/admin/customers?q={}", mobile.replace('+', "%2B")), None),
        ("customers, search by name", format!("/admin/customers?q={}", form_encode(&name)), None),
        ("customer profile", format!("/admin/customers/{id}"), None),
        ("notifications", "/admin/inbox".into(), None),
        ("segments", "/admin/segments".into(), None),
        ("RFM page", "/admin/rfm".into(), None),
        ("loyalty programme", "/admin/programme".into(), None),
        ("earning rules", "/admin/programme/rules".into(), None),
        ("games", "/admin/games".into(), None),
        ("messaging", "/admin/messaging".into(), None),
        ("campaigns", "/admin/campaigns".into(), None),
        ("settings", "/admin/settings".into(), None),
        ("dashboard, 7 days", "/admin?period=7d".into(), None),
        ("dashboard, 30 days", "/admin?period=30d".into(), None),
        ("dashboard, year", "/admin?period=year".into(), None),
    ];
    let mut results = Vec::new();
    eprintln!("{:<32} {:>12} {:>10} {:>6} {:>9}", "page", "median ms", "max ms", "runs", "KiB");
    for (label, path, bearer) in &pages {
        let t = session.time(path, *bearer, runs).await?;
        eprintln!("{label:<32} {:>12} {:>10} {:>6} {:>9.1}", t.median_ms, t.max_ms, t.runs, t.bytes as f64 / 1024.0);
        results.push(
            json!({"page": label, "path": path, "median_ms": t.median_ms, "max_ms": t.max_ms, "runs": t.runs, "bytes": t.bytes}),
        );
    }
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    println!("{}", json!({"bench": "panel", "backend": backend, "customers": total, "pages": results}));
    Ok(())
}

pub(crate) fn form_encode(text: &str) -> String {
    text.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
