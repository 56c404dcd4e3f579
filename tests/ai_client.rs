//! The AI client against a local fake OpenAI-compatible provider (wiremock).

mod common;

use std::time::{Duration, Instant};

use amarktai::ai::{fallback_reply, AiClient, AiError, ChatMessage, ChatRole};
use common::{Engine, TestConfig};
use serde_json::json;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-test-user-key-0123456789";

/// A client pointed at `server` (base URL with a `/v1` prefix, as real providers have).
fn client_for(server: &MockServer, timeout_secs: u64) -> AiClient {
    let config = TestConfig::new(&Engine::Sqlite)
        .set("OPENAI_BASE_URL", &format!("{}/v1/", server.uri()))
        .set("OPENAI_MODEL", "test-model")
        .set("AI_TIMEOUT_SECONDS", &timeout_secs.to_string())
        .config();
    AiClient::new(reqwest::Client::new(), &config.outbound).with_backoff(Duration::from_millis(5))
}

fn question() -> Vec<ChatMessage> {
    vec![
        ChatMessage::new(ChatRole::System, "You are a test."),
        ChatMessage::new(ChatRole::User, "How are my bots?"),
    ]
}

fn completion(content: &str) -> serde_json::Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "test-model-2024",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}]
    })
}

fn endpoint() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path("/v1/chat/completions"))
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

#[tokio::test]
async fn a_normal_reply_is_returned_with_the_model_that_wrote_it() {
    let server = MockServer::start().await;
    endpoint()
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(json!({
            "model": "test-model",
            "messages": [{"role": "system", "content": "You are a test."},
                         {"role": "user", "content": "How are my bots?"}]
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("All 3 bots are fine.")))
        .expect(1)
        .mount(&server)
        .await;
    let reply = client_for(&server, 5).chat(KEY, &question()).await.unwrap();
    assert_eq!(reply.content, "All 3 bots are fine.");
    assert_eq!(reply.model, "test-model-2024");
}

#[tokio::test]
async fn the_key_passed_in_is_the_one_the_provider_sees() {
    let server = MockServer::start().await;
    endpoint()
        .and(header("authorization", "Bearer sk-env-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("env")))
        .mount(&server)
        .await;
    endpoint()
        .and(header("authorization", "Bearer sk-user-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("user")))
        .mount(&server)
        .await;
    let client = client_for(&server, 5);
    assert_eq!(
        client
            .chat("sk-user-key", &question())
            .await
            .unwrap()
            .content,
        "user"
    );
    assert_eq!(
        client
            .chat("sk-env-key", &question())
            .await
            .unwrap()
            .content,
        "env"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_the_retry_after_delay() {
    let server = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("second time lucky")))
        .mount(&server)
        .await;
    let started = Instant::now();
    let reply = client_for(&server, 5).chat(KEY, &question()).await.unwrap();
    assert_eq!(reply.content, "second time lucky");
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured"
    );
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn a_429_with_retry_after_zero_retries_promptly() {
    let server = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .mount(&server)
        .await;
    let started = Instant::now();
    assert_eq!(
        client_for(&server, 5)
            .chat(KEY, &question())
            .await
            .unwrap()
            .content,
        "ok"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn two_server_errors_give_up_after_two_attempts() {
    let server = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream exploded"))
        .expect(2)
        .mount(&server)
        .await;
    let err = client_for(&server, 5)
        .chat(KEY, &question())
        .await
        .unwrap_err();
    assert_eq!(err, AiError::Server { status: 500 });
    assert!(!fallback_reply(&err).is_empty());
}

#[tokio::test]
async fn a_slow_provider_times_out_on_both_attempts() {
    let server = MockServer::start().await;
    endpoint()
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(completion("too late"))
                .set_delay(Duration::from_millis(1600)),
        )
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = client_for(&server, 1)
        .chat(KEY, &question())
        .await
        .unwrap_err();
    assert_eq!(err, AiError::Timeout);
    assert_eq!(requests(&server).await, 2);
    assert!(
        started.elapsed() < Duration::from_millis(3500),
        "each attempt must stop at ~1 s"
    );
}

#[tokio::test]
async fn a_malformed_body_is_a_typed_error() {
    let server = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    let err = client_for(&server, 5)
        .chat(KEY, &question())
        .await
        .unwrap_err();
    assert!(matches!(err, AiError::Malformed(_)), "{err:?}");
}

#[tokio::test]
async fn an_empty_choice_list_is_a_typed_error() {
    let server = MockServer::start().await;
    endpoint()
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"model": "m", "choices": []})),
        )
        .mount(&server)
        .await;
    let err = client_for(&server, 5)
        .chat(KEY, &question())
        .await
        .unwrap_err();
    assert_eq!(err, AiError::EmptyChoices);
}

#[tokio::test]
async fn a_200_carrying_an_error_body_is_an_error_without_the_key() {
    let server = MockServer::start().await;
    let body = json!({"error": {"message": format!("Incorrect API key provided: {KEY}"),
                                "type": "invalid_request_error"}});
    endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let err = client_for(&server, 5)
        .chat(KEY, &question())
        .await
        .unwrap_err();
    assert!(matches!(err, AiError::Provider { .. }), "{err:?}");
    assert!(!err.to_string().contains(KEY), "key leaked: {err}");
    assert!(!format!("{err:?}").contains(KEY), "key leaked: {err:?}");
}

#[tokio::test]
async fn a_401_is_not_retried() {
    let server = MockServer::start().await;
    endpoint()
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"message": format!("Incorrect API key provided: {KEY}")}}),
        ))
        .mount(&server)
        .await;
    let err = client_for(&server, 5)
        .chat(KEY, &question())
        .await
        .unwrap_err();
    assert_eq!(err, AiError::InvalidKey { status: 401 });
    assert_eq!(requests(&server).await, 1);
    assert!(!err.to_string().contains(KEY));
}

#[tokio::test]
async fn other_4xx_are_not_retried_and_keep_the_provider_message() {
    let server = MockServer::start().await;
    endpoint()
        .respond_with(
            ResponseTemplate::new(400).set_body_json(
                json!({"error": {"message": format!("model not found (key {KEY})")}}),
            ),
        )
        .mount(&server)
        .await;
    let err = client_for(&server, 5)
        .chat(KEY, &question())
        .await
        .unwrap_err();
    let AiError::Rejected { status, message } = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    assert_eq!(*status, 400);
    assert!(message.contains("model not found") && !message.contains(KEY));
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn an_unreachable_provider_is_a_network_error() {
    // Bind then drop a listener: the port is (almost certainly) closed afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = TestConfig::new(&Engine::Sqlite)
        .set("OPENAI_BASE_URL", &format!("http://127.0.0.1:{port}/v1"))
        .config();
    let client = AiClient::new(reqwest::Client::new(), &config.outbound)
        .with_backoff(Duration::from_millis(5));
    let err = client.chat(KEY, &question()).await.unwrap_err();
    assert!(matches!(err, AiError::Network(_)), "{err:?}");
    assert!(!err.to_string().contains(KEY));
}
