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
use philia_store::baseline::{BaselineInvoice, BaselineLine};
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
    /// Batch ingestion with 20 earning rules vs without.
    Earning {
        #[arg(long, default_value_t = 200_000)]
        invoices: u64,
        #[arg(long, default_value_t = 20_000)]
        customers: u64,
        #[arg(long, default_value_t = 10_000)]
        batch: u64,
        #[arg(long, default_value_t = 2)]
        clients: usize,
        /// How many of the twenty rules the ruled tenants get; 0 compares the setup with itself.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(0..=20))]
        rules: u8,
    },
    /// Bulk generation of unique discount codes.
    Codes {
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
    },
    /// The RFM table and reports on a large demo tenant, beside DuckDB on the same invoices.
    Analytics {
        #[arg(long, default_value_t = 1_000_000)]
        customers: u64,
        #[arg(long, default_value_t = 10_000_000)]
        invoices: u64,
        /// Timings per figure (the median is reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Where the CSV copies for DuckDB are written.
        #[arg(long, default_value = "/tmp/philia-bench-analytics")]
        scratch: std::path::PathBuf,
    },
    /// Per single invoice: recording into a tenant with five segments vs none.
    Incremental {
        #[arg(long, default_value_t = 20_000)]
        customers: u64,
        /// Single invoices timed per tenant (twice as many are loaded first as history).
        #[arg(long, default_value_t = 2_000)]
        invoices: u64,
    },
    /// Redeem and checkout-quote latency at a fixed rate.
    Latency {
        #[arg(long, default_value_t = 500)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 5_000)]
        customers: u64,
    },
    /// Invoice ingestion with 20 active missions against none.
    Missions {
        #[arg(long, default_value_t = 200_000)]
        invoices: u64,
        #[arg(long, default_value_t = 20_000)]
        customers: u64,
        #[arg(long, default_value_t = 10_000)]
        batch: u64,
        #[arg(long, default_value_t = 2)]
        clients: usize,
    },
    /// The customer club's pages for one customer of a large tenant (the analytics benchmark's),
    /// beside the health check and the JSON API's read of the same customer's points.
    Club {
        #[arg(long, default_value_t = 1_000_000)]
        customers: u64,
        #[arg(long, default_value_t = 3_000_000)]
        invoices: u64,
        #[arg(long, default_value_t = 50)]
        runs: usize,
        #[arg(long, default_value = "/tmp/philia-bench-analytics")]
        scratch: std::path::PathBuf,
    },
    /// WooCommerce deliveries at a fixed rate: answer times and how soon all are applied, beside
    /// the invoice API recording the same sales.
    Hooks {
        #[arg(long, default_value_t = 500)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// The till's product search as a cashier types or scans, on a catalogue of this many
    /// products all stocked at the branch.
    Pos {
        #[arg(long, default_value_t = 100_000)]
        products: u64,
        #[arg(long, default_value_t = 50)]
        runs: usize,
    },
    /// The admin panel's pages on a large tenant (the analytics benchmark's), beside the health
    /// check and the JSON API's read of the same customer.
    Panel {
        #[arg(long, default_value_t = 1_000_000)]
        customers: u64,
        #[arg(long, default_value_t = 3_000_000)]
        invoices: u64,
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Where the loaded invoices are also written as CSV (shared with the analytics benchmark).
        #[arg(long, default_value = "/tmp/philia-bench-analytics")]
        scratch: std::path::PathBuf,
    },
    /// A broadcast campaign queued and sent to a local SMS provider, beside the floors of
    /// writing the outbox rows and of calling the provider directly.
    Messaging {
        #[arg(long, default_value_t = 100_000)]
        customers: u64,
    },
    /// A game play's latency at a fixed rate, beside redeeming a reward at the same rate.
    Games {
        #[arg(long, default_value_t = 200)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 5_000)]
        customers: u64,
    },
}

/// A child process that is stopped when this goes out of scope, also on an early error return.
pub(crate) struct StopOnDrop(pub std::process::Child);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free TCP port on loopback.
fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_rss_mib() -> f64 {
    process_peak_rss_mib(std::process::id())
}

/// Peak resident memory of a process, in MiB (Linux).
fn process_peak_rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
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
            let demo = std::sync::Arc::new(demo);
            let (api_secs, server_rss) =
                post_invoices(database_url, &key.key, demo.clone(), invoices, batch, clients, Dating::History).await?;

            // Baseline: the same invoices and lines, already resolved, as plain multi-row INSERTs.
            eprintln!("baseline: plain bulk INSERT of the same rows…");
            let rows: Vec<BaselineInvoice> = (0..invoices)
                .map(|j| {
                    let inv = demo.invoice(j).parse(&ctx.zone, "IRT").expect("demo invoices are valid");
                    BaselineInvoice {
                        external_id: inv.external_id,
                        customer_key: inv.customer.as_ref().and_then(|c| c.identities.first()).map(|k| k.key()),
                        issued_at: inv.issued_at.as_millisecond(),
                        channel: inv.channel.as_str().into(),
                        branch: inv.branch,
                        total: inv.total,
                        lines: inv
                            .lines
                            .into_iter()
                            .map(|l| BaselineLine {
                                sku: l.sku,
                                category: l.category,
                                quantity_milli: l.quantity.milli(),
                                unit_price: l.unit_price,
                                total: l.total,
                            })
                            .collect(),
                    }
                })
                .collect();
            let baseline_secs = engine.store.baseline_bulk_insert(&rows, batch as usize).await?;
            let out = serde_json::json!({
                "bench": "ingest", "backend": backend, "invoices": invoices, "customers": customers, "batch": batch, "clients": clients,
                "api_seconds": round(api_secs), "api_invoices_per_s": round(invoices as f64 / api_secs),
                "baseline_seconds": round(baseline_secs), "baseline_invoices_per_s": round(invoices as f64 / baseline_secs),
                "ratio_api_to_baseline": round(baseline_secs / api_secs), "server_peak_rss_mib": round(server_rss),
            });
            println!("{out}");
            Ok(())
        }
        Which::Earning { invoices, customers, batch, clients, rules } => {
            crate::bench_loyalty::earning(database_url, invoices, customers, batch, clients, rules.into()).await
        }
        Which::Analytics { customers, invoices, runs, scratch } => {
            crate::bench_analytics::analytics(database_url, customers, invoices, runs, &scratch).await
        }
        Which::Incremental { customers, invoices } => {
            crate::bench_analytics::incremental(database_url, customers, invoices).await
        }
        Which::Codes { count } => crate::bench_loyalty::codes(database_url, count).await,
        Which::Latency { rate, seconds, customers } => {
            crate::bench_loyalty::latency(database_url, rate, seconds, customers).await
        }
        Which::Missions { invoices, customers, batch, clients } => {
            crate::bench_gamification::missions(database_url, invoices, customers, batch, clients).await
        }
        Which::Messaging { customers } => crate::bench_messaging::messaging(database_url, customers).await,
        Which::Panel { customers, invoices, runs, scratch } => {
            crate::bench_panel::panel(database_url, customers, invoices, runs, &scratch).await
        }
        Which::Hooks { rate, seconds } => crate::bench_hooks::hooks(database_url, rate, seconds).await,
        Which::Pos { products, runs } => crate::bench_pos::pos(database_url, products, runs).await,
        Which::Club { customers, invoices, runs, scratch } => {
            crate::bench_club::club(database_url, customers, invoices, runs, &scratch).await
        }
        Which::Games { rate, seconds, customers } => {
            crate::bench_gamification::games(database_url, rate, seconds, customers).await
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
            demo.write_customers_csv(std::io::BufWriter::new(std::fs::File::create(&path)?), &mut |_| {})?;
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

pub(crate) fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Posts `invoices` demo invoices to a server of its own (so its memory is measured alone) in
/// batches; returns the seconds taken and the server's peak RSS in MiB.
/// How the posted invoices are dated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dating {
    /// As the demo history has them (spread over past months).
    History,
    /// Issued now, as live sales arrive.
    Live,
}

pub(crate) async fn post_invoices(
    database_url: &str,
    key: &str,
    demo: std::sync::Arc<Demo>,
    invoices: u64,
    batch: u64,
    clients: usize,
    dating: Dating,
) -> Result<(f64, f64)> {
    let (server, port) = start_server(database_url).await?;
    let url = format!("http://127.0.0.1:{port}/api/v1/invoices/batch");
    let client = reqwest::Client::new();
    // Request bodies are made before the clock starts when they fit comfortably in memory
    // (up to 2M invoices); beyond that a producer thread makes them while requests run.
    let batches = invoices.div_ceil(batch);
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(if invoices <= 2_000_000 { batches as usize + 1 } else { 4 });
    let producer = {
        let demo = demo.clone();
        std::thread::spawn(move || {
            for b in 0..batches {
                let list: Vec<_> = (b * batch..((b + 1) * batch).min(invoices))
                    .map(|j| {
                        let mut inv = demo.invoice(j);
                        if dating == Dating::Live {
                            inv.issued_at = jiff::Timestamp::now().to_string();
                        }
                        inv
                    })
                    .collect();
                let body = serde_json::to_vec(&serde_json::json!({ "invoices": list })).expect("serialisable");
                if tx.blocking_send(body).is_err() {
                    return;
                }
            }
        })
    };
    if invoices <= 2_000_000 {
        eprintln!("generating {invoices} invoices as JSON request bodies…");
        while rx.len() < batches as usize && !producer.is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    let queue = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
    eprintln!("posting {invoices} invoices in batches of {batch} to {url} with {clients} clients…");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (queue, client, url, key) = (queue.clone(), client.clone(), url.clone(), key.to_string());
        tasks.push(tokio::spawn(async move {
            let mut created = 0u64;
            loop {
                let Some(body) = queue.lock().await.recv().await else { return Ok::<u64, anyhow::Error>(created) };
                let response =
                    client.post(&url).bearer_auth(&key).header("content-type", "application/json").body(body).send().await?;
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
    let _ = producer.join();
    let server_rss = process_peak_rss_mib(server.0.id());
    drop(server);
    anyhow::ensure!(created == invoices, "{created} of {invoices} invoices were recorded");
    Ok((api_secs, server_rss))
}

/// Starts `philia serve` on a free loopback port as a child process and waits until it answers.
pub(crate) async fn start_server(database_url: &str) -> Result<(StopOnDrop, u16)> {
    let port = free_port()?;
    let server = std::process::Command::new(std::env::current_exe()?)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        // `PHILIA_BENCH_SERVER_LOG` (a `RUST_LOG` filter) shows what the server does, e.g.
        // `sqlx::query=debug` for each statement with its time.
        .env("RUST_LOG", std::env::var("PHILIA_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
        .spawn()
        .context("starting the server")?;
    let server = StopOnDrop(server);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok((server, port))
}
