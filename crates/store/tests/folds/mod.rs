//! Folding the kept counts' changes beside a test's writers.

use philia_store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Folds the pending changes, again when a fold running beside it got there first.
pub async fn fold(store: &Store) {
    loop {
        match store.fold_count_changes().await {
            Ok(_) => return,
            Err(e) if e.is_transient() => tokio::task::yield_now().await,
            Err(e) => panic!("{e}"),
        }
    }
}

/// Runs the writers that `spawn` starts with folds running beside them until all are done; on
/// PostgreSQL, where changes are recorded to be folded, at least one fold must have folded some.
pub async fn while_folding(store: &Store, spawn: impl FnOnce() -> Vec<tokio::task::JoinHandle<()>>) {
    let done = Arc::new(AtomicBool::new(false));
    let folder = {
        let (store, done) = (store.clone(), done.clone());
        tokio::spawn(async move {
            let mut folded = 0;
            while !done.load(Ordering::Relaxed) {
                match store.fold_count_changes().await {
                    Ok(n) => folded += n,
                    Err(e) if e.is_transient() => {}
                    Err(e) => panic!("{e}"),
                }
                tokio::task::yield_now().await;
            }
            folded
        })
    };
    for writer in spawn() {
        writer.await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let folded = folder.await.unwrap();
    if store.backend() == philia_store::Backend::Postgres {
        assert!(folded > 0, "no fold ran beside the writers");
    }
}

/// Checks a random workload's step: every 10 steps the kept counts equal the counted ones, and
/// every 25 also after a fold. `read` answers (kept, counted).
pub async fn check_step<T, F, Fut>(store: &Store, step: u32, read: F)
where
    T: PartialEq + std::fmt::Debug,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (T, T)>,
{
    if step.is_multiple_of(10) {
        let (kept, counted) = read().await;
        assert_eq!(kept, counted, "step {step} on {:?}", store.backend());
    }
    if step.is_multiple_of(25) {
        fold(store).await;
        let (kept, counted) = read().await;
        assert_eq!(kept, counted, "folded at {step} on {:?}", store.backend());
    }
}
