//! Binance spot dialect: /api/v3 paths, `{"code":-n,"msg":".."}` errors, numeric ids.

use amarktai::domain::orders::Side;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::book::{Book, Kind, Order, Refusal, State, Trade};
use super::{dec, Answer, Dialect, Req};

pub struct Binance;

fn err(status: u16, code: i64, msg: &str) -> Answer {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"code": code, "msg": msg}),
    )
}

fn status(o: &Order) -> &'static str {
    match o.state {
        State::Open => "NEW",
        State::PartiallyFilled => "PARTIALLY_FILLED",
        State::Filled => "FILLED",
        State::Cancelled => "CANCELED",
    }
}

fn order_json(o: &Order) -> Value {
    let price = match o.kind {
        Kind::Limit(p) => p,
        Kind::Market => 0.0,
    };
    json!({
        "symbol": o.pair.joined(), "orderId": o.id, "orderListId": -1,
        "clientOrderId": o.client_id, "price": dec(price), "origQty": dec(o.amount),
        "executedQty": dec(o.filled), "status": status(o), "timeInForce": "GTC",
        "type": if o.kind == Kind::Market { "MARKET" } else { "LIMIT" },
        "side": if o.side == Side::Buy { "BUY" } else { "SELL" },
        "time": o.created.timestamp_millis(), "updateTime": o.created.timestamp_millis(),
    })
}

fn trade_json(t: &Trade) -> Value {
    json!({
        "symbol": t.pair.joined(), "id": t.id, "orderId": t.order_id, "orderListId": -1,
        "price": dec(t.price), "qty": dec(t.amount), "quoteQty": dec(t.price * t.amount),
        "commission": dec(t.fee), "commissionAsset": t.fee_currency,
        "time": t.at.timestamp_millis(), "isBuyer": t.side == Side::Buy, "isMaker": false,
        "isBestMatch": true,
    })
}

impl Dialect for Binance {
    fn is_public(path: &str) -> bool {
        path == "/api/v3/exchangeInfo"
    }

    fn is_placement(method: &Method, path: &str) -> bool {
        method == Method::POST && path == "/api/v3/order"
    }

    fn client_id(req: &Req) -> Option<String> {
        req.param("newClientOrderId")
    }

    fn auth_error() -> Answer {
        err(400, -1022, "Signature for this request is not valid.")
    }

    fn rate_limited() -> Value {
        json!({"code": -1003, "msg": "Too many requests; current limit is 6000 request weight per 1 MINUTE."})
    }

    fn handle(book: &mut Book, req: &Req) -> Answer {
        let pair = req
            .param("symbol")
            .and_then(|s| book.pair_for(&s, |p| p.joined()));
        match (req.method.as_str(), req.path.as_str(), pair) {
            ("GET", "/sapi/v1/capital/deposit/address", _) => {
                let coin = req.param("coin").unwrap_or_default();
                (
                    StatusCode::OK,
                    json!({"coin": coin, "address": format!("fake-binance-{coin}-address"),
                           "tag": "", "url": ""}),
                )
            }
            ("GET", "/api/v3/account", _) => {
                let balances: Vec<Value> = book
                    .assets()
                    .iter()
                    .map(|a| {
                        let (free, locked) = book.asset(a);
                        json!({"asset": a, "free": dec(free), "locked": dec(locked)})
                    })
                    .collect();
                (
                    StatusCode::OK,
                    json!({"accountType": "SPOT", "balances": balances}),
                )
            }
            ("GET", "/api/v3/exchangeInfo", Some(pair)) => {
                let Some(r) = book.rules.get(&pair.canonical()) else {
                    return err(400, -1121, "Invalid symbol.");
                };
                let filters = json!([
                    {"filterType": "PRICE_FILTER", "minPrice": "0.01000000", "tickSize": "0.01000000"},
                    {"filterType": "LOT_SIZE", "minQty": dec(r.min_amount), "maxQty": "9000.00000000", "stepSize": dec(r.amount_step)},
                    {"filterType": "NOTIONAL", "minNotional": dec(r.min_notional), "applyMinToMarket": true},
                ]);
                let symbol = json!({"symbol": pair.joined(), "status": "TRADING",
                    "baseAsset": pair.base, "quoteAsset": pair.quote, "filters": filters});
                (
                    StatusCode::OK,
                    json!({"timezone": "UTC", "symbols": [symbol]}),
                )
            }
            (_, _, None) if req.path != "/api/v3/account" => err(400, -1121, "Invalid symbol."),
            ("POST", "/api/v3/order", Some(pair)) => {
                let side = match req.param("side").as_deref() {
                    Some("BUY") => Side::Buy,
                    Some("SELL") => Side::Sell,
                    _ => return err(400, -1102, "Mandatory parameter 'side' was not sent."),
                };
                let kind = match (req.param("type").as_deref(), req.num("price")) {
                    (Some("MARKET"), _) => Kind::Market,
                    (Some("LIMIT"), Some(p)) => Kind::Limit(p),
                    _ => return err(400, -1102, "Mandatory parameter 'price' was not sent."),
                };
                let Some(qty) = req.num("quantity") else {
                    return err(400, -1102, "Mandatory parameter 'quantity' was not sent.");
                };
                let cid = req.param("newClientOrderId").unwrap_or_default();
                if book.by_client(&cid).is_some() {
                    return err(400, -2010, "Duplicate order sent.");
                }
                match book.place(&pair, side, kind, qty, &cid) {
                    Ok(id) => (
                        StatusCode::OK,
                        json!({"symbol": pair.joined(), "orderId": id, "orderListId": -1,
                               "clientOrderId": cid, "transactTime": chrono::Utc::now().timestamp_millis()}),
                    ),
                    Err(Refusal::Insufficient) => err(
                        400,
                        -2010,
                        "Account has insufficient balance for requested action.",
                    ),
                    Err(Refusal::BelowMinimum(filter)) => {
                        err(400, -1013, &format!("Filter failure: {filter}"))
                    }
                    Err(Refusal::UnknownPair) => err(400, -1121, "Invalid symbol."),
                }
            }
            ("GET", "/api/v3/order", Some(_)) => {
                let cid = req.param("origClientOrderId").unwrap_or_default();
                let Some(order) = book.by_client(&cid) else {
                    return err(400, -2013, "Order does not exist.");
                };
                book.advance(order.id);
                let order = book.by_id(order.id).unwrap_or(order);
                (StatusCode::OK, order_json(&order))
            }
            ("DELETE", "/api/v3/order", Some(_)) => {
                let cid = req.param("origClientOrderId").unwrap_or_default();
                match book.by_client(&cid) {
                    Some(order) if book.cancel(order.id) => {
                        let order = book.by_id(order.id).unwrap_or(order);
                        (StatusCode::OK, order_json(&order))
                    }
                    _ => err(400, -2011, "Unknown order sent."),
                }
            }
            ("GET", "/api/v3/myTrades", Some(pair)) => {
                let trades: Vec<Value> = match req.param("orderId").and_then(|v| v.parse().ok()) {
                    Some(id) => book.fills_of(id).iter().map(trade_json).collect(),
                    None => {
                        let since = req.num("startTime").unwrap_or(0.0) as i64;
                        book.trades_on(&pair, since)
                            .iter()
                            .map(trade_json)
                            .collect()
                    }
                };
                (StatusCode::OK, Value::Array(trades))
            }
            _ => err(404, -1000, "Unknown path."),
        }
    }
}
