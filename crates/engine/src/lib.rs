//! Use cases. Each command validates its input with the domain types, applies the domain rules and
//! writes facts and rollups in one database transaction.

/// Runs `$work` (an expression that uses the connection `$conn`) in a write transaction and
/// commits it. When a concurrent writer claimed a key first (PostgreSQL), the transaction is
/// rolled back and `$work` runs again, and then sees the committed row.
macro_rules! in_write_tx {
    ($engine:expr, |$conn:ident| $work:expr) => {{
        let mut attempt = 0;
        loop {
            let mut tx = $engine.store.begin_write().await?;
            let $conn: &mut philia_store::Conn = &mut tx;
            match $work {
                Err($crate::EngineError::Race) if attempt < $crate::RACE_RETRIES => attempt += 1,
                Err(e) => break Err(e),
                Ok(out) => {
                    philia_store::commit(tx).await?;
                    break Ok(out);
                }
            }
        }
    }};
}

pub mod audit;
pub mod automations;
pub mod backup;
pub mod buyers;
pub mod campaign_effect;
pub mod campaigns;
pub mod catalogue;
pub mod checkout;
pub mod classes;
pub mod club;
pub mod club_sign_in;
pub mod club_widget;
pub mod clv;
pub mod coalition;
pub mod coalition_offers;
pub mod coalition_reports;
pub mod connections;
pub mod customers;
pub mod data_retention;
pub mod demo;
pub mod demo_load;
pub mod demo_network;
pub mod demo_programme;
pub mod doctor;
pub mod earning;
pub mod error;
pub mod events;
pub mod expiry;
pub mod export;
pub mod fact_horizon;
pub mod feed;
pub mod game_audit;
pub mod game_play;
pub mod games;
pub mod import;
pub mod import_jobs;
pub mod inbound;
pub mod invoices;
pub mod jobs;
pub mod lifecycle;
pub mod lists;
pub mod message_queue;
pub mod message_templates;
pub mod messaging;
pub mod mission_progress;
mod mission_refunds;
pub mod missions;
pub mod notes;
pub mod onboarding;
pub mod opt_out;
pub mod outbox;
pub mod points;
pub mod pos;
pub mod privacy;
pub mod promotions;
pub mod push;
pub mod referrals;
pub mod reports;
pub mod resolve;
pub mod rewards;
pub mod rfm;
pub mod secrets;
pub mod segments;
pub mod sepidar;
pub mod settings;
pub mod shop_orders;
pub mod shop_sync;
pub mod shopify;
pub mod staff_sessions;
pub mod stats;
pub mod tenancy;
pub mod tiers;
pub mod usage;
pub mod wallet;
pub mod webhooks;
pub mod woocommerce;

pub use error::EngineError;
pub use philia_store::{Backend, Store};
pub use tenancy::TenantContext;

pub type Result<T> = std::result::Result<T, EngineError>;

/// The application: everything the web layer and the CLI call.
#[derive(Clone)]
pub struct Engine {
    pub store: Store,
    /// Seals provider keys before they are stored.
    pub vault: secrets::Vault,
    /// The SMS and email providers' clients.
    pub channels: philia_channels::Channels,
    /// The address customers reach the club at (`PHILIA_PUBLIC_URL`), for links in messages.
    pub public_url: Option<String>,
    /// Wakes this process's outbox sender when a message is queued.
    pub outbox_signal: std::sync::Arc<tokio::sync::Notify>,
    /// Wakes this process's inbound worker when a delivery is kept.
    pub inbound_signal: std::sync::Arc<tokio::sync::Notify>,
    /// The demo: club sign-in codes of tenants without an SMS provider go to the server's log.
    pub demo_codes: bool,
    /// Set when the process is stopping: background loops finish the batch in hand and return.
    stopping: std::sync::Arc<tokio::sync::watch::Sender<bool>>,
}

impl Engine {
    /// Connects to `database_url` and brings the schema up to date.
    pub async fn open(database_url: &str) -> Result<Engine> {
        let store = Store::connect(database_url).await?;
        store.migrate().await?;
        Ok(Engine {
            store,
            vault: secrets::Vault::for_database(database_url),
            channels: philia_channels::Channels::new(),
            public_url: std::env::var("PHILIA_PUBLIC_URL").ok().filter(|u| !u.trim().is_empty()),
            outbox_signal: Default::default(),
            inbound_signal: Default::default(),
            demo_codes: false,
            stopping: std::sync::Arc::new(tokio::sync::watch::Sender::new(false)),
        })
    }

    /// The same engine with another key for sealed settings.
    pub fn with_vault(mut self, vault: secrets::Vault) -> Engine {
        self.vault = vault;
        self
    }

    /// The same engine writing club sign-in codes to its log when no SMS provider is set (the demo).
    pub fn with_demo_codes(mut self) -> Engine {
        self.demo_codes = true;
        self
    }

    /// One id from the shared id source, committed at once.
    pub async fn fresh_id(&self) -> Result<i64> {
        let mut tx = self.store.begin_write().await?;
        let id = self.store.allocate_ids(&mut tx, 1).await?[0];
        philia_store::commit(tx).await?;
        Ok(id)
    }

    /// Recomputes every rollup and point balance of a tenant from its facts.
    pub async fn rebuild(&self, ctx: &TenantContext) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        self.store.rebuild_rollups(&mut tx, ctx.id).await?;
        self.store.rebuild_points(&mut tx, ctx.id).await?;
        self.store.rebuild_wallets(&mut tx, ctx.id).await?;
        philia_store::commit(tx).await?;
        // Scores derive from the rollups just rebuilt.
        self.refresh_rfm(ctx).await?;
        Ok(())
    }
}

/// The current instant in epoch milliseconds.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// How many times a write that lost a race to a concurrent writer (PostgreSQL) is tried again.
const RACE_RETRIES: usize = 8;
