//! Imports from the panel run in the background: the upload is answered at once with a job whose
//! progress (rows read) is written about once a second, so any process serving the panel can show
//! it, and whose report or failure is kept when it ends. A job whose process stopped while it
//! ran stays `running` with an old `updated_at`; readers call it interrupted.

use crate::import::{ImportKind, ImportOptions, ImportReport};
use crate::{Engine, EngineError, Result, TenantContext, now_ms};
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How often a running import writes its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// A running job not heard from for this long was interrupted (its process stopped).
const SILENT_MS: i64 = 30_000;

#[derive(Debug, Clone, Serialize)]
pub struct ImportJob {
    pub id: i64,
    pub kind: String,
    /// `running`, `done`, `failed` or `interrupted`.
    pub status: String,
    pub rows_read: i64,
    pub report: Option<ImportReport>,
    /// Why it failed, in English and Persian.
    pub error: Option<(String, String)>,
}

/// A failure in both languages, naming the field where there is one.
fn reason(e: &EngineError) -> (String, String) {
    match e {
        EngineError::Invalid(invalid) => {
            let en = invalid.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ");
            let fa = invalid.0.iter().map(|f| format!("{}: {}", f.field, f.message_fa)).collect::<Vec<_>>().join("؛ ");
            (en, fa)
        }
        other => (other.to_string(), other.to_string()),
    }
}

impl Engine {
    /// Starts importing `file` in the background; returns the job to follow.
    pub async fn start_import(
        &self,
        ctx: &TenantContext,
        kind: ImportKind,
        file: Vec<u8>,
        options: ImportOptions,
    ) -> Result<i64> {
        let mut tx = self.store.begin_write().await?;
        let id = self.store.allocate_ids(&mut tx, 1).await?[0];
        let kind_name = format!("{kind:?}").to_lowercase();
        self.store.insert_import_job(&mut tx, ctx.id, id, &kind_name, now_ms()).await?;
        philia_store::commit(tx).await?;
        let (engine, ctx) = (self.clone(), ctx.clone());
        tokio::spawn(async move {
            if let Err(e) = engine.run_import_job(&ctx, id, kind, file, options).await {
                tracing::error!(tenant = ctx.id, job = id, error = %e, "an import job could not record its outcome");
            }
        });
        Ok(id)
    }

    async fn run_import_job(
        &self,
        ctx: &TenantContext,
        id: i64,
        kind: ImportKind,
        file: Vec<u8>,
        options: ImportOptions,
    ) -> Result<()> {
        let rows = Arc::new(AtomicU64::new(0));
        let reporter = {
            let (engine, ctx, rows) = (self.clone(), ctx.clone(), rows.clone());
            tokio::spawn(async move {
                let mut last = 0;
                loop {
                    tokio::time::sleep(PROGRESS_EVERY).await;
                    let now_rows = rows.load(Ordering::Relaxed);
                    if now_rows != last {
                        last = now_rows;
                        if let Ok(mut tx) = engine.store.begin_write().await {
                            let _ = engine.store.set_import_progress(&mut tx, ctx.id, id, now_rows as i64, now_ms()).await;
                            let _ = philia_store::commit(tx).await;
                        }
                    }
                }
            })
        };
        let counter = rows.clone();
        let outcome = self
            .import_csv(
                ctx,
                kind,
                std::io::Cursor::new(file),
                &options,
                &mut move |n| counter.store(n, Ordering::Relaxed),
                &mut |_| {},
            )
            .await;
        reporter.abort();
        let (report, error) = match &outcome {
            Ok(r) => (Some(serde_json::to_string(r).expect("reports serialise")), None),
            Err(e) => (None, Some(serde_json::to_string(&reason(e)).expect("text serialises"))),
        };
        let read = outcome.as_ref().map(|r| r.rows).unwrap_or_else(|_| rows.load(Ordering::Relaxed)) as i64;
        let mut tx = self.store.begin_write().await?;
        self.store.finish_import_job(&mut tx, ctx.id, id, read, report.as_deref(), error.as_deref(), now_ms()).await?;
        philia_store::commit(tx).await?;
        Ok(())
    }

    pub async fn import_job(&self, ctx: &TenantContext, id: i64) -> Result<ImportJob> {
        let mut tx = self.store.begin_read().await?;
        let row = self.store.import_job(&mut tx, ctx.id, id).await?.ok_or(EngineError::NotFound("import"))?;
        let silent = row.status == "running" && now_ms() - row.updated_at > SILENT_MS;
        Ok(ImportJob {
            id: row.id,
            kind: row.kind,
            status: if silent { "interrupted".into() } else { row.status },
            rows_read: row.rows_read,
            report: row.report.and_then(|r| serde_json::from_str(&r).ok()),
            error: row.error.and_then(|e| serde_json::from_str(&e).ok()),
        })
    }
}
