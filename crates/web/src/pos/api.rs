//! The till's JSON calls: products as the cashier types, customers by mobile (or added on the
//! spot), the quote, and the sale. Errors are the API's problem documents, fields named.

use crate::AppState;
use crate::extract::Json;
use crate::extract::Query;
use crate::pos::guard::Till;
use crate::problem::ApiError;
use axum::extract::State;
use philia_engine::pos::{TillCustomer, TillSale};
use serde::Deserialize;
use serde_json::{Value, json};

type JsonResult = Result<axum::Json<Value>, ApiError>;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn products(State(state): State<AppState>, till: Till, Query(q): Query<SearchQuery>) -> JsonResult {
    let found = state.engine.till_search(&till.session, &q.q).await?;
    let items: Vec<Value> =
        found.iter().map(|p| json!({"sku": p.sku, "name": p.name, "price": p.price, "stock": p.stock})).collect();
    Ok(axum::Json(json!({ "items": items })))
}

fn customer_json(c: &TillCustomer) -> Value {
    let points: Vec<Value> = c
        .balances
        .iter()
        .map(|b| json!({"point_type": b.balance.point_type, "name": b.name, "balance": b.balance.balance, "spendable": b.spendable}))
        .collect();
    json!({"id": c.id, "name": c.name, "mobile": c.mobile, "tier": c.tier, "points": points,
        "wallet": c.wallet.available, "codes": c.codes})
}

#[derive(Deserialize)]
pub struct MobileQuery {
    #[serde(default)]
    mobile: String,
}

pub async fn find_customer(State(state): State<AppState>, till: Till, Query(q): Query<MobileQuery>) -> JsonResult {
    let found = state.engine.till_customer(&till.session.ctx, &q.mobile).await?;
    Ok(axum::Json(json!({ "customer": found.as_ref().map(customer_json) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    mobile: String,
    #[serde(default)]
    name: String,
}

pub async fn add_customer(State(state): State<AppState>, till: Till, Json(input): Json<NewCustomer>) -> JsonResult {
    let c = state.engine.till_add_customer(&till.session.ctx, &input.mobile, &input.name).await?;
    Ok(axum::Json(json!({ "customer": customer_json(&c) })))
}

pub async fn quote(State(state): State<AppState>, till: Till, Json(sale): Json<TillSale>) -> JsonResult {
    let q = state.engine.till_quote(&till.session, &sale).await?;
    Ok(axum::Json(serde_json::to_value(q).unwrap_or_default()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaleRequest {
    sale: TillSale,
    /// Drawn when the cart was started: a repeated press (or a retry after a lost answer)
    /// records the sale once.
    key: String,
}

pub async fn sell(State(state): State<AppState>, till: Till, Json(req): Json<SaleRequest>) -> JsonResult {
    let id = state.engine.till_sell(&till.session, &req.sale, &format!("till:{}", req.key)).await?;
    Ok(axum::Json(json!({"invoice_id": id, "receipt": format!("/pos/receipts/{id}")})))
}
