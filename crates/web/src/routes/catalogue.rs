//! Catalogue: categories, products, branches and stock.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Json, Query};
use crate::problem::ApiResult;
use axum::extract::{Path, State};
use philia_domain::catalogue::{BranchInput, CategoryInput, ProductInput, StockInput};
use philia_domain::records::{Branch, Category, Product, StockLevel};
use philia_domain::roles::Access;
use philia_engine::customers::Page;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories))
        .routes(routes!(put_category))
        .routes(routes!(list_products))
        .routes(routes!(get_product, put_product))
        .routes(routes!(list_branches))
        .routes(routes!(put_branch))
        .routes(routes!(branch_stock))
        .routes(routes!(change_stock))
}

#[utoipa::path(get, path = "/categories", tag = "catalogue", responses((status = 200, body = Vec<Category>)))]
async fn list_categories(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<Category>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.categories(&auth.ctx).await?))
}

/// Creates or updates a category by code; the parent must exist and cycles are refused.
#[utoipa::path(put, path = "/categories/{code}", tag = "catalogue", params(("code" = String, Path)), request_body = CategoryInput,
    responses((status = 200, body = Category), (status = 422, body = crate::problem::Problem)))]
async fn put_category(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<CategoryInput>,
) -> ApiResult<Json<Category>> {
    auth.require(Access::Write)?;
    Ok(Json(s.engine.put_category(&auth.ctx, &code, &input).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// Part of a name or SKU.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/products", tag = "catalogue", params(ProductQuery), responses((status = 200, body = Page<Product>)))]
async fn list_products(auth: Auth, State(s): State<AppState>, Query(q): Query<ProductQuery>) -> ApiResult<Json<Page<Product>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.products(&auth.ctx, q.q.as_deref(), q.cursor.as_deref(), q.limit.unwrap_or(super::DEFAULT_LIMIT)).await?))
}

#[utoipa::path(get, path = "/products/{sku}", tag = "catalogue", params(("sku" = String, Path)), responses((status = 200, body = Product), (status = 404, body = crate::problem::Problem)))]
async fn get_product(auth: Auth, State(s): State<AppState>, Path(sku): Path<String>) -> ApiResult<Json<Product>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.product(&auth.ctx, &sku).await?))
}

/// Creates or updates a product by SKU.
#[utoipa::path(put, path = "/products/{sku}", tag = "catalogue", params(("sku" = String, Path)), request_body = ProductInput,
    responses((status = 200, body = Product), (status = 422, body = crate::problem::Problem)))]
async fn put_product(
    auth: Auth,
    State(s): State<AppState>,
    Path(sku): Path<String>,
    Json(input): Json<ProductInput>,
) -> ApiResult<Json<Product>> {
    auth.require(Access::Write)?;
    Ok(Json(s.engine.put_product(&auth.ctx, &sku, &input).await?))
}

#[utoipa::path(get, path = "/branches", tag = "catalogue", responses((status = 200, body = Vec<Branch>)))]
async fn list_branches(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<Branch>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.branches(&auth.ctx).await?))
}

#[utoipa::path(put, path = "/branches/{code}", tag = "catalogue", params(("code" = String, Path)), request_body = BranchInput,
    responses((status = 200, body = Branch), (status = 422, body = crate::problem::Problem)))]
async fn put_branch(
    auth: Auth,
    State(s): State<AppState>,
    Path(code): Path<String>,
    Json(input): Json<BranchInput>,
) -> ApiResult<Json<Branch>> {
    auth.require(Access::Write)?;
    Ok(Json(s.engine.put_branch(&auth.ctx, &code, &input).await?))
}

#[utoipa::path(get, path = "/branches/{code}/stock", tag = "catalogue", params(("code" = String, Path)), responses((status = 200, body = Vec<StockLevel>)))]
async fn branch_stock(auth: Auth, State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<Vec<StockLevel>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.stock(&auth.ctx, &code).await?))
}

/// Sets (`quantity`) or moves (`delta`) a product's stock at a branch; it never goes below zero.
#[utoipa::path(post, path = "/branches/{code}/stock/{sku}", tag = "catalogue", params(("code" = String, Path), ("sku" = String, Path)), request_body = StockInput,
    responses((status = 200, body = StockLevel), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn change_stock(
    auth: Auth,
    State(s): State<AppState>,
    Path((code, sku)): Path<(String, String)>,
    Json(input): Json<StockInput>,
) -> ApiResult<Json<StockLevel>> {
    auth.require(Access::Write)?;
    Ok(Json(s.engine.change_stock(&auth.ctx, &code, &sku, &input).await?))
}
