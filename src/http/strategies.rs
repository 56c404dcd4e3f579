//! `/api/strategies`: the built-in strategies and their parameter schemas (public: nothing
//! here is per user).

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::strategy::{catalog, StrategyInfo, DEFAULT_STRATEGY};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

/// The strategies a bot or backtest can run.
#[derive(Serialize, ToSchema)]
pub struct StrategyList {
    pub strategies: Vec<StrategyInfo>,
    /// What a bot runs when none is chosen.
    pub default: &'static str,
}

#[utoipa::path(
    get,
    path = "/api/strategies",
    operation_id = "get_api_strategies",
    tag = "Strategies",
    summary = "Built-in strategies with their parameter schemas",
    description = "Each parameter has a type (int or float), default, min and max. Send \
                   `strategy: {name, params}` when creating or updating a bot or a backtest; \
                   missing params take their defaults.",
    responses(
        (status = 200, description = "OK", body = StrategyList)
    )
)]
async fn list() -> Json<StrategyList> {
    Json(StrategyList {
        strategies: catalog(),
        default: DEFAULT_STRATEGY,
    })
}
