//! `philia network`: the operator's coalition networks — create, invite brands at a rate, list,
//! and the monthly settlement statements and shared report.

use philia_domain::digits::group_thousands;
use philia_engine::Engine;
use philia_engine::coalition::{InviteInput, NetworkInput};

#[derive(clap::Subcommand)]
pub enum NetworkCommand {
    /// Create a network with its shared point and what one point is worth.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// What customers call the shared points, e.g. "Mall points".
        #[arg(long)]
        point_name: String,
        /// What a member owes for each point it issued that another member took in (in the
        /// network's currency).
        #[arg(long)]
        point_value: i64,
        #[arg(long)]
        currency: Option<String>,
        #[arg(long)]
        time_zone: Option<String>,
        #[arg(long)]
        calendar: Option<String>,
    },
    /// Invite a brand at an exchange rate (or set a member's rate): OWN:NETWORK, e.g. 10:1.
    Invite {
        network: String,
        tenant: String,
        #[arg(long)]
        rate: String,
    },
    /// Every network and its members.
    List,
    /// Each member's settlement statement for a month (default: this month).
    Statement {
        network: String,
        /// `YYYY-MM` in the network's calendar.
        #[arg(long)]
        month: Option<String>,
    },
    /// The network's shared report: aggregates only, none about fewer than ten people.
    Report {
        network: String,
        #[arg(long)]
        month: Option<String>,
        #[arg(long, default_value_t = 1)]
        months: i32,
    },
}

fn money(n: i64) -> String {
    group_thousands(n, false)
}

fn figure(v: Option<i64>) -> String {
    v.map_or("<10".to_string(), money)
}

pub async fn run(engine: &Engine, command: NetworkCommand) -> anyhow::Result<()> {
    match command {
        NetworkCommand::Create { slug, name, point_name, point_value, currency, time_zone, calendar } => {
            let input = NetworkInput { slug, name, point_name, point_value, currency, time_zone, calendar };
            let n = engine.create_network(&input).await.map_err(crate::explain)?;
            println!("network {} created: 1 {} = {} {}", n.slug, n.point_name, money(n.point_value), n.currency);
        }
        NetworkCommand::Invite { network, tenant, rate } => {
            let n = engine
                .invite_to_network(&network, &InviteInput { tenant: tenant.clone(), rate })
                .await
                .map_err(crate::explain)?;
            let m = n.members.iter().find(|m| m.tenant == tenant).expect("the invited member is listed");
            println!("{} in {}: {} at {} (own:network)", m.tenant, n.slug, m.status, m.rate);
        }
        NetworkCommand::List => {
            println!("network\tpoint\tvalue\tmember\tstatus\trate\tpoint type");
            for n in engine.networks().await.map_err(crate::explain)? {
                if n.members.is_empty() {
                    println!("{}\t{}\t{}\t-\t-\t-\t-", n.slug, n.point_name, money(n.point_value));
                }
                for m in &n.members {
                    let point_type = m.point_type.as_deref().unwrap_or("-");
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{point_type}",
                        n.slug,
                        n.point_name,
                        money(n.point_value),
                        m.tenant,
                        m.status,
                        m.rate
                    );
                }
            }
        }
        NetworkCommand::Statement { network, month } => {
            println!("member\tmonth\tcounterparty\towed\tdue\tnet");
            for s in engine.settlement_statements(&network, month.as_deref()).await.map_err(crate::explain)? {
                for l in &s.lines {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        s.tenant,
                        s.month,
                        l.tenant,
                        money(l.owed_amount),
                        money(l.due_amount),
                        money(l.net)
                    );
                }
                println!(
                    "{}\t{}\ttotal\t{}\t{}\t{} {}",
                    s.tenant,
                    s.month,
                    money(s.owed_amount),
                    money(s.due_amount),
                    money(s.net),
                    s.currency
                );
            }
        }
        NetworkCommand::Report { network, month, months } => {
            let r = engine.operator_network_report(&network, month.as_deref(), months).await.map_err(crate::explain)?;
            println!(
                "{} ({}): people {}, shopping at two members or more {}",
                r.name,
                r.period,
                figure(r.people),
                figure(r.shared_customers)
            );
            println!("member\tjoined\tshoppers\tshared\tissued\ttaken in");
            for m in &r.members {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    m.tenant,
                    figure(m.joined),
                    figure(m.shoppers),
                    figure(m.shared),
                    figure(m.issued_points),
                    figure(m.taken_points)
                );
            }
            for c in &r.cross_shopping {
                println!("both {} and {}: {}", c.a, c.b, figure(c.people));
            }
            for f in &r.flows {
                println!("{} → {}: {} points, {} owed", f.from, f.to, figure(f.points), figure(f.amount));
            }
        }
    }
    Ok(())
}
