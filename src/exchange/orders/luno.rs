//! Luno orders: HTTP Basic auth, form-encoded POSTs, `client_order_id` as our client id.
//! Market BUY takes the quote amount (`counter_volume`), market SELL the base (`base_volume`);
//! limit orders are `postorder` with BID/ASK. Luno calls bitcoin `XBT`.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;

use super::common::{self, encode, json, need_num, need_text, num, Ctx, Meaning};
use super::{
    AssetBalance, ExchangeFill, ExchangeOrder, ExchangeOrderState, OrderError, OrderKind,
    PlaceOrder, PlacedOrder, RejectKind, SymbolRules,
};
use crate::domain::orders::Side;
use crate::exchange::luno::symbol;
use crate::exchange::Pair;

/// Luno's asset codes back to ours (`XBT` -> `BTC`).
pub(crate) fn asset(code: &str) -> String {
    let up = code.to_ascii_uppercase();
    if up == "XBT" {
        "BTC".into()
    } else {
        up
    }
}

/// (path, form parameters) of the placement call.
pub(crate) fn order_request(order: &PlaceOrder) -> (&'static str, Vec<(&'static str, String)>) {
    let pair = symbol(&order.pair);
    match (order.kind, order.side) {
        (OrderKind::Market, Side::Buy) => (
            "/api/1/marketorder",
            vec![
                ("pair", pair),
                ("type", "BUY".into()),
                // Already rounded to the quote precision by the caller (ZAR: cents, XBT: 8).
                ("counter_volume", common::amount(order.quote_amount)),
                ("client_order_id", order.client_order_id.clone()),
            ],
        ),
        (OrderKind::Market, Side::Sell) => (
            "/api/1/marketorder",
            vec![
                ("pair", pair),
                ("type", "SELL".into()),
                ("base_volume", common::amount(order.amount)),
                ("client_order_id", order.client_order_id.clone()),
            ],
        ),
        (OrderKind::Limit { price }, side) => (
            "/api/1/postorder",
            vec![
                ("pair", pair),
                ("type", if side == Side::Buy { "BID" } else { "ASK" }.into()),
                ("volume", common::amount(order.amount)),
                ("price", common::decimal(price, common::DEFAULT_DECIMALS)),
                ("client_order_id", order.client_order_id.clone()),
            ],
        ),
    }
}

/// Luno answers `{"error":"..","error_code":"ErrInsufficientBalance"}` (codes as Luno lists them).
pub(crate) fn meaning(body: &Value) -> Option<Meaning> {
    let code = body.get("error_code").and_then(Value::as_str)?;
    Some(match code {
        "ErrInsufficientBalance" | "ErrInsufficientFunds" => {
            Meaning::Reject(RejectKind::InsufficientBalance)
        }
        // Volume below the market's min_volume; amount below the minimum allowed.
        "ErrVolumeTooLow" | "ErrAmountTooSmall" => Meaning::Reject(RejectKind::BelowMinimum),
        // Stopping an unknown or already completed order: the caller looks it up.
        "ErrOrderNotFound" | "ErrCannotStopUnknownOrNonPendingOrder" => Meaning::NotFound,
        "ErrTooManyRequests" => Meaning::RateLimited,
        "ErrApiKeyRevoked" | "ErrUnauthorised" => Meaning::Reject(RejectKind::InvalidCredentials),
        _ => return None,
    })
}

async fn call(
    ctx: &Ctx<'_>,
    method: Method,
    path: &str,
    params: &[(&str, String)],
) -> Result<Value, OrderError> {
    let url = format!("{}{path}", ctx.base);
    let request = if method == Method::POST {
        ctx.http
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(encode(params))
    } else if params.is_empty() {
        ctx.http.request(method, url)
    } else {
        ctx.http
            .request(method, format!("{url}?{}", encode(params)))
    };
    let reply = ctx
        .send(request.basic_auth(ctx.key, Some(ctx.secret)))
        .await?;
    let json = reply.json().unwrap_or(Value::Null);
    if !reply.status.is_success() {
        let msg = json.get("error").and_then(Value::as_str).unwrap_or("");
        return Err(ctx.failure(&reply, meaning(&json), msg));
    }
    Ok(json)
}

pub(crate) async fn balances(ctx: &Ctx<'_>) -> Result<Vec<AssetBalance>, OrderError> {
    let body = call(ctx, Method::GET, "/api/1/balance", &[]).await?;
    let list = body
        .get("balance")
        .and_then(Value::as_array)
        .ok_or_else(|| OrderError::Malformed("balance missing".into()))?;
    list.iter()
        .map(|b| {
            let total = need_num(b, "balance")?;
            let reserved = num(b.get("reserved")).unwrap_or(0.0);
            Ok(AssetBalance {
                asset: asset(&need_text(b, "asset")?),
                available: total - reserved,
                total,
            })
        })
        .collect()
}

pub(crate) async fn symbol_rules(ctx: &Ctx<'_>, pair: &Pair) -> Result<SymbolRules, OrderError> {
    let request = ctx
        .http
        .get(format!("{}/api/exchange/1/markets", ctx.base))
        .query(&[("pair", symbol(pair))]);
    let reply = ctx.send(request).await?;
    let body = json(&reply)?;
    if !reply.status.is_success() {
        let msg = body.get("error").and_then(Value::as_str).unwrap_or("");
        return Err(ctx.failure(&reply, meaning(&body), msg));
    }
    parse_rules(&body, pair)
}

/// `{"markets":[{"market_id":"XBTZAR","min_volume":"0.0005","volume_scale":4,..}]}`.
pub(crate) fn parse_rules(body: &Value, pair: &Pair) -> Result<SymbolRules, OrderError> {
    let id = symbol(pair);
    let market = body
        .get("markets")
        .and_then(Value::as_array)
        .and_then(|list| {
            list.iter()
                .find(|m| m.get("market_id").and_then(Value::as_str) == Some(id.as_str()))
        })
        .ok_or_else(|| OrderError::Rejected {
            kind: RejectKind::Other,
            reason: format!("Luno does not list {id}"),
        })?;
    Ok(SymbolRules {
        min_amount: need_num(market, "min_volume")?,
        amount_step: common::step_from_decimals(need_num(market, "volume_scale")? as i64),
        // Luno publishes no minimum order value.
        min_notional: 0.0,
    })
}

pub(crate) async fn place(ctx: &Ctx<'_>, order: &PlaceOrder) -> Result<PlacedOrder, OrderError> {
    let (path, params) = order_request(order);
    let body = call(ctx, Method::POST, path, &params).await?;
    Ok(PlacedOrder {
        exchange_order_id: need_text(&body, "order_id")?,
    })
}

/// GET /api/exchange/3/order?client_order_id=.. (the raw order, no fills).
async fn order_by_client_id(ctx: &Ctx<'_>, client_order_id: &str) -> Result<Value, OrderError> {
    call(
        ctx,
        Method::GET,
        "/api/exchange/3/order",
        &[("client_order_id", client_order_id.to_string())],
    )
    .await
}

pub(crate) async fn query(
    ctx: &Ctx<'_>,
    pair: &Pair,
    client_order_id: &str,
) -> Result<ExchangeOrder, OrderError> {
    let order = order_by_client_id(ctx, client_order_id).await?;
    let order_id = need_text(&order, "order_id")?;
    let since = num(order.get("creation_timestamp")).unwrap_or(0.0) as i64;
    let trades = list_trades(ctx, pair, since).await?;
    let fills: Vec<ExchangeFill> = trades
        .into_iter()
        .filter(|f| f.exchange_order_id == order_id)
        .collect();
    Ok(ExchangeOrder {
        exchange_order_id: order_id,
        client_order_id: client_order_id.to_string(),
        state: state(&order),
        filled_amount: num(order.get("base")).unwrap_or(0.0),
        fills,
    })
}

/// Luno's `status` is AWAITING / PENDING / COMPLETE; a COMPLETE order that filled less than
/// it asked for was cancelled (limit) or ran out of book (market).
pub(crate) fn state(order: &Value) -> ExchangeOrderState {
    let base = num(order.get("base")).unwrap_or(0.0);
    let wanted = num(order.get("limit_volume")).unwrap_or(0.0);
    let is_limit = matches!(
        order.get("type").and_then(Value::as_str),
        Some("LIMIT" | "BID" | "ASK")
    );
    // v3 orders say `status`; older replies say `state`.
    let status = order
        .get("status")
        .or_else(|| order.get("state"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match status {
        "COMPLETE" if is_limit && base + 1e-12 < wanted => ExchangeOrderState::Cancelled,
        "COMPLETE" if base > 0.0 => ExchangeOrderState::Filled,
        "COMPLETE" => ExchangeOrderState::Cancelled,
        _ if base > 0.0 => ExchangeOrderState::PartiallyFilled,
        _ => ExchangeOrderState::Open,
    }
}

async fn list_trades(
    ctx: &Ctx<'_>,
    pair: &Pair,
    since_ms: i64,
) -> Result<Vec<ExchangeFill>, OrderError> {
    let params = [
        ("pair", symbol(pair)),
        ("since", since_ms.to_string()),
        ("limit", "1000".to_string()),
    ];
    let body = call(ctx, Method::GET, "/api/1/listtrades", &params).await?;
    parse_fills(&body, pair)
}

/// `{"trades":[{"order_id":"..","sequence":1,"type":"BID","timestamp":ms,"price":"..",
/// "volume":"..","fee_base":"..","fee_counter":"..","is_buy":true}]}`; the fee is in base on
/// buys and in counter on sells.
pub(crate) fn parse_fills(body: &Value, pair: &Pair) -> Result<Vec<ExchangeFill>, OrderError> {
    let Some(list) = body.get("trades") else {
        return Ok(Vec::new());
    };
    if list.is_null() {
        return Ok(Vec::new());
    }
    let list = list
        .as_array()
        .ok_or_else(|| OrderError::Malformed("trades are not a list".into()))?;
    let mut fills = list
        .iter()
        .map(|t| {
            let fee_base = num(t.get("fee_base")).unwrap_or(0.0);
            let fee_counter = num(t.get("fee_counter")).unwrap_or(0.0);
            let (fee, fee_currency) = if fee_base > 0.0 {
                (fee_base, pair.base.clone())
            } else {
                (fee_counter, pair.quote.clone())
            };
            Ok(ExchangeFill {
                trade_id: need_text(t, "sequence")?,
                exchange_order_id: need_text(t, "order_id")?,
                price: need_num(t, "price")?,
                amount: need_num(t, "volume")?,
                fee,
                fee_currency,
                // In private trades `is_buy` says taker or maker; `type` (BID/ASK) is the side.
                side: if t.get("type").and_then(Value::as_str) == Some("ASK") {
                    Side::Sell
                } else {
                    Side::Buy
                },
                at: common::millis(t.get("timestamp"))
                    .ok_or_else(|| OrderError::Malformed("timestamp missing".into()))?,
            })
        })
        .collect::<Result<Vec<_>, OrderError>>()?;
    fills.sort_by_key(|f| f.at);
    Ok(fills)
}

/// Luno cancels by its own order id: look ours up first; a COMPLETE order needs nothing.
pub(crate) async fn cancel(
    ctx: &Ctx<'_>,
    _pair: &Pair,
    client_order_id: &str,
) -> Result<(), OrderError> {
    let order = order_by_client_id(ctx, client_order_id).await?;
    if order
        .get("status")
        .or_else(|| order.get("state"))
        .and_then(Value::as_str)
        == Some("COMPLETE")
    {
        return Ok(());
    }
    let order_id = need_text(&order, "order_id")?;
    call(
        ctx,
        Method::POST,
        "/api/1/stoporder",
        &[("order_id", order_id)],
    )
    .await
    .map(|_| ())
}

pub(crate) async fn trade_history(
    ctx: &Ctx<'_>,
    pair: &Pair,
    since: DateTime<Utc>,
) -> Result<Vec<ExchangeFill>, OrderError> {
    list_trades(ctx, pair, since.timestamp_millis()).await
}

/// GET /api/1/funding_address?asset=XBT (Basic auth): {asset, address, name, ...}.
pub(crate) async fn deposit_address(
    ctx: &Ctx<'_>,
    asset: &str,
) -> Result<super::DepositAddress, OrderError> {
    let up = asset.to_ascii_uppercase();
    let code = if up == "BTC" { "XBT".to_string() } else { up };
    let body = call(
        ctx,
        Method::GET,
        "/api/1/funding_address",
        &[("asset", code)],
    )
    .await?;
    parse_deposit_address(&body, asset)
}

pub(crate) fn parse_deposit_address(
    body: &Value,
    asset: &str,
) -> Result<super::DepositAddress, OrderError> {
    Ok(super::DepositAddress {
        asset: body
            .get("asset")
            .and_then(Value::as_str)
            .map(self::asset)
            .unwrap_or_else(|| asset.to_ascii_uppercase()),
        address: need_text(body, "address")?,
        network: None,
        tag: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(side: Side, kind: OrderKind) -> PlaceOrder {
        PlaceOrder {
            pair: Pair::parse("BTC/ZAR").unwrap(),
            side,
            kind,
            amount: 0.0005,
            quote_amount: 612.35,
            client_order_id: "amk-4".into(),
        }
    }

    #[test]
    fn market_buy_spends_quote_and_sell_gives_base() {
        let (path, params) = order_request(&order(Side::Buy, OrderKind::Market));
        assert_eq!(path, "/api/1/marketorder");
        assert_eq!(
            encode(&params),
            "pair=XBTZAR&type=BUY&counter_volume=612.35&client_order_id=amk-4"
        );
        let (_, params) = order_request(&order(Side::Sell, OrderKind::Market));
        assert_eq!(
            encode(&params),
            "pair=XBTZAR&type=SELL&base_volume=0.0005&client_order_id=amk-4"
        );
        let (path, params) =
            order_request(&order(Side::Sell, OrderKind::Limit { price: 1_250_000.0 }));
        assert_eq!(path, "/api/1/postorder");
        assert_eq!(
            encode(&params),
            "pair=XBTZAR&type=ASK&volume=0.0005&price=1250000&client_order_id=amk-4"
        );
    }

    #[test]
    fn states_fills_and_codes_map() {
        let done = json!({"status": "COMPLETE", "type": "MARKET", "base": "0.1"});
        assert_eq!(state(&done), ExchangeOrderState::Filled);
        let stopped =
            json!({"status": "COMPLETE", "type": "LIMIT", "base": "0", "limit_volume": "0.1"});
        assert_eq!(state(&stopped), ExchangeOrderState::Cancelled);
        let part =
            json!({"status": "PENDING", "type": "LIMIT", "base": "0.05", "limit_volume": "0.1"});
        assert_eq!(state(&part), ExchangeOrderState::PartiallyFilled);
        let pair = Pair::parse("BTC/ZAR").unwrap();
        let fills = parse_fills(
            &json!({"trades": [{"order_id": "BX1", "sequence": 5, "type": "BID", "timestamp": 1_700_000_000_000i64,
                "price": "1000", "volume": "0.1", "fee_base": "0.0001", "fee_counter": "0", "is_buy": true}]}),
            &pair,
        )
        .unwrap();
        assert_eq!(
            (fills[0].fee, fills[0].fee_currency.as_str()),
            (0.0001, "BTC")
        );
        assert_eq!(
            meaning(
                &json!({"error": "Insufficient balance.", "error_code": "ErrInsufficientBalance"})
            ),
            Some(Meaning::Reject(RejectKind::InsufficientBalance))
        );
        assert_eq!(asset("XBT"), "BTC");
    }
}
