//! Connecting, transactions, and the few statements that differ between the two databases.

use crate::{Result, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor, Row};
use std::str::FromStr;
use std::time::Duration;

pub type Conn = sqlx::AnyConnection;

/// A write transaction. On SQLite it also holds this process's writer lock from `BEGIN` until the
/// commit has finished, including the WAL checkpoint SQLite runs at commit. Without that, the next
/// writer starts before the checkpoint is done, the WAL can never start over, and it grows without
/// bound (several GB over a million invoices) while every read slows down.
pub struct Tx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Told after a SQLite write commits, so the background checkpointer wakes only when there
    /// is something to copy.
    committed: Option<std::sync::Arc<tokio::sync::Notify>>,
}

impl std::ops::Deref for Tx {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.tx
    }
}

impl Tx {
    pub async fn rollback(self) -> Result<()> {
        Ok(self.tx.rollback().await?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// SQLite's one writing connection. A connection that sees another's commit drops its whole
    /// page cache, so writes spread over the reading pool would each start cold; on one connection
    /// the pages a batch of invoices needs stay cached from one transaction to the next.
    writes: Option<AnyPool>,
    backend: Backend,
    /// One writer at a time in this process (SQLite only; PostgreSQL locks rows instead).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Held by every clone; the SQLite checkpointer stops once the last one is gone.
    alive: std::sync::Arc<()>,
    /// Wakes the SQLite checkpointer after a write commits.
    committed: std::sync::Arc<tokio::sync::Notify>,
}

/// SQLite page cache per connection, in KiB: the writer keeps the pages every batch touches
/// (customers, statistics, indexes); readers' caches are dropped at every commit of the writer,
/// so a large one only holds memory.
const SQLITE_WRITER_CACHE_KIB: i64 = 262_144;
const SQLITE_READER_CACHE_KIB: i64 = 32_768;
/// How much of the SQLite file each reading connection reads through a memory map instead of
/// copying pages into its cache: index probes over a large tenant (a segment's candidates, the
/// reports' purchase days) read pages the cache rarely holds, and a mapped page costs no system
/// call and no copy (docs/BENCHMARKS.md "Eighth pass"). SQLite caps it at its build's limit
/// (2 GiB); the rest of a larger file is read as before. Mapped pages are the operating system's
/// file cache, shared by every connection, and show in the process's resident size. The writer
/// keeps its large cache and no map: its pages stay cached between batches anyway.
const SQLITE_READER_MMAP_BYTES: i64 = 1 << 40;

/// A pool of `max` connections set up for `backend` (`cache_kib` and `mmap_bytes`: SQLite's page
/// cache and memory map of each).
async fn open_pool(
    options: &AnyConnectOptions,
    backend: Backend,
    max: u32,
    (cache_kib, mmap_bytes): (i64, i64),
) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(60))
        // A pooled connection is pinged before each use to find ones the server dropped. A SQLite
        // connection is a file in this process that no one drops, and its ping is one more trip
        // to the connection's thread and back for every request.
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Postgres {
                    // Statements are prepared once per connection; a generic plan chosen while a
                    // table was small (a sequential scan) would otherwise stay after it has grown.
                    conn.execute("SET plan_cache_mode = force_custom_plan").await?;
                }
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the one writer; NORMAL sync is durable across
                    // application crashes and fast; a writer waits for the lock instead of failing.
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA busy_timeout = 60000").await?;
                    conn.execute(sqlx::AssertSqlSafe(format!("PRAGMA cache_size = -{cache_kib}"))).await?;
                    // Checkpoint every ~8 MB of WAL. The checkpoint runs inside a commit, so its
                    // size is the stall a concurrent request waits out: at 20,000 pages redeem p99
                    // at 500/s was 68 ms, at 2,000 pages 11 ms, while batch ingestion kept its rate
                    // (docs/BENCHMARKS.md).
                    conn.execute("PRAGMA wal_autocheckpoint = 2000").await?;
                    conn.execute("PRAGMA temp_store = MEMORY").await?;
                    conn.execute(sqlx::AssertSqlSafe(format!("PRAGMA mmap_size = {mmap_bytes}"))).await?;
                }
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await?)
}

/// How long the SQLite checkpointer lets commits gather before it copies them.
const CHECKPOINT_AFTER: Duration = Duration::from_millis(50);
/// How often the checkpointer looks whether the store is still in use while nothing is written.
const CHECKPOINT_IDLE_CHECK: Duration = Duration::from_secs(1);

/// Copies committed pages from the WAL into the database file on a reading connection, beside
/// the writer, within ~50 ms of a commit. The commit that passes `wal_autocheckpoint` still
/// checkpoints under the writer lock, which is what lets the WAL start over (see [`Tx`]); it now
/// finds the pages already copied, so the request whose commit it is no longer waits out ~8 MB
/// of copying (redeem p99 at 500/s, docs/BENCHMARKS.md). A passive checkpoint never waits for or
/// blocks the writer.
async fn checkpoint_in_background(pool: AnyPool, alive: std::sync::Weak<()>, committed: std::sync::Arc<tokio::sync::Notify>) {
    let in_use = || alive.upgrade().is_some() && !pool.is_closed();
    while in_use() {
        if tokio::time::timeout(CHECKPOINT_IDLE_CHECK, committed.notified()).await.is_err() {
            continue;
        }
        tokio::time::sleep(CHECKPOINT_AFTER).await;
        if !in_use() {
            return;
        }
        let started = std::time::Instant::now();
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_all(&pool).await {
            Err(e) => tracing::debug!(error = %e, "background checkpoint"),
            Ok(_) if started.elapsed() > SLOW_WRITE => {
                tracing::debug!(ms = started.elapsed().as_millis() as u64, "slow background checkpoint")
            }
            Ok(_) => {}
        }
    }
}

impl Store {
    /// Opens `sqlite://FILE` (created when missing, WAL journal) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        Ok(match backend {
            Backend::Postgres => {
                let pool = open_pool(&options, backend, 16, (0, 0)).await?;
                Store {
                    pool,
                    writes: None,
                    backend,
                    writer: Default::default(),
                    alive: Default::default(),
                    committed: Default::default(),
                }
            }
            Backend::Sqlite => {
                let store = Store {
                    pool: open_pool(&options, backend, 8, (SQLITE_READER_CACHE_KIB, SQLITE_READER_MMAP_BYTES)).await?,
                    writes: Some(open_pool(&options, backend, 1, (SQLITE_WRITER_CACHE_KIB, 0)).await?),
                    backend,
                    writer: Default::default(),
                    alive: Default::default(),
                    committed: Default::default(),
                };
                let (pool, alive, committed) =
                    (store.pool.clone(), std::sync::Arc::downgrade(&store.alive), store.committed.clone());
                tokio::spawn(checkpoint_in_background(pool, alive, committed));
                store
            }
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (BEGIN IMMEDIATE), so
    /// two writers queue instead of one failing when it upgrades a read lock.
    pub async fn begin_write(&self) -> Result<Tx> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let writer = self.writer.clone().lock_owned().await;
                let writes = self.writes.as_ref().unwrap_or(&self.pool);
                let tx = writes.begin_with("BEGIN IMMEDIATE").await?;
                Tx { tx, _writer: Some(writer), committed: Some(self.committed.clone()) }
            }
            Backend::Postgres => Tx { tx: self.pool.begin().await?, _writer: None, committed: None },
        })
    }

    /// A read-only snapshot.
    pub async fn begin_read(&self) -> Result<Tx> {
        Ok(Tx { tx: self.pool.begin().await?, _writer: None, committed: None })
    }

    pub async fn close(&self) {
        if let Some(writes) = &self.writes {
            writes.close().await;
        }
        self.pool.close().await;
    }

    /// Reserves `N` fresh ids in one statement, as an array to destructure.
    pub async fn allocate_id_array<const N: usize>(&self, conn: &mut Conn) -> Result<[i64; N]> {
        let ids = self.allocate_ids(conn, N).await?;
        Ok(ids.try_into().expect("allocate_ids returns as many ids as asked for"))
    }

    /// Reserves `n` fresh ids. PostgreSQL draws them from a sequence (no lock held until commit);
    /// SQLite bumps a counter row inside the already exclusive write transaction.
    pub async fn allocate_ids(&self, conn: &mut Conn, n: usize) -> Result<Vec<i64>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        match self.backend {
            Backend::Postgres => {
                let rows = sqlx::query("SELECT nextval('philia_ids') AS id FROM generate_series(1, $1)")
                    .bind(n as i64)
                    .fetch_all(&mut *conn)
                    .await?;
                rows.iter().map(|r| r.try_get::<i64, _>("id").map_err(StoreError::from)).collect()
            }
            Backend::Sqlite => {
                let row = sqlx::query("UPDATE id_counter SET next_id = next_id + $1 WHERE name = 'ids' RETURNING next_id")
                    .bind(n as i64)
                    .fetch_one(&mut *conn)
                    .await?;
                let end: i64 = row.try_get("next_id")?;
                Ok((end - n as i64..end).collect())
            }
        }
    }

    /// When (epoch ms, the database's clock) the oldest transaction of this database still open in
    /// another session began, on PostgreSQL; SQLite has no such sessions to ask about.
    pub async fn oldest_open_transaction(&self, conn: &mut Conn) -> Result<Option<i64>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM MIN(xact_start)) * 1000) AS BIGINT) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
               AND backend_type = 'client backend'",
        )
        .fetch_one(&mut *conn)
        .await?;
        Ok(row.try_get(0)?)
    }

    /// The suffix that locks selected rows until commit on PostgreSQL. SQLite needs none: its
    /// write transactions are already exclusive.
    pub fn lock_suffix(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }
}

impl Store {
    /// The suffix by which concurrent queue workers on PostgreSQL claim different rows: each
    /// skips rows another has locked. SQLite's single writer needs none.
    pub fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }
}

/// `$start, $start+1, …` placeholders for an `IN (…)` list of `n` values.
pub fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// A commit or background checkpoint slower than this is logged: on SQLite a slow commit is a
/// wait for every writer queued behind it.
const SLOW_WRITE: Duration = Duration::from_millis(20);

/// Commits a transaction (and then lets the next writer in).
pub async fn commit(tx: Tx) -> Result<()> {
    let committed = tx.committed.clone();
    let started = std::time::Instant::now();
    tx.tx.commit().await?;
    let took = started.elapsed();
    if took > SLOW_WRITE {
        tracing::debug!(ms = took.as_millis() as u64, "slow commit");
    }
    if let Some(c) = committed {
        c.notify_one();
    }
    Ok(())
}

impl Store {
    /// Refreshes the planner's statistics of every table (after a bulk load, where PostgreSQL's
    /// autovacuum has not caught up or is off, the planner would still think tables empty).
    pub async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(self.pool()).await?;
        Ok(())
    }
}
