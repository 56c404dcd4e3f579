//! Training runs (`/api/training/start`, `/history`, `/{run_id}/status`): paper backtests of a
//! bot's strategy over its latest candles (`app::training_runs`). The live training bay keeps
//! its own routes in `http::training`.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::training_runs::{self as ops, TrainingRun};
use crate::auth::CurrentUser;
use crate::error::{parse_optional_json, AppError, AppResult, FieldError};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(history))
        .routes(routes!(status))
}

/// `{bot_id, duration_hours?}` as a JSON body or as query parameters.
#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartTraining {
    pub bot_id: Option<String>,
    /// 1..=2160, default 24.
    pub duration_hours: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingStarted {
    pub success: bool,
    pub run_id: String,
    pub message: String,
    pub run: TrainingRun,
}

#[utoipa::path(
    post,
    path = "/api/training/start",
    operation_id = "post_api_training_start",
    tag = "Training",
    summary = "Start a paper training run of a bot's strategy on its latest candles",
    params(StartTraining),
    request_body = Option<StartTraining>,
    responses(
        (status = 200, description = "OK", body = TrainingStarted),
        (status = 404, description = "No such bot", body = crate::http::openapi::schemas::common::ErrorEnvelope),
        (status = 429, description = "Too many backtests queued", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn start(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<StartTraining>,
    body: axum::body::Bytes,
) -> AppResult<Json<TrainingStarted>> {
    // An empty body or `null` means "everything is in the query".
    let body: StartTraining =
        parse_optional_json::<Option<StartTraining>>(&body)?.unwrap_or_default();
    let bot_id = body
        .bot_id
        .or(query.bot_id)
        .filter(|b| !b.trim().is_empty())
        .ok_or_else(|| AppError::validation(vec![FieldError::new("bot_id", "is required")]))?;
    let hours = body.duration_hours.or(query.duration_hours);
    let run = ops::start(&state, user.id(), bot_id.trim(), hours).await?;
    Ok(Json(TrainingStarted {
        success: true,
        run_id: run.run_id.clone(),
        message: format!(
            "Training run started: {} over the last {} hours of candles (paper)",
            run.bot_name, run.duration
        ),
        run,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingHistory {
    pub success: bool,
    pub history: Vec<TrainingRun>,
    pub total: usize,
}

#[utoipa::path(
    get,
    path = "/api/training/history",
    operation_id = "get_api_training_history",
    tag = "Training",
    summary = "The caller's training runs, newest first",
    responses((status = 200, description = "OK", body = TrainingHistory)),
    security(("bearerAuth" = []))
)]
async fn history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<TrainingHistory>> {
    let history = ops::history(&state, user.id()).await?;
    Ok(Json(TrainingHistory {
        success: true,
        total: history.len(),
        history,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingStatus {
    pub success: bool,
    #[serde(flatten)]
    pub run: TrainingRun,
}

#[utoipa::path(
    get,
    path = "/api/training/{run_id}/status",
    operation_id = "get_api_training_run_id_status",
    tag = "Training",
    summary = "One training run",
    params(("run_id" = String, Path)),
    responses((status = 200, description = "OK", body = TrainingStatus)),
    security(("bearerAuth" = []))
)]
async fn status(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(run_id): Path<String>,
) -> AppResult<Json<TrainingStatus>> {
    let run = ops::status(&state, user.id(), &run_id).await?;
    Ok(Json(TrainingStatus { success: true, run }))
}
