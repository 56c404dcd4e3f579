//! `scripts/smoke.sh` against a real spawned server: passes for a registered user, counts
//! failures in its exit code, and skips (never fails) routes an older deployed build lacks.

mod common;

use std::path::Path;
use std::process::Command;

use common::{TestApp, TEST_PASSWORD};

/// The script needs bash, curl and jq; CI (`.ci/run`) installs them, so this only skips locally.
fn tools_missing() -> Option<&'static str> {
    ["bash", "curl", "jq"].into_iter().find(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
    })
}

struct SmokeRun {
    code: i32,
    lines: Vec<String>,
}

impl SmokeRun {
    fn count(&self, prefix: &str) -> usize {
        self.lines.iter().filter(|l| l.starts_with(prefix)).count()
    }
    fn line(&self, prefix: &str) -> Option<&String> {
        self.lines.iter().find(|l| l.starts_with(prefix))
    }
    fn summary(&self) -> &str {
        self.lines.last().map(String::as_str).unwrap_or("")
    }
}

/// Runs the script off the async runtime so the server keeps answering meanwhile.
async fn run_smoke(api_base: String, email: &str, password: &str) -> SmokeRun {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/smoke.sh");
    let (email, password) = (email.to_string(), password.to_string());
    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(script)
            .env("API_BASE", api_base)
            .env("TEST_EMAIL", email)
            .env("TEST_PASSWORD", password)
            .env("SSE_SECONDS", "2")
            // A proxy configured on the machine must not intercept loopback requests.
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .output()
            .expect("run smoke.sh")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    println!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    SmokeRun {
        code: output.status.code().unwrap_or(-1),
        lines: stdout.lines().map(str::to_string).collect(),
    }
}

#[tokio::test]
async fn smoke_passes_against_a_live_server_with_a_registered_user() {
    if let Some(tool) = tools_missing() {
        eprintln!("SKIPPED: `{tool}` is not installed (scripts/smoke.sh needs bash, curl, jq)");
        return;
    }
    let app = TestApp::spawn().await;
    app.register("smoke@example.com").await;
    let run = run_smoke(app.url("/api"), "smoke@example.com", TEST_PASSWORD).await;

    assert_eq!(run.code, 0, "smoke.sh reported failures");
    assert_eq!(run.count("FAIL"), 0);
    for check in [
        "PASS ping",
        "PASS ready",
        "PASS login",
        "PASS me",
        "PASS bots",
    ] {
        assert!(run.line(check).is_some(), "missing `{check}`");
    }
    // Every route the script checks exists in this build: nothing may be skipped here (the
    // script's skip on a router 404 is only for older deployed builds).
    for name in ["portfolio summary", "sse", "ws handshake"] {
        assert!(
            run.line(&format!("PASS {name}")).is_some(),
            "`{name}` did not pass:\n{}",
            run.lines.join("\n")
        );
    }
    assert_eq!(run.count("SKIP"), 0, "{}", run.lines.join("\n"));
    let expected = format!("{} passed, 0 failed, 0 skipped", run.count("PASS"));
    assert_eq!(run.summary(), expected);
    app.stop().await;
}

/// An older deployed build: only health, auth and bots exist; everything else is the router's
/// own 404. The script must skip those checks instead of failing them.
#[tokio::test]
async fn routes_missing_from_an_older_build_are_skipped_not_failed() {
    use axum::routing::{get, post};
    use axum::{http::StatusCode, Json, Router};
    use serde_json::json;
    if let Some(tool) = tools_missing() {
        eprintln!("SKIPPED: `{tool}` is not installed (scripts/smoke.sh needs bash, curl, jq)");
        return;
    }
    let old_build = Router::new()
        .route(
            "/api/health/ping",
            get(|| async { Json(json!({"status": "healthy", "db": "connected"})) }),
        )
        .route(
            "/api/health/ready",
            get(|| async { Json(json!({"ready": true})) }),
        )
        .route(
            "/api/auth/login",
            post(|| async { Json(json!({"access_token": "t"})) }),
        )
        .route(
            "/api/auth/me",
            get(|| async { Json(json!({"id": "u1", "email": "old@example.com"})) }),
        )
        .route("/api/bots", get(|| async { Json(json!([])) }))
        .fallback(|| async {
            let body = json!({"error": {"code": "NOT_FOUND"}, "detail": "Not Found"});
            (StatusCode::NOT_FOUND, Json(body))
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, old_build).await });
    let run = run_smoke(format!("http://{addr}/api"), "old@example.com", "pw").await;
    server.abort();

    assert_eq!(run.code, 0, "{:?}", run.lines);
    for name in ["portfolio summary", "sse", "ws handshake"] {
        assert!(
            run.line(&format!("SKIP {name}")).is_some(),
            "{:?}",
            run.lines
        );
    }
    assert_eq!(run.summary(), "5 passed, 0 failed, 3 skipped");
}

#[tokio::test]
async fn a_wrong_password_fails_login_and_every_check_that_needs_a_token() {
    if let Some(tool) = tools_missing() {
        eprintln!("SKIPPED: `{tool}` is not installed (scripts/smoke.sh needs bash, curl, jq)");
        return;
    }
    let app = TestApp::spawn().await;
    app.register("smoke-bad@example.com").await;
    let run = run_smoke(app.url("/api"), "smoke-bad@example.com", "wrong-password-1").await;

    assert!(run.line("PASS ping").is_some());
    assert!(
        run.line("FAIL login").is_some_and(|l| l.contains("401")),
        "{:?}",
        run.lines
    );
    assert_eq!(run.count("FAIL"), 6, "login + 5 checks that need a token");
    assert_eq!(run.code, 6, "exit code = number of failures");
    assert_eq!(run.summary(), "2 passed, 6 failed, 0 skipped");
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_server_fails_every_check() {
    if let Some(tool) = tools_missing() {
        eprintln!("SKIPPED: `{tool}` is not installed (scripts/smoke.sh needs bash, curl, jq)");
        return;
    }
    // Bind and drop a listener so the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let run = run_smoke(
        format!("http://127.0.0.1:{port}/api"),
        "x@example.com",
        "pw",
    )
    .await;
    assert!(run
        .line("FAIL ping")
        .is_some_and(|l| l.contains("no answer")));
    assert!(run.line("FAIL ready").is_some());
    assert!(run.code >= 3, "ping, ready and login fail: {:?}", run.lines);
    assert_eq!(run.count("PASS"), 0);
}
