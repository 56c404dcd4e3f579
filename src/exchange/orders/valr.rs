//! VALR orders: `X-VALR-*` headers, HMAC-SHA512 over timestamp + VERB + path(?query) + body;
//! `customerOrderId` is our client id. Placement answers 202 `{"id":..}`; VALR may still fail
//! the order afterwards (`orderStatusType: "Failed"` with `failedReason`), so `query` reports
//! such orders as `Rejected`.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use super::common::{self, json, need_num, need_text, num, text, Ctx, Meaning};
use super::{
    AssetBalance, ExchangeFill, ExchangeOrder, ExchangeOrderState, OrderError, OrderKind,
    PlaceOrder, PlacedOrder, RejectKind, SymbolRules,
};
use crate::domain::orders::Side;
use crate::exchange::signing::valr_signature;
use crate::exchange::Pair;

/// (path, JSON body) of the placement call.
pub(crate) fn order_request(order: &PlaceOrder) -> (&'static str, Value) {
    let side = match order.side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    };
    match order.kind {
        OrderKind::Market => (
            "/v1/orders/market",
            json!({
                "side": side,
                "baseAmount": common::amount(order.amount),
                "pair": order.pair.joined(),
                "customerOrderId": order.client_order_id,
            }),
        ),
        OrderKind::Limit { price } => (
            "/v1/orders/limit",
            json!({
                "side": side,
                "quantity": common::amount(order.amount),
                "price": common::decimal(price, common::DEFAULT_DECIMALS),
                "pair": order.pair.joined(),
                "postOnly": false,
                "customerOrderId": order.client_order_id,
                "timeInForce": "GTC",
            }),
        ),
    }
}

/// VALR answers `{"code":-n,"message":".."}`; the message is what is stable across versions.
pub(crate) fn meaning(body: &Value) -> Option<Meaning> {
    let msg = body
        .get("message")
        .and_then(Value::as_str)?
        .to_ascii_lowercase();
    if msg.contains("insufficient") {
        Some(Meaning::Reject(RejectKind::InsufficientBalance))
    } else if msg.contains("minimum") || msg.contains("too small") {
        Some(Meaning::Reject(RejectKind::BelowMinimum))
    } else if msg.contains("signature") || msg.contains("api key") {
        Some(Meaning::Reject(RejectKind::InvalidCredentials))
    } else if msg.contains("not found") || msg.contains("does not exist") {
        Some(Meaning::NotFound)
    } else {
        None
    }
}

async fn call(
    ctx: &Ctx<'_>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, OrderError> {
    let now_ms = Utc::now().timestamp_millis();
    let body_text = body.map(Value::to_string).unwrap_or_default();
    let signature = valr_signature(ctx.secret, now_ms, method.as_str(), path, &body_text);
    let mut request = ctx
        .http
        .request(method, format!("{}{path}", ctx.base))
        .header("X-VALR-API-KEY", ctx.key)
        .header("X-VALR-SIGNATURE", signature)
        .header("X-VALR-TIMESTAMP", now_ms.to_string());
    if body.is_some() {
        request = request
            .header("Content-Type", "application/json")
            .body(body_text);
    }
    let reply = ctx.send(request).await?;
    let json = reply.json().unwrap_or(Value::Null);
    if !reply.status.is_success() {
        let msg = json
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        return Err(ctx.failure(&reply, meaning(&json), msg));
    }
    Ok(json)
}

pub(crate) async fn balances(ctx: &Ctx<'_>) -> Result<Vec<AssetBalance>, OrderError> {
    let body = call(ctx, Method::GET, "/v1/account/balances", None).await?;
    let list = body
        .as_array()
        .ok_or_else(|| OrderError::Malformed("balances are not a list".into()))?;
    list.iter()
        .map(|b| {
            Ok(AssetBalance {
                asset: need_text(b, "currency")?.to_ascii_uppercase(),
                available: need_num(b, "available")?,
                total: need_num(b, "total")?,
            })
        })
        .collect()
}

pub(crate) async fn symbol_rules(ctx: &Ctx<'_>, pair: &Pair) -> Result<SymbolRules, OrderError> {
    let reply = ctx
        .send(ctx.http.get(format!("{}/v1/public/pairs", ctx.base)))
        .await?;
    let body = json(&reply)?;
    if !reply.status.is_success() {
        let msg = body.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(ctx.failure(&reply, meaning(&body), msg));
    }
    parse_rules(&body, pair)
}

/// `[{"symbol":"BTCZAR","minBaseAmount":"0.0001","baseDecimalPlaces":"8","minQuoteAmount":"10"}]`.
pub(crate) fn parse_rules(body: &Value, pair: &Pair) -> Result<SymbolRules, OrderError> {
    let symbol = pair.joined();
    let entry = body
        .as_array()
        .and_then(|list| {
            list.iter()
                .find(|p| p.get("symbol").and_then(Value::as_str) == Some(symbol.as_str()))
        })
        .ok_or_else(|| OrderError::Rejected {
            kind: RejectKind::Other,
            reason: format!("VALR does not list {symbol}"),
        })?;
    Ok(SymbolRules {
        min_amount: need_num(entry, "minBaseAmount")?,
        amount_step: common::step_from_decimals(need_num(entry, "baseDecimalPlaces")? as i64),
        min_notional: num(entry.get("minQuoteAmount")).unwrap_or(0.0),
    })
}

pub(crate) async fn place(ctx: &Ctx<'_>, order: &PlaceOrder) -> Result<PlacedOrder, OrderError> {
    let (path, body) = order_request(order);
    let reply = call(ctx, Method::POST, path, Some(&body)).await?;
    Ok(PlacedOrder {
        exchange_order_id: need_text(&reply, "id")?,
    })
}

pub(crate) async fn query(
    ctx: &Ctx<'_>,
    pair: &Pair,
    client_order_id: &str,
) -> Result<ExchangeOrder, OrderError> {
    let path = format!(
        "/v1/orders/{}/customerorderid/{client_order_id}",
        pair.joined()
    );
    let order = call(ctx, Method::GET, &path, None).await?;
    let order_id = need_text(&order, "orderId")?;
    let trades = call(
        ctx,
        Method::GET,
        &format!("/v1/account/{}/tradehistory?limit=100", pair.joined()),
        None,
    )
    .await?;
    let fills: Vec<ExchangeFill> = parse_fills(&trades, pair)?
        .into_iter()
        .filter(|f| f.exchange_order_id == order_id)
        .collect();
    // The order's own quantities are authoritative; the trade list is only the latest page.
    let filled_amount = match (
        num(order.get("originalQuantity")),
        num(order.get("remainingQuantity")),
    ) {
        (Some(original), Some(remaining)) => original - remaining,
        _ => fills.iter().map(|f| f.amount).sum(),
    };
    Ok(ExchangeOrder {
        exchange_order_id: order_id,
        client_order_id: client_order_id.to_string(),
        state: state(
            order
                .get("orderStatusType")
                .and_then(Value::as_str)
                .unwrap_or(""),
        ),
        filled_amount: filled_amount.max(0.0),
        fills,
    })
}

/// "Placed", "Active", "Partially Filled", "Filled", "Cancelled", "Failed", "Expired".
pub(crate) fn state(status: &str) -> ExchangeOrderState {
    match status {
        "Partially Filled" => ExchangeOrderState::PartiallyFilled,
        "Filled" | "Instant Order Completed" => ExchangeOrderState::Filled,
        "Cancelled" => ExchangeOrderState::Cancelled,
        "Failed" => ExchangeOrderState::Rejected,
        "Expired" => ExchangeOrderState::Expired,
        _ => ExchangeOrderState::Open,
    }
}

/// `[{"price":"..","quantity":"..","currencyPair":"BTCZAR","tradedAt":"2024-..Z","side":"buy",
/// "orderId":"..","id":"..","fee":"..","feeCurrency":"BTC"}]`, newest first.
pub(crate) fn parse_fills(body: &Value, pair: &Pair) -> Result<Vec<ExchangeFill>, OrderError> {
    let list = body
        .as_array()
        .ok_or_else(|| OrderError::Malformed("trades are not a list".into()))?;
    let mut fills = list
        .iter()
        .map(|t| {
            Ok(ExchangeFill {
                trade_id: need_text(t, "id")?,
                exchange_order_id: need_text(t, "orderId")?,
                price: need_num(t, "price")?,
                amount: need_num(t, "quantity")?,
                fee: num(t.get("fee")).unwrap_or(0.0),
                fee_currency: text(t.get("feeCurrency")).unwrap_or_else(|| pair.quote.clone()),
                side: if t.get("side").and_then(Value::as_str) == Some("sell") {
                    Side::Sell
                } else {
                    Side::Buy
                },
                at: common::rfc3339(t.get("tradedAt"))
                    .ok_or_else(|| OrderError::Malformed("tradedAt missing".into()))?,
            })
        })
        .collect::<Result<Vec<_>, OrderError>>()?;
    // Newest first on the wire: reverse, then a stable sort keeps same-millisecond fills in
    // the exchange's order.
    fills.reverse();
    fills.sort_by_key(|f| f.at);
    Ok(fills)
}

pub(crate) async fn cancel(
    ctx: &Ctx<'_>,
    pair: &Pair,
    client_order_id: &str,
) -> Result<(), OrderError> {
    let body = json!({"customerOrderId": client_order_id, "pair": pair.joined()});
    call(ctx, Method::DELETE, "/v1/orders/order", Some(&body))
        .await
        .map(|_| ())
}

pub(crate) async fn trade_history(
    ctx: &Ctx<'_>,
    pair: &Pair,
    since: DateTime<Utc>,
) -> Result<Vec<ExchangeFill>, OrderError> {
    let start = since.to_rfc3339_opts(SecondsFormat::Millis, true);
    let path = format!(
        "/v1/account/{}/tradehistory?startTime={start}&limit=100",
        pair.joined()
    );
    let body = call(ctx, Method::GET, &path, None).await?;
    Ok(parse_fills(&body, pair)?
        .into_iter()
        .filter(|f| f.at >= since)
        .collect())
}

/// GET /v1/wallet/crypto/{currency}/deposit/address (signed): {currency, address, networkType?}.
pub(crate) async fn deposit_address(
    ctx: &Ctx<'_>,
    asset: &str,
) -> Result<super::DepositAddress, OrderError> {
    let path = format!(
        "/v1/wallet/crypto/{}/deposit/address",
        asset.to_ascii_uppercase()
    );
    let body = call(ctx, Method::GET, &path, None).await?;
    parse_deposit_address(&body, asset)
}

pub(crate) fn parse_deposit_address(
    body: &Value,
    asset: &str,
) -> Result<super::DepositAddress, OrderError> {
    Ok(super::DepositAddress {
        asset: text(body.get("currency")).unwrap_or_else(|| asset.to_ascii_uppercase()),
        address: need_text(body, "address")?,
        network: text(body.get("networkType")),
        tag: text(body.get("paymentReference")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn market_and_limit_bodies_are_pinned() {
        let mut order = PlaceOrder {
            pair: Pair::parse("BTC/ZAR").unwrap(),
            side: Side::Buy,
            kind: OrderKind::Market,
            amount: 0.0001,
            quote_amount: 120.0,
            client_order_id: "amk-3".into(),
        };
        let (path, body) = order_request(&order);
        assert_eq!(path, "/v1/orders/market");
        let body = body.to_string();
        assert_eq!(
            body,
            r#"{"side":"BUY","baseAmount":"0.0001","pair":"BTCZAR","customerOrderId":"amk-3"}"#
        );
        // The prehash is timestamp + VERB + path + the exact body text sent.
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha512> as Mac>::new_from_slice(b"s").unwrap();
        mac.update(format!("1700000000000POST/v1/orders/market{body}").as_bytes());
        assert_eq!(
            valr_signature("s", 1_700_000_000_000, "POST", path, &body),
            hex::encode(mac.finalize().into_bytes())
        );
        order.kind = OrderKind::Limit { price: 1_200_000.0 };
        let (path, body) = order_request(&order);
        assert_eq!(path, "/v1/orders/limit");
        assert_eq!(body["price"], "1200000");
        assert_eq!(body["timeInForce"], "GTC");
    }

    #[test]
    fn rules_states_and_messages_map() {
        let pairs = json!([{"symbol": "ETHZAR", "minBaseAmount": "0.001", "baseDecimalPlaces": "6"},
            {"symbol": "BTCZAR", "minBaseAmount": "0.0001", "baseDecimalPlaces": "8", "minQuoteAmount": "10"}]);
        let rules = parse_rules(&pairs, &Pair::parse("BTC/ZAR").unwrap()).unwrap();
        assert_eq!(rules.min_amount, 0.0001);
        assert!((rules.amount_step - 1e-8).abs() < 1e-20);
        assert_eq!(rules.min_notional, 10.0);
        assert_eq!(
            state("Partially Filled"),
            ExchangeOrderState::PartiallyFilled
        );
        assert_eq!(state("Failed"), ExchangeOrderState::Rejected);
        assert_eq!(
            meaning(&json!({"code": -11, "message": "Insufficient Balance"})),
            Some(Meaning::Reject(RejectKind::InsufficientBalance))
        );
    }
}
