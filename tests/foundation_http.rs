//! Real-HTTP tests of the foundation: health, errors in the envelope, middleware, metrics.

mod common;

use axum::routing::{get, post};
use axum::Router;
use common::{Engine, TestApp, TestConfig};
use serde_json::Value;

async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json body")
}

fn assert_envelope(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["detail"].is_string(), "{body}");
    assert_eq!(body["detail"], body["error"]["message"], "{body}");
    assert!(
        !body["error"]["correlation_id"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "{body}"
    );
}

async fn panicking_handler() -> &'static str {
    let detail = std::hint::black_box("boom secret-internal-detail");
    if !detail.is_empty() {
        panic!("{detail}");
    }
    "unreachable"
}

/// A probe route mounted under the real middleware stack.
fn probes() -> Router<amarktai::state::AppState> {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Probe {
        name: String,
        amount: f64,
    }
    Router::new()
        .route("/api/test/panic", get(panicking_handler))
        .route(
            "/api/test/echo",
            post(|amarktai::error::AppJson(p): amarktai::error::AppJson<Probe>| async move { p.name }),
        )
        .route(
            "/api/test/slow",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                "late"
            }),
        )
}

async fn spawn_with_probes(config: TestConfig) -> TestApp {
    TestApp::spawn_with(config, probes()).await
}

#[tokio::test]
async fn ping_reports_healthy_with_connected_db() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api/health/ping").await;
    assert_eq!(resp.status(), 200);
    let body = json(resp).await;
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["db"], "connected");
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn live_ready_preflight_summary_and_version_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(
        json(app.get("/api/health/live").await).await["status"],
        "alive"
    );

    let ready = json(app.get("/api/health/ready").await).await;
    assert_eq!(ready["ready"], true, "{ready}");
    assert!(ready["collections"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "users"));

    let pre = json(app.get("/api/health/preflight").await).await;
    assert_eq!(pre["ok"], true, "{pre}");
    assert_eq!(pre["flags"]["ENABLE_TRADING"], false);
    assert_eq!(pre["auth"]["algorithm"], "HS256");
    assert_eq!(pre["services"]["ai_key_source"], "none");
    assert_eq!(pre["engines"]["ai_bodyguard"]["enabled"], true);

    let summary = json(app.get("/api/health").await).await;
    assert_eq!(summary["status"], "healthy");
    assert!(summary["uptime_seconds"].is_u64());

    let version = json(app.get("/api/version").await).await;
    assert_eq!(version["name"], "amarktai");
    assert!(version["git_sha"].is_string() && version["build_time"].is_string());
}

#[tokio::test]
async fn preflight_shows_flags_as_configured() {
    let config = TestConfig::new(&Engine::Sqlite)
        .set("ENABLE_TRADING", "YES")
        .set("ENABLE_SCHEDULERS", "on")
        .set("OPENAI_API_KEY", "sk-test");
    let app = TestApp::spawn_with(config, Router::new()).await;
    let pre = json(app.get("/api/health/preflight").await).await;
    assert_eq!(pre["flags"]["ENABLE_TRADING"], true);
    assert_eq!(pre["flags"]["ENABLE_SCHEDULERS"], true);
    assert_eq!(pre["engines"]["trading_scheduler"]["enabled"], true);
    assert_eq!(pre["services"]["ai_key_source"], "env");
    assert!(!pre.to_string().contains("sk-test"));
}

#[tokio::test]
async fn unknown_route_is_404_envelope_with_request_id_echoed() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/api/does-not-exist"))
        .header("X-Request-ID", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.headers()["x-request-id"], "trace-abc-123");
    let body = json(resp).await;
    assert_envelope(&body, "NOT_FOUND");
    assert_eq!(body["error"]["correlation_id"], "trace-abc-123");
}

#[tokio::test]
async fn wrong_method_is_405_envelope() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .delete(app.url("/api/health/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let correlation = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    let body = json(resp).await;
    assert_envelope(&body, "METHOD_NOT_ALLOWED");
    assert_eq!(body["error"]["correlation_id"], correlation.as_str());
}

#[tokio::test]
async fn malformed_json_wrong_content_type_and_missing_fields_are_422_with_fields() {
    let app = spawn_with_probes(TestConfig::new(&Engine::Sqlite)).await;
    let post = |body: &'static str, ct: &'static str| {
        app.client
            .post(app.url("/api/test/echo"))
            .header("content-type", ct)
            .body(body)
            .send()
    };

    let resp = post("{not json", "application/json").await.unwrap();
    assert_eq!(resp.status(), 422);
    let body = json(resp).await;
    assert_envelope(&body, "VALIDATION_ERROR");
    assert_eq!(body["error"]["fields"][0]["field"], "body");

    let resp = post(r#"{"name":"a","amount":1}"#, "text/plain")
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert_eq!(json(resp).await["error"]["fields"][0]["field"], "body");

    let resp = post(r#"{"amount": 5}"#, "application/json").await.unwrap();
    assert_eq!(resp.status(), 422);
    let body = json(resp).await;
    assert_eq!(body["error"]["fields"][0]["field"], "name");
    assert_eq!(body["error"]["fields"][0]["message"], "field required");

    let resp = post(r#"{"name":"n","amount":"many"}"#, "application/json")
        .await
        .unwrap();
    assert_eq!(json(resp).await["error"]["fields"][0]["field"], "amount");

    let resp = post(r#"{"name":"ok","amount":2.5}"#, "application/json")
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn body_over_the_limit_is_413_envelope() {
    let app =
        spawn_with_probes(TestConfig::new(&Engine::Sqlite).set("REQUEST_SIZE_LIMIT_MB", "1")).await;
    let big = format!(
        r#"{{"name":"{}","amount":1}}"#,
        "x".repeat(1024 * 1024 + 10)
    );
    let resp = app
        .client
        .post(app.url("/api/test/echo"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_envelope(&json(resp).await, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn streamed_body_over_the_limit_is_413_envelope_and_under_it_is_read() {
    // No Content-Length (chunked): the limit applies while the body is read.
    let app =
        spawn_with_probes(TestConfig::new(&Engine::Sqlite).set("REQUEST_SIZE_LIMIT_MB", "1")).await;
    let chunked = |total: usize| {
        let body = format!(r#"{{"name":"{}","amount":1}}"#, "x".repeat(total));
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
            .into_bytes()
            .chunks(64 * 1024)
            .map(|c| Ok(c.to_vec()))
            .collect();
        reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
    };
    let resp = app
        .client
        .post(app.url("/api/test/echo"))
        .header("content-type", "application/json")
        .body(chunked(1024 * 1024 + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_envelope(&json(resp).await, "PAYLOAD_TOO_LARGE");
    let resp = app
        .client
        .post(app.url("/api/test/echo"))
        .header("content-type", "application/json")
        .body(chunked(1000))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "x".repeat(1000));
}

#[tokio::test]
async fn panic_is_500_envelope_without_the_cause() {
    let app = spawn_with_probes(TestConfig::new(&Engine::Sqlite)).await;
    let resp = app.get("/api/test/panic").await;
    assert_eq!(resp.status(), 500);
    let text = resp.text().await.unwrap();
    assert!(!text.contains("secret-internal-detail"), "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_envelope(&body, "INTERNAL_ERROR");
    assert_eq!(body["detail"], "Internal server error");
    // The server keeps serving after a panic.
    assert_eq!(app.get("/api/health/live").await.status(), 200);
}

#[tokio::test]
async fn slow_request_hits_the_timeout_with_an_envelope() {
    let app =
        spawn_with_probes(TestConfig::new(&Engine::Sqlite).set("REQUEST_TIMEOUT_SECONDS", "1"))
            .await;
    let resp = app.get("/api/test/slow").await;
    assert_eq!(resp.status(), 503);
    assert_envelope(&json(resp).await, "REQUEST_TIMEOUT");
}

#[tokio::test]
async fn security_headers_on_every_response_and_hsts_only_in_production() {
    let app = TestApp::spawn().await;
    for path in ["/api/health/ping", "/api/nope"] {
        let resp = app.get(path).await;
        let h = resp.headers();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'"));
        assert!(h.get("strict-transport-security").is_none());
    }
    let key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // base64 of 32 bytes
    let prod = TestConfig::new(&Engine::Sqlite)
        .set("ENV", "production")
        .set("API_KEY_ENCRYPTION_KEY", key);
    let app = TestApp::spawn_with(prod, Router::new()).await;
    let resp = app.get("/api/health/live").await;
    assert!(resp.headers().get("strict-transport-security").is_some());
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let config = TestConfig::new(&Engine::Sqlite).set("CORS_ORIGINS", "https://dash.example");
    let app = TestApp::spawn_with(config, Router::new()).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/health/ping"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .send()
    };
    let ok = preflight("https://dash.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://dash.example"
    );
    assert_eq!(ok.headers()["access-control-allow-credentials"], "true");
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn metrics_expose_request_counters_by_route_template() {
    let app = TestApp::spawn().await;
    app.get("/api/health/live").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{path="/api/health/live",method="GET",status="200"}"#),
        "{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("ws_clients"));
}

/// The access log never blocks a request: lines a full log queue had to drop are counted
/// where operators look (issue 20).
#[tokio::test]
async fn metrics_expose_dropped_log_lines() {
    let app = TestApp::spawn().await;
    let text = app.get("/metrics").await.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("log_lines_dropped_total "))
        .unwrap_or_else(|| panic!("no log_lines_dropped_total sample:\n{text}"));
    let value: f64 = line
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("not a number: {line}"));
    assert!(value >= 0.0);
    assert!(
        text.contains("# TYPE log_lines_dropped_total counter"),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_token_restricts_the_scrape() {
    let app = TestApp::spawn_with(
        TestConfig::new(&Engine::Sqlite).set("METRICS_TOKEN", "scrape-me"),
        Router::new(),
    )
    .await;
    let resp = app.get("/metrics").await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let resp = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn graceful_shutdown_stops_the_server() {
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    app.stop().await;
    assert!(reqwest::get(format!("{base}/api/health/live"))
        .await
        .is_err());
}

#[tokio::test]
async fn sqlite_store_persists_across_restarts_in_the_same_data_dir() {
    let config = TestConfig::new(&Engine::Sqlite);
    let store = amarktai::store::connect(&config.config()).await.unwrap();
    let user = amarktai::domain::user::User::new(
        "Persist@Example.com",
        "P",
        "hash".into(),
        amarktai::domain::user::UserStatus::Active,
        chrono::Utc::now(),
    );
    store.users.create(&user).await.unwrap();
    store.admin.close().await;
    let reopened = amarktai::store::connect(&config.config()).await.unwrap();
    assert!(reopened
        .users
        .find_by_email("persist@example.com")
        .await
        .unwrap()
        .is_some());
    assert!(config.dir.path().join("amarktai.db").exists());
}
