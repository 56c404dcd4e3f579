//! Downloading candles from an exchange's public API (SPEC §15), against a local fake exchange:
//! paging, one 429 with Retry-After, resuming after the last stored candle, KuCoin's
//! newest-first rows, OVEX refused clearly, and `amarktai data download` as the real binary.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use amarktai::domain::bot_enums::Exchange;
use amarktai::domain::candles::{Pair, Series, Timeframe};
use amarktai::market::download::Downloader;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use common::{Engine, TestApp, TestConfig};
use serde_json::{json, Value};

const M: i64 = 60_000;
/// 2024-01-01T00:00:00Z
const T0: i64 = 1_704_067_200_000;

#[derive(Default)]
struct Fake {
    /// Query strings of every klines request, in order.
    requests: Mutex<Vec<HashMap<String, String>>>,
    /// Answer 429 once more (then serve).
    throttle_next: Mutex<bool>,
}

fn kline(t: i64) -> Value {
    let open = 100.0 + ((t / M) % 7) as f64;
    json!([
        t,
        open.to_string(),
        (open + 2.0).to_string(),
        (open - 1.0).to_string(),
        (open + 1.0).to_string(),
        "3.5",
        t + M - 1,
        "0",
        1,
        "0",
        "0",
        "0"
    ])
}

async fn klines(
    State(fake): State<Arc<Fake>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    fake.requests.lock().unwrap().push(q.clone());
    {
        let mut throttle = fake.throttle_next.lock().unwrap();
        if *throttle {
            *throttle = false;
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", "1".parse().unwrap());
            return (StatusCode::TOO_MANY_REQUESTS, headers, "{\"code\":-1003}").into_response();
        }
    }
    let num = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let (start, end, limit) = (num("startTime"), num("endTime"), num("limit").min(1000));
    let step = match q.get("interval").map(String::as_str) {
        Some("1h") => 60 * M,
        _ => M,
    };
    let first = (start + step - 1) / step * step;
    let rows: Vec<Value> = (0..limit)
        .map(|i| first + i * step)
        .take_while(|t| *t <= end)
        .map(kline)
        .collect();
    Json(Value::Array(rows)).into_response()
}

/// KuCoin: `[time_s, open, close, high, low, volume, turnover]`, newest first.
async fn kucoin_candles(Query(q): Query<HashMap<String, String>>) -> Json<Value> {
    let start = q["startAt"].parse::<i64>().unwrap() * 1000;
    let end = q["endAt"].parse::<i64>().unwrap() * 1000;
    let mut rows = Vec::new();
    let mut t = start;
    while t < end {
        rows.push(json!([
            (t / 1000).to_string(),
            "10",
            "11",
            "12",
            "9",
            "5",
            "55"
        ]));
        t += M;
    }
    rows.reverse();
    Json(json!({"code": "200000", "data": rows}))
}

async fn spawn_fake(fake: Arc<Fake>) -> String {
    let app = Router::new()
        .route("/api/v3/klines", get(klines))
        .route("/api/v1/market/candles", get(kucoin_candles))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn series(exchange: Exchange, pair: &str) -> Series {
    Series::new(exchange, Pair::parse(pair).unwrap(), Timeframe::M1)
}

async fn pages_retries_and_resumes(engine: Engine) {
    let fake = Arc::new(Fake::default());
    let url = spawn_fake(fake.clone()).await;
    let config = TestConfig::new(&engine)
        .set("BINANCE_BASE_URL", &url)
        .set("KUCOIN_BASE_URL", &url);
    let app = TestApp::spawn_with(config, Router::new()).await;
    let outbound = app.state.config.outbound.clone();
    let repo = app.state.store.candles.clone();
    let client = reqwest::Client::new();
    let dl = Downloader::new(&client, &outbound, repo.as_ref());
    let s = series(Exchange::Binance, "BTC/USDT");

    *fake.throttle_next.lock().unwrap() = true;
    let now = T0 + 2 * 1440 * M + 30_000; // mid-candle: that candle is not closed yet
    let mut pages = Vec::new();
    let report = dl
        .download_days(&s, 2, now, &mut |p| pages.push(p.percent()))
        .await
        .unwrap();
    // 2 days of 1m candles = 2880: three pages of <= 1000, plus the throttled attempt.
    assert_eq!(report.inserted, 2880);
    assert_eq!(report.retries, 1);
    assert_eq!(report.requests, 4);
    assert_eq!(pages.last(), Some(&100));
    {
        let requests = fake.requests.lock().unwrap();
        assert_eq!(requests[0]["symbol"], "BTCUSDT");
        assert_eq!(requests[0]["interval"], "1m");
        assert_eq!(requests[0]["startTime"], T0.to_string());
        assert_eq!(
            requests[1]["startTime"],
            T0.to_string(),
            "the 429 page is asked again"
        );
        assert_eq!(requests[2]["startTime"], (T0 + 1000 * M).to_string());
    }
    assert_eq!(repo.last_open_time(&s).await.unwrap(), Some(T0 + 2879 * M));

    // Ten minutes later: only the new candles are asked for.
    fake.requests.lock().unwrap().clear();
    let report = dl
        .download_days(&s, 2, now + 10 * M, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.inserted, 10);
    assert_eq!(report.requests, 1);
    assert_eq!(
        fake.requests.lock().unwrap()[0]["startTime"],
        (T0 + 2880 * M).to_string()
    );

    // KuCoin rows are newest first with open/close before high/low.
    let k = series(Exchange::Kucoin, "ETH/USDT");
    let report = dl
        .download_days(&k, 1, T0 + 5 * M, &mut |_| {})
        .await
        .unwrap();
    assert!(report.inserted >= 5, "{report:?}");
    let rows = repo.range(&k, Some(T0), None, 10).await.unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(
        (rows[0].open, rows[0].close, rows[0].high, rows[0].low),
        (10.0, 11.0, 12.0, 9.0)
    );
    assert_eq!(rows[4].open_time, T0 + 4 * M);

    // OVEX has no public candle endpoint: a clear refusal, no request made.
    let err = dl
        .download_days(&series(Exchange::Ovex, "BTC/ZAR"), 1, now, &mut |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("OVEX"), "{err}");
    app.stop().await;
}

on_both_engines!(pages_retries_and_resumes);

#[tokio::test]
async fn the_cli_downloads_and_refuses_ovex() {
    let fake = Arc::new(Fake::default());
    let url = spawn_fake(fake.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<&'static str>| {
        let url = url.clone();
        let data = dir.path().join("data");
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_amarktai"))
                .env_remove("MONGODB_URL")
                .env("DATA_DIR", data)
                .env("JWT_SECRET", "download-test-secret-0123456789-abcdefghij")
                .env("BINANCE_BASE_URL", url)
                .env("LOG_LEVEL", "warn")
                .args(args)
                .output()
                .unwrap()
        })
    };
    let out = run(vec![
        "data",
        "download",
        "--exchange",
        "binance",
        "--pair",
        "BTC/USDT",
        "--timeframe",
        "1h",
        "--days",
        "3",
    ])
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("72 new"), "{stdout}");
    let out = run(vec!["data", "list"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("binance  BTC/USDT   1h"), "{stdout}");

    let out = run(vec![
        "data",
        "download",
        "--exchange",
        "ovex",
        "--pair",
        "BTC/ZAR",
        "--timeframe",
        "1m",
    ])
    .await
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("OVEX offers no public candle endpoint"),
        "{stderr}"
    );
}
