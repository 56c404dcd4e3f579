//! AI panel use cases: market regime and results sentiment (`/api/ai/insights`) and the
//! statistical forecast (`/api/ml/predict`), computed from stored candles and trades; each
//! answer says where it came from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::bot::{BotStatus, Exchange};
use crate::domain::candles::{Candle, Pair, Series, Timeframe};
use crate::domain::dashboard::{sentiment, Sentiment};
use crate::domain::decision::Decision;
use crate::domain::forecast::{self, Regime, METHOD};
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;

/// Candles a regime or forecast reads (the newest of the series).
pub const WINDOW: u32 = 100;
/// Closed trades the sentiment reads.
pub const SENTIMENT_TRADES: u32 = 50;

async fn closes(state: &AppState, series: &Series) -> AppResult<Vec<f64>> {
    let candles: Vec<Candle> = state
        .store
        .candles
        .range(series, None, None, WINDOW)
        .await?;
    Ok(candles.iter().map(|c| c.close).collect())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairRegime {
    pub pair: String,
    pub exchange: String,
    pub timeframe: String,
    pub candles: usize,
    pub regime: Regime,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InsightHealth {
    pub database: String,
    pub active_bots: u64,
    pub emergency_stop: bool,
}

/// `GET /api/ai/insights`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Insights {
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
    pub user_id: String,
    /// One readable paragraph.
    pub insights: String,
    /// The regime of the pair most of the user's bots trade (`unknown` without candles).
    pub regime: Regime,
    /// Every pair of the user's bots that has candles.
    pub pairs: Vec<PairRegime>,
    pub sentiment: Sentiment,
    pub last_decision: Option<Decision>,
    pub system_health: InsightHealth,
}

pub async fn insights(state: &AppState, user_id: &str) -> AppResult<Insights> {
    let now = state.clock.now();
    let bots = state.store.bots.list(user_id, None).await?;
    // Series by how many bots trade them, most first (ties: name order).
    let mut by_series: BTreeMap<String, (Series, usize)> = BTreeMap::new();
    for bot in &bots {
        let s = bot.series();
        by_series.entry(s.to_string()).or_insert((s, 0)).1 += 1;
    }
    let mut ranked: Vec<(Series, usize)> = by_series.into_values().collect();
    ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
    let mut pairs = Vec::new();
    for (series, _) in ranked {
        let closes = closes(state, &series).await?;
        let per_day = 86_400_000.0 / series.timeframe.millis() as f64;
        if let Some(regime) = forecast::regime(&closes, per_day) {
            pairs.push(PairRegime {
                pair: series.pair.to_string(),
                exchange: series.exchange.as_str().into(),
                timeframe: series.timeframe.to_string(),
                candles: closes.len(),
                regime,
            });
        }
    }
    let regime = pairs.first().map(|p| p.regime.clone()).unwrap_or(Regime {
        current: "unknown".into(),
        confidence: 0.0,
        description: "No stored candles for the pairs your bots trade yet".into(),
    });
    let trades = state.store.trades.recent(user_id, SENTIMENT_TRADES).await?;
    let wins = trades.iter().filter(|t| t.profit_loss > 0.0).count();
    let losses = trades.iter().filter(|t| t.profit_loss < 0.0).count();
    let sentiment = sentiment(wins, losses, trades.len());
    let last_decision = state.store.decisions.recent(user_id, 1).await?.pop();
    let settings = state.store.settings.get(user_id, now).await?;
    let active = bots
        .iter()
        .filter(|b| b.status == BotStatus::Active)
        .count() as u64;
    let db = state.store.admin.ping().await.is_ok();
    let market = match pairs.first() {
        Some(p) => format!(
            "{} on {} is {} ({}).",
            p.pair,
            p.exchange,
            p.regime.current.replace('_', " "),
            p.regime.description
        ),
        None => "There are no stored candles for your bots' pairs yet, so no market regime.".into(),
    };
    let results = if trades.is_empty() {
        "You have no closed trades yet.".to_string()
    } else {
        format!(
            "Of your last {} closed trades {} won and {} lost, so your results sentiment is {}.",
            trades.len(),
            wins,
            losses,
            sentiment.overall
        )
    };
    Ok(Insights {
        timestamp: now,
        user_id: user_id.into(),
        insights: format!(
            "{market} {results} {active} of your {} bots are active{}.",
            bots.len(),
            if settings.emergency_stop {
                " and your emergency stop is on"
            } else {
                ""
            }
        ),
        regime,
        pairs,
        sentiment,
        last_decision,
        system_health: InsightHealth {
            database: if db { "connected" } else { "disconnected" }.into(),
            active_bots: active,
            emergency_stop: settings.emergency_stop,
        },
    })
}

/// `GET /api/ml/predict`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Prediction {
    pub pair: String,
    pub platform: String,
    pub timeframe: String,
    pub current_price: f64,
    pub prediction_1h: f64,
    pub prediction_24h: f64,
    /// `up` | `down` | `flat`.
    pub direction: String,
    /// R² of the fit, percent.
    pub confidence: f64,
    /// Percent from the current price to the 24 h prediction.
    pub predicted_change: f64,
    /// The statistical method (no machine-learned model is involved).
    pub method: String,
    pub candles_used: usize,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: DateTime<Utc>,
}

/// The series to forecast from `BTC-ZAR` or `BTC/ZAR`, the platform and the timeframe; 422
/// naming each bad field.
pub fn prediction_series(symbol: &str, platform: &str, timeframe: &str) -> AppResult<Series> {
    let mut errors = Vec::new();
    let pair = Pair::parse(&symbol.replace(['-', '_'], "/"));
    if pair.is_none() {
        errors.push(FieldError::new(
            "symbol",
            "must look like BTC-ZAR or BTC/ZAR",
        ));
    }
    let exchange = Exchange::parse(platform);
    if exchange.is_none() {
        errors.push(FieldError::new(
            "platform",
            "must be one of luno, binance, kucoin, valr, ovex",
        ));
    }
    let tf = Timeframe::parse(timeframe);
    if tf.is_none() {
        errors.push(FieldError::new(
            "timeframe",
            format!("must be one of {}", Timeframe::ALLOWED),
        ));
    }
    match (pair, exchange, tf) {
        (Some(p), Some(e), Some(t)) => Ok(Series::new(e, p, t)),
        _ => Err(AppError::validation(errors)),
    }
}

pub async fn predict(state: &AppState, series: &Series) -> AppResult<Prediction> {
    let closes = closes(state, series).await?;
    let f = forecast::forecast(&closes, series.timeframe.millis()).ok_or_else(|| {
        AppError::not_found(
            "NO_CANDLES",
            format!(
                "No forecast: fewer than 2 stored {series} candles (import or download them first)"
            ),
        )
    })?;
    Ok(Prediction {
        pair: series.pair.to_string(),
        platform: series.exchange.as_str().into(),
        timeframe: series.timeframe.to_string(),
        current_price: f.current_price,
        prediction_1h: f.prediction_1h,
        prediction_24h: f.prediction_24h,
        direction: f.direction.into(),
        confidence: f.confidence,
        predicted_change: (f.predicted_change * 10_000.0).round() / 10_000.0,
        method: METHOD.into(),
        candles_used: closes.len(),
        timestamp: state.clock.now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prediction_symbols_accept_dash_and_slash() {
        let s = prediction_series("btc-zar", "luno", "1h").unwrap();
        assert_eq!(
            s.to_string(),
            prediction_series("BTC/ZAR", "LUNO", "1h")
                .unwrap()
                .to_string()
        );
        assert!(prediction_series("BTC", "nowhere", "1h").is_err());
    }
}
