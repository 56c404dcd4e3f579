//! Paper execution: prices a gated order at the live feed and books the round trip.
//!
//! The entry is the feed price when the order passes the gates. With a holding period (engine
//! orders) the exit is the feed price read again once it is over, so the result follows the
//! real price move. A manual order has no holding period: it enters and exits at the same
//! quote, so a manual round trip costs exactly fees and slippage.

use std::time::Duration;

use crate::domain::bot::{Bot, TradingMode};
use crate::domain::fees::ExchangeFees;
use crate::domain::fill::{simulate_round_trip, SlippageModel};
use crate::domain::order_record::{OrderRecord, OrderStatus, STAGE_EXECUTION};
use crate::domain::orders::{quote_currency, OrderType, Side, ValidOrder};
use crate::domain::price::PriceSource;
use crate::domain::trade::Trade;
use crate::error::AppResult;
use crate::state::AppState;
use crate::store::trades::FillWrite;
use crate::trading::orders::StrategyFill;

/// Fills `record` on paper; `None` (with `record` rejected) when it cannot be filled.
pub async fn fill(
    state: &AppState,
    bot: &Bot,
    order: &ValidOrder,
    record: &mut OrderRecord,
    fees: ExchangeFees,
    holding_period: Option<Duration>,
) -> AppResult<Option<FillWrite>> {
    let exchange = bot.exchange.as_str();
    let prices = state.prices.as_ref();
    let entry = match prices.price(exchange, order.symbol).await {
        Ok(entry) => entry,
        Err(e) => return refuse(record, &format!("no live price, order not filled: {e}")),
    };
    if order.order_type == OrderType::Limit {
        let limit = order.price.unwrap_or(0.0);
        let reached = match order.side {
            Side::Buy => entry.price <= limit,
            Side::Sell => entry.price >= limit,
        };
        if !reached {
            return refuse(
                record,
                &format!("limit price {limit} not reached (market {})", entry.price),
            );
        }
    }
    let notional = order.amount * entry.price;
    if notional > bot.current_capital {
        let capital = bot.current_capital;
        return refuse(
            record,
            &format!("order notional {notional:.2} exceeds the bot's capital {capital:.2}"),
        );
    }
    let exit = match holding_period {
        None => entry.clone(),
        Some(hold) => {
            tokio::select! {
                _ = state.shutdown.cancelled() => {
                    return refuse(record, "server shut down during the holding period; not filled");
                }
                _ = tokio::time::sleep(hold) => {}
            }
            match prices.price(exchange, order.symbol).await {
                Ok(exit) => exit,
                Err(e) => {
                    return refuse(
                        record,
                        &format!("no live exit price, order not filled: {e}"),
                    )
                }
            }
        }
    };
    let slippage = SlippageModel::for_quote(quote_currency(order.symbol).unwrap_or(""));
    let fill = match simulate_round_trip(
        order.side,
        order.amount,
        entry.price,
        exit.price,
        &fees,
        &slippage,
    ) {
        Ok(fill) => fill,
        Err(e) => return refuse(record, &format!("cannot fill: {e}")),
    };
    let now = state.clock.now();
    let mut trade = Trade::from_fill(bot, order.symbol, &fill, &record.id, now);
    trade.trading_mode = TradingMode::Paper;
    let mut details = serde_json::to_value(fill).unwrap_or_default();
    if let Some(obj) = details.as_object_mut() {
        obj.insert("trade_id".into(), trade.id.clone().into());
        obj.insert("mode".into(), "paper".into());
        obj.insert("price_source".into(), entry.source.clone().into());
        obj.insert("exit_price_source".into(), exit.source.clone().into());
        obj.insert("entry_feed_price".into(), entry.price.into());
        obj.insert("exit_feed_price".into(), exit.price.into());
        obj.insert(
            "price_timestamp".into(),
            entry.timestamp.to_rfc3339().into(),
        );
    }
    record.status = OrderStatus::Filled;
    record.fill = Some(details);
    record.trade_id = Some(trade.id.clone());
    record.updated_at = now;
    Ok(Some(FillWrite {
        trade,
        order: record.clone(),
    }))
}

/// Fills a strategy order at the price the strategy's execution model gave (the next candle's
/// open or a stop/target level, slippage included). An entry only marks the order filled (the
/// caller stores the position on the bot); an exit books the round trip as a trade.
pub fn fill_strategy(
    state: &AppState,
    bot: &Bot,
    order: &ValidOrder,
    record: &mut OrderRecord,
    fill: StrategyFill,
) -> Option<FillWrite> {
    let now = state.clock.now();
    record.status = OrderStatus::Filled;
    record.updated_at = now;
    match fill {
        StrategyFill::Entry(p) => {
            record.fill = Some(serde_json::json!({
                "mode": "paper", "kind": "entry", "side": "buy", "price": p.entry_price,
                "amount": p.size, "fees": p.entry_fee, "slippage_cost": p.entry_slippage,
                "candle_time": p.entry_time, "price_source": "candle",
            }));
            None
        }
        StrategyFill::Exit(t) => {
            let mut trade = Trade::from_closed(bot, order.symbol, &t, &record.id, now);
            trade.trading_mode = TradingMode::Paper;
            record.fill = Some(serde_json::json!({
                "mode": "paper", "kind": "exit", "side": "sell", "trade_id": trade.id,
                "entry_price": t.entry_price, "exit_price": t.exit_price, "amount": t.size,
                "fees": t.fees, "slippage_cost": t.slippage_cost, "profit_loss": t.pnl,
                "entry_time": t.entry_time, "exit_time": t.exit_time,
                "exit_reason": t.exit_reason.as_str(), "price_source": "candle",
            }));
            record.trade_id = Some(trade.id.clone());
            Some(FillWrite {
                trade,
                order: record.clone(),
            })
        }
    }
}

fn refuse(record: &mut OrderRecord, reason: &str) -> AppResult<Option<FillWrite>> {
    record.reject(STAGE_EXECUTION, reason);
    Ok(None)
}
