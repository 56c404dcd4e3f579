//! OVEX orders (Peatio-style API v2, `Authorization: Bearer <API key>` as OVEX documents).
//!
//! Limitation: OVEX orders carry no client order id, so there is no lookup by our id. `query`
//! and `cancel` accept OVEX's own numeric order id in place of the client id; after an unknown
//! outcome, `find_placed` lists the market's recent orders and matches side, type, volume and
//! price among those created since the send. The order paths and shapes follow Peatio v2
//! (`/api/v2/orders`, `/api/v2/order`, `/api/v2/order/delete`, `/api/v2/trades/my`,
//! `/api/v2/members/me`); only `/api/v2/markets` and the bearer scheme are confirmed by the
//! published OVEX collection.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use super::common::{self, json, need_num, need_text, num, text, Ctx, Meaning};
use super::{
    AssetBalance, ExchangeFill, ExchangeOrder, ExchangeOrderState, OrderError, OrderKind,
    PlaceOrder, PlacedOrder, RejectKind, SymbolRules,
};
use crate::domain::orders::Side;
use crate::exchange::ovex::symbol;
use crate::exchange::Pair;

pub(crate) fn order_body(order: &PlaceOrder) -> Value {
    let mut body = json!({
        "market": symbol(&order.pair),
        "side": order.side.as_str(),
        "volume": common::amount(order.amount),
    });
    match order.kind {
        OrderKind::Market => body["ord_type"] = json!("market"),
        OrderKind::Limit { price } => {
            body["ord_type"] = json!("limit");
            body["price"] = json!(common::decimal(price, common::DEFAULT_DECIMALS));
        }
    }
    body
}

/// Peatio errors: `{"error":{"code":2002,"message":".."}}`.
pub(crate) fn meaning(body: &Value) -> Option<Meaning> {
    let msg = message(body)?.to_ascii_lowercase();
    if msg.contains("insufficient") || msg.contains("not enough") {
        Some(Meaning::Reject(RejectKind::InsufficientBalance))
    } else if msg.contains("minimum") || msg.contains("too small") {
        Some(Meaning::Reject(RejectKind::BelowMinimum))
    } else if msg.contains("not found") {
        Some(Meaning::NotFound)
    } else if msg.contains("token") || msg.contains("api key") || msg.contains("unauthori") {
        Some(Meaning::Reject(RejectKind::InvalidCredentials))
    } else {
        None
    }
}

fn message(body: &Value) -> Option<&str> {
    body.pointer("/error/message")
        .or_else(|| body.get("error"))
        .or_else(|| body.get("message"))
        .and_then(Value::as_str)
}

async fn call(
    ctx: &Ctx<'_>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, OrderError> {
    let mut request = ctx
        .http
        .request(method, format!("{}{path}", ctx.base))
        .bearer_auth(ctx.key);
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_string());
    }
    let reply = ctx.send(request).await?;
    let json = reply.json().unwrap_or(Value::Null);
    if !reply.status.is_success() {
        let msg = message(&json).unwrap_or("");
        return Err(ctx.failure(&reply, meaning(&json), msg));
    }
    Ok(json)
}

pub(crate) async fn balances(ctx: &Ctx<'_>) -> Result<Vec<AssetBalance>, OrderError> {
    let body = call(ctx, Method::GET, "/api/v2/members/me", None).await?;
    let list = body
        .get("accounts")
        .and_then(Value::as_array)
        .ok_or_else(|| OrderError::Malformed("accounts missing".into()))?;
    list.iter()
        .map(|a| {
            let balance = need_num(a, "balance")?;
            Ok(AssetBalance {
                asset: need_text(a, "currency")?.to_ascii_uppercase(),
                available: balance,
                total: balance + num(a.get("locked")).unwrap_or(0.0),
            })
        })
        .collect()
}

pub(crate) async fn symbol_rules(ctx: &Ctx<'_>, pair: &Pair) -> Result<SymbolRules, OrderError> {
    let reply = ctx
        .send(ctx.http.get(format!("{}/api/v2/markets", ctx.base)))
        .await?;
    let body = json(&reply)?;
    if !reply.status.is_success() {
        return Err(ctx.failure(&reply, meaning(&body), message(&body).unwrap_or("")));
    }
    parse_rules(&body, pair)
}

/// `[{"id":"btczar","min_amount":"0.0001","amount_precision":6,"min_total":"10"}]`; fields
/// OVEX omits fall back to no minimum and satoshi steps.
pub(crate) fn parse_rules(body: &Value, pair: &Pair) -> Result<SymbolRules, OrderError> {
    let id = symbol(pair);
    let market = body
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|m| m.get("id").and_then(Value::as_str) == Some(id.as_str()))
        })
        .ok_or_else(|| OrderError::Rejected {
            kind: RejectKind::Other,
            reason: format!("OVEX does not list {id}"),
        })?;
    Ok(SymbolRules {
        min_amount: num(market.get("min_amount")).unwrap_or(0.0),
        amount_step: num(market.get("amount_precision"))
            .map(|d| common::step_from_decimals(d as i64))
            .unwrap_or(1e-8),
        min_notional: num(market.get("min_total")).unwrap_or(0.0),
    })
}

pub(crate) async fn place(ctx: &Ctx<'_>, order: &PlaceOrder) -> Result<PlacedOrder, OrderError> {
    let body = call(
        ctx,
        Method::POST,
        "/api/v2/orders",
        Some(&order_body(order)),
    )
    .await?;
    Ok(PlacedOrder {
        exchange_order_id: need_text(&body, "id")?,
    })
}

/// OVEX's numeric id, or `Unsupported` for one of our client ids (see the module note).
fn exchange_id(id: &str) -> Result<&str, OrderError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(OrderError::Unsupported(
            "OVEX has no client order id; use its order id or find_placed".into(),
        ))
    }
}

pub(crate) async fn query(
    ctx: &Ctx<'_>,
    pair: &Pair,
    client_order_id: &str,
) -> Result<ExchangeOrder, OrderError> {
    let id = exchange_id(client_order_id)?;
    let order = call(ctx, Method::GET, &format!("/api/v2/order?id={id}"), None).await?;
    parse_order(&order, pair, client_order_id)
}

/// An order with its `trades` (Peatio embeds them in the single-order reply).
pub(crate) fn parse_order(
    order: &Value,
    pair: &Pair,
    client_order_id: &str,
) -> Result<ExchangeOrder, OrderError> {
    let executed = num(order.get("executed_volume")).unwrap_or(0.0);
    let fills = match order.get("trades") {
        Some(trades) if trades.is_array() => parse_fills(trades, pair)?,
        _ => Vec::new(),
    };
    Ok(ExchangeOrder {
        exchange_order_id: need_text(order, "id")?,
        client_order_id: client_order_id.to_string(),
        state: state(
            order.get("state").and_then(Value::as_str).unwrap_or(""),
            executed,
        ),
        filled_amount: executed,
        fills,
    })
}

/// Peatio states: wait, pending, done, cancel, reject.
pub(crate) fn state(state: &str, executed: f64) -> ExchangeOrderState {
    match state {
        "done" => ExchangeOrderState::Filled,
        "cancel" => ExchangeOrderState::Cancelled,
        "reject" => ExchangeOrderState::Rejected,
        _ if executed > 0.0 => ExchangeOrderState::PartiallyFilled,
        _ => ExchangeOrderState::Open,
    }
}

/// `[{"id":1,"order_id":7,"price":"..","volume":"..","side":"buy","created_at":"..Z",
/// "fee":"..","fee_currency":"btc"}]` (fee fields optional: 0 when absent).
pub(crate) fn parse_fills(body: &Value, pair: &Pair) -> Result<Vec<ExchangeFill>, OrderError> {
    let list = body
        .as_array()
        .ok_or_else(|| OrderError::Malformed("trades are not a list".into()))?;
    let mut fills = list
        .iter()
        .map(|t| {
            Ok(ExchangeFill {
                trade_id: need_text(t, "id")?,
                exchange_order_id: need_text(t, "order_id")?,
                price: need_num(t, "price")?,
                amount: need_num(t, "volume")?,
                fee: num(t.get("fee")).unwrap_or(0.0),
                fee_currency: text(t.get("fee_currency"))
                    .map(|c| c.to_ascii_uppercase())
                    .unwrap_or_else(|| pair.quote.clone()),
                side: if t.get("side").and_then(Value::as_str) == Some("sell") {
                    Side::Sell
                } else {
                    Side::Buy
                },
                at: common::rfc3339(t.get("created_at"))
                    .ok_or_else(|| OrderError::Malformed("created_at missing".into()))?,
            })
        })
        .collect::<Result<Vec<_>, OrderError>>()?;
    fills.sort_by_key(|f| f.at);
    Ok(fills)
}

/// After an unknown outcome: the one recent order matching `order` created at or after
/// `since`, or `NotFound`.
pub(crate) async fn find_placed(
    ctx: &Ctx<'_>,
    order: &PlaceOrder,
    since: DateTime<Utc>,
) -> Result<ExchangeOrder, OrderError> {
    let path = format!(
        "/api/v2/orders?market={}&state=all&limit=100",
        symbol(&order.pair)
    );
    let list = call(ctx, Method::GET, &path, None).await?;
    let want = order_body(order);
    let same = |o: &&Value, field: &str| {
        num(o.get(field)).is_some() && num(o.get(field)) == num(want.get(field))
    };
    let found = list
        .as_array()
        .ok_or_else(|| OrderError::Malformed("orders are not a list".into()))?
        .iter()
        .filter(|o| o.get("side") == want.get("side") && o.get("ord_type") == want.get("ord_type"))
        .filter(|o| same(o, "volume"))
        .filter(|o| want.get("price").is_none() || same(o, "price"))
        .find(|o| common::rfc3339(o.get("created_at")).is_some_and(|t| t >= since))
        .ok_or(OrderError::NotFound)?;
    let id = need_text(found, "id")?;
    let full = call(ctx, Method::GET, &format!("/api/v2/order?id={id}"), None).await?;
    parse_order(&full, &order.pair, &order.client_order_id)
}

pub(crate) async fn cancel(ctx: &Ctx<'_>, _pair: &Pair, id: &str) -> Result<(), OrderError> {
    let id = exchange_id(id)?;
    let body = json!({ "id": id });
    call(ctx, Method::POST, "/api/v2/order/delete", Some(&body))
        .await
        .map(|_| ())
}

pub(crate) async fn trade_history(
    ctx: &Ctx<'_>,
    pair: &Pair,
    since: DateTime<Utc>,
) -> Result<Vec<ExchangeFill>, OrderError> {
    let path = format!("/api/v2/trades/my?market={}&limit=1000", symbol(pair));
    let body = call(ctx, Method::GET, &path, None).await?;
    Ok(parse_fills(&body, pair)?
        .into_iter()
        .filter(|f| f.at >= since)
        .collect())
}

/// OVEX publishes no deposit-address call in its API (unverified against a Peatio v2 route).
pub(crate) async fn deposit_address(
    _ctx: &Ctx<'_>,
    _asset: &str,
) -> Result<super::DepositAddress, OrderError> {
    Err(OrderError::Unsupported(
        "OVEX does not offer deposit addresses through its API".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_states_and_ids() {
        let order = PlaceOrder {
            pair: Pair::parse("BTC/ZAR").unwrap(),
            side: Side::Buy,
            kind: OrderKind::Limit { price: 1_000_000.0 },
            amount: 0.001,
            quote_amount: 1000.0,
            client_order_id: "amk-5".into(),
        };
        assert_eq!(
            order_body(&order).to_string(),
            r#"{"market":"btczar","side":"buy","volume":"0.001","ord_type":"limit","price":"1000000"}"#
        );
        assert_eq!(state("wait", 0.5), ExchangeOrderState::PartiallyFilled);
        assert_eq!(state("cancel", 0.5), ExchangeOrderState::Cancelled);
        assert!(exchange_id("amk-5").is_err());
        assert_eq!(exchange_id("42").unwrap(), "42");
        assert_eq!(
            meaning(
                &json!({"error": {"code": 2002, "message": "Failed to create order. Reason: insufficient balance"}})
            ),
            Some(Meaning::Reject(RejectKind::InsufficientBalance))
        );
    }
}
