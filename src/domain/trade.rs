//! A closed trade (SPEC §7 fields), built from a paper fill, and the query shapes over trades:
//! filters, the opaque keyset cursor, stats and per-day buckets.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::bot::{Bot, TradingMode};
use crate::domain::fill::PaperFill;
use crate::domain::ledger::{LedgerKind, NewLedgerEntry};
use crate::domain::orders::{quote_currency, Side};
use crate::domain::strategy::trader::ClosedTrade;

/// A closed round trip, as stored and returned by `/api/trades*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trade {
    pub id: String,
    pub user_id: String,
    pub bot_id: String,
    pub bot_name: String,
    pub exchange: String,
    pub symbol: String,
    pub side: Side,
    pub entry_price: f64,
    pub exit_price: f64,
    pub amount: f64,
    pub fees: f64,
    pub slippage_cost: f64,
    pub profit_loss: f64,
    pub is_profitable: bool,
    pub trading_mode: TradingMode,
    pub timestamp: DateTime<Utc>,
    /// The order that produced the trade.
    #[serde(default)]
    pub order_id: Option<String>,
}

impl Trade {
    /// The trade a paper fill of `bot` produced at `now` (cut to the millisecond, as stored).
    pub fn from_fill(
        bot: &Bot,
        symbol: &str,
        fill: &PaperFill,
        order_id: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            side: fill.side,
            entry_price: fill.entry_price,
            exit_price: fill.exit_price,
            amount: fill.amount,
            fees: fill.fees,
            slippage_cost: fill.slippage_cost,
            profit_loss: fill.profit_loss,
            is_profitable: fill.is_profitable,
            ..Self::of_bot(bot, symbol, order_id, now)
        }
    }

    /// The trade a strategy position of `bot` made when it closed (always a long: bought,
    /// then sold).
    pub fn from_closed(
        bot: &Bot,
        symbol: &str,
        closed: &ClosedTrade,
        order_id: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            side: Side::Buy,
            entry_price: closed.entry_price,
            exit_price: closed.exit_price,
            amount: closed.size,
            fees: closed.fees,
            slippage_cost: closed.slippage_cost,
            profit_loss: closed.pnl,
            is_profitable: closed.pnl > 0.0,
            ..Self::of_bot(bot, symbol, order_id, now)
        }
    }

    /// Who and when: the fields every trade of `bot` takes from it (money fields zero).
    fn of_bot(bot: &Bot, symbol: &str, order_id: &str, now: DateTime<Utc>) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: bot.user_id.clone(),
            bot_id: bot.id.clone(),
            bot_name: bot.name.clone(),
            exchange: bot.exchange.as_str().to_string(),
            symbol: symbol.to_string(),
            side: Side::Buy,
            entry_price: 0.0,
            exit_price: 0.0,
            amount: 0.0,
            fees: 0.0,
            slippage_cost: 0.0,
            profit_loss: 0.0,
            is_profitable: false,
            trading_mode: bot.trading_mode,
            timestamp: DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now),
            order_id: Some(order_id.to_string()),
        }
    }

    /// The UTC day (`YYYY-MM-DD`) the trade belongs to; stored so daily buckets group by a
    /// plain string key on every engine.
    pub fn day(&self) -> String {
        day_key(self.timestamp)
    }
}

/// The ledger entry that records a trade's result (`ref_id` = trade id). Derived from the
/// trade alone, so an interrupted fill can be completed from the stored trade.
pub fn fill_ledger_entry(trade: &Trade) -> NewLedgerEntry {
    NewLedgerEntry {
        user_id: trade.user_id.clone(),
        kind: LedgerKind::Fill,
        amount: trade.profit_loss,
        currency: quote_currency(&trade.symbol).unwrap_or("").to_string(),
        bot_id: Some(trade.bot_id.clone()),
        ref_id: trade.id.clone(),
        description: format!(
            "{} {} {} @ {} -> {} by {} (fees {}, slippage {})",
            trade.side.as_str(),
            trade.amount,
            trade.symbol,
            trade.entry_price,
            trade.exit_price,
            trade.bot_name,
            trade.fees,
            trade.slippage_cost
        ),
        timestamp: trade.timestamp,
    }
}

pub fn day_key(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// Filters of `GET /api/trades`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TradeQuery {
    pub bot_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u32,
    /// Continue after this (newest-first) position.
    pub after: Option<TradeCursor>,
}

/// Keyset position in newest-first order: the last trade of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeCursor {
    pub timestamp_ms: i64,
    pub id: String,
}

impl TradeCursor {
    pub fn of(trade: &Trade) -> Self {
        Self {
            timestamp_ms: trade.timestamp.timestamp_millis(),
            id: trade.id.clone(),
        }
    }

    /// Opaque text for clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.timestamp_ms, self.id))
    }

    /// `None` for anything `encode` did not produce.
    pub fn decode(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (ms, id) = text.split_once('|')?;
        let valid_id = !id.is_empty()
            && id.len() <= 64
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid_id {
            return None;
        }
        Some(Self {
            timestamp_ms: ms.parse().ok()?,
            id: id.to_string(),
        })
    }
}

/// `GET /api/trades/stats`, aggregated in the database.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TradeStats {
    pub total_trades: u64,
    pub winning_trades: u64,
    pub losing_trades: u64,
    /// Percent, 0..=100.
    pub win_rate: f64,
    pub total_profit: f64,
    pub gross_profit: f64,
    pub gross_loss: f64,
    pub total_fees: f64,
    pub total_slippage: f64,
    pub best_trade: f64,
    pub worst_trade: f64,
    pub average_profit: f64,
    pub total_volume: f64,
}

impl TradeStats {
    /// Fills the derived fields from the summed ones.
    pub fn finish(mut self) -> Self {
        let closed = self.winning_trades + self.losing_trades;
        self.win_rate = if closed == 0 {
            0.0
        } else {
            self.winning_trades as f64 * 100.0 / closed as f64
        };
        self.average_profit = if self.total_trades == 0 {
            0.0
        } else {
            self.total_profit / self.total_trades as f64
        };
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_encoding_and_junk_is_refused() {
        let c = TradeCursor {
            timestamp_ms: 1_767_225_600_123,
            id: "3f2a-77".into(),
        };
        assert_eq!(TradeCursor::decode(&c.encode()), Some(c));
        assert_eq!(TradeCursor::decode("not a cursor"), None);
        assert_eq!(TradeCursor::decode(&URL_SAFE_NO_PAD.encode("x|abc")), None);
        assert_eq!(TradeCursor::decode(&URL_SAFE_NO_PAD.encode("1|a'b")), None);
    }

    #[test]
    fn stats_derive_win_rate_and_average() {
        let s = TradeStats {
            total_trades: 4,
            winning_trades: 3,
            losing_trades: 1,
            total_profit: 10.0,
            ..Default::default()
        }
        .finish();
        assert_eq!((s.win_rate, s.average_profit), (75.0, 2.5));
    }
}
