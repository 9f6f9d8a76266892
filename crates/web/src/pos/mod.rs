//! The till at `/pos` (SPEC F1): staff sign in on the staff sign-in page and choose their
//! branch; the till page searches products as the cashier types or scans, keeps the cart in
//! the browser (so a lost connection loses nothing), looks customers up, asks the loyalty
//! engine for the quote and records the sale; receipts print on 80-mm paper with a Code 128
//! barcode that the till scans back for returns.

pub mod api;
pub mod assets;
pub mod barcode;
pub mod guard;
pub mod layout;
pub mod pages;
pub mod text;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use pages::{branch, receipt, till};

pub fn router(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/pos", get(till::page))
        .route("/pos/branch", get(branch::page).post(branch::choose))
        .route("/pos/api/products", get(api::products))
        .route("/pos/api/customers", get(api::find_customer).post(api::add_customer))
        .route("/pos/api/quote", post(api::quote))
        .route("/pos/api/sales", post(api::sell))
        .route("/pos/receipts", get(receipt::lookup))
        .route("/pos/receipts/{id}", get(receipt::page))
        .route("/pos/receipts/{id}/lines/{line}/return", post(receipt::return_line))
        .route_layer(axum::middleware::from_fn_with_state(state, guard::guard));
    Router::new().merge(assets::ASSETS.router()).merge(signed_in)
}
