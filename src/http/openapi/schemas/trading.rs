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
    /// Newest first; `since` inclusive, `until` exclusive.
    pub trades: Vec<Trade>,
    pub count: u32,
    pub limit: u32,
    pub has_more: bool,
    /// Opaque; pass as `cursor` for the next page (null on the last page).
    pub next_cursor: Option<String>,
}

#[derive(ToSchema)]
pub struct TradeStats {
    pub bot_id: Option<String>,
    pub total_trades: u64,
    pub winning_trades: u64,
    pub losing_trades: u64,
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
    pub profit_factor: Option<f64>,
}

#[derive(ToSchema)]
pub struct EquityPoint {
    pub timestamp: String,
    pub equity: f64,
}

#[derive(ToSchema)]
pub struct EquityCurve {
    pub range: String,
    pub starting_equity: f64,
    pub current_equity: f64,
    pub equity_curve: Vec<EquityPoint>,
    pub points: u32,
    /// True when the curve was thinned to its size limit.
    pub truncated: bool,
}

#[derive(ToSchema)]
pub struct Drawdown {
    pub range: String,
    /// `daily` (end-of-day equity).
    pub resolution: String,
    pub since: String,
    /// Percent.
    pub max_drawdown: f64,
    pub current_drawdown: f64,
    pub peak_equity: f64,
    pub current_equity: f64,
    pub starting_equity: f64,
    /// `{timestamp, drawdown}` points.
    pub drawdown_curve: Vec<Value>,
}

#[derive(ToSchema)]
pub struct WinRate {
    pub period: String,
    pub total_trades: u64,
    pub wins: u64,
    pub losses: u64,
    pub breakeven: u64,
    pub win_rate: f64,
    pub profit_factor: Option<f64>,
    pub gross_profit: f64,
    pub gross_loss: f64,
    pub net_profit: f64,
    pub best_trade: Option<f64>,
    pub worst_trade: Option<f64>,
    pub average_win: f64,
    pub average_loss: f64,
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
pub enum OrderStatus {
    pending,
    filled,
    rejected,
}

/// The answer to a submission (also replayed for a repeated `idempotency_key`).
#[derive(ToSchema)]
pub struct OrderResult {
    /// True only when the order filled.
    pub success: bool,
    pub order_id: String,
    pub idempotency_key: String,
    pub status: OrderStatus,
    /// Gates passed in order: `idempotency`, `fee_coverage`, `limits`, `circuit_breaker`.
    pub gates_passed: Vec<String>,
    /// The gate (or stage: `bot_state`, `execution`) that rejected the order.
    pub gate_failed: Option<String>,
    pub rejection_reason: Option<String>,
    /// A manual order without `expected_edge_bps` skips the fee gate and says so here.
    pub fee_gate_skipped: bool,
    /// `{price, amount, fees, slippage_cost, price_source, ...}` when filled.
    pub fill: Option<Value>,
    pub trade_id: Option<String>,
}

/// A stored order record.
#[derive(ToSchema)]
pub struct Order {
    pub id: String,
    /// Same as `id`.
    pub order_id: String,
    pub user_id: String,
    pub bot_id: String,
    pub exchange: String,
    pub symbol: String,
    pub side: Side,
    pub amount: f64,
    pub order_type: OrderType,
    pub price: Option<f64>,
    pub idempotency_key: String,
    pub expected_edge_bps: Option<f64>,
    pub status: OrderStatus,
    pub gates_passed: Vec<String>,
    pub gate_failed: Option<String>,
    pub rejection_reason: Option<String>,
    pub fee_gate_skipped: bool,
    pub fill: Option<Value>,
    pub trade_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// `GET /api/orders/{id}/status`: the stored record, and for a live order its tracking and
/// the exchange's current view.
#[derive(ToSchema)]
pub struct OrderStatusView {
    #[schema(inline)]
    pub order: Order,
    /// Present for live orders: state, every fill, client and exchange order ids.
    pub live_order: Option<crate::domain::live_order::LiveOrder>,
    /// Present for live orders: what the exchange says now.
    pub exchange: Option<ExchangeView>,
}

/// The exchange's answer for a live order, or why it could not be read.
#[derive(ToSchema)]
pub struct ExchangeView {
    /// `open`, `partially_filled`, `filled`, `cancelled`, `rejected`, `expired`.
    pub state: Option<String>,
    pub exchange_order_id: Option<String>,
    pub filled_amount: Option<f64>,
    pub fills: Option<Vec<Value>>,
    pub error: Option<String>,
}

#[derive(ToSchema)]
pub struct PendingOrders {
    pub orders: Vec<Order>,
    pub count: u32,
}

#[derive(ToSchema)]
pub struct DailyCount {
    pub trades_today: u32,
    pub daily_limit: u32,
    pub remaining_today: u32,
}

#[derive(ToSchema)]
pub struct LimitsStatus {
    /// UTC midnight that started the current day.
    pub day_start: String,
    pub resets_at: String,
    pub user: DailyCount,
    /// `{max_orders, window_seconds}` per exchange.
    pub burst: Value,
    /// Per bot: `{bot_id, name, exchange, status, trades_today, daily_limit, remaining_today,
    /// exchange_orders_in_burst_window}`.
    pub bots: Vec<Value>,
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct BotBreakerStatus {
    pub bot_id: String,
    pub name: String,
    pub status: String,
    pub tripped: bool,
    pub reason: Option<String>,
    /// What the breaker would decide for the next order.
    pub would_trip: bool,
    pub drawdown_percent: f64,
    pub daily_loss_percent: f64,
    pub consecutive_losses: u32,
    pub errors_last_hour: u32,
    pub reset_at: Option<String>,
}

#[derive(ToSchema)]
pub struct CircuitBreakerStatus {
    pub tripped: bool,
    pub tripped_count: u32,
    pub bots: Vec<BotBreakerStatus>,
    /// `{max_drawdown_percent, max_daily_loss_percent, max_consecutive_losses, max_errors_per_hour}`.
    pub limits: Value,
}

/// `{bot_id}` resets one bot; no body resets every bot the breaker paused.
#[derive(ToSchema)]
pub struct CircuitBreakerReset {
    pub bot_id: Option<String>,
}

#[derive(ToSchema)]
pub struct CircuitBreakerResetDone {
    pub success: bool,
    pub reset_count: u32,
    pub bot_ids: Vec<String>,
    pub message: String,
}

#[derive(ToSchema)]
pub enum LedgerKind {
    fill,
    funding,
    fee,
    adjustment,
    transfer,
}

/// One append-only entry; `hash` covers the entry and `prev_hash` (tamper evidence).
#[derive(ToSchema)]
pub struct LedgerEntry {
    /// 1 for a user's first entry, then +1 each time.
    pub seq: u64,
    pub user_id: String,
    pub kind: LedgerKind,
    pub amount: f64,
    pub currency: String,
    pub bot_id: Option<String>,
    pub ref_id: String,
    pub description: String,
    pub timestamp: String,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(ToSchema)]
pub struct LedgerFills {
    pub fills: Vec<LedgerEntry>,
    pub count: u32,
    pub limit: u32,
}

#[derive(ToSchema)]
pub struct LedgerEvents {
    pub events: Vec<LedgerEntry>,
    pub count: u32,
    pub limit: u32,
}

#[derive(ToSchema)]
pub struct Funding {
    /// Deposit (> 0) or withdrawal (< 0); non-zero, |amount| <= 1e9.
    pub amount: f64,
    /// 3-5 letters; default the user's currency.
    pub currency: Option<String>,
    /// At most 500 characters.
    pub description: Option<String>,
}

#[derive(ToSchema)]
pub struct FundingRecorded {
    pub success: bool,
    pub entry: LedgerEntry,
}

#[derive(ToSchema)]
pub struct BotReconciliation {
    pub bot_id: String,
    pub name: String,
    pub initial_capital: f64,
    pub ledger_fills: f64,
    /// `initial_capital + ledger_fills`.
    pub expected_capital: f64,
    pub current_capital: f64,
    /// `current_capital - expected_capital`.
    pub difference: f64,
    pub matches: bool,
}

#[derive(ToSchema)]
pub struct Reconcile {
    pub reconciled: bool,
    pub bots: Vec<BotReconciliation>,
    pub mismatched: u32,
    /// Fill sums booked for bots that no longer exist.
    pub fills_without_bot: f64,
    /// Sum per entry kind.
    pub ledger_totals: Value,
    pub entries: u64,
    pub timestamp: String,
}

#[derive(ToSchema)]
pub struct ChainReport {
    pub ok: bool,
    /// Entries verified before the first problem.
    pub checked: u64,
    /// Where the chain breaks: the edited entry, or the first missing/misplaced position.
    pub first_bad_seq: Option<u64>,
    pub problem: Option<String>,
    pub head_seq: Option<u64>,
}

#[derive(ToSchema)]
pub struct IntegrityReport {
    pub ok: bool,
    /// Same as `ok`.
    pub valid: bool,
    pub checked: u64,
    pub first_bad_seq: Option<u64>,
    pub problem: Option<String>,
    pub head_seq: Option<u64>,
    pub verified_at: String,
}

#[derive(ToSchema)]
pub struct AuditTrail {
    /// Newest first, with their links (seq, prev_hash, hash).
    pub entries: Vec<LedgerEntry>,
    pub count: u32,
    pub integrity: ChainReport,
}
