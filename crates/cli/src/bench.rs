//! Benchmarks, each beside a baseline run on the same machine in the same run:
//! - `ingest`: demo invoices through the HTTP batch API (validation, identity resolution, rollups)
//!   against a plain multi-row INSERT of the same rows into the same database.
//! - `import-customers`: CSV import of demo customers, rows per second.
//!
//! Results print as one line of JSON each, to be copied into docs/BENCHMARKS.md.

use anyhow::{Context, Result};
use philia_domain::tenant::NewTenant;
use philia_engine::Engine;
use philia_engine::demo::{Demo, DemoSpec};
use philia_engine::import::{ImportKind, ImportOptions};
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    which: Which,
}

#[derive(clap::Subcommand)]
enum Which {
    /// Invoices through the batch API vs a plain bulk INSERT.
    Ingest {
        #[arg(long, default_value_t = 1_000_000)]
        invoices: u64,
        #[arg(long, default_value_t = 100_000)]
        customers: u64,
        #[arg(long, default_value_t = 10_000)]
        batch: u64,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 2)]
        clients: usize,
    },
    /// CSV import of demo customers.
    ImportCustomers {
        #[arg(long, default_value_t = 1_000_000)]
        customers: u64,
    },
}

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn fresh_engine(url: &str) -> Result<Engine> {
    let engine = crate::open(url).await?;
    Ok(engine)
}

pub async fn run(database_url: &str, args: BenchArgs) -> Result<()> {
    let backend = if database_url.starts_with("postgres") { "postgres" } else { "sqlite" };
    match args.which {
        Which::Ingest { invoices, customers, batch, clients } => {
            let engine = fresh_engine(database_url).await?;
            let slug = format!("bench-{}", std::process::id());
            engine
                .create_tenant(NewTenant::parse(&slug, "bench", None, None, None).map_err(|e| crate::explain(e.into()))?)
                .await
                .map_err(crate::explain)?;
            let ctx = engine.tenant(&slug).await.map_err(crate::explain)?;
            let key = engine.create_api_key(&ctx, "integration", Some("bench")).await.map_err(crate::explain)?;
            let demo = Demo::new(DemoSpec { customers, invoices, seed: 42, end: jiff::civil::date(2026, 3, 1) });
            eprintln!("generating {invoices} invoices as JSON request bodies…");
            let bodies: Vec<Vec<u8>> = (0..invoices.div_ceil(batch))
                .map(|b| {
                    let list: Vec<_> = (b * batch..((b + 1) * batch).min(invoices)).map(|j| demo.invoice(j)).collect();
                    serde_json::to_vec(&serde_json::json!({ "invoices": list })).expect("serialisable")
                })
                .collect();
            let body_mb = bodies.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let state = philia_web::AppState { engine: engine.clone(), operator_token: None };
            tokio::spawn(async move { philia_web::serve(state, listener).await });
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::new();
            let url = format!("http://{addr}/api/v1/invoices/batch");
            let queue = std::sync::Arc::new(tokio::sync::Mutex::new(bodies.into_iter()));
            eprintln!("posting {body_mb:.0} MB to {url} with {clients} clients…");
            let started = Instant::now();
            let mut tasks = Vec::new();
            for _ in 0..clients {
                let (queue, client, url, key) = (queue.clone(), client.clone(), url.clone(), key.key.clone());
                tasks.push(tokio::spawn(async move {
                    let mut created = 0u64;
                    loop {
                        let Some(body) = queue.lock().await.next() else { return Ok::<u64, anyhow::Error>(created) };
                        let response = client
                            .post(&url)
                            .bearer_auth(&key)
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .await?;
                        let status = response.status();
                        let v: serde_json::Value = response.json().await?;
                        anyhow::ensure!(status.is_success(), "batch refused: {status} {v}");
                        created += v["summary"]["created"].as_u64().unwrap_or(0);
                    }
                }));
            }
            let mut created = 0;
            for t in tasks {
                created += t.await??;
            }
            let api_secs = started.elapsed().as_secs_f64();
            anyhow::ensure!(created == invoices, "{created} of {invoices} invoices were recorded");
            let rss_after_api = peak_rss_mib();

            // Baseline: the same invoices and lines, already resolved, as plain multi-row INSERTs.
            eprintln!("baseline: plain bulk INSERT of the same rows…");
            let rows: Vec<_> =
                (0..invoices).map(|j| demo.invoice(j).parse(&ctx.zone, "IRT").expect("demo invoices are valid")).collect();
            let baseline_secs = baseline_insert(&engine, &rows, batch as usize).await?;
            let out = serde_json::json!({
                "bench": "ingest", "backend": backend, "invoices": invoices, "customers": customers, "batch": batch, "clients": clients,
                "api_seconds": round(api_secs), "api_invoices_per_s": round(invoices as f64 / api_secs),
                "baseline_seconds": round(baseline_secs), "baseline_invoices_per_s": round(invoices as f64 / baseline_secs),
                "ratio_api_to_baseline": round(baseline_secs / api_secs), "peak_rss_mib": round(rss_after_api),
            });
            println!("{out}");
            Ok(())
        }
        Which::ImportCustomers { customers } => {
            let engine = fresh_engine(database_url).await?;
            let slug = format!("bench-import-{}", std::process::id());
            engine
                .create_tenant(NewTenant::parse(&slug, "bench", None, None, None).map_err(|e| crate::explain(e.into()))?)
                .await
                .map_err(crate::explain)?;
            let ctx = engine.tenant(&slug).await.map_err(crate::explain)?;
            let dir = std::env::temp_dir().join(format!("philia-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let demo = Demo::new(DemoSpec { customers, invoices: 0, seed: 42, end: jiff::civil::date(2026, 3, 1) });
            let path = dir.join("customers.csv");
            {
                let mut w = csv::Writer::from_path(&path)?;
                w.write_record([
                    "external_id",
                    "mobile",
                    "email",
                    "first_name",
                    "last_name",
                    "gender",
                    "birth_date",
                    "province",
                    "city",
                ])?;
                for i in 0..customers {
                    let c = demo.customer(i);
                    w.write_record([
                        c.external_ids.and_then(|e| e.into_iter().next()).map(|e| e.id).unwrap_or_default(),
                        c.mobile.unwrap_or_default(),
                        c.email.unwrap_or_default(),
                        c.first_name.unwrap_or_default(),
                        c.last_name.unwrap_or_default(),
                        c.gender.unwrap_or_default(),
                        c.birth_date.unwrap_or_default(),
                        c.province.unwrap_or_default(),
                        c.city.unwrap_or_default(),
                    ])?;
                }
                w.flush()?;
            }
            let size = std::fs::metadata(&path)?.len();
            let file =
                std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path).context("opening the generated file")?);
            let started = Instant::now();
            let report = engine
                .import_csv(&ctx, ImportKind::Customers, file, &ImportOptions::default(), &mut |_| {}, &mut |_| {})
                .await
                .map_err(crate::explain)?;
            let secs = started.elapsed().as_secs_f64();
            anyhow::ensure!(
                report.imported == customers,
                "imported {} of {customers}: {:?}",
                report.imported,
                report.errors.first()
            );
            let _ = std::fs::remove_dir_all(&dir);
            println!(
                "{}",
                serde_json::json!({
                    "bench": "import-customers", "backend": backend, "rows": customers, "file_mb": round(size as f64 / 1e6),
                    "seconds": round(secs), "rows_per_s": round(customers as f64 / secs), "peak_rss_mib": round(peak_rss_mib()),
                })
            );
            Ok(())
        }
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Writes the invoices and lines with nothing but multi-row INSERTs into two plain tables (no
/// identity resolution, no duplicate check, no rollups), one transaction per batch.
async fn baseline_insert(engine: &Engine, invoices: &[philia_domain::invoice::ValidInvoice], batch: usize) -> Result<f64> {
    use philia_store::bulk::{self, Val};
    let store = &engine.store;
    for sql in [
        "DROP TABLE IF EXISTS baseline_lines",
        "DROP TABLE IF EXISTS baseline_invoices",
        "CREATE TABLE baseline_invoices (id BIGINT PRIMARY KEY, external_id TEXT NOT NULL, customer_key TEXT, issued_at BIGINT NOT NULL, channel TEXT NOT NULL, branch TEXT, total BIGINT NOT NULL)",
        "CREATE TABLE baseline_lines (invoice_id BIGINT NOT NULL, line_no BIGINT NOT NULL, sku TEXT, category TEXT, quantity_milli BIGINT NOT NULL, unit_price BIGINT NOT NULL, total BIGINT NOT NULL, PRIMARY KEY (invoice_id, line_no))",
    ] {
        sqlx::query(sql).execute(store.pool()).await?;
    }
    let started = Instant::now();
    for (b, chunk) in invoices.chunks(batch).enumerate() {
        let mut tx = store.begin_write().await?;
        let mut inv_rows = Vec::with_capacity(chunk.len());
        let mut line_rows = Vec::new();
        for (k, inv) in chunk.iter().enumerate() {
            let id = (b * batch + k) as i64;
            let customer = inv.customer.as_ref().and_then(|c| c.identities.first()).map(|k| k.key());
            inv_rows.push(vec![
                Val::I(id),
                Val::T(inv.external_id.clone()),
                Val::OT(customer),
                Val::I(inv.issued_at.as_millisecond()),
                Val::T(inv.channel.as_str().into()),
                Val::OT(inv.branch.clone()),
                Val::I(inv.total),
            ]);
            for (n, l) in inv.lines.iter().enumerate() {
                line_rows.push(vec![
                    Val::I(id),
                    Val::I(n as i64),
                    Val::OT(l.sku.clone()),
                    Val::OT(l.category.clone()),
                    Val::I(l.quantity.milli()),
                    Val::I(l.unit_price),
                    Val::I(l.total),
                ]);
            }
        }
        bulk::insert(
            &mut tx,
            "baseline_invoices",
            &["id", "external_id", "customer_key", "issued_at", "channel", "branch", "total"],
            inv_rows,
            "",
        )
        .await?;
        bulk::insert(
            &mut tx,
            "baseline_lines",
            &["invoice_id", "line_no", "sku", "category", "quantity_milli", "unit_price", "total"],
            line_rows,
            "",
        )
        .await?;
        philia_store::commit(tx).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    for sql in ["DROP TABLE baseline_lines", "DROP TABLE baseline_invoices"] {
        sqlx::query(sql).execute(store.pool()).await?;
    }
    Ok(secs)
}
