//! A deterministic paper session (fixed prices from the local fake exchange) through the real
//! order pipeline, on both engines; every portfolio and analytics number is checked against
//! values computed by hand below.

mod common;
mod trading_support;

use std::time::Duration;

use amarktai::domain::orders::OrderRequest;
use amarktai::trading::orders::{submit_with, SubmitOptions};
use common::{Engine, TestApp};
use serde_json::{json, Value};
use trading_support::*;

// Every trade: 0.001 BTC on luno entered at a feed price of R1,000,000, so notional R1,000,
// fees 10 bps x R1,000 x 2 = R2.00, slippage 2 + 10 x 1,000 / 1,000,000 = 2.01 bps per leg
// (s = 0.000201).
//
// T1 buy, exit 1,010,000: 0.001 x (1,010,000 x (1 - s) - 1,000,000 x (1 + s)) - 2
//    = 0.001 x (1,009,796.99 - 1,000,201) - 2 = 7.59599; slippage 0.001 x (201 + 203.01) = 0.40401
// T2 buy, exit 990,000: 0.001 x (989,801.01 - 1,000,201) - 2 = -12.39999; slippage 0.39999
// T3 sell, exit 980,000: 0.001 x (1,000,000 x (1 - s) - 980,000 x (1 + s)) - 2
//    = 0.001 x (999,799 - 980,196.98) - 2 = 17.60202; slippage 0.001 x (201 + 196.98) = 0.39798
// T4 manual buy (no holding period, flat price): 0.001 x (999,799 - 1,000,201) - 2 = -2.402;
//    slippage 0.402
const T1: f64 = 7.595_99;
const T2: f64 = -12.399_99;
const T3: f64 = 17.602_02;
const T4: f64 = -2.402;
const NET: f64 = T1 + T2 + T3 + T4; // 10.39602
const GROSS_PROFIT: f64 = T1 + T3; // 25.19801
const GROSS_LOSS: f64 = -(T2 + T4); // 14.80199
const FEES: f64 = 8.0;
const SLIPPAGE: f64 = 0.404_01 + 0.399_99 + 0.397_98 + 0.402; // 1.60398
const CAPITAL: f64 = 10_000.0;

fn near(value: &Value, expected: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - expected).abs() < 1e-6)
}

macro_rules! assert_near {
    ($body:expr, $field:expr, $expected:expr) => {
        assert!(
            near(&$body[$field], $expected),
            "{} = {} but by hand {}: {}",
            $field,
            $body[$field],
            $expected,
            $body
        )
    };
}

/// An engine order (with a holding period): enters at 1,000,000, exits at `exit`.
async fn engine_order(
    app: &TestApp,
    fake: &FakeExchange,
    user_id: &str,
    bot_id: &str,
    side: &str,
    exit: f64,
) -> Value {
    fake.set("XBTZAR", &[1_000_000.0, exit]);
    let req: OrderRequest = serde_json::from_value(json!({
        "bot_id": bot_id, "symbol": "BTC/ZAR", "side": side, "amount": 0.001, "expected_edge_bps": 100.0
    }))
    .unwrap();
    let options = SubmitOptions {
        holding_period: Some(Duration::from_millis(5)),
        ..Default::default()
    };
    let record = submit_with(&app.state, user_id, &req, options)
        .await
        .unwrap();
    let body = record.response();
    assert_eq!(body["success"], true, "{body}");
    body["fill"].clone()
}

async fn a_fixed_price_session_matches_hand_computed_portfolio_numbers(engine: Engine) {
    let (app, fake) = spawn_trading(&engine).await;
    let reg = app.register("session@example.com").await;
    let token = reg["access_token"].as_str().unwrap().to_string();
    let user_id = reg["user"]["id"].as_str().unwrap().to_string();
    let bot_id = create_bot(&app, &token, "Session", "luno", CAPITAL).await;

    let fills = [
        engine_order(&app, &fake, &user_id, &bot_id, "buy", 1_010_000.0).await,
        engine_order(&app, &fake, &user_id, &bot_id, "buy", 990_000.0).await,
        engine_order(&app, &fake, &user_id, &bot_id, "sell", 980_000.0).await,
    ];
    fake.set("XBTZAR", &[1_000_000.0]);
    let manual = order(&app, &token, small_buy(&bot_id)).await;
    assert_eq!(manual["success"], true, "{manual}");
    for (fill, expected) in fills.iter().chain([&manual["fill"]]).zip([T1, T2, T3, T4]) {
        assert_near!(fill, "profit_loss", expected);
        assert_near!(fill, "fees", 2.0);
    }

    let summary = get_json(&app, "/api/portfolio/summary", &token).await;
    assert_near!(summary, "initial_capital", CAPITAL);
    assert_near!(summary, "equity", CAPITAL + NET);
    assert_near!(summary, "total_capital", CAPITAL + NET);
    assert_near!(summary, "realized_pnl", NET);
    assert_near!(summary, "unrealized_pnl", 0.0);
    assert_near!(summary, "net_pnl", NET);
    assert_near!(summary, "fees_total", FEES);
    assert_near!(summary, "win_rate", 50.0);
    assert_eq!(summary["total_trades"], 4, "{summary}");
    assert_eq!(
        (
            summary["active_bots"].as_u64(),
            summary["total_bots"].as_u64()
        ),
        (Some(1), Some(1))
    );
    // One day, ending above the start: no end-of-day drawdown.
    assert_near!(summary, "drawdown_current", 0.0);
    assert_near!(summary, "exposure", 100.0);

    let profits = get_json(&app, "/api/profits?period=daily&limit=7", &token).await;
    let series = profits["series"].as_array().unwrap();
    assert_eq!(series.len(), 7, "{profits}");
    let today = series.last().unwrap();
    assert_near!(today, "profit", NET);
    assert_near!(today, "fees", FEES);
    assert_eq!(today["trades"], 4, "{today}");
    for day in &series[..6] {
        assert_eq!(
            (day["profit"].as_f64(), day["trades"].as_u64()),
            (Some(0.0), Some(0))
        );
    }

    let stats = get_json(&app, "/api/trades/stats", &token).await;
    assert_eq!(stats["total_trades"], 4, "{stats}");
    assert_eq!(
        (
            stats["winning_trades"].as_u64(),
            stats["losing_trades"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_near!(stats, "win_rate", 50.0);
    assert_near!(stats, "total_profit", NET);
    assert_near!(stats, "gross_profit", GROSS_PROFIT);
    assert_near!(stats, "gross_loss", -GROSS_LOSS);
    assert_near!(stats, "total_fees", FEES);
    assert_near!(stats, "total_slippage", SLIPPAGE);
    assert_near!(stats, "best_trade", T3);
    assert_near!(stats, "worst_trade", T2);
    assert_near!(stats, "average_profit", NET / 4.0);
    assert_near!(stats, "profit_factor", GROSS_PROFIT / GROSS_LOSS);

    let win_rate = get_json(&app, "/api/analytics/win_rate?period=all", &token).await;
    assert_eq!(win_rate["total_trades"], 4, "{win_rate}");
    assert_eq!(
        (
            win_rate["wins"].as_u64(),
            win_rate["losses"].as_u64(),
            win_rate["breakeven"].as_u64()
        ),
        (Some(2), Some(2), Some(0))
    );
    assert_near!(win_rate, "win_rate", 50.0);
    assert_near!(win_rate, "gross_profit", GROSS_PROFIT);
    assert_near!(win_rate, "gross_loss", GROSS_LOSS);
    assert_near!(win_rate, "net_profit", NET);
    assert_near!(win_rate, "profit_factor", GROSS_PROFIT / GROSS_LOSS);
    assert_near!(win_rate, "best_trade", T3);
    assert_near!(win_rate, "worst_trade", T2);
    assert_near!(win_rate, "average_win", GROSS_PROFIT / 2.0);
    assert_near!(win_rate, "average_loss", GROSS_LOSS / 2.0);

    let bot = bot(&app, &token, &bot_id).await;
    assert_near!(bot, "current_capital", CAPITAL + NET);
    assert_eq!(
        (bot["win_count"].as_u64(), bot["loss_count"].as_u64()),
        (Some(2), Some(2))
    );
    let reconcile = get_json(&app, "/api/ledger/reconcile", &token).await;
    assert_eq!(reconcile["reconciled"], true, "{reconcile}");
}

on_both_engines!(a_fixed_price_session_matches_hand_computed_portfolio_numbers);
