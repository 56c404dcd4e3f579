//! MongoDB status changes that must not race: pausing all of a user's active bots in one
//! `update_many`, and compare-and-set of one bot's lifecycle fields with `update_one`.

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::ReturnDocument;
use mongodb::Collection;

use super::bots::MongoBots;
use super::{map_err, to_bson};
use crate::domain::bot::{Bot, BotStatus};
use crate::store::bots::LIFECYCLE_FIELDS;
use crate::store::StoreResult;

pub(super) async fn pause_all_active(
    bots: &Collection<Document>,
    user_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Bot>> {
    // `update_many` does not say which documents it changed: the bots that were active just
    // before it and carry its pause afterwards are the ones it paused.
    let before: Vec<String> =
        MongoBots::collect_from(bots, doc! {"user_id": user_id, "status": "active"})
            .await?
            .into_iter()
            .map(|b| b.id)
            .collect();
    bots.update_many(
        doc! {"user_id": user_id, "status": "active"},
        // The version moves too, so a `save` based on a read from before the pause is refused.
        doc! {
            "$set": {"status": "paused", "pause_reason": reason, "updated_at": to_bson(now)},
            "$inc": {"version": 1_i64},
        },
    )
    .await
    .map_err(map_err)?;
    if before.is_empty() {
        return Ok(Vec::new());
    }
    MongoBots::collect_from(
        bots,
        doc! {"_id": {"$in": before}, "user_id": user_id, "status": "paused", "pause_reason": reason},
    )
    .await
}

pub(super) async fn transition_status(
    bots: &Collection<Document>,
    bot: &Bot,
    from: &[BotStatus],
) -> StoreResult<Option<Bot>> {
    if !crate::store::bots::transition_applies(bot, from)? {
        return Ok(None);
    }
    let encoded = MongoBots::encode(bot)?;
    let mut set = Document::new();
    for field in LIFECYCLE_FIELDS {
        set.insert(field, encoded.get(field).cloned().unwrap_or(Bson::Null));
    }
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let stored = bots
        .find_one_and_update(
            doc! {"_id": &bot.id, "user_id": &bot.user_id, "status": {"$in": from}},
            doc! {"$set": set, "$inc": {"version": 1_i64}},
        )
        .return_document(ReturnDocument::After)
        .await
        .map_err(map_err)?;
    stored.map(MongoBots::decode).transpose()
}
