//! Wallet rules (pure): how healthy an exchange account is for the live bots it funds, and the
//! funding plan a shortfall produces.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How well an exchange's available quote balance covers its live bots' capital.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Covers at least 1.5x what the bots need (or nothing is needed).
    Healthy,
    /// Covers it, with less than half again to spare.
    Adequate,
    /// Covers half or more, not all.
    Warning,
    /// Covers less than half.
    Critical,
}

/// `available / required`: >= 1.5 healthy, >= 1 adequate, >= 0.5 warning, else critical.
pub fn health(required: f64, available: f64) -> Health {
    if required <= 0.0 {
        return Health::Healthy;
    }
    let cover = available / required;
    if cover >= 1.5 {
        Health::Healthy
    } else if cover >= 1.0 {
        Health::Adequate
    } else if cover >= 0.5 {
        Health::Warning
    } else {
        Health::Critical
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlanStatus {
    /// Waiting for the user to move funds.
    Pending,
    /// The exchange now covers the bot.
    Completed,
    Cancelled,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Pending => "pending",
            PlanStatus::Completed => "completed",
            PlanStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "pending" => Some(PlanStatus::Pending),
            "completed" => Some(PlanStatus::Completed),
            "cancelled" | "canceled" => Some(PlanStatus::Cancelled),
            _ => None,
        }
    }
}

/// Money a live bot's exchange account lacks, and where to send it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FundingPlan {
    pub plan_id: String,
    pub user_id: String,
    pub bot_id: String,
    pub bot_name: String,
    pub to_exchange: String,
    /// What is missing, in `currency`.
    pub amount_required: f64,
    pub currency: String,
    pub status: PlanStatus,
    pub message: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: DateTime<Utc>,
}

impl FundingPlan {
    pub fn new(
        user_id: &str,
        bot: (&str, &str),
        exchange: &str,
        shortfall: f64,
        currency: &str,
        now: DateTime<Utc>,
    ) -> Self {
        let (bot_id, bot_name) = bot;
        Self {
            plan_id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_string(),
            bot_id: bot_id.to_string(),
            bot_name: bot_name.to_string(),
            to_exchange: exchange.to_string(),
            amount_required: shortfall,
            currency: currency.to_string(),
            status: PlanStatus::Pending,
            message: format!(
                "Deposit {shortfall:.2} {currency} on {exchange} so live bot {bot_name} is fully funded"
            ),
            created_at: now,
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_bands() {
        assert_eq!(health(0.0, 0.0), Health::Healthy);
        assert_eq!(health(100.0, 150.0), Health::Healthy);
        assert_eq!(health(100.0, 149.99), Health::Adequate);
        assert_eq!(health(100.0, 100.0), Health::Adequate);
        assert_eq!(health(100.0, 50.0), Health::Warning);
        assert_eq!(health(100.0, 49.99), Health::Critical);
        assert!(Health::Critical > Health::Warning, "worst sorts last");
    }
}
