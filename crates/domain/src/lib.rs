//! Pure types and rules of Philia. Nothing in this crate performs IO: every value that enters the
//! system from outside is parsed here into a type that cannot hold an invalid state.

pub mod automations;
pub mod calendar;
pub mod campaigns;
pub mod catalogue;
pub mod checkout;
pub mod classes;
pub mod club;
pub mod condition;
pub mod connections;
pub mod customer;
pub mod digits;
pub mod discounts;
pub mod draw;
pub mod earning;
pub mod email;
pub mod event;
pub mod games;
pub mod ids;
pub mod invoice;
pub mod issue;
pub mod lists;
pub mod message_templates;
pub mod messaging;
pub mod missions;
pub mod mobile;
pub mod money;
pub mod notes;
pub mod plans;
pub mod points;
pub mod pos;
pub mod privacy;
pub mod records;
pub mod referrals;
pub mod reports;
pub mod rewards;
pub mod rfm;
pub mod roles;
pub mod rollup;
pub mod segments;
pub mod shop_token;
pub mod staff_auth;
pub mod tenant;
pub mod tiers;
pub mod woocommerce;

pub use issue::{FieldError, Invalid, Issue};
