//! Luno dialect: `XBT` for bitcoin, form-encoded POSTs, `{"error","error_code"}` errors,
//! `BX..` order ids, AWAITING/PENDING/COMPLETE states.

use amarktai::domain::orders::Side;
use amarktai::exchange::Pair;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use super::book::{Book, Kind, Order, Refusal, State, Trade};
use super::{dec, Answer, Dialect, Req};

pub struct Luno;

fn code(asset: &str) -> String {
    if asset == "BTC" {
        "XBT".into()
    } else {
        asset.to_string()
    }
}

fn sym(p: &Pair) -> String {
    format!("{}{}", code(&p.base), code(&p.quote))
}

fn err(status: u16, error_code: &str, error: &str) -> Answer {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"error": error, "error_code": error_code, "error_action": {}}),
    )
}

fn order_id(id: u64) -> String {
    format!("BX{id}")
}

fn order_json(o: &Order, fills: &[Trade]) -> Value {
    let counter: f64 = fills.iter().map(|t| t.price * t.amount).sum();
    let fee_base: f64 = fills
        .iter()
        .filter(|t| t.fee_currency == o.pair.base)
        .map(|t| t.fee)
        .sum();
    let fee_counter: f64 = fills
        .iter()
        .filter(|t| t.fee_currency == o.pair.quote)
        .map(|t| t.fee)
        .sum();
    let (kind, limit_price) = match o.kind {
        Kind::Market => ("MARKET", 0.0),
        Kind::Limit(p) => ("LIMIT", p),
    };
    let status = match o.state {
        State::Open | State::PartiallyFilled => "PENDING",
        State::Filled | State::Cancelled => "COMPLETE",
    };
    json!({
        "order_id": order_id(o.id), "client_order_id": o.client_id, "pair": sym(&o.pair),
        "side": if o.side == Side::Buy { "BUY" } else { "SELL" }, "type": kind,
        "status": status, "base": dec(o.filled), "counter": dec(counter),
        "fee_base": dec(fee_base), "fee_counter": dec(fee_counter),
        "limit_price": dec(limit_price), "limit_volume": dec(o.amount),
        "creation_timestamp": o.created.timestamp_millis(),
        "completed_timestamp": if o.is_open() { 0 } else { o.created.timestamp_millis() },
        "expiration_timestamp": 0,
    })
}

fn trade_json(t: &Trade, client_id: &str) -> Value {
    let base_fee = t.fee_currency == t.pair.base;
    json!({
        "pair": sym(&t.pair), "sequence": t.id, "order_id": order_id(t.order_id),
        "client_order_id": client_id,
        "type": if t.side == Side::Buy { "BID" } else { "ASK" },
        "timestamp": t.at.timestamp_millis(), "price": dec(t.price), "volume": dec(t.amount),
        "base": dec(t.amount), "counter": dec(t.price * t.amount),
        "fee_base": dec(if base_fee { t.fee } else { 0.0 }),
        "fee_counter": dec(if base_fee { 0.0 } else { t.fee }),
        "is_buy": t.side == Side::Buy,
    })
}

fn refused(refusal: Refusal) -> Answer {
    match refusal {
        Refusal::Insufficient => err(400, "ErrInsufficientBalance", "Insufficient balance."),
        Refusal::BelowMinimum(_) => err(400, "ErrVolumeTooLow", "Volume is below the minimum"),
        Refusal::UnknownPair => err(400, "ErrInvalidMarketPair", "Market pair is invalid"),
    }
}

impl Dialect for Luno {
    fn is_public(path: &str) -> bool {
        path == "/api/exchange/1/markets"
    }

    fn is_placement(method: &Method, path: &str) -> bool {
        method == Method::POST && (path == "/api/1/marketorder" || path == "/api/1/postorder")
    }

    fn client_id(req: &Req) -> Option<String> {
        req.param("client_order_id")
    }

    fn auth_error() -> Answer {
        err(401, "ErrUnauthorised", "Unauthorised")
    }

    fn rate_limited() -> Value {
        json!({"error": "Too many requests.", "error_code": "ErrTooManyRequests"})
    }

    fn handle(book: &mut Book, req: &Req) -> Answer {
        let pair = req.param("pair").and_then(|s| book.pair_for(&s, sym));
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/api/1/funding_address") => {
                let asset = req.param("asset").unwrap_or_default();
                (
                    StatusCode::OK,
                    json!({"asset": asset, "address": format!("fake-luno-{asset}-address"),
                           "name": "Receive address"}),
                )
            }
            ("GET", "/api/1/balance") => {
                let list: Vec<Value> = book
                    .assets()
                    .iter()
                    .map(|a| {
                        let (free, reserved) = book.asset(a);
                        json!({"account_id": format!("{}", a.len()), "asset": code(a),
                               "balance": dec(free + reserved), "reserved": dec(reserved),
                               "unconfirmed": "0.00"})
                    })
                    .collect();
                (StatusCode::OK, json!({ "balance": list }))
            }
            ("GET", "/api/exchange/1/markets") => {
                let markets: Vec<Value> = book
                    .pairs()
                    .iter()
                    .filter(|p| pair.as_ref().is_none_or(|want| want == *p))
                    .filter_map(|p| book.rules.get(&p.canonical()).map(|r| (p, r)))
                    .map(|(p, r)| {
                        let scale = (-r.amount_step.log10()).round() as i64;
                        json!({"market_id": sym(p), "trading_status": "ACTIVE",
                               "base_currency": code(&p.base), "counter_currency": code(&p.quote),
                               "min_volume": dec(r.min_amount), "max_volume": "100.0",
                               "volume_scale": scale, "min_price": "1", "max_price": "10000000",
                               "price_scale": 0, "fee_scale": 8})
                    })
                    .collect();
                (StatusCode::OK, json!({ "markets": markets }))
            }
            ("POST", "/api/1/marketorder") => {
                let Some(pair) = pair else {
                    return refused(Refusal::UnknownPair);
                };
                let cid = req.param("client_order_id").unwrap_or_default();
                let price = *book.prices.get(&pair.canonical()).unwrap_or(&0.0);
                let (side, base) = match req.param("type").as_deref() {
                    // Luno buys spend `counter_volume` of the quote currency.
                    Some("BUY") if price > 0.0 => {
                        (Side::Buy, req.num("counter_volume").unwrap_or(0.0) / price)
                    }
                    Some("SELL") => (Side::Sell, req.num("base_volume").unwrap_or(0.0)),
                    _ => return err(400, "ErrInvalidParameters", "Invalid type."),
                };
                match book.place(&pair, side, Kind::Market, base, &cid) {
                    Ok(id) => (StatusCode::OK, json!({"order_id": order_id(id)})),
                    Err(r) => refused(r),
                }
            }
            ("POST", "/api/1/postorder") => {
                let Some(pair) = pair else {
                    return refused(Refusal::UnknownPair);
                };
                let cid = req.param("client_order_id").unwrap_or_default();
                let side = match req.param("type").as_deref() {
                    Some("BID") => Side::Buy,
                    Some("ASK") => Side::Sell,
                    _ => return err(400, "ErrInvalidParameters", "Invalid type."),
                };
                let (Some(volume), Some(price)) = (req.num("volume"), req.num("price")) else {
                    return err(400, "ErrInvalidParameters", "Invalid volume or price.");
                };
                match book.place(&pair, side, Kind::Limit(price), volume, &cid) {
                    Ok(id) => (StatusCode::OK, json!({"order_id": order_id(id)})),
                    Err(r) => refused(r),
                }
            }
            ("GET", "/api/exchange/3/order") => {
                let cid = req.param("client_order_id").unwrap_or_default();
                let Some(order) = book.by_client(&cid) else {
                    return err(404, "ErrOrderNotFound", "Order not found.");
                };
                book.advance(order.id);
                let order = book.by_id(order.id).unwrap_or(order);
                (StatusCode::OK, order_json(&order, &book.fills_of(order.id)))
            }
            ("GET", "/api/1/listtrades") => {
                let Some(pair) = pair else {
                    return refused(Refusal::UnknownPair);
                };
                let since = req.num("since").unwrap_or(0.0) as i64;
                let trades: Vec<Value> = book
                    .trades_on(&pair, since)
                    .iter()
                    .map(|t| {
                        let cid = book
                            .by_id(t.order_id)
                            .map(|o| o.client_id)
                            .unwrap_or_default();
                        trade_json(t, &cid)
                    })
                    .collect();
                (StatusCode::OK, json!({ "trades": trades }))
            }
            ("POST", "/api/1/stoporder") => {
                let id = req
                    .param("order_id")
                    .and_then(|s| s.strip_prefix("BX").and_then(|n| n.parse().ok()));
                match id {
                    Some(id) if book.cancel(id) => (StatusCode::OK, json!({"success": true})),
                    Some(id) if book.by_id(id).is_some() => {
                        (StatusCode::OK, json!({"success": false}))
                    }
                    _ => err(404, "ErrOrderNotFound", "Order not found."),
                }
            }
            _ => err(404, "ErrNotFound", "Not found."),
        }
    }
}
