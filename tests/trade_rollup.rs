//! The per-(user, UTC day) trade rollup (`trade_days`) behind `/api/portfolio/summary` and
//! `/api/profits`: after fills, a retried fill, imports, interrupted fills and imports that
//! `repair` finishes (MongoDB), a rollup dropped or miscounted and rebuilt at boot (MongoDB),
//! and user deletion, what the user reads equals a full scan of the stored trades.

mod common;
mod portfolio_support;
mod trading_support;

use amarktai::domain::order_record::{OrderRecord, OrderStatus};
use amarktai::domain::trade::Trade;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use common::{Engine, TestApp, TestConfig};
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use serde_json::{json, Value};
use trading_support::*;

/// One user's day as the rollup keeps it (or as recomputed from the trades).
#[derive(Debug, Clone, PartialEq)]
struct Day {
    day: String,
    trades: i64,
    wins: i64,
    losses: i64,
    profit: f64,
    fees: f64,
    slippage: f64,
    gross_profit: f64,
    gross_loss: f64,
    best: f64,
    worst: f64,
}

impl Day {
    fn close_to(&self, other: &Day) -> bool {
        let near = |a: f64, b: f64| (a - b).abs() < 1e-6;
        self.day == other.day
            && (self.trades, self.wins, self.losses) == (other.trades, other.wins, other.losses)
            && near(self.profit, other.profit)
            && near(self.fees, other.fees)
            && near(self.slippage, other.slippage)
            && near(self.gross_profit, other.gross_profit)
            && near(self.gross_loss, other.gross_loss)
            && near(self.best, other.best)
            && near(self.worst, other.worst)
    }
}

/// Per-day sums of `(day, profit_loss, fees, slippage_cost)` rows, by day.
fn recompute(rows: Vec<(String, f64, f64, f64)>) -> Vec<Day> {
    let mut days: std::collections::BTreeMap<String, Day> = Default::default();
    for (day, pnl, fees, slippage) in rows {
        let d = days.entry(day.clone()).or_insert(Day {
            day,
            trades: 0,
            wins: 0,
            losses: 0,
            profit: 0.0,
            fees: 0.0,
            slippage: 0.0,
            gross_profit: 0.0,
            gross_loss: 0.0,
            best: f64::MIN,
            worst: f64::MAX,
        });
        d.trades += 1;
        d.wins += i64::from(pnl > 0.0);
        d.losses += i64::from(pnl < 0.0);
        d.profit += pnl;
        d.fees += fees;
        d.slippage += slippage;
        d.gross_profit += pnl.max(0.0);
        d.gross_loss -= pnl.min(0.0);
        d.best = d.best.max(pnl);
        d.worst = d.worst.min(pnl);
    }
    days.into_values().collect()
}

/// The app's MongoDB database (from its config, so a `reboot`ed server finds it too).
async fn mongo_db(app: &TestApp) -> Option<mongodb::Database> {
    let url = app.config.vars.get("MONGODB_URL")?;
    let name = app.config.vars.get("MONGODB_DB")?;
    let client = mongodb::Client::with_uri_str(url)
        .await
        .expect("mongodb client");
    Some(client.database(name))
}

fn num(d: &Document, key: &str) -> f64 {
    match d.get(key) {
        Some(Bson::Double(v)) => *v,
        Some(Bson::Int32(v)) => f64::from(*v),
        Some(Bson::Int64(v)) => *v as f64,
        _ => 0.0,
    }
}

/// (rollup, recomputation from the visible trades) for `user_id`.
async fn rollup_and_recomputation(app: &TestApp, user_id: &str) -> (Vec<Day>, Vec<Day>) {
    if let Some(db) = mongo_db(app).await {
        let days: Vec<Document> = db
            .collection::<Document>("trade_days")
            .find(doc! {"user_id": user_id})
            .sort(doc! {"day": 1})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let rollup = days
            .iter()
            .map(|d| Day {
                day: d.get_str("day").unwrap().to_string(),
                trades: num(d, "trades") as i64,
                wins: num(d, "wins") as i64,
                losses: num(d, "losses") as i64,
                profit: num(d, "profit"),
                fees: num(d, "fees"),
                slippage: num(d, "slippage"),
                gross_profit: num(d, "gross_profit"),
                gross_loss: num(d, "gross_loss"),
                best: num(d, "best"),
                worst: num(d, "worst"),
            })
            .collect();
        let trades: Vec<Document> = db
            .collection::<Document>("trades")
            .find(doc! {"user_id": user_id, "stage": {"$nin": ["pending"]}})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        let rows = trades
            .iter()
            .map(|t| {
                (
                    t.get_str("day").unwrap().to_string(),
                    num(t, "profit_loss"),
                    num(t, "fees"),
                    num(t, "slippage_cost"),
                )
            })
            .collect();
        return (rollup, recompute(rows));
    }
    let path = app.config.dir.path().join("amarktai.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    type Row = (String, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT day, trades, wins, losses, profit, fees, slippage, gross_profit, gross_loss, best, worst \
         FROM trade_days WHERE user_id = ? ORDER BY day",
    )
    .bind(user_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    let rollup = rows
        .into_iter()
        .map(|r| Day {
            day: r.0,
            trades: r.1,
            wins: r.2,
            losses: r.3,
            profit: r.4,
            fees: r.5,
            slippage: r.6,
            gross_profit: r.7,
            gross_loss: r.8,
            best: r.9,
            worst: r.10,
        })
        .collect();
    let trades: Vec<(String, f64, f64, f64)> = sqlx::query_as(
        "SELECT day, profit_loss, fees, slippage_cost FROM trades WHERE user_id = ?",
    )
    .bind(user_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    (rollup, recompute(trades))
}

/// Asserts the user's rollup equals the recomputation and has `trades` trades in all.
async fn assert_rollup_exact(app: &TestApp, user_id: &str, trades: i64) {
    let (rollup, recomputed) = rollup_and_recomputation(app, user_id).await;
    assert_eq!(rollup.len(), recomputed.len(), "{rollup:?}\n{recomputed:?}");
    for (a, b) in rollup.iter().zip(&recomputed) {
        assert!(a.close_to(b), "rollup {a:?}\nrecomputed {b:?}");
    }
    assert_eq!(rollup.iter().map(|d| d.trades).sum::<i64>(), trades);
}

/// What the user reads over HTTP (`/api/portfolio/summary`, `/api/profits` daily) equals a
/// full scan of their stored trades, and the rollup holds exactly `trades` trades.
async fn assert_reads_match_scan(app: &TestApp, token: &str, user_id: &str, trades: i64) {
    assert_rollup_exact(app, user_id, trades).await;
    let (_, scanned) = rollup_and_recomputation(app, user_id).await;
    let s = summary(app, token).await;
    assert_eq!(s["total_trades"], trades, "{s}");
    let profit: f64 = scanned.iter().map(|d| d.profit).sum();
    let fees: f64 = scanned.iter().map(|d| d.fees).sum();
    assert!(
        close(s["realized_pnl"].as_f64().unwrap(), profit),
        "{s} vs {profit}"
    );
    assert!(
        close(s["fees_total"].as_f64().unwrap(), fees),
        "{s} vs {fees}"
    );
    let profits = get_json(app, "/api/profits?period=daily&limit=30", token).await;
    let series = profits["series"].as_array().expect("series");
    assert_eq!(series.len(), 30, "{profits}");
    for bucket in series {
        let day = &bucket["period_start"].as_str().expect("period_start")[..10];
        let (n, profit, fees) = scanned
            .iter()
            .find(|d| d.day == day)
            .map_or((0, 0.0, 0.0), |d| (d.trades, d.profit, d.fees));
        assert_eq!(bucket["trades"], n, "{day}: {bucket}");
        assert!(
            close(bucket["profit"].as_f64().unwrap(), profit),
            "{day}: {bucket}"
        );
        assert!(
            close(bucket["fees"].as_f64().unwrap(), fees),
            "{day}: {bucket}"
        );
    }
    let in_series: i64 = series.iter().filter_map(|b| b["trades"].as_i64()).sum();
    assert_eq!(
        in_series, trades,
        "every trade is within the last 30 days here"
    );
}

async fn user(app: &TestApp, email: &str) -> (String, String) {
    let body = app.register(email).await;
    (
        body["access_token"].as_str().unwrap().to_string(),
        body["user"]["id"].as_str().unwrap().to_string(),
    )
}

fn closed_trade(user_id: &str, bot_id: &str, at: DateTime<Utc>, pnl: f64) -> Trade {
    portfolio_support::trade(user_id, bot_id, at, pnl, 0.5)
}

/// Eight closed trades over the last five days: wins, losses and a break-even.
fn history(user_id: &str, bot_id: &str) -> Vec<Trade> {
    let now = Utc::now();
    [
        (5, 40.0),
        (5, -15.0),
        (4, 0.0),
        (3, 120.0),
        (3, -60.0),
        (3, 7.5),
        (2, -1.25),
        (1, 33.0),
    ]
    .iter()
    .map(|(days, pnl)| closed_trade(user_id, bot_id, now - Duration::days(*days), *pnl))
    .collect()
}

async fn import(app: &TestApp, trades: &[Trade]) {
    let stored = app.state.store.trade_stats.import(trades).await.unwrap();
    assert_eq!(stored, trades.len() as u64);
}

/// Three fills on today (price moves between them) on top of imported history.
async fn trade_a_little(app: &TestApp, fake: &FakeExchange, token: &str, bot_id: &str) {
    fake.set(
        "XBTZAR",
        &[1_000_000.0, 1_020_000.0, 990_000.0, 1_005_000.0],
    );
    for side in ["buy", "sell", "buy"] {
        let body = json!({"bot_id": bot_id, "symbol": "BTC/ZAR", "side": side, "amount": 0.001});
        let filled = order(app, token, body).await;
        assert_eq!(filled["success"], true, "{filled}");
    }
}

async fn summary(app: &TestApp, token: &str) -> Value {
    get_json(app, "/api/portfolio/summary", token).await
}

async fn the_rollup_equals_the_trades_after_fills_and_imports(engine: Engine) {
    let (app, fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "rollup@example.com").await;
    let bot_id = create_bot(&app, &token, "Alpha", "luno", 10_000.0).await;
    import(&app, &history(&user_id, &bot_id)).await;
    assert_reads_match_scan(&app, &token, &user_id, 8).await;
    trade_a_little(&app, &fake, &token, &bot_id).await;
    assert_reads_match_scan(&app, &token, &user_id, 11).await;

    // What the user sees from the rollup agrees with the per-trade aggregation.
    let s = summary(&app, &token).await;
    let stats = get_json(&app, "/api/trades/stats", &token).await;
    assert_eq!(s["total_trades"], 11);
    assert_eq!(stats["total_trades"], 11);
    assert!(close(
        s["realized_pnl"].as_f64().unwrap(),
        stats["total_profit"].as_f64().unwrap()
    ));
    assert!(close(
        s["fees_total"].as_f64().unwrap(),
        stats["total_fees"].as_f64().unwrap()
    ));
    let win_rate = get_json(&app, "/api/analytics/win_rate?period=all", &token).await;
    assert_eq!(win_rate["wins"], stats["winning_trades"]);
    assert_eq!(win_rate["best_trade"], stats["best_trade"]);
    assert_eq!(win_rate["worst_trade"], stats["worst_trade"]);
    let profits = get_json(&app, "/api/profits?period=daily&limit=7", &token).await;
    let per_day: i64 = profits["series"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["trades"].as_i64()).sum())
        .unwrap_or(-1);
    assert_eq!(per_day, 11, "{profits}");
}

async fn deleting_a_user_removes_their_rollup_only(engine: Engine) {
    let (app, fake) = spawn_trading(&engine).await;
    let admin = app.admin_token("boss@example.com").await;
    let (gone_token, gone) = user(&app, "gone@example.com").await;
    let (kept_token, kept) = user(&app, "kept@example.com").await;
    let gone_bot = create_bot(&app, &gone_token, "Alpha", "luno", 10_000.0).await;
    let kept_bot = create_bot(&app, &kept_token, "Alpha", "luno", 10_000.0).await;
    import(&app, &history(&gone, &gone_bot)).await;
    import(&app, &history(&kept, &kept_bot)).await;
    trade_a_little(&app, &fake, &gone_token, &gone_bot).await;
    trade_a_little(&app, &fake, &kept_token, &kept_bot).await;
    assert_reads_match_scan(&app, &gone_token, &gone, 11).await;
    assert_reads_match_scan(&app, &kept_token, &kept, 11).await;

    let resp = app
        .delete_auth(&format!("/api/admin/users/{gone}"), &admin)
        .await;
    assert_eq!(resp.status(), 200);
    let (rollup, trades) = rollup_and_recomputation(&app, &gone).await;
    assert!(rollup.is_empty() && trades.is_empty(), "{rollup:?}");
    assert_reads_match_scan(&app, &kept_token, &kept, 11).await;
}

/// A second server on the same MongoDB database (its boot runs `repair`).
async fn reboot(app: &TestApp) -> TestApp {
    let config = TestConfig {
        vars: app.config.vars.clone(),
        dir: tempfile::tempdir().unwrap(),
        mongo_db: None, // the first server's config drops the database
    };
    TestApp::spawn_with(config, Router::new()).await
}

/// The user's only trade document.
async fn only_trade(db: &mongodb::Database, user_id: &str) -> Document {
    let mut all: Vec<Document> = db
        .collection::<Document>("trades")
        .find(doc! {"user_id": user_id})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    all.remove(0)
}

#[tokio::test]
async fn repair_completes_interrupted_fills_once_mongo() {
    let Some(engine) = Engine::mongo() else {
        return;
    };
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "crash@example.com").await;
    let bot_id = create_bot(&app, &token, "Alpha", "luno", 10_000.0).await;
    let first = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(first["success"], true, "{first}");
    let db = mongo_db(&app).await.unwrap();
    let trades = db.collection::<Document>("trades");
    let days = db.collection::<Document>("trade_days");
    let t1 = only_trade(&db, &user_id).await;
    let t1_id = t1.get_str("_id").unwrap().to_string();
    assert_eq!(t1.get_str("stage").unwrap(), "done");
    assert_rollup_exact(&app, &user_id, 1).await;

    // Crash after "booked", before the rollup step: booked on the bot, missing from the rollup.
    trades
        .update_one(doc! {"_id": &t1_id}, doc! {"$set": {"stage": "booked"}})
        .await
        .unwrap();
    days.delete_many(doc! {"user_id": &user_id}).await.unwrap();
    let s = summary(&app, &token).await; // reads repair first
    assert_eq!(s["total_trades"], 1, "{s}");
    assert_rollup_exact(&app, &user_id, 1).await;
    assert_eq!(
        only_trade(&db, &user_id).await.get_str("stage").unwrap(),
        "done"
    );

    // Crash after the rollup step (every effect present, stage still "booked"): the re-run
    // books nothing twice.
    trades
        .update_one(doc! {"_id": &t1_id}, doc! {"$set": {"stage": "booked"}})
        .await
        .unwrap();
    assert_eq!(summary(&app, &token).await["total_trades"], 1);
    assert_rollup_exact(&app, &user_id, 1).await;
    let b = bot(&app, &token, &bot_id).await;
    assert_eq!(b["trades_count"], 1, "{b}");
    let fills = get_json(&app, &format!("/api/ledger/fills?bot_id={bot_id}"), &token).await;
    assert_eq!(fills["count"], 1);

    // Crash right after the write-ahead insert of a second fill: only its trade (pending,
    // carrying the final order) and the pending order exist.
    let filled: OrderRecord = serde_json::from_str(t1.get_str("order_json").unwrap()).unwrap();
    let t2_id = uuid::Uuid::new_v4().to_string();
    let mut second = filled.clone();
    second.id = uuid::Uuid::new_v4().to_string();
    second.idempotency_key = uuid::Uuid::new_v4().to_string();
    second.trade_id = Some(t2_id.clone());
    let mut pending = second.clone();
    pending.status = OrderStatus::Pending;
    pending.trade_id = None;
    pending.fill = None;
    app.state.store.orders.insert(&pending).await.unwrap();
    let mut t2 = t1.clone();
    t2.insert("_id", &t2_id);
    t2.insert("stage", "pending");
    t2.insert("order_id", &second.id);
    t2.insert("order_json", serde_json::to_string(&second).unwrap());
    trades.insert_one(t2).await.unwrap();
    assert_eq!(
        bot(&app, &token, &bot_id).await["trades_count"],
        1,
        "not booked yet"
    );

    // The next server completes it at boot, before any request reads trades.
    let rebooted = reboot(&app).await;
    let t2_now = trades
        .find_one(doc! {"_id": &t2_id})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t2_now.get_str("stage").unwrap(), "done");
    assert_eq!(bot(&app, &token, &bot_id).await["trades_count"], 2);
    let fills = get_json(&app, &format!("/api/ledger/fills?bot_id={bot_id}"), &token).await;
    assert_eq!(fills["count"], 2);
    let status = get_json(&app, &format!("/api/orders/{}/status", second.id), &token).await;
    assert_eq!(status["status"], "filled", "{status}");
    assert_rollup_exact(&app, &user_id, 2).await;
    let day = days
        .find_one(doc! {"user_id": &user_id})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(day.get_array("applied").unwrap().len(), 2);
    assert_eq!(summary(&rebooted, &token).await["total_trades"], 2);
    rebooted.stop().await;
}

#[tokio::test]
async fn repair_rolls_up_an_interrupted_import_once_mongo() {
    let Some(engine) = Engine::mongo() else {
        return;
    };
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "import@example.com").await;
    let bot_id = create_bot(&app, &token, "Alpha", "luno", 10_000.0).await;
    import(&app, &history(&user_id, &bot_id)).await;
    let db = mongo_db(&app).await.unwrap();
    let trades = db.collection::<Document>("trades");
    let days = db.collection::<Document>("trade_days");
    let mine = doc! {"user_id": &user_id};

    // Crash after the rollup, before the chunk is marked done: counted once, not twice.
    trades
        .update_many(mine.clone(), doc! {"$set": {"stage": "pending"}})
        .await
        .unwrap();
    assert_eq!(summary(&app, &token).await["total_trades"], 8);
    assert_rollup_exact(&app, &user_id, 8).await;

    // Crash right after the insert (no rollup yet): repair rolls the whole chunk up.
    trades
        .update_many(mine.clone(), doc! {"$set": {"stage": "pending"}})
        .await
        .unwrap();
    days.delete_many(mine.clone()).await.unwrap();
    assert_eq!(summary(&app, &token).await["total_trades"], 8);
    assert_rollup_exact(&app, &user_id, 8).await;
    assert_eq!(
        summary(&app, &token).await["total_trades"],
        8,
        "repeat: same"
    );

    // A chunk whose insert never completed stays invisible and out of the totals.
    trades
        .update_many(mine.clone(), doc! {"$set": {"stage": "pending"}})
        .await
        .unwrap();
    days.delete_many(mine.clone()).await.unwrap();
    trades.delete_one(mine.clone()).await.unwrap();
    let s = summary(&app, &token).await;
    assert_eq!(s["total_trades"], 0, "{s}");
    assert_eq!(
        get_json(&app, "/api/trades/recent", &token).await["trades"],
        json!([])
    );
    assert_rollup_exact(&app, &user_id, 0).await;
}

async fn a_retried_fill_is_counted_once(engine: Engine) {
    let (app, _fake) = spawn_trading(&engine).await;
    let (token, user_id) = user(&app, "retry@example.com").await;
    let bot_id = create_bot(&app, &token, "Alpha", "luno", 10_000.0).await;
    let mut body = small_buy(&bot_id);
    body["idempotency_key"] = json!("retry-me");
    let first = order(&app, &token, body.clone()).await;
    assert_eq!(first["success"], true, "{first}");
    // The client retries the request (same key): the stored outcome, not a second fill.
    let again = order(&app, &token, body).await;
    assert_eq!(again["order_id"], first["order_id"]);
    assert_reads_match_scan(&app, &token, &user_id, 1).await;

    // The store is asked to book the very same fill again (a retried write): it refuses, and
    // the trade stays counted once.
    let trade_id = first["fill"]["trade_id"].as_str().expect("trade id");
    let order_id = first["order_id"].as_str().expect("order id");
    let trade = app
        .state
        .store
        .trades
        .find(&user_id, trade_id)
        .await
        .unwrap();
    let filled = app
        .state
        .store
        .orders
        .find(&user_id, order_id)
        .await
        .unwrap();
    let write = amarktai::store::trades::FillWrite {
        trade: trade.expect("stored trade"),
        order: filled.expect("stored order"),
    };
    assert!(app.state.store.trades.record_fill(&write).await.is_err());
    assert_reads_match_scan(&app, &token, &user_id, 1).await;
    assert_eq!(bot(&app, &token, &bot_id).await["trades_count"], 1);

    // A second, different fill on the same day adds to the same day.
    let second = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(second["success"], true, "{second}");
    assert_reads_match_scan(&app, &token, &user_id, 2).await;
}

#[tokio::test]
async fn boot_rebuilds_a_dropped_or_miscounted_rollup_mongo() {
    let Some(engine) = Engine::mongo() else {
        return;
    };
    // Two rounds of fills lose their fees: keep the breaker out of this test.
    let (app, fake) =
        spawn_trading_with(&engine, |c| c.set("MAX_CONSECUTIVE_LOSSES", "1000")).await;
    let (token, user_id) = user(&app, "rebuild@example.com").await;
    let (other_token, other) = user(&app, "bystander@example.com").await;
    let bot_id = create_bot(&app, &token, "Alpha", "luno", 10_000.0).await;
    let other_bot = create_bot(&app, &other_token, "Alpha", "luno", 10_000.0).await;
    import(&app, &history(&user_id, &bot_id)).await;
    import(&app, &history(&other, &other_bot)).await;
    trade_a_little(&app, &fake, &token, &bot_id).await;
    assert_reads_match_scan(&app, &token, &user_id, 11).await;
    let db = mongo_db(&app).await.unwrap();
    let days = db.collection::<Document>("trade_days");
    let marks = db.collection::<Document>("schema_migrations");

    // The whole rollup dropped: the next boot rebuilds it from the trades.
    days.drop().await.unwrap();
    assert!(rollup_and_recomputation(&app, &user_id).await.0.is_empty());
    let rebooted = reboot(&app).await;
    assert_reads_match_scan(&rebooted, &token, &user_id, 11).await;
    assert_reads_match_scan(&rebooted, &other_token, &other, 8).await;
    rebooted.stop().await;

    // One day lost and another counted twice: counts disagree, so the boot rebuilds.
    let a_day = days
        .find_one(doc! {"user_id": &user_id})
        .await
        .unwrap()
        .unwrap();
    days.delete_one(doc! {"_id": a_day.get_str("_id").unwrap()})
        .await
        .unwrap();
    let rebooted = reboot(&app).await;
    assert_reads_match_scan(&rebooted, &token, &user_id, 11).await;
    rebooted.stop().await;
    days.update_one(
        doc! {"user_id": &other},
        doc! {"$inc": {"trades": 3, "profit": 1000.0}},
    )
    .await
    .unwrap();
    let rebooted = reboot(&app).await;
    assert_reads_match_scan(&rebooted, &other_token, &other, 8).await;
    assert_reads_match_scan(&rebooted, &token, &user_id, 11).await;
    rebooted.stop().await;

    // Sums edited with the counts intact are not detectable from counts: deleting the mark
    // (the documented operator step) rebuilds on the next boot.
    days.update_one(doc! {"user_id": &user_id}, doc! {"$inc": {"profit": 500.0}})
        .await
        .unwrap();
    marks.delete_one(doc! {"_id": "trade_days"}).await.unwrap();
    let rebooted = reboot(&app).await;
    assert_reads_match_scan(&rebooted, &token, &user_id, 11).await;
    assert!(marks
        .find_one(doc! {"_id": "trade_days"})
        .await
        .unwrap()
        .is_some());

    // The rebuilt rollup keeps counting later fills exactly once.
    trade_a_little(&app, &fake, &token, &bot_id).await;
    assert_reads_match_scan(&rebooted, &token, &user_id, 14).await;
    rebooted.stop().await;
}

on_both_engines!(
    the_rollup_equals_the_trades_after_fills_and_imports,
    a_retried_fill_is_counted_once,
    deleting_a_user_removes_their_rollup_only,
);
