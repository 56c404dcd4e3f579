//! Portfolio, trades, analytics, prices, orders, limits and the ledger (SPEC §7, §8).

use serde_json::Value;
use utoipa::ToSchema;

use super::bots::{Exchange, TradingMode};

#[derive(ToSchema)]
pub struct PortfolioSummary {
    pub equity: f64,
    pub total_capital: f64,
    pub initial_capital: f64,
    pub realized_pnl: f64,
    pub unrealized_pnl: f64,
    pub fees_total: f64,
    pub net_pnl: f64,
    pub drawdown_current: f64,
    pub drawdown_max: f64,
    pub win_rate: f64,
    pub total_trades: u64,
    pub active_bots: u32,
    pub total_bots: u32,
    pub exposure: f64,
    pub risk_level: String,
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct ProfitPoint {
    pub period_start: String,
    pub profit: f64,
    pub trades: u64,
    pub fees: f64,
}

#[derive(ToSchema)]
pub struct ProfitSeries {
    /// `daily`, `weekly` or `monthly` (UTC periods; empty ones are 0).
    pub period: String,
    pub limit: u32,
    pub series: Vec<ProfitPoint>,
}

#[derive(ToSchema)]
pub enum Side {
    buy,
    sell,
}

#[derive(ToSchema)]
pub struct Trade {
    pub id: String,
    pub user_id: String,
    pub bot_id: String,
    pub bot_name: String,
    pub exchange: Exchange,
    /// e.g. `BTC/ZAR`.
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
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct RecentTrades {
    /// Newest first.
    pub trades: Vec<Trade>,
    pub count: u32,
    pub limit: u32,
}

#[derive(ToSchema)]
pub struct TradePage {
    pub trades: Vec<Trade>,
    pub count: u32,
    pub limit: u32,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(ToSchema)]
pub struct TradeStats {
    pub total_trades: u64,
    pub wins: u64,
    pub losses: u64,
    pub win_rate: f64,
    pub total_profit: f64,
    pub fees_total: f64,
    pub best_trade: Option<f64>,
    pub worst_trade: Option<f64>,
}

#[derive(ToSchema)]
pub struct EquityPoint {
    pub timestamp: String,
    pub equity: f64,
}

#[derive(ToSchema)]
pub struct EquityCurve {
    pub range: String,
    pub equity_curve: Vec<EquityPoint>,
}

#[derive(ToSchema)]
pub struct Drawdown {
    pub range: String,
    pub max_drawdown: f64,
    pub current_drawdown: f64,
    /// `{timestamp, drawdown}` points.
    pub series: Option<Vec<Value>>,
}

#[derive(ToSchema)]
pub struct WinRate {
    pub period: String,
    pub wins: u64,
    pub losses: u64,
    pub win_rate: f64,
    pub profit_factor: Option<f64>,
    pub best_trade: Option<f64>,
    pub worst_trade: Option<f64>,
}

#[derive(ToSchema)]
pub struct Price {
    pub price: f64,
    pub change_24h: Option<f64>,
    pub source: String,
    pub timestamp: String,
}

/// `{"BTC/ZAR": {price, change_24h, source, timestamp}, ...}`.
#[derive(ToSchema)]
pub struct LivePrices(pub std::collections::BTreeMap<String, Price>);

#[derive(ToSchema)]
pub enum OrderType {
    market,
    limit,
}

#[derive(ToSchema)]
pub struct SubmitOrder {
    pub bot_id: String,
    pub symbol: String,
    pub side: Side,
    pub amount: f64,
    pub order_type: Option<OrderType>,
    pub price: Option<f64>,
    /// Same key -> the same stored result, never a second order.
    pub idempotency_key: Option<String>,
    /// Without it a manual order skips the fee-coverage gate (and the record says so).
    pub expected_edge_bps: Option<f64>,
}

#[derive(ToSchema)]
pub struct Fill {
    pub price: f64,
    pub amount: f64,
    pub fees: f64,
    pub slippage_cost: f64,
    pub price_source: Option<String>,
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct OrderResult {
    pub success: bool,
    pub order_id: String,
    pub idempotency_key: Option<String>,
    /// `idempotency`, `fee_coverage`, `limits`, `circuit_breaker` in order.
    pub gates_passed: Vec<String>,
    pub gate_failed: Option<String>,
    pub rejection_reason: Option<String>,
    pub fill: Option<Fill>,
}

#[derive(ToSchema)]
pub struct Order {
    pub id: String,
    pub bot_id: String,
    pub symbol: String,
    pub side: Side,
    pub amount: f64,
    pub order_type: OrderType,
    /// `pending`, `filled`, `rejected`, `failed`.
    pub status: String,
    pub gate_failed: Option<String>,
    pub rejection_reason: Option<String>,
    pub fill: Option<Fill>,
    pub created_at: String,
}

#[derive(ToSchema)]
pub struct PendingOrders {
    pub orders: Vec<Order>,
    pub count: u32,
}

#[derive(ToSchema)]
pub struct LimitsStatus {
    pub max_trades_per_bot_daily: u32,
    pub max_trades_per_user_daily: u32,
    pub trades_today: u32,
    /// Per bot `{bot_id, trades_today, remaining}`.
    pub bots: Vec<Value>,
    pub burst: Value,
}

#[derive(ToSchema)]
pub struct CircuitBreakerStatus {
    pub tripped: bool,
    pub reason: Option<String>,
    pub drawdown_percent: f64,
    pub daily_loss_percent: f64,
    pub consecutive_losses: u32,
    pub errors_last_hour: u32,
    /// The thresholds in force (`MAX_DRAWDOWN_PERCENT`, ...).
    pub limits: Value,
}

#[derive(ToSchema)]
pub struct CircuitBreakerReset {
    pub bot_id: Option<String>,
}

#[derive(ToSchema)]
pub struct LedgerEntry {
    pub id: String,
    pub seq: u64,
    /// `fill`, `fee`, `funding`, ...
    pub kind: String,
    pub bot_id: Option<String>,
    pub amount: f64,
    pub currency: String,
    pub description: Option<String>,
    pub timestamp: String,
    /// Hash of the previous entry (tamper evidence).
    pub prev_hash: String,
    pub hash: String,
}

#[derive(ToSchema)]
pub struct LedgerList {
    pub entries: Vec<LedgerEntry>,
    pub count: u32,
}

#[derive(ToSchema)]
pub struct Funding {
    /// Positive deposit or negative withdrawal; finite and non-zero.
    pub amount: f64,
    pub currency: Option<String>,
    pub description: Option<String>,
}

#[derive(ToSchema)]
pub struct Reconcile {
    pub ok: bool,
    pub ledger_balance: f64,
    pub bots_capital: f64,
    pub difference: f64,
    /// Per bot `{bot_id, ledger, capital, difference}`.
    pub bots: Vec<Value>,
}

#[derive(ToSchema)]
pub struct IntegrityReport {
    pub valid: bool,
    pub entries_checked: u64,
    /// The first entry whose hash chain breaks, if any.
    pub first_invalid: Option<String>,
}
