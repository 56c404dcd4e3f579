//! Closed trades for the benchmarks, stored through the store API (`trade_stats.import`, the
//! same insert and triggers as real fills, so the SQLite `trade_days` rollup stays right).
//! Shared by `cargo bench --bench portfolio` and the HTTP load runner in `bench/src/` (both
//! include this file with `#[path]`), so the two measure the same data.

use amarktai::domain::bot::TradingMode;
use amarktai::domain::orders::Side;
use amarktai::domain::trade::Trade;
use amarktai::store::{Store, StoreResult};
use chrono::{DateTime, Utc};

/// Trades are spread evenly over this many days back from `now`.
pub const SPREAD_DAYS: i64 = 730;
/// Trades built and imported per batch (one transaction each; bounds memory at 1M).
const SEED_BATCH: usize = 50_000;

/// Trade `i` of `n` for `user_id` on `bot_id`: a deterministic mix of wins and losses.
pub fn bench_trade(user_id: &str, bot_id: &str, i: usize, n: usize, now: DateTime<Utc>) -> Trade {
    let back_ms = SPREAD_DAYS * 86_400_000 * (n - i) as i64 / n as i64;
    let pnl = ((i * 7919) % 201) as f64 - 95.0;
    Trade {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.to_string(),
        bot_id: bot_id.to_string(),
        bot_name: "Bench".into(),
        exchange: "luno".into(),
        symbol: "BTC/ZAR".into(),
        side: Side::Buy,
        entry_price: 1_000_000.0,
        exit_price: 1_000_000.0 + pnl,
        amount: 0.001,
        fees: 0.5,
        slippage_cost: 0.1,
        profit_loss: pnl,
        is_profitable: pnl > 0.0,
        trading_mode: TradingMode::Paper,
        timestamp: now - chrono::Duration::milliseconds(back_ms),
        order_id: None,
    }
}

/// Imports `n` closed trades for `user_id` on `bot_id` in batches; returns how many were stored.
pub async fn seed_trades(
    store: &Store,
    user_id: &str,
    bot_id: &str,
    n: usize,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut stored = 0;
    let mut i = 0;
    while i < n {
        let end = (i + SEED_BATCH).min(n);
        let batch: Vec<Trade> = (i..end)
            .map(|k| bench_trade(user_id, bot_id, k, n, now))
            .collect();
        stored += store.trade_stats.import(&batch).await?;
        i = end;
    }
    Ok(stored)
}
