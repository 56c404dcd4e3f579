//! The one startup line (SPEC §9): every flag's value and which engines actually started.

use crate::config::FeatureFlags;
use crate::engine::EngineStatus;

/// `Feature flags: ENABLE_TRADING=false ... ; engines started: [..]; not started: [name (why)]`.
/// Built from what really happened (`started`), never from what the flags merely allow.
pub fn feature_flags_line(
    flags: &FeatureFlags,
    engines: &std::collections::BTreeMap<String, EngineStatus>,
) -> String {
    let values = [
        ("ENABLE_TRADING", flags.enable_trading),
        ("ENABLE_SCHEDULERS", flags.enable_schedulers),
        ("ENABLE_AUTOPILOT", flags.enable_autopilot),
        ("DISABLE_AI_BODYGUARD", flags.disable_ai_bodyguard),
        ("ENABLE_LIVE_TRADING", flags.enable_live_trading),
        ("ENABLE_REALTIME", flags.enable_realtime),
        ("ENABLE_MARKET_DATA", flags.enable_market_data),
    ]
    .iter()
    .map(|(name, on)| format!("{name}={on}"))
    .collect::<Vec<_>>()
    .join(" ");
    let started: Vec<&str> = engines
        .iter()
        .filter(|(_, s)| s.started)
        .map(|(n, _)| n.as_str())
        .collect();
    let not_started: Vec<String> = engines
        .iter()
        .filter(|(_, s)| !s.started)
        .map(|(name, status)| format!("{name} ({})", why_not(name, status.enabled)))
        .collect();
    format!(
        "Feature flags: {values}; engines started: [{}]; not started: [{}]",
        started.join(", "),
        not_started.join(", ")
    )
}

fn why_not(engine: &str, enabled: bool) -> &'static str {
    match (engine, enabled) {
        (super::TRADING_SCHEDULER, true) => "order pipeline not wired",
        (super::TRADING_SCHEDULER, false) => "needs ENABLE_TRADING and ENABLE_SCHEDULERS",
        (super::AI_BODYGUARD, false) => "DISABLE_AI_BODYGUARD is on",
        (super::AUTOPILOT, false) => "needs ENABLE_AUTOPILOT",
        (super::DAILY_RESET, false) => "needs ENABLE_SCHEDULERS",
        (super::MARKET_SYNC, false) => "needs ENABLE_MARKET_DATA (default: ENABLE_TRADING)",
        _ => "not started",
    }
}
