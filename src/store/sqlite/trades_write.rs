//! SQLite: booking a paper fill (trade + bot + ledger entry + order outcome) in one
//! `BEGIN IMMEDIATE` transaction, so either all four rows change or none does.

use sqlx::SqliteConnection;

use super::{bots, ledger, map_err, orders, to_millis};
use crate::domain::bot::Bot;
use crate::store::trades::FillWrite;
use crate::store::{StoreError, StoreResult};

/// Reads the bot inside the transaction, books the trade on it and writes it back.
async fn book_on_bot(conn: &mut SqliteConnection, write: &FillWrite) -> StoreResult<Bot> {
    let trade = &write.trade;
    let doc: Option<String> = sqlx::query_scalar(
        "SELECT doc FROM bots WHERE id = ? AND user_id = ? AND status != 'deleted'",
    )
    .bind(&trade.bot_id)
    .bind(&trade.user_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(map_err)?;
    let doc = doc.ok_or_else(|| StoreError::Other(format!("bot {} not found", trade.bot_id)))?;
    let mut bot = bots::decode(&doc)?;
    bot.record_trade(trade.profit_loss, trade.timestamp);
    bot.last_trade_id = Some(trade.id.clone());
    // A new version, so a `save` based on a read from before this fill is refused.
    bot.version += 1;
    sqlx::query(
        "UPDATE bots SET current_capital = ?, total_profit = ?, updated_at = ?, doc = ? WHERE id = ? AND user_id = ?",
    )
    .bind(bot.current_capital)
    .bind(bot.total_profit)
    .bind(to_millis(bot.updated_at))
    .bind(bots::encode(&bot)?)
    .bind(&bot.id)
    .bind(&bot.user_id)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(bot)
}

async fn insert_trade(conn: &mut SqliteConnection, write: &FillWrite) -> StoreResult<()> {
    let t = &write.trade;
    let doc =
        serde_json::to_string(t).map_err(|e| StoreError::Other(format!("encode trade: {e}")))?;
    sqlx::query(
        "INSERT INTO trades (id, user_id, bot_id, exchange, amount, entry_price, fees, slippage_cost, profit_loss, \
         is_profitable, timestamp, day, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&t.id)
    .bind(&t.user_id)
    .bind(&t.bot_id)
    .bind(&t.exchange)
    .bind(t.amount)
    .bind(t.entry_price)
    .bind(t.fees)
    .bind(t.slippage_cost)
    .bind(t.profit_loss)
    .bind(t.is_profitable)
    .bind(to_millis(t.timestamp))
    .bind(t.day())
    .bind(doc)
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    Ok(())
}

/// The whole fill, atomically.
pub(super) async fn record_fill(pool: &sqlx::SqlitePool, write: &FillWrite) -> StoreResult<Bot> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?;
    let bot = book_on_bot(&mut tx, write).await?;
    insert_trade(&mut tx, write).await?;
    ledger::append_in(&mut tx, write.ledger()).await?;
    if !orders::finish_with(&mut *tx, &write.order).await? {
        tx.rollback().await.map_err(map_err)?;
        return Err(StoreError::Other(format!(
            "order {} is no longer pending",
            write.order.id
        )));
    }
    tx.commit().await.map_err(map_err)?;
    Ok(bot)
}
