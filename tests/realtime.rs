//! Realtime over real clients (SPEC §12): WebSocket `/api/ws` and SSE `/api/realtime/events`.

mod common;
#[path = "realtime/sse.rs"]
mod sse;
#[path = "realtime/support.rs"]
mod support;
#[path = "realtime/ws.rs"]
mod ws;

use axum::Router;
use common::{Engine, TestApp, TestConfig};

/// A server with a 1 s WS heartbeat plus `vars`.
pub async fn spawn(vars: &[(&str, &str)]) -> TestApp {
    let mut config = TestConfig::new(&Engine::Sqlite).set("WS_HEARTBEAT_SECONDS", "1");
    for (key, value) in vars {
        config = config.set(key, value);
    }
    TestApp::spawn_with(config, Router::new()).await
}
