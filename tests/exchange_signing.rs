//! Key tests against a local fake exchange that re-derives every signature from the received
//! request, exactly as each exchange documents it, and answers 200 / 401 / 403 / 500 / too late.

mod common;

use std::time::Duration;

use amarktai::exchange::{test_credentials, Credentials, KeyTestOutcome, OutboundConfig, Provider};
use base64::Engine as _;
use chrono::Utc;
use futures_util::future::join_all;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::{Sha256, Sha512};
use wiremock::matchers::{any, method};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

use common::{Engine, TestConfig};

const KEY: &str = "AKtestkey0123456789";
const SECRET: &str = "sEcReT-0123456789-abcdef";
const PASSPHRASE: &str = "my-kucoin-passphrase";
/// A signature older or newer than this (vs the fake's clock) is refused.
const FRESHNESS_MS: i64 = 10_000;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn hmac256(key: &str, msg: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(msg.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hmac512(key: &str, msg: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha512>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(msg.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn header<'a>(req: &'a Request, name: &str) -> Result<&'a str, String> {
    req.headers
        .get(name)
        .ok_or(format!("missing header {name}"))?
        .to_str()
        .map_err(|_| format!("header {name} is not text"))
}

fn fresh(timestamp: &str) -> Result<(), String> {
    let ts: i64 = timestamp.parse().map_err(|_| "timestamp not ms")?;
    let skew = (Utc::now().timestamp_millis() - ts).abs();
    (skew <= FRESHNESS_MS)
        .then_some(())
        .ok_or(format!("timestamp off by {skew} ms"))
}

fn eq(what: &str, got: &str, want: &str) -> Result<(), String> {
    (got == want)
        .then_some(())
        .ok_or(format!("{what}: got {got:?}, want {want:?}"))
}

/// Re-derives the request's authentication from the exchange's documentation.
fn verify(provider: Provider, key: &str, secret: &str, req: &Request) -> Result<(), String> {
    eq("method", req.method.as_str(), "GET")?;
    let path = req.url.path();
    match provider {
        Provider::Luno => {
            eq("path", path, "/api/1/balance")?;
            let want = format!("Basic {}", b64(format!("{key}:{secret}").as_bytes()));
            eq("authorization", header(req, "authorization")?, &want)
        }
        Provider::Binance => {
            eq("path", path, "/api/v3/account")?;
            eq("X-MBX-APIKEY", header(req, "x-mbx-apikey")?, key)?;
            let query = req.url.query().ok_or("no query string")?;
            let (signed, signature) = query.split_once("&signature=").ok_or("no signature")?;
            eq(
                "signature",
                signature,
                &hex::encode(hmac256(secret, signed)),
            )?;
            let params: Vec<(String, String)> = url_pairs(signed);
            let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            eq("recvWindow", get("recvWindow").unwrap_or(""), "5000")?;
            fresh(get("timestamp").ok_or("no timestamp")?)
        }
        Provider::Kucoin => {
            eq("path", path, "/api/v1/accounts")?;
            eq("KC-API-KEY", header(req, "kc-api-key")?, key)?;
            eq(
                "KC-API-KEY-VERSION",
                header(req, "kc-api-key-version")?,
                "2",
            )?;
            let ts = header(req, "kc-api-timestamp")?;
            fresh(ts)?;
            let endpoint = match req.url.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.to_string(),
            };
            let body = String::from_utf8_lossy(&req.body);
            let prehash = format!("{ts}GET{endpoint}{body}");
            eq(
                "KC-API-SIGN",
                header(req, "kc-api-sign")?,
                &b64(&hmac256(secret, &prehash)),
            )?;
            let want = b64(&hmac256(secret, PASSPHRASE));
            eq(
                "KC-API-PASSPHRASE",
                header(req, "kc-api-passphrase")?,
                &want,
            )
        }
        Provider::Valr => {
            eq("path", path, "/v1/account/balances")?;
            eq("X-VALR-API-KEY", header(req, "x-valr-api-key")?, key)?;
            let ts = header(req, "x-valr-timestamp")?;
            fresh(ts)?;
            let body = String::from_utf8_lossy(&req.body);
            let prehash = format!("{ts}GET{path}{body}");
            let want = hex::encode(hmac512(secret, &prehash));
            eq("X-VALR-SIGNATURE", header(req, "x-valr-signature")?, &want)
        }
        Provider::Ovex | Provider::OpenAi => {
            let want_path = if provider == Provider::Ovex {
                "/api/v2/account"
            } else {
                "/v1/models"
            };
            eq("path", path, want_path)?;
            eq(
                "authorization",
                header(req, "authorization")?,
                &format!("Bearer {key}"),
            )
        }
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Matches only requests whose signature checks out for (key, secret).
struct SignedBy {
    provider: Provider,
    secret: &'static str,
}

impl Match for SignedBy {
    fn matches(&self, req: &Request) -> bool {
        verify(self.provider, KEY, self.secret, req).is_ok()
    }
}

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
