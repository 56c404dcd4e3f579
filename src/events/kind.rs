//! `EventType`: the closed set of realtime event names (SPEC §12).

use serde::{Deserialize, Serialize};

/// Every event type the server emits (SPEC §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    BotCreated,
    BotUpdated,
    BotDeleted,
    BotStarted,
    BotStopped,
    BotPaused,
    BotResumed,
    BotStatusChanged,
    BotPromoted,
    TradeExecuted,
    ProfitUpdated,
    OverviewUpdated,
    SystemModeUpdate,
    KeySaved,
    KeyTested,
    KeyDeleted,
    ApiKeyUpdate,
    Alert,
    EmergencyStop,
    ForceRefresh,
    ChatMessage,
    /// A strategy decision was recorded (`{decision}`).
    Decision,
    /// A backtest moved on (`{id, status, progress}`).
    BacktestProgress,
    /// A backtest finished: done, failed or cancelled (`{id, status, metrics?, error?}`).
    BacktestCompleted,
}

impl EventType {
    /// The wire name (`bot_created`, ...), without going through serde.
    pub fn as_str(self) -> &'static str {
        use EventType::*;
        match self {
            BotCreated => "bot_created",
            BotUpdated => "bot_updated",
            BotDeleted => "bot_deleted",
            BotStarted => "bot_started",
            BotStopped => "bot_stopped",
            BotPaused => "bot_paused",
            BotResumed => "bot_resumed",
            BotStatusChanged => "bot_status_changed",
            BotPromoted => "bot_promoted",
            TradeExecuted => "trade_executed",
            ProfitUpdated => "profit_updated",
            OverviewUpdated => "overview_updated",
            SystemModeUpdate => "system_mode_update",
            KeySaved => "key_saved",
            KeyTested => "key_tested",
            KeyDeleted => "key_deleted",
            ApiKeyUpdate => "api_key_update",
            Alert => "alert",
            EmergencyStop => "emergency_stop",
            ForceRefresh => "force_refresh",
            ChatMessage => "chat_message",
            Decision => "decision",
            BacktestProgress => "backtest_progress",
            BacktestCompleted => "backtest_completed",
        }
    }

    /// Bot lifecycle events (SSE also forwards them as `bot_update`).
    pub fn is_bot_event(self) -> bool {
        self.as_str().starts_with("bot_")
    }
}
