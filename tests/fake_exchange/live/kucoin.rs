//! KuCoin spot dialect: `{"code":"200000","data":..}` envelopes, business errors as HTTP 200
//! with another code, `BTC-USDT` symbols, hex order ids, fees in the quote currency.

use amarktai::exchange::Pair;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::book::{Book, Kind, Order, Refusal, State, Trade};
use super::{dec, side_of, Answer, Dialect, Req};

pub struct Kucoin;

fn sym(p: &Pair) -> String {
    format!("{}-{}", p.base, p.quote)
}

fn ok(data: Value) -> Answer {
    (StatusCode::OK, json!({"code": "200000", "data": data}))
}

fn err(status: u16, code: &str, msg: &str) -> Answer {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"code": code, "msg": msg}),
    )
}

fn oid(id: u64) -> String {
    format!("{id:024x}")
}

fn from_oid(text: &str) -> Option<u64> {
    u64::from_str_radix(text, 16).ok()
}

fn order_json(o: &Order, fills: &[Trade]) -> Value {
    let price = match o.kind {
        Kind::Limit(p) => p,
        Kind::Market => 0.0,
    };
    let deal_funds: f64 = fills.iter().map(|t| t.price * t.amount).sum();
    let fee: f64 = fills.iter().map(|t| t.fee).sum();
    json!({
        "id": oid(o.id), "symbol": sym(&o.pair), "opType": "DEAL",
        "type": if o.kind == Kind::Market { "market" } else { "limit" },
        "side": o.side.as_str(), "price": dec(price), "size": dec(o.amount),
        "funds": "0", "dealFunds": dec(deal_funds), "dealSize": dec(o.filled),
        "fee": dec(fee), "feeCurrency": o.pair.quote, "timeInForce": "GTC",
        "isActive": o.is_open(), "cancelExist": o.state == State::Cancelled,
        "createdAt": o.created.timestamp_millis(), "clientOid": o.client_id, "tradeType": "TRADE",
    })
}

fn fill_json(t: &Trade) -> Value {
    json!({
        "symbol": sym(&t.pair), "tradeId": t.id.to_string(), "orderId": oid(t.order_id),
        "counterOrderId": oid(t.order_id + 1), "side": t.side.as_str(), "liquidity": "taker",
        "forceTaker": false, "price": dec(t.price), "size": dec(t.amount),
        "funds": dec(t.price * t.amount), "fee": dec(t.fee), "feeRate": "0.001",
        "feeCurrency": t.fee_currency, "stop": "", "type": "market",
        "createdAt": t.at.timestamp_millis(), "tradeType": "TRADE",
    })
}

fn page(items: Vec<Value>) -> Answer {
    let n = items.len();
    ok(json!({"currentPage": 1, "pageSize": 500, "totalNum": n, "totalPage": 1, "items": items}))
}

impl Dialect for Kucoin {
    fn is_public(path: &str) -> bool {
        path.starts_with("/api/v2/symbols/")
    }

    fn is_placement(method: &Method, path: &str) -> bool {
        method == Method::POST && path == "/api/v1/orders"
    }

    fn client_id(req: &Req) -> Option<String> {
        req.param("clientOid")
    }

    fn auth_error() -> Answer {
        err(401, "400005", "Invalid KC-API-SIGN")
    }

    fn rate_limited() -> Value {
        json!({"code": "429000", "msg": "Too Many Requests"})
    }

    fn handle(book: &mut Book, req: &Req) -> Answer {
        let path = req.path.as_str();
        let client_order = path.strip_prefix("/api/v1/order/client-order/");
        match (req.method.as_str(), path) {
            ("GET", "/api/v1/deposit-addresses") => {
                let currency = req.param("currency").unwrap_or_default();
                ok(
                    json!({"address": format!("fake-kucoin-{currency}-address"), "memo": "",
                          "chain": "BTC"}),
                )
            }
            ("GET", "/api/v1/accounts") => {
                let list: Vec<Value> = book
                    .assets()
                    .iter()
                    .map(|a| {
                        let (free, held) = book.asset(a);
                        json!({"id": format!("acc-{a}"), "currency": a, "type": "trade",
                               "balance": dec(free + held), "available": dec(free), "holds": dec(held)})
                    })
                    .collect();
                ok(Value::Array(list))
            }
            ("GET", p) if p.starts_with("/api/v2/symbols/") => {
                let symbol = &p["/api/v2/symbols/".len()..];
                let rules = book
                    .pair_for(symbol, sym)
                    .and_then(|pair| book.rules.get(&pair.canonical()).map(|r| (pair, r.clone())));
                match rules {
                    Some((pair, r)) => ok(json!({
                        "symbol": sym(&pair), "name": sym(&pair), "baseCurrency": pair.base,
                        "quoteCurrency": pair.quote, "baseMinSize": dec(r.min_amount),
                        "quoteMinSize": "0.1", "baseIncrement": dec(r.amount_step),
                        "quoteIncrement": "0.000001", "priceIncrement": "0.1",
                        "minFunds": dec(r.min_notional), "enableTrading": true,
                    })),
                    None => ok(Value::Null),
                }
            }
            ("POST", "/api/v1/orders") => {
                let Some(pair) = req.param("symbol").and_then(|s| book.pair_for(&s, sym)) else {
                    return err(400, "400100", "Unsupported trading pair.");
                };
                let Some(side) = req.param("side").as_deref().and_then(side_of) else {
                    return err(400, "400100", "side is invalid");
                };
                let kind = match (req.param("type").as_deref(), req.num("price")) {
                    (Some("market"), _) => Kind::Market,
                    (Some("limit"), Some(p)) => Kind::Limit(p),
                    _ => return err(400, "400100", "price is invalid"),
                };
                let Some(size) = req.num("size") else {
                    return err(400, "400100", "size is invalid");
                };
                let cid = req.param("clientOid").unwrap_or_default();
                match book.place(&pair, side, kind, size, &cid) {
                    Ok(id) => ok(json!({"orderId": oid(id)})),
                    Err(Refusal::Insufficient) => err(200, "230003", "Balance insufficient!"),
                    Err(Refusal::BelowMinimum("LOT_SIZE")) => {
                        err(200, "400100", "Order size below the minimum requirement.")
                    }
                    Err(Refusal::BelowMinimum(_)) => {
                        err(200, "400100", "Order funds below the minimum requirement.")
                    }
                    Err(Refusal::UnknownPair) => err(400, "400100", "Unsupported trading pair."),
                }
            }
            ("GET", _) if client_order.is_some() => {
                match client_order.and_then(|c| book.by_client(c)) {
                    Some(order) => {
                        book.advance(order.id);
                        let order = book.by_id(order.id).unwrap_or(order);
                        ok(order_json(&order, &book.fills_of(order.id)))
                    }
                    // KuCoin answers an unknown clientOid with success and no data.
                    None => ok(Value::Null),
                }
            }
            ("DELETE", _) if client_order.is_some() => {
                match client_order.and_then(|c| book.by_client(c)) {
                    Some(order) if book.cancel(order.id) => ok(json!({
                        "cancelledOrderId": oid(order.id), "clientOid": order.client_id,
                    })),
                    _ => err(404, "400100", "order_not_exist_or_not_allow_to_cancel"),
                }
            }
            ("GET", "/api/v1/fills") => {
                if let Some(id) = req.param("orderId").as_deref().and_then(from_oid) {
                    return page(book.fills_of(id).iter().map(fill_json).collect());
                }
                let Some(pair) = req.param("symbol").and_then(|s| book.pair_for(&s, sym)) else {
                    return page(Vec::new());
                };
                let since = req.num("startAt").unwrap_or(0.0) as i64;
                let mut items: Vec<Value> =
                    book.trades_on(&pair, since).iter().map(fill_json).collect();
                // KuCoin lists newest first.
                items.reverse();
                page(items)
            }
            _ => err(404, "404000", "Url Not Found"),
        }
    }
}
