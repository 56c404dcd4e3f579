//! VALR dialect: `BTCZAR` pairs, 202 `{"id":uuid}` on placement, `{"code","message"}`
//! errors, `orderStatusType` states, RFC 3339 times.

use amarktai::exchange::Pair;
use axum::http::{Method, StatusCode};
use chrono::SecondsFormat;
use serde_json::{json, Value};

use super::book::{Book, Kind, Order, Refusal, State, Trade};
use super::{dec, side_of, Answer, Dialect, Req};

pub struct Valr;

fn err(status: u16, code: i64, message: &str) -> Answer {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"code": code, "message": message}),
    )
}

fn uuid(id: u64) -> String {
    format!("00000000-0000-4000-8000-{id:012x}")
}

fn from_uuid(text: &str) -> Option<u64> {
    u64::from_str_radix(text.rsplit('-').next()?, 16).ok()
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn status(o: &Order) -> &'static str {
    match o.state {
        State::Open => "Placed",
        State::PartiallyFilled => "Partially Filled",
        State::Filled => "Filled",
        State::Cancelled => "Cancelled",
    }
}

fn order_json(o: &Order) -> Value {
    let price = match o.kind {
        Kind::Limit(p) => p,
        Kind::Market => 0.0,
    };
    json!({
        "orderId": uuid(o.id), "orderStatusType": status(o), "currencyPair": o.pair.joined(),
        "originalPrice": dec(price), "remainingQuantity": dec(o.amount - o.filled),
        "originalQuantity": dec(o.amount), "orderSide": o.side.as_str(),
        "orderType": if o.kind == Kind::Market { "market" } else { "limit" },
        "failedReason": "", "customerOrderId": o.client_id,
        "orderUpdatedAt": time(o.created), "orderCreatedAt": time(o.created),
        "timeInForce": "GTC",
    })
}

fn trade_json(t: &Trade) -> Value {
    json!({
        "price": dec(t.price), "quantity": dec(t.amount), "currencyPair": t.pair.joined(),
        "tradedAt": time(t.at), "side": t.side.as_str(), "sequenceId": t.id,
        "id": uuid(t.id), "orderId": uuid(t.order_id), "fee": dec(t.fee),
        "feeCurrency": t.fee_currency,
    })
}

impl Dialect for Valr {
    fn is_public(path: &str) -> bool {
        path.starts_with("/v1/public/")
    }

    fn is_placement(method: &Method, path: &str) -> bool {
        method == Method::POST && (path == "/v1/orders/market" || path == "/v1/orders/limit")
    }

    fn client_id(req: &Req) -> Option<String> {
        req.param("customerOrderId")
    }

    fn auth_error() -> Answer {
        err(401, -11, "Request has an invalid signature.")
    }

    fn rate_limited() -> Value {
        json!({"code": -3, "message": "Rate limit exceeded"})
    }

    fn handle(book: &mut Book, req: &Req) -> Answer {
        let path = req.path.as_str();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["v1", "wallet", "crypto", currency, "deposit", "address"]) => (
                StatusCode::OK,
                json!({"currency": currency, "address": format!("fake-valr-{currency}-address"),
                       "networkType": "Bitcoin"}),
            ),
            ("GET", ["v1", "account", "balances"]) => {
                let list: Vec<Value> = book
                    .assets()
                    .iter()
                    .map(|a| {
                        let (free, reserved) = book.asset(a);
                        json!({"currency": a, "available": dec(free), "reserved": dec(reserved),
                               "total": dec(free + reserved), "updatedAt": time(chrono::Utc::now())})
                    })
                    .collect();
                (StatusCode::OK, Value::Array(list))
            }
            ("GET", ["v1", "public", "pairs"]) => {
                let list: Vec<Value> = book
                    .pairs()
                    .iter()
                    .filter_map(|p| book.rules.get(&p.canonical()).map(|r| (p, r)))
                    .map(|(p, r)| {
                        let places = (-r.amount_step.log10()).round() as i64;
                        json!({"symbol": p.joined(), "baseCurrency": p.base, "quoteCurrency": p.quote,
                               "shortName": format!("{}/{}", p.base, p.quote), "active": true,
                               "minBaseAmount": dec(r.min_amount), "maxBaseAmount": "100",
                               "minQuoteAmount": dec(r.min_notional), "maxQuoteAmount": "5000000",
                               "tickSize": "1", "baseDecimalPlaces": places.to_string()})
                    })
                    .collect();
                (StatusCode::OK, Value::Array(list))
            }
            ("POST", ["v1", "orders", kind]) => {
                let Some(pair) = req
                    .param("pair")
                    .and_then(|s| book.pair_for(&s, Pair::joined))
                else {
                    return err(400, -21, "Currency pair not supported");
                };
                let Some(side) = req.param("side").as_deref().and_then(side_of) else {
                    return err(400, -11, "Validation Failed: side");
                };
                let (kind, amount) = match *kind {
                    "market" => (Kind::Market, req.num("baseAmount")),
                    "limit" => match req.num("price") {
                        Some(p) => (Kind::Limit(p), req.num("quantity")),
                        None => return err(400, -11, "Validation Failed: price"),
                    },
                    _ => return err(404, -1, "Not found"),
                };
                let Some(amount) = amount else {
                    return err(400, -11, "Validation Failed: amount");
                };
                let cid = req.param("customerOrderId").unwrap_or_default();
                match book.place(&pair, side, kind, amount, &cid) {
                    Ok(id) => (StatusCode::ACCEPTED, json!({"id": uuid(id)})),
                    Err(Refusal::Insufficient) => err(400, -6, "Insufficient Balance"),
                    Err(Refusal::BelowMinimum(_)) => {
                        err(400, -11, "Validation Failed: minimum order size not met")
                    }
                    Err(Refusal::UnknownPair) => err(400, -21, "Currency pair not supported"),
                }
            }
            ("GET", ["v1", "orders", _pair, "customerorderid", cid]) => {
                let Some(order) = book.by_client(cid) else {
                    return err(404, -14, "Order not found");
                };
                book.advance(order.id);
                let order = book.by_id(order.id).unwrap_or(order);
                (StatusCode::OK, order_json(&order))
            }
            ("GET", ["v1", "account", symbol, "tradehistory"]) => {
                let Some(pair) = book.pair_for(symbol, Pair::joined) else {
                    return (StatusCode::OK, json!([]));
                };
                let since = req
                    .param("startTime")
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
                    .map_or(0, |t| t.timestamp_millis());
                let mut list: Vec<Value> = book
                    .trades_on(&pair, since)
                    .iter()
                    .map(trade_json)
                    .collect();
                // Newest first, as VALR lists them.
                list.reverse();
                (StatusCode::OK, Value::Array(list))
            }
            ("DELETE", ["v1", "orders", "order"]) => {
                let cid = req.param("customerOrderId").unwrap_or_default();
                let id = book
                    .by_client(&cid)
                    .map(|o| o.id)
                    .or_else(|| req.param("orderId").as_deref().and_then(from_uuid));
                match id {
                    Some(id) if book.cancel(id) => (StatusCode::ACCEPTED, json!({})),
                    _ => err(404, -14, "Order not found"),
                }
            }
            _ => err(404, -1, "Not found"),
        }
    }
}
