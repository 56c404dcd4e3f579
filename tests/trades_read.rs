//! `/api/trades/recent`, `/api/trades` (keyset pagination) and `/api/trades/stats` over real
//! HTTP on both engines.

mod common;
mod portfolio_support;

use std::collections::HashSet;

use amarktai::domain::trade::Trade;
use common::{Engine, TestApp};
use portfolio_support::{
    ago, assert_invalid, json_of, new_bot, rfc, seed, spawn, trade, trader, Trader,
};
use serde_json::Value;

async fn get(app: &TestApp, me: &Trader, path: &str) -> Value {
    let resp = app.get_auth(path, &me.token).await;
    assert_eq!(resp.status(), 200, "{path}");
    json_of(resp).await
}

fn ids(body: &Value) -> Vec<String> {
    body["trades"]
        .as_array()
        .expect("trades")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_string())
        .collect()
}

/// `n` trades, three to a timestamp (ties are ordered by id), one minute apart per group,
/// the newest 30 minutes ago; returned newest first, as the API orders them.
fn history(me: &Trader, n: usize) -> Vec<Trade> {
    let mut trades: Vec<Trade> = (0..n)
        .map(|i| {
            let minutes_back = 30 + (i / 3) as i64;
            let t = ago(0, 11, 30) - chrono::Duration::minutes(minutes_back);
            trade(&me.user_id, &me.bot_id, t, i as f64 - 5.0, 0.1)
        })
        .collect();
    trades.sort_by(|a, b| (b.timestamp, &b.id).cmp(&(a.timestamp, &a.id)));
    trades
}

/// Walks every page of `path` (which must not carry a cursor yet); calls `between` after the
/// first page.
async fn walk(app: &TestApp, me: &Trader, path: &str, between: impl AsyncFnOnce()) -> Vec<String> {
    let mut seen = Vec::new();
    let mut page = get(app, me, path).await;
    let mut between = Some(between);
    loop {
        seen.extend(ids(&page));
        if let Some(f) = between.take() {
            f().await;
        }
        let Some(cursor) = page["next_cursor"].as_str().map(str::to_string) else {
            assert_eq!(page["has_more"], false);
            break;
        };
        assert_eq!(page["has_more"], true);
        page = get(app, me, &format!("{path}&cursor={cursor}")).await;
    }
    seen
}

async fn pages_walk_every_trade_once_even_while_new_trades_arrive(engine: Engine) {
    let app = spawn(&engine).await;
    let me = trader(&app, "pager@example.com").await;
    let trades = history(&me, 25);
    seed(&app, &trades).await;
    let expected: Vec<String> = trades.iter().map(|t| t.id.clone()).collect();

    let newer: Vec<Trade> = (0..5)
        .map(|i| trade(&me.user_id, &me.bot_id, ago(0, 11, 50 + i), 1.0, 0.1))
        .collect();
    let seen = walk(&app, &me, "/api/trades?limit=4", || async {
        seed(&app, &newer).await;
    })
    .await;
    assert_eq!(seen, expected, "newest first, no duplicates, no gaps");

    let again = walk(&app, &me, "/api/trades?limit=7", || async {}).await;
    assert_eq!(again.len(), 30);
    assert_eq!(again.iter().collect::<HashSet<_>>().len(), 30);
    assert_eq!(again[5..], expected[..], "the five new trades come first");
}

async fn filters_by_bot_and_time_window(engine: Engine) {
    let app = spawn(&engine).await;
    let me = trader(&app, "filters@example.com").await;
    let second_bot = new_bot(&app, &me.token, "Beta", "valr").await;
    seed(
        &app,
        &[
            trade(&me.user_id, &me.bot_id, ago(3, 10, 0), 1.0, 0.1),
            trade(&me.user_id, &second_bot, ago(2, 10, 0), 2.0, 0.1),
            trade(&me.user_id, &me.bot_id, ago(1, 10, 0), 3.0, 0.1),
        ],
    )
    .await;
    let only_first = get(&app, &me, &format!("/api/trades?bot_id={}", me.bot_id)).await;
    let results: Vec<f64> = only_first["trades"]
        .as_array()
        .expect("trades")
        .iter()
        .map(|t| t["profit_loss"].as_f64().expect("pnl"))
        .collect();
    assert_eq!(results, [3.0, 1.0]);
    // `since` inclusive, `until` exclusive.
    let since = rfc(ago(2, 10, 0));
    let until = rfc(ago(1, 10, 0));
    let window = get(
        &app,
        &me,
        &format!("/api/trades?since={since}&until={until}"),
    )
    .await;
    assert_eq!(
        (
            window["count"].as_u64(),
            window["trades"][0]["profit_loss"].as_f64()
        ),
        (Some(1), Some(2.0))
    );
    assert_eq!(window["trades"][0]["bot_id"], second_bot);
    let first = &get(&app, &me, "/api/trades?limit=1").await["trades"][0];
    for field in [
        "id",
        "user_id",
        "bot_id",
        "bot_name",
        "exchange",
        "symbol",
        "side",
        "entry_price",
        "exit_price",
        "amount",
        "fees",
        "slippage_cost",
        "profit_loss",
        "is_profitable",
        "trading_mode",
        "timestamp",
    ] {
        assert!(!first[field].is_null(), "trade field {field}");
    }
    assert_eq!(first["timestamp"], rfc(ago(1, 10, 0)));
}

async fn recent_is_newest_first_and_clamps_its_limit(engine: Engine) {
    let app = spawn(&engine).await;
    let me = trader(&app, "recent@example.com").await;
    let trades = history(&me, 6);
    seed(&app, &trades).await;
    let body = get(&app, &me, "/api/trades/recent?limit=2").await;
    assert_eq!(
        (body["count"].as_u64(), body["limit"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(ids(&body), [trades[0].id.clone(), trades[1].id.clone()]);
    assert_eq!(get(&app, &me, "/api/trades/recent").await["limit"], 50);
    assert_eq!(
        get(&app, &me, "/api/trades/recent?limit=0").await["limit"],
        1
    );
    let huge = get(&app, &me, "/api/trades/recent?limit=100000").await;
    assert_eq!(
        (huge["limit"].as_u64(), huge["count"].as_u64()),
        (Some(500), Some(6))
    );
    assert_eq!(get(&app, &me, "/api/trades?limit=9999").await["limit"], 500);
    assert_invalid(
        app.get_auth("/api/trades/recent?limit=lots", &me.token)
            .await,
        "limit",
    )
    .await;
}

async fn bad_cursors_and_times_are_refused_with_the_envelope(engine: Engine) {
    let app = spawn(&engine).await;
    let me = trader(&app, "cursor@example.com").await;
    for cursor in ["garbage", "MTIzfA", "bm90LWEtbnVtYmVyfGFiYw", "%27%3B--"] {
        let resp = app
            .get_auth(&format!("/api/trades?cursor={cursor}"), &me.token)
            .await;
        assert_eq!(resp.status(), 400, "{cursor}");
        let body = json_of(resp).await;
        assert_eq!(body["error"]["code"], "INVALID_CURSOR", "{cursor}");
        assert_eq!(body["detail"], "Invalid cursor");
    }
    assert_invalid(
        app.get_auth("/api/trades?since=yesterday", &me.token).await,
        "since",
    )
    .await;
    assert_invalid(
        app.get_auth("/api/trades?until=2026-13-01T00:00:00Z", &me.token)
            .await,
        "until",
    )
    .await;
    let backwards = format!(
        "/api/trades?since={}&until={}",
        rfc(ago(1, 0, 0)),
        rfc(ago(2, 0, 0))
    );
    assert_invalid(app.get_auth(&backwards, &me.token).await, "until").await;
}

async fn stats_add_up_the_callers_trades_only(engine: Engine) {
    let app = spawn(&engine).await;
    let me = trader(&app, "stats@example.com").await;
    let other = trader(&app, "stranger@example.com").await;
    seed(
        &app,
        &[
            trade(&me.user_id, &me.bot_id, ago(2, 9, 0), 30.0, 1.0),
            trade(&me.user_id, &me.bot_id, ago(1, 9, 0), -10.0, 1.0),
            trade(&me.user_id, &me.bot_id, ago(0, 9, 0), 20.0, 1.0),
            trade(&other.user_id, &other.bot_id, ago(0, 9, 0), -500.0, 5.0),
        ],
    )
    .await;
    let s = get(&app, &me, "/api/trades/stats").await;
    assert_eq!(
        (s["total_trades"].as_u64(), s["winning_trades"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(
        (s["total_profit"].as_f64(), s["total_fees"].as_f64()),
        (Some(40.0), Some(3.0))
    );
    assert_eq!(
        (s["best_trade"].as_f64(), s["worst_trade"].as_f64()),
        (Some(30.0), Some(-10.0))
    );
    assert_eq!(s["profit_factor"], 5.0);
    let theirs = get(&app, &other, "/api/trades/stats").await;
    assert_eq!(
        (
            theirs["total_trades"].as_u64(),
            theirs["total_profit"].as_f64()
        ),
        (Some(1), Some(-500.0))
    );
    assert_eq!(
        theirs["gross_profit"], 0.0,
        "only losses: still numbers, not an error"
    );
    // My bot id in someone else's query shows nothing of mine.
    let snooping = get(
        &app,
        &other,
        &format!("/api/trades/stats?bot_id={}", me.bot_id),
    )
    .await;
    assert_eq!(snooping["total_trades"], 0);
    let listed = get(&app, &other, &format!("/api/trades?bot_id={}", me.bot_id)).await;
    assert_eq!(listed["count"], 0);
    let recent = get(&app, &other, "/api/trades/recent").await;
    assert_eq!(recent["count"], 1);
    assert_eq!(recent["trades"][0]["user_id"], other.user_id);
}

on_both_engines!(
    pages_walk_every_trade_once_even_while_new_trades_arrive,
    filters_by_bot_and_time_window,
    recent_is_newest_first_and_clamps_its_limit,
    bad_cursors_and_times_are_refused_with_the_envelope,
    stats_add_up_the_callers_trades_only,
);
