//! Shared helpers for the trading-core HTTP tests: a fake exchange serving public tickers
//! (luno, valr, binance formats), a server wired to it, and bot/order shortcuts.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::common::{Engine, TestApp, TestConfig};

/// Prices per market code (`XBTZAR`, `BTCUSDT`, ...): each request takes the next price of
/// the queue and the last one stays. Exchanges listed in `down` answer 503.
#[derive(Clone, Default)]
pub struct FakeExchange {
    prices: Arc<Mutex<HashMap<String, Vec<f64>>>>,
    down: Arc<Mutex<HashSet<String>>>,
    pub hits: Arc<Mutex<Vec<String>>>,
}

impl FakeExchange {
    pub fn set(&self, market: &str, prices: &[f64]) {
        self.prices
            .lock()
            .unwrap()
            .insert(market.into(), prices.to_vec());
    }

    pub fn take_down(&self, exchange: &str) {
        self.down.lock().unwrap().insert(exchange.into());
    }

    pub fn bring_up(&self, exchange: &str) {
        self.down.lock().unwrap().remove(exchange);
    }

    fn next(&self, exchange: &str, market: &str) -> Result<f64, StatusCode> {
        self.hits
            .lock()
            .unwrap()
            .push(format!("{exchange}:{market}"));
        if self.down.lock().unwrap().contains(exchange) {
            return Err(StatusCode::SERVICE_UNAVAILABLE);
        }
        let mut prices = self.prices.lock().unwrap();
        let queue = prices.get_mut(market).ok_or(StatusCode::NOT_FOUND)?;
        Ok(if queue.len() > 1 {
            queue.remove(0)
        } else {
            queue[0]
        })
    }

    /// Serves the tickers on 127.0.0.1:<random>; returns the base URL.
    pub async fn serve(&self) -> String {
        let app = Router::new()
            .route("/api/1/ticker", get(luno))
            .route("/v1/public/{pair}/marketsummary", get(valr))
            .route("/api/v3/ticker/24hr", get(binance))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }
}

fn answer(result: Result<f64, StatusCode>, body: impl FnOnce(f64) -> Value) -> Response {
    match result {
        Ok(price) => Json(body(price)).into_response(),
        Err(status) => (status, "unavailable").into_response(),
    }
}

async fn luno(
    State(fake): State<FakeExchange>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let pair = q.get("pair").cloned().unwrap_or_default();
    answer(
        fake.next("luno", &pair),
        |p| json!({"pair": pair, "timestamp": 1, "bid": "1", "ask": "2", "last_trade": format!("{p:.2}"), "status": "ACTIVE"}),
    )
}

async fn valr(State(fake): State<FakeExchange>, Path(pair): Path<String>) -> Response {
    answer(
        fake.next("valr", &pair),
        |p| json!({"currencyPair": pair, "lastTradedPrice": p.to_string(), "changeFromPrevious": "1.5"}),
    )
}

async fn binance(
    State(fake): State<FakeExchange>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let symbol = q.get("symbol").cloned().unwrap_or_default();
    answer(
        fake.next("binance", &symbol),
        |p| json!({"symbol": symbol, "lastPrice": p.to_string(), "priceChangePercent": "-2.25"}),
    )
}

/// A config whose five exchanges all point at `base` (kucoin and ovex paths are not served,
/// so they always fail).
pub fn config_with_feed(engine: &Engine, base: &str) -> TestConfig {
    let mut config = TestConfig::new(engine)
        .set("PRICE_CACHE_SECONDS", "0")
        .set("EXCHANGE_TIMEOUT_SECONDS", "2");
    for name in ["LUNO", "BINANCE", "KUCOIN", "VALR", "OVEX"] {
        config = config.set(&format!("{name}_BASE_URL"), base);
    }
    config
}

/// A server with a fake exchange quoting BTC/ZAR at R1,000,000 on luno.
pub async fn spawn_trading(engine: &Engine) -> (TestApp, FakeExchange) {
    spawn_trading_with(engine, |c| c).await
}

pub async fn spawn_trading_with(
    engine: &Engine,
    tweak: impl FnOnce(TestConfig) -> TestConfig,
) -> (TestApp, FakeExchange) {
    let fake = FakeExchange::default();
    fake.set("XBTZAR", &[1_000_000.0]);
    let base = fake.serve().await;
    let app = TestApp::spawn_with(tweak(config_with_feed(engine, &base)), Router::new()).await;
    (app, fake)
}

/// Creates a paper bot on `exchange` with `capital`; returns its id.
pub async fn create_bot(
    app: &TestApp,
    token: &str,
    name: &str,
    exchange: &str,
    capital: f64,
) -> String {
    let resp = app
        .post_auth(
            "/api/bots",
            token,
            json!({"name": name, "exchange": exchange, "risk_mode": "safe", "trading_mode": "paper", "initial_capital": capital}),
        )
        .await;
    assert_eq!(resp.status(), 200, "create bot");
    let bot: Value = resp.json().await.unwrap();
    bot["id"].as_str().unwrap().to_string()
}

/// Submits an order; asserts 200 and returns the body.
pub async fn order(app: &TestApp, token: &str, body: Value) -> Value {
    let resp = app.post_auth("/api/orders/submit", token, body).await;
    assert_eq!(resp.status(), 200, "submit order");
    resp.json().await.unwrap()
}

/// A market buy of 0.001 BTC/ZAR (R1,000 at the default fake price).
pub fn small_buy(bot_id: &str) -> Value {
    json!({"bot_id": bot_id, "symbol": "BTC/ZAR", "side": "buy", "amount": 0.001})
}

pub async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    let resp = app.get_auth(path, token).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.json().await.unwrap()
}

pub async fn bot(app: &TestApp, token: &str, bot_id: &str) -> Value {
    get_json(app, &format!("/api/bots/{bot_id}"), token).await
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}
