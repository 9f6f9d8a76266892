//! The till's stylesheet and script, compiled into the binary.

use crate::admin::assets::{CACHE, href};
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::OnceLock;

const STYLESHEET: &str = include_str!("assets/pos.css");
const SCRIPT: &str = include_str!("assets/pos.js");

pub fn stylesheet_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| href("/pos-assets/pos.css", STYLESHEET))
}

pub fn script_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| href("/pos-assets/pos.js", SCRIPT))
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), CACHE], STYLESHEET)
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), CACHE], SCRIPT)
}

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/pos-assets/pos.css", get(stylesheet)).route("/pos-assets/pos.js", get(script))
}
