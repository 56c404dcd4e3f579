//! `/api/portfolio/summary`, `/api/profits` and `/api/analytics/*` over real HTTP on both
//! engines, against numbers computed by hand from seeded trades.

mod common;
mod portfolio_support;

use common::{Engine, TestApp};
use portfolio_support::{
    ago, assert_invalid, close, json_of, midnight, month_start, now, rfc, seed, spawn, trade,
    trader, Trader,
};
use serde_json::Value;

/// Seven trades of one bot (1000 starting capital); "now" is a Wednesday the 18th, 12:00 UTC
/// (`portfolio_support::now`), written below as if it were March 18.
///
/// | when (UTC)        | result | fees | end-of-day equity         |
/// |-------------------|-------:|-----:|---------------------------|
/// | Feb 20 10:00      |    +50 |    1 | 1050                      |
/// | Mar 02 (Mon) 09:00|   +100 |    2 |                           |
/// | Mar 02 15:00      |    -30 |    1 | 1120 (peak)               |
/// | Mar 10 11:00      |   -200 |    2 | 920 (17.857 % below peak) |
/// | Mar 17 08:00      |    +40 |    1 | 960                       |
/// | Mar 18 09:00      |      0 |  0.5 |                           |
/// | Mar 18 11:00      |    +60 |    1 | 1020 (8.929 % below peak) |
///
/// Net +20, fees 8.5, 4 wins, 2 losses, 1 break-even.
async fn seeded(engine: &Engine) -> (TestApp, Trader) {
    let app = spawn(engine).await;
    let me = trader(&app, "owner@example.com").await;
    let rows = [
        (ago(26, 10, 0), 50.0, 1.0),
        (ago(16, 9, 0), 100.0, 2.0),
        (ago(16, 15, 0), -30.0, 1.0),
        (ago(8, 11, 0), -200.0, 2.0),
        (ago(1, 8, 0), 40.0, 1.0),
        (ago(0, 9, 0), 0.0, 0.5),
        (ago(0, 11, 0), 60.0, 1.0),
    ];
    let trades: Vec<_> = rows
        .iter()
        .map(|(t, pnl, fees)| trade(&me.user_id, &me.bot_id, *t, *pnl, *fees))
        .collect();
    seed(&app, &trades).await;
    (app, me)
}

async fn get(app: &TestApp, me: &Trader, path: &str) -> Value {
    let resp = app.get_auth(path, &me.token).await;
    assert_eq!(resp.status(), 200, "{path}");
    json_of(resp).await
}

async fn summary_adds_up_the_trades(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let s = get(&app, &me, "/api/portfolio/summary").await;
    assert_eq!(s["initial_capital"], 1000.0);
    assert_eq!(s["equity"], 1020.0);
    assert_eq!(s["realized_pnl"], 20.0);
    assert_eq!(s["unrealized_pnl"], 0.0);
    assert_eq!(s["net_pnl"], 20.0);
    assert_eq!(s["fees_total"], 8.5);
    assert_eq!(s["total_trades"], 7);
    assert!(close(&s["win_rate"], 400.0 / 7.0), "{s}");
    // 1120 -> 920 is the worst fall of end-of-day equity; 1020 is still below 1120.
    assert!(close(&s["drawdown_max"], 200.0 * 100.0 / 1120.0), "{s}");
    assert!(close(&s["drawdown_current"], 100.0 * 100.0 / 1120.0), "{s}");
    assert_eq!(s["risk_level"], "medium");
    assert_eq!(
        (s["active_bots"].as_u64(), s["total_bots"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(s["exposure"], 100.0);
    assert_eq!(
        s["total_capital"], 1020.0,
        "the bot's capital after its trades"
    );
    assert_eq!(s["timestamp"], rfc(now()));
}

fn series(body: &Value) -> Vec<(String, f64, u64, f64)> {
    body["series"]
        .as_array()
        .expect("series")
        .iter()
        .map(|p| {
            (
                p["period_start"].as_str().expect("start").to_string(),
                p["profit"].as_f64().expect("profit"),
                p["trades"].as_u64().expect("trades"),
                p["fees"].as_f64().expect("fees"),
            )
        })
        .collect()
}

fn row(start: &str, profit: f64, trades: u64, fees: f64) -> (String, f64, u64, f64) {
    (start.to_string(), profit, trades, fees)
}

async fn profits_per_day_week_and_month_fill_empty_periods(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let daily = get(&app, &me, "/api/profits?period=daily&limit=3").await;
    assert_eq!(
        (daily["period"].as_str(), daily["limit"].as_u64()),
        (Some("daily"), Some(3))
    );
    assert_eq!(
        series(&daily),
        [
            row(&midnight(2), 0.0, 0, 0.0),
            row(&midnight(1), 40.0, 1, 1.0),
            row(&midnight(0), 60.0, 2, 1.5),
        ]
    );
    let weekly = get(&app, &me, "/api/profits?period=weekly&limit=4").await;
    assert_eq!(
        series(&weekly),
        [
            row(&midnight(23), 0.0, 0, 0.0),
            row(&midnight(16), 70.0, 2, 3.0),
            row(&midnight(9), -200.0, 1, 2.0),
            row(&midnight(2), 100.0, 3, 2.5),
        ]
    );
    let monthly = get(&app, &me, "/api/profits?period=MONTHLY&limit=2").await;
    assert_eq!(
        series(&monthly),
        [
            row(&month_start(1), 50.0, 1, 1.0),
            row(&month_start(0), -30.0, 6, 7.5),
        ]
    );
    let default = get(&app, &me, "/api/profits").await;
    assert_eq!(
        (default["period"].as_str(), default["limit"].as_u64()),
        (Some("daily"), Some(30))
    );
    assert_eq!(series(&default).len(), 30);
    assert_eq!(
        series(&default).iter().map(|r| r.2).sum::<u64>(),
        7,
        "26 days ago is inside 30 days"
    );
}

async fn equity_curve_per_trade_in_the_range(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let week = get(&app, &me, "/api/analytics/equity?range=7d").await;
    // Since Mar 11 12:00: +40, 0, +60 on top of 920.
    assert_eq!(week["starting_equity"], 920.0);
    assert_eq!(week["current_equity"], 1020.0);
    let equities: Vec<f64> = week["equity_curve"]
        .as_array()
        .expect("curve")
        .iter()
        .map(|p| p["equity"].as_f64().expect("equity"))
        .collect();
    assert_eq!(equities, [960.0, 960.0, 1020.0]);
    assert_eq!(week["equity_curve"][0]["timestamp"], rfc(ago(1, 8, 0)));
    assert_eq!(week["truncated"], false);
    let all = get(&app, &me, "/api/analytics/equity?range=all").await;
    assert_eq!(all["starting_equity"], 1000.0);
    assert_eq!(all["points"], 7);
    assert_eq!(all["equity_curve"][0]["equity"], 1050.0);
    let day = get(&app, &me, "/api/analytics/equity?range=1d").await;
    assert_eq!(
        (day["starting_equity"].as_f64(), day["points"].as_u64()),
        (Some(960.0), Some(2))
    );
}

async fn the_equity_curve_keeps_the_newest_points(engine: Engine) {
    let app = spawn(&engine).await;
    let me = trader(&app, "busy@example.com").await;
    // 1003 trades of +1, +2, +3, +1, ... one minute apart, the newest an hour ago.
    let trades: Vec<_> = (0..1003)
        .map(|i| {
            let t = ago(0, 11, 0) - chrono::Duration::minutes(1003 - i);
            trade(
                &me.user_id,
                &me.bot_id,
                t,
                f64::from((i % 3) as u8 + 1),
                0.0,
            )
        })
        .collect();
    seed(&app, &trades).await;
    let body = get(&app, &me, "/api/analytics/equity?range=all").await;
    assert_eq!(
        (body["points"].as_u64(), body["truncated"].as_bool()),
        (Some(1000), Some(true))
    );
    // The three oldest (+1, +2, +3) are cut: the curve starts from 1006.
    assert_eq!(body["starting_equity"], 1006.0);
    assert_eq!(body["equity_curve"][0]["equity"], 1007.0);
    let total: f64 = trades.iter().map(|t| t.profit_loss).sum();
    assert_eq!(body["current_equity"], 1000.0 + total);
    assert_eq!(body["equity_curve"][999]["equity"], 1000.0 + total);
}

async fn drawdown_on_end_of_day_equity(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let all = get(&app, &me, "/api/analytics/drawdown?range=all").await;
    assert!(close(&all["max_drawdown"], 200.0 * 100.0 / 1120.0), "{all}");
    assert!(
        close(&all["current_drawdown"], 100.0 * 100.0 / 1120.0),
        "{all}"
    );
    assert_eq!(
        (all["peak_equity"].as_f64(), all["current_equity"].as_f64()),
        (Some(1120.0), Some(1020.0))
    );
    assert_eq!(all["resolution"], "daily");
    let curve = all["drawdown_curve"].as_array().expect("curve");
    let equities: Vec<f64> = curve
        .iter()
        .map(|p| p["equity"].as_f64().expect("equity"))
        .collect();
    assert_eq!(equities, [1050.0, 1120.0, 920.0, 960.0, 1020.0]);
    assert_eq!(curve[1]["timestamp"], midnight(16));
    // The last 7 days only rise from 920: no drawdown inside the window.
    let week = get(&app, &me, "/api/analytics/drawdown?range=7d").await;
    assert_eq!(
        (
            week["max_drawdown"].as_f64(),
            week["current_drawdown"].as_f64()
        ),
        (Some(0.0), Some(0.0))
    );
    assert_eq!(
        (
            week["starting_equity"].as_f64(),
            week["peak_equity"].as_f64()
        ),
        (Some(920.0), Some(1020.0))
    );
    assert_eq!(week["since"], midnight(7));
}

async fn win_rate_per_period(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let all = get(&app, &me, "/api/analytics/win_rate?period=all").await;
    assert_eq!(
        (
            all["wins"].as_u64(),
            all["losses"].as_u64(),
            all["breakeven"].as_u64()
        ),
        (Some(4), Some(2), Some(1))
    );
    assert!(close(&all["win_rate"], 400.0 / 7.0));
    assert_eq!(
        (all["gross_profit"].as_f64(), all["gross_loss"].as_f64()),
        (Some(250.0), Some(230.0))
    );
    assert!(close(&all["profit_factor"], 250.0 / 230.0));
    assert_eq!(
        (all["best_trade"].as_f64(), all["worst_trade"].as_f64()),
        (Some(100.0), Some(-200.0))
    );
    assert_eq!(
        (all["average_win"].as_f64(), all["average_loss"].as_f64()),
        (Some(62.5), Some(115.0))
    );
    let today = get(&app, &me, "/api/analytics/win_rate?period=today").await;
    assert_eq!(
        (today["total_trades"].as_u64(), today["win_rate"].as_f64()),
        (Some(2), Some(50.0))
    );
    assert_eq!(today["profit_factor"], Value::Null, "no losses: unbounded");
    assert_eq!(today["period"], "today");
    let week = get(&app, &me, "/api/analytics/win_rate?period=7d").await;
    assert_eq!(
        (week["total_trades"].as_u64(), week["net_profit"].as_f64()),
        (Some(3), Some(100.0))
    );
    // A window starting mid-day keeps only that day's later trades (store level: the SQLite
    // engine splits the first day from the daily rollup).
    let stats = &app.state.store.trade_stats;
    let from_noon_16_days_ago = stats
        .totals(&me.user_id, Some(ago(16, 12, 0)))
        .await
        .expect("totals");
    assert_eq!(
        (
            from_noon_16_days_ago.results.total,
            from_noon_16_days_ago.profit
        ),
        (5, -130.0)
    );
    assert_eq!(from_noon_16_days_ago.results.best, Some(60.0));
    assert_eq!(from_noon_16_days_ago.results.worst, Some(-200.0));
    let from_ten_today = stats
        .totals(&me.user_id, Some(ago(0, 10, 0)))
        .await
        .expect("totals");
    assert_eq!(
        (from_ten_today.results.total, from_ten_today.fees),
        (1, 1.0)
    );
    let default = get(&app, &me, "/api/analytics/win_rate").await;
    assert_eq!(
        (default["period"].as_str(), default["total_trades"].as_u64()),
        (Some("all"), Some(7))
    );
}

async fn a_new_user_sees_zeros_not_errors(engine: Engine) {
    let app = spawn(&engine).await;
    let token = app.token_for("fresh@example.com").await;
    let s = json_of(app.get_auth("/api/portfolio/summary", &token).await).await;
    assert_eq!(
        (s["equity"].as_f64(), s["total_trades"].as_u64()),
        (Some(0.0), Some(0))
    );
    assert_eq!(
        (s["drawdown_max"].as_f64(), s["risk_level"].as_str()),
        (Some(0.0), Some("low"))
    );
    let w = json_of(app.get_auth("/api/analytics/win_rate", &token).await).await;
    assert_eq!(
        (w["win_rate"].as_f64(), w["best_trade"].clone()),
        (Some(0.0), Value::Null)
    );
    let e = json_of(app.get_auth("/api/analytics/equity", &token).await).await;
    assert_eq!(e["equity_curve"].as_array().map(Vec::len), Some(0));
}

async fn another_users_trades_never_count(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    let other = trader(&app, "other@example.com").await;
    seed(
        &app,
        &[trade(
            &other.user_id,
            &other.bot_id,
            ago(0, 10, 0),
            999.0,
            9.0,
        )],
    )
    .await;
    let mine = get(&app, &me, "/api/portfolio/summary").await;
    assert_eq!(
        (mine["realized_pnl"].as_f64(), mine["total_trades"].as_u64()),
        (Some(20.0), Some(7))
    );
    let theirs = get(&app, &other, "/api/portfolio/summary").await;
    assert_eq!(
        (
            theirs["realized_pnl"].as_f64(),
            theirs["total_trades"].as_u64()
        ),
        (Some(999.0), Some(1))
    );
    assert_eq!(theirs["drawdown_max"], 0.0);
    let their_days = get(&app, &other, "/api/profits?period=monthly&limit=1").await;
    assert_eq!(series(&their_days), [row(&month_start(0), 999.0, 1, 9.0)]);
    let their_rate = get(&app, &other, "/api/analytics/win_rate?period=today").await;
    assert_eq!(their_rate["total_trades"], 1);
    let their_curve = get(&app, &other, "/api/analytics/equity?range=all").await;
    assert_eq!(their_curve["points"], 1);
    // Deleting their trades (account deletion) clears their aggregates, not mine.
    let deleted = app
        .state
        .store
        .trades
        .delete_for_user(&other.user_id)
        .await
        .expect("delete");
    assert_eq!(deleted, 1);
    let emptied = get(&app, &other, "/api/portfolio/summary").await;
    assert_eq!(
        (
            emptied["realized_pnl"].as_f64(),
            emptied["total_trades"].as_u64()
        ),
        (Some(0.0), Some(0))
    );
    let emptied_days = get(&app, &other, "/api/profits?period=monthly&limit=1").await;
    assert_eq!(series(&emptied_days), [row(&month_start(0), 0.0, 0, 0.0)]);
    let still_mine = get(&app, &me, "/api/portfolio/summary").await;
    assert_eq!(still_mine["total_trades"], 7);
}

async fn bad_parameters_are_422_and_limits_are_clamped(engine: Engine) {
    let (app, me) = seeded(&engine).await;
    for (path, field) in [
        ("/api/profits?period=hourly", "period"),
        ("/api/profits?limit=ten", "limit"),
        ("/api/profits?limit=1.5", "limit"),
        ("/api/analytics/equity?range=2d", "range"),
        ("/api/analytics/drawdown?range=forever", "range"),
        ("/api/analytics/win_rate?period=yesterday", "period"),
    ] {
        assert_invalid(app.get_auth(path, &me.token).await, field).await;
    }
    let low = get(&app, &me, "/api/profits?limit=0").await;
    assert_eq!((low["limit"].as_u64(), series(&low).len()), (Some(1), 1));
    let negative = get(&app, &me, "/api/profits?limit=-5").await;
    assert_eq!(negative["limit"], 1);
    let high = get(&app, &me, "/api/profits?period=weekly&limit=99999999999").await;
    assert_eq!(
        (high["limit"].as_u64(), series(&high).len()),
        (Some(366), 366)
    );
}

async fn every_route_needs_a_token(engine: Engine) {
    let app = spawn(&engine).await;
    for path in [
        "/api/portfolio/summary",
        "/api/profits",
        "/api/analytics/equity",
        "/api/analytics/drawdown",
        "/api/analytics/win_rate",
        "/api/trades",
        "/api/trades/recent",
        "/api/trades/stats",
    ] {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 401, "{path}");
        assert_eq!(
            json_of(resp).await["error"]["code"],
            "UNAUTHORIZED",
            "{path}"
        );
        let forged = app.get_auth(path, "not-a-token").await;
        assert_eq!(forged.status(), 401, "{path}");
    }
}

on_both_engines!(
    summary_adds_up_the_trades,
    profits_per_day_week_and_month_fill_empty_periods,
    equity_curve_per_trade_in_the_range,
    the_equity_curve_keeps_the_newest_points,
    drawdown_on_end_of_day_equity,
    win_rate_per_period,
    a_new_user_sees_zeros_not_errors,
    another_users_trades_never_count,
    bad_parameters_are_422_and_limits_are_clamped,
    every_route_needs_a_token,
);
