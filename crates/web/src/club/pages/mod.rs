//! One file per club page.

pub mod games;
pub mod home;
pub mod missions;
pub mod network;
pub mod notifications;
pub mod profile;
pub mod rewards;
pub mod sign_in;
pub mod widget;
