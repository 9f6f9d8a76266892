//! The till's page shell: full width, the brand, branch and cashier on one line, large targets.

use super::assets;
use super::text::P;
use crate::admin::view::View;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

pub fn page(v: &View, title: &str, bar: Markup, body: Markup) -> Markup {
    let dir = if v.lang.is_rtl() { "rtl" } else { "ltr" };
    html! {
        (DOCTYPE)
        html lang=(v.lang.as_str()) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(v.csrf);
                title { (title) }
                link rel="stylesheet" href=(assets::ASSETS.stylesheet_href());
                script src=(assets::ASSETS.script_href()) defer {}
            }
            body.pos {
                header.bar {
                    strong { (title) }
                    (bar)
                }
                main #main { (body) }
            }
        }
    }
}

/// A page that only says something (a refusal, an error).
pub fn message(v: &View, status: StatusCode, text: &str) -> Response {
    let body = html! {
        p.notice.error role="alert" { (text) }
        p { a.button href="/pos" { (P::Till.get(v.lang)) } }
    };
    (status, page(v, P::Till.get(v.lang), html! {}, body)).into_response()
}

/// The staff member's name, the branch, and the sign-out button.
pub fn who(v: &View, branch: Option<&str>) -> Markup {
    html! {
        span.who {
            @if let Some(s) = &v.staff { (s.name) " · " (s.tenant_name) }
            @if let Some(b) = branch { " · " a href="/pos/branch" { (b) } }
        }
        form.inline method="post" action="/admin/sign-out" {
            input type="hidden" name="csrf" value=(v.csrf);
            button.link type="submit" { (P::SignOut.get(v.lang)) }
        }
    }
}
