//! Order request validation: every bad input gets a 422 naming its field.

use super::*;

fn request() -> OrderRequest {
    OrderRequest {
        bot_id: "5b0c6f0e-1d2a-4e2b-9a7a-2f0f0b6f4c11".into(),
        symbol: "BTC/ZAR".into(),
        side: "buy".into(),
        amount: 0.01,
        order_type: None,
        price: None,
        idempotency_key: Some("order-1".into()),
        expected_edge_bps: None,
    }
}

fn fields_of(req: OrderRequest) -> Vec<String> {
    match validate_order(&req) {
        Ok(_) => Vec::new(),
        Err(e) => {
            assert_eq!(e.status.as_u16(), 422);
            e.fields.into_iter().map(|f| f.field).collect()
        }
    }
}

#[test]
fn a_plain_market_buy_is_valid_and_defaults_to_market() {
    let order = validate_order(&request()).expect("valid");
    assert_eq!(order.symbol, "BTC/ZAR");
    assert_eq!(order.side, Side::Buy);
    assert_eq!(order.order_type, OrderType::Market);
    assert_eq!(order.price, None);
}

#[test]
fn symbols_are_normalised_from_common_spellings() {
    for raw in ["BTC/ZAR", "btczar", "BTC-ZAR", "btc_zar", " BtcZar "] {
        assert_eq!(normalize_symbol(raw), Some("BTC/ZAR"), "{raw}");
    }
    assert_eq!(normalize_symbol("eth-usdt"), Some("ETH/USDT"));
    assert_eq!(quote_currency("ETH/USDT"), Some("USDT"));
}

#[test]
fn unknown_or_empty_symbols_are_refused() {
    assert_eq!(normalize_symbol("DOGE/ZAR"), None);
    assert_eq!(normalize_symbol("/"), None);
    let req = OrderRequest {
        symbol: "DOGE/ZAR".into(),
        ..request()
    };
    assert_eq!(fields_of(req), ["symbol"]);
}

#[test]
fn zero_negative_nan_infinite_and_huge_amounts_are_refused() {
    for amount in [0.0, -1.0, f64::NAN, f64::INFINITY, MAX_ORDER_AMOUNT * 2.0] {
        let req = OrderRequest {
            amount,
            ..request()
        };
        assert_eq!(fields_of(req), ["amount"], "{amount}");
    }
}

#[test]
fn the_maximum_amount_itself_is_allowed() {
    let req = OrderRequest {
        amount: MAX_ORDER_AMOUNT,
        ..request()
    };
    assert!(validate_order(&req).is_ok());
}

#[test]
fn only_buy_and_sell_are_sides() {
    let sell = OrderRequest {
        side: "SELL".into(),
        ..request()
    };
    assert_eq!(validate_order(&sell).map(|o| o.side).ok(), Some(Side::Sell));
    let hold = OrderRequest {
        side: "hold".into(),
        ..request()
    };
    assert_eq!(fields_of(hold), ["side"]);
}

#[test]
fn a_limit_order_needs_a_positive_price() {
    let no_price = OrderRequest {
        order_type: Some("limit".into()),
        ..request()
    };
    assert_eq!(fields_of(no_price), ["price"]);
    let zero_price = OrderRequest {
        order_type: Some("limit".into()),
        price: Some(0.0),
        ..request()
    };
    assert_eq!(fields_of(zero_price), ["price"]);
    let priced = OrderRequest {
        order_type: Some("limit".into()),
        price: Some(1_000_000.0),
        ..request()
    };
    assert_eq!(
        validate_order(&priced).ok().and_then(|o| o.price),
        Some(1_000_000.0)
    );
}

#[test]
fn an_unknown_order_type_is_refused() {
    let req = OrderRequest {
        order_type: Some("stop".into()),
        ..request()
    };
    assert_eq!(fields_of(req), ["order_type"]);
}

#[test]
fn idempotency_keys_must_be_short_printable_and_not_empty() {
    let at_limit = OrderRequest {
        idempotency_key: Some("k".repeat(128)),
        ..request()
    };
    assert!(validate_order(&at_limit).is_ok());
    for bad in [
        "k".repeat(129),
        String::new(),
        "a\u{0}b".into(),
        "ключ".into(),
    ] {
        let req = OrderRequest {
            idempotency_key: Some(bad.clone()),
            ..request()
        };
        assert_eq!(fields_of(req), ["idempotency_key"], "{bad:?}");
    }
}

#[test]
fn a_non_finite_expected_edge_is_refused() {
    let req = OrderRequest {
        expected_edge_bps: Some(f64::NAN),
        ..request()
    };
    assert_eq!(fields_of(req), ["expected_edge_bps"]);
}

#[test]
fn every_bad_field_is_reported_at_once() {
    let req = OrderRequest {
        bot_id: " ".into(),
        symbol: "nope".into(),
        side: "up".into(),
        amount: -5.0,
        ..request()
    };
    assert_eq!(fields_of(req), ["bot_id", "symbol", "side", "amount"]);
}
