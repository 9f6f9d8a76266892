pub mod customer_actions;
pub mod customers;
pub mod dashboard;
pub mod inbox;
pub mod sign_in;
