//! The floor of bench/request-cost: `GET /api/health/live` on bare axum 0.8, no middleware.
//!
//! Same answer as the server's route (`{"status":"alive"}` as JSON) on the same runtime
//! (tokio multi-thread, one worker per core), so the gap to the server is our middleware.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

async fn live() -> Json<Value> {
    Json(json!({"status": "alive"}))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    // `FLOOR_ADDR` like `127.0.0.1:8099`; the default suits a manual run.
    let addr = std::env::var("FLOOR_ADDR").unwrap_or_else(|_| "127.0.0.1:8099".to_string());
    let app = Router::new().route("/api/health/live", get(live));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
