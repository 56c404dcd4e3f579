//! `/api/ai/chat` over real HTTP against a local fake OpenAI-compatible provider (wiremock).

mod common;
#[path = "ai_chat/history.rs"]
mod history;
mod portfolio_support;
#[path = "ai_chat/rules.rs"]
mod rules;

use std::time::Duration;

use amarktai::domain::clock::ManualClock;
use common::{Engine, TestApp, TestConfig, TEST_PASSWORD};
use portfolio_support::{ago, new_bot, seed, trade};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ENV_KEY: &str = "sk-env-server-key-0123456789";

/// A server whose provider is `provider` (when given) and whose env key is `env_key`.
pub async fn spawn(
    engine: &Engine,
    provider: Option<&MockServer>,
    env_key: Option<&str>,
) -> TestApp {
    TestApp::spawn_with(config(engine, provider, env_key), axum::Router::new()).await
}

fn config(engine: &Engine, provider: Option<&MockServer>, env_key: Option<&str>) -> TestConfig {
    let mut config = TestConfig::new(engine)
        .set("OPENAI_MODEL", "test-model")
        .set("AI_TIMEOUT_SECONDS", "1");
    if let Some(server) = provider {
        config = config.set("OPENAI_BASE_URL", &format!("{}/v1", server.uri()));
    }
    if let Some(key) = env_key {
        config = config.set("OPENAI_API_KEY", key);
    }
    config
}

fn completion(content: &str) -> Value {
    json!({"id": "c1", "object": "chat.completion", "model": "test-model-2024",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop"}]})
}

fn endpoint() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/v1/chat/completions"))
}

pub async fn ask(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    let resp = app.post_auth("/api/ai/chat", token, body).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json body"))
}

/// (role, content) of the caller's history, in the order the server returns it.
pub async fn history_of(app: &TestApp, token: &str) -> Vec<(String, String)> {
    let body: Value = app
        .get_auth("/api/ai/chat/history", token)
        .await
        .json()
        .await
        .expect("json");
    body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap_or("").into(),
                m["content"].as_str().unwrap_or("").into(),
            )
        })
        .collect()
}

fn pair(role: &str, content: &str) -> (String, String) {
    (role.to_string(), content.to_string())
}

async fn a_normal_reply_is_answered_with_the_env_key_and_both_messages_are_stored(engine: Engine) {
    let provider = MockServer::start().await;
    endpoint()
        .and(header(
            "authorization",
            format!("Bearer {ENV_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("All good.")))
        .expect(1)
        .mount(&provider)
        .await;
    let app = spawn(&engine, Some(&provider), Some(ENV_KEY)).await;
    let token = app.token_for("normal@example.com").await;

    let (status, body) = ask(&app, &token, json!({"content": "  How are my bots?  "})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "assistant");
    assert_eq!(body["content"], "All good.");
    assert_eq!(body["model_used"], "test-model-2024");
    assert_eq!(body["key_source"], "env");
    assert!(body["conversation_id"].is_null() && body.get("error").is_none());
    assert!(body["timestamp"].as_str().is_some_and(|t| t.contains('T')));
    assert_eq!(
        history_of(&app, &token).await,
        [
            pair("user", "How are my bots?"),
            pair("assistant", "All good.")
        ]
    );
}

async fn a_rate_limit_is_retried_after_the_providers_delay(engine: Engine) {
    let provider = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&provider)
        .await;
    endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("Second time lucky.")))
        .mount(&provider)
        .await;
    let app = spawn(&engine, Some(&provider), Some(ENV_KEY)).await;
    let token = app.token_for("busy@example.com").await;

    let started = std::time::Instant::now();
    let (status, body) = ask(&app, &token, json!({"content": "hi"})).await;
    assert_eq!(
        (status, body["content"].as_str()),
        (200, Some("Second time lucky."))
    );
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After honoured"
    );
    assert_eq!(provider.received_requests().await.map_or(0, |r| r.len()), 2);
}

/// Every provider failure ends the same way for the client: a friendly 200, both stored.
async fn assert_fallback(engine: Engine, provider: MockServer, expected_requests: usize) {
    let app = spawn(&engine, Some(&provider), Some(ENV_KEY)).await;
    let token = app.token_for("down@example.com").await;
    let (status, body) = ask(&app, &token, json!({"content": "Are you there?"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["error"], "ai_unavailable");
    assert_eq!(body["key_source"], "env");
    assert!(body["model_used"].is_null());
    let reply = body["content"].as_str().expect("fallback text").to_string();
    assert!(reply.contains("try again"), "{reply}");
    assert_eq!(
        history_of(&app, &token).await,
        [pair("user", "Are you there?"), pair("assistant", &reply)]
    );
    let seen = provider.received_requests().await.map_or(0, |r| r.len());
    assert_eq!(seen, expected_requests);
}

async fn two_server_errors_give_the_fallback_reply(engine: Engine) {
    let provider = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(500))
        .mount(&provider)
        .await;
    assert_fallback(engine, provider, 2).await;
}

async fn a_provider_that_never_answers_times_out_into_the_fallback(engine: Engine) {
    let provider = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&provider)
        .await;
    assert_fallback(engine, provider, 2).await;
}

async fn a_malformed_reply_is_not_retried_and_gives_the_fallback(engine: Engine) {
    let provider = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&provider)
        .await;
    assert_fallback(engine, provider, 1).await;
}

on_both_engines!(
    a_normal_reply_is_answered_with_the_env_key_and_both_messages_are_stored,
    a_rate_limit_is_retried_after_the_providers_delay,
    two_server_errors_give_the_fallback_reply,
    a_provider_that_never_answers_times_out_into_the_fallback,
    a_malformed_reply_is_not_retried_and_gives_the_fallback,
);

async fn without_any_key_the_user_gets_guidance_and_the_provider_nothing(engine: Engine) {
    let provider = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&provider)
        .await;
    let app = spawn(&engine, Some(&provider), None).await;
    let token = app.token_for("nokey@example.com").await;
    let (status, body) = ask(&app, &token, json!({"content": "hello"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["error"], "no_api_key");
    assert!(body["key_source"].is_null());
    assert!(body["content"]
        .as_str()
        .is_some_and(|c| c.contains("OPENAI_API_KEY")));
    assert_eq!(history_of(&app, &token).await.len(), 2);
}

on_both_engines!(without_any_key_the_user_gets_guidance_and_the_provider_nothing);

/// The system prompt carries the caller's live summary, including today's P&L (UTC day, the
/// caller's trades only), and the conversation so far.
async fn the_provider_sees_the_users_summary_and_the_last_messages_as_context(engine: Engine) {
    let provider = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("Noted.")))
        .mount(&provider)
        .await;
    let app = TestApp::spawn_with_clock(
        config(&engine, Some(&provider), Some(ENV_KEY)),
        ManualClock::new(portfolio_support::now()),
    )
    .await;
    let registered = app
        .post_json(
            "/api/auth/register",
            json!({"first_name": "Thandiwe", "email": "ctx@example.com", "password": TEST_PASSWORD}),
        )
        .await;
    let login: Value = registered.json().await.expect("json");
    let token = login["access_token"].as_str().expect("token").to_string();
    let user_id = login["user"]["id"].as_str().expect("user id").to_string();
    let bot_id = new_bot(&app, &token, "Alpha", "luno").await;
    let other = portfolio_support::trader(&app, "other-ctx@example.com").await;
    seed(
        &app,
        &[
            // Today: +20.25 - 7.75 = +12.50.
            trade(&user_id, &bot_id, ago(0, 0, 5), 20.25, 0.1),
            trade(&user_id, &bot_id, ago(0, 11, 0), -7.75, 0.1),
            // Yesterday and someone else's trades do not count.
            trade(&user_id, &bot_id, ago(1, 23, 50), 100.0, 0.1),
            trade(&other.user_id, &other.bot_id, ago(0, 10, 0), 55.0, 0.1),
        ],
    )
    .await;
    for question in ["first question", "second question", "third question"] {
        assert_eq!(
            ask(&app, &token, json!({ "content": question })).await.0,
            200
        );
    }
    let requests = provider.received_requests().await.expect("recorded");
    let last: Value = serde_json::from_slice(&requests[2].body).expect("json request");
    let messages = last["messages"].as_array().expect("messages");
    assert_eq!(messages[0]["role"], "system");
    let prompt = messages[0]["content"].as_str().unwrap_or_default();
    for needle in [
        "Thandiwe",
        "1 bots (",
        // 1000 plus the user's three seeded results (booked on the bot like fills).
        "Total capital: 1112.50 ZAR",
        "Today's P&L: +12.50 ZAR",
        "paper",
    ] {
        assert!(prompt.contains(needle), "{needle:?} missing from {prompt}");
    }
    let rest: Vec<(&str, &str)> = messages[1..]
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap_or(""),
                m["content"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        rest,
        [
            ("user", "first question"),
            ("assistant", "Noted."),
            ("user", "second question"),
            ("assistant", "Noted."),
            ("user", "third question")
        ]
    );
}

on_both_engines!(the_provider_sees_the_users_summary_and_the_last_messages_as_context);

async fn a_saved_user_key_wins_over_the_env_key(engine: Engine) {
    const USER_KEY: &str = "sk-user-own-key-9876543210";
    let provider = MockServer::start().await;
    endpoint()
        .and(header(
            "authorization",
            format!("Bearer {USER_KEY}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("Your key.")))
        .expect(1)
        .mount(&provider)
        .await;
    let app = spawn(&engine, Some(&provider), Some(ENV_KEY)).await;
    let token = app.token_for("ownkey@example.com").await;
    let saved = app
        .post_auth(
            "/api/keys/save",
            &token,
            json!({"provider": "openai", "api_key": USER_KEY}),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let (status, body) = ask(&app, &token, json!({"content": "whose key?"})).await;
    assert_eq!((status, body["key_source"].as_str()), (200, Some("user")));
    assert_eq!(body["content"], "Your key.");
}

on_both_engines!(a_saved_user_key_wins_over_the_env_key);
