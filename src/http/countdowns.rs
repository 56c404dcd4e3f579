//! The old dashboard's countdowns: `/api/analytics/countdown-to-million` and the custom
//! `/api/countdowns` (also answered with a trailing slash, as the dashboard calls it).

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::countdowns::{self as ops, CountdownView, MillionCountdown};
use crate::auth::CurrentUser;
use crate::error::{AppJson, AppResult};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(million))
        .routes(routes!(list, create))
        .routes(routes!(list_slash, create_slash))
        .routes(routes!(delete))
}

#[utoipa::path(
    get,
    path = "/api/analytics/countdown-to-million",
    operation_id = "get_api_analytics_countdown_to_million",
    tag = "Analytics",
    summary = "Projection to R1,000,000 from realised daily profit",
    responses((status = 200, description = "OK", body = MillionCountdown)),
    security(("bearerAuth" = []))
)]
async fn million(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<MillionCountdown>> {
    ops::million(&state, user.id()).await.map(Json)
}

/// `POST /api/countdowns`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCountdown {
    pub label: Option<String>,
    pub target_amount: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountdownDeleted {
    pub message: String,
}

#[utoipa::path(
    get,
    path = "/api/countdowns",
    operation_id = "get_api_countdowns",
    tag = "Analytics",
    summary = "The caller's custom countdowns",
    responses((status = 200, description = "OK", body = Vec<CountdownView>)),
    security(("bearerAuth" = []))
)]
async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Vec<CountdownView>>> {
    ops::list(&state, user.id()).await.map(Json)
}

#[utoipa::path(
    post,
    path = "/api/countdowns",
    operation_id = "post_api_countdowns",
    tag = "Analytics",
    summary = "Add a custom countdown (at most 2 per user)",
    request_body = NewCountdown,
    responses(
        (status = 200, description = "OK", body = CountdownView),
        (status = 400, description = "Maximum of 2 custom countdowns allowed per user", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    AppJson(body): AppJson<NewCountdown>,
) -> AppResult<Json<CountdownView>> {
    ops::create(&state, user.id(), body.label.as_deref(), body.target_amount)
        .await
        .map(Json)
}

#[utoipa::path(
    get,
    path = "/api/countdowns/",
    operation_id = "get_api_countdowns_slash",
    tag = "Analytics",
    summary = "The caller's custom countdowns (trailing-slash spelling)",
    responses((status = 200, description = "OK", body = Vec<CountdownView>)),
    security(("bearerAuth" = []))
)]
async fn list_slash(
    state: State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<Vec<CountdownView>>> {
    list(state, user).await
}

#[utoipa::path(
    post,
    path = "/api/countdowns/",
    operation_id = "post_api_countdowns_slash",
    tag = "Analytics",
    summary = "Add a custom countdown (trailing-slash spelling)",
    request_body = NewCountdown,
    responses(
        (status = 200, description = "OK", body = CountdownView),
        (status = 400, description = "Maximum of 2 custom countdowns allowed per user", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = []))
)]
async fn create_slash(
    state: State<AppState>,
    user: CurrentUser,
    body: AppJson<NewCountdown>,
) -> AppResult<Json<CountdownView>> {
    create(state, user, body).await
}

#[utoipa::path(
    delete,
    path = "/api/countdowns/{id}",
    operation_id = "delete_api_countdowns_id",
    tag = "Analytics",
    summary = "Delete one of the caller's countdowns",
    params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = CountdownDeleted)),
    security(("bearerAuth" = []))
)]
async fn delete(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> AppResult<Json<CountdownDeleted>> {
    ops::delete(&state, user.id(), &id).await?;
    Ok(Json(CountdownDeleted {
        message: "Countdown deleted".into(),
    }))
}
