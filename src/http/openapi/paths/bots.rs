//! Bots, live training bay, quarantine and platforms (SPEC §3, §4, §7).

use crate::http::openapi::op::{delete, get, post, put, Op, Param};
use crate::http::openapi::schemas::bots::*;
use crate::http::openapi::schemas::common::ReasonBody;

const BOTS: &str = "Bots";
const TRAINING: &str = "Training";
const PLATFORMS: &str = "Platforms";

fn action(path: &'static str, summary: &'static str) -> Op {
    post(path, BOTS, summary)
        .optional_body::<ReasonBody>()
        .ok::<BotActionResult>()
}

pub fn ops() -> Vec<Op> {
    vec![
        get("/api/bots", BOTS, "The caller's bots (not deleted)")
            .query("status", Param::Str, "Filter by status")
            .ok_list::<Bot>()
            .errors(&[422]),
        post("/api/bots", BOTS, "Create a bot")
            .describe("400 `error.code`: INVALID_EXCHANGE, INVALID_CAPITAL_AMOUNT (100..100000), BOT_NAME_DUPLICATE, EXCHANGE_BOT_LIMIT_REACHED, TOTAL_BOT_LIMIT_REACHED, EXCHANGE_API_KEYS_MISSING. Emits `bot_created`.")
            .body::<CreateBot>()
            .ok::<Bot>()
            .errors(&[400]),
        post("/api/bots/batch-create", BOTS, "Create several bots (all or nothing)")
            .body::<BatchCreate>()
            .ok::<BatchCreated>()
            .errors(&[400]),
        get("/api/bots/{id}", BOTS, "One bot").ok::<Bot>(),
        put("/api/bots/{id}", BOTS, "Update name, risk_mode, trading_mode")
            .describe("Switching to live puts the bot in the live training bay. Emits `bot_updated`.")
            .body::<UpdateBot>()
            .ok::<Bot>()
            .errors(&[400]),
        delete("/api/bots/{id}", BOTS, "Soft-delete a bot").ok::<BotDeleted>(),
        get("/api/bots/{id}/status", BOTS, "A bot's status and allowed actions")
            .ok::<BotStatusView>(),
        action("/api/bots/{id}/start", "Start a bot")
            .describe("200 `success:false` with `hours_remaining` while in the live training bay, or while emergency stop is on. Emits `bot_started`."),
        action("/api/bots/{id}/stop", "Stop a bot"),
        action("/api/bots/{id}/pause", "Pause a bot"),
        action("/api/bots/{id}/resume", "Resume a paused bot"),
        post("/api/bots/evolve", BOTS, "Move the worst performers' parameters toward the best's")
            .describe("Needs >= 10 bots; deterministic given a seed.")
            .optional_body::<EvolveRequest>()
            .ok::<EvolveResult>()
            .errors(&[400]),
        get("/api/bots/eligible-for-promotion", BOTS, "Paper bots ready for live")
            .ok::<EligibleBots>(),
        get("/api/training/live-bay", TRAINING, "Bots in the live training bay")
            .ok::<LiveBay>(),
        post("/api/training/{bot_id}/promote", TRAINING, "Promote a bot out of the bay")
            .describe("Before `LIVE_MIN_TRAINING_HOURS`: 200 `success:false` with `hours_remaining`.")
            .ok::<BotActionResult>(),
        get("/api/quarantine/status", TRAINING, "Quarantined bots and the policy")
            .ok::<QuarantineStatus>(),
        get("/api/platforms", PLATFORMS, "The five exchanges and their limits")
            .ok::<PlatformList>(),
        get("/api/platforms/summary", PLATFORMS, "The caller's bots per exchange")
            .query("mode", Param::Str, "paper | live | all")
            .ok::<PlatformSummary>()
            .errors(&[422]),
        get("/api/platforms/{platform}/bots", PLATFORMS, "The caller's bots on one exchange")
            .query("mode", Param::Str, "paper | live | all")
            .ok::<PlatformBots>()
            .errors(&[422]),
    ]
}
