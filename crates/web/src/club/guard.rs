//! Every club page but sign-in passes here: the customer's session is found by the cookie for
//! the club in the address (or the reader is sent to sign in and back), every POST must
//! carry the session's CSRF token and come from this site, and a failed page is rendered in the
//! club's look and the customer's language.

use super::layout;
use super::session::{CLUB_COOKIE, Member};
use super::text::C;
use super::view::ClubView;
use crate::AppState;
use crate::admin::failure::PanelFailure;
use crate::admin::guard::checked_post;
use crate::admin::session::cookie;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use philia_domain::staff_auth::Lang;
use philia_engine::{EngineError, TenantContext};

/// The slug of `/club/{slug}/…`.
pub fn slug_of(path: &str) -> &str {
    path.strip_prefix("/club/").map(|rest| rest.split('/').next().unwrap_or("")).unwrap_or("")
}

/// A club by its slug, with its branding; `None` when no brand has it.
pub async fn club(state: &AppState, slug: &str) -> Result<Option<(TenantContext, philia_domain::club::Branding)>, EngineError> {
    let ctx = match state.engine.tenant(slug).await {
        Ok(ctx) => ctx,
        Err(EngineError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    let brand = state.engine.branding(&ctx).await?;
    Ok(Some((ctx, brand)))
}

pub fn plain_failure(status: StatusCode, text: C) -> Response {
    (status, text.get(Lang::Fa)).into_response()
}

pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let slug = slug_of(&path).to_string();
    let token = cookie(req.headers(), CLUB_COOKIE).map(str::to_string);
    let session = match token {
        Some(t) => state.engine.customer_session(&slug, &t).await,
        None => Ok(None),
    };
    let session = match session {
        Ok(Some(s)) => s,
        Ok(None) => return to_sign_in(&req, &slug),
        Err(e) => {
            tracing::error!(error = %e, "reading a customer session");
            return plain_failure(StatusCode::INTERNAL_SERVER_ERROR, C::SomethingWrong);
        }
    };
    // The session carries its tenant; an unknown club has no sessions and its sign-in page says so.
    let brand = match state.engine.branding(&session.ctx).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading a club's branding");
            return plain_failure(StatusCode::INTERNAL_SERVER_ERROR, C::SomethingWrong);
        }
    };
    let member = Member { session, brand };
    let view = member.view();
    if req.method() == Method::POST {
        req = match checked_post(req, &member.session.csrf).await {
            Some(req) => req,
            None => return message(&view, StatusCode::FORBIDDEN, view.t(C::FormExpired)),
        };
    }
    req.extensions_mut().insert(member);
    let response = next.run(req).await;
    match response.extensions().get::<PanelFailure>().cloned() {
        Some(failure) => {
            let text = if view.lang == Lang::Fa { &failure.message_fa } else { &failure.message_en };
            message(&view, failure.status, text)
        }
        None => response,
    }
}

/// Back to sign-in, returning here afterwards (for a page; a form goes to the club's home).
fn to_sign_in(req: &Request, slug: &str) -> Response {
    let home = format!("/club/{slug}");
    let next = if req.method() == Method::GET {
        req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or(home)
    } else {
        home
    };
    let query = form_urlencoded::Serializer::new(String::new()).append_pair("next", &next).finish();
    Redirect::to(&format!("/club/{slug}/sign-in?{query}")).into_response()
}

fn message(view: &ClubView, status: StatusCode, text: &str) -> Response {
    let body = html! {
        (layout::notice(text, true))
        p { a.button href=(view.href("")) { (view.t(C::Home)) } }
    };
    (status, layout::page(view, layout::Tab::None, view.t(C::SomethingWrong), body)).into_response()
}
