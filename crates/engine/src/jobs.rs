//! Background jobs of a serving process.

use crate::Engine;

impl Engine {
    /// The jobs a serving process runs: point expiry, release of expired code reservations, due
    /// campaigns, customer counts and mission deadlines every minute; tier and loyalty class evaluation, the RFM refresh,
    /// segment membership, the CLV models, retention and forgetting old club sign-in codes once a day.
    /// Errors are logged and the next round tries again.
    pub async fn run_background_jobs(self) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first daily evaluation waits a while after start, so a restart (or a fleet of them)
        // does not begin with a pass over every customer of every tenant.
        let mut next_evaluation = std::time::Instant::now() + std::time::Duration::from_secs(10 * 60);
        loop {
            let mut stop = self.stopping_signal();
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            if std::time::Instant::now() >= next_evaluation {
                next_evaluation = std::time::Instant::now() + std::time::Duration::from_secs(24 * 3600);
                self.evaluate_every_tenant().await;
                self.apply_data_retention_everywhere().await;
                if let Err(e) = self.forget_old_club_codes().await {
                    tracing::warn!(error = %e, "forgetting old club sign-in codes failed");
                }
            }
            if let Err(e) = self.release_expired_reservations(crate::now_ms()).await {
                tracing::warn!(error = %e, "releasing expired code reservations failed");
            }
            match self.run_point_expiry(crate::now_ms(), None).await {
                Ok(r) if r.accounts + r.warnings > 0 => {
                    tracing::info!(accounts = r.accounts, warnings = r.warnings, "point expiry")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "point expiry failed"),
            }
            match self.launch_due_campaigns(crate::now_ms()).await {
                Ok(n) if n > 0 => tracing::info!(launched = n, "scheduled campaigns"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "launching scheduled campaigns failed"),
            }
            self.fold_counts().await;
            match self.expire_missions(crate::now_ms()).await {
                Ok(n) if n > 0 => tracing::info!(expired = n, "mission deadlines"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "mission expiry failed"),
            }
        }
    }

    /// Folds the changes of the kept counts (customers per tier and segment, purchase links and
    /// gaps) into the counts (PostgreSQL records them apart; see the store). Losing the race to
    /// another process's fold is not a failure.
    pub async fn fold_counts(&self) {
        match self.store.fold_count_changes().await {
            Ok(_) => {}
            Err(e) if e.is_transient() => tracing::debug!(error = %e, "another process folded the kept counts first"),
            Err(e) => tracing::warn!(error = %e, "folding the kept counts failed"),
        }
    }

    async fn evaluate_every_tenant(&self) {
        let tenants = match self.list_tenants().await {
            Ok(t) => t,
            Err(e) => return tracing::warn!(error = %e, "listing tenants for tier evaluation failed"),
        };
        for t in tenants {
            let result = match self.tenant(&t.slug).await {
                Ok(ctx) => match self.evaluate_all_tiers(&ctx, crate::now_ms(), "evaluation").await {
                    Ok(moved) => match self.classify_all(&ctx, crate::now_ms()).await {
                        Ok(()) => match self.refresh_rfm(&ctx).await {
                            Ok(_) => match self.refresh_all_segments(&ctx).await {
                                // A tenant without enough purchases has no CLV model yet: not a failure.
                                Ok(_) => match self.fit_clv(&ctx).await {
                                    Ok(_) | Err(crate::EngineError::Invalid(_)) => Ok(moved),
                                    Err(e) => Err(e),
                                },
                                Err(e) => Err(e),
                            },
                            Err(e) => Err(e),
                        },
                        Err(e) => Err(e),
                    },
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            };
            match result {
                Ok(moved) if moved > 0 => tracing::info!(tenant = %t.slug, moved, "tier evaluation"),
                Ok(_) => {}
                Err(e) => tracing::warn!(tenant = %t.slug, error = %e, "tier evaluation failed"),
            }
        }
    }
}
