//! Admin and autonomy calls of the old dashboard: `/api/admin/health-check`,
//! `/api/admin/email/broadcast` (SMTP; audited), `/api/autonomous/bodyguard/system-check`,
//! `/api/autonomous/learning/trigger` and `/api/profits/reinvest` (the autopilot's move of
//! paper profit into a new bot, on demand).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::admin_health::{admin_health, AdminHealth};
use crate::app::autonomy::{self as ops, Learning, SystemCheck};
use crate::app::broadcast::{broadcast as send_broadcast, check_broadcast};
use crate::auth::{AdminUser, CurrentUser};
use crate::domain::analytics::BotCapital;
use crate::error::{AppJson, AppResult};
use crate::http::admin::audit;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health_check))
        .routes(routes!(broadcast))
        .routes(routes!(system_check))
        .routes(routes!(learning))
        .routes(routes!(reinvest))
}

#[utoipa::path(
    get,
    path = "/api/admin/health-check",
    operation_id = "get_api_admin_health_check",
    tag = "Admin",
    summary = "Services, statistics and warnings with a health score",
    responses((status = 200, description = "OK", body = AdminHealth)),
    security(("bearerAuth" = ["admin"]))
)]
async fn health_check(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
) -> AppResult<Json<AdminHealth>> {
    admin_health(&state).await.map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Broadcast {
    pub subject: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BroadcastResult {
    pub sent: u64,
    pub failed: u64,
}

/// Mails every active user (one message each); audit-logged with the counts.
#[utoipa::path(
    post,
    path = "/api/admin/email/broadcast",
    operation_id = "post_api_admin_email_broadcast",
    tag = "Admin",
    summary = "Email every active user (SMTP)",
    request_body = Broadcast,
    responses(
        (status = 200, description = "OK", body = BroadcastResult),
        (status = 503, description = "SMTP_URL/SMTP_FROM not set, or the mail server cannot be used", body = crate::http::openapi::schemas::common::ErrorEnvelope)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn broadcast(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    AppJson(body): AppJson<Broadcast>,
) -> AppResult<Json<BroadcastResult>> {
    let (subject, message) = check_broadcast(body.subject.as_deref(), body.message.as_deref())?;
    let outcome = send_broadcast(&state, &subject, &message).await;
    let details = match &outcome {
        Ok(d) => json!({"subject": subject, "sent": d.sent, "failed": d.failed}),
        Err(e) => json!({"subject": subject, "error": e.code}),
    };
    audit(&state, admin.id(), "email_broadcast", None, details).await?;
    let delivery = outcome?;
    Ok(Json(BroadcastResult {
        sent: delivery.sent,
        failed: delivery.failed,
    }))
}

#[utoipa::path(
    post,
    path = "/api/autonomous/bodyguard/system-check",
    operation_id = "post_api_autonomous_bodyguard_system_check",
    tag = "Autonomy",
    summary = "The bodyguard's rules checked now (reports; does not act)",
    responses((status = 200, description = "OK", body = SystemCheck)),
    security(("bearerAuth" = []))
)]
async fn system_check(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<SystemCheck>> {
    ops::system_check(&state, user.id()).await.map(Json)
}

#[utoipa::path(
    post,
    path = "/api/autonomous/learning/trigger",
    operation_id = "post_api_autonomous_learning_trigger",
    tag = "Autonomy",
    summary = "What the caller's recent trades show, per bot",
    responses((status = 200, description = "OK", body = Learning)),
    security(("bearerAuth" = []))
)]
async fn learning(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Learning>> {
    ops::learning(&state, user.id()).await.map(Json)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reinvestment {
    pub success: bool,
    pub message: String,
    /// Capital moved into the new bot (0 when nothing was moved).
    pub amount: f64,
    /// Bots the profit was taken from.
    pub bots_updated: usize,
    /// The caller's capital over all bots afterwards (moved, never created).
    pub new_total_capital: f64,
    pub new_bot_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: chrono::DateTime<chrono::Utc>,
}

/// Paper profit above the bots' starting capital moves into one new bot (booked as ledger
/// transfers), at most once a UTC day, within the bot limits; refused during an emergency stop.
#[utoipa::path(
    post,
    path = "/api/profits/reinvest",
    operation_id = "post_api_profits_reinvest",
    tag = "Autonomy",
    summary = "Reinvest paper profit into a new bot now",
    responses((status = 200, description = "OK", body = Reinvestment)),
    security(("bearerAuth" = []))
)]
async fn reinvest(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> AppResult<Json<Reinvestment>> {
    let now = state.clock.now();
    let stopped = state
        .store
        .settings
        .get(user.id(), now)
        .await?
        .emergency_stop;
    let done = if stopped {
        None
    } else {
        crate::engine::autopilot::reinvest_now(&state, user.id(), &user.user.currency, now).await?
    };
    let bots = state.store.bots.list(user.id(), None).await?;
    let total = BotCapital::of(&bots).current;
    let (message, amount, donors, bot_id) = match (&done, stopped) {
        (Some(r), _) => (
            format!("Reinvested {:.2} of profit into new bot {}", r.bot.initial_capital, r.bot.name),
            r.bot.initial_capital,
            r.donors,
            Some(r.bot.id.clone()),
        ),
        (None, true) => ("Emergency stop is on: nothing was reinvested".to_string(), 0.0, 0, None),
        (None, false) => (
            "Nothing to reinvest: not enough paper profit for a new bot's minimum capital, the bot limit is reached, or a reinvestment already ran today".to_string(),
            0.0,
            0,
            None,
        ),
    };
    Ok(Json(Reinvestment {
        success: done.is_some(),
        message,
        amount,
        bots_updated: donors,
        new_total_capital: (total * 100.0).round() / 100.0,
        new_bot_id: bot_id,
        timestamp: now,
    }))
}
