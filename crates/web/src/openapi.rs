//! The OpenAPI 3 document, built from the same router that serves the API, so it cannot list a
//! route that does not exist or miss one that does.

use crate::AppState;
use crate::routes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "Philia API", description = "Customer data, loyalty and customer club. Errors are RFC 9457 problem documents."),
    modifiers(&ApiKeyAuth),
    security(("api_key" = [])),
    tags((name = "tenants"), (name = "customers"), (name = "catalogue"), (name = "invoices"), (name = "events"), (name = "points"), (name = "tiers"), (name = "rewards"), (name = "games"), (name = "missions"), (name = "messaging"), (name = "wallet"), (name = "codes"), (name = "checkout"), (name = "referrals"), (name = "segments"), (name = "reports"), (name = "imports"), (name = "stats"), (name = "integrations"), (name = "platform"), (name = "networks"))
)]
struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("phk_…").build()),
        );
    }
}

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::tenants::router())
        .merge(routes::customers::router())
        .merge(routes::catalogue::router())
        .merge(routes::invoices::router())
        .merge(routes::events::router())
        .merge(routes::points::router())
        .merge(routes::tiers::router())
        .merge(routes::club::router())
        .merge(routes::rewards::router())
        .merge(routes::games::router())
        .merge(routes::missions::router())
        .merge(routes::channels::router())
        .merge(routes::messages::router())
        .merge(routes::campaigns::router())
        .merge(routes::automations::router())
        .merge(routes::notes::router())
        .merge(routes::wallet::router())
        .merge(routes::promotions::router())
        .merge(routes::checkout::router())
        .merge(routes::referrals::router())
        .merge(routes::classes::router())
        .merge(routes::rfm::router())
        .merge(routes::clv::router())
        .merge(routes::segments::router())
        .merge(routes::lists::router())
        .merge(routes::reports::router())
        .merge(routes::imports::router())
        .merge(routes::stats::router())
        .merge(routes::connections::router())
        .merge(routes::platform::router())
        .merge(routes::privacy::router())
        .merge(routes::networks::router())
        .merge(routes::webhooks::router())
}

/// The document served at `/api/openapi.json`, with paths under `/api/v1`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) = api_router().split_for_parts();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let paths = std::mem::take(&mut doc.paths.paths);
    doc.paths.paths = paths.into_iter().map(|(p, item)| (format!("/api/v1{p}"), item)).collect();
    doc
}
