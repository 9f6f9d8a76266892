//! What is stored and shown: the records the store reads back and the API returns.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Tenant {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub currency: String,
    pub time_zone: String,
    pub calendar: String,
    /// `economic` or `prime` (SPEC J3).
    pub plan: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// The first characters of the key, to recognise it; the key itself is never stored.
    pub prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub created_at: String,
}

/// Consent to be contacted on one channel, with when it was given or withdrawn.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Consent {
    pub opted_in: Option<bool>,
    pub changed_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ExternalId {
    pub source: String,
    pub id: String,
}

/// Statistics derived from the customer's invoices and events.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct CustomerStatsView {
    pub first_purchase_at: Option<String>,
    pub last_purchase_at: Option<String>,
    pub invoice_count: i64,
    pub gross_spend: i64,
    pub refund_total: i64,
    pub refund_count: i64,
    pub net_spend: i64,
    pub average_order_value: i64,
    pub event_count: i64,
    /// Historic customer lifetime value: net spend to date.
    pub clv: i64,
    pub first_login_at: Option<String>,
    pub last_login_at: Option<String>,
    pub last_logout_at: Option<String>,
    pub categories: Vec<CategoryStat>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CategoryStat {
    pub category: String,
    pub lines: i64,
    pub quantity: f64,
    pub spend: i64,
}

/// The full customer profile (SPEC A1).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Customer {
    pub id: i64,
    pub external_ids: Vec<ExternalId>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address_line: Option<String>,
    pub postal_code: Option<String>,
    #[schema(value_type = Object)]
    pub social: serde_json::Value,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub tags: Vec<String>,
    pub interests: Vec<String>,
    pub sms_consent: Consent,
    pub email_consent: Consent,
    /// Set by the loyalty engine's tiers.
    pub tier: Option<String>,
    /// Set by the tenant's loyalty-class rules.
    pub loyalty_class: Option<String>,
    /// Set by RFM scoring.
    pub rfm_segment: Option<String>,
    pub stats: CustomerStatsView,
    pub created_at: String,
    pub updated_at: String,
    /// When the customer's personal data was erased at their request (facts kept anonymously).
    pub erased_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Product {
    pub id: i64,
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub price: i64,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Branch {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub city: Option<String>,
    pub address: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StockLevel {
    pub branch: String,
    pub sku: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct InvoiceLine {
    pub sku: Option<String>,
    pub product_name: Option<String>,
    pub category: Option<String>,
    pub quantity: f64,
    pub unit_price: i64,
    pub discount: i64,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Invoice {
    pub id: i64,
    pub source: String,
    pub external_id: String,
    pub customer_id: Option<i64>,
    pub issued_at: String,
    pub channel: String,
    pub branch: Option<String>,
    pub status: String,
    pub subtotal: i64,
    pub discount: i64,
    pub shipping: i64,
    pub total: i64,
    pub refunded_total: i64,
    pub lines: Vec<InvoiceLine>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Refund {
    pub id: i64,
    pub invoice_id: i64,
    pub source: String,
    pub external_id: String,
    pub amount: i64,
    pub reason: Option<String>,
    pub refunded_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Event {
    pub id: i64,
    pub event_id: Option<String>,
    pub customer_id: Option<i64>,
    #[serde(rename = "type")]
    pub event_type: String,
    pub source: String,
    pub occurred_at: String,
    #[schema(value_type = Object)]
    pub properties: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct IdentityConflict {
    pub id: i64,
    pub created_at: String,
    pub source: String,
    pub keys: Vec<String>,
    pub customer_ids: Vec<i64>,
    /// The customer the record was attached to (the most specific identifier won).
    pub chosen_customer_id: i64,
    pub status: String,
}

/// One tenant day (tenant-local calendar day).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct DailyStats {
    pub day: String,
    pub sales: i64,
    pub invoices: i64,
    pub refunds: i64,
    pub refund_count: i64,
    pub net_sales: i64,
    pub new_customers: i64,
    pub active_customers: i64,
    pub events: i64,
    /// Sales and refunds of identified customers (anonymous sales excluded).
    pub customer_sales: i64,
    pub customer_refunds: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PointTypeRecord {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub expiry: crate::points::ExpiryPolicy,
    pub counts_for_tiers: bool,
    pub spendable: bool,
    pub warn_days: u32,
    /// What one point pays at checkout.
    pub cash_value: Option<i64>,
}

/// One version of an earning rule. Facts are evaluated with the version in force when they
/// happened: `effective_from` ≤ time < `effective_until`.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct EarningRuleRecord {
    pub id: i64,
    pub version: i64,
    pub effective_from: String,
    pub effective_until: Option<String>,
    pub active: bool,
    pub rule: crate::earning::RuleInput,
}

/// A customer's points of one type.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PointBalance {
    pub point_type: String,
    /// Open lots minus debt; negative while a refund's reversal is not yet covered.
    pub balance: i64,
    /// Points taken back by refunds after they had been spent; paid off by the next earnings.
    pub debt: i64,
    /// Earned minus reversed, plus adjustments: what tiers count.
    pub earned: i64,
    /// Points that expire within the type's warning period, and when the first of them do.
    pub expiring_soon: i64,
    pub next_expiry: Option<String>,
}

/// One line of the ledger that explains a balance.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct LedgerEntry {
    pub id: i64,
    pub customer_id: i64,
    pub point_type: String,
    /// `earn`, `spend`, `expire`, `adjust` or `reverse`.
    pub kind: String,
    /// Signed: positive adds to the balance.
    pub points: i64,
    /// For earnings: what is left of them.
    pub remaining: i64,
    pub at: String,
    pub expires_at: Option<String>,
    /// What caused it: `invoice`, `event`, `refund`, `api`, `staff`, `expiry`, `redemption`…
    pub source: String,
    pub source_id: Option<i64>,
    /// For reversals: the earning taken back.
    pub reverses: Option<i64>,
    pub idempotency_key: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
    /// For earnings by rules: `[[rule_id, version, points, points held back by caps], …]`.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

/// One change of a customer's tier.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TierChange {
    pub from: Option<String>,
    pub to: String,
    /// `purchase`, `refund`, `evaluation`, `adjustment`, `merge`, `programme`.
    pub reason: String,
    /// The qualifying metric's value when it changed.
    pub metric: i64,
    pub at: String,
}

/// Where a customer stands in the tier programme.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct TierStatus {
    pub tier: Option<String>,
    pub name: Option<String>,
    pub since: Option<String>,
    /// The qualifying metric over the programme's window, now.
    pub metric: i64,
    pub next_tier: Option<String>,
    /// How much of the metric is missing to reach the next tier.
    pub needed: Option<i64>,
    /// When set, the customer is below the tier and keeps it until the grace period ends.
    pub grace_until: Option<String>,
    pub benefits: Option<crate::tiers::TierBenefits>,
    pub history: Vec<TierChange>,
}

/// A customer's wallet.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct WalletBalance {
    /// Everything credited minus everything debited (may be negative after a refund took back
    /// cashback already spent).
    pub balance: i64,
    /// Credits not usable yet (cashback waiting for the return window to pass).
    pub pending: i64,
    /// What can be spent now.
    pub available: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct WalletEntry {
    pub id: i64,
    pub customer_id: i64,
    /// `cashback`, `conversion`, `checkout` (paid at checkout), `refund` (given back when that
    /// invoice is refunded), `reverse` (cashback taken back), `adjust`.
    pub kind: String,
    /// Signed: positive adds to the wallet.
    pub amount: i64,
    pub available_at: String,
    pub source: String,
    pub source_id: Option<i64>,
    pub idempotency_key: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RewardRecord {
    pub id: i64,
    #[serde(flatten)]
    pub reward: crate::rewards::RewardInput,
    /// What is left to redeem (absent: unlimited).
    pub stock_left: Option<i64>,
    pub redeemed: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Redemption {
    pub id: i64,
    pub reward: String,
    pub kind: String,
    pub customer_id: i64,
    /// `fulfilled`; for physical gifts `requested`, `approved`, `shipped`, `delivered` or `cancelled`;
    /// `withdrawn` for a mission's reward taken back when the purchase behind it was returned.
    pub status: String,
    pub points: i64,
    /// What the customer got: a discount code, a wallet credit, an entitlement.
    #[schema(value_type = Object)]
    pub outcome: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

/// Something a customer may use: VIP or early access until a time, game spins.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Entitlement {
    pub id: i64,
    pub kind: String,
    pub target: String,
    pub quantity: i64,
    pub valid_until: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PromotionRecord {
    pub id: i64,
    #[serde(flatten)]
    pub promotion: crate::discounts::PromotionInput,
    pub used: i64,
}

/// One referral: who was referred by whom, and whether it earned its rewards.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ReferralRecord {
    pub referee_id: i64,
    pub referrer_id: i64,
    /// `pending` (waiting for the first purchase), `rewarded`, or `not_qualified`.
    pub status: String,
    pub created_at: String,
    pub decided_at: Option<String>,
    pub invoice_id: Option<i64>,
}

/// A customer's referral code and link, who referred them, and whom they referred.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ReferralInfo {
    pub code: String,
    pub link: Option<String>,
    pub referred_by: Option<ReferralRecord>,
    pub referrals: Vec<ReferralRecord>,
}
