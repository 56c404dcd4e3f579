//! Public tickers against a local fake serving each exchange's documented response format.

mod common;

use std::time::Duration;

use amarktai::exchange::{fetch_ticker, OutboundConfig, Provider, TickerError};
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Engine, TestConfig};

fn outbound(server: &MockServer) -> OutboundConfig {
    let uri = server.uri();
    TestConfig::new(&Engine::Sqlite)
        .set("LUNO_BASE_URL", &uri)
        .set("BINANCE_BASE_URL", &uri)
        .set("KUCOIN_BASE_URL", &uri)
        .set("VALR_BASE_URL", &uri)
        .set("OVEX_BASE_URL", &uri)
        .set("EXCHANGE_TIMEOUT_SECONDS", "1")
        .config()
        .outbound
}

/// A fake that answers `body` only on the exchange's documented ticker URL for the pair.
async fn serving(provider: Provider, body: Value) -> MockServer {
    serving_reply(provider, ResponseTemplate::new(200).set_body_json(body)).await
}

async fn serving_reply(provider: Provider, reply: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    let mock = match provider {
        Provider::Luno => Mock::given(path("/api/1/ticker")).and(query_param("pair", "XBTZAR")),
        Provider::Binance => {
            Mock::given(path("/api/v3/ticker/24hr")).and(query_param("symbol", "BTCZAR"))
        }
        Provider::Kucoin => {
            Mock::given(path("/api/v1/market/stats")).and(query_param("symbol", "BTC-ZAR"))
        }
        Provider::Valr => Mock::given(path("/v1/public/BTCZAR/marketsummary")),
        Provider::Ovex => Mock::given(path("/api/v2/tickers/btczar")),
        Provider::OpenAi => unreachable!("no tickers"),
    };
    mock.and(method("GET"))
        .respond_with(reply)
        .mount(&server)
        .await;
    server
}

async fn fetch(
    provider: Provider,
    server: &MockServer,
) -> Result<amarktai::exchange::Ticker, TickerError> {
    fetch_ticker(
        &reqwest::Client::new(),
        &outbound(server),
        provider,
        "BTC/ZAR",
    )
    .await
}

#[tokio::test]
async fn luno_ticker_uses_xbt_and_last_trade() {
    let body = json!({"pair": "XBTZAR", "timestamp": 1_700_000_000_000i64, "bid": "1199000.00",
        "ask": "1201000.00", "last_trade": "1200000.50", "rolling_24_hour_volume": "12.3",
        "status": "ACTIVE"});
    let t = fetch(Provider::Luno, &serving(Provider::Luno, body).await)
        .await
        .unwrap();
    assert_eq!(t.pair, "BTC/ZAR");
    assert_eq!(t.price, 1_200_000.5);
    assert_eq!(t.change_24h, None);
    assert_eq!(t.source, "luno");
    assert_eq!(
        t.timestamp,
        Utc.timestamp_millis_opt(1_700_000_000_000).unwrap()
    );
}

#[tokio::test]
async fn binance_ticker_reads_last_price_and_change_percent() {
    let body = json!({"symbol": "BTCZAR", "priceChange": "-100.0", "priceChangePercent": "-1.25",
        "lastPrice": "64000.10", "openTime": 1_699_913_600_000i64, "closeTime": 1_700_000_000_000i64});
    let t = fetch(Provider::Binance, &serving(Provider::Binance, body).await)
        .await
        .unwrap();
    assert_eq!((t.price, t.change_24h), (64_000.1, Some(-1.25)));
    assert_eq!(t.source, "binance");
}

#[tokio::test]
async fn kucoin_ticker_scales_change_rate_to_percent() {
    let body = json!({"code": "200000", "data": {"time": 1_700_000_000_000i64, "symbol": "BTC-ZAR",
        "buy": "1199", "sell": "1201", "changeRate": "0.0123", "last": "1200", "vol": "5"}});
    let t = fetch(Provider::Kucoin, &serving(Provider::Kucoin, body).await)
        .await
        .unwrap();
    assert_eq!(t.price, 1200.0);
    assert!((t.change_24h.unwrap() - 1.23).abs() < 1e-9);
    assert_eq!(t.source, "kucoin");
}

#[tokio::test]
async fn valr_ticker_reads_the_market_summary() {
    let body = json!({"currencyPair": "BTCZAR", "askPrice": "1201", "bidPrice": "1199",
        "lastTradedPrice": "1200.5", "previousClosePrice": "1220", "baseVolume": "10",
        "created": "2024-01-02T03:04:05.000Z", "changeFromPrevious": "-1.69"});
    let t = fetch(Provider::Valr, &serving(Provider::Valr, body).await)
        .await
        .unwrap();
    assert_eq!((t.price, t.change_24h), (1200.5, Some(-1.69)));
    assert_eq!(
        t.timestamp,
        Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
    );
}

#[tokio::test]
async fn ovex_ticker_reads_the_peatio_format_and_a_flat_one() {
    let body = json!({"at": 1_700_000_000, "ticker": {"buy": "1199", "sell": "1201", "low": "1100",
        "high": "1300", "last": "1200.25", "vol": "3", "price_change_percent": "+2.50%"}});
    let t = fetch(Provider::Ovex, &serving(Provider::Ovex, body).await)
        .await
        .unwrap();
    assert_eq!((t.price, t.change_24h), (1200.25, Some(2.5)));
    assert_eq!(t.timestamp, Utc.timestamp_opt(1_700_000_000, 0).unwrap());
    let flat = json!({"last": 1199.75});
    let t = fetch(Provider::Ovex, &serving(Provider::Ovex, flat).await)
        .await
        .unwrap();
    assert_eq!(
        (t.price, t.change_24h, t.source.as_str()),
        (1199.75, None, "ovex")
    );
}

#[tokio::test]
async fn zero_negative_or_non_numeric_prices_are_never_passed_on() {
    for last in [json!("0"), json!("-5"), json!("NaN"), json!(0)] {
        let server = serving(Provider::Luno, json!({"last_trade": last})).await;
        assert_eq!(
            fetch(Provider::Luno, &server).await,
            Err(TickerError::InvalidPrice),
            "{last}"
        );
    }
    let server = serving(Provider::Binance, json!({"symbol": "BTCZAR"})).await;
    assert!(matches!(
        fetch(Provider::Binance, &server).await,
        Err(TickerError::Malformed(_))
    ));
    let server = serving(
        Provider::Kucoin,
        json!({"code": "900001", "msg": "Symbol not exists"}),
    )
    .await;
    assert!(matches!(
        fetch(Provider::Kucoin, &server).await,
        Err(TickerError::Malformed(_))
    ));
    let server = serving_reply(
        Provider::Valr,
        ResponseTemplate::new(200).set_body_string("<html>"),
    )
    .await;
    assert_eq!(
        fetch(Provider::Valr, &server).await,
        Err(TickerError::Malformed("not JSON"))
    );
}

#[tokio::test]
async fn http_errors_and_timeouts_are_typed_and_marked_transient() {
    let server = serving_reply(Provider::Binance, ResponseTemplate::new(503)).await;
    let err = fetch(Provider::Binance, &server).await.unwrap_err();
    assert_eq!(err, TickerError::Http(503));
    assert!(err.is_transient());

    let server = serving_reply(Provider::Valr, ResponseTemplate::new(404)).await;
    let err = fetch(Provider::Valr, &server).await.unwrap_err();
    assert_eq!(err, TickerError::Http(404));
    assert!(!err.is_transient());

    let slow = ResponseTemplate::new(200)
        .set_body_json(json!({"last_trade": "1"}))
        .set_delay(Duration::from_secs(3));
    let server = serving_reply(Provider::Luno, slow).await;
    let started = std::time::Instant::now();
    assert_eq!(
        fetch(Provider::Luno, &server).await,
        Err(TickerError::Timeout)
    );
    assert!(started.elapsed() < Duration::from_millis(2900));
}

#[tokio::test]
async fn bad_pairs_and_the_ai_provider_are_refused_without_a_request() {
    let server = MockServer::start().await;
    let urls = outbound(&server);
    let client = reqwest::Client::new();
    let err = fetch_ticker(&client, &urls, Provider::Luno, "BTCZAR")
        .await
        .unwrap_err();
    assert!(matches!(err, TickerError::InvalidPair(_)));
    let err = fetch_ticker(&client, &urls, Provider::OpenAi, "BTC/ZAR")
        .await
        .unwrap_err();
    assert_eq!(err, TickerError::NotAnExchange("OpenAI"));
    assert!(server.received_requests().await.unwrap().is_empty());
}
