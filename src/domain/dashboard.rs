//! Rules behind the old dashboard's panels: results sentiment, health scores from passed
//! checks, and the risk level of an exposure.

use serde::Serialize;
use utoipa::ToSchema;

/// How the user's own recent results lean.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sentiment {
    /// `positive` | `negative` | `neutral` | `unknown` (no closed trades).
    pub overall: String,
    /// (wins − losses) / trades, −1..=1.
    pub score: f64,
    /// Closed trades read.
    pub sources_count: usize,
    /// Where the sentiment comes from.
    pub source: String,
}

/// From the user's recent closed trades (wins and losses), not from news or social media.
pub fn sentiment(wins: usize, losses: usize, count: usize) -> Sentiment {
    let score = if count == 0 {
        0.0
    } else {
        (wins as f64 - losses as f64) / count as f64
    };
    let overall = if count == 0 {
        "unknown"
    } else if score > 0.2 {
        "positive"
    } else if score < -0.2 {
        "negative"
    } else {
        "neutral"
    };
    Sentiment {
        overall: overall.into(),
        score: (score * 100.0).round() / 100.0,
        sources_count: count,
        source: format!(
            "your last {count} closed trades (wins vs losses); no news or social data is used"
        ),
    }
}

/// `health_score` from passed checks: 100 × passed / total, and its words.
pub fn score(passed: usize, total: usize) -> (f64, &'static str) {
    let s = if total == 0 {
        100.0
    } else {
        (passed as f64 * 100.0 / total as f64).round()
    };
    let words = if s >= 90.0 {
        "healthy"
    } else if s >= 60.0 {
        "degraded"
    } else {
        "critical"
    };
    (s, words)
}

/// `low` below 25 % of capital in open positions, `medium` below 60 %, else `high`.
pub fn risk_level(exposure_pct: f64) -> &'static str {
    if exposure_pct < 25.0 {
        "low"
    } else if exposure_pct < 60.0 {
        "medium"
    } else {
        "high"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentiment_is_wins_minus_losses_over_trades() {
        let s = sentiment(3, 1, 4);
        assert_eq!(
            (s.overall.as_str(), s.score, s.sources_count),
            ("positive", 0.5, 4)
        );
        assert_eq!(sentiment(1, 1, 3).overall, "neutral");
        assert_eq!(sentiment(0, 2, 2).overall, "negative");
        assert_eq!(sentiment(0, 0, 0).overall, "unknown");
    }

    #[test]
    fn scores_are_the_share_of_passed_checks() {
        assert_eq!(score(4, 4), (100.0, "healthy"));
        assert_eq!(score(2, 3), (67.0, "degraded"));
        assert_eq!(score(1, 3), (33.0, "critical"));
        assert_eq!(score(0, 0), (100.0, "healthy"));
    }

    #[test]
    fn risk_follows_exposure() {
        assert_eq!(
            [risk_level(0.0), risk_level(25.0), risk_level(60.0)],
            ["low", "medium", "high"]
        );
    }
}
