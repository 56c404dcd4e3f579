//! Seeds users and bots over the public HTTP API, exactly as the dashboard would, and trades
//! into the server's store through the library (trades have no public write route).

use std::net::SocketAddr;
use std::time::Duration;

use amarktai::store::Store;
use anyhow::{Context, Result};
use serde_json::json;

use crate::http;
use crate::server::Server;

pub const PASSWORD: &str = "BenchPass123";

/// A registered user and its access token.
pub struct SeededUser {
    pub email: String,
    pub token: String,
}

/// Registers `<label>@bench.local` and returns its token.
pub async fn user(addr: SocketAddr, label: &str) -> Result<SeededUser> {
    let email = format!("{label}@bench.local");
    let body = json!({"first_name": label, "email": email, "password": PASSWORD});
    let answer = http::call_ok(addr, "POST", "/api/auth/register", None, Some(&body)).await?;
    let token = answer["access_token"]
        .as_str()
        .context("register answer has no access_token")?
        .to_string();
    Ok(SeededUser { email, token })
}

/// Creates `count` paper bots, spread over exchanges so no per-exchange limit is hit.
pub async fn bots(addr: SocketAddr, token: &str, count: usize) -> Result<()> {
    const EXCHANGES: [&str; 4] = ["binance", "kucoin", "valr", "ovex"];
    const RISKS: [&str; 3] = ["safe", "balanced", "aggressive"];
    for i in 0..count {
        let body = json!({
            "name": format!("bench-bot-{i}"),
            "exchange": EXCHANGES[i % EXCHANGES.len()],
            "risk_mode": RISKS[i % RISKS.len()],
            "trading_mode": "paper",
            "initial_capital": 1000,
        });
        http::call_ok(addr, "POST", "/api/bots", Some(token), Some(&body)).await?;
    }
    Ok(())
}

/// Creates one bot (the event the fan-out scenario times) and returns its id.
pub async fn one_bot(addr: SocketAddr, token: &str, name: &str) -> Result<String> {
    let body = json!({
        "name": name,
        "exchange": "binance",
        "risk_mode": "safe",
        "trading_mode": "paper",
        "initial_capital": 1000,
    });
    let bot = http::call_ok(addr, "POST", "/api/bots", Some(token), Some(&body)).await?;
    Ok(bot["id"].as_str().unwrap_or_default().to_string())
}

/// The id of the user behind `token` (`GET /api/auth/me`).
pub async fn user_id(addr: SocketAddr, token: &str) -> Result<String> {
    let me = http::call_ok(addr, "GET", "/api/auth/me", Some(token), None).await?;
    Ok(me["id"]
        .as_str()
        .context("/api/auth/me answer has no id")?
        .to_string())
}

/// Opens the running server's own store (its SQLite file in `DATA_DIR`, or its MongoDB
/// database) through the library, without migrating: the server already did.
async fn open_store(server: &Server) -> Result<Store> {
    let timeout = Duration::from_secs(30);
    let store = match (&server.mongo_url, &server.mongo_db) {
        (Some(url), Some(db)) => amarktai::store::mongo::open(url, db, timeout, false).await,
        _ => {
            let max_age = std::time::Duration::from_secs(1);
            amarktai::store::sqlite::open(server.data_dir.path(), timeout, false, max_age).await
        }
    };
    store.map_err(|e| anyhow::anyhow!("open the server's store: {e}"))
}

/// Stores `count` closed trades of `bot_id` for `user_id` in the server's store, spread over
/// the last two years, and returns how many were stored.
///
/// Trades are only ever written by the server's fills, and running the paper engine long
/// enough for 100k+ fills is not practical, so this goes through the library's store API
/// (`trade_stats.import`: the same `trades` insert as a fill, so the SQLite triggers keep the
/// `trade_days` rollup in step) rather than raw SQL. The server keeps running meanwhile; it
/// holds no trade data in memory, so its reads afterwards are the same as after a restart.
pub async fn trades(server: &Server, user_id: &str, bot_id: &str, count: usize) -> Result<u64> {
    let store = open_store(server).await?;
    let now = chrono::Utc::now();
    let stored = crate::seed_trades::seed_trades(&store, user_id, bot_id, count, now).await;
    store.admin.close().await;
    stored.map_err(|e| anyhow::anyhow!("seed {count} trades: {e}"))
}
