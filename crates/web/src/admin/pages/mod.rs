pub mod customer_actions;
pub mod customers;
pub mod dashboard;
pub mod inbox;
pub mod rfm;
pub mod segments;
pub mod sign_in;
