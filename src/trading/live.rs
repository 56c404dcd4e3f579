//! Live execution: a gated order becomes a live order on the bot's exchange, is tracked to its
//! last fill, and its fills are booked once (the bot's position, or a trade with the bot's
//! capital and the ledger).
//!
//! Never a double order: the live order (with its client order id) is stored before the first
//! send; when a send's outcome is unknown (timeout, 5xx, a crash) the order is looked up on the
//! exchange by that id and only sent again if the exchange does not know it.

use chrono::{DateTime, Duration as ChronoDuration, Utc};

use crate::app::keys;
use crate::domain::bot::{Bot, BotStatus, TradingMode};
use crate::domain::fees::default_fees;
use crate::domain::gates::utc_day_start;
use crate::domain::live_gates::{
    check_account, check_order, AccountGateInputs, LiveRefusal, OrderGateInputs,
};
use crate::domain::live_order::{
    floor_to_step, LiveFill, LiveIntent, LiveOrder, LiveState, NewLiveOrder,
};
use crate::domain::order_record::{OrderRecord, OrderStatus, STAGE_EXECUTION};
use crate::domain::orders::{Side, ValidOrder};
use crate::domain::trade::Trade;
use crate::error::{AppError, AppResult};
use crate::exchange::orders::{
    self as client, Account, ExchangeOrder, ExchangeOrderState, OrderError, OrderKind, PlaceOrder,
};
use crate::exchange::{Credentials, Pair, Provider};
use crate::state::AppState;
use crate::store::bots::update_bot;
use crate::store::trades::FillWrite;

/// An order the exchange does not know is sent again only this soon after it was created; an
/// older one is expired instead (a market order decided minutes ago is no longer wanted).
const RESEND_WITHIN_SECS: i64 = 120;
/// Polls of an order that does not change before the tracker gives up and marks it expired
/// (with backoff this is well over a day of polling).
const MAX_POLLS: u32 = 400;
/// Longest pause between two polls of one order.
const MAX_BACKOFF_SECS: i64 = 300;

/// The bot's orders go to its exchange: live mode and promoted out of the training bay.
/// (Whether it may trade now is the pipeline's bot-state check; exits of a paused bot are
/// still allowed, as on paper.)
pub fn is_live(bot: &Bot) -> bool {
    bot.trading_mode == TradingMode::Live
        && !matches!(bot.status, BotStatus::LiveTrainingBay | BotStatus::Deleted)
}

fn provider(exchange: &str) -> AppResult<Provider> {
    Provider::parse(exchange)
        .filter(|p| p.is_exchange())
        .ok_or_else(|| AppError::internal(format!("unknown exchange {exchange}")))
}

fn pair(symbol: &str) -> AppResult<Pair> {
    Pair::parse(symbol).map_err(|e| AppError::internal(e.to_string()))
}

/// The user's decrypted keys for `exchange`, if saved.
async fn credentials(state: &AppState, user_id: &str, exchange: &str) -> AppResult<Credentials> {
    let record = state
        .store
        .keys
        .find(user_id, exchange)
        .await?
        .ok_or_else(|| AppError::conflict("KEYS_MISSING", "no API keys saved"))?;
    keys::open(state, &record)
        .map_err(|_| AppError::internal("stored API keys could not be opened"))
}

pub(crate) fn account<'a>(
    state: &'a AppState,
    exchange: Provider,
    creds: &'a Credentials,
) -> Account<'a> {
    Account {
        http: &state.http_client,
        urls: &state.config.outbound,
        exchange,
        creds,
    }
}

/// The user's keys for `exchange` and the provider (for callers outside the order path).
pub(crate) async fn account_for(
    state: &AppState,
    user_id: &str,
    exchange: &str,
) -> AppResult<(Credentials, Provider)> {
    Ok((
        credentials(state, user_id, exchange).await?,
        provider(exchange)?,
    ))
}

pub(crate) fn pair_of(symbol: &str) -> AppResult<Pair> {
    pair(symbol)
}

fn refused(record: &mut OrderRecord, refusal: LiveRefusal) {
    record.reject(refusal.gate.as_str(), &refusal.reason);
}

/// The account-side gates for `bot` now; `Err` carries the refusal.
pub async fn account_gates(state: &AppState, bot: &Bot) -> AppResult<Result<(), LiveRefusal>> {
    let now = state.clock.now();
    let settings = state.store.settings.get(&bot.user_id, now).await?;
    let key = state
        .store
        .keys
        .find(&bot.user_id, bot.exchange.as_str())
        .await?;
    let flags = &state.config.flags;
    Ok(check_account(&AccountGateInputs {
        trading_enabled: flags.enable_trading,
        live_enabled: flags.enable_live_trading,
        user_live_mode: settings.live_trading,
        emergency_stop: settings.emergency_stop,
        bot_is_live: is_live(bot),
        key_status: key.map(|k| k.status),
        exchange_name: provider(bot.exchange.as_str())?.display_name().to_string(),
    }))
}

/// Runs every live gate for `order` of `bot` and, when all pass, stores and sends the live
/// order. `record` stays `pending` while the order works (the tracker finishes it) or is
/// rejected with the refusing gate. Nothing reaches the exchange's order endpoint unless every
/// gate passed.
pub async fn place(
    state: &AppState,
    bot: &Bot,
    order: &ValidOrder,
    record: &mut OrderRecord,
    intent: LiveIntent,
    reference_price: f64,
    decision_id: Option<String>,
) -> AppResult<()> {
    if let Err(refusal) = account_gates(state, bot).await? {
        refused(record, refusal);
        return Ok(());
    }
    if bot.live_order_id.is_some() {
        record.reject(
            STAGE_EXECUTION,
            "the bot already has a live order working; wait for it to finish",
        );
        return Ok(());
    }
    let exchange = provider(bot.exchange.as_str())?;
    let creds = credentials(state, &bot.user_id, bot.exchange.as_str()).await?;
    let acct = account(state, exchange, &creds);
    let pair = pair(order.symbol)?;
    let rules = match client::symbol_rules(&acct, &pair).await {
        Ok(rules) => rules,
        Err(e) => {
            record.reject(
                STAGE_EXECUTION,
                &format!("could not read the exchange's trading rules: {e}"),
            );
            return Ok(());
        }
    };
    let amount = floor_to_step(order.amount, rules.amount_step);
    let balances = match client::balances(&acct).await {
        Ok(b) => b,
        Err(e) => {
            record.reject(
                STAGE_EXECUTION,
                &format!("could not read the exchange balance: {e}"),
            );
            return Ok(());
        }
    };
    let spends = match order.side {
        Side::Buy => &pair.quote,
        Side::Sell => &pair.base,
    };
    let available = balances
        .iter()
        .find(|b| b.asset.eq_ignore_ascii_case(spends))
        .map_or(0.0, |b| b.available);
    let now = state.clock.now();
    let trading = &state.config.trading;
    let gates = OrderGateInputs {
        side: order.side,
        amount,
        reference_price,
        quote: pair.quote.clone(),
        base: pair.base.clone(),
        is_exit: matches!(intent, LiveIntent::Exit { .. }),
        max_order_notional: trading.live_max_order_notional,
        daily_notional_so_far: state
            .store
            .live_orders
            .notional_since(&bot.user_id, utc_day_start(now))
            .await?,
        max_daily_notional: trading.live_max_daily_notional,
        min_amount: rules.min_amount,
        min_notional: rules.min_notional,
        fee_rate: default_fees(bot.exchange.as_str()).map_or(0.0, |f| f.taker_fee_bps / 10_000.0),
        available,
    };
    if let Err(refusal) = check_order(&gates) {
        refused(record, refusal);
        return Ok(());
    }
    let mut live = LiveOrder::new(
        NewLiveOrder {
            user_id: &bot.user_id,
            bot_id: &bot.id,
            exchange: bot.exchange.as_str(),
            symbol: order.symbol,
            side: order.side,
            amount,
            reference_price,
            intent,
            order_record_id: &record.id,
            decision_id,
        },
        now,
    );
    // The bot points at its working order before anything is sent, so the strategy waits
    // and a second order cannot start alongside.
    let claimed = update_bot::<AppError, _>(
        state.store.bots.as_ref(),
        None,
        &bot.user_id,
        &bot.id,
        |b| {
            if b.live_order_id.is_some() {
                return Ok(false);
            }
            b.live_order_id = Some(live.id.clone());
            Ok(true)
        },
    )
    .await?;
    if !matches!(claimed, Some((_, true))) {
        record.reject(
            STAGE_EXECUTION,
            "the bot already has a live order working; wait for it to finish",
        );
        return Ok(());
    }
    state.store.live_orders.insert(&live).await?;
    record.fill = Some(serde_json::json!({
        "mode": "live",
        "live_order_id": live.id,
        "client_order_id": live.client_order_id,
        "amount": amount,
        "reference_price": reference_price,
    }));
    send(state, &acct, &pair, &mut live).await;
    persist(state, &mut live).await?;
    if live.state != LiveState::New {
        // Market orders usually fill at once: look now rather than at the next tracker tick.
        advance(state, live).await?;
    }
    Ok(())
}

/// Saves `live` as the next version.
async fn persist(state: &AppState, live: &mut LiveOrder) -> AppResult<bool> {
    live.version += 1;
    let saved = state.store.live_orders.save(live).await?;
    if !saved {
        live.version -= 1;
    }
    Ok(saved)
}

fn place_request(live: &LiveOrder, pair: &Pair) -> PlaceOrder {
    PlaceOrder {
        pair: pair.clone(),
        side: live.side,
        kind: OrderKind::Market,
        amount: live.amount,
        quote_amount: (live.amount * live.reference_price * 100.0).floor() / 100.0,
        client_order_id: live.client_order_id.clone(),
    }
}

/// Sends `live` (state `new`) once and records what the exchange said; an unknown outcome is
/// resolved by a lookup, never by a blind resend.
async fn send(state: &AppState, acct: &Account<'_>, pair: &Pair, live: &mut LiveOrder) {
    let now = state.clock.now();
    live.send_attempts += 1;
    match client::place(acct, &place_request(live, pair)).await {
        Ok(placed) => {
            live.exchange_order_id = Some(placed.exchange_order_id);
            live.submitted_at = Some(now);
            live.transition(LiveState::Submitted, now);
        }
        Err(OrderError::Rejected { reason, .. }) => {
            live.reject(&format!("the exchange refused the order: {reason}"), now);
        }
        Err(OrderError::RateLimited { retry_after_secs }) => {
            // Refused before it was placed; the tracker looks it up, then resends while fresh.
            let wait = retry_after_secs.unwrap_or(2).clamp(1, 60) as i64;
            live.next_poll_at = now + ChronoDuration::seconds(wait);
        }
        Err(e) if e.outcome_unknown() => {
            tracing::warn!(live_order_id = %live.id, error = %e, "live order send: outcome unknown, looking it up");
            lookup_after_unknown(acct, pair, live, now).await;
        }
        Err(e) => live.reject(&format!("the order could not be sent: {e}"), now),
    }
}

/// After a send whose outcome is unknown: adopt the exchange's order if it has one; otherwise
/// leave the order `new` for the tracker (which resends while fresh).
async fn lookup_after_unknown(
    acct: &Account<'_>,
    pair: &Pair,
    live: &mut LiveOrder,
    now: DateTime<Utc>,
) {
    match lookup(acct, pair, live).await {
        Ok(found) => {
            apply(live, &found, now);
        }
        Err(_) => live.next_poll_at = now + ChronoDuration::seconds(1),
    }
}

/// The exchange's view of `live`, found by our client order id. OVEX orders carry no client
/// id: there the exchange's own id is used once known, and before that the order is found
/// among the account's recent orders by its side, type and amount (`find_placed`).
async fn lookup(
    acct: &Account<'_>,
    pair: &Pair,
    live: &LiveOrder,
) -> Result<ExchangeOrder, OrderError> {
    match (acct.exchange, live.exchange_order_id.as_deref()) {
        (Provider::Ovex, Some(id)) => client::query(acct, pair, id).await,
        (Provider::Ovex, None) => {
            let since = live.created_at - ChronoDuration::minutes(1);
            client::find_placed(acct, &place_request(live, pair), since).await
        }
        _ => client::query(acct, pair, &live.client_order_id).await,
    }
}

/// The id `cancel` takes on this exchange (see [`lookup`]).
fn cancel_id(exchange: Provider, live: &LiveOrder) -> Option<&str> {
    match exchange {
        Provider::Ovex => live.exchange_order_id.as_deref(),
        _ => Some(&live.client_order_id),
    }
}

fn state_of(s: ExchangeOrderState) -> LiveState {
    match s {
        ExchangeOrderState::Open => LiveState::Submitted,
        ExchangeOrderState::PartiallyFilled => LiveState::PartiallyFilled,
        ExchangeOrderState::Filled => LiveState::Filled,
        ExchangeOrderState::Cancelled => LiveState::Cancelled,
        ExchangeOrderState::Rejected => LiveState::Rejected,
        ExchangeOrderState::Expired => LiveState::Expired,
    }
}

/// Takes the exchange's view: its id, new fills, and its state.
fn apply(live: &mut LiveOrder, found: &ExchangeOrder, now: DateTime<Utc>) -> bool {
    let mut changed = false;
    if live.exchange_order_id.is_none() {
        live.exchange_order_id = Some(found.exchange_order_id.clone());
        live.submitted_at.get_or_insert(now);
        changed = true;
    }
    let fills = found.fills.iter().map(|f| LiveFill {
        trade_id: f.trade_id.clone(),
        price: f.price,
        amount: f.amount,
        fee: f.fee,
        fee_currency: f.fee_currency.to_ascii_uppercase(),
        at: f.at,
    });
    changed |= live.merge_fills(fills) > 0;
    let mut next = state_of(found.state);
    // A state the fills contradict is not taken: "filled" with fills still missing is polled
    // again until every fill is listed, so the booking sees all of them.
    if next == LiveState::Filled && live.filled_amount + 1e-12 < found.filled_amount {
        next = LiveState::PartiallyFilled;
    }
    if next == LiveState::Submitted && live.filled_amount > 0.0 {
        next = LiveState::PartiallyFilled;
    }
    if found.state == ExchangeOrderState::Rejected {
        live.rejection_reason = Some("the exchange rejected the order".into());
    }
    changed |= live.transition(next, now);
    changed
}

/// One tracker step for `live`: resolve a `new` order, poll an open one, book a finished one.
/// Returns the order as saved.
pub async fn advance(state: &AppState, mut live: LiveOrder) -> AppResult<LiveOrder> {
    let now = state.clock.now();
    if !live.state.is_terminal() {
        let creds = match credentials(state, &live.user_id, &live.exchange).await {
            Ok(c) => c,
            Err(_) => {
                // Keys deleted while the order works: keep polling slowly; nothing to sign with.
                live.next_poll_at = now + ChronoDuration::seconds(MAX_BACKOFF_SECS);
                persist(state, &mut live).await?;
                return Ok(live);
            }
        };
        let acct = account(state, provider(&live.exchange)?, &creds);
        let pair = pair(&live.symbol)?;
        let changed = match lookup(&acct, &pair, &live).await {
            Ok(found) => apply(&mut live, &found, now),
            Err(OrderError::NotFound) if live.state == LiveState::New => {
                // The exchange never received it: send again while the decision is fresh and
                // every account gate still passes (the emergency stop may have come since).
                let gates_pass = match state.store.bots.find(&live.user_id, &live.bot_id).await? {
                    Some(bot) => account_gates(state, &bot).await?.is_ok(),
                    None => false,
                };
                if gates_pass
                    && (now - live.created_at).num_seconds() <= RESEND_WITHIN_SECS
                    && live.send_attempts < 3
                {
                    send(state, &acct, &pair, &mut live).await;
                    true
                } else {
                    live.rejection_reason = Some(
                        "the order never reached the exchange and was not sent again (too old, \
                         or a live gate now refuses)"
                            .into(),
                    );
                    live.transition(LiveState::Expired, now)
                }
            }
            Err(e) => {
                tracing::debug!(live_order_id = %live.id, error = %e, "live order poll failed");
                false
            }
        };
        live.polls = if changed { 0 } else { live.polls + 1 };
        if !live.state.is_terminal() && live.polls >= MAX_POLLS {
            live.rejection_reason = Some("the exchange never finished the order".into());
            live.transition(LiveState::Expired, now);
        }
        let backoff = (1i64 << live.polls.min(8)).min(MAX_BACKOFF_SECS);
        live.next_poll_at = now + ChronoDuration::seconds(backoff);
        if !persist(state, &mut live).await? {
            // Someone else advanced it meanwhile; their copy wins.
            return reload(state, &live).await;
        }
    }
    if live.state.is_terminal() && !live.booked {
        book(state, &mut live).await?;
    }
    Ok(live)
}

async fn reload(state: &AppState, live: &LiveOrder) -> AppResult<LiveOrder> {
    state
        .store
        .live_orders
        .find(&live.user_id, &live.id)
        .await?
        .ok_or_else(|| AppError::not_found("ORDER_NOT_FOUND", "Live order not found"))
}

/// Books a finished order once: the bot's position (entry) or a trade with capital and ledger
/// (exit), then the order record's outcome. Each write is conditional, so a crash part-way
/// and a second booking attempt finish the job without booking anything twice.
async fn book(state: &AppState, live: &mut LiveOrder) -> AppResult<()> {
    let now = state.clock.now();
    let mut record = state
        .store
        .orders
        .find(&live.user_id, &live.order_record_id)
        .await?;
    let bot = state.store.bots.find(&live.user_id, &live.bot_id).await?;
    let fill_details = serde_json::json!({
        "mode": "live",
        "live_order_id": live.id,
        "client_order_id": live.client_order_id,
        "exchange_order_id": live.exchange_order_id,
        "state": live.state,
        "amount": live.filled_amount,
        "average_price": live.average_price,
        "fees_in_quote": live.fees_in_quote(),
        "unpriced_fees": live.unpriced_fees(),
        "fills": live.fills,
        "reference_price": live.reference_price,
    });
    let filled = live.filled_amount > 0.0;
    let mut trade_id = None;
    match (live.intent, bot) {
        (LiveIntent::Exit { position, reason }, Some(bot)) if filled => {
            let current = bot.position.unwrap_or(position);
            if let Some((closed, rest)) =
                live.closed_trade(&current, reason, now.timestamp_millis())
            {
                if let Some(rec) = record.as_mut().filter(|r| r.status == OrderStatus::Pending) {
                    let mut trade = Trade::from_closed(&bot, &live.symbol, &closed, &rec.id, now);
                    trade.id = format!("live-{}", live.id);
                    trade.trading_mode = TradingMode::Live;
                    rec.status = OrderStatus::Filled;
                    rec.fill = Some(fill_details.clone());
                    rec.trade_id = Some(trade.id.clone());
                    rec.updated_at = now;
                    let write = FillWrite {
                        trade: trade.clone(),
                        order: rec.clone(),
                    };
                    let updated = state.store.trades.record_fill(&write).await?;
                    crate::trading::publish_trade_events(state, &trade, &updated).await;
                }
                trade_id = Some(format!("live-{}", live.id));
                release_bot(state, live, Some(rest)).await?;
            }
        }
        (LiveIntent::Entry { candle_time }, Some(_)) if filled => {
            let opened = live.opened_position(candle_time);
            release_bot(state, live, Some(opened)).await?;
            finish_record(state, record, OrderStatus::Filled, None, fill_details, now).await?;
        }
        (_, bot) => {
            if bot.is_some() {
                release_bot(state, live, None).await?;
            }
            let reason = format!(
                "live order {}{}; nothing filled",
                live.state.as_str(),
                live.rejection_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
            finish_record(
                state,
                record,
                OrderStatus::Rejected,
                Some(reason),
                fill_details,
                now,
            )
            .await?;
        }
    }
    live.booked = true;
    live.trade_id = trade_id;
    live.updated_at = now;
    if !persist(state, live).await? {
        *live = reload(state, live).await?;
    }
    Ok(())
}

/// Clears the bot's working order and, when `position` is `Some`, sets its position to the
/// inner value; only if the bot still points at this order (so it happens once).
async fn release_bot(
    state: &AppState,
    live: &LiveOrder,
    position: Option<Option<crate::domain::strategy::trader::OpenPosition>>,
) -> AppResult<()> {
    let now = state.clock.now();
    update_bot::<AppError, _>(
        state.store.bots.as_ref(),
        None,
        &live.user_id,
        &live.bot_id,
        |b| {
            if b.live_order_id.as_deref() != Some(live.id.as_str()) {
                return Ok(false);
            }
            b.live_order_id = None;
            if let Some(p) = position {
                b.position = p;
            }
            b.updated_at = now;
            Ok(true)
        },
    )
    .await?;
    Ok(())
}

async fn finish_record(
    state: &AppState,
    record: Option<OrderRecord>,
    status: OrderStatus,
    reason: Option<String>,
    fill: serde_json::Value,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(mut rec) = record.filter(|r| r.status == OrderStatus::Pending) else {
        return Ok(());
    };
    rec.status = status;
    rec.fill = Some(fill);
    if let Some(reason) = reason {
        rec.reject(STAGE_EXECUTION, &reason);
    }
    rec.updated_at = now;
    state.store.orders.finish(&rec).await?;
    Ok(())
}

/// Cancels every open live order of the user (emergency stop). Returns how many cancels the
/// exchanges accepted; each order is then tracked to its final state as usual.
pub async fn cancel_all(state: &AppState, user_id: &str) -> AppResult<usize> {
    let open = state.store.live_orders.open_for_user(user_id).await?;
    let mut cancelled = 0;
    for live in open {
        let Ok(creds) = credentials(state, user_id, &live.exchange).await else {
            continue;
        };
        let exchange = provider(&live.exchange)?;
        let acct = account(state, exchange, &creds);
        let Some(id) = cancel_id(exchange, &live) else {
            tracing::warn!(live_order_id = %live.id, "emergency stop: order not known on the exchange yet; not cancelled");
            continue;
        };
        match client::cancel(&acct, &pair(&live.symbol)?, id).await {
            Ok(()) => cancelled += 1,
            Err(e) => {
                tracing::warn!(live_order_id = %live.id, error = %e, "emergency stop: cancel failed")
            }
        }
        if let Err(e) = advance(state, live).await {
            tracing::warn!(error = %e, "emergency stop: order not re-read after cancel");
        }
    }
    Ok(cancelled)
}

/// The exchange's current view of a live order (for `GET /api/orders/{id}/status`).
pub async fn exchange_view(state: &AppState, live: &LiveOrder) -> Result<ExchangeOrder, String> {
    let creds = credentials(state, &live.user_id, &live.exchange)
        .await
        .map_err(|e| e.to_string())?;
    let acct = account(
        state,
        provider(&live.exchange).map_err(|e| e.to_string())?,
        &creds,
    );
    let pair = pair(&live.symbol).map_err(|e| e.to_string())?;
    lookup(&acct, &pair, live).await.map_err(|e| e.to_string())
}
