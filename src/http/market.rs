//! `/api/market`: stored candles of one series and the list of stored datasets (SPEC §15).

use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::domain::bot_enums::Exchange;
use crate::domain::candles::{parse_time_ms, Pair, Series, Timeframe};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::query_params::{clamped, present};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(candles))
        .routes(routes!(datasets))
}

#[derive(Deserialize)]
struct CandlesQuery {
    exchange: Option<String>,
    pair: Option<String>,
    timeframe: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<String>,
}

/// One series' candles, oldest first.
#[derive(Serialize, ToSchema)]
pub struct CandlesResponse {
    pub exchange: String,
    /// `BASE/QUOTE`.
    pub pair: String,
    pub timeframe: String,
    /// `[open_time_ms, open, high, low, close, volume]` rows, oldest first.
    #[schema(value_type = Vec<Vec<f64>>)]
    pub candles: Vec<(i64, f64, f64, f64, f64, f64)>,
}

/// One stored series.
#[derive(Serialize, ToSchema)]
pub struct DatasetItem {
    pub exchange: String,
    pub pair: String,
    pub timeframe: String,
    /// Open time (epoch ms) of the oldest candle.
    pub first: i64,
    /// Open time (epoch ms) of the newest candle.
    pub last: i64,
    pub count: i64,
    /// Runs of missing candles between `first` and `last`.
    pub gaps: i64,
}

fn required<T>(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Option<T> {
    match present(raw) {
        None => {
            errors.push(FieldError::new(field, "is required"));
            None
        }
        Some(r) => {
            let parsed = parse(r);
            if parsed.is_none() {
                errors.push(FieldError::new(field, expected));
            }
            parsed
        }
    }
}

fn time(errors: &mut Vec<FieldError>, field: &str, raw: Option<&str>) -> Option<i64> {
    let raw = present(raw)?;
    let parsed = parse_time_ms(raw);
    if parsed.is_none() {
        errors.push(FieldError::new(
            field,
            "must be epoch milliseconds or an RFC 3339 time, e.g. 2026-03-01T00:00:00Z",
        ));
    }
    parsed
}

#[utoipa::path(
    get,
    path = "/api/market/candles",
    operation_id = "get_api_market_candles",
    tag = "Market",
    summary = "Stored candles of one series, oldest first",
    description = "With `since`, the first `limit` candles from it; without, the newest `limit` \
        candles up to `until` (or now).",
    params(
        ("exchange" = String, Query, description = "luno, binance, kucoin, valr or ovex"),
        ("pair" = String, Query, description = "BASE/QUOTE, e.g. BTC/ZAR"),
        ("timeframe" = String, Query, description = "1m 5m 15m 30m 1h 4h 1d"),
        ("since" = Option<String>, Query, description = "Epoch ms or RFC 3339 (inclusive)"),
        ("until" = Option<String>, Query, description = "Epoch ms or RFC 3339 (inclusive)"),
        ("limit" = Option<i64>, Query, description = "1..5000 (default 500)")
    ),
    responses(
        (status = 200, description = "OK", body = CandlesResponse),
        (status = 422, description = "Validation failed (error.fields lists the fields)", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn candles(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
    Query(q): Query<CandlesQuery>,
) -> AppResult<Json<CandlesResponse>> {
    let mut errors = Vec::new();
    let exchange = required(
        &mut errors,
        "exchange",
        q.exchange.as_deref(),
        Exchange::parse,
        "must be one of luno, binance, kucoin, valr, ovex",
    );
    let pair = required(
        &mut errors,
        "pair",
        q.pair.as_deref(),
        Pair::parse,
        "must be BASE/QUOTE, e.g. BTC/ZAR",
    );
    let timeframe = required(
        &mut errors,
        "timeframe",
        q.timeframe.as_deref(),
        Timeframe::parse,
        "must be one of 1m, 5m, 15m, 30m, 1h, 4h, 1d",
    );
    let since = time(&mut errors, "since", q.since.as_deref());
    let until = time(&mut errors, "until", q.until.as_deref());
    if let (Some(s), Some(u)) = (since, until) {
        if s > u {
            errors.push(FieldError::new("since", "must not be after until"));
        }
    }
    let limit = match clamped("limit", q.limit.as_deref(), 500, (1, 5000)) {
        Ok(limit) => limit,
        Err(_) => {
            errors.push(FieldError::new("limit", "must be a whole number"));
            500
        }
    };
    let (Some(exchange), Some(pair), Some(timeframe), true) =
        (exchange, pair, timeframe, errors.is_empty())
    else {
        return Err(AppError::validation(errors));
    };
    let series = Series::new(exchange, pair, timeframe);
    let rows = state
        .store
        .candles
        .range(&series, since, until, limit)
        .await?;
    Ok(Json(CandlesResponse {
        exchange: exchange.as_str().to_string(),
        pair: series.pair.to_string(),
        timeframe: timeframe.as_str().to_string(),
        candles: rows.iter().map(|c| c.as_row()).collect(),
    }))
}

#[utoipa::path(
    get,
    path = "/api/market/datasets",
    operation_id = "get_api_market_datasets",
    tag = "Market",
    summary = "Every stored candle series with its extent and gap count",
    responses(
        (status = 200, description = "OK", body = Vec<DatasetItem>)
    ),
    security(("bearerAuth" = []))
)]
async fn datasets(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> AppResult<Json<Vec<DatasetItem>>> {
    let found = crate::market::datasets(state.store.candles.as_ref()).await?;
    Ok(Json(
        found
            .into_iter()
            .map(|d| DatasetItem {
                exchange: d.exchange,
                pair: d.pair,
                timeframe: d.timeframe,
                first: d.first,
                last: d.last,
                count: d.count,
                gaps: d.gaps,
            })
            .collect(),
    ))
}
