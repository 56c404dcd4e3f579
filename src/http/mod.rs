//! The HTTP surface: every resource router and the one middleware stack, assembled here.

pub mod admin;
pub mod admin_bot_mode;
pub mod admin_bots;
pub mod admin_counts;
pub mod admin_resources;
pub mod admin_stats;
pub mod alerts;
pub mod analytics;
pub mod auth;
pub mod autonomy;
pub mod backtests;
pub mod bots;
pub mod chat;
pub mod chat_conversations;
pub mod context;
pub mod cors;
pub mod countdowns;
pub mod dashboard;
pub mod gate;
pub mod health;
pub mod insights;
pub mod keys;
pub mod ledger;
pub mod market;
pub mod middleware;
pub mod openapi;
pub mod orders;
pub mod overview;
pub mod platforms;
pub mod portfolio;
pub mod prices;
pub mod query_params;
pub mod rate_limit;
pub mod realtime;
pub mod route_metrics;
pub mod strategies;
pub mod system;
pub mod trades;
pub mod training;
pub mod training_runs;
pub mod wallet;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

/// Every documented route: each resource's `OpenApiRouter`, so a route cannot be registered
/// without its `#[utoipa::path]` document (the spec is built from this same tree).
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::default()
        .merge(health::router())
        .merge(auth::router())
        .merge(admin::router())
        .merge(admin_bots::router())
        .merge(admin_resources::router())
        .merge(admin_stats::router())
        .merge(realtime::router())
        .merge(bots::router())
        .merge(training::router())
        .merge(platforms::router())
        .merge(portfolio::router())
        .merge(analytics::router())
        .merge(trades::router())
        .merge(system::router())
        .merge(alerts::router())
        .merge(chat::router())
        .merge(keys::router())
        .merge(openapi::router())
        .merge(orders::router())
        .merge(ledger::router())
        .merge(prices::router())
        .merge(market::router())
        .merge(strategies::router())
        .merge(backtests::router())
        .merge(dashboard::router())
        .merge(wallet::router())
        .merge(countdowns::router())
        .merge(overview::router())
        .merge(training_runs::router())
        .merge(insights::router())
        .merge(autonomy::router())
}

/// Builds the full application: routes, fallback, and middleware in one place.
pub fn build_router(state: AppState) -> Router {
    build_router_with(state, Router::new())
}

/// Like `build_router`, with `extra` routes mounted under the same middleware stack
/// (tests use it to mount probe routes, e.g. one that panics).
pub fn build_router_with(state: AppState, extra: Router<AppState>) -> Router {
    let limit = state.config.request_size_limit_bytes;
    let (routes, _spec) = api_router().split_for_parts();
    let routes = routes.merge(extra).fallback(middleware::not_found);

    // Axum's own extractor limit (`Json`, `Bytes`) is the same as the gate's body limit.
    routes
        .layer(DefaultBodyLimit::max(limit))
        .layer(gate::GateLayer::new(state.clone()))
        .with_state(state)
}
