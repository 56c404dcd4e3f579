//! OVEX dialect (Peatio-style v2): lower-case `btczar` markets, numeric ids, no client order
//! id, `{"error":{"code","message"}}` errors, wait/done/cancel states, trades in the order.

use amarktai::exchange::Pair;
use axum::http::{Method, StatusCode};
use chrono::SecondsFormat;
use serde_json::{json, Value};

use super::book::{Book, Kind, Order, Refusal, State, Trade};
use super::{dec, side_of, Answer, Dialect, Req};

pub struct Ovex;

fn sym(p: &Pair) -> String {
    p.joined().to_ascii_lowercase()
}

fn err(status: u16, code: i64, message: &str) -> Answer {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        json!({"error": {"code": code, "message": message}}),
    )
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn trade_json(t: &Trade) -> Value {
    json!({
        "id": t.id, "price": dec(t.price), "volume": dec(t.amount),
        "funds": dec(t.price * t.amount), "market": sym(&t.pair), "created_at": time(t.at),
        "side": t.side.as_str(), "order_id": t.order_id, "fee": dec(t.fee),
        "fee_currency": t.fee_currency.to_ascii_lowercase(),
    })
}

fn order_json(o: &Order, fills: &[Trade]) -> Value {
    let state = match o.state {
        State::Open | State::PartiallyFilled => "wait",
        State::Filled => "done",
        State::Cancelled => "cancel",
    };
    let avg = if o.filled > 0.0 {
        fills.iter().map(|t| t.price * t.amount).sum::<f64>() / o.filled
    } else {
        0.0
    };
    let mut order = json!({
        "id": o.id, "side": o.side.as_str(),
        "ord_type": if o.kind == Kind::Market { "market" } else { "limit" },
        "avg_price": dec(avg), "state": state, "market": sym(&o.pair),
        "created_at": time(o.created), "volume": dec(o.amount),
        "remaining_volume": dec(o.amount - o.filled), "executed_volume": dec(o.filled),
        "trades_count": fills.len(), "trades": fills.iter().map(trade_json).collect::<Vec<_>>(),
    });
    if let Kind::Limit(p) = o.kind {
        order["price"] = json!(dec(p));
    }
    order
}

impl Dialect for Ovex {
    fn is_public(path: &str) -> bool {
        path == "/api/v2/markets"
    }

    fn is_placement(method: &Method, path: &str) -> bool {
        method == Method::POST && path == "/api/v2/orders"
    }

    fn client_id(_req: &Req) -> Option<String> {
        None
    }

    fn auth_error() -> Answer {
        err(401, 2001, "Authorization failed")
    }

    fn rate_limited() -> Value {
        json!({"error": {"code": 429, "message": "Too many requests"}})
    }

    fn handle(book: &mut Book, req: &Req) -> Answer {
        let pair = req.param("market").and_then(|s| book.pair_for(&s, sym));
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/api/v2/members/me") => {
                let accounts: Vec<Value> = book
                    .assets()
                    .iter()
                    .map(|a| {
                        let (free, locked) = book.asset(a);
                        json!({"currency": a.to_ascii_lowercase(), "balance": dec(free),
                               "locked": dec(locked)})
                    })
                    .collect();
                (
                    StatusCode::OK,
                    json!({"sn": "OVX0001", "accounts": accounts}),
                )
            }
            ("GET", "/api/v2/markets") => {
                let list: Vec<Value> = book
                    .pairs()
                    .iter()
                    .map(|p| {
                        let mut m = json!({"id": sym(p), "name": p.canonical(),
                            "base_unit": p.base.to_ascii_lowercase(),
                            "quote_unit": p.quote.to_ascii_lowercase()});
                        if let Some(r) = book.rules.get(&p.canonical()) {
                            m["min_amount"] = json!(dec(r.min_amount));
                            m["amount_precision"] = json!((-r.amount_step.log10()).round() as i64);
                            m["min_total"] = json!(dec(r.min_notional));
                        }
                        m
                    })
                    .collect();
                (StatusCode::OK, Value::Array(list))
            }
            ("POST", "/api/v2/orders") => {
                let Some(pair) = pair else {
                    return err(
                        422,
                        2002,
                        "Failed to create order. Reason: market not found",
                    );
                };
                let Some(side) = req.param("side").as_deref().and_then(side_of) else {
                    return err(422, 2002, "Failed to create order. Reason: side is invalid");
                };
                let kind = match (req.param("ord_type").as_deref(), req.num("price")) {
                    (Some("market"), _) => Kind::Market,
                    (Some("limit"), Some(p)) => Kind::Limit(p),
                    _ => {
                        return err(
                            422,
                            2002,
                            "Failed to create order. Reason: price is invalid",
                        )
                    }
                };
                let Some(volume) = req.num("volume") else {
                    return err(
                        422,
                        2002,
                        "Failed to create order. Reason: volume is invalid",
                    );
                };
                match book.place(&pair, side, kind, volume, "") {
                    Ok(id) => {
                        let order = book.by_id(id).expect("just placed");
                        (StatusCode::CREATED, order_json(&order, &book.fills_of(id)))
                    }
                    Err(Refusal::Insufficient) => err(
                        422,
                        2002,
                        "Failed to create order. Reason: insufficient balance",
                    ),
                    Err(Refusal::BelowMinimum(_)) => err(
                        422,
                        2002,
                        "Failed to create order. Reason: volume is below the minimum",
                    ),
                    Err(Refusal::UnknownPair) => err(
                        422,
                        2002,
                        "Failed to create order. Reason: market not found",
                    ),
                }
            }
            ("GET", "/api/v2/order") => {
                let Some(order) = req.num("id").and_then(|id| book.by_id(id as u64)) else {
                    return err(404, 2004, "Order not found");
                };
                book.advance(order.id);
                let order = book.by_id(order.id).unwrap_or(order);
                (StatusCode::OK, order_json(&order, &book.fills_of(order.id)))
            }
            ("GET", "/api/v2/orders") => {
                let mut list: Vec<Value> = book
                    .orders
                    .iter()
                    .filter(|o| pair.as_ref().is_none_or(|p| *p == o.pair))
                    .map(|o| order_json(o, &[]))
                    .collect();
                list.reverse();
                (StatusCode::OK, Value::Array(list))
            }
            ("POST", "/api/v2/order/delete") => {
                let id = req.num("id").map(|id| id as u64);
                match id {
                    Some(id) if book.cancel(id) => {
                        let order = book.by_id(id).expect("known order");
                        (StatusCode::OK, order_json(&order, &book.fills_of(id)))
                    }
                    _ => err(404, 2004, "Order not found"),
                }
            }
            ("GET", "/api/v2/trades/my") => {
                let Some(pair) = pair else {
                    return (StatusCode::OK, json!([]));
                };
                let list: Vec<Value> = book.trades_on(&pair, 0).iter().map(trade_json).collect();
                (StatusCode::OK, Value::Array(list))
            }
            _ => err(404, 1001, "Not found"),
        }
    }
}
