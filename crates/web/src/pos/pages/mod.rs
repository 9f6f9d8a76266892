//! One file per till page.

pub mod branch;
pub mod receipt;
pub mod till;
