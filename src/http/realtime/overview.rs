//! The SSE `overview_update` payload: a user's bot counts and money totals, aggregated by the
//! database (bots repository `summary`), so every client sees the same numbers as the REST API.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use crate::domain::bot::BotStatus;
use crate::events::EventType;
use crate::state::AppState;
use crate::store::bots::BotSummary;

/// What the dashboard's overview cards show; compared to decide whether anything changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub active_bots: u64,
    pub total_bots: u64,
    pub total_profit: f64,
    pub total_capital: f64,
}

impl From<&BotSummary> for Overview {
    fn from(summary: &BotSummary) -> Self {
        Self {
            active_bots: summary.status_count(BotStatus::Active),
            total_bots: summary.total,
            total_profit: summary.total_profit,
            total_capital: summary.total_capital,
        }
    }
}

impl Overview {
    /// Reads the user's overview; `None` when the database cannot answer right now (the stream
    /// keeps going and tries again on the next heartbeat).
    pub async fn load(state: &AppState, user_id: &str) -> Option<Self> {
        match state.store.bots.summary(user_id).await {
            Ok(summary) => Some(Self::from(&summary)),
            Err(error) => {
                tracing::warn!(%error, "overview for realtime unavailable");
                None
            }
        }
    }

    /// The frame body: the figures plus `type` and `timestamp`, like every other frame.
    pub fn to_json(&self, now: DateTime<Utc>) -> Value {
        json!({
            "type": "overview_update",
            "active_bots": self.active_bots,
            "total_bots": self.total_bots,
            "total_profit": self.total_profit,
            "total_capital": self.total_capital,
            "timestamp": now.to_rfc3339(),
        })
    }

    /// Events after which the figures may have moved, so SSE re-reads them at once rather than
    /// waiting for the next heartbeat.
    pub fn may_change_after(kind: EventType) -> bool {
        kind.is_bot_event()
            || matches!(
                kind,
                EventType::TradeExecuted | EventType::ProfitUpdated | EventType::OverviewUpdated
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_active_bots_count_as_active() {
        let mut summary = BotSummary {
            total: 3,
            total_profit: 12.5,
            total_capital: 3000.0,
            ..BotSummary::default()
        };
        summary.by_status.insert("active".into(), 2);
        summary.by_status.insert("paused".into(), 1);
        let overview = Overview::from(&summary);
        assert_eq!(overview.active_bots, 2);
        assert_eq!(overview.total_bots, 3);
        let body = overview.to_json(Utc::now());
        assert_eq!(body["type"], "overview_update");
        assert_eq!(body["total_capital"], 3000.0);
    }

    #[test]
    fn bot_and_money_events_trigger_a_reread_but_chat_does_not() {
        assert!(Overview::may_change_after(EventType::BotStopped));
        assert!(Overview::may_change_after(EventType::TradeExecuted));
        assert!(!Overview::may_change_after(EventType::ChatMessage));
        assert!(!Overview::may_change_after(EventType::Alert));
    }
}
