//! Every till request passes here: the staff session is found (or the reader is sent to the
//! staff sign-in and back), the role must be one that sells, a branch must be chosen, and every
//! POST must come from this site with the session's CSRF token (in the form, or for the till's
//! JSON calls in the `X-CSRF-Token` header).

use super::layout;
use super::text::P;
use crate::AppState;
use crate::admin::failure::PanelFailure;
use crate::admin::guard::{checked_post, same_origin};
use crate::admin::session::{SESSION_COOKIE, cookie, same_secret};
use crate::admin::view::View;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use philia_domain::pos::may_sell;
use philia_domain::staff_auth::Lang;
use philia_engine::staff_sessions::StaffSession;

/// The staff member at the till, with their session's token (choosing a branch needs it).
#[derive(Clone)]
pub struct Till {
    pub session: StaffSession,
    pub token: String,
}

impl Till {
    pub fn view(&self) -> View {
        View::for_session(&self.session)
    }

    pub fn t(&self, key: P) -> &'static str {
        key.get(self.session.lang)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Till {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Till>().cloned().ok_or(StatusCode::FORBIDDEN)
    }
}

pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let token = cookie(req.headers(), SESSION_COOKIE).map(str::to_string);
    let session = match &token {
        Some(t) => state.engine.staff_session(t).await,
        None => Ok(None),
    };
    let (session, token) = match (session, token) {
        (Ok(Some(s)), Some(t)) => (s, t),
        (Ok(_), _) => {
            let back =
                if req.method() == Method::GET { req.uri().path_and_query().map_or("/pos", |p| p.as_str()) } else { "/pos" };
            let query = form_urlencoded::Serializer::new(String::new()).append_pair("next", back).finish();
            return Redirect::to(&format!("/admin/sign-in?{query}")).into_response();
        }
        (Err(e), _) => {
            tracing::error!(error = %e, "reading a staff session");
            return (StatusCode::INTERNAL_SERVER_ERROR, P::SomethingWrong.get(Lang::Fa)).into_response();
        }
    };
    let view = View::for_session(&session);
    if !may_sell(session.role) {
        return layout::message(&view, StatusCode::FORBIDDEN, P::NotACashier.get(session.lang));
    }
    if req.method() == Method::POST {
        let json = path.starts_with("/pos/api/");
        let allowed = if json {
            let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
            same_origin(&req) && same_secret(sent, &session.csrf)
        } else {
            match checked_post(req, &session.csrf).await {
                Some(checked) => {
                    req = checked;
                    true
                }
                None => return layout::message(&view, StatusCode::FORBIDDEN, P::FormExpired.get(session.lang)),
            }
        };
        if !allowed {
            return (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], r#"{"code":"form_expired"}"#)
                .into_response();
        }
    }
    if session.branch.is_none() && path != "/pos/branch" {
        return Redirect::to("/pos/branch").into_response();
    }
    req.extensions_mut().insert(Till { session, token });
    let response = next.run(req).await;
    match response.extensions().get::<PanelFailure>().cloned() {
        Some(failure) => {
            let text = if view.lang == Lang::Fa { failure.message_fa } else { failure.message_en };
            layout::message(&view, failure.status, &text)
        }
        None => response,
    }
}
