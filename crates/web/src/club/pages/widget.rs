//! The club on a web shop: `widget.js` (a floating button in the brand's colour), the panel it
//! opens in a frame (points, wallet, tier, the games, links into the club), the games played
//! inside the frame, and the link that signs the customer into the full club in a tab of its
//! own, where its cookie is first-party. Every request carries the shop's token; nothing here
//! depends on third-party cookies. A play in the frame is a POST whose address carries the
//! token rather than a cookie, so another site cannot make one for the customer (it would need
//! the token); its key makes a repeated click play once.

use super::games;
use crate::AppState;
use crate::admin::failure::PanelError;
use crate::club::guard::{club, plain_failure};
use crate::club::layout;
use crate::club::pages::sign_in::{safe_next, secure};
use crate::club::session::{CLUB_COOKIE, club_cookie};
use crate::club::text::C;
use crate::club::view::ClubView;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use philia_domain::club::CLUB_SESSION_MAX_MS;
use philia_domain::staff_auth::Lang;
use philia_engine::game_play::PlayInput;
use philia_engine::{EngineError, TenantContext};
use serde::Deserialize;

const SCRIPT: &str = include_str!("../assets/widget.js");

/// The button's script, with the club's name and colour.
pub async fn script(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let Ok(Some((ctx, brand))) = club(&state, &slug).await else { return plain_failure(StatusCode::NOT_FOUND, C::NotFound) };
    let name = brand.club_name.clone().unwrap_or(ctx.name.clone());
    let settings = serde_json::json!({"name": name, "colour": brand.primary_colour});
    let body = format!("var PHILIA_CLUB = {settings};\n{SCRIPT}");
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], body)
        .into_response()
}

#[derive(Deserialize)]
pub struct WidgetQuery {
    /// The connection's code.
    #[serde(default)]
    c: String,
    /// The shop's token.
    #[serde(default)]
    t: String,
    /// `en` for English.
    #[serde(default)]
    l: String,
    #[serde(default)]
    next: String,
}

impl WidgetQuery {
    fn lang(&self) -> Lang {
        if self.l == "en" { Lang::En } else { Lang::Fa }
    }

    /// The query every page in the frame carries.
    fn carried(&self) -> String {
        serde_urlencoded::to_string([("c", self.c.as_str()), ("t", &self.t), ("l", &self.l)]).expect("text encodes")
    }

    /// This query as a link to the sign-in into the full club, landing on `next`.
    fn enter(&self, slug: &str, next: &str) -> String {
        let q = serde_urlencoded::to_string([("c", self.c.as_str()), ("t", &self.t), ("l", &self.l), ("next", next)])
            .expect("text encodes");
        format!("/club/{slug}/widget/enter?{q}")
    }
}

fn refused(e: EngineError, lang: Lang) -> Response {
    let status = match e {
        EngineError::Unauthenticated => StatusCode::UNAUTHORIZED,
        EngineError::NotFound(_) => StatusCode::NOT_FOUND,
        ref other => {
            tracing::error!(error = %other, "the club widget failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let text = if status == StatusCode::NOT_FOUND { C::NotFound } else { C::WidgetSignInAgain };
    let mut res = (status, text.get(lang)).into_response();
    res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

fn panel(v: &ClubView, home: &philia_engine::club::ClubHome, q: &WidgetQuery) -> Markup {
    let slug = &v.slug;
    let b = &v.brand;
    let tier = &home.tier;
    html! {
        (DOCTYPE)
        html lang=(if v.lang == Lang::Fa { "fa" } else { "en" }) dir=(if v.lang == Lang::Fa { "rtl" } else { "ltr" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (v.club_name) }
                style { (format!(
                    "body{{margin:0;font-family:Vazirmatn,Tahoma,system-ui,sans-serif;color:#1f1f24}}header{{background:{p};color:#fff;padding:14px 16px}}\
                     h1{{font-size:1.05rem;margin:0}}main{{padding:12px 16px}}.row{{display:flex;justify-content:space-between;padding:8px 0;border-bottom:1px solid #eee}}\
                     .bar{{height:8px;background:#eee;border-radius:4px;overflow:hidden;margin:6px 0}}.bar i{{display:block;height:100%;background:{a}}}\
                     nav{{display:grid;grid-template-columns:1fr 1fr;gap:8px;margin-top:12px}}nav a{{display:block;text-align:center;padding:10px;border-radius:10px;background:{a};color:#fff;text-decoration:none}}",
                    p = b.primary_colour, a = b.accent_colour
                )) }
            }
            body {
                header { h1 { (v.club_name) } }
                main {
                    @for bal in &home.balances {
                        div.row { span { (bal.name) } strong.points { (v.fmt.num(bal.balance.balance)) } }
                    }
                    div.row { span { (v.t(C::Wallet)) } strong { (v.fmt.money(home.wallet.balance)) } }
                    div.row { span { (v.t(C::Tier)) } strong { (tier.status.name.clone().unwrap_or_else(|| v.t(C::NoTier).to_string())) } }
                    @if tier.next_name.is_some() { div.bar { i style=(format!("width:{}%", tier.percent)) {} } }
                    nav {
                        @for (label, path) in [(C::OpenClub, ""), (C::Missions, "/missions")] {
                            a href=(q.enter(slug, &format!("/club/{slug}{path}"))) target="_blank" rel="noopener" { (v.t(label)) }
                        }
                        a.games href=(format!("/club/{slug}/widget/games?{}", q.carried())) { (v.t(C::Games)) }
                        a href=(q.enter(slug, &format!("/club/{slug}/rewards"))) target="_blank" rel="noopener" { (v.t(C::Rewards)) }
                    }
                }
            }
        }
    }
}

/// The panel in the shop's frame.
pub async fn page(State(state): State<AppState>, Path(slug): Path<String>, Query(q): Query<WidgetQuery>) -> Response {
    let lang = q.lang();
    let (ctx, customer) = match state.engine.widget_member(&slug, &q.c, &q.t).await {
        Ok(found) => found,
        Err(e) => return refused(e, lang),
    };
    let (brand, home) = match tokio::try_join!(state.engine.branding(&ctx), state.engine.club_home(&ctx, customer)) {
        Ok(pair) => pair,
        Err(e) => return refused(e, lang),
    };
    let v = ClubView::new(&ctx, brand, lang, String::new(), true);
    in_frame(panel(&v, &home, &q).into_response())
}

/// Shown inside the shop's pages; the token in the address goes to no one else.
fn in_frame(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors *"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The customer the shop's token names and the club's view for pages in the frame.
async fn framed_view(state: &AppState, slug: &str, q: &WidgetQuery) -> Result<(ClubView, TenantContext, i64), Response> {
    let lang = q.lang();
    let (ctx, customer) = state.engine.widget_member(slug, &q.c, &q.t).await.map_err(|e| refused(e, lang))?;
    let brand = state.engine.branding(&ctx).await.map_err(|e| refused(e, lang))?;
    Ok((ClubView::new(&ctx, brand, lang, String::new(), true).framed(q.carried()), ctx, customer))
}

/// The games, inside the frame.
pub async fn games(State(state): State<AppState>, Path(slug): Path<String>, Query(q): Query<WidgetQuery>) -> Response {
    let (v, ctx, _) = match framed_view(&state, &slug, &q).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    match state.engine.games(&ctx).await {
        Ok(list) => in_frame(games::list_page(&v, &list).into_response()),
        Err(e) => refused(e, v.lang),
    }
}

/// One game, inside the frame: the same wheel or reels, odds and commitment as in the club.
pub async fn game(
    State(state): State<AppState>,
    Path((slug, code)): Path<(String, String)>,
    Query(q): Query<WidgetQuery>,
) -> Response {
    let (v, ctx, customer) = match framed_view(&state, &slug, &q).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    match state.engine.game_for_customer(&ctx, customer, &code).await {
        Ok(g) => in_frame(games::page(&v, &g, None, None).into_response()),
        Err(e) => framed_failure(&v, e),
    }
}

/// A play inside the frame, drawn and paid exactly as in the club.
pub async fn play(
    State(state): State<AppState>,
    Path((slug, code)): Path<(String, String)>,
    Query(q): Query<WidgetQuery>,
    Form(form): Form<games::PlayForm>,
) -> Response {
    let (v, ctx, customer) = match framed_view(&state, &slug, &q).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    let input = PlayInput { idempotency_key: Some(format!("widget:{}", form.key)), client_seed: None };
    let played = state.engine.play_game(&ctx, customer, &code, &input, None).await;
    let g = match state.engine.game_for_customer(&ctx, customer, &code).await {
        Ok(g) => g,
        Err(e) => return framed_failure(&v, e),
    };
    in_frame(match played {
        Ok((record, _)) => games::page(&v, &g, Some(&record), None).into_response(),
        Err(e) => {
            let message = PanelError::from(e).message(v.lang).to_string();
            (StatusCode::CONFLICT, games::page(&v, &g, None, Some(&message))).into_response()
        }
    })
}

/// A game that cannot be shown, in the frame's look.
fn framed_failure(v: &ClubView, e: EngineError) -> Response {
    let error = PanelError::from(e);
    let status = error.0.status;
    let body = html! { (layout::notice(error.message(v.lang), true)) };
    in_frame((status, layout::page(v, layout::Tab::Games, v.t(C::Games), body)).into_response())
}

/// Signs the shop's customer into the full club and opens `next` there.
pub async fn enter(State(state): State<AppState>, Path(slug): Path<String>, Query(q): Query<WidgetQuery>) -> Response {
    let lang = q.lang();
    let (ctx, customer) = match state.engine.widget_member(&slug, &q.c, &q.t).await {
        Ok(found) => found,
        Err(e) => return refused(e, lang),
    };
    let token = match state.engine.open_club_session(&ctx, customer, lang).await {
        Ok(t) => t,
        Err(e) => return refused(e, lang),
    };
    let cookie = club_cookie(&slug, CLUB_COOKIE, &token, CLUB_SESSION_MAX_MS / 1000, secure(&state));
    let mut res = Redirect::to(&safe_next(&slug, &q.next)).into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie.parse().expect("a valid cookie"));
    res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}
