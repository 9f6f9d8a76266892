//! CSV import and export from the command line, with progress and an error report file.

use crate::progress::bar;
use anyhow::{Context, Result};
use philia_engine::import::{ImportKind, ImportOptions, RowError};
use philia_engine::{Engine, TenantContext};
use std::io::{BufReader, BufWriter};
use std::path::Path;

pub async fn import(
    engine: &Engine,
    ctx: &TenantContext,
    kind: ImportKind,
    file: &Path,
    atomic: bool,
    source: &str,
    errors_path: &Path,
) -> Result<()> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = bar(0, "importing");
    let mut error_writer = csv::Writer::from_path(errors_path).with_context(|| format!("creating {}", errors_path.display()))?;
    error_writer.write_record(["row", "column", "code", "message", "message_fa"])?;
    let mut write_failed = None;
    let mut on_error = |e: &RowError| {
        if let Err(err) = error_writer.write_record([
            e.row.to_string(),
            e.column.clone(),
            e.code.clone(),
            e.message.clone(),
            e.message_fa.clone(),
        ]) {
            write_failed = Some(err);
        }
    };
    let mut on_progress = |rows: u64| pb.set_position(rows);
    let options = ImportOptions { atomic, source: source.to_string() };
    let started = std::time::Instant::now();
    let report = engine
        .import_csv(ctx, kind, BufReader::with_capacity(1 << 20, f), &options, &mut on_progress, &mut on_error)
        .await
        .map_err(crate::explain)?;
    pb.finish_and_clear();
    error_writer.flush()?;
    if let Some(e) = write_failed {
        return Err(e).context("writing the error report");
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} rows read ({:.1} MB) in {:.1}s ({:.0} rows/s): {} imported, {} unchanged, {} refused{}",
        report.rows,
        size as f64 / 1e6,
        secs,
        report.rows as f64 / secs.max(1e-9),
        report.imported,
        report.unchanged,
        report.invalid_rows,
        if report.rolled_back { " — nothing was imported (--atomic)" } else { "" }
    );
    if report.invalid_rows > 0 {
        eprintln!("the refused rows, with column and reason, are in {}", errors_path.display());
    } else {
        let _ = std::fs::remove_file(errors_path);
    }
    Ok(())
}

pub async fn export(engine: &Engine, ctx: &TenantContext, kind: &str, as_of: Option<&str>, out: &Path) -> Result<()> {
    let as_of = match as_of {
        Some(t) if kind == "rfm" => {
            Some(philia_domain::rfm::parse_as_of(t, &ctx.zone).map_err(|e| anyhow::anyhow!("--as-of {}", e.message))?)
        }
        Some(_) => anyhow::bail!("--as-of applies to the rfm export only"),
        None => None,
    };
    let f = BufWriter::new(std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?);
    let pb = bar(0, "exporting");
    let mut on_progress = |n: u64| pb.set_position(n);
    let n = match kind {
        "customers" => engine.export_customers(ctx, f, &mut on_progress).await,
        "invoices" => engine.export_invoices(ctx, f, &mut on_progress).await,
        "rfm" => engine.export_rfm(ctx, as_of, f, &mut on_progress).await,
        "clv" => engine.export_clv(ctx, f, &mut on_progress).await,
        other => anyhow::bail!("cannot export {other:?}: choose customers, invoices, rfm or clv"),
    }
    .map_err(crate::explain)?;
    pb.finish_and_clear();
    eprintln!("wrote {n} {kind} to {}", out.display());
    Ok(())
}
