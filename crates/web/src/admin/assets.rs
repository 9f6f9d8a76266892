//! Files the panel's pages load, compiled into the binary: nothing is fetched from elsewhere.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

const STYLESHEET: &str = include_str!("assets/admin.css");

/// The stylesheet's address, with a digest of its content so browsers may keep it for a year.
pub fn stylesheet_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        STYLESHEET.hash(&mut h);
        format!("/admin/assets/admin.css?v={:016x}", h.finish())
    })
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")],
        STYLESHEET,
    )
}

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/admin/assets/admin.css", get(stylesheet))
}
