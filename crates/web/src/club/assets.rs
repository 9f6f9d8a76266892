//! The club's stylesheet and script, compiled into the binary.

use crate::admin::assets::{CACHE, href};
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::OnceLock;

const STYLESHEET: &str = include_str!("assets/club.css");
const SCRIPT: &str = include_str!("assets/club.js");

pub fn stylesheet_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| href("/club-assets/club.css", STYLESHEET))
}

pub fn script_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| href("/club-assets/club.js", SCRIPT))
}

async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), CACHE], STYLESHEET)
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), CACHE], SCRIPT)
}

pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/club-assets/club.css", get(stylesheet)).route("/club-assets/club.js", get(script))
}
