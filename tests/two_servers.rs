//! Two `amarktai serve` processes on one SQLite file, as when an operator runs a second server
//! (or restarts one) beside the first: whatever one changes, the other answers at once. This is
//! the invalidation test for the bot list's rendered-answer cache (`app/bot_list.rs`, issue 20)
//! and for the direct token reads (`store/sqlite/direct.rs`): no stale bot, no revoked token, no
//! blocked user served by the other process.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

const PASSWORD: &str = "Passw0rd-Test";

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[])
    }

    fn start_with(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_amarktai"))
            .arg("serve")
            .current_dir(data_dir)
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("DATA_DIR", data_dir)
            .env("JWT_SECRET", "two-servers-secret-0123456789-abcdefghij")
            .env("RATE_LIMIT_ENABLED", "false")
            .env("ENABLE_TRADING", "false")
            .env("ENABLE_SCHEDULERS", "false")
            .env("ENABLE_AUTOPILOT", "false")
            .env("LOG_LEVEL", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start amarktai");
        Server { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn wait_ready(&mut self, client: &reqwest::Client) {
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!("server exited early: {status}");
            }
            if let Ok(resp) = client.get(self.url("/api/health/live")).send().await {
                if resp.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("server on port {} did not come up", self.port);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn bot_names(client: &reqwest::Client, server: &Server, token: &str) -> Vec<String> {
    let (status, list) = call(
        client,
        reqwest::Method::GET,
        server.url("/api/bots"),
        token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .expect("array")
        .iter()
        .map(|b| b["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_server_changes_the_other_serves_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The first creates the file and applies migrations before the second opens it.
    let client = reqwest::Client::new();
    let mut a = Server::start(dir.path());
    a.wait_ready(&client).await;
    let mut b = Server::start(dir.path());
    b.wait_ready(&client).await;

    let resp = client
        .post(a.url("/api/auth/register"))
        .json(&json!({"first_name": "Two", "email": "two@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 200);
    let token = resp.json::<Value>().await.expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let post = reqwest::Method::POST;
    let new_bot = |name: &str| json!({"name": name, "exchange": "luno", "risk_mode": "balanced", "initial_capital": 1000});

    // Both servers have answered (and kept) the empty list before the first bot exists.
    assert!(bot_names(&client, &a, &token).await.is_empty());
    assert!(bot_names(&client, &b, &token).await.is_empty());
    let (status, alpha) = call(
        &client,
        post.clone(),
        a.url("/api/bots"),
        &token,
        Some(new_bot("Alpha")),
    )
    .await;
    assert_eq!(status, 200, "{alpha}");
    let alpha_id = alpha["id"].as_str().expect("id").to_string();
    assert_eq!(bot_names(&client, &b, &token).await, ["Alpha"]);
    assert_eq!(bot_names(&client, &a, &token).await, ["Alpha"]);

    // Created on B: A (which kept a one-bot list) shows two.
    let (status, _) = call(
        &client,
        post.clone(),
        b.url("/api/bots"),
        &token,
        Some(new_bot("Beta")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(bot_names(&client, &a, &token).await, ["Alpha", "Beta"]);

    // Renamed on A, read on B (B kept the list with the old name a moment ago).
    assert_eq!(bot_names(&client, &b, &token).await, ["Alpha", "Beta"]);
    let (status, renamed) = call(
        &client,
        reqwest::Method::PUT,
        a.url(&format!("/api/bots/{alpha_id}")),
        &token,
        Some(json!({"name": "Alpha Prime"})),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(
        bot_names(&client, &b, &token).await,
        ["Alpha Prime", "Beta"]
    );

    // A status change on B shows on A with its new status.
    let (status, paused) = call(
        &client,
        post.clone(),
        b.url(&format!("/api/bots/{alpha_id}/pause")),
        &token,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{paused}");
    let (_, list) = call(
        &client,
        reqwest::Method::GET,
        a.url("/api/bots"),
        &token,
        None,
    )
    .await;
    assert_eq!(list[0]["status"], "paused", "{list}");

    // A write that no handler made (an engine, an operator's SQL) is seen too: the revision is
    // kept by the database itself.
    let db = rusqlite::Connection::open(dir.path().join("amarktai.db")).expect("open db");
    db.busy_timeout(Duration::from_secs(5)).expect("busy");
    let changed = db
        .execute(
            "UPDATE bots SET doc = json_set(doc, '$.name', 'Edited Outside') WHERE id = ?1",
            [&alpha_id],
        )
        .expect("update");
    assert_eq!(changed, 1);
    assert_eq!(
        bot_names(&client, &a, &token).await,
        ["Edited Outside", "Beta"]
    );
    assert_eq!(
        bot_names(&client, &b, &token).await,
        ["Edited Outside", "Beta"]
    );

    // Deleted on A: gone on B.
    let (status, _) = call(
        &client,
        reqwest::Method::DELETE,
        a.url(&format!("/api/bots/{alpha_id}")),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(bot_names(&client, &b, &token).await, ["Beta"]);

    // The token: logged out on A, refused by B on the next request.
    let (status, _) = call(
        &client,
        reqwest::Method::GET,
        b.url("/api/auth/me"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &client,
        post.clone(),
        a.url("/api/auth/logout"),
        &token,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200);
    for server in [&b, &a] {
        let (status, body) = call(
            &client,
            reqwest::Method::GET,
            server.url("/api/bots"),
            &token,
            None,
        )
        .await;
        assert_eq!(
            status, 401,
            "a revoked token must not read the bot list: {body}"
        );
        let (status, _) = call(
            &client,
            reqwest::Method::GET,
            server.url("/api/auth/me"),
            &token,
            None,
        )
        .await;
        assert_eq!(status, 401);
    }
}

async fn register(client: &reqwest::Client, server: &Server, email: &str) -> (String, String) {
    let resp = client
        .post(server.url("/api/auth/register"))
        .json(&json!({"first_name": "Member", "email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("register");
    assert_eq!(resp.status(), 200);
    let body = resp.json::<Value>().await.expect("json");
    (
        body["user"]["id"].as_str().expect("id").to_string(),
        body["access_token"].as_str().expect("token").to_string(),
    )
}

async fn me(client: &reqwest::Client, server: &Server, token: &str) -> (u16, Value) {
    call(
        client,
        reqwest::Method::GET,
        server.url("/api/auth/me"),
        token,
        None,
    )
    .await
}

/// The token check's kept answers (`store/sqlite/token_checks.rs`): each server keeps the user
/// behind a token it checked, and every change to that user, made by the other server or by a
/// command-line process, is refused or shown by the very next request. A keeps answers for a
/// minute, so what A serves fresh can only come from the change signal, not from expiry (and
/// an outside SQL edit, which sends none, shows that A really does keep them); B keeps them
/// for 200 ms, the limit within which outside edits are seen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_changed_anywhere_is_checked_afresh_everywhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    let client = reqwest::Client::new();
    let mut a = Server::start_with(dir.path(), &[("TOKEN_CHECK_MAX_AGE_MS", "60000")]);
    a.wait_ready(&client).await;
    let mut b = Server::start_with(dir.path(), &[("TOKEN_CHECK_MAX_AGE_MS", "200")]);
    b.wait_ready(&client).await;

    let (_, ops_token) = register(&client, &a, "ops@example.com").await;
    let (member_id, member_token) = register(&client, &a, "member@example.com").await;
    let (_, outsider_token) = register(&client, &b, "outsider@example.com").await;
    // A first request records `last_seen` off the request path (a write, so it ends the answers
    // kept so far). Once every user's `last_seen` is stored, the next round keeps answers that
    // no write touches for the next minute.
    let started = std::time::Instant::now();
    loop {
        let mut recorded = true;
        for server in [&a, &b] {
            for token in [&ops_token, &member_token, &outsider_token] {
                let (status, body) = me(&client, server, token).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["first_name"], "Member", "{body}");
                recorded &= !body["last_seen"].is_null();
            }
        }
        if recorded {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "last_seen never recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    for server in [&a, &b] {
        for token in [&ops_token, &member_token, &outsider_token] {
            assert_eq!(me(&client, server, token).await.0, 200);
        }
    }

    // An outside edit sends no signal: A keeps serving its answer (this is what makes the
    // checks below meaningful), B sees the edit once its 200 ms are up.
    let db = rusqlite::Connection::open(dir.path().join("amarktai.db")).expect("open db");
    db.busy_timeout(Duration::from_secs(5)).expect("busy");
    let changed = db
        .execute(
            "UPDATE users SET first_name = 'Outside' WHERE email = 'outsider@example.com'",
            [],
        )
        .expect("update");
    assert_eq!(changed, 1);
    let edited = std::time::Instant::now();
    loop {
        let (status, body) = me(&client, &b, &outsider_token).await;
        assert_eq!(status, 200, "{body}");
        if body["first_name"] == "Outside" {
            break;
        }
        assert!(
            edited.elapsed() < Duration::from_secs(10),
            "B never saw the outside edit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        me(&client, &a, &outsider_token).await.1["first_name"],
        "Member",
        "A keeps its answer for a minute unless a write signals"
    );
    // A write through the server to that user (here: B's profile change) reaches A at once,
    // and A's next answer also carries the outside edit it had not seen.
    let (status, body) = call(
        &client,
        reqwest::Method::PUT,
        b.url("/api/auth/profile"),
        &outsider_token,
        Some(json!({"currency": "USD"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, seen) = me(&client, &a, &outsider_token).await;
    assert_eq!(seen["first_name"], "Outside", "{seen}");
    assert_eq!(seen["currency"], "USD", "{seen}");

    // A third process (the command line) promotes ops: promotion bumps the token version, so
    // the token both servers kept is refused by both at once.
    let out = Command::new(env!("CARGO_BIN_EXE_amarktai"))
        .args(["create-admin", "--email", "ops@example.com"])
        .env_clear()
        .env("DATA_DIR", dir.path())
        .env("JWT_SECRET", "two-servers-secret-0123456789-abcdefghij")
        .env("LOG_LEVEL", "warn")
        .output()
        .expect("create-admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for server in [&a, &b] {
        assert_eq!(me(&client, server, &ops_token).await.0, 401);
    }
    let resp = client
        .post(b.url("/api/auth/login"))
        .json(&json!({"email": "ops@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 200);
    let admin_token = resp.json::<Value>().await.expect("json")["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(me(&client, &a, &admin_token).await.1["role"], "admin");

    // A profile change on B is what A answers next.
    let (status, body) = call(
        &client,
        reqwest::Method::PUT,
        b.url("/api/auth/profile"),
        &member_token,
        Some(json!({"first_name": "Renamed"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        me(&client, &a, &member_token).await.1["first_name"],
        "Renamed"
    );

    // Blocked through B: A (which keeps answers a minute) refuses the member's next request.
    let (status, body) = call(
        &client,
        reqwest::Method::POST,
        b.url(&format!("/api/admin/users/{member_id}/block")),
        &admin_token,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for server in [&a, &b] {
        let (status, body) = me(&client, server, &member_token).await;
        assert!(
            matches!(status, 401 | 403),
            "blocked user served: {status} {body}"
        );
    }

    // Logged out on B: A refuses the token at once.
    assert_eq!(me(&client, &a, &admin_token).await.0, 200);
    let (status, _) = call(
        &client,
        reqwest::Method::POST,
        b.url("/api/auth/logout"),
        &admin_token,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(me(&client, &a, &admin_token).await.0, 401);
}
