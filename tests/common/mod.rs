//! Test helpers: spawn a real server on a random port with a temp data dir, on either engine.
#![allow(dead_code)]

use std::collections::HashMap;

use amarktai::config::Config;
use amarktai::state::AppState;
use axum::Router;
use tokio::net::TcpListener;

/// Which storage engine a test runs against.
#[derive(Debug, Clone)]
pub enum Engine {
    Sqlite,
    /// MongoDB at this URL (from `MONGODB_TEST_URL`); each test gets its own database.
    Mongo(String),
}

impl Engine {
    /// MongoDB when `MONGODB_TEST_URL` is set, else `None` (the test is skipped, loudly).
    pub fn mongo() -> Option<Engine> {
        match std::env::var("MONGODB_TEST_URL") {
            Ok(url) if !url.trim().is_empty() => Some(Engine::Mongo(url)),
            _ => {
                eprintln!("MONGODB_TEST_URL not set: MongoDB variant skipped");
                None
            }
        }
    }
}

/// A config for tests: temp data dir, fixed secret, quiet defaults, plus overrides.
pub struct TestConfig {
    pub vars: HashMap<String, String>,
    pub dir: tempfile::TempDir,
    pub mongo_db: Option<(String, String)>,
}

impl TestConfig {
    pub fn new(engine: &Engine) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut vars = HashMap::new();
        vars.insert("DATA_DIR".into(), dir.path().display().to_string());
        vars.insert(
            "JWT_SECRET".into(),
            "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz".into(),
        );
        vars.insert("DB_CONNECT_ATTEMPTS".into(), "2".into());
        let mut mongo_db = None;
        if let Engine::Mongo(url) = engine {
            let name = format!("amarktai_test_{}", uuid::Uuid::new_v4().simple());
            vars.insert("MONGODB_URL".into(), url.clone());
            vars.insert("MONGODB_DB".into(), name.clone());
            mongo_db = Some((url.clone(), name));
        }
        Self {
            vars,
            dir,
            mongo_db,
        }
    }

    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.vars.insert(key.into(), value.into());
        self
    }

    pub fn config(&self) -> Config {
        Config::from_map(&self.vars).expect("valid test config")
    }
}

impl Drop for TestConfig {
    /// Drops the per-test MongoDB database so runs leave nothing behind.
    fn drop(&mut self) {
        if let Some((url, name)) = self.mongo_db.take() {
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(client) = mongodb::Client::with_uri_str(&url).await {
                        let _ = client.database(&name).drop().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running server on 127.0.0.1:<random>.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub config: TestConfig,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(TestConfig::new(&Engine::Sqlite), Router::new()).await
    }

    pub async fn spawn_on(engine: &Engine) -> Self {
        Self::spawn_with(TestConfig::new(engine), Router::new()).await
    }

    /// Starts the server; returns once the socket is bound (no sleeps needed).
    pub async fn spawn_with(config: TestConfig, extra: Router<AppState>) -> Self {
        Self::spawn_full(config, extra, None).await
    }

    /// Like `spawn_with`, with a clock the test can move (`ManualClock::advance`).
    pub async fn spawn_with_clock(
        config: TestConfig,
        clock: amarktai::domain::clock::ManualClock,
    ) -> Self {
        Self::spawn_full(config, Router::new(), Some(std::sync::Arc::new(clock))).await
    }

    async fn spawn_full(
        config: TestConfig,
        extra: Router<AppState>,
        clock: Option<amarktai::domain::clock::SharedClock>,
    ) -> Self {
        if std::env::var("TEST_LOG").is_ok() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter("info")
                .with_test_writer()
                .try_init();
        }
        let state = match clock {
            None => amarktai::build_state(config.config()).await.expect("state"),
            Some(clock) => {
                let cfg = config.config();
                let store = amarktai::store::connect(&cfg).await.expect("store");
                AppState::with_clock(cfg, store, clock)
            }
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = amarktai::build_router_with(state.clone(), extra);
        let server = tokio::spawn(amarktai::serve(listener, app, state.shutdown.clone()));
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder().build().expect("client"),
            state,
            config,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(self) {
        self.state.shutdown.cancel();
        let _ = self.server.await;
    }
}

/// Runs an async test body once per engine: `sqlite` always, `mongo` when configured.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::common::Engine::Sqlite).await;
                }
                #[tokio::test]
                async fn mongo() {
                    if let Some(engine) = $crate::common::Engine::mongo() {
                        super::$name(engine).await;
                    }
                }
            }
        )*
    };
}

/// Client-side helpers shared by the HTTP tests.
impl TestApp {
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_auth(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn put_auth(
        &self,
        path: &str,
        token: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn delete_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .delete(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Registers `email` with a valid password; returns the login body (asserts 200).
    pub async fn register(&self, email: &str) -> serde_json::Value {
        let resp = self
            .post_json(
                "/api/auth/register",
                serde_json::json!({"first_name": "Test", "email": email, "password": TEST_PASSWORD}),
            )
            .await;
        assert_eq!(resp.status(), 200, "register {email}");
        resp.json().await.expect("json")
    }

    /// Registers and returns the access token.
    pub async fn token_for(&self, email: &str) -> String {
        self.register(email).await["access_token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    /// Registers a user and makes them an admin through the repository; returns a fresh token.
    pub async fn admin_token(&self, email: &str) -> String {
        let body = self.register(email).await;
        let id = body["user"]["id"].as_str().expect("id").to_string();
        let store = &self.state.store;
        let mut user = store
            .users
            .find_by_id(&id)
            .await
            .expect("db")
            .expect("user");
        user.role = amarktai::domain::user::Role::Admin;
        store.users.update(&user).await.expect("update");
        let login = self
            .post_json(
                "/api/auth/login",
                serde_json::json!({"email": email, "password": TEST_PASSWORD}),
            )
            .await;
        login.json::<serde_json::Value>().await.expect("json")["access_token"]
            .as_str()
            .expect("token")
            .to_string()
    }
}

pub const TEST_PASSWORD: &str = "Passw0rd-Test";
