//! The stored record of one order submission (filled, rejected or still pending) and the
//! `POST /api/orders/submit` answer built from it.
//!
//! Besides the four gates of SPEC §8, two named stages can refuse an order: `bot_state` before
//! the gates (bot not trading, emergency stop) and `execution` after them (no price, live
//! execution not enabled). They are reported in `gate_failed` like a gate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::gates::GateOutcome;
use crate::domain::orders::{OrderType, Side, ValidOrder};

/// Stage before the gates: the bot must be trading and the user not in emergency stop.
pub const STAGE_BOT_STATE: &str = "bot_state";
/// Stage after the gates: pricing and placing the fill.
pub const STAGE_EXECUTION: &str = "execution";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Pending,
    Filled,
    Rejected,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Filled => "filled",
            OrderStatus::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// The `order_id`.
    pub id: String,
    pub user_id: String,
    pub bot_id: String,
    pub exchange: String,
    pub symbol: String,
    pub side: Side,
    pub amount: f64,
    pub order_type: OrderType,
    pub price: Option<f64>,
    /// The client's key, or one generated for it; unique per user.
    pub idempotency_key: String,
    pub expected_edge_bps: Option<f64>,
    pub status: OrderStatus,
    pub gates_passed: Vec<String>,
    pub gate_failed: Option<String>,
    pub rejection_reason: Option<String>,
    /// True when a manual order carried no `expected_edge_bps` (fee gate not checked).
    pub fee_gate_skipped: bool,
    /// The fill details (prices, fees, slippage, P&L, price source) once filled.
    pub fill: Option<serde_json::Value>,
    pub trade_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OrderRecord {
    /// A new pending record: it claims the idempotency key before any gate runs.
    pub fn pending(
        user_id: &str,
        exchange: &str,
        order: &ValidOrder,
        key: &str,
        now: DateTime<Utc>,
    ) -> Self {
        let now = DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now);
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_string(),
            bot_id: order.bot_id.clone(),
            exchange: exchange.to_string(),
            symbol: order.symbol.to_string(),
            side: order.side,
            amount: order.amount,
            order_type: order.order_type,
            price: order.price,
            idempotency_key: key.to_string(),
            expected_edge_bps: order.expected_edge_bps,
            status: OrderStatus::Pending,
            gates_passed: Vec::new(),
            gate_failed: None,
            rejection_reason: None,
            fee_gate_skipped: false,
            fill: None,
            trade_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Copies what the gates decided.
    pub fn apply_gates(&mut self, outcome: &GateOutcome) {
        self.gates_passed = outcome
            .gates_passed
            .iter()
            .map(|g| g.as_str().to_string())
            .collect();
        self.fee_gate_skipped = outcome.fee_gate_skipped;
        if let (Some(gate), Some(reason)) = (outcome.gate_failed, &outcome.rejection_reason) {
            self.reject(gate.as_str(), reason);
        }
    }

    /// Marks the order refused by `stage` for `reason`.
    pub fn reject(&mut self, stage: &str, reason: &str) {
        self.status = OrderStatus::Rejected;
        self.gate_failed = Some(stage.to_string());
        self.rejection_reason = Some(reason.to_string());
    }

    /// The answer of `POST /api/orders/submit` (and of a repeated key).
    pub fn response(&self) -> serde_json::Value {
        serde_json::json!({
            "success": self.status == OrderStatus::Filled,
            "order_id": self.id,
            "idempotency_key": self.idempotency_key,
            "status": self.status,
            "gates_passed": self.gates_passed,
            "gate_failed": self.gate_failed,
            "rejection_reason": self.rejection_reason,
            "fee_gate_skipped": self.fee_gate_skipped,
            "fill": self.fill,
            "trade_id": self.trade_id,
        })
    }

    /// The record as `GET /api/orders/*` shows it.
    pub fn view(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert(
                "order_id".into(),
                serde_json::Value::String(self.id.clone()),
            );
        }
        v
    }
}
