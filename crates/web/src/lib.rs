//! HTTP: the JSON API under `/api/v1` with its OpenAPI document, the staff panel under `/admin`,
//! health and metrics. Handlers parse input, call one engine function and render the result.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod catalogue;
pub mod client_address;
pub mod club;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod pos;
pub mod problem;
pub mod routes;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use philia_engine::Engine;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Largest request body accepted (a batch of 10,000 invoices fits comfortably).
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    /// The platform operator's token for creating tenants over the API (unset: disabled).
    pub operator_token: Option<Arc<str>>,
    pub limits: Arc<limits::RateLimits>,
    /// Proxies whose `X-Forwarded-For` names the visitor (`PHILIA_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<client_address::TrustedProxies>,
    /// Businesses may sign themselves up at `/admin/sign-up` (`PHILIA_SIGNUP=open`).
    pub signup_open: bool,
}

impl AppState {
    /// The application without request rate limits.
    pub fn new(engine: Engine, operator_token: Option<Arc<str>>) -> AppState {
        AppState {
            engine,
            operator_token,
            limits: Arc::new(limits::RateLimits::off()),
            trusted_proxies: Arc::default(),
            signup_open: false,
        }
    }

    pub fn with_signup(mut self, open: bool) -> AppState {
        self.signup_open = open;
        self
    }

    pub fn with_trusted_proxies(mut self, proxies: client_address::TrustedProxies) -> AppState {
        self.trusted_proxies = Arc::new(proxies);
        self
    }

    /// The visitor's address: the connection's peer, or whom a trusted proxy names.
    pub fn client_address(&self, peer: std::net::IpAddr, headers: &axum::http::HeaderMap) -> std::net::IpAddr {
        self.trusted_proxies.client(peer, headers)
    }

    pub fn with_limits(mut self, limits: limits::RateLimits) -> AppState {
        self.limits = Arc::new(limits);
        self
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let (api, _doc) = openapi::api_router().split_for_parts();
    Router::new()
        .nest("/api/v1", api)
        .merge(routes::system::router())
        .merge(routes::opt_out::router())
        .merge(routes::hooks::router())
        .merge(admin::router(state.clone()))
        .merge(club::router(state.clone()))
        .merge(pos::router(state.clone()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), club::custom_domain))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::limit))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(problem::panic_response))
        .with_state(state)
}

/// Serves until the process is told to stop (Ctrl-C or SIGTERM).
pub async fn serve(state: AppState, listener: TcpListener) -> std::io::Result<()> {
    serve_until(state, listener, shutdown_signal()).await
}

/// Serves until `stop` resolves, then answers the requests already accepted.
pub async fn serve_until(
    state: AppState,
    listener: TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(stop).await
}

/// Resolves when the process is told to stop: SIGTERM or Ctrl-C. The handlers are installed when
/// this is called, not when it is first awaited, so a stop sent right after the start is
/// announced is a graceful stop instead of ending the process at once.
#[cfg(unix)]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{Signal, SignalKind, signal};
    async fn received(s: Option<Signal>) {
        match s {
            Some(mut s) => {
                s.recv().await;
            }
            None => std::future::pending().await,
        }
    }
    let (term, interrupt) = (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok());
    async move {
        tokio::select! {
            _ = received(term) => {},
            _ = received(interrupt) => {},
        }
    }
}

/// Resolves when the process is told to stop: Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
