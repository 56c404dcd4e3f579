//! `/api/keys/test` against fake exchanges that re-derive every signature as documented and
//! answer 200 / 401 / 403 / 500 / too late: each maps to its status and friendly message,
//! which are stored on the key and never contain the credentials.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Engine, TestApp};
use crate::fake_exchange::{verify, SignedBy, KEY, PASSPHRASE, SECRET};
use crate::on_both_engines;
use crate::{config, entry, post_json, user};
use amarktai::exchange::Provider;

/// One fake per provider, so each can answer differently and count its own requests.
async fn fakes() -> Vec<(Provider, MockServer)> {
    let mut servers = Vec::new();
    for &provider in Provider::all() {
        servers.push((provider, MockServer::start().await));
    }
    servers
}

async fn spawn_against(engine: &Engine, fakes: &[(Provider, MockServer)]) -> TestApp {
    let mut config = config(engine).set("EXCHANGE_TIMEOUT_SECONDS", "1");
    for (provider, server) in fakes {
        let (name, url) = match provider {
            Provider::OpenAi => (
                "OPENAI_BASE_URL".to_string(),
                format!("{}/v1", server.uri()),
            ),
            p => (format!("{}_BASE_URL", p.id().to_uppercase()), server.uri()),
        };
        config = config.set(&name, &url);
    }
    TestApp::spawn_with(config, axum::Router::new()).await
}

/// Correctly signed requests get `reply`; anything else 418, which no scenario expects.
async fn answer(server: &MockServer, provider: Provider, reply: ResponseTemplate) {
    server.reset().await;
    Mock::given(SignedBy {
        provider,
        secret: SECRET,
    })
    .respond_with(reply)
    .with_priority(1)
    .mount(server)
    .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418))
        .with_priority(10)
        .mount(server)
        .await;
}

fn save_body(provider: Provider) -> Value {
    match provider {
        Provider::OpenAi => json!({"provider": "openai", "api_key": KEY}),
        Provider::Kucoin => {
            json!({"provider": "kucoin", "api_key": KEY, "api_secret": SECRET, "passphrase": PASSPHRASE})
        }
        p => json!({"provider": p.id(), "api_key": KEY, "api_secret": SECRET}),
    }
}

/// (reply, ok, message for this provider)
type Scenario = (
    &'static str,
    fn() -> ResponseTemplate,
    bool,
    fn(Provider) -> String,
);

fn who(p: Provider) -> &'static str {
    if p == Provider::OpenAi {
        "OpenAI"
    } else {
        "Exchange"
    }
}

fn scenarios() -> Vec<Scenario> {
    vec![
        (
            "200",
            || ResponseTemplate::new(200).set_body_json(json!({"data": []})),
            true,
            |p| format!("Connection to {} successful", p.display_name()),
        ),
        (
            "401",
            || ResponseTemplate::new(401),
            false,
            |p| {
                if p == Provider::OpenAi {
                    "Invalid API key".into()
                } else {
                    "Invalid API key or secret".into()
                }
            },
        ),
        (
            "403",
            || ResponseTemplate::new(403),
            false,
            |_| "API key lacks required permissions".into(),
        ),
        (
            "500",
            || ResponseTemplate::new(500).set_body_string("boom\n at line 7"),
            false,
            |p| format!("{} is unavailable right now; try again later", who(p)),
        ),
        (
            "slow",
            || ResponseTemplate::new(200).set_delay(Duration::from_secs(3)),
            false,
            |p| format!("{} did not answer in time", who(p)),
        ),
    ]
}

async fn each_exchange_answer_maps_to_its_status_and_message(engine: Engine) {
    let fakes = fakes().await;
    let app = spawn_against(&engine, &fakes).await;
    let (token, _) = user(&app, "tester@example.com").await;
    for (provider, _) in &fakes {
        let (status, resp) = post_json(&app, &token, "/api/keys/save", save_body(*provider)).await;
        assert_eq!(status, 200, "{provider}: {resp}");
    }
    for (label, reply, ok, message) in scenarios() {
        for (provider, server) in &fakes {
            answer(server, *provider, reply()).await;
        }
        // Legacy and current routes, body-less (saved key) and with the body's key.
        let runs = fakes.iter().map(|(provider, _)| {
            let (app, token) = (&app, &token);
            async move {
                let (path, body) = match provider {
                    Provider::Valr => (format!("/api/api-keys/{provider}/test"), json!({})),
                    Provider::Luno => ("/api/keys/test".to_string(), save_body(*provider)),
                    p => ("/api/keys/test".to_string(), json!({"exchange": p.id()})),
                };
                (*provider, post_json(app, token, &path, body).await)
            }
        });
        for (provider, (status, resp)) in join_all(runs).await {
            let want = message(provider);
            let context = format!("{label} {provider}: {resp}");
            assert_eq!(status, 200, "{context}");
            assert_eq!(
                (resp["ok"].as_bool(), resp["success"].as_bool()),
                (Some(ok), Some(ok)),
                "{context}"
            );
            let want_status = if ok { "test_ok" } else { "test_failed" };
            assert_eq!(resp["status"], want_status, "{context}");
            assert_eq!(resp["message"], want.as_str(), "{context}");
            let shown = resp.to_string();
            for secret in [KEY, SECRET, PASSPHRASE] {
                assert!(!shown.contains(secret), "{context}: leaked");
            }
            assert!(!shown.contains("line 7"), "{context}: raw body leaked");
            let saved = entry(&app, &token, provider.id()).await;
            assert_eq!(saved["status"], want_status, "{context}");
            assert!(saved["last_tested_at"].is_string(), "{context}");
            if ok {
                assert!(saved["last_test_error"].is_null(), "{context}");
                assert_eq!(resp.get("error"), None, "{context}");
            } else {
                let error = saved["last_test_error"].as_str().unwrap_or_default();
                assert!(error.starts_with(&want) && error.len() <= 200, "{context}");
                assert_eq!(resp["error"], error, "{context}");
            }
        }
        for (provider, server) in &fakes {
            let received = server.received_requests().await.unwrap_or_default();
            assert_eq!(received.len(), 1, "{label} {provider}: one request");
            if let Err(why) = verify(*provider, KEY, SECRET, &received[0]) {
                panic!("{label} {provider}: not signed as documented: {why}");
            }
        }
    }
}

async fn testing_without_a_saved_key_or_with_another_key(engine: Engine) {
    let fakes = fakes().await;
    let app = spawn_against(&engine, &fakes).await;
    let (token, _) = user(&app, "nokey@example.com").await;
    let (status, resp) = post_json(
        &app,
        &token,
        "/api/keys/test",
        json!({"provider": "binance"}),
    )
    .await;
    assert_eq!(
        (status, resp["detail"].as_str()),
        (
            400,
            Some("No API key saved for Binance and none in the request")
        ),
        "nothing to test is a bad request (not a 404, which reads as no such route)"
    );
    let (status, _) = post_json(&app, &token, "/api/api-keys/kraken/test", json!({})).await;
    assert_eq!(status, 404);

    // A key typed into the form but not saved is tested as given and stores nothing.
    let (_, server) = fakes.iter().find(|(p, _)| *p == Provider::Binance).unwrap();
    answer(server, Provider::Binance, ResponseTemplate::new(200)).await;
    let (status, resp) =
        post_json(&app, &token, "/api/keys/test", save_body(Provider::Binance)).await;
    assert_eq!(
        (status, resp["status"].as_str()),
        (200, Some("test_ok")),
        "{resp}"
    );
    assert_eq!(
        entry(&app, &token, "binance").await["status"],
        "not_configured"
    );

    // The saved key with a wrong secret in the body: the fake refuses the signature (418), and
    // the saved key's status is not overwritten by a test of other credentials.
    post_json(
        &app,
        &token,
        "/api/keys/save",
        json!({"provider": "binance", "api_key": KEY, "api_secret": SECRET}),
    )
    .await;
    let wrong = json!({"provider": "binance", "api_key": KEY, "api_secret": "not-the-secret"});
    let (status, resp) = post_json(&app, &token, "/api/keys/test", wrong).await;
    assert_eq!(
        (status, resp["status"].as_str()),
        (200, Some("test_failed")),
        "{resp}"
    );
    assert_eq!(resp["message"], "Binance rejected the request (HTTP 418)");
    assert_eq!(
        entry(&app, &token, "binance").await["status"],
        "saved_untested"
    );
}

on_both_engines!(
    each_exchange_answer_maps_to_its_status_and_message,
    testing_without_a_saved_key_or_with_another_key,
);
