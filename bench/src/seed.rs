//! Seeds users and bots over the public HTTP API, exactly as the dashboard would.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use serde_json::json;

use crate::http;

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

/// Seeds `count` trades for the user behind `token`.
///
/// TODO(portfolio): the trades store and `/api/portfolio/summary` live on the `portfolio`
/// branch. Once merged, seed here without going through the trading engine, e.g. a bulk insert
/// into the `trades` table in `<DATA_DIR>/amarktai.db` (SQLite, while the server runs — WAL
/// allows it; the table's triggers keep the `trade_days` rollup in step) and into the `trades`
/// collection of `MONGODB_DB` (plus whatever rollup the Mongo side keeps), or a hidden
/// `amarktai seed-trades --user ID --count N` CLI command so the bench need not know the
/// schema. Until then the scenario measures the summary of an empty portfolio and says so.
pub async fn trades(_addr: SocketAddr, _token: &str, count: usize) -> Result<usize> {
    let _ = count;
    Ok(0)
}
