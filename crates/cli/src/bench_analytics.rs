//! Analytics benchmark: the RFM table and the reports on a large demo tenant, each beside DuckDB
//! computing the same definition from the raw invoices on the same machine in the same run.
//!
//! The demo tenant's facts (customers, invoices, refunds) are written straight into their tables
//! and the rollups rebuilt from them, because what is measured here is reading; ingestion has its
//! own benchmark. DuckDB (PyPI package `duckdb`) is run by `scripts/bench_duckdb.py` on CSV copies
//! of the same invoices and refunds, loaded before its clock starts.

use crate::bench::round;
use anyhow::{Context, Result};
use philia_domain::reports::PeriodQuery;
use philia_domain::tenant::NewTenant;
use philia_engine::demo::{Demo, DemoSpec};
use philia_store::bench_facts::{FactCustomer, FactInvoice, FactRefund};
use serde_json::json;
use std::io::Write;
use std::time::Instant;

pub(crate) const CUSTOMER_IDS: i64 = 1_000_000_000;
const INVOICE_IDS: i64 = 2_000_000_000;
const REFUND_IDS: i64 = 3_000_000_000;

/// The median of `runs` timings of `work`, in milliseconds.
async fn median_ms<F, Fut, T>(runs: usize, mut work: F) -> Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = philia_engine::Result<T>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        work().await.map_err(crate::explain)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(round(median(&mut times)))
}

/// The middle value (the upper of the two middle ones for an even count).
pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

pub async fn analytics(database_url: &str, customers: u64, invoices: u64, runs: usize, scratch: &std::path::Path) -> Result<()> {
    let engine = crate::open(database_url).await?;
    let slug = "analytics";
    let today = jiff::Zoned::now().date();
    let invoices_csv = scratch.join("invoices.csv");
    let refunds_csv = scratch.join("refunds.csv");
    // A database loaded by an earlier run (with its CSV copies) is measured again as it is.
    let (ctx, rebuild_s) = match engine.tenant(slug).await {
        Ok(ctx) if invoices_csv.exists() && refunds_csv.exists() => {
            eprintln!("measuring the tenant loaded by an earlier run");
            (ctx, None)
        }
        _ => {
            engine
                .create_tenant(NewTenant::parse(slug, "bench", None, None, None).map_err(|e| crate::explain(e.into()))?)
                .await
                .map_err(crate::explain)?;
            let ctx = engine.tenant(slug).await.map_err(crate::explain)?;
            let rebuild_s = load(&engine, &ctx, customers, invoices, today, scratch).await?;
            (ctx, Some(rebuild_s))
        }
    };
    measure(&engine, &ctx, customers, invoices, runs, today, &invoices_csv, &refunds_csv, rebuild_s, database_url).await
}

/// Writes the demo facts into the tenant's tables and CSV copies; returns the rebuild seconds.
/// The large demo tenant (`analytics`) the analytics, panel and club benchmarks share: loaded
/// on the first run, measured as it is after.
pub(crate) async fn large_tenant(
    engine: &philia_engine::Engine,
    customers: u64,
    invoices: u64,
    scratch: &std::path::Path,
) -> Result<philia_engine::TenantContext> {
    let slug = "analytics";
    if let Ok(ctx) = engine.tenant(slug).await {
        eprintln!("measuring the tenant loaded by an earlier run");
        return Ok(ctx);
    }
    let tenant =
        philia_domain::tenant::NewTenant::parse(slug, "bench", None, None, None).map_err(|e| crate::explain(e.into()))?;
    engine.create_tenant(tenant).await.map_err(crate::explain)?;
    let ctx = engine.tenant(slug).await.map_err(crate::explain)?;
    load(engine, &ctx, customers, invoices, jiff::Zoned::now().date(), scratch).await?;
    Ok(ctx)
}

pub(crate) async fn load(
    engine: &philia_engine::Engine,
    ctx: &philia_engine::TenantContext,
    customers: u64,
    invoices: u64,
    today: jiff::civil::Date,
    scratch: &std::path::Path,
) -> Result<f64> {
    let demo = Demo::new(DemoSpec { customers, invoices, seed: 42, end: today });
    std::fs::create_dir_all(scratch)?;
    let mut inv_out = csv::Writer::from_path(scratch.join("invoices.csv"))?;
    let mut ref_out = csv::Writer::from_path(scratch.join("refunds.csv"))?;
    inv_out.write_record(["id", "customer_id", "issued_at", "day", "total"])?;
    ref_out.write_record(["invoice_id", "customer_id", "amount", "refunded_at", "day"])?;

    let started = Instant::now();
    eprintln!("loading {customers} customers and {invoices} invoices…");
    for chunk in (0..customers).collect::<Vec<_>>().chunks(50_000) {
        let rows: Vec<FactCustomer> = chunk
            .iter()
            .map(|&i| FactCustomer {
                id: CUSTOMER_IDS + i as i64,
                mobile: demo.mobile(i),
                first_name: demo.customer(i).first_name.unwrap_or_default(),
                created_at: 0,
            })
            .collect();
        engine.store.load_fact_customers(ctx.id, &rows).await?;
    }
    let mut j = 0u64;
    while j < invoices {
        let end = (j + 50_000).min(invoices);
        let mut rows = Vec::with_capacity((end - j) as usize);
        let mut refunds = Vec::new();
        for k in j..end {
            let inv = demo.invoice(k);
            let c: i64 = inv
                .customer
                .as_ref()
                .and_then(|c| c.external_id.as_deref())
                .and_then(|e| e[1..].parse().ok())
                .context("demo customer")?;
            let at = philia_domain::calendar::parse_instant(&inv.issued_at, &ctx.zone).map_err(|e| anyhow::anyhow!(e.message))?;
            let day = philia_domain::calendar::local_day(at, &ctx.zone).to_string();
            let lines: i64 =
                inv.lines.iter().map(|l| (l.quantity.unwrap_or(1.0) as i64) * l.unit_price - l.discount.unwrap_or(0)).sum();
            let total = lines + inv.shipping.unwrap_or(0);
            let refunded = match demo.refund_of(k) {
                Some(share) if total > 0 => share.map(|s| ((total as f64 * s) as i64).max(1)).unwrap_or(total),
                _ => 0,
            };
            let id = INVOICE_IDS + k as i64;
            let customer_id = CUSTOMER_IDS + c;
            if refunded > 0 {
                let refunded_at = at + jiff::SignedDuration::from_hours(72);
                let refund_day = philia_domain::calendar::local_day(refunded_at, &ctx.zone).to_string();
                ref_out.write_record([
                    id.to_string(),
                    customer_id.to_string(),
                    refunded.to_string(),
                    refunded_at.as_millisecond().to_string(),
                    refund_day.clone(),
                ])?;
                refunds.push(FactRefund {
                    id: REFUND_IDS + k as i64,
                    invoice_id: id,
                    customer_id,
                    amount: refunded,
                    refunded_at: refunded_at.as_millisecond(),
                    day: refund_day,
                });
            }
            inv_out.write_record([
                id.to_string(),
                customer_id.to_string(),
                at.as_millisecond().to_string(),
                day.clone(),
                total.to_string(),
            ])?;
            rows.push(FactInvoice {
                id,
                customer_id,
                issued_at: at.as_millisecond(),
                day,
                channel: inv.channel.clone().unwrap_or_default(),
                total,
                refunded_total: refunded,
            });
        }
        engine.store.load_fact_invoices(ctx.id, &rows, &refunds).await?;
        j = end;
        if j.is_multiple_of(1_000_000) {
            eprintln!("  {j} invoices ({:.0?})", started.elapsed());
        }
    }
    inv_out.flush()?;
    ref_out.flush()?;
    eprintln!("rebuilding rollups and RFM scores…");
    let rebuild = Instant::now();
    engine.rebuild(ctx).await.map_err(crate::explain)?;
    let rebuild_s = rebuild.elapsed().as_secs_f64();
    eprintln!("loaded in {:.0?} (rebuild {rebuild_s:.1} s)", started.elapsed());
    Ok(rebuild_s)
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    engine: &philia_engine::Engine,
    ctx: &philia_engine::TenantContext,
    customers: u64,
    invoices: u64,
    runs: usize,
    today: jiff::civil::Date,
    invoices_csv: &std::path::Path,
    refunds_csv: &std::path::Path,
    rebuild_s: Option<f64>,
    database_url: &str,
) -> Result<()> {
    let ctx = ctx.clone();

    let from = today.checked_sub(jiff::Span::new().days(364))?;
    let year = PeriodQuery {
        period: Some("custom".into()),
        from: Some(from.to_string()),
        to: Some(today.to_string()),
        group: Some("month".into()),
    };
    let p = engine.report_period(&ctx, &year).map_err(crate::explain)?;
    // The same moment for both sides, after every fact (refunds come up to 72 hours after the
    // last purchases), so both count the same facts and recency days agree to the millisecond.
    let as_of = jiff::Timestamp::now().as_millisecond() + 7 * 86_400_000;
    let rfm = median_ms(runs, || engine.rfm_table(&ctx, Some(as_of))).await?;
    let ours_rfm = engine.rfm_table(&ctx, Some(as_of)).await.map_err(crate::explain)?;
    let ours_top = engine.top_customers_report(&ctx, &p, 20).await.map_err(crate::explain)?;
    let refresh = median_ms(1, || engine.refresh_rfm(&ctx)).await?;
    let sales = median_ms(runs, || engine.sales_report(&ctx, &p)).await?;
    let customers_r = median_ms(runs, || engine.customers_report(&ctx, &p, 90)).await?;
    let engagement = median_ms(runs, || engine.engagement_report(&ctx, &p)).await?;
    let points = median_ms(runs, || engine.points_tiers_report(&ctx)).await?;
    let top = median_ms(runs, || engine.top_customers_report(&ctx, &p, 20)).await?;
    // The dashboard's periods and a quiet week long ago: the report (which picks grouping the
    // period's invoices or the search by lifetime spend from the period's invoice count) beside
    // each way alone on the same data, checked to give the same list.
    let mut top_short = serde_json::Map::new();
    let quiet_week = today.checked_sub(jiff::Span::new().days(550))?;
    for (label, first, last) in [
        ("7_days".to_string(), today.checked_sub(jiff::Span::new().days(6))?, today),
        ("30_days".to_string(), today.checked_sub(jiff::Span::new().days(29))?, today),
        ("365_days".to_string(), today.checked_sub(jiff::Span::new().days(364))?, today),
        (format!("7_days_from_{quiet_week}"), quiet_week, quiet_week.checked_add(jiff::Span::new().days(6))?),
    ] {
        let (from, to) = (first.to_string(), last.to_string());
        let period = philia_domain::reports::Period { from: first, to: last, grouping: p.grouping };
        let report = median_ms(runs, || engine.top_customers_report(&ctx, &period, 20)).await?;
        let invoices: i64 = engine.store.daily_stats(ctx.id, &from, &to).await?.iter().map(|d| d.invoices).sum();
        let searched = median_ms(runs, || async {
            engine.store.top_customers(ctx.id, &from, &to, 20).await.map_err(philia_engine::EngineError::from)
        })
        .await?;
        let grouped = median_ms(1, || async {
            engine.store.top_customers_by_scan(ctx.id, &from, &to, 20).await.map_err(philia_engine::EngineError::from)
        })
        .await?;
        let a = engine.store.top_customers(ctx.id, &from, &to, 20).await?;
        let b = engine.store.top_customers_by_scan(ctx.id, &from, &to, 20).await?;
        let same = a.iter().map(|c| (c.customer_id, c.net_spend)).eq(b.iter().map(|c| (c.customer_id, c.net_spend)));
        top_short.insert(
            label,
            json!({"invoices": invoices, "report_ms": report, "searched_ms": searched, "grouped_ms": grouped, "same_list": same}),
        );
    }
    let rule = json!({"all": [
        {"field": "spend", "op": "gte", "value": 5_000_000},
        {"field": "invoices", "op": "gte", "value": 3},
        {"field": "last_purchase_at", "op": "within_last_days", "value": 180},
        {"field": "has_mobile", "op": "eq", "value": true},
        {"not": {"field": "rfm_segment", "op": "in", "value": ["lost", "hibernating"]}}
    ]});
    let segment = median_ms(runs, || engine.preview_segment(&ctx, &rule)).await?;

    eprintln!("DuckDB on the same invoices…");
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench_duckdb.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .args([invoices_csv, refunds_csv])
        .args([as_of.to_string(), from.to_string(), today.to_string(), runs.to_string()])
        .output()
        .context("running scripts/bench_duckdb.py (pip install duckdb)")?;
    anyhow::ensure!(out.status.success(), "DuckDB script failed: {}", String::from_utf8_lossy(&out.stderr));
    let duck: serde_json::Value = serde_json::from_slice(&out.stdout).context("DuckDB script output")?;
    let ratio = |ours: f64, key: &str| duck[key].as_f64().map(|d| round(d / ours));
    let same_rfm = ours_rfm
        .distribution
        .iter()
        .filter(|d| d.customers > 0)
        .all(|d| duck["rfm_distribution"][d.segment.code()].as_i64() == Some(d.customers))
        && duck["rfm_distribution"]
            .as_object()
            .is_some_and(|m| m.len() == ours_rfm.distribution.iter().filter(|d| d.customers > 0).count());
    let same_top = duck["top_customers"].as_array().is_some_and(|t| {
        t.iter().map(|v| v.as_i64()).collect::<Vec<_>>()
            == ours_top.customers.iter().map(|c| Some(c.customer_id)).collect::<Vec<_>>()
    });
    let result = json!({
        "bench": "analytics",
        "backend": if database_url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "customers": customers,
        "invoices": invoices,
        "runs": runs,
        "rebuild_s": rebuild_s.map(round),
        "segment_5_conditions_ms": segment,
        "rfm_refresh_ms": refresh,
        "ms": {"rfm_table": rfm, "g1_sales": sales, "g2_customers": customers_r, "g3_engagement": engagement, "g5_points_tiers": points, "g6_top_customers": top},
        "duckdb_ms": {"rfm_table": duck["rfm_table"], "g1_sales": duck["g1_sales"], "g2_customers": duck["g2_customers"], "g6_top_customers": duck["g6_top_customers"]},
        "same_rfm_distribution_as_duckdb": same_rfm,
        "same_top_customers_as_duckdb": same_top,
        "g6_top_20_by_period": top_short,
        "duckdb_over_ours": {"rfm_table": ratio(rfm, "rfm_table"), "g1_sales": ratio(sales, "g1_sales"), "g2_customers": ratio(customers_r, "g2_customers"), "g6_top_customers": ratio(top, "g6_top_customers")},
    });
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{result}")?;
    Ok(())
}

/// The cost, per single invoice, of keeping RFM scores and segment membership current: the same
/// demo invoices recorded one by one into a tenant with five segments and into one with none
/// (both have RFM scores), on one database in one run. The two tenants take turns, invoice by
/// invoice, so the machine's drift touches both alike; the figure is the median of the paired
/// differences (the same invoice into each tenant, one right after the other).
pub async fn incremental(database_url: &str, customers: u64, invoices: u64) -> Result<()> {
    let engine = crate::open(database_url).await?;
    let today = jiff::Zoned::now().date();
    let demo = Demo::new(DemoSpec { customers, invoices: invoices * 3, seed: 9, end: today });
    let mut tenants = Vec::new();
    for (slug, segments) in [("plain", false), ("segmented", true)] {
        engine
            .create_tenant(NewTenant::parse(slug, "bench", None, None, None).map_err(|e| crate::explain(e.into()))?)
            .await
            .map_err(crate::explain)?;
        let ctx = engine.tenant(slug).await.map_err(crate::explain)?;
        // History first (in batches), so scores and segments have a population to work on.
        for chunk in (0..invoices * 2).collect::<Vec<_>>().chunks(5000) {
            let batch: Vec<_> = chunk.iter().map(|&k| demo.invoice(k)).collect();
            engine.record_invoices(&ctx, &batch).await.map_err(crate::explain)?;
        }
        engine.refresh_rfm(&ctx).await.map_err(crate::explain)?;
        if segments {
            for (n, rule) in [
                json!({"field": "spend", "op": "gte", "value": 5_000_000}),
                json!({"field": "invoices", "op": "gte", "value": 3}),
                json!({"field": "last_purchase_at", "op": "within_last_days", "value": 30}),
                json!({"field": "categories", "op": "contains", "value": "coffee"}),
                json!({"all": [{"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]}, {"field": "has_mobile", "op": "eq", "value": true}]}),
            ]
            .into_iter()
            .enumerate()
            {
                let input = philia_domain::segments::SegmentInput { code: format!("s{n}"), name: format!("s{n}"), description: None, rule };
                engine.create_segment(&ctx, &input).await.map_err(crate::explain)?;
            }
        }
        tenants.push(ctx);
    }
    let (mut plain, mut segmented, mut differences) = (Vec::new(), Vec::new(), Vec::new());
    for k in invoices * 2..invoices * 3 {
        let invoice = demo.invoice(k);
        let mut took = [0.0; 2];
        // Which tenant goes first alternates, so neither always follows the other's commit.
        let order = if k % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let t = Instant::now();
            engine.record_invoice(&tenants[i], &invoice).await.map_err(crate::explain)?;
            took[i] = t.elapsed().as_secs_f64() * 1000.0;
        }
        plain.push(took[0]);
        segmented.push(took[1]);
        differences.push(took[1] - took[0]);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let result = json!({
        "bench": "incremental",
        "backend": if database_url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "customers": customers,
        "single_invoices": invoices,
        "ms_per_invoice_without_segments": {"median": round(median(&mut plain)), "mean": round(mean(&plain))},
        "ms_per_invoice_with_5_segments": {"median": round(median(&mut segmented)), "mean": round(mean(&segmented))},
        "segments_add_ms": {"median_of_pairs": round(median(&mut differences)), "mean_of_pairs": round(mean(&differences))},
    });
    println!("{result}");
    Ok(())
}
