//! Portfolio, trades, analytics, prices, orders, limits and ledger (SPEC §7, §8).

use crate::http::openapi::op::{get, post, Op, Param};
use crate::http::openapi::schemas::trading::*;

const PORTFOLIO: &str = "Portfolio";
const TRADES: &str = "Trades";
const ANALYTICS: &str = "Analytics";
const PRICES: &str = "Prices";
const ORDERS: &str = "Orders";
const LEDGER: &str = "Ledger";

pub fn ops() -> Vec<Op> {
    vec![
        get("/api/portfolio/summary", PORTFOLIO, "Equity, P&L, drawdown and exposure from real fills")
            .ok::<PortfolioSummary>(),
        get("/api/profits", PORTFOLIO, "Profit per UTC period")
            .query("period", Param::Str, "daily | weekly | monthly")
            .query("limit", Param::Int, "Number of periods (default 30)")
            .ok::<ProfitSeries>()
            .errors(&[422]),
        get("/api/trades/recent", TRADES, "Newest trades")
            .query("limit", Param::Int, "1..500 (default 50)")
            .ok::<RecentTrades>()
            .errors(&[422]),
        get("/api/trades", TRADES, "Trades, paginated")
            .query("bot_id", Param::Str, "Only this bot")
            .query("since", Param::Str, "RFC 3339 lower bound")
            .query("until", Param::Str, "RFC 3339 upper bound")
            .query("limit", Param::Int, "Page size")
            .query("cursor", Param::Str, "From the previous page's next_cursor")
            .ok::<TradePage>()
            .errors(&[422]),
        get("/api/trades/stats", TRADES, "Win/loss and profit statistics")
            .query("bot_id", Param::Str, "Only this bot")
            .ok::<TradeStats>(),
        get("/api/analytics/equity", ANALYTICS, "Equity curve")
            .query("range", Param::Str, "1d | 7d | 30d | 90d | 1y | all")
            .ok::<EquityCurve>()
            .errors(&[422]),
        get("/api/analytics/drawdown", ANALYTICS, "Max and current drawdown")
            .query("range", Param::Str, "1d | 7d | 30d | 90d | 1y | all")
            .ok::<Drawdown>()
            .errors(&[422]),
        get("/api/analytics/win_rate", ANALYTICS, "Wins, losses, profit factor, best/worst")
            .query("period", Param::Str, "today | 7d | 30d | all")
            .ok::<WinRate>()
            .errors(&[422]),
        get("/api/prices/live", PRICES, "Latest prices from the feed").ok::<LivePrices>(),
        post("/api/orders/submit", ORDERS, "Submit an order through the four gates")
            .describe("Gates in order: idempotency, fee coverage, limits, circuit breaker. Every valid submission is stored with an `order_id`, filled or rejected.")
            .body::<SubmitOrder>()
            .ok::<OrderResult>()
            .errors(&[400]),
        get("/api/orders/pending", ORDERS, "Orders not yet final")
            .query("limit", Param::Int, "1..500 (default 100)")
            .ok::<PendingOrders>(),
        get("/api/orders/{id}/status", ORDERS, "One order").ok::<Order>(),
        get("/api/limits/status", ORDERS, "Daily and burst trade limits").ok::<LimitsStatus>(),
        get("/api/circuit-breaker/status", ORDERS, "Circuit breaker state")
            .ok::<CircuitBreakerStatus>(),
        post("/api/circuit-breaker/reset", ORDERS, "Reset a tripped circuit breaker")
            .optional_body::<CircuitBreakerReset>()
            .ok::<CircuitBreakerResetDone>(),
        get("/api/ledger/fills", LEDGER, "Fill entries")
            .query("bot_id", Param::Str, "Only this bot")
            .query("since", Param::Str, "RFC 3339 lower bound")
            .query("until", Param::Str, "RFC 3339 upper bound")
            .query("limit", Param::Int, "Max entries")
            .ok::<LedgerFills>()
            .errors(&[422]),
        get("/api/ledger/events", LEDGER, "All ledger entries")
            .query("bot_id", Param::Str, "Only this bot")
            .query("kind", Param::Str, "fill | funding | fee | adjustment | transfer")
            .query("since", Param::Str, "RFC 3339 lower bound")
            .query("until", Param::Str, "RFC 3339 upper bound")
            .query("limit", Param::Int, "Max entries")
            .ok::<LedgerEvents>()
            .errors(&[422]),
        post("/api/ledger/funding", LEDGER, "Record a deposit or withdrawal")
            .body::<Funding>()
            .ok::<FundingRecorded>(),
        get("/api/ledger/reconcile", LEDGER, "Ledger vs bots' capital").ok::<Reconcile>(),
        get("/api/ledger/verify-integrity", LEDGER, "Check the hash chain")
            .ok::<IntegrityReport>(),
        get("/api/ledger/audit-trail", LEDGER, "Ledger entries with their hashes")
            .query("limit", Param::Int, "Max entries")
            .ok::<AuditTrail>(),
    ]
}
