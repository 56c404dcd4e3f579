//! `GET /api/limits/status`: where each bot and the account stand against the daily and
//! burst limits of gate 3, counted from UTC midnight.

use serde_json::{json, Value};

use crate::domain::gates::{
    burst_window_start, next_utc_day_start, utc_day_start, BURST_MAX_ORDERS, BURST_WINDOW_SECONDS,
};
use crate::state::AppState;
use crate::store::trades::LimitScope;
use crate::store::StoreResult;

pub async fn status(state: &AppState, user_id: &str) -> StoreResult<Value> {
    let now = state.clock.now();
    let cfg = &state.config.trading;
    let day_start = utc_day_start(now);
    let mut user_today = 0;
    let mut bots = Vec::new();
    for bot in state.store.bots.list(user_id, None).await? {
        let counts = state
            .store
            .trades
            .limit_counts(&LimitScope {
                user_id,
                bot_id: &bot.id,
                exchange: bot.exchange.as_str(),
                day_start,
                burst_start: burst_window_start(now),
            })
            .await?;
        user_today = counts.user_trades_today;
        bots.push(json!({
            "bot_id": bot.id,
            "name": bot.name,
            "exchange": bot.exchange.as_str(),
            "status": bot.status,
            "trades_today": counts.bot_trades_today,
            "daily_limit": cfg.max_trades_per_bot_daily,
            "remaining_today": cfg.max_trades_per_bot_daily.saturating_sub(counts.bot_trades_today),
            "exchange_orders_in_burst_window": counts.exchange_orders_in_burst_window,
        }));
    }
    Ok(json!({
        "day_start": day_start,
        "resets_at": next_utc_day_start(now),
        "user": {
            "trades_today": user_today,
            "daily_limit": cfg.max_trades_per_user_daily,
            "remaining_today": cfg.max_trades_per_user_daily.saturating_sub(user_today),
        },
        "burst": {"max_orders": BURST_MAX_ORDERS, "window_seconds": BURST_WINDOW_SECONDS},
        "bots": bots,
        "timestamp": now,
    }))
}
