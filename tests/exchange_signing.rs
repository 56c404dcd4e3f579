//! Key tests against a local fake exchange that re-derives every signature from the received
//! request, exactly as each exchange documents it, and answers 200 / 401 / 403 / 500 / too late.

mod common;
mod fake_exchange;

use std::time::Duration;

use amarktai::exchange::{test_credentials, Credentials, KeyTestOutcome, OutboundConfig, Provider};
use futures_util::future::join_all;
use serde_json::json;
use wiremock::matchers::{any, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{Engine, TestConfig};
use fake_exchange::{verify, SignedBy, KEY, PASSPHRASE, SECRET};

fn outbound(server: &MockServer) -> OutboundConfig {
    let uri = server.uri();
    let cfg = TestConfig::new(&Engine::Sqlite)
        .set("LUNO_BASE_URL", &uri)
        .set("BINANCE_BASE_URL", &uri)
        .set("KUCOIN_BASE_URL", &uri)
        .set("VALR_BASE_URL", &uri)
        .set("OVEX_BASE_URL", &uri)
        .set("OPENAI_BASE_URL", &format!("{uri}/v1"))
        .set("EXCHANGE_TIMEOUT_SECONDS", "1");
    cfg.config().outbound
}

fn creds(provider: Provider, secret: &str) -> Credentials {
    let creds = Credentials::new(KEY);
    match provider {
        Provider::OpenAi => creds,
        Provider::Kucoin => creds.with_secret(secret).with_passphrase(PASSPHRASE),
        _ => creds.with_secret(secret),
    }
}

/// A fake exchange whose correctly signed requests get `reply`; anything else gets 418, so a
/// signing mistake can never pass for one of the scenarios under test.
async fn fake_exchange(provider: Provider, reply: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(SignedBy {
            provider,
            secret: SECRET,
        })
        .respond_with(reply)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418).set_body_json(json!({"msg": "bad signature"})))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

/// Runs a key test against a fresh fake and checks the fake saw exactly one valid request.
async fn key_test(provider: Provider, reply: ResponseTemplate) -> KeyTestOutcome {
    let server = fake_exchange(provider, reply).await;
    let client = reqwest::Client::new();
    let outcome = test_credentials(
        &client,
        &outbound(&server),
        provider,
        &creds(provider, SECRET),
    )
    .await;
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1, "{provider}: one request expected");
    if let Err(why) = verify(provider, KEY, SECRET, &received[0]) {
        panic!("{provider}: request not signed as documented: {why}");
    }
    assert_no_leak(provider, &outcome);
    outcome
}

fn assert_no_leak(provider: Provider, outcome: &KeyTestOutcome) {
    let shown = format!("{} {:?}", outcome.message, outcome.error);
    for secret in [KEY, SECRET, PASSPHRASE] {
        assert!(
            !shown.contains(secret),
            "{provider}: leaked {secret:?} in {shown}"
        );
    }
    if let Some(error) = &outcome.error {
        assert!(error.chars().count() <= 200, "{provider}: error too long");
    }
}

fn assert_failed(provider: Provider, outcome: &KeyTestOutcome, message: &str) {
    assert!(!outcome.ok, "{provider}: {outcome:?}");
    assert_eq!(outcome.message, message, "{provider}");
    let error = outcome.error.as_deref().unwrap_or_default();
    assert!(error.starts_with(message), "{provider}: error {error:?}");
}

/// A reply body that echoes every credential it was sent, as careless exchanges do.
fn echoing(provider: Provider, status: u16) -> ResponseTemplate {
    let sent = creds(provider, SECRET);
    let text = format!(
        "key {} secret {} passphrase {} refused",
        sent.api_key,
        sent.api_secret.unwrap_or_default(),
        sent.passphrase.unwrap_or_default()
    );
    ResponseTemplate::new(status).set_body_json(json!({ "message": text }))
}

#[tokio::test]
async fn correctly_signed_keys_are_reported_as_working() {
    for &provider in Provider::all() {
        let outcome = key_test(
            provider,
            ResponseTemplate::new(200).set_body_json(json!({"code": "200000", "data": []})),
        )
        .await;
        assert!(outcome.ok, "{provider}: {outcome:?}");
        assert_eq!(
            outcome.message,
            format!("Connection to {} successful", provider.display_name())
        );
        assert_eq!(outcome.error, None);
    }
}

#[tokio::test]
async fn a_401_means_invalid_credentials_and_echoed_secrets_are_scrubbed() {
    for &provider in Provider::all() {
        let outcome = key_test(provider, echoing(provider, 401)).await;
        let want = if provider == Provider::OpenAi {
            "Invalid API key"
        } else {
            "Invalid API key or secret"
        };
        assert_failed(provider, &outcome, want);
        assert!(outcome.error.unwrap().contains("[redacted]"), "{provider}");
    }
}

#[tokio::test]
async fn a_403_means_missing_permissions() {
    for &provider in Provider::all() {
        let outcome = key_test(provider, echoing(provider, 403)).await;
        assert_failed(provider, &outcome, "API key lacks required permissions");
    }
}

#[tokio::test]
async fn a_5xx_means_the_exchange_is_unavailable() {
    for &provider in Provider::all() {
        let reply =
            ResponseTemplate::new(500).set_body_string("<html>Internal error\n at line 3</html>");
        let outcome = key_test(provider, reply).await;
        let who = if provider == Provider::OpenAi {
            "OpenAI"
        } else {
            "Exchange"
        };
        assert_failed(
            provider,
            &outcome,
            &format!("{who} is unavailable right now; try again later"),
        );
        assert!(
            !outcome.error.unwrap().contains("line 3"),
            "{provider}: body leaked"
        );
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_reported_as_such() {
    let started = std::time::Instant::now();
    let runs = Provider::all().iter().map(|&provider| async move {
        let reply = ResponseTemplate::new(200).set_delay(Duration::from_secs(3));
        (provider, key_test(provider, reply).await)
    });
    for (provider, outcome) in join_all(runs).await {
        let who = if provider == Provider::OpenAi {
            "OpenAI"
        } else {
            "Exchange"
        };
        assert_failed(provider, &outcome, &format!("{who} did not answer in time"));
    }
    assert!(
        started.elapsed() < Duration::from_millis(2900),
        "timeout not applied"
    );
}

#[tokio::test]
async fn a_wrong_secret_fails_the_signature_check_like_the_real_exchanges() {
    for provider in [
        Provider::Luno,
        Provider::Binance,
        Provider::Kucoin,
        Provider::Valr,
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(SignedBy {
                provider,
                secret: SECRET,
            })
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": "200000"})))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(echoing(provider, 401))
            .with_priority(10)
            .mount(&server)
            .await;
        let wrong = creds(provider, "not-the-secret-at-all");
        let outcome = test_credentials(
            &reqwest::Client::new(),
            &outbound(&server),
            provider,
            &wrong,
        )
        .await;
        assert_failed(provider, &outcome, "Invalid API key or secret");
        assert!(!format!("{outcome:?}").contains("not-the-secret-at-all"));
    }
}

#[tokio::test]
async fn exchange_error_codes_are_understood_even_with_other_statuses() {
    let binance = key_test(
        Provider::Binance,
        ResponseTemplate::new(400).set_body_json(
            json!({"code": -1022, "msg": "Signature for this request is not valid."}),
        ),
    )
    .await;
    assert_failed(Provider::Binance, &binance, "Invalid API key or secret");
    assert!(binance
        .error
        .unwrap()
        .contains("Signature for this request is not valid."));

    let kucoin = key_test(
        Provider::Kucoin,
        ResponseTemplate::new(200).set_body_json(json!({"code": "400007", "msg": "Access denied"})),
    )
    .await;
    assert_failed(
        Provider::Kucoin,
        &kucoin,
        "API key lacks required permissions",
    );

    let other = key_test(Provider::Valr, ResponseTemplate::new(404)).await;
    assert_failed(
        Provider::Valr,
        &other,
        "VALR rejected the request (HTTP 404)",
    );
}

#[tokio::test]
async fn missing_fields_and_unreachable_exchanges_fail_politely() {
    let urls = outbound(&MockServer::start().await);
    let client = reqwest::Client::new();
    let outcome = test_credentials(
        &client,
        &urls,
        Provider::Kucoin,
        &Credentials::new(KEY).with_secret(SECRET),
    )
    .await;
    assert_failed(
        Provider::Kucoin,
        &outcome,
        "Passphrase is required for KuCoin",
    );

    let mut dead = urls.clone();
    dead.luno_base_url = "http://127.0.0.1:9".into();
    let outcome = test_credentials(
        &client,
        &dead,
        Provider::Luno,
        &creds(Provider::Luno, SECRET),
    )
    .await;
    assert_failed(
        Provider::Luno,
        &outcome,
        "Could not connect to Luno; check the network",
    );
    assert_no_leak(Provider::Luno, &outcome);

    let bad_header = Credentials::new("key\nwith-newline").with_secret(SECRET);
    let outcome = test_credentials(&client, &urls, Provider::Valr, &bad_header).await;
    assert_failed(
        Provider::Valr,
        &outcome,
        "API key or secret contains characters that are not allowed",
    );
}
