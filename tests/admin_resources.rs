//! Admin resources, system stats and `/api/status` over real HTTP (SPEC §1, §10) on both
//! engines: per-user storage grows with the user's data, totals add up, trades count as soon
//! as the trades collection exists, and the counters match what users did.

mod common;

use amarktai::domain::user::UserStatus;
use amarktai::store::ApiKeyRecord;
use chrono::{Duration, Utc};
use common::{Engine, TestApp};
use serde_json::{json, Value};

async fn body(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 200, "{}", resp.url());
    resp.json().await.expect("json")
}

async fn user_id(app: &TestApp, token: &str) -> String {
    body(app.get_auth("/api/auth/me", token).await).await["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn create_bot(app: &TestApp, token: &str, name: &str, mode: &str) -> String {
    let resp = app
        .post_auth(
            "/api/bots",
            token,
            json!({"name": name, "exchange": "luno", "risk_mode": "safe", "initial_capital": 500, "trading_mode": mode}),
        )
        .await;
    body(resp).await["id"].as_str().expect("id").to_string()
}

async fn store_chat(app: &TestApp, token: &str, content: &str) {
    body(
        app.post_auth(
            "/api/ai/chat",
            token,
            json!({"role": "assistant", "content": content}),
        )
        .await,
    )
    .await;
}

/// The resources row of one user.
async fn row_of(app: &TestApp, admin: &str, path: &str, id: &str) -> Value {
    let all = body(app.get_auth(path, admin).await).await;
    all["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user_id"] == id)
        .cloned()
        .expect("user row")
}

fn usage(row: &Value, kind: &str) -> (u64, u64) {
    let entry = &row["storage_breakdown"][kind];
    assert!(
        entry["size_mb"].is_f64() || entry["size_mb"].is_u64(),
        "{kind}"
    );
    (
        entry["count"].as_u64().unwrap(),
        entry["size_bytes"].as_u64().unwrap(),
    )
}

async fn storage_grows_per_user_and_adds_up(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let alice = app.token_for("alice@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let (alice_id, bob_id) = (user_id(&app, &alice).await, user_id(&app, &bob).await);
    let path = "/api/admin/resources/users";

    let empty = row_of(&app, &admin, path, &alice_id).await;
    for kind in ["chat_messages", "trades", "bots", "alerts"] {
        assert_eq!(usage(&empty, kind), (0, 0), "{kind}");
    }
    assert_eq!(empty["total_storage_mb"], 0.0);

    create_bot(&app, &alice, "A1", "paper").await;
    create_bot(&app, &alice, "A2", "paper").await;
    store_chat(&app, &alice, "first note").await;
    store_chat(&app, &alice, "second note").await;
    body(
        app.post_auth("/api/system/emergency-stop", &alice, json!({}))
            .await,
    )
    .await;
    create_bot(&app, &bob, "B1", "paper").await;

    let a = row_of(&app, &admin, path, &alice_id).await;
    let (bots, bot_bytes) = usage(&a, "bots");
    let (chats, chat_bytes) = usage(&a, "chat_messages");
    let (alerts, alert_bytes) = usage(&a, "alerts");
    assert_eq!((bots, chats, alerts), (2, 2, 1));
    assert!(bot_bytes > 200 && chat_bytes > 20 && alert_bytes > 20);
    assert_eq!(usage(&a, "trades"), (0, 0));
    assert_eq!(
        a["total_storage_bytes"].as_u64().unwrap(),
        bot_bytes + chat_bytes + alert_bytes
    );
    assert!(a["total_storage_mb"].as_f64().unwrap() > 0.0);
    let b = row_of(&app, &admin, path, &bob_id).await;
    assert_eq!(usage(&b, "bots").0, 1);
    assert_eq!(usage(&b, "chat_messages"), (0, 0), "per user, not shared");

    let long = "x".repeat(3000);
    store_chat(&app, &alice, &long).await;
    let grown = row_of(&app, &admin, path, &alice_id).await;
    let (chats_after, bytes_after) = usage(&grown, "chat_messages");
    assert_eq!(chats_after, 3);
    assert!(
        bytes_after >= chat_bytes + 3000,
        "{bytes_after} vs {chat_bytes}"
    );
    assert_eq!(usage(&grown, "bots"), (bots, bot_bytes), "bots unchanged");

    let all = body(app.get_auth(path, &admin).await).await;
    assert_eq!(all["total"], 3);
    assert_eq!(
        all["users"][0]["user_id"],
        alice_id.as_str(),
        "biggest first"
    );
    let totals = &all["system_totals"];
    assert_eq!(totals["total_users"], 3);
    assert_eq!(totals["bots"]["count"], 3);
    assert_eq!(totals["chat_messages"]["count"], 3);
    assert_eq!(totals["alerts"]["count"], 1);
    let per_user: u64 = all["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["total_storage_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(totals["total_storage_bytes"].as_u64().unwrap(), per_user);

    let alias = body(app.get_auth("/api/admin/storage", &admin).await).await;
    assert_eq!(alias["users"], all["users"]);
    assert_eq!(alias["system_totals"], all["system_totals"]);
}

/// Creates the trades table/collection as the trading branch does and inserts
/// `(user_id, profit_loss, age)` rows.
async fn insert_trades(app: &TestApp, engine: &Engine, rows: &[(&str, f64, Duration)]) {
    let now = Utc::now();
    match engine {
        Engine::Sqlite => {
            let path = app.config.dir.path().join("amarktai.db");
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS trades (id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL, \
                 bot_id TEXT NOT NULL, exchange TEXT NOT NULL, amount REAL NOT NULL, entry_price REAL NOT NULL, \
                 fees REAL NOT NULL, slippage_cost REAL NOT NULL, profit_loss REAL NOT NULL, \
                 is_profitable INTEGER NOT NULL, timestamp INTEGER NOT NULL, day TEXT NOT NULL, doc TEXT NOT NULL)",
            )
            .execute(&pool)
            .await
            .unwrap();
            for (user, profit, age) in rows {
                let at = now - *age;
                sqlx::query("INSERT INTO trades VALUES (?, ?, 'bot', 'luno', 0.01, 1000000, 1, 0.5, ?, ?, ?, ?, '{}')")
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(*user)
                    .bind(*profit)
                    .bind(*profit > 0.0)
                    .bind(at.timestamp_millis())
                    .bind(at.format("%Y-%m-%d").to_string())
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            pool.close().await;
        }
        Engine::Mongo(url) => {
            let (_, name) = app.config.mongo_db.clone().unwrap();
            let client = mongodb::Client::with_uri_str(url).await.unwrap();
            let trades = client
                .database(&name)
                .collection::<mongodb::bson::Document>("trades");
            for (user, profit, age) in rows {
                let at = mongodb::bson::DateTime::from_millis((now - *age).timestamp_millis());
                trades
                    .insert_one(mongodb::bson::doc! {
                        "_id": uuid::Uuid::new_v4().to_string(), "user_id": *user, "bot_id": "bot",
                        "exchange": "luno", "profit_loss": *profit, "timestamp": at, "stage": "done",
                    })
                    .await
                    .unwrap();
            }
        }
    }
}

async fn trades_count_once_the_trades_collection_exists(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let alice = app.token_for("alice@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let alice_id = user_id(&app, &alice).await;
    let path = "/api/admin/resources/users";

    assert_eq!(
        body(app.get_auth("/api/status", &admin).await).await["trades_today"],
        0
    );
    let stats = body(app.get_auth("/api/admin/system-stats", &admin).await).await;
    assert_eq!(
        stats["trades"],
        json!({"total": 0, "today": 0, "total_profit": 0.0})
    );

    insert_trades(
        &app,
        &engine,
        &[
            (alice_id.as_str(), 10.0, Duration::zero()),
            (alice_id.as_str(), -4.0, Duration::zero()),
            (alice_id.as_str(), 5.0, Duration::days(2)),
        ],
    )
    .await;
    let row = row_of(&app, &admin, path, &alice_id).await;
    let (count, bytes) = usage(&row, "trades");
    assert_eq!(count, 3);
    assert!(bytes > 0);
    assert_eq!(
        body(app.get_auth("/api/status", &admin).await).await["trades_today"],
        2
    );
    let stats = body(app.get_auth("/api/admin/system-stats", &admin).await).await;
    assert_eq!(
        stats["trades"],
        json!({"total": 3, "today": 2, "total_profit": 11.0})
    );
}

fn keys_for(user_id: &str) -> ApiKeyRecord {
    let now = Utc::now();
    ApiKeyRecord {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.into(),
        provider: "luno".into(),
        api_key_enc: "v1:test:AAAA".into(),
        api_secret_enc: Some("v1:test:BBBB".into()),
        passphrase_enc: None,
        masked_key: "abcd...wxyz".into(),
        status: "saved_untested".into(),
        created_at: now,
        updated_at: now,
        last_tested_at: None,
        last_test_error: None,
    }
}

async fn system_stats_and_status_count_users_bots_and_read_the_host(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let alice = app.token_for("alice@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let carol = app.token_for("carol@example.com").await;
    let admin = app.admin_token("boss@example.com").await;
    let (alice_id, bob_id) = (user_id(&app, &alice).await, user_id(&app, &bob).await);
    let carol_id = user_id(&app, &carol).await;
    let mut pending = app
        .state
        .store
        .users
        .find_by_id(&carol_id)
        .await
        .unwrap()
        .unwrap();
    pending.status = UserStatus::Pending;
    app.state.store.users.update(&pending).await.unwrap();
    body(
        app.post_auth(
            &format!("/api/admin/users/{bob_id}/block"),
            &admin,
            json!({}),
        )
        .await,
    )
    .await;

    create_bot(&app, &alice, "Runner", "paper").await;
    let paused = create_bot(&app, &alice, "Sleeper", "paper").await;
    body(
        app.post_auth(&format!("/api/bots/{paused}/pause"), &alice, json!({}))
            .await,
    )
    .await;
    app.state
        .store
        .keys
        .upsert(&keys_for(&alice_id))
        .await
        .unwrap();
    create_bot(&app, &alice, "Trainee", "live").await;
    let gone = create_bot(&app, &alice, "Gone", "paper").await;
    body(app.delete_auth(&format!("/api/bots/{gone}"), &alice).await).await;

    let status = body(app.get_auth("/api/status", &admin).await).await;
    let mut keys: Vec<&str> = status
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "admins_active",
            "bots",
            "environment",
            "timestamp",
            "trades_today",
            "users",
            "version"
        ]
    );
    assert_eq!(
        status["users"],
        json!({"pending": 1, "active": 2, "blocked": 1})
    );
    assert_eq!(status["admins_active"], 1);
    assert_eq!(
        status["bots"],
        json!({"total": 3, "active": 1, "live": 1, "paper": 2})
    );
    assert_eq!(status["environment"], "development");
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert!(chrono::DateTime::parse_from_rfc3339(status["timestamp"].as_str().unwrap()).is_ok());

    let stats = body(app.get_auth("/api/admin/system-stats", &admin).await).await;
    assert_eq!(stats["users"]["total"], 4);
    assert_eq!(stats["users"]["blocked"], 1);
    assert_eq!(stats["users"]["admins_active"], 1);
    assert_eq!(stats["bots"]["total"], 3);
    assert_eq!(
        stats["bots"]["by_status"],
        json!({"active": 1, "paused": 1, "live_training_bay": 1})
    );
    assert_eq!(stats["bots"]["by_mode"], json!({"live": 1, "paper": 2}));
    assert_eq!(stats["total_profit"], 0.0);
    assert!(stats["host"]["cpu"]["cores"].as_u64().unwrap() >= 1);
    // The data volume's real size: positive, with free space not above it.
    let disk = &stats["host"]["disk"];
    let total = disk["total_mb"].as_f64().expect("disk total");
    let free = disk["free_mb"].as_f64().expect("disk free");
    assert!(total > 0.0 && (0.0..=total).contains(&free), "{disk}");
    assert!(
        (0.0..=100.0).contains(&disk["used_percent"].as_f64().unwrap()),
        "{disk}"
    );
    assert_eq!(stats["database"]["engine"], app.state.store.engine());
    if cfg!(target_os = "linux") {
        assert!(stats["host"]["memory"]["total_mb"].as_f64().unwrap() > 0.0);
        assert!(stats["host"]["cpu"]["load_average"]["load_1m"].is_number());
        assert!(stats["host"]["process"]["rss_mb"].as_f64().unwrap() > 0.0);
    }
}

on_both_engines!(
    storage_grows_per_user_and_adds_up,
    trades_count_once_the_trades_collection_exists,
    system_stats_and_status_count_users_bots_and_read_the_host,
);
