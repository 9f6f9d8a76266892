//! The tenant itself, its API keys and staff users; tenant creation by the platform operator.

use crate::AppState;
use crate::auth::{Auth, bearer};
use crate::extract::{Id, Json};
use crate::problem::{ApiError, ApiResult};
use axum::extract::State;
use axum::http::StatusCode;
use philia_domain::records::{ApiKey, StaffUser, Tenant};
use philia_domain::roles::Access;
use philia_domain::tenant::NewTenant;
use philia_engine::tenancy::IssuedKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant))
        .routes(routes!(get_tenant, update_tenant))
        .routes(routes!(list_keys, create_key))
        .routes(routes!(revoke_key))
        .routes(routes!(rotate_key))
        .routes(routes!(list_staff, create_staff))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenantInput {
    pub slug: String,
    pub name: String,
    /// Default IRT (toman).
    pub currency: Option<String>,
    /// Default Asia/Tehran.
    pub time_zone: Option<String>,
    /// `jalali` (default) or `gregorian`.
    pub calendar: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedTenant {
    pub tenant: Tenant,
    /// An admin key for the new tenant, shown only now.
    pub admin_key: IssuedKey,
}

/// Checks the platform operator's token (`Authorization: Bearer <PHILIA_OPERATOR_TOKEN>`).
pub fn require_operator(s: &AppState, headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let Some(token) = s.operator_token.as_deref() else {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "operator_disabled",
            "platform operations over the API are off; set PHILIA_OPERATOR_TOKEN",
            "عملیات سکو از راه API غیرفعال است",
        ));
    };
    if bearer(headers) != Some(token) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "the operator token is required",
            "توکن اپراتور لازم است",
        ));
    }
    Ok(())
}

/// Creates a tenant (platform operator only: `Authorization: Bearer <PHILIA_OPERATOR_TOKEN>`).
#[utoipa::path(post, path = "/tenants", tag = "tenants", request_body = NewTenantInput,
    responses((status = 201, body = CreatedTenant), (status = 403, body = crate::problem::Problem), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_tenant(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    Json(input): Json<NewTenantInput>,
) -> ApiResult<(StatusCode, Json<CreatedTenant>)> {
    require_operator(&s, &headers)?;
    let t = NewTenant::parse(
        &input.slug,
        &input.name,
        input.currency.as_deref(),
        input.time_zone.as_deref(),
        input.calendar.as_deref(),
    )?;
    let tenant = s.engine.create_tenant(t).await?;
    let ctx = s.engine.tenant(&tenant.slug).await?;
    let admin_key = s.engine.create_api_key(&ctx, "admin", Some("first admin key")).await?;
    Ok((StatusCode::CREATED, Json(CreatedTenant { tenant, admin_key })))
}

/// The tenant the key belongs to.
#[utoipa::path(get, path = "/tenant", tag = "tenants", responses((status = 200, body = Tenant), (status = 401, body = crate::problem::Problem)))]
async fn get_tenant(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Tenant>> {
    auth.require(Access::Read)?;
    Ok(Json(s.engine.tenant_record(&auth.ctx).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantUpdate {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub calendar: Option<String>,
}

/// Changes the tenant's name, time zone or calendar.
#[utoipa::path(patch, path = "/tenant", tag = "tenants", request_body = TenantUpdate, responses((status = 200, body = Tenant), (status = 422, body = crate::problem::Problem)))]
async fn update_tenant(auth: Auth, State(s): State<AppState>, Json(u): Json<TenantUpdate>) -> ApiResult<Json<Tenant>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.update_tenant(&auth.ctx, u.name.as_deref(), u.time_zone.as_deref(), u.calendar.as_deref()).await?))
}

#[utoipa::path(get, path = "/keys", tag = "tenants", responses((status = 200, body = Vec<ApiKey>)))]
async fn list_keys(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<ApiKey>>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.list_api_keys(&auth.ctx).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyInput {
    /// `admin`, `integration` or `read_only`.
    pub role: String,
    pub name: Option<String>,
}

/// Issues a key; the secret is in this response only.
#[utoipa::path(post, path = "/keys", tag = "tenants", request_body = NewKeyInput, responses((status = 201, body = IssuedKey), (status = 422, body = crate::problem::Problem)))]
async fn create_key(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<NewKeyInput>,
) -> ApiResult<(StatusCode, Json<IssuedKey>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.create_api_key(&auth.ctx, &input.role, input.name.as_deref()).await?)))
}

#[utoipa::path(delete, path = "/keys/{id}", tag = "tenants", params(("id" = i64, Path)), responses((status = 204), (status = 404, body = crate::problem::Problem)))]
async fn revoke_key(auth: Auth, State(s): State<AppState>, Id(id): Id) -> ApiResult<StatusCode> {
    auth.require(Access::Manage)?;
    s.engine.revoke_api_key(&auth.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RotateInput {
    /// Minutes the old secret keeps working (0–1440, default 0: it stops at once).
    pub grace_minutes: Option<i64>,
}

/// Gives a key a new secret (shown only now); its id, name and role stay.
#[utoipa::path(post, path = "/keys/{id}/rotate", tag = "tenants", params(("id" = i64, Path)), request_body = RotateInput,
    responses((status = 201, body = IssuedKey), (status = 404, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn rotate_key(
    auth: Auth,
    State(s): State<AppState>,
    Id(id): Id,
    Json(input): Json<RotateInput>,
) -> ApiResult<(StatusCode, Json<IssuedKey>)> {
    auth.require(Access::Manage)?;
    Ok((StatusCode::CREATED, Json(s.engine.rotate_api_key(&auth.ctx, id, input.grace_minutes).await?)))
}

#[utoipa::path(get, path = "/staff", tag = "tenants", responses((status = 200, body = Vec<StaffUser>)))]
async fn list_staff(auth: Auth, State(s): State<AppState>) -> ApiResult<Json<Vec<StaffUser>>> {
    auth.require(Access::Manage)?;
    Ok(Json(s.engine.list_staff(&auth.ctx).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaffInput {
    pub email: String,
    pub name: String,
    /// `owner`, `admin`, `marketer`, `cashier` or `viewer`.
    pub role: String,
    /// At least 10 characters; stored as an argon2id hash.
    pub password: String,
}

#[utoipa::path(post, path = "/staff", tag = "tenants", request_body = NewStaffInput, responses((status = 201, body = StaffUser), (status = 409, body = crate::problem::Problem), (status = 422, body = crate::problem::Problem)))]
async fn create_staff(
    auth: Auth,
    State(s): State<AppState>,
    Json(input): Json<NewStaffInput>,
) -> ApiResult<(StatusCode, Json<StaffUser>)> {
    auth.require(Access::Manage)?;
    let user = s.engine.create_staff(&auth.ctx, &input.email, &input.name, &input.role, &input.password).await?;
    Ok((StatusCode::CREATED, Json(user)))
}
