//! Binance spot orders: HMAC-SHA256 over the whole parameter string (query for GET/DELETE,
//! form body for POST), `X-MBX-APIKEY` header, `newClientOrderId` as our client id.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;

use super::common::{self, encode, json, need_num, need_text, num, text, Ctx, Meaning};
use super::{
    AssetBalance, ExchangeFill, ExchangeOrder, ExchangeOrderState, OrderError, OrderKind,
    PlaceOrder, PlacedOrder, RejectKind, SymbolRules,
};
use crate::domain::orders::Side;
use crate::exchange::signing::binance_signature;
use crate::exchange::Pair;

const RECV_WINDOW_MS: u32 = 5000;

/// `params` + `timestamp` + `recvWindow`, then `&signature=hex(HMAC-SHA256(secret, that))`.
pub(crate) fn signed_params(secret: &str, params: &[(&str, String)], now_ms: i64) -> String {
    let mut all = params.to_vec();
    all.push(("timestamp", now_ms.to_string()));
    all.push(("recvWindow", RECV_WINDOW_MS.to_string()));
    let total = encode(&all);
    let signature = binance_signature(secret, &total);
    format!("{total}&signature={signature}")
}

/// The POST /api/v3/order parameters for `order`.
pub(crate) fn order_params(order: &PlaceOrder) -> Vec<(&'static str, String)> {
    let side = match order.side {
        Side::Buy => "BUY",
        Side::Sell => "SELL",
    };
    let mut params = vec![("symbol", order.pair.joined()), ("side", side.to_string())];
    match order.kind {
        OrderKind::Market => params.push(("type", "MARKET".into())),
        OrderKind::Limit { price } => {
            params.push(("type", "LIMIT".into()));
            params.push(("timeInForce", "GTC".into()));
            params.push(("price", common::decimal(price, common::DEFAULT_DECIMALS)));
        }
    }
    params.push(("quantity", common::amount(order.amount)));
    params.push(("newClientOrderId", order.client_order_id.clone()));
    // ACK: the order id is all we need here; fills come from myTrades.
    params.push(("newOrderRespType", "ACK".into()));
    params
}

async fn signed(
    ctx: &Ctx<'_>,
    method: Method,
    path: &str,
    params: &[(&str, String)],
) -> Result<Value, OrderError> {
    let signed = signed_params(ctx.secret, params, Utc::now().timestamp_millis());
    let url = format!("{}{path}", ctx.base);
    let request = if method == Method::POST {
        ctx.http
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(signed)
    } else {
        ctx.http.request(method, format!("{url}?{signed}"))
    };
    let reply = ctx.send(request.header("X-MBX-APIKEY", ctx.key)).await?;
    let body = reply.json();
    if !reply.status.is_success() {
        let b = body.unwrap_or(Value::Null);
        let msg = b.get("msg").and_then(Value::as_str).unwrap_or_default();
        return Err(ctx.failure(&reply, meaning(&b), msg));
    }
    body.ok_or_else(|| OrderError::Malformed("reply is not JSON".into()))
}

/// Binance's documented error codes.
pub(crate) fn meaning(body: &Value) -> Option<Meaning> {
    let code = body.get("code").and_then(Value::as_i64)?;
    let msg = body.get("msg").and_then(Value::as_str).unwrap_or_default();
    Some(match code {
        -1022 | -2014 | -2015 => Meaning::Reject(RejectKind::InvalidCredentials),
        // -2013 "Order does not exist."; -2011 "Unknown order sent." (cancel).
        -2013 | -2011 => Meaning::NotFound,
        -1003 | -1015 => Meaning::RateLimited,
        -2010 if msg.to_ascii_lowercase().contains("insufficient balance") => {
            Meaning::Reject(RejectKind::InsufficientBalance)
        }
        // -1013 "Filter failure: NOTIONAL" / "LOT_SIZE" / "MIN_NOTIONAL".
        -1013 => Meaning::Reject(RejectKind::BelowMinimum),
        _ => return None,
    })
}

pub(crate) async fn balances(ctx: &Ctx<'_>) -> Result<Vec<AssetBalance>, OrderError> {
    let body = signed(ctx, Method::GET, "/api/v3/account", &[]).await?;
    parse_balances(&body)
}

pub(crate) fn parse_balances(body: &Value) -> Result<Vec<AssetBalance>, OrderError> {
    let list = body
        .get("balances")
        .and_then(Value::as_array)
        .ok_or_else(|| OrderError::Malformed("balances missing".into()))?;
    let all = list
        .iter()
        .map(|b| {
            let free = need_num(b, "free")?;
            let locked = need_num(b, "locked")?;
            Ok(AssetBalance {
                asset: need_text(b, "asset")?.to_ascii_uppercase(),
                available: free,
                total: free + locked,
            })
        })
        .collect::<Result<Vec<_>, OrderError>>()?;
    // Binance lists every listed asset, mostly zeros.
    Ok(all.into_iter().filter(|b| b.total > 0.0).collect())
}

pub(crate) async fn symbol_rules(ctx: &Ctx<'_>, pair: &Pair) -> Result<SymbolRules, OrderError> {
    let request = ctx
        .http
        .get(format!("{}/api/v3/exchangeInfo", ctx.base))
        .query(&[("symbol", pair.joined())]);
    let reply = ctx.send(request).await?;
    let body = json(&reply)?;
    if !reply.status.is_success() {
        let msg = body.get("msg").and_then(Value::as_str).unwrap_or_default();
        return Err(ctx.failure(&reply, meaning(&body), msg));
    }
    parse_rules(&body)
}

/// `symbols[0].filters`: LOT_SIZE (minQty, stepSize) and NOTIONAL or MIN_NOTIONAL (minNotional).
pub(crate) fn parse_rules(body: &Value) -> Result<SymbolRules, OrderError> {
    let filters = body
        .pointer("/symbols/0/filters")
        .and_then(Value::as_array)
        .ok_or_else(|| OrderError::Malformed("symbol filters missing".into()))?;
    let find = |kind: &str| {
        filters
            .iter()
            .find(|f| f.get("filterType").and_then(Value::as_str) == Some(kind))
    };
    let lot = find("LOT_SIZE").ok_or_else(|| OrderError::Malformed("LOT_SIZE missing".into()))?;
    let min_notional = find("NOTIONAL")
        .or_else(|| find("MIN_NOTIONAL"))
        .and_then(|f| num(f.get("minNotional")))
        .unwrap_or(0.0);
    Ok(SymbolRules {
        min_amount: need_num(lot, "minQty")?,
        amount_step: need_num(lot, "stepSize")?,
        min_notional,
    })
}

pub(crate) async fn place(ctx: &Ctx<'_>, order: &PlaceOrder) -> Result<PlacedOrder, OrderError> {
    let body = signed(ctx, Method::POST, "/api/v3/order", &order_params(order)).await?;
    Ok(PlacedOrder {
        exchange_order_id: need_text(&body, "orderId")?,
    })
}

pub(crate) async fn query(
    ctx: &Ctx<'_>,
    pair: &Pair,
    client_order_id: &str,
) -> Result<ExchangeOrder, OrderError> {
    let params = [
        ("symbol", pair.joined()),
        ("origClientOrderId", client_order_id.to_string()),
    ];
    let order = signed(ctx, Method::GET, "/api/v3/order", &params).await?;
    let order_id = need_text(&order, "orderId")?;
    let params = [("symbol", pair.joined()), ("orderId", order_id.clone())];
    let trades = signed(ctx, Method::GET, "/api/v3/myTrades", &params).await?;
    let fills = parse_fills(&trades, pair)?;
    Ok(ExchangeOrder {
        exchange_order_id: order_id,
        client_order_id: text(order.get("clientOrderId"))
            .unwrap_or_else(|| client_order_id.to_string()),
        state: state(order.get("status").and_then(Value::as_str).unwrap_or("")),
        filled_amount: need_num(&order, "executedQty")?,
        fills,
    })
}

/// NEW, PARTIALLY_FILLED, FILLED, CANCELED, PENDING_CANCEL, REJECTED, EXPIRED, EXPIRED_IN_MATCH.
pub(crate) fn state(status: &str) -> ExchangeOrderState {
    match status {
        "PARTIALLY_FILLED" => ExchangeOrderState::PartiallyFilled,
        "FILLED" => ExchangeOrderState::Filled,
        "CANCELED" => ExchangeOrderState::Cancelled,
        "REJECTED" => ExchangeOrderState::Rejected,
        "EXPIRED" | "EXPIRED_IN_MATCH" => ExchangeOrderState::Expired,
        // NEW, PENDING_NEW, PENDING_CANCEL: still on the book.
        _ => ExchangeOrderState::Open,
    }
}

/// myTrades: `[{"id":..,"orderId":..,"price":"..","qty":"..","commission":"..",
/// "commissionAsset":"BNB","time":ms,"isBuyer":true}]`.
pub(crate) fn parse_fills(body: &Value, pair: &Pair) -> Result<Vec<ExchangeFill>, OrderError> {
    let list = body
        .as_array()
        .ok_or_else(|| OrderError::Malformed("trades are not a list".into()))?;
    list.iter()
        .map(|t| {
            Ok(ExchangeFill {
                trade_id: need_text(t, "id")?,
                exchange_order_id: need_text(t, "orderId")?,
                price: need_num(t, "price")?,
                amount: need_num(t, "qty")?,
                fee: num(t.get("commission")).unwrap_or(0.0),
                fee_currency: text(t.get("commissionAsset")).unwrap_or_else(|| pair.quote.clone()),
                side: if t.get("isBuyer").and_then(Value::as_bool) == Some(true) {
                    Side::Buy
                } else {
                    Side::Sell
                },
                at: common::millis(t.get("time"))
                    .ok_or_else(|| OrderError::Malformed("trade time missing".into()))?,
            })
        })
        .collect()
}

pub(crate) async fn cancel(
    ctx: &Ctx<'_>,
    pair: &Pair,
    client_order_id: &str,
) -> Result<(), OrderError> {
    let params = [
        ("symbol", pair.joined()),
        ("origClientOrderId", client_order_id.to_string()),
    ];
    signed(ctx, Method::DELETE, "/api/v3/order", &params)
        .await
        .map(|_| ())
}

pub(crate) async fn trade_history(
    ctx: &Ctx<'_>,
    pair: &Pair,
    since: DateTime<Utc>,
) -> Result<Vec<ExchangeFill>, OrderError> {
    let params = [
        ("symbol", pair.joined()),
        ("startTime", since.timestamp_millis().to_string()),
        ("limit", "1000".into()),
    ];
    let body = signed(ctx, Method::GET, "/api/v3/myTrades", &params).await?;
    parse_fills(&body, pair)
}

/// GET /sapi/v1/capital/deposit/address?coin=.. (SIGNED): {coin, address, tag, url}.
pub(crate) async fn deposit_address(
    ctx: &Ctx<'_>,
    asset: &str,
) -> Result<super::DepositAddress, OrderError> {
    let params = [("coin", asset.to_ascii_uppercase())];
    let body = signed(
        ctx,
        Method::GET,
        "/sapi/v1/capital/deposit/address",
        &params,
    )
    .await?;
    parse_deposit_address(&body, asset)
}

pub(crate) fn parse_deposit_address(
    body: &Value,
    asset: &str,
) -> Result<super::DepositAddress, OrderError> {
    Ok(super::DepositAddress {
        asset: text(body.get("coin")).unwrap_or_else(|| asset.to_ascii_uppercase()),
        address: need_text(body, "address")?,
        network: text(body.get("network")),
        tag: text(body.get("tag")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(kind: OrderKind) -> PlaceOrder {
        PlaceOrder {
            pair: Pair::parse("BTC/USDT").unwrap(),
            side: Side::Buy,
            kind,
            amount: 0.00001,
            quote_amount: 1.0,
            client_order_id: "amk-1".into(),
        }
    }

    #[test]
    fn the_signed_order_body_is_pinned() {
        let params = order_params(&order(OrderKind::Limit { price: 65000.5 }));
        let body = signed_params("s3cret", &params, 1_700_000_000_000);
        let total = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&price=65000.5\
                     &quantity=0.00001&newClientOrderId=amk-1&newOrderRespType=ACK\
                     &timestamp=1700000000000&recvWindow=5000";
        assert_eq!(
            body,
            format!("{total}&signature={}", binance_signature("s3cret", total))
        );
        let market = encode(&order_params(&order(OrderKind::Market)));
        assert_eq!(
            market,
            "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.00001&newClientOrderId=amk-1\
             &newOrderRespType=ACK"
        );
    }

    #[test]
    fn rules_fills_and_states_parse() {
        let info = json!({"symbols": [{"symbol": "BTCUSDT", "filters": [
            {"filterType": "PRICE_FILTER", "tickSize": "0.01"},
            {"filterType": "LOT_SIZE", "minQty": "0.00001000", "stepSize": "0.00001000"},
            {"filterType": "NOTIONAL", "minNotional": "5.00000000"}]}]});
        let rules = parse_rules(&info).unwrap();
        assert_eq!(
            (rules.min_amount, rules.amount_step, rules.min_notional),
            (0.00001, 0.00001, 5.0)
        );
        let pair = Pair::parse("BTC/USDT").unwrap();
        let fills = parse_fills(
            &json!([{"id": 7, "orderId": 9, "price": "100.5", "qty": "0.1", "commission": "0.0001",
                     "commissionAsset": "BTC", "time": 1_700_000_000_000i64, "isBuyer": true}]),
            &pair,
        )
        .unwrap();
        assert_eq!(fills[0].trade_id, "7");
        assert_eq!(fills[0].fee_currency, "BTC");
        assert_eq!(fills[0].side, Side::Buy);
        assert_eq!(state("CANCELED"), ExchangeOrderState::Cancelled);
        assert_eq!(state("EXPIRED_IN_MATCH"), ExchangeOrderState::Expired);
        let insufficient =
            json!({"code": -2010, "msg": "Account has insufficient balance for requested action."});
        assert_eq!(
            meaning(&insufficient),
            Some(Meaning::Reject(RejectKind::InsufficientBalance))
        );
        assert_eq!(
            meaning(&json!({"code": -2013, "msg": "Order does not exist."})),
            Some(Meaning::NotFound)
        );
    }
}
