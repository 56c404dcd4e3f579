//! A MongoDB that goes away while the server runs: health and requests answer 503 in the
//! envelope, nothing panics, and the server recovers by itself (with its data) when the
//! database returns. Needs the nx-27017 binary (`NX_27017_BIN`, exported by `.ci/run`) so the
//! test can stop and restart a database of its own.
//!
//! Also the boot: `amarktai serve` started while MongoDB is unreachable retries with backoff
//! (`DB_CONNECT_ATTEMPTS`) and either comes up once the database appears or exits with one
//! clear error line, never a panic.
mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Engine, TestApp, TestConfig};
use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// One nx-27017 process on a fixed port with an on-disk data dir (so a restart keeps the data).
struct Database {
    bin: String,
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Database {
    fn start(bin: String) -> Self {
        let mut db = Database::not_started(bin);
        db.restart();
        db
    }

    /// A database on a free port that nothing listens on until `restart`.
    fn not_started(bin: String) -> Self {
        Database {
            bin,
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
        }
    }

    fn restart(&mut self) {
        std::fs::create_dir_all(self.dir.path().join("data")).expect("data dir");
        let child = Command::new(&self.bin)
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .args(["--host", "127.0.0.1", "-p", &self.port.to_string()])
            .arg("--pid-file")
            .arg(self.dir.path().join("nx.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nx-27017");
        self.child = Some(child);
        self.wait_until(true);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(self.dir.path().join("nx.pid"));
        self.wait_until(false);
    }

    /// Polls the port until it accepts (or refuses) connections.
    fn wait_until(&self, accepting: bool) {
        for _ in 0..200 {
            let up = std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok();
            if up == accepting {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "nx-27017 on port {} never became accepting={accepting}",
            self.port
        );
    }

    fn url(&self) -> String {
        format!("mongodb://127.0.0.1:{}", self.port)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn json(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mongodb_outage_is_503_in_the_envelope_and_the_server_recovers() {
    let Ok(bin) = std::env::var("NX_27017_BIN") else {
        eprintln!("NX_27017_BIN not set: database outage test skipped (CI sets it)");
        return;
    };
    let mut db = Database::start(bin);
    let config = TestConfig::new(&Engine::Mongo(db.url())).set("DB_TIMEOUT_MS", "1000");
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let token = app.token_for("outage@example.com").await;

    let (status, ping) = json(
        app.client
            .get(app.url("/api/health/ping"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, ping["db"].as_str()), (200, Some("connected")));

    db.stop();

    let (status, ping) = json(
        app.client
            .get(app.url("/api/health/ping"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(ping["db"], "disconnected", "{ping}");
    let (status, ready) = json(
        app.client
            .get(app.url("/api/health/ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(ready["ready"], false);
    let (status, me) = json(app.get_auth("/api/auth/me", &token).await).await;
    assert_eq!(status, 503, "a request needing the database: {me}");
    assert_eq!(me["detail"], "Database unavailable; try again shortly");
    assert_eq!(me["error"]["code"], "SERVICE_UNAVAILABLE", "envelope: {me}");
    // The process is still serving what needs no database.
    let live = app
        .client
        .get(app.url("/api/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);

    db.restart();

    // No restart of our server: the driver reconnects on its own.
    let mut recovered = false;
    for _ in 0..60 {
        let resp = app
            .client
            .get(app.url("/api/health/ping"))
            .send()
            .await
            .unwrap();
        if resp.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        recovered,
        "ping never recovered after the database returned"
    );
    let (status, me) = json(app.get_auth("/api/auth/me", &token).await).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], "outage@example.com");
}

/// What the server logs before each retry of an unreachable database.
const RETRY_LINE: &str = "database not reachable; retrying";

/// `amarktai serve` as an operator starts it (clean environment), with its output collected
/// line by line. Killed when dropped, so a failing test leaves no process behind.
struct Server {
    child: Child,
    port: u16,
    output: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(mongodb_url: &str, attempts: u32, data_dir: &std::path::Path) -> Self {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_amarktai"))
            .arg("serve")
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("DATA_DIR", data_dir)
            .env("JWT_SECRET", "boot-retry-secret-0123456789-abcdefghij")
            .env("MONGODB_URL", mongodb_url)
            .env("MONGODB_DB", "amarktai_boot_retry")
            .env("DB_TIMEOUT_MS", "300")
            .env("DB_CONNECT_ATTEMPTS", attempts.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start amarktai");
        let output = Arc::new(Mutex::new(Vec::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    output.lock().expect("output lock").push(line);
                }
            });
        }
        Server {
            child,
            port,
            output,
        }
    }

    fn output(&self) -> Vec<String> {
        self.output.lock().expect("output lock").clone()
    }

    /// Waits until some output line contains `needle` (panics with the output otherwise).
    fn wait_for_line(&self, needle: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.output().iter().any(|l| l.contains(needle)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no line with {needle:?} in:\n{}", self.output().join("\n"));
    }

    /// Waits for the process to exit by itself; `None` if it is still running after `within`.
    fn wait_for_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_started_before_mongodb_retries_and_comes_up_when_it_appears() {
    let Ok(bin) = std::env::var("NX_27017_BIN") else {
        eprintln!("NX_27017_BIN not set: boot retry test skipped (CI sets it)");
        return;
    };
    let mut db = Database::not_started(bin);
    let data_dir = tempfile::tempdir().expect("temp dir");
    // 300 ms per attempt and 0.25, 0.5, 1, 2, 4, 8, 8... s between them: time enough for
    // the database to start after the first refusal, and still a finite budget.
    let mut server = Server::start(&db.url(), 10, data_dir.path());
    server.wait_for_line(RETRY_LINE, Duration::from_secs(20));
    assert!(
        server.child.try_wait().expect("try_wait").is_none(),
        "the server gave up after one refusal:\n{}",
        server.output().join("\n")
    );

    db.restart();

    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = loop {
        if let Some(status) = server.child.try_wait().expect("try_wait") {
            panic!(
                "the server exited ({status}) although the database appeared:\n{}",
                server.output().join("\n")
            );
        }
        if let Ok(resp) = client.get(server.url("/api/health/ready")).send().await {
            if resp.status() == 200 {
                break json(resp).await.1;
            }
        }
        assert!(
            Instant::now() < deadline,
            "never ready:\n{}",
            server.output().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(ready["ready"], true, "{ready}");

    let (status, registered) = json(
        client
            .post(server.url("/api/auth/register"))
            .json(&serde_json::json!({"first_name": "Boot", "email": "boot@example.com", "password": common::TEST_PASSWORD}))
            .send()
            .await
            .expect("register"),
    )
    .await;
    assert_eq!(status, 200, "{registered}");
    assert!(registered["access_token"].is_string(), "{registered}");
    let (status, me) = json(
        client
            .get(server.url("/api/auth/me"))
            .bearer_auth(registered["access_token"].as_str().unwrap_or_default())
            .send()
            .await
            .expect("me"),
    )
    .await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some("boot@example.com"))
    );
    assert!(
        !server.output().iter().any(|l| l.contains("panicked")),
        "{}",
        server.output().join("\n")
    );
}

/// Needs no database binary: nothing ever listens on the port.
#[test]
fn server_gives_up_with_a_clear_error_when_mongodb_never_appears() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    // Credentials in the URL must not reach the log or the error line.
    let url = format!("mongodb://boot:Pw-not-for-logs@127.0.0.1:{}", free_port());
    let mut server = Server::start(&url, 3, data_dir.path());
    let status = server
        .wait_for_exit(Duration::from_secs(60))
        .unwrap_or_else(|| {
            panic!(
                "still running after 3 attempts:\n{}",
                server.output().join("\n")
            )
        });
    let output = server.output();
    let text = output.join("\n");
    assert!(!status.success(), "{text}");
    assert_ne!(status.code(), Some(101), "a panic's exit code: {text}");
    assert!(!text.contains("panicked"), "{text}");
    assert!(
        !text.contains("Pw-not-for-logs"),
        "password logged:\n{text}"
    );
    assert_eq!(
        output.iter().filter(|l| l.contains(RETRY_LINE)).count(),
        2,
        "3 attempts = 2 retries:\n{text}"
    );
    let errors: Vec<&String> = output.iter().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line:\n{text}");
    assert!(
        errors[0].to_lowercase().contains("database"),
        "the error names the database: {}",
        errors[0]
    );
}
