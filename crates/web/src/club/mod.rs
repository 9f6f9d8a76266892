//! The customer club at `/club/{tenant}`: phone-first pages in the brand's look, in Persian
//! (RTL) or English, where customers sign in with a code by SMS, see their points, wallet and
//! tier, play, take on missions, redeem rewards and keep their details. A brand's own host name
//! leads to its club.

pub mod assets;
pub mod guard;
pub mod layout;
pub mod pages;
pub mod session;
pub mod text;
pub mod view;

use crate::AppState;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pages::{games, home, missions, network, notifications, profile, rewards, sign_in, widget};

pub fn router(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/club/{tenant}", get(home::page))
        .route("/club/{tenant}/missions", get(missions::page))
        .route("/club/{tenant}/missions/{code}/start", post(missions::start))
        .route("/club/{tenant}/games", get(games::list))
        .route("/club/{tenant}/games/{code}", get(games::show))
        .route("/club/{tenant}/games/{code}/play", post(games::play))
        .route("/club/{tenant}/rewards", get(rewards::store))
        .route("/club/{tenant}/rewards/{code}", get(rewards::confirm).post(rewards::redeem))
        .route("/club/{tenant}/me", get(profile::page).post(profile::save))
        .route("/club/{tenant}/network", get(network::page))
        .route("/club/{tenant}/network/{network}/join", post(network::join))
        .route("/club/{tenant}/network/{network}/leave", post(network::leave))
        .route("/club/{tenant}/network/{network}/exchange", post(network::exchange))
        .route("/club/{tenant}/partner-offers/{network}/{offer}", post(network::claim))
        .route("/club/{tenant}/push", post(notifications::subscribe))
        .route("/club/{tenant}/push/off", post(notifications::unsubscribe))
        .route("/club/{tenant}/sign-out", post(sign_in::sign_out))
        .route_layer(axum::middleware::from_fn_with_state(state, guard::guard));
    Router::new()
        .merge(assets::ASSETS.router())
        .route("/club/{tenant}/sign-in", get(sign_in::page).post(sign_in::send))
        .route("/club/{tenant}/sign-in/code", post(sign_in::verify))
        .route("/club/{tenant}/language", post(sign_in::language))
        .route("/club/{tenant}/widget.js", get(widget::script))
        .route("/club/{tenant}/sw.js", get(notifications::service_worker))
        .route("/club/{tenant}/widget", get(widget::page))
        .route("/club/{tenant}/widget/enter", get(widget::enter))
        .route("/club/{tenant}/widget/games", get(widget::games))
        .route("/club/{tenant}/widget/games/{code}", get(widget::game))
        .route("/club/{tenant}/widget/games/{code}/play", post(widget::play))
        .merge(signed_in)
}

/// Paths the product itself serves on every host; anything else on a brand's own host name
/// belongs to that brand's club.
const PRODUCT_PATHS: [&str; 10] =
    ["/club", "/club-assets", "/admin", "/api", "/pos", "/healthz", "/metrics", "/unsubscribe", "/hooks", "/tls"];

/// Sends a visitor of a brand's own host name (e.g. `club.example.com/games`) to its club.
pub async fn custom_domain(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let ours = PRODUCT_PATHS.iter().any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if !ours && let Some(host) = req.headers().get(axum::http::header::HOST).and_then(|h| h.to_str().ok()) {
        match state.engine.club_for_host(host).await {
            Ok(Some(slug)) => {
                let rest = if path == "/" { "" } else { path };
                let query = req.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
                return Redirect::to(&format!("/club/{slug}{rest}{query}")).into_response();
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "looking up a club host name"),
        }
    }
    next.run(req).await
}
