//! `/api/ledger/*` over real HTTP on both engines: funding, listings, reconciliation, and
//! tamper detection after editing or deleting stored entries directly in the database.

mod common;
mod trading_support;

use common::{Engine, TestApp};
use serde_json::{json, Value};
use trading_support::*;

async fn fund(app: &TestApp, token: &str, amount: f64) -> Value {
    let resp = app
        .post_auth(
            "/api/ledger/funding",
            token,
            json!({"amount": amount, "currency": "zar", "description": "deposit"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// Runs `sql` against the SQLite file of `app` (engine-level tampering, as an attacker with
/// disk access would).
async fn sqlite_exec(app: &TestApp, sql: &str, user_id: &str) {
    let path = app.config.dir.path().join("amarktai.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let done = sqlx::query(sql).bind(user_id).execute(&pool).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{sql}");
    pool.close().await;
}

async fn mongo_ledger(app: &TestApp) -> mongodb::Collection<mongodb::bson::Document> {
    let (url, name) = app.config.mongo_db.clone().expect("a mongo test");
    let client = mongodb::Client::with_uri_str(url).await.unwrap();
    client.database(&name).collection("ledger")
}

async fn edit_amount(app: &TestApp, engine: &Engine, user_id: &str, seq: i64) {
    match engine {
        Engine::Sqlite => {
            let sql = format!("UPDATE ledger SET doc = json_set(doc, '$.amount', 999999.0) WHERE user_id = ? AND seq = {seq}");
            sqlite_exec(app, &sql, user_id).await;
        }
        Engine::Mongo(_) => {
            let ledger = mongo_ledger(app).await;
            let filter = mongodb::bson::doc! {"user_id": user_id, "seq": seq};
            let done = ledger
                .update_one(filter, mongodb::bson::doc! {"$set": {"amount": 999999.0}})
                .await
                .unwrap();
            assert_eq!(done.modified_count, 1);
        }
    }
}

async fn delete_entry(app: &TestApp, engine: &Engine, user_id: &str, seq: i64) {
    match engine {
        Engine::Sqlite => {
            sqlite_exec(
                app,
                &format!("DELETE FROM ledger WHERE user_id = ? AND seq = {seq}"),
                user_id,
            )
            .await
        }
        Engine::Mongo(_) => {
            let ledger = mongo_ledger(app).await;
            let done = ledger
                .delete_one(mongodb::bson::doc! {"user_id": user_id, "seq": seq})
                .await
                .unwrap();
            assert_eq!(done.deleted_count, 1);
        }
    }
}

async fn user(app: &TestApp, email: &str) -> (String, String) {
    let body = app.register(email).await;
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["user"]["id"].as_str().unwrap().to_string(),
    )
}

async fn funding_joins_the_chain_and_bad_funding_is_refused(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, _) = user(&app, "funds@example.com").await;
    let first = fund(&app, &token, 5000.0).await["entry"].clone();
    assert_eq!(
        (
            first["seq"].as_u64(),
            first["kind"].as_str(),
            first["currency"].as_str()
        ),
        (Some(1), Some("funding"), Some("ZAR"))
    );
    let second = fund(&app, &token, -100.0).await["entry"].clone();
    assert_eq!(
        second["prev_hash"], first["hash"],
        "each entry carries the previous hash"
    );

    let long = "x".repeat(501);
    for (field, body) in [
        ("amount", json!({"amount": 0})),
        ("amount", json!({"amount": 1e12})),
        ("amount", json!({"amount": "lots"})),
        ("currency", json!({"amount": 10, "currency": "Z1"})),
        ("description", json!({"amount": 10, "description": long})),
    ] {
        let resp = app
            .post_auth("/api/ledger/funding", &token, body.clone())
            .await;
        assert_eq!(resp.status(), 422, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert!(
            err["error"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["field"] == field),
            "{err}"
        );
    }
    assert_eq!(
        app.post_json("/api/ledger/funding", json!({"amount": 10}))
            .await
            .status(),
        401
    );

    let events = get_json(&app, "/api/ledger/events", &token).await;
    assert_eq!(events["count"], 2, "refused funding wrote nothing");
    assert_eq!(events["events"][0]["seq"], 2, "newest first");
    assert_eq!(
        get_json(&app, "/api/ledger/events?kind=fill", &token).await["count"],
        0
    );
    assert_eq!(
        app.get_auth("/api/ledger/events?kind=bogus", &token)
            .await
            .status(),
        422
    );
    let verdict = get_json(&app, "/api/ledger/verify-integrity", &token).await;
    assert_eq!(
        (verdict["valid"].as_bool(), verdict["checked"].as_u64()),
        (Some(true), Some(2)),
        "{verdict}"
    );
    let trail = get_json(&app, "/api/ledger/audit-trail", &token).await;
    assert_eq!(
        (trail["count"].as_u64(), trail["integrity"]["ok"].as_bool()),
        (Some(2), Some(true))
    );

    let other = app.token_for("nosy@example.com").await;
    assert_eq!(
        get_json(&app, "/api/ledger/events", &other).await["count"],
        0
    );
    assert_eq!(
        get_json(&app, "/api/ledger/verify-integrity", &other).await["checked"],
        0
    );
}

async fn an_entry_edited_in_the_database_is_detected(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "tamper@example.com").await;
    for amount in [100.0, 200.0, 300.0] {
        let entry = fund(&app, &token, amount).await["entry"].clone();
        assert_eq!(entry["amount"].as_f64(), Some(amount), "booked as sent");
    }
    assert_eq!(
        get_json(&app, "/api/ledger/verify-integrity", &token).await["valid"],
        true
    );
    edit_amount(&app, &engine, &user_id, 2).await;
    let verdict = get_json(&app, "/api/ledger/verify-integrity", &token).await;
    assert_eq!(
        (
            verdict["valid"].as_bool(),
            verdict["first_bad_seq"].as_u64()
        ),
        (Some(false), Some(2)),
        "{verdict}"
    );
    assert!(
        verdict["problem"].as_str().unwrap().contains("modified"),
        "{verdict}"
    );
    assert_eq!(
        get_json(&app, "/api/ledger/audit-trail", &token).await["integrity"]["ok"],
        false
    );
}

async fn a_deleted_newest_entry_is_detected(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "shred@example.com").await;
    for amount in [100.0, 200.0, 300.0] {
        let entry = fund(&app, &token, amount).await["entry"].clone();
        assert_eq!(entry["amount"].as_f64(), Some(amount), "booked as sent");
    }
    delete_entry(&app, &engine, &user_id, 3).await;
    let verdict = get_json(&app, "/api/ledger/verify-integrity", &token).await;
    assert_eq!(verdict["valid"], false, "{verdict}");
    assert!(
        verdict["problem"].as_str().unwrap().contains("deleted"),
        "{verdict}"
    );
}

async fn reconcile_compares_bot_capital_with_booked_fills(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "recon@example.com").await;
    let bot_id = create_bot(&app, &token, "Books", "luno", 10_000.0).await;
    assert_eq!(
        order(&app, &token, small_buy(&bot_id)).await["success"],
        true
    );
    let ok = get_json(&app, "/api/ledger/reconcile", &token).await;
    assert_eq!(
        (ok["reconciled"].as_bool(), ok["mismatched"].as_u64()),
        (Some(true), Some(0)),
        "{ok}"
    );
    assert!(
        close(ok["bots"][0]["ledger_fills"].as_f64().unwrap(), -2.402),
        "{ok}"
    );

    let mut bot = app
        .state
        .store
        .bots
        .find(&user_id, &bot_id)
        .await
        .unwrap()
        .unwrap();
    bot.current_capital += 500.0;
    assert!(app.state.store.bots.save(&bot).await.unwrap());
    let drifted = get_json(&app, "/api/ledger/reconcile", &token).await;
    assert_eq!(
        (
            drifted["reconciled"].as_bool(),
            drifted["mismatched"].as_u64()
        ),
        (Some(false), Some(1))
    );
    assert!(
        close(drifted["bots"][0]["difference"].as_f64().unwrap(), 500.0),
        "{drifted}"
    );
}

/// Amounts whose shortest decimal text needs all 17 digits must read back as the same f64
/// (the SQLite engine keeps entries as JSON text), or an untouched chain reports tampering.
async fn untouched_entries_with_long_amounts_verify(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, _) = user(&app, "digits@example.com").await;
    for amount in [
        97.57790000000004,
        0.1 + 0.2,
        1234.5678901234567,
        -195.15580000000045,
    ] {
        let entry = fund(&app, &token, amount).await["entry"].clone();
        assert_eq!(entry["amount"].as_f64(), Some(amount), "booked as sent");
    }
    let report = app
        .get_auth("/api/ledger/verify-integrity", &token)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["checked"], 4, "{report}");
}

on_both_engines!(
    untouched_entries_with_long_amounts_verify,
    funding_joins_the_chain_and_bad_funding_is_refused,
    an_entry_edited_in_the_database_is_detected,
    a_deleted_newest_entry_is_detected,
    reconcile_compares_bot_capital_with_booked_fills,
);
