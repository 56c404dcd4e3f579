//! SQLite status changes that must not race: pausing all of a user's active bots in one
//! statement, and compare-and-set of one bot's lifecycle fields.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::bots::decode;
use super::{map_err, to_millis};
use crate::domain::bot::{Bot, BotStatus};
use crate::store::bots::LIFECYCLE_FIELDS;
use crate::store::{StoreError, StoreResult};

/// RFC 3339 text exactly as serde writes it into the bot document.
fn date_text(t: DateTime<Utc>) -> StoreResult<String> {
    match serde_json::to_value(t) {
        Ok(serde_json::Value::String(text)) => Ok(text),
        _ => Err(StoreError::Other("encode date".into())),
    }
}

pub(super) async fn pause_all_active(
    pool: &SqlitePool,
    user_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Bot>> {
    let docs: Vec<String> = sqlx::query_scalar(
        "UPDATE bots SET status = 'paused', updated_at = ?, \
         doc = json_set(doc, '$.status', 'paused', '$.pause_reason', ?, '$.updated_at', ?, \
         '$.version', COALESCE(json_extract(doc, '$.version'), 0) + 1) \
         WHERE user_id = ? AND status = 'active' RETURNING doc",
    )
    .bind(to_millis(now))
    .bind(reason)
    .bind(date_text(now)?)
    .bind(user_id)
    .fetch_all(pool)
    .await
    .map_err(map_err)?;
    let mut bots = docs
        .iter()
        .map(|d| decode(d))
        .collect::<StoreResult<Vec<_>>>()?;
    bots.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(bots)
}

pub(super) async fn transition_status(
    pool: &SqlitePool,
    bot: &Bot,
    from: &[BotStatus],
) -> StoreResult<Option<Bot>> {
    if !crate::store::bots::transition_applies(bot, from)? {
        return Ok(None);
    }
    let value =
        serde_json::to_value(bot).map_err(|e| StoreError::Other(format!("encode bot: {e}")))?;
    let paths = LIFECYCLE_FIELDS
        .iter()
        .map(|f| format!("'$.{f}', json(?)"))
        .collect::<Vec<_>>()
        .join(", ");
    let placeholders = vec!["?"; from.len()].join(", ");
    // The version moves too, so a `save` based on a read from before this change is refused.
    let sql = format!(
        "UPDATE bots SET status = ?, updated_at = ?, doc = json_set(doc, {paths}, \
         '$.version', COALESCE(json_extract(doc, '$.version'), 0) + 1) \
         WHERE id = ? AND user_id = ? AND status IN ({placeholders}) RETURNING doc"
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql)
        .bind(bot.status.as_str())
        .bind(to_millis(bot.updated_at));
    for field in LIFECYCLE_FIELDS {
        let text = value
            .get(field)
            .unwrap_or(&serde_json::Value::Null)
            .to_string();
        query = query.bind(text);
    }
    query = query.bind(&bot.id).bind(&bot.user_id);
    for status in from {
        query = query.bind(status.as_str());
    }
    let stored = query.fetch_optional(pool).await.map_err(map_err)?;
    stored.as_deref().map(decode).transpose()
}
