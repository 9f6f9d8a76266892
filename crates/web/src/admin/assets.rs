//! Files the panel's pages load, compiled into the binary: nothing is fetched from elsewhere.
//! Each address carries a digest of the file, so browsers may keep it for a year.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

const STYLESHEET: &str = include_str!("assets/admin.css");
const SCRIPT: &str = include_str!("assets/admin.js");

pub(crate) fn href(path: &str, content: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    content.hash(&mut h);
    format!("{path}?v={:016x}", h.finish())
}

pub fn stylesheet_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| href("/admin/assets/admin.css", STYLESHEET))
}

pub fn script_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| href("/admin/assets/admin.js", SCRIPT))
}

pub(crate) const CACHE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "public, max-age=31536000, immutable");

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), CACHE], STYLESHEET)
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), CACHE], SCRIPT)
}

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/admin/assets/admin.css", get(stylesheet)).route("/admin/assets/admin.js", get(script))
}
