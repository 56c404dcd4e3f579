//! `GET /api/prices/live` (SPEC §7): the feed's price for every traded pair.

use crate::http::openapi::schemas as docs;
use axum::extract::State;
use axum::Json;
use futures_util::future::join_all;
use serde_json::{json, Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::CurrentUser;
use crate::domain::orders::KNOWN_SYMBOLS;
use crate::domain::price::{preferred_exchange, PriceSource};
use crate::error::AppResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live))
}

/// `{"BTC/ZAR": {price, change_24h, source, timestamp}, ...}`. A pair no exchange answered
/// for is left out (never a made-up price).
#[utoipa::path(
    get,
    path = "/api/prices/live",
    operation_id = "get_api_prices_live",
    tag = "Prices",
    summary = "Latest prices from the feed",
    responses(
        (status = 200, description = "OK", body = docs::trading::LivePrices)
    ),
    security(("bearerAuth" = []))
)]
async fn live(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> AppResult<Json<Value>> {
    let prices = state.prices.clone();
    let quotes = join_all(KNOWN_SYMBOLS.iter().map(|symbol| {
        let prices = prices.clone();
        async move {
            (
                symbol,
                prices.price(preferred_exchange(symbol), symbol).await,
            )
        }
    }))
    .await;
    let mut out = Map::new();
    for (symbol, quote) in quotes {
        if let Ok(q) = quote {
            out.insert(
                symbol.to_string(),
                json!({"price": q.price, "change_24h": q.change_24h, "source": q.source, "timestamp": q.timestamp}),
            );
        }
    }
    Ok(Json(Value::Object(out)))
}
