//! Backtest use cases shared by the API and the CLI: checking a request, loading its candles,
//! and running jobs in a bounded worker pool with progress, cancellation and events.

use crate::domain::candles::{Candle, Series};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::candles::CandleRepo;

/// The most candles one backtest reads (about 9.5 years of 1m candles, ~240 MB in memory).
pub const MAX_BACKTEST_CANDLES: u32 = 5_000_000;

/// The stored candles of `series` with `start <= open_time <= end`, oldest first. No candles
/// is a 422 naming the dataset (and what is stored, so the user can pick a range that exists).
pub async fn load_candles(
    repo: &dyn CandleRepo,
    series: &Series,
    start: Option<i64>,
    end: Option<i64>,
) -> AppResult<Vec<Candle>> {
    let since = Some(start.unwrap_or(0));
    let candles = repo
        .range(series, since, end, MAX_BACKTEST_CANDLES + 1)
        .await?;
    if candles.len() > MAX_BACKTEST_CANDLES as usize {
        return Err(AppError::validation(vec![FieldError::new(
            "end",
            format!(
                "the range holds more than {MAX_BACKTEST_CANDLES} candles; choose a shorter one"
            ),
        )]));
    }
    if candles.is_empty() {
        let stored = repo.last_open_time(series).await?;
        let hint = if stored.is_some() {
            "there are stored candles for it, but none in the chosen start..end range"
        } else {
            "nothing is stored for it yet (amarktai data import|download)"
        };
        return Err(AppError::validation(vec![FieldError::new(
            "dataset",
            format!("no {series} candles: {hint}"),
        )]));
    }
    Ok(candles)
}

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::app::events::emit;
use crate::domain::backtest::{self, BacktestSpec, Cancelled};
use crate::domain::backtest_job::{BacktestJob, BacktestRequest, JobStatus};
use crate::domain::bot_enums::Exchange;
use crate::domain::candles::{parse_time_ms, Pair, Timeframe};
use crate::domain::fees::default_fees;
use crate::domain::strategy::risk::RiskParams;
use crate::domain::strategy::trader::Costs;
use crate::domain::strategy::validate as validate_strategy;
use crate::events::EventType;
use crate::state::AppState;

/// The bounded pool backtests run in, and the cancel flags of the jobs in it.
pub struct BacktestRunner {
    slots: Arc<Semaphore>,
    cancels: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

impl BacktestRunner {
    pub fn new(workers: usize) -> Self {
        BacktestRunner {
            slots: Arc::new(Semaphore::new(workers.max(1))),
            cancels: Mutex::new(HashMap::new()),
        }
    }

    fn flag(&self, id: &str) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        if let Ok(mut map) = self.cancels.lock() {
            map.insert(id.to_string(), flag.clone());
        }
        flag
    }

    fn forget(&self, id: &str) {
        if let Ok(mut map) = self.cancels.lock() {
            map.remove(id);
        }
    }

    /// Asks a queued or running job to stop (it stops at its next progress point).
    pub fn cancel(&self, id: &str) {
        if let Ok(map) = self.cancels.lock() {
            if let Some(flag) = map.get(id) {
                flag.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// A request checked field by field, ready to run.
#[derive(Debug, Clone)]
pub struct ValidBacktest {
    pub series: Series,
    pub spec: BacktestSpec,
    pub start: Option<i64>,
    pub end: Option<i64>,
}

fn time_field(
    field: &str,
    raw: &Option<serde_json::Value>,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    let value = raw.as_ref()?;
    let parsed = match value {
        serde_json::Value::Number(n) => n.as_f64().and_then(crate::domain::candles::epoch_ms),
        serde_json::Value::String(s) => parse_time_ms(s),
        serde_json::Value::Null => return None,
        _ => None,
    };
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            "must be epoch ms, epoch s or an ISO 8601 time",
        ));
    }
    parsed
}

/// Checks every field (one message each) and builds the run.
pub fn validate(req: &BacktestRequest) -> AppResult<ValidBacktest> {
    let mut errors = Vec::new();
    let exchange = Exchange::parse(&req.exchange);
    if exchange.is_none() {
        errors.push(FieldError::new(
            "exchange",
            "must be one of luno, binance, kucoin, valr, ovex",
        ));
    }
    let pair = Pair::parse(&req.pair);
    if pair.is_none() {
        errors.push(FieldError::new(
            "pair",
            "must look like BASE/QUOTE, e.g. BTC/ZAR",
        ));
    }
    let timeframe = Timeframe::parse(&req.timeframe);
    if timeframe.is_none() {
        errors.push(FieldError::new(
            "timeframe",
            format!("must be one of {}", Timeframe::ALLOWED),
        ));
    }
    let strategy = match validate_strategy(&req.strategy) {
        Ok(s) => Some(s),
        Err(mut e) => {
            errors.append(&mut e);
            None
        }
    };
    let start = time_field("start", &req.start, &mut errors);
    let end = time_field("end", &req.end, &mut errors);
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            errors.push(FieldError::new("end", "must not be before start"));
        }
    }
    if !(req.initial_capital.is_finite()
        && req.initial_capital > 0.0
        && req.initial_capital <= 1e12)
    {
        errors.push(FieldError::new(
            "initial_capital",
            "must be a number above 0 (at most 1e12)",
        ));
    }
    let bps = |field: &str, v: Option<f64>, errors: &mut Vec<FieldError>| {
        if let Some(v) = v {
            if !(v.is_finite() && (0.0..=1_000.0).contains(&v)) {
                errors.push(FieldError::new(field, "must be between 0 and 1000"));
            }
        }
    };
    bps("fee_bps", req.fee_bps, &mut errors);
    bps("slippage_bps", req.slippage_bps, &mut errors);
    let risk = RiskParams {
        stop_loss_pct: req.stop_loss_pct.unwrap_or(0.0),
        take_profit_pct: req.take_profit_pct.unwrap_or(0.0),
        trailing_stop_pct: req.trailing_stop_pct.unwrap_or(0.0),
        position_size_pct: req.position_size_pct.unwrap_or(100.0),
        cooldown_candles: req.cooldown_candles.unwrap_or(0),
    };
    if let Err(mut e) = risk.check() {
        errors.append(&mut e);
    }
    match (exchange, pair, timeframe, strategy) {
        (Some(exchange), Some(pair), Some(timeframe), Some(strategy)) if errors.is_empty() => {
            let fee_bps = req.fee_bps.unwrap_or_else(|| {
                default_fees(exchange.as_str()).map_or(10.0, |f| f.taker_fee_bps)
            });
            Ok(ValidBacktest {
                series: Series::new(exchange, pair, timeframe),
                spec: BacktestSpec {
                    strategy,
                    timeframe,
                    risk,
                    costs: Costs {
                        fee_bps,
                        slippage_bps: req.slippage_bps.unwrap_or(0.0),
                    },
                    initial_capital: req.initial_capital,
                },
                start,
                end,
            })
        }
        _ => Err(AppError::validation(errors)),
    }
}

/// Queues a backtest: 422 for a bad request or no candles in the range, 429 when the user
/// already has `BACKTEST_MAX_QUEUED_PER_USER` queued or running.
pub async fn submit(
    state: &AppState,
    user_id: &str,
    req: BacktestRequest,
) -> AppResult<BacktestJob> {
    submit_tagged(state, user_id, req, None).await
}

/// `submit` for a bot's training run: the same checks and pool, the job tagged with the bot.
pub async fn submit_tagged(
    state: &AppState,
    user_id: &str,
    req: BacktestRequest,
    training: Option<crate::domain::backtest_job::TrainingTag>,
) -> AppResult<BacktestJob> {
    let valid = validate(&req)?;
    check_runnable(state, user_id, &valid).await?;
    let mut job = BacktestJob::queued(
        uuid::Uuid::new_v4().to_string(),
        user_id,
        req,
        state.clock.now(),
    );
    job.training = training;
    enqueue(state, job, valid, Work::Single).await
}

/// What a job computes.
enum Work {
    Single,
    Sweep {
        combos: Vec<std::collections::BTreeMap<String, f64>>,
        skipped: usize,
        sweep: crate::domain::sweep::SweepSpec,
    },
}

enum Finished {
    Single(crate::domain::backtest::BacktestOutcome),
    Sweep(crate::domain::sweep::SweepResult),
}

/// 422 naming the dataset when no candles lie in the range; 429 when the user's queue is full.
async fn check_runnable(state: &AppState, user_id: &str, valid: &ValidBacktest) -> AppResult<()> {
    let probe = state
        .store
        .candles
        .range(&valid.series, Some(valid.start.unwrap_or(0)), valid.end, 1)
        .await?;
    if probe.is_empty() {
        // Same words as a run that finds nothing, so the user sees which dataset is missing.
        load_candles(
            state.store.candles.as_ref(),
            &valid.series,
            valid.start,
            valid.end,
        )
        .await?;
    }
    let max = state.config.trading.backtest_max_queued_per_user;
    if state.store.backtests.count_active(user_id).await? >= u64::from(max) {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "BACKTEST_QUEUE_FULL",
            format!("You already have {max} backtests queued or running; wait for one to finish or cancel it"),
        ));
    }
    Ok(())
}

async fn enqueue(
    state: &AppState,
    job: BacktestJob,
    valid: ValidBacktest,
    work: Work,
) -> AppResult<BacktestJob> {
    state.store.backtests.insert(&job).await?;
    let cancel = state.backtests.flag(&job.id);
    tokio::spawn(run_job(state.clone(), job.clone(), valid, work, cancel));
    Ok(job)
}

/// Queues a parameter sweep (`domain::sweep`): a backtest's checks plus the grid's.
pub async fn submit_sweep(
    state: &AppState,
    user_id: &str,
    req: crate::domain::backtest_job::SweepRequest,
) -> AppResult<BacktestJob> {
    let valid = validate(&req.backtest);
    let combos = crate::domain::sweep::combinations(&req.backtest.strategy, &req.sweep);
    let (valid, (combos, skipped)) = match (valid, combos) {
        (Ok(v), Ok(c)) => (v, c),
        (Err(mut e), Err(f)) => {
            e.fields.extend(f);
            return Err(e);
        }
        (Err(e), Ok(_)) => return Err(e),
        (Ok(_), Err(f)) => return Err(AppError::validation(f)),
    };
    check_runnable(state, user_id, &valid).await?;
    let mut job = BacktestJob::queued(
        uuid::Uuid::new_v4().to_string(),
        user_id,
        req.backtest,
        state.clock.now(),
    );
    job.sweep = Some(req.sweep.clone());
    let work = Work::Sweep {
        combos,
        skipped,
        sweep: req.sweep,
    };
    enqueue(state, job, valid, work).await
}

/// Cancels (if running) and deletes a job; false when the user has no such job.
pub async fn delete(state: &AppState, user_id: &str, id: &str) -> AppResult<bool> {
    let Some(job) = state.store.backtests.find(user_id, id).await? else {
        return Ok(false);
    };
    state.backtests.cancel(&job.id);
    let deleted = state.store.backtests.delete(user_id, id).await?;
    if deleted && job.status.is_active() {
        emit(
            state,
            user_id,
            EventType::BacktestCompleted,
            json!({"id": id, "status": JobStatus::Cancelled}),
        );
    }
    Ok(deleted)
}

async fn run_job(
    state: AppState,
    mut job: BacktestJob,
    valid: ValidBacktest,
    work: Work,
    cancel: Arc<AtomicBool>,
) {
    let id = job.id.clone();
    let result = run_job_inner(&state, &mut job, valid, work, cancel.clone()).await;
    state.backtests.forget(&id);
    if cancel.load(Ordering::SeqCst) {
        return; // deleted by its owner: nothing left to write
    }
    let now = state.clock.now();
    if let Err(message) = result {
        job.fail(message, now);
    }
    match state.store.backtests.save(&job).await {
        Ok(true) => emit(
            &state,
            &job.user_id,
            EventType::BacktestCompleted,
            json!({"id": job.id, "status": job.status, "metrics": job.metrics, "error": job.error}),
        ),
        Ok(false) => {}
        Err(e) => tracing::warn!(backtest = %id, error = %e, "could not store a finished backtest"),
    }
}

/// Runs one job to its result; `Err` is the failure message shown to the user.
async fn run_job_inner(
    state: &AppState,
    job: &mut BacktestJob,
    valid: ValidBacktest,
    work: Work,
    cancel: Arc<AtomicBool>,
) -> Result<(), String> {
    let Ok(_permit) = state.backtests.slots.clone().acquire_owned().await else {
        return Err("the backtest pool is shut down".into());
    };
    if cancel.load(Ordering::SeqCst) {
        return Ok(());
    }
    job.status = JobStatus::Running;
    let saved = state
        .store
        .backtests
        .save(job)
        .await
        .map_err(|e| e.to_string())?;
    if !saved {
        cancel.store(true, Ordering::SeqCst);
        return Ok(());
    }
    emit(
        state,
        &job.user_id,
        EventType::BacktestProgress,
        json!({"id": job.id, "status": job.status, "progress": 0.0}),
    );
    let candles = load_candles(
        state.store.candles.as_ref(),
        &valid.series,
        valid.start,
        valid.end,
    )
    .await
    .map_err(|e| e.message)?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<f64>();
    let flag = cancel.clone();
    let spec = valid.spec.clone();
    let count = candles.len();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let task = tokio::task::spawn_blocking(move || match work {
        Work::Single => backtest::run(&spec, &candles, |p| {
            let _ = tx.send(p);
            !flag.load(Ordering::SeqCst)
        })
        .map(Finished::Single),
        Work::Sweep {
            combos,
            skipped,
            sweep,
        } => {
            // One sweep uses every core: its combinations are split across threads.
            let tx = Mutex::new(tx);
            let report = |p: f64| {
                if let Ok(tx) = tx.lock() {
                    let _ = tx.send(p);
                }
                !flag.load(Ordering::SeqCst)
            };
            let run = crate::domain::sweep::run;
            run(&spec, &combos, skipped, &sweep, &candles, threads, &report).map(Finished::Sweep)
        }
    });
    let progress_state = state.clone();
    let mut snapshot = job.clone();
    let forward = tokio::spawn(async move {
        let mut stored = 0.0;
        while let Some(p) = rx.recv().await {
            emit(
                &progress_state,
                &snapshot.user_id,
                EventType::BacktestProgress,
                json!({"id": snapshot.id, "status": JobStatus::Running, "progress": p}),
            );
            // GET shows the progress too, written every 5 %. These writes finish before the
            // final one (this task is awaited first), and a deleted job is not brought back.
            if p - stored >= 0.05 {
                stored = p;
                snapshot.progress = p;
                if let Err(e) = progress_state.store.backtests.save(&snapshot).await {
                    tracing::debug!(error = %e, "backtest progress not stored");
                }
            }
        }
    });
    let outcome = task.await;
    let _ = forward.await;
    match outcome {
        Ok(Ok(Finished::Single(outcome))) => {
            job.complete(outcome, count, state.clock.now());
            Ok(())
        }
        Ok(Ok(Finished::Sweep(result))) => {
            job.status = JobStatus::Done;
            job.progress = 1.0;
            job.candles = count as u64;
            job.sweep_result = Some(result);
            job.finished_at = Some(state.clock.now());
            Ok(())
        }
        Ok(Err(Cancelled)) => Ok(()),
        Err(e) => {
            tracing::error!(backtest = %job.id, error = %e, "backtest worker failed");
            Err("the strategy failed while running; nothing was saved".into())
        }
    }
}
