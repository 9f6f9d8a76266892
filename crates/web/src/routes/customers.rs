//! Customers: create-or-update by identity, search, profile, merge, timeline, conflicts.

use crate::AppState;
use crate::auth::Auth;
use crate::extract::{Id, Json, Query};
use crate::problem::{ApiError, ApiResult};
use axum::extract::State;
use axum::http::StatusCode;
use philia_domain::customer::CustomerInput;
use philia_domain::records::{Customer, IdentityConflict};
use philia_domain::roles::Access;
use philia_engine::customers::CustomerFilter;
use philia_engine::customers::{Page, TimelineItem, UpsertOutcome};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_customers, upsert_customer))
        .routes(routes!(upsert_customers_batch))
        .routes(routes!(get_customer, update_customer))
        .routes(routes!(merge_customer))
        .routes(routes!(customer_timeline))
        .routes(routes!(list_conflicts))
}

#[derive(Serialize, ToSchema)]
pub struct UpsertResponse {
    pub outcome: UpsertOutcome,
    pub customer: Customer,
}

/// Creates a customer, or updates the one its identifiers (external id, mobile, email) match.
#[utoipa::path(post, path = "/customers", tag = "customers", request_body = CustomerInput,
    responses((status = 201, body = UpsertResponse, description = "created"), (status = 200, body = UpsertResponse, description = "matched an existing customer"), (status = 422, body = crate::problem::Problem)))]
async fn upsert_customer(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<CustomerInput>,
) -> ApiResult<(StatusCode, Json<UpsertResponse>)> {
    auth.require(Access::Write)?;
    let patch = input.parse()?;
    let outcome = s.engine.upsert_customers(&auth.ctx, "api", &[patch]).await?.remove(0);
    let customer = s.engine.customer(&auth.ctx, outcome.customer_id).await?;
    let status = if outcome.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(UpsertResponse { outcome, customer })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBatch {
    pub customers: Vec<CustomerInput>,
}

#[derive(Serialize, ToSchema)]
pub struct CustomerBatchResult {
    pub index: usize,
    /// `created`, `updated`, `unchanged` or `invalid`.
    pub status: String,
    pub customer_id: Option<i64>,
    pub conflicting_identifiers: Vec<String>,
    pub errors: Vec<philia_domain::FieldError>,
}

/// Creates or updates up to 10,000 customers in one transaction; invalid items are reported and skipped.
#[utoipa::path(post, path = "/customers/batch", tag = "customers", request_body = CustomerBatch, responses((status = 200, body = Vec<CustomerBatchResult>)))]
async fn upsert_customers_batch(
    auth: Auth,
    State(s): State<AppState>,
    Json(batch): Json<CustomerBatch>,
) -> ApiResult<Json<Vec<CustomerBatchResult>>> {
    auth.require(Access::Write)?;
    if batch.customers.len() > philia_domain::invoice::MAX_BATCH {
        return Err(ApiError::invalid(vec![
            philia_domain::Issue::new("too_many", "a batch holds at most 10000 items", "هر دسته حداکثر ۱۰۰۰۰ مورد")
                .at("customers"),
        ]));
    }
    let mut results: Vec<CustomerBatchResult> = Vec::with_capacity(batch.customers.len());
    let mut valid = Vec::new();
    for (index, c) in batch.customers.iter().enumerate() {
        match c.parse() {
            Ok(p) => {
                valid.push(p);
                results.push(CustomerBatchResult {
                    index,
                    status: String::new(),
                    customer_id: None,
                    conflicting_identifiers: vec![],
                    errors: vec![],
                });
            }
            Err(e) => results.push(CustomerBatchResult {
                index,
                status: "invalid".into(),
                customer_id: None,
                conflicting_identifiers: vec![],
                errors: e.0.into_iter().map(|f| f.within(&format!("customers[{index}]"))).collect(),
            }),
        }
    }
    let outcomes = s.engine.upsert_customers(&auth.ctx, "api", &valid).await?;
    for (r, o) in results.iter_mut().filter(|r| r.status.is_empty()).zip(outcomes) {
        r.status = if o.created {
            "created"
        } else if o.changed {
            "updated"
        } else {
            "unchanged"
        }
        .into();
        r.customer_id = Some(o.customer_id);
        r.conflicting_identifiers = o.conflicting_identifiers;
    }
    Ok(Json(results))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Mobile or email (exact, any writing), external id, or the start of a name.
    pub q: Option<String>,
    pub tag: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub gender: Option<String>,
    /// Tier code.
    pub tier: Option<String>,
    /// RFM segment code (e.g. `champions`).
    pub rfm_segment: Option<String>,
    pub min_invoices: Option<i64>,
    /// Minimum net spend.
    pub min_spend: Option<i64>,
    pub sms_opt_in: Option<bool>,
    pub cursor: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
}

/// Lists and searches customers, in id order, with cursor pagination.
#[utoipa::path(get, path = "/customers", tag = "customers", params(CustomerQuery), responses((status = 200, body = Page<Customer>)))]
async fn list_customers(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<CustomerQuery>,
) -> ApiResult<Json<Page<Customer>>> {
    auth.require(Access::Read)?;
    let filter = CustomerFilter {
        tag: q.tag,
        city: q.city,
        province: q.province,
        gender: q.gender,
        tier: q.tier,
        rfm_segment: q.rfm_segment,
        min_invoices: q.min_invoices,
        min_spend: q.min_spend,
        sms_opt_in: q.sms_opt_in,
        ..Default::default()
    };
    let page = s
        .engine
        .search_customers(&auth.ctx, q.q.as_deref(), filter, q.cursor.as_deref(), q.limit.unwrap_or(super::DEFAULT_LIMIT))
        .await?;
    Ok(Json(page))
}

/// The full profile; the id of a merged customer returns the surviving profile.
#[utoipa::path(get, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)), responses((status = 200, body = Customer), (status = 404, body = crate::problem::Problem)))]
async fn get_customer(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<Json<Customer>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.customer(&auth.ctx, id).await?))
}

/// Changes fields of one customer; absent fields stay, empty strings clear.
#[utoipa::path(patch, path = "/customers/{id}", tag = "customers", params(("id" = i64, Path)), request_body = CustomerInput,
    responses((status = 200, body = UpsertResponse), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn update_customer(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Json(input): Json<CustomerInput>,
) -> ApiResult<Json<UpsertResponse>> {
    auth.require(Access::Write)?;
    let patch = input.parse()?;
    let outcome = s.engine.update_customer(&auth.ctx, id, patch).await?;
    let customer = s.engine.customer(&auth.ctx, outcome.customer_id).await?;
    Ok(Json(UpsertResponse { outcome, customer }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The customer merged into this one; its id keeps resolving to this customer.
    pub merge_id: i64,
}

/// Merges another customer into this one, moving all history.
#[utoipa::path(post, path = "/customers/{id}/merge", tag = "customers", params(("id" = i64, Path)), request_body = MergeInput,
    responses((status = 200, body = Customer), (status = 404, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem)))]
async fn merge_customer(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Json(input): Json<MergeInput>,
) -> ApiResult<Json<Customer>> {
    auth.require(Access::Write)?;
    Ok(Json(s.engine.merge_customers(&auth.ctx, id, input.merge_id).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitQuery {
    pub limit: Option<i64>,
}

/// Invoices, refunds and events of a customer, newest first.
#[utoipa::path(get, path = "/customers/{id}/timeline", tag = "customers", params(("id" = i64, Path), LimitQuery), responses((status = 200, body = Vec<TimelineItem>)))]
async fn customer_timeline(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Query(q): Query<LimitQuery>,
) -> ApiResult<Json<Vec<TimelineItem>>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.timeline(&auth.ctx, id, q.limit.unwrap_or(100)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConflictQuery {
    /// `open` (default) or `resolved`.
    pub status: Option<String>,
}

/// Records whose identifiers pointed at different customers, for review.
#[utoipa::path(get, path = "/identity-conflicts", tag = "customers", params(ConflictQuery), responses((status = 200, body = Vec<IdentityConflict>)))]
async fn list_conflicts(
    auth: Auth,
    State(s): State<AppState>,
    Query(q): Query<ConflictQuery>,
) -> ApiResult<Json<Vec<IdentityConflict>>> {
    auth.require(Access::Read)?;
    let status = q.status.unwrap_or_else(|| "open".into());
    Ok(Json(s.engine.identity_conflicts(&auth.ctx, &status).await?))
}
