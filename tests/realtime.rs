//! Realtime over real clients (SPEC §12): WebSocket `/api/ws` and SSE `/api/realtime/events`.

#[path = "realtime/auth.rs"]
mod auth;
#[path = "realtime/backpressure.rs"]
mod backpressure;
#[path = "realtime/bots.rs"]
mod bots;
mod common;
#[path = "realtime/sse.rs"]
mod sse;
#[path = "realtime/sse_backpressure.rs"]
mod sse_backpressure;
#[path = "realtime/support.rs"]
mod support;
#[path = "realtime/ws.rs"]
mod ws;

use axum::Router;
use common::{Engine, TestApp, TestConfig};

/// A SQLite-backed server with a 1 s WS heartbeat plus `vars`.
pub async fn spawn(vars: &[(&str, &str)]) -> TestApp {
    spawn_on(&Engine::Sqlite, vars).await
}

/// Like `spawn`, on `engine`.
pub async fn spawn_on(engine: &Engine, vars: &[(&str, &str)]) -> TestApp {
    let mut config = TestConfig::new(engine).set("WS_HEARTBEAT_SECONDS", "1");
    for (key, value) in vars {
        config = config.set(key, value);
    }
    TestApp::spawn_with(config, Router::new()).await
}
