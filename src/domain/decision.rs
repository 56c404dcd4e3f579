//! A strategy decision as recorded: what a bot decided on which candle, why, from which
//! indicator values, and the order it led to. Every trade traces back to one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One recorded evaluation (or manual action) of a bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub id: String,
    pub user_id: String,
    pub bot_id: String,
    /// When it was decided.
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
    /// Open time (epoch ms) of the candle it was decided on (`null` for a manual action).
    pub candle_time: Option<i64>,
    /// `enter_long`, `exit` or `hold`.
    pub decision: String,
    /// Why, in words (the strategy's reason, the risk exit that fired, or `manual`).
    pub reason: String,
    /// Indicator name -> value on that candle.
    pub indicators: BTreeMap<String, f64>,
    /// The order it led to, once placed.
    pub order_id: Option<String>,
    /// The strategy that decided (`manual` for a user's action).
    pub strategy: String,
    /// Close of the candle, or the market price of a manual action.
    pub price: Option<f64>,
}
