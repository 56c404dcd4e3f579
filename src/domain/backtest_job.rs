//! A backtest as a job users submit and read back: its request, status, progress and result.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::backtest::{BacktestOutcome, Metrics};
use crate::domain::strategy::trader::ClosedTrade;
use crate::domain::strategy::StrategySpec;
use crate::domain::sweep::{SweepResult, SweepSpec};

/// `POST /api/backtests/sweep`: a backtest request plus the grid to sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SweepRequest {
    #[serde(flatten)]
    pub backtest: BacktestRequest,
    #[serde(flatten)]
    pub sweep: SweepSpec,
}

/// `POST /api/backtests`: what to run. Times are epoch ms or ISO 8601 strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BacktestRequest {
    pub exchange: String,
    /// `BASE/QUOTE`.
    pub pair: String,
    pub timeframe: String,
    pub strategy: StrategySpec,
    /// First candle's open time (epoch ms or ISO 8601); default: the first stored.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub start: Option<serde_json::Value>,
    /// Last candle's open time; default: the last stored.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub end: Option<serde_json::Value>,
    pub initial_capital: f64,
    /// Per leg, bps of notional; default: the exchange's taker fee.
    #[serde(default)]
    pub fee_bps: Option<f64>,
    /// Per fill, against the trader; default 0.
    #[serde(default)]
    pub slippage_bps: Option<f64>,
    /// Default 100.
    #[serde(default)]
    pub position_size_pct: Option<f64>,
    #[serde(default)]
    pub stop_loss_pct: Option<f64>,
    #[serde(default)]
    pub take_profit_pct: Option<f64>,
    #[serde(default)]
    pub trailing_stop_pct: Option<f64>,
    #[serde(default)]
    pub cooldown_candles: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// Still waiting or working (counts against the per-user limit).
    pub fn is_active(self) -> bool {
        matches!(self, JobStatus::Queued | JobStatus::Running)
    }
}

/// One stored backtest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BacktestJob {
    pub id: String,
    pub user_id: String,
    pub status: JobStatus,
    /// 0..1.
    pub progress: f64,
    pub request: BacktestRequest,
    /// Why it failed.
    pub error: Option<String>,
    pub metrics: Option<Metrics>,
    pub trades: Vec<ClosedTrade>,
    /// `[[time_ms, equity], ...]`, at most 2,000 points.
    #[schema(value_type = Vec<Vec<f64>>)]
    pub equity: Vec<(i64, f64)>,
    /// Candles the run read.
    pub candles: u64,
    /// For a sweep: its grid, objective and walk-forward (`null` for a single backtest).
    #[serde(default)]
    pub sweep: Option<SweepSpec>,
    /// For a sweep: every combination ranked, and each fold's out-of-sample result.
    #[serde(default)]
    pub sweep_result: Option<SweepResult>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<DateTime<Utc>>,
    /// For a training run (`POST /api/training/start`): the bot it trains (`null` otherwise).
    #[serde(default)]
    pub training: Option<TrainingTag>,
}

/// A backtest started as a bot's training run: a paper run of the bot's own strategy over the
/// latest `duration_hours` of its stored candles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TrainingTag {
    pub bot_id: String,
    pub bot_name: String,
    pub exchange: String,
    pub duration_hours: f64,
}

impl BacktestJob {
    pub fn queued(id: String, user_id: &str, request: BacktestRequest, now: DateTime<Utc>) -> Self {
        BacktestJob {
            id,
            user_id: user_id.to_string(),
            status: JobStatus::Queued,
            progress: 0.0,
            request,
            error: None,
            metrics: None,
            trades: Vec::new(),
            equity: Vec::new(),
            candles: 0,
            sweep: None,
            sweep_result: None,
            created_at: now,
            finished_at: None,
            training: None,
        }
    }

    /// Records a finished run.
    pub fn complete(&mut self, outcome: BacktestOutcome, candles: usize, now: DateTime<Utc>) {
        self.status = JobStatus::Done;
        self.progress = 1.0;
        self.metrics = Some(outcome.metrics);
        self.trades = outcome.trades;
        self.equity = outcome.equity;
        self.candles = candles as u64;
        self.finished_at = Some(now);
    }

    pub fn fail(&mut self, error: impl Into<String>, now: DateTime<Utc>) {
        self.status = JobStatus::Failed;
        self.error = Some(error.into());
        self.finished_at = Some(now);
    }
}
