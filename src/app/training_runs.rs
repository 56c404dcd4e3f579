//! Training runs (`/api/training/start|history|{run_id}/status`): a paper backtest of one bot's
//! strategy over the latest `duration_hours` of its stored candles. Each run is a backtest job
//! (same simulator, pool and storage) tagged with the bot, so it also lists under
//! `/api/backtests`.

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::app::backtests::submit_tagged;
use crate::app::bots::load_bot;
use crate::domain::backtest_job::{BacktestJob, BacktestRequest, JobStatus, TrainingTag};
use crate::error::{AppError, AppResult, FieldError};
use crate::state::AppState;

/// Default and largest `duration_hours`.
pub const DEFAULT_HOURS: f64 = 24.0;
pub const MAX_HOURS: f64 = 24.0 * 90.0;
/// The most runs the history lists (the newest).
pub const HISTORY_LIMIT: u32 = 100;

/// One run as the dashboard's history lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrainingRun {
    pub run_id: String,
    pub bot_id: String,
    pub bot_name: String,
    pub exchange: String,
    /// Always `paper`: a training run never places orders.
    pub mode: String,
    /// Hours of candles the run covers.
    pub duration: f64,
    /// Final equity minus starting capital (`null` until finished).
    pub final_pnl: Option<f64>,
    /// `queued` | `running` | `completed` | `failed` | `cancelled`.
    pub status: String,
    /// 0..1.
    pub progress: f64,
    #[schema(value_type = String, format = DateTime)]
    pub started_at: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub completed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub trades_executed: u64,
    /// Return of the run in percent (`null` until finished).
    pub return_pct: Option<f64>,
    pub error: Option<String>,
}

impl TrainingRun {
    fn of(job: &BacktestJob, tag: &TrainingTag) -> Self {
        let status = match job.status {
            JobStatus::Done => "completed",
            other => other.as_str(),
        };
        TrainingRun {
            run_id: job.id.clone(),
            bot_id: tag.bot_id.clone(),
            bot_name: tag.bot_name.clone(),
            exchange: tag.exchange.clone(),
            mode: "paper".into(),
            duration: tag.duration_hours,
            final_pnl: job
                .metrics
                .as_ref()
                .map(|m| m.final_equity - job.request.initial_capital),
            status: status.into(),
            progress: job.progress,
            started_at: job.created_at,
            completed_at: job.finished_at,
            trades_executed: job.metrics.as_ref().map_or(0, |m| m.trades),
            return_pct: job.metrics.as_ref().map(|m| m.total_return_pct),
            error: job.error.clone(),
        }
    }
}

/// Checks `duration_hours` (default 24, 1..=2160).
pub fn duration(raw: Option<f64>) -> AppResult<f64> {
    let hours = raw.unwrap_or(DEFAULT_HOURS);
    if hours.is_finite() && (1.0..=MAX_HOURS).contains(&hours) {
        Ok(hours)
    } else {
        Err(AppError::validation(vec![FieldError::new(
            "duration_hours",
            format!("must be between 1 and {MAX_HOURS}"),
        )]))
    }
}

/// Queues the run: 404 for a bot the user does not have, 422 when no candles are stored for
/// the bot's series.
pub async fn start(
    state: &AppState,
    user_id: &str,
    bot_id: &str,
    hours: Option<f64>,
) -> AppResult<TrainingRun> {
    let hours = duration(hours)?;
    let bot = load_bot(state, user_id, bot_id).await?;
    let series = bot.series();
    let Some(last) = state.store.candles.last_open_time(&series).await? else {
        return Err(AppError::validation(vec![FieldError::new(
            "bot_id",
            format!("no {series} candles are stored, so there is nothing to train on"),
        )]));
    };
    let first = last - (hours * 3_600_000.0) as i64 + bot.timeframe.millis();
    let risk = bot.risk();
    let capital = if bot.current_capital > 0.0 {
        bot.current_capital
    } else {
        bot.initial_capital
    };
    let request = BacktestRequest {
        exchange: bot.exchange.as_str().to_string(),
        pair: bot.trading_pair().to_string(),
        timeframe: bot.timeframe.to_string(),
        strategy: bot.strategy.to_spec(),
        start: Some(json!(first.min(last))),
        end: Some(json!(last)),
        initial_capital: capital,
        fee_bps: None,
        slippage_bps: None,
        position_size_pct: Some(risk.position_size_pct),
        stop_loss_pct: Some(risk.stop_loss_pct),
        take_profit_pct: Some(risk.take_profit_pct),
        trailing_stop_pct: Some(risk.trailing_stop_pct),
        cooldown_candles: Some(risk.cooldown_candles),
    };
    let tag = TrainingTag {
        bot_id: bot.id.clone(),
        bot_name: bot.name.clone(),
        exchange: bot.exchange.as_str().to_string(),
        duration_hours: hours,
    };
    let job = submit_tagged(state, user_id, request, Some(tag.clone())).await?;
    Ok(TrainingRun::of(&job, &tag))
}

/// The user's training runs, newest first.
pub async fn history(state: &AppState, user_id: &str) -> AppResult<Vec<TrainingRun>> {
    let jobs = state
        .store
        .backtests
        .list_training(user_id, HISTORY_LIMIT)
        .await?;
    Ok(jobs
        .iter()
        .filter_map(|j| j.training.as_ref().map(|t| TrainingRun::of(j, t)))
        .collect())
}

/// One run; 404 for an unknown id, someone else's, or a backtest that is not a training run.
pub async fn status(state: &AppState, user_id: &str, run_id: &str) -> AppResult<TrainingRun> {
    let job = state.store.backtests.find(user_id, run_id).await?;
    job.as_ref()
        .and_then(|j| j.training.as_ref().map(|t| TrainingRun::of(j, t)))
        .ok_or_else(|| AppError::not_found("TRAINING_RUN_NOT_FOUND", "Training run not found"))
}
