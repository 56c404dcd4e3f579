//! The old dashboard's AI panel: `/api/ai/insights`, `/api/ai/chat/greeting`,
//! `/api/ml/predict`, and the whale/flokx panels (no such data source is configured: they say
//! so instead of showing made-up figures).

use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::greeting::{greet, Greeting};
use crate::app::insights::{self as ops, Insights, Prediction};
use crate::auth::CurrentUser;
use crate::error::AppResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(insights))
        .routes(routes!(greeting))
        .routes(routes!(predict))
        .routes(routes!(whale_summary))
        .routes(routes!(flokx_alerts))
}

#[utoipa::path(
    get,
    path = "/api/ai/insights",
    operation_id = "get_api_ai_insights",
    tag = "AI",
    summary = "Market regime of the caller's pairs, results sentiment, last decision",
    responses((status = 200, description = "OK", body = Insights)),
    security(("bearerAuth" = []))
)]
async fn insights(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Insights>> {
    ops::insights(&state, user.id()).await.map(Json)
}

#[utoipa::path(
    post,
    path = "/api/ai/chat/greeting",
    operation_id = "post_api_ai_chat_greeting",
    tag = "AI",
    summary = "The day's greeting (once per UTC day; then today's messages)",
    responses((status = 200, description = "OK", body = Greeting)),
    security(("bearerAuth" = []))
)]
async fn greeting(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Greeting>> {
    greet(&state, user.id(), &user.user.first_name)
        .await
        .map(Json)
}

#[derive(Deserialize)]
struct PredictQuery {
    symbol: Option<String>,
    platform: Option<String>,
    timeframe: Option<String>,
}

/// Ordinary least squares on the log closes of the newest 100 stored candles, extended 1 h and
/// 24 h; `confidence` is the fit's R² in percent.
#[utoipa::path(
    get,
    path = "/api/ml/predict",
    operation_id = "get_api_ml_predict",
    tag = "AI",
    summary = "Statistical forecast from stored candles (log-linear regression)",
    params(
        ("symbol" = Option<String>, Query, description = "e.g. BTC-ZAR (default)"),
        ("platform" = Option<String>, Query, description = "exchange, default luno"),
        ("timeframe" = Option<String>, Query, description = "candle size, default 1h")
    ),
    responses(
        (status = 200, description = "OK", body = Prediction),
        (status = 404, description = "No stored candles for the pair", body = crate::http::openapi::schemas::common::ErrorEnvelope),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn predict(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
    Query(q): Query<PredictQuery>,
) -> AppResult<Json<Prediction>> {
    let series = ops::prediction_series(
        q.symbol.as_deref().unwrap_or("BTC-ZAR"),
        q.platform.as_deref().unwrap_or("luno"),
        q.timeframe.as_deref().unwrap_or("1h"),
    )?;
    ops::predict(&state, &series).await.map(Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unavailable {
    /// Always `unavailable`.
    pub status: String,
    pub message: String,
}

#[utoipa::path(
    get,
    path = "/api/advanced/whale/summary",
    operation_id = "get_api_advanced_whale_summary",
    tag = "AI",
    summary = "Whale activity (no on-chain source is configured)",
    responses((status = 200, description = "OK", body = Unavailable)),
    security(("bearerAuth" = []))
)]
async fn whale_summary(CurrentUser(_user): CurrentUser) -> Json<Unavailable> {
    Json(Unavailable {
        status: "unavailable".into(),
        message: "No on-chain data source is configured, so there is no whale activity to show"
            .into(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlokxAlerts {
    /// Always empty: no flokx feed is connected.
    pub alerts: Vec<String>,
    pub count: usize,
}

#[utoipa::path(
    get,
    path = "/api/flokx/alerts",
    operation_id = "get_api_flokx_alerts",
    tag = "AI",
    summary = "flokx alerts (no feed is connected: always empty)",
    responses((status = 200, description = "OK", body = FlokxAlerts)),
    security(("bearerAuth" = []))
)]
async fn flokx_alerts(CurrentUser(_user): CurrentUser) -> Json<FlokxAlerts> {
    Json(FlokxAlerts {
        alerts: Vec::new(),
        count: 0,
    })
}
