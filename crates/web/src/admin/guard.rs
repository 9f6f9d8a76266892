//! Every panel request but sign-in passes here: the session is found (or the reader is sent to
//! sign in), a cashier is kept out, every POST must carry the session's CSRF token and come from
//! this site, writes need a role that may write, and a failed page is rendered in the reader's
//! language.

use super::failure::PanelFailure;
use super::layout;
use super::session::{SESSION_COOKIE, cookie, same_secret};
use super::text::T;
use super::view::View;
use crate::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use philia_domain::roles::Access;
use philia_domain::staff_auth::Lang;

/// POSTs any signed-in staff member may make, whatever their role.
const ANY_ROLE_POSTS: [&str; 2] = ["/admin/sign-out", "/admin/language"];

pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let token = cookie(req.headers(), SESSION_COOKIE).map(str::to_string);
    let session = match token {
        Some(t) => state.engine.staff_session(&t).await,
        None => Ok(None),
    };
    let session = match session {
        Ok(Some(s)) => s,
        Ok(None) => return to_sign_in(&req),
        Err(e) => {
            tracing::error!(error = %e, "reading a staff session");
            return message(&View::anonymous(Lang::Fa, String::new()), StatusCode::INTERNAL_SERVER_ERROR, T::SomethingWrong);
        }
    };
    let view = View::for_session(&session);
    let any_role = ANY_ROLE_POSTS.contains(&path.as_str());
    if session.role.panel_access().is_none() && !any_role {
        // A cashier's place is the till.
        if req.method() == Method::GET {
            return Redirect::to("/pos").into_response();
        }
        return message(&view, StatusCode::FORBIDDEN, T::CashierOnly);
    }
    if req.method() == Method::POST {
        req = match checked_post(req, &session.csrf).await {
            Some(req) => req,
            None => return message(&view, StatusCode::FORBIDDEN, T::FormExpired),
        };
        if !any_role && !session.role.allows(Access::Write) {
            return message(&view, StatusCode::FORBIDDEN, T::Forbidden);
        }
    }
    req.extensions_mut().insert(session);
    let response = next.run(req).await;
    match response.extensions().get::<PanelFailure>().cloned() {
        Some(failure) => failure_page(&view, failure),
        None => response,
    }
}

/// Back to sign-in, returning here afterwards (for a page; a form goes to the panel's start).
fn to_sign_in(req: &Request) -> Response {
    let next = if req.method() == Method::GET {
        req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/admin").to_string()
    } else {
        "/admin".to_string()
    };
    let query = form_urlencoded::Serializer::new(String::new()).append_pair("next", &next).finish();
    Redirect::to(&format!("/admin/sign-in?{query}")).into_response()
}

/// The request again if it is a POST from this site carrying the session's token: in the form
/// body, or for file uploads (multipart) in the address.
pub(crate) async fn checked_post(req: Request, csrf: &str) -> Option<Request> {
    if !same_origin(&req) {
        return None;
    }
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let query = req.uri().query().unwrap_or("");
        let sent = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
        return sent.filter(|s| same_secret(s, csrf)).map(|_| req);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, crate::BODY_LIMIT).await.ok()?;
    let sent = form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned())?;
    same_secret(&sent, csrf).then(|| Request::from_parts(parts, Body::from(bytes)))
}

/// A browser names the page a form was sent from; it must be this site.
pub fn same_origin(req: &Request) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

fn message(view: &View, status: StatusCode, text: T) -> Response {
    let body = html! {
        (layout::notice(view.t(text), true))
        p { a href="/admin" { (view.t(T::Dashboard)) } }
    };
    (status, layout::bare_page(view, view.t(text), body)).into_response()
}

fn failure_page(view: &View, failure: PanelFailure) -> Response {
    let text = if view.lang == Lang::Fa { &failure.message_fa } else { &failure.message_en };
    let body = html! {
        (layout::notice(text, true))
        p { a href="/admin" { (view.t(T::Dashboard)) } }
    };
    (failure.status, layout::page(view, layout::Section::None, view.t(T::SomethingWrong), body)).into_response()
}
