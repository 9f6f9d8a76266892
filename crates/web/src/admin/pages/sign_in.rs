//! Sign-in, sign-out and the reading language.

use crate::AppState;
use crate::admin::guard::same_origin;
use crate::admin::layout::{self, field};
use crate::admin::session::{
    LANG_COOKIE, PRE_SESSION_COOKIE, SESSION_COOKIE, Staff, cookie, random_hex, same_secret, set_cookie,
};
use crate::admin::text::T;
use crate::admin::view::View;
use axum::Form;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::staff_auth::{Lang, SESSION_MAX_MS};
use philia_engine::EngineError;
use philia_engine::staff_sessions::{BrandChoice, SignIn};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    next: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    brand: Option<String>,
    next: Option<String>,
}

/// Only addresses inside the panel or the till are followed after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> &str {
    let inside = |n: &&str| n.starts_with("/admin") || n == &"/pos" || n.starts_with("/pos/");
    next.filter(|n| inside(n) && !n.starts_with("//") && !n.contains('\\')).unwrap_or("/admin")
}

pub(crate) fn secure(state: &AppState) -> bool {
    state.engine.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
}

fn lang_of(headers: &HeaderMap, query: Option<&str>) -> Lang {
    query.or_else(|| cookie(headers, LANG_COOKIE)).map(Lang::or_default).unwrap_or_default()
}

struct SignInPage<'a> {
    view: View,
    email: &'a str,
    next: &'a str,
    error: Option<String>,
    brands: Vec<BrandChoice>,
}

fn render(p: SignInPage) -> Markup {
    let v = &p.view;
    let other = if v.lang == Lang::Fa { ("en", T::English) } else { ("fa", T::Persian) };
    let switch =
        form_urlencoded::Serializer::new(String::new()).append_pair("lang", other.0).append_pair("next", p.next).finish();
    layout::bare_page(
        v,
        v.t(T::SignInTitle),
        html! {
            @if let Some(e) = &p.error { (layout::notice(e, true)) }
            form.card method="post" action="/admin/sign-in" {
                (layout::csrf_field(v))
                input type="hidden" name="next" value=(p.next);
                (field(v.t(T::Email), "email", "email", p.email, None))
                (field(v.t(T::Password), "password", "password", "", None))
                @if !p.brands.is_empty() {
                    div.field {
                        label for="f-brand" { (v.t(T::Brand)) }
                        select #f-brand name="brand" {
                            @for b in &p.brands { option value=(b.slug) { (b.name) } }
                        }
                        p.error { (v.t(T::ChooseBrand)) }
                    }
                }
                button type="submit" { (v.t(T::SignIn)) }
            }
            p { a href=(format!("/admin/sign-in?{switch}")) lang=(other.0) { (v.t(other.1)) } }
        },
    )
}

/// The token a form before sign-in carries: the browser's pre-session cookie, or a new one.
pub(crate) fn pre_session_token(headers: &HeaderMap) -> String {
    match cookie(headers, PRE_SESSION_COOKIE) {
        Some(c) if c.len() == 32 => c.to_string(),
        _ => random_hex(16),
    }
}

/// Sets the pre-session cookie that a form before sign-in is checked against.
pub(crate) fn keep_pre_session(state: &AppState, response: &mut Response, token: &str) {
    let cookie = set_cookie(PRE_SESSION_COOKIE, token, 3600, secure(state));
    response.headers_mut().append(header::SET_COOKIE, cookie.parse().unwrap());
}

/// Goes to `next` with the new session's cookie (the pre-session cookie is dropped).
pub(crate) fn into_session(state: &AppState, token: &str, next: &str) -> Response {
    let mut response = Redirect::to(next).into_response();
    let h = response.headers_mut();
    h.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, token, SESSION_MAX_MS / 1000, secure(state)).parse().unwrap());
    h.append(header::SET_COOKIE, set_cookie(PRE_SESSION_COOKIE, "", 0, secure(state)).parse().unwrap());
    response
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<SignInQuery>) -> Response {
    let lang = lang_of(&headers, q.lang.as_deref());
    let csrf = pre_session_token(&headers);
    let next = safe_next(q.next.as_deref()).to_string();
    let markup =
        render(SignInPage { view: View::anonymous(lang, csrf.clone()), email: "", next: &next, error: None, brands: vec![] });
    let mut response = markup.into_response();
    keep_pre_session(&state, &mut response, &csrf);
    if q.lang.is_some() {
        // Chosen here: remembered by this browser and given to the account at sign-in.
        let lang_cookie = set_cookie(LANG_COOKIE, lang.as_str(), 365 * 86_400, secure(&state));
        response.headers_mut().append(header::SET_COOKIE, lang_cookie.parse().unwrap());
    }
    response
}

pub async fn submit(State(state): State<AppState>, headers: HeaderMap, req: Request) -> Response {
    let lang = lang_of(&headers, None);
    let origin_ok = same_origin(&req);
    let Ok(Form(form)) = <Form<SignInForm> as axum::extract::FromRequest<AppState>>::from_request(req, &state).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let pre = cookie(&headers, PRE_SESSION_COOKIE).unwrap_or("");
    let next = safe_next(form.next.as_deref()).to_string();
    let view = View::anonymous(lang, pre.to_string());
    let again = |status: StatusCode, error: String, brands: Vec<BrandChoice>| {
        (status, render(SignInPage { view: view.clone(), email: &form.email, next: &next, error: Some(error), brands }))
            .into_response()
    };
    if !origin_ok || pre.is_empty() || !same_secret(pre, &form.csrf) {
        return again(StatusCode::FORBIDDEN, view.t(T::FormExpired).to_string(), vec![]);
    }
    match state.engine.sign_in(&form.email, &form.password, form.brand.as_deref()).await {
        Ok(SignIn::Session { token, session }) => {
            if cookie(&headers, LANG_COOKIE).is_some()
                && lang != session.lang
                && let Err(e) = state.engine.set_staff_language(&session, lang).await
            {
                tracing::error!(error = %e, "staff language");
            }
            // A cashier works at the till, not in the panel.
            let next = if session.role == philia_domain::roles::StaffRole::Cashier && !next.starts_with("/pos") {
                "/pos".to_string()
            } else {
                next.clone()
            };
            tracing::info!(tenant = %session.ctx.slug, staff = session.staff_id, "staff signed in");
            into_session(&state, &token, &next)
        }
        Ok(SignIn::ChooseBrand(brands)) => again(StatusCode::OK, view.t(T::ChooseBrand).to_string(), brands),
        Err(EngineError::Conflict { code, message, message_fa }) => {
            let status = if code == "locked" { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::UNAUTHORIZED };
            again(status, if lang == Lang::Fa { message_fa } else { message }, vec![])
        }
        Err(e) => {
            tracing::error!(error = %e, "staff sign-in");
            again(StatusCode::INTERNAL_SERVER_ERROR, view.t(T::SomethingWrong).to_string(), vec![])
        }
    }
}

pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = state.engine.sign_out(token).await
    {
        tracing::error!(error = %e, "staff sign-out");
    }
    let mut response = Redirect::to("/admin/sign-in").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, secure(&state)).parse().unwrap());
    response
}

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
}

pub async fn language(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    let lang = Lang::or_default(&form.lang);
    if let Err(e) = state.engine.set_staff_language(&staff.0, lang).await {
        tracing::error!(error = %e, "staff language");
    }
    // Back to the page the switch was pressed on.
    let back =
        headers.get(header::REFERER).and_then(|v| v.to_str().ok()).and_then(|r| r.find("/admin").map(|i| r[i..].to_string()));
    let mut response = Redirect::to(safe_next(back.as_deref())).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(LANG_COOKIE, lang.as_str(), 365 * 86_400, secure(&state)).parse().unwrap());
    response
}
