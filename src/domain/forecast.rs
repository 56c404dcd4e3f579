//! Transparent statistics on stored closes: an ordinary least-squares line through the log
//! closes (its slope is the trend, its R² the confidence), the forecast that line extends to,
//! and the market regime (trend and volatility) the dashboard shows.

use serde::Serialize;
use utoipa::ToSchema;

/// Names the forecast method in answers.
pub const METHOD: &str = "ols_linear_regression_on_log_close";

/// Daily volatility (standard deviation of log returns scaled to a day) above which a market
/// counts as volatile, whatever its trend: 5 % a day.
pub const VOLATILE_DAILY: f64 = 0.05;

/// R² from which a line counts as a trend.
pub const TREND_R2: f64 = 0.5;

/// The fitted line `ln(close) = intercept + slope × index` (index 0 = oldest candle).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogFit {
    pub intercept: f64,
    /// Log change per candle.
    pub slope: f64,
    /// Coefficient of determination, 0..=1 (1 for a flat series fitted exactly).
    pub r_squared: f64,
    pub n: usize,
}

impl LogFit {
    /// The line's price `steps` candles after the newest one.
    pub fn price_after(&self, steps: f64) -> f64 {
        (self.intercept + self.slope * ((self.n as f64 - 1.0) + steps)).exp()
    }
}

/// Least squares through `ln(close)`; None with fewer than 2 closes or a non-positive close.
pub fn fit_log(closes: &[f64]) -> Option<LogFit> {
    let n = closes.len();
    if n < 2 || closes.iter().any(|c| !(c.is_finite() && *c > 0.0)) {
        return None;
    }
    let ys: Vec<f64> = closes.iter().map(|c| c.ln()).collect();
    let nf = n as f64;
    let mean_x = (nf - 1.0) / 2.0;
    let mean_y = ys.iter().sum::<f64>() / nf;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, y) in ys.iter().enumerate() {
        let dx = i as f64 - mean_x;
        sxy += dx * (y - mean_y);
        sxx += dx * dx;
    }
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let ss_tot: f64 = ys.iter().map(|y| (y - mean_y).powi(2)).sum();
    let ss_res: f64 = ys
        .iter()
        .enumerate()
        .map(|(i, y)| (y - (intercept + slope * i as f64)).powi(2))
        .sum();
    let r_squared = if ss_tot <= f64::EPSILON {
        1.0
    } else {
        (1.0 - ss_res / ss_tot).clamp(0.0, 1.0)
    };
    Some(LogFit {
        intercept,
        slope,
        r_squared,
        n,
    })
}

/// Sample standard deviation of the log returns between consecutive closes (0 for < 3 closes).
pub fn log_return_stdev(closes: &[f64]) -> f64 {
    let rets: Vec<f64> = closes
        .windows(2)
        .filter(|w| w[0] > 0.0 && w[1] > 0.0)
        .map(|w| (w[1] / w[0]).ln())
        .collect();
    if rets.len() < 2 {
        return 0.0;
    }
    let mean = rets.iter().sum::<f64>() / rets.len() as f64;
    let var = rets.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (rets.len() as f64 - 1.0);
    var.sqrt()
}

/// A forecast from the fitted line.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub current_price: f64,
    pub prediction_1h: f64,
    pub prediction_24h: f64,
    /// Percent from the current price to the 24 h prediction.
    pub predicted_change: f64,
    /// `up` / `down` beyond ±0.1 %, else `flat`.
    pub direction: &'static str,
    /// R² of the fit, in percent.
    pub confidence: f64,
}

/// Extends the line through `closes` (one per `candle_ms`) 1 h and 24 h past the newest.
pub fn forecast(closes: &[f64], candle_ms: i64) -> Option<Forecast> {
    let fit = fit_log(closes)?;
    let current = *closes.last()?;
    let per_hour = 3_600_000.0 / candle_ms.max(1) as f64;
    let p1 = fit.price_after(per_hour);
    let p24 = fit.price_after(24.0 * per_hour);
    let change = (p24 / current - 1.0) * 100.0;
    let direction = if change > 0.1 {
        "up"
    } else if change < -0.1 {
        "down"
    } else {
        "flat"
    };
    Some(Forecast {
        current_price: current,
        prediction_1h: p1,
        prediction_24h: p24,
        predicted_change: change,
        direction,
        confidence: (fit.r_squared * 10_000.0).round() / 100.0,
    })
}

/// The market regime of one series.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Regime {
    /// `trending_up` | `trending_down` | `ranging` | `volatile`.
    pub current: String,
    /// 0..=1.
    pub confidence: f64,
    pub description: String,
}

/// Volatile when the daily volatility passes [`VOLATILE_DAILY`]; else a trend when the log
/// line explains at least [`TREND_R2`] of the moves; else ranging. `candles_per_day` scales
/// the per-candle volatility to a day (√ time).
pub fn regime(closes: &[f64], candles_per_day: f64) -> Option<Regime> {
    let fit = fit_log(closes)?;
    let daily_vol = log_return_stdev(closes) * candles_per_day.max(1.0).sqrt();
    let window_move = ((fit.slope * (fit.n as f64 - 1.0)).exp() - 1.0) * 100.0;
    let (current, confidence) = if daily_vol > VOLATILE_DAILY {
        (
            "volatile",
            (daily_vol / (2.0 * VOLATILE_DAILY)).clamp(0.5, 1.0),
        )
    } else if fit.r_squared >= TREND_R2 && fit.slope > 0.0 {
        ("trending_up", fit.r_squared)
    } else if fit.r_squared >= TREND_R2 && fit.slope < 0.0 {
        ("trending_down", fit.r_squared)
    } else {
        ("ranging", 1.0 - fit.r_squared)
    };
    Some(Regime {
        current: current.into(),
        confidence: (confidence * 100.0).round() / 100.0,
        description: format!(
            "Over the last {} candles the trend line moved {:+.2}% (R² {:.2}); daily volatility {:.2}%.",
            fit.n,
            window_move,
            fit.r_squared,
            daily_vol * 100.0
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_exponential_is_fitted_exactly() {
        // close_i = 100 × 1.01^i: slope ln(1.01), R² 1.
        let closes: Vec<f64> = (0..10).map(|i| 100.0 * 1.01f64.powi(i)).collect();
        let fit = fit_log(&closes).unwrap();
        assert!((fit.slope - 1.01f64.ln()).abs() < 1e-12);
        assert!((fit.intercept - 100f64.ln()).abs() < 1e-9);
        assert!((fit.r_squared - 1.0).abs() < 1e-12);
        // Hourly candles: 1 h ahead is index 10, 24 h ahead index 33.
        let f = forecast(&closes, 3_600_000).unwrap();
        assert!((f.prediction_1h - 100.0 * 1.01f64.powi(10)).abs() < 1e-6);
        assert!((f.prediction_24h - 100.0 * 1.01f64.powi(33)).abs() < 1e-6);
        assert_eq!((f.direction, f.confidence), ("up", 100.0));
        // 1.01^24 - 1 = 26.97 %.
        assert!((f.predicted_change - (1.01f64.powi(24) - 1.0) * 100.0).abs() < 1e-9);
    }

    #[test]
    fn r_squared_matches_a_hand_computed_fit() {
        // ln closes 0, 1, 0, 1 (e^0, e^1, ...): x̄ 1.5, ȳ 0.5, Sxy 1.0, Sxx 5 -> slope 0.2,
        // intercept 0.2; residuals -0.2, 0.6, -0.6, 0.2 -> SSres 0.8; SStot 1 -> R² 0.2.
        let e = std::f64::consts::E;
        let fit = fit_log(&[1.0, e, 1.0, e]).unwrap();
        assert!((fit.slope - 0.2).abs() < 1e-12);
        assert!((fit.intercept - 0.2).abs() < 1e-12);
        assert!((fit.r_squared - 0.2).abs() < 1e-12);
    }

    #[test]
    fn no_fit_without_two_positive_closes() {
        assert_eq!(fit_log(&[100.0]), None);
        assert_eq!(fit_log(&[100.0, 0.0]), None);
        assert_eq!(forecast(&[], 60_000), None);
    }

    #[test]
    fn regimes_follow_trend_and_volatility() {
        let up: Vec<f64> = (0..48).map(|i| 100.0 * 1.001f64.powi(i)).collect();
        assert_eq!(regime(&up, 24.0).unwrap().current, "trending_up");
        let down: Vec<f64> = up.iter().rev().copied().collect();
        assert_eq!(regime(&down, 24.0).unwrap().current, "trending_down");
        // Alternating ±0.1 %: no trend, daily vol ~0.1 % × √24 < 5 %.
        let flat: Vec<f64> = (0..48)
            .map(|i| if i % 2 == 0 { 100.0 } else { 100.1 })
            .collect();
        assert_eq!(regime(&flat, 24.0).unwrap().current, "ranging");
        // Alternating ±5 % on hourly candles: daily vol ~25 %.
        let wild: Vec<f64> = (0..48)
            .map(|i| if i % 2 == 0 { 100.0 } else { 105.0 })
            .collect();
        let r = regime(&wild, 24.0).unwrap();
        assert_eq!((r.current.as_str(), r.confidence), ("volatile", 1.0));
    }
}
