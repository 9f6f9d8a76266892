//! The `philia` binary: serve the API, manage tenants, keys and staff, import and export CSV,
//! load demo data, rebuild rollups and run benchmarks.

mod bench;
mod bench_analytics;
mod bench_club;
mod bench_gamification;
mod bench_hooks;
mod bench_loyalty;
mod bench_messaging;
mod bench_panel;
mod bench_pos;
mod config;
mod demo;
mod files;
mod network;
mod operations;
mod progress;
mod report;
mod usage;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use philia_domain::plans::Plan;
use philia_domain::tenant::NewTenant;
use philia_engine::audit::Actor;
use philia_engine::import::ImportKind;
use philia_engine::{Engine, EngineError, TenantContext};
use std::sync::Arc;

/// Every allocation of the process, SQLite's too (`override` replaces `malloc` and `free`), goes
/// to mimalloc: with the C library's allocator, allocating and freeing took about a quarter of
/// batch ingestion's time, most of it on SQLite's worker threads (docs/BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "philia", version, about = "Customer data platform, loyalty engine and customer club")]
struct Cli {
    /// `sqlite://FILE` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://philia.db", global = true)]
    database_url: String,
    /// A file of `KEY=value` settings (docs/CONFIG.md), read before everything else; variables
    /// already in the environment win. Also `PHILIA_CONFIG`.
    #[arg(long, global = true)]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API, the admin panel, the club and the till.
    Serve {
        #[arg(long, env = "PHILIA_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Run the background work without serving HTTP: the message sender (outbox), shop deliveries and reading shops, automations,
    /// point expiry, mission deadlines and the daily evaluations. Run as many as needed beside `serve`.
    Worker,
    /// Bring the database schema up to date.
    Migrate,
    /// SMS and email providers.
    Channel {
        #[command(subcommand)]
        command: ChannelCommand,
    },
    /// Tenants (brands).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Staff users of the admin panel and POS.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Import a CSV file: customers, products, categories or invoices (see docs/IMPORT.md).
    Import {
        /// customers, products, categories or invoices
        kind: String,
        file: std::path::PathBuf,
        #[arg(long)]
        tenant: String,
        /// Import all rows or none.
        #[arg(long)]
        atomic: bool,
        /// The system the file's external ids belong to.
        #[arg(long, default_value = "csv")]
        source: String,
        /// Where to write the per-row error report (default: FILE.errors.csv).
        #[arg(long)]
        errors: Option<std::path::PathBuf>,
    },
    /// Export customers or invoices as CSV in the import format, or the RFM table.
    Export {
        /// customers, invoices, rfm or clv (predicted lifetime value per customer)
        kind: String,
        #[arg(long)]
        tenant: String,
        /// For rfm: the instant, or a date meaning the end of that day (default now).
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Load a demo tenant full of realistic data and serve it (or only write it as CSV files).
    Demo(demo::DemoArgs),
    /// Recompute every rollup, balance and RFM score from the facts.
    Rebuild {
        #[arg(long)]
        tenant: String,
    },
    /// Record due point expiries and raise "points expiring" events now (the server does it
    /// every minute).
    ExpirePoints {
        /// Only this tenant (default: all).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Write a report (the series behind a dashboard chart) as CSV.
    Report(report::ReportArgs),
    /// Sales invoices per month and their price on each tenant's plan (SPEC J3).
    Usage(usage::UsageArgs),
    /// Coalition networks: brands sharing a point, their rates, settlements and report.
    Network {
        #[command(subcommand)]
        command: network::NetworkCommand,
    },
    /// Write a consistent copy of the database while it stays in use (SQLite: VACUUM INTO;
    /// PostgreSQL: pg_dump). The file must not exist yet.
    Backup {
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Restore a backup into DATABASE_URL; a database holding data is replaced only with --force
    /// (stop the servers first).
    Restore {
        file: std::path::PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Check the database, the platform key, the message providers and the public address.
    Doctor,
    /// Chance games.
    Game {
        #[command(subcommand)]
        command: GameCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Benchmarks against baselines on the same machine (see docs/BENCHMARKS.md).
    Bench(bench::BenchArgs),
}

#[derive(Subcommand)]
enum ChannelCommand {
    /// Set the provider of `sms` or `email` for a tenant, or the platform default without
    /// `--tenant`. The settings are JSON, e.g. '{"provider":"kavenegar","api_key":"…"}'
    /// (see docs/MESSAGING.md); secrets are sealed before they are stored.
    Set {
        channel: String,
        settings: String,
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Show the provider of a channel, without secrets.
    Show {
        channel: String,
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        currency: Option<String>,
        #[arg(long)]
        time_zone: Option<String>,
        #[arg(long)]
        calendar: Option<String>,
        /// economic (ready missions and games, priced by monthly invoices) or prime (by contract)
        #[arg(long, default_value = "prime")]
        plan: String,
    },
    List,
    /// Move a tenant to another plan.
    Plan {
        slug: String,
        /// economic or prime
        plan: String,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create a key and print it (it is shown only once).
    Create {
        #[arg(long)]
        tenant: String,
        /// admin, integration or read_only
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long)]
        name: Option<String>,
    },
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum GameCommand {
    /// Recompute every draw of a day from its revealed seed and check the seed chain; exits with
    /// an error when any play fails.
    Audit {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        game: String,
        /// Gregorian (2026-11-22) or Jalali (1405/09/01)
        #[arg(long)]
        day: String,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// owner, admin, marketer, cashier or viewer
        #[arg(long)]
        role: String,
        /// At least 10 characters (or set PHILIA_STAFF_PASSWORD).
        #[arg(long, env = "PHILIA_STAFF_PASSWORD")]
        password: String,
    },
    List {
        #[arg(long)]
        tenant: String,
    },
}

fn main() -> Result<()> {
    // The configuration file fills the environment before the arguments read it.
    let args: Vec<String> = std::env::args().collect();
    if let Some(path) = config::config_path(&args) {
        config::load(std::path::Path::new(&path))?;
    }
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(cli))
}

/// Explains an engine error the way a person at a terminal needs it.
fn explain(e: philia_engine::EngineError) -> anyhow::Error {
    match e {
        philia_engine::EngineError::Invalid(inv) => {
            let lines: Vec<String> = inv.0.iter().map(|f| format!("  {}: {}", f.field, f.message)).collect();
            anyhow::anyhow!("invalid input:\n{}", lines.join("\n"))
        }
        other => anyhow::anyhow!(other),
    }
}

/// The tenant as the operator at the console acts on it (audited as `operator`).
async fn operator_tenant(engine: &Engine, slug: &str) -> Result<TenantContext, EngineError> {
    Ok(engine.tenant(slug).await?.acting_as(Actor::Operator))
}

async fn open(url: &str) -> Result<Engine> {
    Engine::open(url).await.map_err(explain).with_context(|| format!("opening the database {url}"))
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&philia_web::openapi::document())?);
            Ok(())
        }
        Command::Migrate => {
            open(&cli.database_url).await?;
            eprintln!("schema is up to date");
            Ok(())
        }
        Command::Serve { listen } => {
            let engine = open(&cli.database_url).await?;
            serve(engine, &listen).await
        }
        Command::Worker => {
            let engine = open(&cli.database_url).await?;
            eprintln!("Philia worker: sending messages, applying deliveries, reading shops and running background jobs");
            let loops = spawn_background(&engine);
            philia_web::shutdown_signal().await;
            finish_background(&engine, loops).await;
            Ok(())
        }
        Command::Channel { command } => {
            let engine = open(&cli.database_url).await?;
            let (tenant, view) = match command {
                ChannelCommand::Set { channel, settings, tenant } => {
                    let settings: serde_json::Value = serde_json::from_str(&settings).context("the settings must be JSON")?;
                    let ctx = match &tenant {
                        Some(t) => Some(operator_tenant(&engine, t).await.map_err(explain)?),
                        None => None,
                    };
                    (tenant, engine.set_channel(ctx.as_ref(), &channel, settings).await.map_err(explain)?)
                }
                ChannelCommand::Show { channel, tenant } => {
                    let ctx = match &tenant {
                        Some(t) => Some(operator_tenant(&engine, t).await.map_err(explain)?),
                        None => None,
                    };
                    (tenant, engine.channel(ctx.as_ref(), &channel).await.map_err(explain)?)
                }
            };
            eprintln!("{}", tenant.map_or("platform default".to_string(), |t| format!("tenant {t}")));
            println!("{}", serde_json::to_string_pretty(&view.settings)?);
            Ok(())
        }
        Command::Tenant { command } => {
            let engine = open(&cli.database_url).await?;
            match command {
                TenantCommand::Create { slug, name, currency, time_zone, calendar, plan } => {
                    let mut t = NewTenant::parse(&slug, &name, currency.as_deref(), time_zone.as_deref(), calendar.as_deref())
                        .map_err(|e| explain(e.into()))?;
                    t.plan = Plan::parse(&plan).map_err(|e| explain(EngineError::field(e.at("plan"))))?;
                    let t = engine.create_tenant(t).await.map_err(explain)?;
                    println!("{}", serde_json::to_string_pretty(&t)?);
                }
                TenantCommand::List => {
                    for t in engine.list_tenants().await.map_err(explain)? {
                        println!("{}\t{}\t{}\t{}\t{}\t{}", t.slug, t.name, t.currency, t.time_zone, t.calendar, t.plan);
                    }
                }
                TenantCommand::Plan { slug, plan } => {
                    let ctx = operator_tenant(&engine, &slug).await.map_err(explain)?;
                    let t = engine.set_plan(&ctx, &plan).await.map_err(explain)?;
                    println!("{} is on the {} plan", t.slug, t.plan);
                }
            }
            Ok(())
        }
        Command::Key { command } => {
            let engine = open(&cli.database_url).await?;
            match command {
                KeyCommand::Create { tenant, role, name } => {
                    let ctx = operator_tenant(&engine, &tenant).await.map_err(explain)?;
                    let key = engine.create_api_key(&ctx, &role, name.as_deref()).await.map_err(explain)?;
                    println!("{}", key.key);
                }
                KeyCommand::List { tenant } => {
                    let ctx = operator_tenant(&engine, &tenant).await.map_err(explain)?;
                    for k in engine.list_api_keys(&ctx).await.map_err(explain)? {
                        println!(
                            "{}\t{}\t{}…\t{}\t{}",
                            k.id,
                            k.role,
                            k.prefix,
                            k.name,
                            k.revoked_at.as_deref().unwrap_or("active")
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Staff { command } => {
            let engine = open(&cli.database_url).await?;
            match command {
                StaffCommand::Create { tenant, email, name, role, password } => {
                    let ctx = operator_tenant(&engine, &tenant).await.map_err(explain)?;
                    let user = engine.create_staff(&ctx, &email, &name, &role, &password).await.map_err(explain)?;
                    println!("{}", serde_json::to_string_pretty(&user)?);
                }
                StaffCommand::List { tenant } => {
                    let ctx = operator_tenant(&engine, &tenant).await.map_err(explain)?;
                    for u in engine.list_staff(&ctx).await.map_err(explain)? {
                        println!("{}\t{}\t{}\t{}", u.id, u.role, u.email, u.name);
                    }
                }
            }
            Ok(())
        }
        Command::Import { kind, file, tenant, atomic, source, errors } => {
            let engine = open(&cli.database_url).await?;
            let ctx = operator_tenant(&engine, &tenant).await.map_err(explain)?;
            let kind = ImportKind::parse(&kind).map_err(explain)?;
            let errors = errors.unwrap_or_else(|| file.with_extension("errors.csv"));
            files::import(&engine, &ctx, kind, &file, atomic, &source, &errors).await
        }
        Command::Export { kind, tenant, as_of, out } => {
            let engine = open(&cli.database_url).await?;
            let ctx = operator_tenant(&engine, &tenant).await.map_err(explain)?;
            files::export(&engine, &ctx, &kind, as_of.as_deref(), &out).await
        }
        Command::Demo(args) => demo::run(&cli.database_url, args).await,
        Command::Rebuild { tenant } => {
            let engine = open(&cli.database_url).await?;
            let ctx = operator_tenant(&engine, &tenant).await.map_err(explain)?;
            let started = std::time::Instant::now();
            engine.rebuild(&ctx).await.map_err(explain)?;
            eprintln!("rebuilt the rollups of {tenant} in {:.1?}", started.elapsed());
            Ok(())
        }
        Command::ExpirePoints { tenant } => {
            let engine = open(&cli.database_url).await?;
            let tenant_id = match tenant {
                Some(t) => Some(operator_tenant(&engine, &t).await.map_err(explain)?.id),
                None => None,
            };
            let report = engine.run_point_expiry(philia_engine::now_ms(), tenant_id).await.map_err(explain)?;
            eprintln!("expired the due points of {} accounts; announced {} lots expiring soon", report.accounts, report.warnings);
            Ok(())
        }
        Command::Backup { out } => {
            let engine = open(&cli.database_url).await?;
            operations::backup(&engine, &cli.database_url, &out).await
        }
        Command::Restore { file, force } => operations::restore(&cli.database_url, &file, force).await,
        Command::Doctor => {
            let engine = open(&cli.database_url).await?;
            operations::doctor(&engine).await
        }
        Command::Usage(args) => {
            let engine = open(&cli.database_url).await?;
            let tenants = match &args.tenant {
                Some(slug) => vec![operator_tenant(&engine, slug).await.map_err(explain)?],
                None => {
                    let mut all = Vec::new();
                    for t in engine.list_tenants().await.map_err(explain)? {
                        all.push(operator_tenant(&engine, &t.slug).await.map_err(explain)?);
                    }
                    all
                }
            };
            usage::run(&engine, tenants, &args).await
        }
        Command::Network { command } => {
            let engine = open(&cli.database_url).await?;
            network::run(&engine, command).await
        }
        Command::Report(args) => {
            let engine = open(&cli.database_url).await?;
            let ctx = operator_tenant(&engine, &args.tenant_slug()).await.map_err(explain)?;
            report::run(&engine, &ctx, args).await
        }
        Command::Bench(args) => bench::run(&cli.database_url, args).await,
        Command::Game { command: GameCommand::Audit { tenant, game, day } } => {
            let engine = open(&cli.database_url).await?;
            let ctx = operator_tenant(&engine, &tenant).await.map_err(explain)?;
            let audit = engine.audit_game_day(&ctx, &game, &day).await.map_err(explain)?;
            for f in &audit.failures {
                println!("play {} of customer {}: {}", f.play_id, f.customer_id, f.reason);
            }
            println!("{}: {} plays on {}, {} verified", audit.game, audit.plays, audit.day, audit.verified);
            anyhow::ensure!(audit.failures.is_empty(), "{} plays failed the audit", audit.failures.len());
            Ok(())
        }
    }
}

/// Serves the API until Ctrl-C.
pub async fn serve(mut engine: Engine, listen: &str) -> Result<()> {
    // Settings are checked before anything is announced, so a bad one stops the start cleanly.
    let limits = philia_web::limits::RateLimits::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let proxies = philia_web::client_address::TrustedProxies::from_env().map_err(|e| anyhow::anyhow!(e))?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    // Links in messages (club, unsubscribe) need an address; without PHILIA_PUBLIC_URL it is this one.
    engine.public_url.get_or_insert_with(|| format!("http://{addr}"));
    let operator_token = std::env::var("PHILIA_OPERATOR_TOKEN").ok().filter(|t| t.len() >= 16).map(Arc::from);
    // Listening for a stop before the start is announced: whoever reads the announcement may stop it.
    let stop = philia_web::shutdown_signal();
    eprintln!("Philia is serving on http://{addr}");
    eprintln!("  API:      http://{addr}/api/v1   (OpenAPI: http://{addr}/api/openapi.json)");
    eprintln!("  health:   http://{addr}/healthz   metrics: http://{addr}/metrics");
    let loops = spawn_background(&engine);
    // Returns once stopped, after answering the requests already accepted.
    let signup = std::env::var("PHILIA_SIGNUP").is_ok_and(|v| v.trim() == "open");
    let state = philia_web::AppState::new(engine.clone(), operator_token)
        .with_limits(limits)
        .with_trusted_proxies(proxies)
        .with_signup(signup);
    philia_web::serve_until(state, listener, stop).await?;
    finish_background(&engine, loops).await;
    Ok(())
}

/// The background loops of a process: the outbox, automations, shop deliveries and reading,
/// point expiry and the daily evaluations.
fn spawn_background(engine: &Engine) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(engine.clone().run_background_jobs()),
        tokio::spawn(engine.clone().run_outbox()),
        tokio::spawn(engine.clone().run_automations()),
        tokio::spawn(engine.clone().run_inbound()),
        tokio::spawn(engine.clone().run_shop_sync()),
        tokio::spawn(engine.clone().run_webhooks()),
    ]
}

/// How long a stopping process waits for its loops to finish the batch in hand; work still
/// unfinished then is taken over by another process when its lease ends.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

async fn finish_background(engine: &Engine, loops: Vec<tokio::task::JoinHandle<()>>) {
    engine.stop();
    let all = async {
        for handle in loops {
            let _ = handle.await;
        }
    };
    if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
        eprintln!("stopping: background work still running after {} s is left to other processes", STOP_GRACE.as_secs());
    }
    engine.store.close().await;
}
