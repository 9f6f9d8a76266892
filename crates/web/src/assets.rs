//! Files the pages load (a stylesheet and a script per face: panel, club, till), compiled into
//! the binary: nothing is fetched from elsewhere. Each address carries a digest of the file, so
//! browsers may keep it for a year.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

const CACHE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "public, max-age=31536000, immutable");

/// A stylesheet and a script served at fixed paths.
pub struct Bundle {
    pub css_path: &'static str,
    pub css: &'static str,
    pub js_path: &'static str,
    pub js: &'static str,
    hrefs: OnceLock<(String, String)>,
}

fn href(path: &str, content: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    content.hash(&mut h);
    format!("{path}?v={:016x}", h.finish())
}

impl Bundle {
    pub const fn new(css_path: &'static str, css: &'static str, js_path: &'static str, js: &'static str) -> Bundle {
        Bundle { css_path, css, js_path, js, hrefs: OnceLock::new() }
    }

    fn hrefs(&self) -> &(String, String) {
        self.hrefs.get_or_init(|| (href(self.css_path, self.css), href(self.js_path, self.js)))
    }

    /// The stylesheet's address with its digest.
    pub fn stylesheet_href(&self) -> &str {
        &self.hrefs().0
    }

    /// The script's address with its digest.
    pub fn script_href(&self) -> &str {
        &self.hrefs().1
    }

    pub fn router<S: Clone + Send + Sync + 'static>(&'static self) -> Router<S> {
        let css = move || async move { ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), CACHE], self.css).into_response() };
        let js =
            move || async move { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), CACHE], self.js).into_response() };
        Router::new().route(self.css_path, get(css)).route(self.js_path, get(js))
    }
}
