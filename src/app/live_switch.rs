//! `POST /api/bots/confirm-live-switch` (existing dashboard): the user confirms their Luno
//! account is funded; live mode goes on and, if asked, their paper bots enter the live training
//! bay (they trade on paper there until promoted; see README "Live trading").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::bot::{BotStatus, TradingMode};
use crate::domain::bot_rules::{apply_update, BotUpdateInput};
use crate::domain::settings::SystemMode;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::bots::update_bot;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct LiveSwitchRequest {
    /// The user confirms the Luno account holds the funds live bots will trade.
    #[serde(default)]
    pub luno_funded: bool,
    /// Move the user's paper bots into the live training bay.
    #[serde(default)]
    pub use_paper_bots: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveSwitchResult {
    pub switched: bool,
    pub message: String,
    /// Bots moved into the live training bay.
    pub bots_moved: usize,
    /// Paper bots left as they are because no API keys are saved for their exchange.
    pub bots_skipped: usize,
}

pub async fn confirm(
    state: &AppState,
    user_id: &str,
    req: &LiveSwitchRequest,
) -> AppResult<LiveSwitchResult> {
    if !state.config.flags.enable_live_trading {
        return Err(AppError::bad_request(
            "LIVE_TRADING_DISABLED",
            "Live trading is disabled on this server (ENABLE_LIVE_TRADING)",
        ));
    }
    if !req.luno_funded {
        return Ok(LiveSwitchResult {
            switched: false,
            message: "Fund your Luno account first; nothing was switched".into(),
            bots_moved: 0,
            bots_skipped: 0,
        });
    }
    let now = state.clock.now();
    state
        .store
        .settings
        .set_mode(user_id, SystemMode::LiveTrading, true, now)
        .await?;
    let (mut moved, mut skipped) = (0, 0);
    if req.use_paper_bots {
        let keys = state.store.keys.list_for_user(user_id).await?;
        let bots = state.store.bots.list(user_id, None).await?;
        for bot in bots.iter().filter(|b| {
            b.trading_mode == TradingMode::Paper
                && matches!(b.status, BotStatus::Active | BotStatus::Paused)
        }) {
            if !keys.iter().any(|k| k.provider == bot.exchange.as_str()) {
                skipped += 1;
                continue;
            }
            let input = BotUpdateInput {
                trading_mode: Some("live".into()),
                ..BotUpdateInput::default()
            };
            let old = bot.status;
            let updated =
                update_bot::<AppError, _>(state.store.bots.as_ref(), None, user_id, &bot.id, |b| {
                    if b.trading_mode != TradingMode::Paper {
                        return Ok(false);
                    }
                    apply_update(b, input.clone(), now, &state.config.trading)
                        .map(|changes| !changes.is_empty())
                })
                .await?;
            if let Some((b, true)) = updated {
                moved += 1;
                crate::engine::notify::status_changed(
                    state,
                    &b,
                    old,
                    "Moved to the live training bay",
                    "user",
                );
            }
        }
    }
    let mut message = format!("Live mode is on; {moved} bot(s) entered the live training bay");
    if skipped > 0 {
        message.push_str(&format!(
            "; {skipped} paper bot(s) stayed on paper (no API keys saved for their exchange)"
        ));
    }
    Ok(LiveSwitchResult {
        switched: true,
        message,
        bots_moved: moved,
        bots_skipped: skipped,
    })
}
