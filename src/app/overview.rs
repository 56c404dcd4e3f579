//! The old dashboard's summary panels: `/api/overview`, profit history, system health and
//! platforms, and the JSON metrics summary, all from the store and the running process.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::analytics::BotCapital;
use crate::domain::bot::{BotStatus, Exchange, TradingMode};
use crate::domain::dashboard::risk_level;
use crate::domain::periods::{bucket_start, window_start, Period};
use crate::domain::profit_history::{self, periods_shown, ProfitHistory};
use crate::domain::projection::round2;
use crate::error::AppResult;
use crate::state::AppState;

pub async fn profit_history(
    state: &AppState,
    user_id: &str,
    period: Period,
) -> AppResult<ProfitHistory> {
    state.store.trades.repair(Some(user_id)).await?;
    let now = state.clock.now();
    let since = window_start(period, periods_shown(period), now);
    let days = state.store.trades.daily_buckets(user_id, since).await?;
    Ok(profit_history::build(&days, period, now))
}

/// `GET /api/overview` (snake_case and the camelCase names the dashboard reads, same values).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Overview {
    /// Realised profit of every closed trade.
    pub total_profit: f64,
    #[serde(rename = "totalProfit")]
    pub total_profit_camel: f64,
    /// Realised profit of the last 24 hours.
    pub change_24h: f64,
    /// `change_24h` over the capital 24 hours ago, percent.
    pub change_24h_pct: f64,
    pub total_bots: u64,
    pub active_bots: u64,
    pub paper_bots: u64,
    pub live_bots: u64,
    /// `"N active / M"`.
    #[serde(rename = "activeBots")]
    pub active_bots_label: String,
    /// Capital in open positions (entry value), percent of the bots' capital.
    pub exposure: f64,
    /// `low` (< 25 % exposure), `medium` (< 60 %), `high`.
    pub risk_level: String,
    #[serde(rename = "riskLevel")]
    pub risk_level_camel: String,
    /// `emergency_stop`, `active` (a bot is trading) or `idle`.
    pub trading_status: String,
    #[serde(rename = "tradingStatus")]
    pub trading_status_camel: String,
    #[schema(value_type = String, format = DateTime)]
    pub last_update: DateTime<Utc>,
    #[serde(rename = "lastUpdate")]
    #[schema(value_type = String, format = DateTime)]
    pub last_update_camel: DateTime<Utc>,
}

pub async fn overview(state: &AppState, user_id: &str) -> AppResult<Overview> {
    state.store.trades.repair(Some(user_id)).await?;
    let now = state.clock.now();
    let bots = state.store.bots.list(user_id, None).await?;
    let totals = state.store.trade_stats.totals(user_id, None).await?;
    let change = state
        .store
        .trades
        .pnl_since(user_id, None, now - Duration::hours(24))
        .await?;
    let settings = state.store.settings.get(user_id, now).await?;
    let capital = BotCapital::of(&bots).current;
    let count =
        |f: &dyn Fn(&crate::domain::bot::Bot) -> bool| bots.iter().filter(|b| f(b)).count() as u64;
    let active = count(&|b| b.status == BotStatus::Active);
    let in_positions: f64 = bots
        .iter()
        .filter_map(|b| b.position.as_ref())
        .map(|p| p.size * p.entry_price)
        .sum();
    let exposure = if capital > 0.0 {
        round2(in_positions / capital * 100.0)
    } else {
        0.0
    };
    let before = capital - change;
    let status = if settings.emergency_stop {
        "emergency_stop"
    } else if active > 0 {
        "active"
    } else {
        "idle"
    };
    let risk = risk_level(exposure);
    Ok(Overview {
        total_profit: round2(totals.profit),
        total_profit_camel: round2(totals.profit),
        change_24h: round2(change),
        change_24h_pct: if before > 0.0 {
            round2(change / before * 100.0)
        } else {
            0.0
        },
        total_bots: bots.len() as u64,
        active_bots: active,
        paper_bots: count(&|b| b.trading_mode == TradingMode::Paper),
        live_bots: count(&|b| b.trading_mode == TradingMode::Live),
        active_bots_label: format!("{active} active / {}", bots.len()),
        exposure,
        risk_level: risk.into(),
        risk_level_camel: risk.into(),
        trading_status: status.into(),
        trading_status_camel: status.into(),
        last_update: now,
        last_update_camel: now,
    })
}

/// `GET /api/system/health`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SystemHealth {
    /// `healthy` or `degraded` (database unreachable).
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
    /// `connected` or `disconnected`.
    pub database: String,
    /// `sqlite` or `mongodb`.
    pub engine: String,
    pub uptime_seconds: u64,
}

pub async fn system_health(state: &AppState) -> SystemHealth {
    let ok = state.store.admin.ping().await.is_ok();
    SystemHealth {
        status: if ok { "healthy" } else { "degraded" }.into(),
        timestamp: state.clock.now(),
        database: if ok { "connected" } else { "disconnected" }.into(),
        engine: state.store.engine().into(),
        uptime_seconds: state.started_at.elapsed().as_secs(),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SystemPlatform {
    pub id: String,
    pub name: String,
    pub display_name: String,
    /// Bots can be created on it (every supported exchange).
    pub enabled: bool,
    /// Most bots per user on this exchange.
    pub bot_limit: u32,
    pub supports_paper: bool,
    /// Live trading is switched on for this server (`ENABLE_LIVE_TRADING`).
    pub supports_live: bool,
    /// Where the exchange mainly serves: `ZA` or `global`.
    pub region: String,
}

/// `GET /api/system/platforms`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Platforms {
    pub platforms: Vec<SystemPlatform>,
    pub total_count: usize,
    /// Always `all`.
    pub default: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
}

pub fn platforms(state: &AppState) -> Platforms {
    let live = state.config.flags.enable_live_trading;
    let platforms: Vec<SystemPlatform> = Exchange::ALL
        .iter()
        .map(|e| SystemPlatform {
            id: e.as_str().into(),
            name: e.display_name().into(),
            display_name: e.display_name().into(),
            enabled: true,
            bot_limit: e.max_bots(),
            supports_paper: true,
            supports_live: live,
            region: e.region().into(),
        })
        .collect();
    Platforms {
        total_count: platforms.len(),
        platforms,
        default: "all".into(),
        timestamp: state.clock.now(),
    }
}

/// Request counts read back from the Prometheus registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
pub struct RequestCounts {
    /// Every HTTP request answered since start.
    pub total: f64,
    /// Answers with a 5xx status.
    pub server_errors: f64,
    /// Answers with a 4xx status.
    pub client_errors: f64,
}

/// Sums `http_requests_total` by status class and reads the `ws_clients` and `sse_clients`
/// gauges from Prometheus text.
pub fn read_prometheus(text: &str) -> (RequestCounts, f64) {
    let mut counts = RequestCounts::default();
    let mut realtime = 0.0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.trim().parse::<f64>() else {
            continue;
        };
        let name = series.split('{').next().unwrap_or_default();
        match name {
            "http_requests_total" => {
                counts.total += value;
                if series.contains("status=\"5") {
                    counts.server_errors += value;
                } else if series.contains("status=\"4") {
                    counts.client_errors += value;
                }
            }
            "ws_clients" | "sse_clients" => realtime += value,
            _ => {}
        }
    }
    (counts, realtime)
}

/// `GET /api/metrics` as JSON.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetricsSummary {
    pub requests: RequestCounts,
    /// `requests.server_errors`, the figure the dashboard shows as errors.
    pub errors: f64,
    /// Open WebSocket and SSE connections.
    pub realtime_clients: f64,
    /// The caller's trades closed since UTC midnight.
    pub trades_today: u64,
    /// Background engines: enabled, last tick, lag.
    #[schema(value_type = Object)]
    pub engines: BTreeMap<String, crate::engine::EngineStatus>,
    pub uptime_seconds: u64,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
}

pub async fn metrics_summary(state: &AppState, user_id: &str) -> AppResult<MetricsSummary> {
    let now = state.clock.now();
    let (requests, realtime) = read_prometheus(&state.metrics.render());
    let today = bucket_start(now, Period::Daily);
    let trades = state.store.trade_stats.totals(user_id, Some(today)).await?;
    Ok(MetricsSummary {
        requests,
        errors: requests.server_errors,
        realtime_clients: realtime,
        trades_today: trades.results.total,
        engines: state.engines.snapshot(now),
        uptime_seconds: state.started_at.elapsed().as_secs(),
        timestamp: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_text_is_summed_by_status_class() {
        let text = "# TYPE http_requests_total counter\n\
            http_requests_total{path=\"/a\",method=\"GET\",status=\"200\"} 7\n\
            http_requests_total{path=\"/b\",method=\"GET\",status=\"404\"} 2\n\
            http_requests_total{path=\"/b\",method=\"POST\",status=\"503\"} 1\n\
            ws_clients 3\nsse_clients 1\nhttp_request_duration_seconds_sum 0.5\n";
        let (counts, realtime) = read_prometheus(text);
        assert_eq!(
            counts,
            RequestCounts {
                total: 10.0,
                server_errors: 1.0,
                client_errors: 2.0
            }
        );
        assert_eq!(realtime, 4.0);
    }
}
