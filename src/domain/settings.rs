//! Per-user system modes, emergency stop, and alerts.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The modes a user can switch (SPEC §11), with their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemMode {
    PaperTrading,
    LiveTrading,
    Autopilot,
}

impl SystemMode {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "paperTrading" | "paper_trading" | "paper" => Some(Self::PaperTrading),
            "liveTrading" | "live_trading" | "live" => Some(Self::LiveTrading),
            "autopilot" => Some(Self::Autopilot),
            _ => None,
        }
    }
    pub fn wire_name(self) -> &'static str {
        match self {
            Self::PaperTrading => "paperTrading",
            Self::LiveTrading => "liveTrading",
            Self::Autopilot => "autopilot",
        }
    }
    /// Column / field name in storage.
    pub fn column(self) -> &'static str {
        match self {
            Self::PaperTrading => "paper_trading",
            Self::LiveTrading => "live_trading",
            Self::Autopilot => "autopilot",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserSettings {
    pub user_id: String,
    pub paper_trading: bool,
    pub live_trading: bool,
    pub autopilot: bool,
    pub emergency_stop: bool,
    pub emergency_reason: Option<String>,
    pub emergency_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl UserSettings {
    /// What a user who never changed anything has: paper trading on, everything else off.
    pub fn defaults(user_id: &str, now: DateTime<Utc>) -> Self {
        Self {
            user_id: user_id.to_string(),
            paper_trading: true,
            live_trading: false,
            autopilot: false,
            emergency_stop: false,
            emergency_reason: None,
            emergency_at: None,
            updated_at: now,
        }
    }

    pub fn mode(&self, mode: SystemMode) -> bool {
        match mode {
            SystemMode::PaperTrading => self.paper_trading,
            SystemMode::LiveTrading => self.live_trading,
            SystemMode::Autopilot => self.autopilot,
        }
    }

    /// `{paperTrading, liveTrading, autopilot}` as clients expect.
    pub fn modes_json(&self) -> serde_json::Value {
        serde_json::json!({
            "paperTrading": self.paper_trading,
            "liveTrading": self.live_trading,
            "autopilot": self.autopilot,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: String,
    pub user_id: String,
    pub bot_id: Option<String>,
    /// e.g. `circuit_breaker`, `bodyguard`, `emergency_stop`, `system`.
    pub kind: String,
    /// `info` | `warning` | `critical`.
    pub severity: String,
    pub message: String,
    pub acknowledged: bool,
    pub created_at: DateTime<Utc>,
}

impl Alert {
    pub fn new(
        user_id: &str,
        bot_id: Option<&str>,
        kind: &str,
        severity: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_string(),
            bot_id: bot_id.map(str::to_string),
            kind: kind.to_string(),
            severity: severity.to_string(),
            message: message.to_string(),
            acknowledged: false,
            created_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_wire_and_snake_names() {
        assert_eq!(
            SystemMode::parse("paperTrading"),
            Some(SystemMode::PaperTrading)
        );
        assert_eq!(
            SystemMode::parse("live_trading"),
            Some(SystemMode::LiveTrading)
        );
        assert_eq!(SystemMode::parse("autopilot"), Some(SystemMode::Autopilot));
        assert_eq!(SystemMode::parse("turbo"), None);
        let s = UserSettings::defaults("u", Utc::now());
        assert_eq!(
            s.modes_json(),
            serde_json::json!({"paperTrading": true, "liveTrading": false, "autopilot": false})
        );
    }
}
