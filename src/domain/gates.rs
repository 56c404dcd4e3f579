//! The four order gates of SPEC §8, each a pure function, and `run_gates` applying them in order.
//!
//! Gate 1 (idempotency) is enforced by storage: a unique index on the key means a repeated key
//! is answered with the stored result before the gates run. So by the time `run_gates` is
//! called the key is known to be fresh and the gate is recorded as passed.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::TradingConfig;
use crate::domain::circuit_breaker::{self, BreakerDecision, BreakerInput};
use crate::domain::fees::ExchangeFees;

/// At most this many orders per exchange inside one burst window.
pub const BURST_MAX_ORDERS: u32 = 10;
pub const BURST_WINDOW_SECONDS: i64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateName {
    Idempotency,
    FeeCoverage,
    Limits,
    CircuitBreaker,
}

impl GateName {
    pub fn as_str(self) -> &'static str {
        match self {
            GateName::Idempotency => "idempotency",
            GateName::FeeCoverage => "fee_coverage",
            GateName::Limits => "limits",
            GateName::CircuitBreaker => "circuit_breaker",
        }
    }
}

/// What the gates decided about one order; stored with the order and returned to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateOutcome {
    pub gates_passed: Vec<GateName>,
    pub gate_failed: Option<GateName>,
    pub rejection_reason: Option<String>,
    /// True when a manual order carried no `expected_edge_bps`, so fee coverage was not checked.
    pub fee_gate_skipped: bool,
}

impl GateOutcome {
    pub fn accepted(&self) -> bool {
        self.gate_failed.is_none()
    }
}

/// The verdict of a single gate.
#[derive(Debug, Clone, PartialEq)]
pub enum GateCheck {
    Pass,
    /// The gate did not apply (only fee coverage, for manual orders without an edge).
    Skipped,
    Reject(String),
}

/// Minimum edge an order must expect: round-trip taker fees, the spread, and the configured
/// margins (`MIN_EDGE_BPS`, `SAFETY_MARGIN_BPS`, `SLIPPAGE_BUFFER_BPS`).
pub fn required_edge_bps(fees: &ExchangeFees, cfg: &TradingConfig) -> f64 {
    fees.round_trip_fee_bps()
        + fees.typical_spread_bps
        + cfg.min_edge_bps
        + cfg.safety_margin_bps
        + cfg.slippage_buffer_bps
}

/// Gate 2. Engine orders always carry an edge; a manual order without one skips the gate.
pub fn check_fee_coverage(
    expected_edge_bps: Option<f64>,
    fees: &ExchangeFees,
    cfg: &TradingConfig,
) -> GateCheck {
    let Some(edge) = expected_edge_bps else {
        return GateCheck::Skipped;
    };
    let required = required_edge_bps(fees, cfg);
    if edge.is_finite() && edge >= required {
        GateCheck::Pass
    } else {
        GateCheck::Reject(format!(
            "expected edge {edge:.2} bps does not cover fees, spread and margins ({required:.2} bps)"
        ))
    }
}

/// Trade counts the caller took from storage for the current UTC day and burst window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitCounts {
    pub bot_trades_today: u32,
    pub user_trades_today: u32,
    /// Orders on the same exchange since `burst_window_start(now)`.
    pub exchange_orders_in_burst_window: u32,
}

/// Gate 3. Counts are of orders already made, so a count equal to the limit refuses the next.
pub fn check_limits(counts: &LimitCounts, cfg: &TradingConfig) -> GateCheck {
    if counts.bot_trades_today >= cfg.max_trades_per_bot_daily {
        return GateCheck::Reject(format!(
            "bot reached its daily limit of {} trades",
            cfg.max_trades_per_bot_daily
        ));
    }
    if counts.user_trades_today >= cfg.max_trades_per_user_daily {
        return GateCheck::Reject(format!(
            "account reached its daily limit of {} trades",
            cfg.max_trades_per_user_daily
        ));
    }
    if counts.exchange_orders_in_burst_window >= BURST_MAX_ORDERS {
        return GateCheck::Reject(format!(
            "burst limit: at most {BURST_MAX_ORDERS} orders per {BURST_WINDOW_SECONDS} s on one exchange"
        ));
    }
    GateCheck::Pass
}

/// Gate 4. A trip here also means the caller must pause the bot and raise an alert.
pub fn check_circuit_breaker(input: &BreakerInput, cfg: &TradingConfig) -> GateCheck {
    match circuit_breaker::evaluate(input, cfg) {
        BreakerDecision::Ok => GateCheck::Pass,
        BreakerDecision::Trip { reason, .. } => {
            GateCheck::Reject(format!("circuit breaker: {reason}"))
        }
    }
}

/// Everything the gates need about one order, gathered by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct GateInputs {
    pub expected_edge_bps: Option<f64>,
    pub fees: ExchangeFees,
    pub counts: LimitCounts,
    pub breaker: BreakerInput,
}

/// Applies gates 1-4 in order and stops at the first rejection.
pub fn run_gates(inputs: &GateInputs, cfg: &TradingConfig) -> GateOutcome {
    let mut outcome = GateOutcome {
        gates_passed: vec![GateName::Idempotency],
        gate_failed: None,
        rejection_reason: None,
        fee_gate_skipped: false,
    };
    let checks: [(GateName, &dyn Fn() -> GateCheck); 3] = [
        (GateName::FeeCoverage, &|| {
            check_fee_coverage(inputs.expected_edge_bps, &inputs.fees, cfg)
        }),
        (GateName::Limits, &|| check_limits(&inputs.counts, cfg)),
        (GateName::CircuitBreaker, &|| {
            check_circuit_breaker(&inputs.breaker, cfg)
        }),
    ];
    for (gate, check) in checks {
        match check() {
            GateCheck::Pass => outcome.gates_passed.push(gate),
            GateCheck::Skipped => outcome.fee_gate_skipped = true,
            GateCheck::Reject(reason) => {
                outcome.gate_failed = Some(gate);
                outcome.rejection_reason = Some(reason);
                break;
            }
        }
    }
    outcome
}

/// The UTC midnight that starts the day containing `now`; daily limits count from here.
pub fn utc_day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive().and_time(NaiveTime::MIN).and_utc()
}

/// The next UTC midnight after `now`: when daily counters reset.
pub fn next_utc_day_start(now: DateTime<Utc>) -> DateTime<Utc> {
    utc_day_start(now) + Duration::days(1)
}

/// Orders placed at or after this instant count towards the burst limit.
pub fn burst_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::seconds(BURST_WINDOW_SECONDS)
}

#[cfg(test)]
mod tests;
