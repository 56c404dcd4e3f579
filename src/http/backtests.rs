//! `/api/backtests`: queue a backtest, read its progress and result, list, cancel/delete
//! (SPEC §17). The work runs in `app::backtests`' bounded pool.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::backtests;
use crate::auth::CurrentUser;
use crate::domain::backtest::Metrics;
use crate::domain::backtest_job::{BacktestJob, BacktestRequest, JobStatus, SweepRequest};
use crate::error::{AppError, AppJson, AppResult};
use crate::http::query_params::clamped;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get_one, remove))
        .routes(routes!(create_sweep))
}

#[utoipa::path(
    post,
    path = "/api/backtests/sweep",
    operation_id = "post_api_backtests_sweep",
    tag = "Backtests",
    summary = "Queue a parameter sweep with optional walk-forward",
    description = "The backtest fields plus `grid: {param: [values]}` (at most 10,000 \
                   combinations; combinations the strategy refuses, e.g. fast >= slow, are \
                   skipped and counted), `objective` (sharpe, sortino, calmar, \
                   total_return_pct, cagr_pct, profit_factor, expectancy, win_rate_pct, \
                   max_drawdown_pct) and `walk_forward: {folds, train_pct}`. The result \
                   (`sweep_result` of GET /api/backtests/{id}) ranks every combination by the \
                   mean objective on the training windows and reports each fold's winner on the \
                   window after it. Uses every core.",
    request_body = SweepRequest,
    responses(
        (status = 202, description = "Queued", body = Queued)
    ),
    security(("bearerAuth" = []))
)]
async fn create_sweep(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AppJson(req): AppJson<SweepRequest>,
) -> AppResult<(StatusCode, Json<Queued>)> {
    let job = backtests::submit_sweep(&state, user.id(), req).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            id: job.id,
            status: job.status,
        }),
    ))
}

/// The answer to a queued backtest.
#[derive(Serialize, ToSchema)]
pub struct Queued {
    pub id: String,
    pub status: JobStatus,
}

#[utoipa::path(
    post,
    path = "/api/backtests",
    operation_id = "post_api_backtests",
    tag = "Backtests",
    summary = "Queue a backtest of a strategy on stored candles",
    description = "Conventions: signals on a candle's close, market fills at the next candle's \
                   open plus `slippage_bps` against the trader, `fee_bps` of notional on entry and \
                   exit, long only with fractional sizes, `position_size_pct` of equity per entry \
                   (default 100), stops/targets checked on each candle's high/low after entry \
                   (stop first), an open position closed at the last close. 422 names every bad \
                   field, or the dataset when no candles lie in start..end; 429 \
                   BACKTEST_QUEUE_FULL when the caller already has BACKTEST_MAX_QUEUED_PER_USER \
                   queued or running. Progress and completion arrive as `backtest_progress` / \
                   `backtest_completed` events.",
    request_body = BacktestRequest,
    responses(
        (status = 202, description = "Queued", body = Queued)
    ),
    security(("bearerAuth" = []))
)]
async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AppJson(req): AppJson<BacktestRequest>,
) -> AppResult<(StatusCode, Json<Queued>)> {
    let job = backtests::submit(&state, user.id(), req).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            id: job.id,
            status: job.status,
        }),
    ))
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
}

/// A backtest without its trade list and equity curve.
#[derive(Serialize, ToSchema)]
pub struct BacktestSummary {
    pub id: String,
    pub status: JobStatus,
    pub progress: f64,
    pub request: BacktestRequest,
    pub error: Option<String>,
    pub metrics: Option<Metrics>,
    pub trades_count: usize,
    pub candles: u64,
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/backtests",
    operation_id = "get_api_backtests",
    tag = "Backtests",
    summary = "The caller's backtests, newest first (without trades and equity)",
    params(("limit" = Option<u32>, Query, description = "1..=200, default 50")),
    responses(
        (status = 200, description = "OK", body = Vec<BacktestSummary>),
        (status = 422, description = "A query parameter is not valid (error.fields names it)", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Vec<BacktestSummary>>> {
    let limit = clamped("limit", q.limit.as_deref(), 50, (1, 200))?;
    let jobs = state.store.backtests.list(user.id(), limit).await?;
    Ok(Json(
        jobs.into_iter()
            .map(|j| BacktestSummary {
                trades_count: j.trades.len(),
                id: j.id,
                status: j.status,
                progress: j.progress,
                request: j.request,
                error: j.error,
                metrics: j.metrics,
                candles: j.candles,
                created_at: j.created_at.to_rfc3339(),
                finished_at: j.finished_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
    ))
}

fn not_found() -> AppError {
    AppError::not_found("BACKTEST_NOT_FOUND", "Backtest not found")
}

#[utoipa::path(
    get,
    path = "/api/backtests/{id}",
    operation_id = "get_api_backtests_id",
    tag = "Backtests",
    summary = "One backtest: status, progress, request, metrics, trades, equity",
    params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = BacktestJob)),
    security(("bearerAuth" = []))
)]
async fn get_one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<BacktestJob>> {
    let job = state
        .store
        .backtests
        .find(user.id(), &id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(job))
}

/// The answer to a deleted backtest.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub success: bool,
    pub id: String,
}

#[utoipa::path(
    delete,
    path = "/api/backtests/{id}",
    operation_id = "delete_api_backtests_id",
    tag = "Backtests",
    summary = "Cancel a queued or running backtest and delete it (or delete a finished one)",
    params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = Deleted)),
    security(("bearerAuth" = []))
)]
async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<Deleted>> {
    if !backtests::delete(&state, user.id(), &id).await? {
        return Err(not_found());
    }
    Ok(Json(Deleted { success: true, id }))
}
