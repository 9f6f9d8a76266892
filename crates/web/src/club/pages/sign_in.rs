//! Signing in with a mobile number and a code by SMS, signing out, and the reading language.

use crate::AppState;
use crate::admin::failure::PanelError;
use crate::admin::guard::same_origin;
use crate::admin::session::{cookie, random_hex, same_secret};
use crate::client_address::ClientAddress;
use crate::club::guard::{club, plain_failure};
use crate::club::layout::{self, Tab, csrf_field};
use crate::club::session::{CLUB_COOKIE, CLUB_LANG_COOKIE, CLUB_PRE_COOKIE, Member, club_cookie};
use crate::club::text::C;
use crate::club::view::ClubView;
use axum::Form;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use philia_domain::club::CLUB_SESSION_MAX_MS;
use philia_domain::staff_auth::Lang;
use philia_engine::EngineError;
use philia_engine::club_sign_in::CodeDelivery;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    next: Option<String>,
    #[serde(rename = "ref")]
    referral: Option<String>,
}

#[derive(Deserialize)]
pub struct CodeRequest {
    csrf: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    referral: String,
    #[serde(default)]
    next: String,
}

/// Only addresses inside this club are followed after sign-in (no open redirect).
pub(crate) fn safe_next(slug: &str, next: &str) -> String {
    let home = format!("/club/{slug}");
    let inside = next == home || next.starts_with(&format!("{home}/")) || next.starts_with(&format!("{home}?"));
    if inside && !next.contains("//") && !next.contains('\\') { next.to_string() } else { home }
}

pub(crate) fn secure(state: &AppState) -> bool {
    state.engine.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
}

pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, CLUB_LANG_COOKIE).map(Lang::or_default).unwrap_or_default()
}

/// The pre-session token of this browser (a new one when it has none).
fn pre_token(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers, CLUB_PRE_COOKIE).filter(|t| t.len() == 32) {
        Some(t) => (t.to_string(), false),
        None => (random_hex(16), true),
    }
}

enum Step {
    Mobile { error: Option<String> },
    Code { error: Option<String>, demo: bool },
}

struct Typed<'a> {
    mobile: &'a str,
    referral: &'a str,
    next: &'a str,
}

fn render(v: &ClubView, step: Step, f: &Typed) -> Markup {
    let body = html! {
        @match step {
            Step::Mobile { error } => {
                p.lead { (v.t(C::SignInLead)) }
                form.card method="post" action=(v.href("/sign-in")) {
                    (csrf_field(v))
                    input type="hidden" name="next" value=(f.next);
                    (field(v.t(C::Mobile), "mobile", "tel", f.mobile, error.as_deref(), Some("09121234567"), true))
                    (field(v.t(C::ReferralCode), "referral", "text", f.referral, None, None, false))
                    button.wide type="submit" { (v.t(C::SendCode)) }
                }
            }
            Step::Code { error, demo } => {
                p { (v.t(C::CodeSent)) " " bdi dir="ltr" { (v.fmt.mobile(f.mobile)) } }
                @if demo { (layout::notice(v.t(C::DemoCode), false)) }
                form.card method="post" action=(v.href("/sign-in/code")) {
                    (csrf_field(v))
                    input type="hidden" name="next" value=(f.next);
                    input type="hidden" name="mobile" value=(f.mobile);
                    input type="hidden" name="referral" value=(f.referral);
                    (field(v.t(C::Code), "code", "text", "", error.as_deref(), Some("······"), true))
                    button.wide type="submit" { (v.t(C::Enter)) }
                }
                form.inline method="post" action=(v.href("/sign-in")) {
                    (csrf_field(v))
                    input type="hidden" name="next" value=(f.next);
                    input type="hidden" name="mobile" value=(f.mobile);
                    input type="hidden" name="referral" value=(f.referral);
                    button.link type="submit" { (v.t(C::SendAgain)) }
                    a href=(v.href("/sign-in")) { (v.t(C::OtherNumber)) }
                }
            }
        }
    };
    layout::page(v, Tab::None, v.t(C::SignIn), body)
}

/// A labelled input with its error beside it and what was typed kept.
fn field(label: &str, name: &str, kind: &str, value: &str, error: Option<&str>, hint: Option<&str>, focus: bool) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let numeric = name == "code" || name == "mobile";
    html! {
        div.field.invalid[error.is_some()] {
            label for=(id) { (label) }
            input id=(id) name=(name) type=(kind) value=(value) placeholder=[hint] autofocus[focus] dir=[numeric.then_some("ltr")]
                inputmode=[numeric.then_some("numeric")] autocomplete=[(name == "code").then_some("one-time-code")]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| err_id.as_str())];
            @if let Some(e) = error { p.error id=(err_id) role="alert" { (e) } }
        }
    }
}

fn with_pre_cookie(slug: &str, token: &str, fresh: bool, secure: bool, page: Markup) -> Response {
    let mut res = page.into_response();
    if fresh {
        let c = club_cookie(slug, CLUB_PRE_COOKIE, token, 3600, secure);
        res.headers_mut().append(header::SET_COOKIE, c.parse().expect("a valid cookie"));
    }
    res
}

fn engine_message(lang: Lang, e: EngineError) -> String {
    PanelError::from(e).message(lang).to_string()
}

/// The sign-in page (a signed-in customer goes home).
pub async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<SignInQuery>,
    headers: HeaderMap,
) -> Response {
    let Ok(Some((ctx, brand))) = club(&state, &slug).await else { return plain_failure(StatusCode::NOT_FOUND, C::NotFound) };
    if let Some(t) = cookie(&headers, CLUB_COOKIE)
        && let Ok(Some(_)) = state.engine.customer_session(&slug, t).await
    {
        return Redirect::to(&safe_next(&slug, q.next.as_deref().unwrap_or(""))).into_response();
    }
    let (token, fresh) = pre_token(&headers);
    let v = ClubView::new(&ctx, brand, lang_of(&headers), token.clone(), false);
    let next = safe_next(&slug, q.next.as_deref().unwrap_or(""));
    let f = Typed { mobile: "", referral: q.referral.as_deref().unwrap_or(""), next: &next };
    with_pre_cookie(&slug, &token, fresh, secure(&state), render(&v, Step::Mobile { error: None }, &f))
}

/// Sends a code and asks for it.
pub async fn send(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientAddress(visitor): ClientAddress,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers.clone();
    let Ok(Some((ctx, brand))) = club(&state, &slug).await else { return plain_failure(StatusCode::NOT_FOUND, C::NotFound) };
    let Some(form) = checked_form(&parts, body, &headers).await else { return expired(&state, &slug, &headers).await };
    let v = ClubView::new(&ctx, brand, lang_of(&headers), form.csrf.clone(), false);
    let next = safe_next(&slug, &form.next);
    let f = Typed { mobile: form.mobile.trim(), referral: form.referral.trim(), next: &next };
    match state.engine.send_club_code(&ctx, &form.mobile, &visitor.to_string(), v.lang).await {
        Ok(delivery) => {
            let mobile = philia_domain::mobile::Mobile::parse(&form.mobile).map(|m| m.as_str().to_string()).unwrap_or_default();
            let f = Typed { mobile: &mobile, ..f };
            let demo = delivery == CodeDelivery::Log;
            render(&v, Step::Code { error: None, demo }, &f).into_response()
        }
        Err(e) => {
            let status = if matches!(e, EngineError::Invalid(_)) {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            let error = Some(engine_message(v.lang, e));
            (status, render(&v, Step::Mobile { error }, &f)).into_response()
        }
    }
}

/// Checks the code and signs the customer in.
pub async fn verify(State(state): State<AppState>, Path(slug): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers.clone();
    let Ok(Some((ctx, brand))) = club(&state, &slug).await else { return plain_failure(StatusCode::NOT_FOUND, C::NotFound) };
    let Some(form) = checked_form(&parts, body, &headers).await else { return expired(&state, &slug, &headers).await };
    let lang = lang_of(&headers);
    let referral = Some(form.referral.as_str()).filter(|r| !r.trim().is_empty());
    match state.engine.verify_club_code(&ctx, &form.mobile, &form.code, referral, lang).await {
        Ok(signed_in) => {
            let mut next = safe_next(&slug, &form.next);
            if signed_in.joined && next == format!("/club/{slug}") {
                next.push_str("?welcome=1");
            }
            let c = club_cookie(&slug, CLUB_COOKIE, &signed_in.token, CLUB_SESSION_MAX_MS / 1000, secure(&state));
            let mut res = Redirect::to(&next).into_response();
            res.headers_mut().append(header::SET_COOKIE, c.parse().expect("a valid cookie"));
            res
        }
        Err(e) => {
            let v = ClubView::new(&ctx, brand, lang, form.csrf.clone(), false);
            let next = safe_next(&slug, &form.next);
            let f = Typed { mobile: &form.mobile, referral: &form.referral, next: &next };
            let error = Some(engine_message(lang, e));
            (StatusCode::UNPROCESSABLE_ENTITY, render(&v, Step::Code { error, demo: false }, &f)).into_response()
        }
    }
}

/// The form of a sign-in POST, if it came from this site with this browser's pre-session token.
async fn checked_form(parts: &axum::http::request::Parts, body: axum::body::Body, headers: &HeaderMap) -> Option<CodeRequest> {
    let req = Request::from_parts(parts.clone(), axum::body::Body::empty());
    if !same_origin(&req) {
        return None;
    }
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.ok()?;
    let form: CodeRequest = serde_urlencoded::from_bytes(&bytes).ok()?;
    let pre = cookie(headers, CLUB_PRE_COOKIE)?;
    same_secret(pre, &form.csrf).then_some(form)
}

async fn expired(state: &AppState, slug: &str, headers: &HeaderMap) -> Response {
    let Ok(Some((ctx, brand))) = club(state, slug).await else { return plain_failure(StatusCode::NOT_FOUND, C::NotFound) };
    let (token, fresh) = pre_token(headers);
    let v = ClubView::new(&ctx, brand, lang_of(headers), token.clone(), false);
    let next = format!("/club/{slug}");
    let f = Typed { mobile: "", referral: "", next: &next };
    let page = render(&v, Step::Mobile { error: Some(v.t(C::FormExpired).to_string()) }, &f);
    let mut res = with_pre_cookie(slug, &token, fresh, secure(state), page);
    *res.status_mut() = StatusCode::FORBIDDEN;
    res
}

#[derive(Deserialize)]
pub struct LanguageForm {
    csrf: String,
    lang: String,
}

/// Switches the language: kept with the session when signed in, in a cookie always.
pub async fn language(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    let lang = Lang::or_default(&form.lang);
    let session = match cookie(&headers, CLUB_COOKIE) {
        Some(t) => state.engine.customer_session(&slug, t).await.ok().flatten(),
        None => None,
    };
    let allowed = match &session {
        Some(s) => same_secret(&s.csrf, &form.csrf),
        None => cookie(&headers, CLUB_PRE_COOKIE).is_some_and(|pre| same_secret(pre, &form.csrf)),
    };
    if !allowed {
        return Redirect::to(&format!("/club/{slug}")).into_response();
    }
    if let Some(s) = &session
        && let Err(e) = state.engine.set_club_language(s, lang).await
    {
        tracing::warn!(error = %e, "saving a customer's language");
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string())))
        .map(|p| safe_next(&slug, &p))
        .unwrap_or_else(|| format!("/club/{slug}"));
    let mut res = Redirect::to(&back).into_response();
    let c = club_cookie(&slug, CLUB_LANG_COOKIE, lang.as_str(), 365 * 86_400, secure(&state));
    res.headers_mut().append(header::SET_COOKIE, c.parse().expect("a valid cookie"));
    res
}

pub async fn sign_out(State(state): State<AppState>, member: Member) -> Response {
    if let Err(e) = state.engine.club_sign_out(&member.session).await {
        tracing::warn!(error = %e, "signing a customer out");
    }
    let slug = &member.session.ctx.slug;
    let mut res = Redirect::to(&format!("/club/{slug}/sign-in")).into_response();
    let c = club_cookie(slug, CLUB_COOKIE, "", 0, secure(&state));
    res.headers_mut().append(header::SET_COOKIE, c.parse().expect("a valid cookie"));
    res
}
