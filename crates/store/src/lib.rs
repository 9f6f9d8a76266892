//! Persistence. One schema and one query text per operation, written in the SQL that SQLite and
//! PostgreSQL share (`$n` parameters, `ON CONFLICT`, `RETURNING`, BIGINT/TEXT columns), run through
//! sqlx's `Any` driver. The few places where the two differ (id allocation, row locks, connection
//! pragmas) are named functions in [`db`]. Every table's key starts with `tenant_id`.
//!
//! Instants are stored as BIGINT milliseconds since the Unix epoch (UTC); tenant-local days as
//! TEXT `YYYY-MM-DD`; flags as BIGINT 0/1; structured values as JSON text.

pub mod addressees;
pub mod audit;
pub mod automations;
pub mod baseline;
pub mod batch;
pub mod bench_facts;
pub mod bulk;
pub mod campaigns;
pub mod catalogue;
pub mod club;
pub mod clv;
pub mod codes;
pub mod connections;
pub mod count_folds;
pub mod customer_counts;
pub mod customers;
pub mod db;
pub mod deliveries;
pub mod error;
pub mod events;
pub mod games;
pub mod health;
pub mod identities;
pub mod import_jobs;
pub mod invoices;
pub mod lists;
pub mod messages;
pub mod missions;
pub mod networks;
pub mod notes;
mod packed;
pub mod points;
pub mod pos;
pub mod privacy;
pub mod purchase_counts;
pub mod push;
pub mod rebuild;
pub mod referrals;
pub mod reports;
pub mod retention;
pub mod rewards;
pub mod rfm;
pub mod rollups;
pub mod rules;
pub mod schema;
pub mod segment_range;
pub mod segment_sql;
pub mod segments;
pub mod settings;
pub mod staff_sessions;
pub mod staging;
pub mod tenants;
pub mod tiers;
pub mod wallet;
pub mod webhooks;

pub use db::{Backend, Conn, Store, Tx, commit};
pub use error::StoreError;

pub type Result<T> = std::result::Result<T, StoreError>;
