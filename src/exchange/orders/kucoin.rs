//! KuCoin spot orders: `KC-API-*` v2 headers signed over timestamp + METHOD + path(?query) +
//! JSON body; every reply is `{"code":"200000","data":..}` or another code with `msg`.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{json, Value};

use super::common::{self, json, need_num, need_text, num, text, Ctx, Meaning};
use super::{
    AssetBalance, ExchangeFill, ExchangeOrder, ExchangeOrderState, OrderError, OrderKind,
    PlaceOrder, PlacedOrder, RejectKind, SymbolRules,
};
use crate::domain::orders::Side;
use crate::exchange::kucoin::{body_code, symbol};
use crate::exchange::signing::{kucoin_passphrase, kucoin_signature};
use crate::exchange::Pair;

/// The JSON body of POST /api/v1/orders.
pub(crate) fn order_body(order: &PlaceOrder) -> Value {
    let mut body = json!({
        "clientOid": order.client_order_id,
        "side": order.side.as_str(),
        "symbol": symbol(&order.pair),
        "size": common::amount(order.amount),
    });
    match order.kind {
        OrderKind::Market => body["type"] = json!("market"),
        OrderKind::Limit { price } => {
            body["type"] = json!("limit");
            body["price"] = json!(common::decimal(price, common::DEFAULT_DECIMALS));
            body["timeInForce"] = json!("GTC");
        }
    }
    body
}

/// KuCoin's documented codes (HTTP status aside).
pub(crate) fn meaning(body: &Value) -> Option<Meaning> {
    let code = body_code(body)?;
    let msg = body
        .get("msg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    Some(match code {
        // 400001 headers missing, 400003 key, 400004 passphrase, 400005 signature.
        "400001" | "400003" | "400004" | "400005" => {
            Meaning::Reject(RejectKind::InvalidCredentials)
        }
        "429000" => Meaning::RateLimited,
        // 230003 "Balance insufficient!", 260100 "account.noBalance", 200004 (older spot).
        "200004" | "230003" | "260100" => Meaning::Reject(RejectKind::InsufficientBalance),
        // {"code":"400100","msg":"order_not_exist_or_not_allow_to_cancel"} and
        // {"code":"order_not_exist","msg":"order_not_exist"}.
        c if c.contains("not_exist") || msg.contains("not_exist") || msg.contains("not exist") => {
            Meaning::NotFound
        }
        // {"code":"400100","msg":"Order size below the minimum requirement."}
        "400100" if msg.contains("below the minimum") => Meaning::Reject(RejectKind::BelowMinimum),
        _ => return None,
    })
}

/// Sends one signed call; `endpoint` is the path with its query string, as signed.
async fn call(
    ctx: &Ctx<'_>,
    method: Method,
    endpoint: &str,
    body: Option<&Value>,
) -> Result<Value, OrderError> {
    let now_ms = Utc::now().timestamp_millis();
    let body_text = body.map(Value::to_string).unwrap_or_default();
    let mut request = ctx
        .http
        .request(method.clone(), format!("{}{endpoint}", ctx.base))
        .header("KC-API-KEY", ctx.key)
        .header(
            "KC-API-SIGN",
            kucoin_signature(ctx.secret, now_ms, method.as_str(), endpoint, &body_text),
        )
        .header("KC-API-TIMESTAMP", now_ms.to_string())
        .header(
            "KC-API-PASSPHRASE",
            kucoin_passphrase(ctx.secret, ctx.passphrase),
        )
        .header("KC-API-KEY-VERSION", "2");
    if body.is_some() {
        request = request
            .header("Content-Type", "application/json")
            .body(body_text);
    }
    let reply = ctx.send(request).await?;
    let json = reply.json().unwrap_or(Value::Null);
    // KuCoin can answer 200 with an error code in the body.
    if !reply.status.is_success() || body_code(&json).is_some() {
        let msg = json.get("msg").and_then(Value::as_str).unwrap_or_default();
        return Err(ctx.failure(&reply, meaning(&json), msg));
    }
    json.get("data")
        .cloned()
        .ok_or_else(|| OrderError::Malformed("data missing".into()))
}

pub(crate) async fn balances(ctx: &Ctx<'_>) -> Result<Vec<AssetBalance>, OrderError> {
    let data = call(ctx, Method::GET, "/api/v1/accounts?type=trade", None).await?;
    parse_balances(&data)
}

/// `[{"currency":"BTC","type":"trade","balance":"..","available":"..","holds":".."}]`.
pub(crate) fn parse_balances(data: &Value) -> Result<Vec<AssetBalance>, OrderError> {
    let list = data
        .as_array()
        .ok_or_else(|| OrderError::Malformed("accounts are not a list".into()))?;
    list.iter()
        .filter(|a| a.get("type").and_then(Value::as_str).unwrap_or("trade") == "trade")
        .map(|a| {
            Ok(AssetBalance {
                asset: need_text(a, "currency")?.to_ascii_uppercase(),
                available: need_num(a, "available")?,
                total: need_num(a, "balance")?,
            })
        })
        .collect()
}

pub(crate) async fn symbol_rules(ctx: &Ctx<'_>, pair: &Pair) -> Result<SymbolRules, OrderError> {
    let url = format!("{}/api/v2/symbols/{}", ctx.base, symbol(pair));
    let reply = ctx.send(ctx.http.get(url)).await?;
    let body = json(&reply)?;
    if !reply.status.is_success() || body_code(&body).is_some() {
        let msg = body.get("msg").and_then(Value::as_str).unwrap_or_default();
        return Err(ctx.failure(&reply, meaning(&body), msg));
    }
    parse_rules(body.get("data").unwrap_or(&Value::Null))
}

/// `{"symbol":"BTC-USDT","baseMinSize":"0.00001","baseIncrement":"0.00000001","minFunds":"0.1"}`.
pub(crate) fn parse_rules(data: &Value) -> Result<SymbolRules, OrderError> {
    Ok(SymbolRules {
        min_amount: need_num(data, "baseMinSize")?,
        amount_step: need_num(data, "baseIncrement")?,
        min_notional: num(data.get("minFunds")).unwrap_or(0.0),
    })
}

pub(crate) async fn place(ctx: &Ctx<'_>, order: &PlaceOrder) -> Result<PlacedOrder, OrderError> {
    let data = call(
        ctx,
        Method::POST,
        "/api/v1/orders",
        Some(&order_body(order)),
    )
    .await?;
    Ok(PlacedOrder {
        exchange_order_id: need_text(&data, "orderId")?,
    })
}

pub(crate) async fn query(
    ctx: &Ctx<'_>,
    pair: &Pair,
    client_order_id: &str,
) -> Result<ExchangeOrder, OrderError> {
    let endpoint = format!("/api/v1/order/client-order/{client_order_id}");
    let data = call(ctx, Method::GET, &endpoint, None).await?;
    // An unknown clientOid answers `"data": null`.
    if data.is_null() {
        return Err(OrderError::NotFound);
    }
    let order_id = need_text(&data, "id")?;
    let fills = call(
        ctx,
        Method::GET,
        &format!("/api/v1/fills?orderId={order_id}"),
        None,
    )
    .await?;
    let fills = parse_fills(fills.get("items").unwrap_or(&Value::Null), pair)?;
    Ok(ExchangeOrder {
        exchange_order_id: order_id,
        client_order_id: client_order_id.to_string(),
        state: state(&data),
        filled_amount: num(data.get("dealSize")).unwrap_or(0.0),
        fills,
    })
}

/// KuCoin has no status string: `isActive`, `cancelExist` and `dealSize` say it.
pub(crate) fn state(order: &Value) -> ExchangeOrderState {
    let active = order.get("isActive").and_then(Value::as_bool) == Some(true);
    let cancelled = order.get("cancelExist").and_then(Value::as_bool) == Some(true);
    let dealt = num(order.get("dealSize")).unwrap_or(0.0) > 0.0;
    match (active, cancelled, dealt) {
        (true, _, false) => ExchangeOrderState::Open,
        (true, _, true) => ExchangeOrderState::PartiallyFilled,
        (false, true, _) => ExchangeOrderState::Cancelled,
        (false, false, _) => ExchangeOrderState::Filled,
    }
}

/// `items`: `[{"tradeId":"..","orderId":"..","side":"buy","price":"..","size":"..","fee":"..",
/// "feeCurrency":"USDT","createdAt":ms}]`.
pub(crate) fn parse_fills(items: &Value, pair: &Pair) -> Result<Vec<ExchangeFill>, OrderError> {
    let list = items
        .as_array()
        .ok_or_else(|| OrderError::Malformed("fills are not a list".into()))?;
    let mut fills = list
        .iter()
        .map(|t| {
            Ok(ExchangeFill {
                trade_id: need_text(t, "tradeId")?,
                exchange_order_id: need_text(t, "orderId")?,
                price: need_num(t, "price")?,
                amount: need_num(t, "size")?,
                fee: num(t.get("fee")).unwrap_or(0.0),
                fee_currency: text(t.get("feeCurrency")).unwrap_or_else(|| pair.quote.clone()),
                side: if t.get("side").and_then(Value::as_str) == Some("sell") {
                    Side::Sell
                } else {
                    Side::Buy
                },
                at: common::millis(t.get("createdAt"))
                    .ok_or_else(|| OrderError::Malformed("createdAt missing".into()))?,
            })
        })
        .collect::<Result<Vec<_>, OrderError>>()?;
    // KuCoin lists newest first: reverse, then a stable sort keeps same-millisecond fills in
    // the exchange's order.
    fills.reverse();
    fills.sort_by_key(|f| f.at);
    Ok(fills)
}

pub(crate) async fn cancel(
    ctx: &Ctx<'_>,
    _pair: &Pair,
    client_order_id: &str,
) -> Result<(), OrderError> {
    let endpoint = format!("/api/v1/order/client-order/{client_order_id}");
    call(ctx, Method::DELETE, &endpoint, None).await.map(|_| ())
}

pub(crate) async fn trade_history(
    ctx: &Ctx<'_>,
    pair: &Pair,
    since: DateTime<Utc>,
) -> Result<Vec<ExchangeFill>, OrderError> {
    let endpoint = format!(
        "/api/v1/fills?symbol={}&startAt={}&pageSize=500",
        symbol(pair),
        since.timestamp_millis()
    );
    let data = call(ctx, Method::GET, &endpoint, None).await?;
    parse_fills(data.get("items").unwrap_or(&Value::Null), pair)
}

/// GET /api/v1/deposit-addresses?currency=.. (signed): data {address, memo, chain}.
pub(crate) async fn deposit_address(
    ctx: &Ctx<'_>,
    asset: &str,
) -> Result<super::DepositAddress, OrderError> {
    let endpoint = format!(
        "/api/v1/deposit-addresses?{}",
        common::encode(&[("currency", asset.to_ascii_uppercase())])
    );
    let data = call(ctx, Method::GET, &endpoint, None).await?;
    parse_deposit_address(&data, asset)
}

pub(crate) fn parse_deposit_address(
    data: &Value,
    asset: &str,
) -> Result<super::DepositAddress, OrderError> {
    Ok(super::DepositAddress {
        asset: asset.to_ascii_uppercase(),
        address: need_text(data, "address")?,
        network: text(data.get("chain")),
        tag: text(data.get("memo")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_body_and_its_prehash_are_pinned() {
        let order = PlaceOrder {
            pair: Pair::parse("BTC/USDT").unwrap(),
            side: Side::Sell,
            kind: OrderKind::Limit { price: 65000.0 },
            amount: 0.0005,
            quote_amount: 32.5,
            client_order_id: "amk-2".into(),
        };
        let body = order_body(&order).to_string();
        assert_eq!(
            body,
            r#"{"clientOid":"amk-2","side":"sell","symbol":"BTC-USDT","size":"0.0005","type":"limit","price":"65000","timeInForce":"GTC"}"#
        );
        // The prehash is timestamp + METHOD + endpoint + the exact body text sent.
        use base64::Engine as _;
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(b"s").unwrap();
        mac.update(format!("1700000000000POST/api/v1/orders{body}").as_bytes());
        let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(
            kucoin_signature("s", 1_700_000_000_000, "POST", "/api/v1/orders", &body),
            want
        );
    }

    #[test]
    fn states_and_codes_map() {
        let order = json!({"isActive": false, "cancelExist": false, "dealSize": "0.1"});
        assert_eq!(state(&order), ExchangeOrderState::Filled);
        let order = json!({"isActive": true, "cancelExist": false, "dealSize": "0.05"});
        assert_eq!(state(&order), ExchangeOrderState::PartiallyFilled);
        let order = json!({"isActive": false, "cancelExist": true, "dealSize": "0"});
        assert_eq!(state(&order), ExchangeOrderState::Cancelled);
        assert_eq!(
            meaning(&json!({"code": "230003", "msg": "Balance insufficient!"})),
            Some(Meaning::Reject(RejectKind::InsufficientBalance))
        );
        assert_eq!(
            meaning(&json!({"code": "400005", "msg": "Invalid KC-API-SIGN"})),
            Some(Meaning::Reject(RejectKind::InvalidCredentials))
        );
        let rules = parse_rules(
            &json!({"baseMinSize": "0.00001", "baseIncrement": "0.00000001", "minFunds": "0.1"}),
        )
        .unwrap();
        assert_eq!(rules.min_notional, 0.1);
    }
}
