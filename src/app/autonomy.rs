//! Autonomy checks for the old dashboard: the bodyguard's on-demand system check and what
//! recent trades say per bot (the learning report).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::bodyguard::{self, GuardLimits};
use crate::domain::bot::BotStatus;
use crate::domain::dashboard::score;
use crate::domain::host;
use crate::domain::periods::{bucket_start, Period};
use crate::domain::projection::round2;
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostHealth {
    /// 1-minute load over cores, percent (`null` where `/proc` is not readable).
    pub cpu_usage: Option<f64>,
    pub memory_usage: Option<f64>,
    /// `ok` | `strained` (either above 90 %) | `unknown`.
    pub status: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TradingHealth {
    pub active_bots: u64,
    pub trades_today: u64,
    /// Realised profit of every closed trade.
    pub total_profit: f64,
    /// `ok` | `at_risk` (a bot breaks a bodyguard rule or the daily loss limit) | `stopped`.
    pub status: String,
}

/// `POST /api/autonomous/bodyguard/system-check`: the bodyguard's rules, checked now for the
/// caller, without acting on them (the bodyguard engine acts on its own schedule).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SystemCheck {
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
    pub health_score: f64,
    pub health_status: String,
    /// Checks that passed, of `total_checks`.
    pub passed_checks: usize,
    pub total_checks: usize,
    pub system_health: HostHealth,
    pub trading_health: TradingHealth,
    pub issues: Vec<String>,
    pub warnings: Vec<String>,
    pub recommendations: Vec<String>,
}

async fn host_health() -> HostHealth {
    let read = |p: &'static str| async move { tokio::fs::read_to_string(p).await.ok() };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let cpu = read("/proc/loadavg")
        .await
        .and_then(|t| host::parse_loadavg(&t))
        .map(|l| round2(l.load_1m / cores * 100.0));
    let memory = read("/proc/meminfo")
        .await
        .and_then(|t| host::parse_meminfo(&t))
        .map(|m| round2(m.used_percent));
    let status = match (cpu, memory) {
        (None, None) => "unknown",
        (c, m) if c.unwrap_or(0.0) > 90.0 || m.unwrap_or(0.0) > 90.0 => "strained",
        _ => "ok",
    };
    HostHealth {
        cpu_usage: cpu,
        memory_usage: memory,
        status: status.into(),
    }
}

pub async fn system_check(state: &AppState, user_id: &str) -> AppResult<SystemCheck> {
    let now = state.clock.now();
    state.store.trades.repair(Some(user_id)).await?;
    let bots = state.store.bots.list(user_id, None).await?;
    let settings = state.store.settings.get(user_id, now).await?;
    let limits = GuardLimits::from_config(&state.config.trading);
    let (mut issues, mut warnings, mut recommendations) = (Vec::new(), Vec::new(), Vec::new());
    let mut total = 0;
    let mut passed = 0;
    let mut check = |ok: bool| {
        total += 1;
        if ok {
            passed += 1;
        }
        ok
    };
    if !check(state.store.admin.ping().await.is_ok()) {
        issues.push("The database does not answer".to_string());
    }
    if !check(!settings.emergency_stop) {
        warnings.push("Your emergency stop is on: no bot trades".to_string());
        recommendations.push("Lift the emergency stop when you are ready to trade again".into());
    }
    let trading: Vec<_> = bots
        .iter()
        .filter(|b| matches!(b.status, BotStatus::Active | BotStatus::Paused))
        .collect();
    for bot in &trading {
        if let Some(v) = bodyguard::check_bot(bot, now, &limits) {
            check(false);
            issues.push(format!("{}: {}", bot.name, v.message));
            recommendations.push(format!("Review {}'s strategy and risk settings", bot.name));
        } else {
            check(true);
        }
    }
    let daily_ok = !bodyguard::daily_loss_breached(&bots, now, &limits);
    if !check(daily_ok) {
        issues.push(format!(
            "Today's loss reached the daily limit of {} %",
            limits.daily_loss_limit_pct
        ));
    }
    let active = bots
        .iter()
        .filter(|b| b.status == BotStatus::Active)
        .count() as u64;
    if active == 0 && !bots.is_empty() {
        warnings.push("None of your bots is active".into());
    }
    let today = bucket_start(now, Period::Daily);
    let today_totals = state.store.trade_stats.totals(user_id, Some(today)).await?;
    let all = state.store.trade_stats.totals(user_id, None).await?;
    let host = host_health().await;
    if host.status == "strained" {
        warnings.push("The server is under heavy load".into());
    }
    let (health_score, words) = score(passed, total);
    Ok(SystemCheck {
        timestamp: now,
        health_score,
        health_status: words.into(),
        passed_checks: passed,
        total_checks: total,
        system_health: host,
        trading_health: TradingHealth {
            active_bots: active,
            trades_today: today_totals.results.total,
            total_profit: round2(all.profit),
            status: if settings.emergency_stop {
                "stopped"
            } else if issues.is_empty() {
                "ok"
            } else {
                "at_risk"
            }
            .into(),
        },
        issues,
        warnings,
        recommendations,
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LearningReport {
    pub trades_analyzed: usize,
    /// Percent of the analysed trades that won.
    pub win_rate: f64,
    pub avg_profit: f64,
    /// One line per bot: what its recent trades show. No parameter is changed by this call.
    pub updates: Vec<String>,
}

/// `POST /api/autonomous/learning/trigger`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Learning {
    pub message: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
    pub report: LearningReport,
}

/// Closed trades the learning report reads (the newest).
pub const LEARNING_TRADES: u32 = 100;

pub async fn learning(state: &AppState, user_id: &str) -> AppResult<Learning> {
    state.store.trades.repair(Some(user_id)).await?;
    let trades = state.store.trades.recent(user_id, LEARNING_TRADES).await?;
    let mut per_bot: BTreeMap<&str, (usize, usize, f64)> = BTreeMap::new();
    for t in &trades {
        let e = per_bot.entry(t.bot_name.as_str()).or_default();
        e.0 += 1;
        e.1 += usize::from(t.profit_loss > 0.0);
        e.2 += t.profit_loss;
    }
    let n = trades.len();
    let wins = trades.iter().filter(|t| t.profit_loss > 0.0).count();
    let sum: f64 = trades.iter().map(|t| t.profit_loss).sum();
    let pct = |w: usize, n: usize| {
        if n == 0 {
            0.0
        } else {
            round2(w as f64 * 100.0 / n as f64)
        }
    };
    let updates = per_bot
        .into_iter()
        .map(|(name, (count, won, profit))| {
            format!(
                "{name}: {count} trades, {}% won, average {:.2} per trade",
                pct(won, count),
                profit / count as f64
            )
        })
        .collect();
    Ok(Learning {
        message: format!(
            "Analysed your last {n} closed trades; no strategy parameters were changed"
        ),
        timestamp: state.clock.now(),
        report: LearningReport {
            trades_analyzed: n,
            win_rate: pct(wins, n),
            avg_profit: if n == 0 { 0.0 } else { round2(sum / n as f64) },
            updates,
        },
    })
}
