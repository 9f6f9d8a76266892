//! `philia usage`: what tenants' months cost (SPEC J3), for the operator's invoicing.

use philia_domain::digits::group_thousands;
use philia_engine::usage::MonthUsage;
use philia_engine::{Engine, TenantContext};

#[derive(clap::Args)]
pub struct UsageArgs {
    /// One tenant (default: every tenant).
    #[arg(long)]
    pub tenant: Option<String>,
    /// The month, `YYYY-MM` in the tenant's calendar (Jalali by default, e.g. 1405-09); a year
    /// from 1700 on is read as Gregorian. Default: this month.
    #[arg(long)]
    pub month: Option<String>,
    /// Months back from it (one tenant only; default 1).
    #[arg(long, default_value_t = 1)]
    pub months: i32,
}

fn line(slug: &str, plan: &str, m: &MonthUsage) -> String {
    let amount = m.amount.map_or("by contract".to_string(), |a| format!("{} toman", group_thousands(a, false)));
    let state = if m.closed { "closed" } else { "so far" };
    format!("{slug}\t{plan}\t{}\t{} … {}\t{}\t{amount}\t{state}", m.month, m.from, m.to, group_thousands(m.invoices, false))
}

pub async fn run(engine: &Engine, tenants: Vec<TenantContext>, args: &UsageArgs) -> anyhow::Result<()> {
    println!("tenant\tplan\tmonth\tdays\tinvoices\tprice\tstate");
    for ctx in tenants {
        let report = engine.usage(&ctx, args.month.as_deref(), args.months).await.map_err(crate::explain)?;
        for m in &report.months {
            println!("{}", line(&ctx.slug, report.plan_name(), m));
        }
    }
    Ok(())
}
