pub mod catalogue;
pub mod checkout;
pub mod classes;
pub mod customers;
pub mod events;
pub mod imports;
pub mod invoices;
pub mod points;
pub mod promotions;
pub mod referrals;
pub mod rewards;
pub mod stats;
pub mod system;
pub mod tenants;
pub mod tiers;
pub mod wallet;

/// Default and largest page sizes of list endpoints.
pub const DEFAULT_LIMIT: i64 = 50;
