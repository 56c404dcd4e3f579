//! `POST /api/admin/bots/{id}/mode`: an admin switches a bot between paper and live, under
//! the same rules as the owner plus the server's live-trading switch.

use crate::http::openapi::schemas as docs;
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AdminUser;
use crate::domain::bot::TradingMode;
use crate::domain::bot_rules::{self, BotUpdateInput};
use crate::error::{AppError, AppJson, AppResult};
use crate::http::admin_bots::{clean_reason, load_any, save_and_announce};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(change_mode))
}

#[derive(Deserialize)]
struct ModeBody {
    #[serde(alias = "trading_mode")]
    mode: Option<String>,
    reason: Option<String>,
}

/// Paper <-> live. Live needs `ENABLE_LIVE_TRADING` and the owner's saved keys for the bot's
/// exchange, and (as for the owner) sends the bot into the live training bay.
#[utoipa::path(
    post,
    path = "/api/admin/bots/{id}/mode",
    operation_id = "post_api_admin_bots_id_mode",
    tag = "Admin",
    summary = "Switch a bot between paper and live",
    params(
        ("id" = String, Path)
    ),
    request_body = docs::admin::BotModeChange,
    responses(
        (status = 200, description = "OK", body = docs::bots::BotActionResult)
    ),
    security(("bearerAuth" = ["admin"]))
)]
async fn change_mode(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    AppJson(body): AppJson<ModeBody>,
) -> AppResult<Json<Value>> {
    let raw = body
        .mode
        .ok_or_else(|| AppError::field("mode", "mode must be paper or live"))?;
    let mode = bot_rules::parse_trading_mode(&raw)?;
    let mut bot = load_any(&state, &id).await?;
    if mode == TradingMode::Live && bot.trading_mode != TradingMode::Live {
        if !state.config.flags.enable_live_trading {
            return Err(AppError::bad_request(
                "LIVE_TRADING_DISABLED",
                "Live trading is disabled on this server (ENABLE_LIVE_TRADING)",
            ));
        }
        let has_keys = state
            .store
            .keys
            .find(&bot.user_id, bot.exchange.as_str())
            .await?
            .is_some();
        if !has_keys {
            return Err(AppError::bad_request(
                "EXCHANGE_API_KEYS_MISSING",
                format!(
                    "The owner has no saved {} API keys; live mode needs them",
                    bot.exchange.as_str()
                ),
            ));
        }
    }
    let input = BotUpdateInput {
        trading_mode: Some(mode.as_str().to_string()),
        ..BotUpdateInput::default()
    };
    let changes =
        bot_rules::apply_update(&mut bot, input, state.clock.now(), &state.config.trading)?;
    let reason = clean_reason(body.reason.as_deref());
    save_and_announce(&state, &admin, &bot, "bot.mode", changes, reason).await
}
