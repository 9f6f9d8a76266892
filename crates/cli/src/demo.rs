//! `philia demo`: a demo tenant full of realistic data, served at once.

use crate::progress::bar;
use anyhow::{Context, Result};
use philia_domain::tenant::NewTenant;
use philia_engine::demo::{Demo, DemoSpec};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 2_000)]
    customers: u64,
    #[arg(long, default_value_t = 20_000)]
    invoices: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Last day of the data (default: today); the data covers the two years before it.
    #[arg(long)]
    end: Option<String>,
    #[arg(long, default_value = "demo")]
    tenant: String,
    /// Write the data as CSV files (customers, products, categories, invoices) into this folder
    /// instead of loading it.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Load the data but do not serve.
    #[arg(long)]
    no_serve: bool,
    #[arg(long, env = "PHILIA_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
}

pub async fn run(database_url: &str, args: DemoArgs) -> Result<()> {
    let end = match &args.end {
        Some(e) => philia_domain::calendar::parse_date(e).map_err(|i| anyhow::anyhow!("--end {}", i.message))?,
        None => jiff::Zoned::now().date(),
    };
    let spec = DemoSpec { customers: args.customers.max(1), invoices: args.invoices, seed: args.seed, end };
    let demo = Demo::new(spec);
    if let Some(dir) = &args.csv {
        return write_csv(&demo, dir);
    }
    let engine = crate::open(database_url).await?.with_demo_codes();
    let ctx = match engine.tenant(&args.tenant).await {
        Ok(ctx) => {
            eprintln!("tenant {} exists: its data is kept as it is", args.tenant);
            ctx
        }
        Err(_) => {
            let t =
                NewTenant::parse(&args.tenant, "فروشگاه و کافه رویا", None, None, None).map_err(|e| crate::explain(e.into()))?;
            engine.create_tenant(t).await.map_err(crate::explain)?;
            let ctx = engine.tenant(&args.tenant).await.map_err(crate::explain)?;
            let started = std::time::Instant::now();
            let mut bars: Vec<(String, indicatif::ProgressBar)> = Vec::new();
            let mut progress = |stage: &str, done: u64, total: u64| {
                if bars.last().is_none_or(|(s, _)| s != stage) {
                    if let Some((_, b)) = bars.last() {
                        b.finish_and_clear();
                    }
                    bars.push((stage.to_string(), bar(total, stage)));
                }
                if let Some((_, b)) = bars.last() {
                    b.set_position(done);
                }
            };
            engine.load_demo(&ctx, &demo, &mut progress).await.map_err(crate::explain)?;
            engine.setup_demo_network(&ctx).await.map_err(crate::explain)?;
            if let Some((_, b)) = bars.last() {
                b.finish_and_clear();
            }
            eprintln!("loaded {} customers and {} invoices in {:.1?}", spec.customers, spec.invoices, started.elapsed());
            ctx
        }
    };
    let key = engine.create_api_key(&ctx, "admin", Some("demo")).await.map_err(crate::explain)?;
    let password = demo_owner(&engine, &ctx).await?;
    eprintln!();
    eprintln!("Admin panel: http://{}/admin   email: {DEMO_OWNER}   password: {password}", args.listen);
    eprintln!("Demo tenant: {}   API key (admin, shown once): {}", ctx.slug, key.key);
    eprintln!(
        "Customer club: http://{}/club/{}   sign in with any mobile; with no SMS provider the code is printed here",
        args.listen, ctx.slug
    );
    eprintln!(
        "Coalition: {0}-mall shares points with the bakery next door ({0}-bakery): Settings → Coalition networks, and /club/{0}/network",
        ctx.slug
    );
    eprintln!("Try:  curl -H 'Authorization: Bearer {}' http://{}/api/v1/customers?limit=3", key.key, args.listen);
    eprintln!();
    if args.no_serve {
        return Ok(());
    }
    crate::serve(engine, &args.listen).await
}

/// The demo's owner account for the admin panel.
const DEMO_OWNER: &str = "owner@roya.example";

/// Creates the demo owner, or gives them a fresh password on a later run; returns the password.
async fn demo_owner(engine: &philia_engine::Engine, ctx: &philia_engine::TenantContext) -> Result<String> {
    let password = format!("roya-{}", philia_engine::secrets::random_hex(6));
    match engine.create_staff(ctx, DEMO_OWNER, "مدیر رویا", "owner", &password).await {
        Ok(_) => {}
        Err(philia_engine::EngineError::Conflict { .. }) => {
            engine.set_staff_password(ctx, DEMO_OWNER, &password).await.map_err(crate::explain)?
        }
        Err(e) => return Err(crate::explain(e)),
    }
    Ok(password)
}

fn write_csv(demo: &Demo, dir: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let spec = demo.spec();
    let mut w = csv::Writer::from_path(dir.join("categories.csv"))?;
    w.write_record(["code", "name", "parent"])?;
    for (code, c) in demo.categories() {
        w.write_record([code, c.name, c.parent.unwrap_or_default()])?;
    }
    w.flush()?;
    let mut w = csv::Writer::from_path(dir.join("products.csv"))?;
    w.write_record(["sku", "name", "category", "price"])?;
    for (sku, p) in demo.products() {
        w.write_record([sku, p.name, p.category.unwrap_or_default(), p.price.to_string()])?;
    }
    w.flush()?;
    let pb = bar(spec.customers, "customers");
    demo.write_customers_csv(std::fs::File::create(dir.join("customers.csv"))?, &mut |i| pb.set_position(i))?;
    pb.finish_and_clear();
    let pb = bar(spec.invoices, "invoices");
    let mut w = csv::Writer::from_path(dir.join("invoices.csv"))?;
    w.write_record([
        "invoice_id",
        "issued_at",
        "customer_external_id",
        "customer_mobile",
        "sku",
        "product_name",
        "category",
        "quantity",
        "unit_price",
        "line_discount",
        "branch",
        "channel",
        "shipping",
    ])?;
    for j in 0..spec.invoices {
        let inv = demo.invoice(j);
        let customer = inv.customer.unwrap_or_default();
        for l in &inv.lines {
            w.write_record([
                inv.external_id.clone(),
                inv.issued_at.clone(),
                customer.external_id.clone().unwrap_or_default(),
                customer.mobile.clone().unwrap_or_default(),
                l.sku.clone().unwrap_or_default(),
                l.product_name.clone().unwrap_or_default(),
                l.category.clone().unwrap_or_default(),
                l.quantity.unwrap_or(1.0).to_string(),
                l.unit_price.to_string(),
                l.discount.unwrap_or(0).to_string(),
                inv.branch.clone().unwrap_or_default(),
                inv.channel.clone().unwrap_or_default(),
                inv.shipping.unwrap_or(0).to_string(),
            ])?;
        }
        if j % 10_000 == 0 {
            pb.set_position(j);
        }
    }
    w.flush()?;
    pb.finish_and_clear();
    eprintln!("wrote categories.csv, products.csv, customers.csv and invoices.csv to {}", dir.display());
    Ok(())
}
