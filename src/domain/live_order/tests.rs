//! Booking maths against hand-computed values.

use chrono::TimeZone;

use super::*;

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + s, 0).single().unwrap()
}

fn order(side: Side, intent: LiveIntent) -> LiveOrder {
    LiveOrder::new(
        NewLiveOrder {
            user_id: "u",
            bot_id: "b",
            exchange: "binance",
            symbol: "BTC/USDT",
            side,
            amount: 0.5,
            reference_price: 100.0,
            intent,
            order_record_id: "rec",
            decision_id: None,
        },
        at(0),
    )
}

fn fill(id: &str, price: f64, amount: f64, fee: f64, cur: &str, s: i64) -> LiveFill {
    LiveFill {
        trade_id: id.into(),
        price,
        amount,
        fee,
        fee_currency: cur.into(),
        at: at(s),
    }
}

#[test]
fn client_order_id_is_derived_from_the_id_and_fits_every_exchange() {
    let o = order(Side::Buy, LiveIntent::Entry { candle_time: 0 });
    assert_eq!(o.client_order_id.len(), 35);
    assert!(o.client_order_id.starts_with("amk"));
    assert_eq!(o.client_order_id, client_order_id(&o.id));
    assert!(o.client_order_id[3..]
        .chars()
        .all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn fills_merge_once_per_trade_id_with_vwap() {
    let mut o = order(Side::Buy, LiveIntent::Entry { candle_time: 0 });
    assert_eq!(o.merge_fills([fill("t1", 100.0, 0.2, 0.02, "USDT", 1)]), 1);
    // The same fill reported again (next poll) is not counted twice.
    assert_eq!(
        o.merge_fills([
            fill("t1", 100.0, 0.2, 0.02, "USDT", 1),
            fill("t2", 103.0, 0.3, 0.0309, "USDT", 2)
        ]),
        1
    );
    assert!((o.filled_amount - 0.5).abs() < 1e-12);
    // (0.2 x 100 + 0.3 x 103) / 0.5 = (20 + 30.9) / 0.5 = 101.8
    assert!((o.average_price - 101.8).abs() < 1e-9);
    assert!((o.fees_in_quote() - 0.0509).abs() < 1e-12);
}

#[test]
fn terminal_states_are_final() {
    let mut o = order(Side::Buy, LiveIntent::Entry { candle_time: 0 });
    assert!(o.transition(LiveState::Submitted, at(1)));
    assert!(o.transition(LiveState::Filled, at(2)));
    assert_eq!(o.completed_at, Some(at(2)));
    assert!(!o.transition(LiveState::Cancelled, at(3)));
    assert_eq!(o.state, LiveState::Filled);
}

#[test]
fn entry_with_quote_fees_opens_at_the_average_price() {
    let mut o = order(Side::Buy, LiveIntent::Entry { candle_time: 7 });
    o.merge_fills([
        fill("a", 100.0, 0.2, 0.02, "USDT", 1),
        fill("b", 103.0, 0.3, 0.0309, "USDT", 2),
    ]);
    let p = o.opened_position(7).unwrap();
    assert_eq!(p.entry_time, 7);
    assert!((p.size - 0.5).abs() < 1e-12);
    assert!((p.entry_price - 101.8).abs() < 1e-9);
    assert!((p.entry_fee - 0.0509).abs() < 1e-12);
    // cost = quote paid 50.9 + fee 0.0509
    assert!((p.cost() - 50.9509).abs() < 1e-9);
    // slippage vs the 100 reference: 0.5 x 1.8 = 0.9
    assert!((p.entry_slippage - 0.9).abs() < 1e-9);
}

#[test]
fn entry_with_base_fee_holds_less_but_costs_the_same() {
    let mut o = order(Side::Buy, LiveIntent::Entry { candle_time: 0 });
    o.merge_fills([fill("a", 100.0, 0.5, 0.0005, "BTC", 1)]);
    let p = o.opened_position(0).unwrap();
    assert!((p.size - 0.4995).abs() < 1e-12);
    // 0.0005 BTC at 100 = 0.05 USDT of fee; cost = 0.4995 x 100 + 0.05 = 50
    assert!((p.entry_fee - 0.05).abs() < 1e-12);
    assert!((p.cost() - 50.0).abs() < 1e-9);
}

#[test]
fn exit_books_proceeds_minus_fees_minus_cost() {
    let position = OpenPosition {
        entry_time: 1,
        entry_price: 100.0,
        size: 0.5,
        entry_fee: 0.05,
        entry_slippage: 0.0,
        highest: 100.0,
    };
    let mut o = order(
        Side::Sell,
        LiveIntent::Exit {
            position,
            reason: ExitReason::Signal,
        },
    );
    o.reference_price = 110.0;
    o.merge_fills([fill("x", 109.0, 0.5, 0.0545, "USDT", 5)]);
    let (t, rest) = o.closed_trade(&position, ExitReason::Signal, 99).unwrap();
    assert!(rest.is_none());
    // proceeds 54.5 - fee 0.0545 - cost 50.05 = 4.3955
    assert!((t.pnl - 4.3955).abs() < 1e-9, "{}", t.pnl);
    assert!((t.fees - 0.1045).abs() < 1e-12);
    assert!((t.exit_price - 109.0).abs() < 1e-12);
    // sold 1 below the 110 reference: 0.5 x 1 = 0.5 of slippage
    assert!((t.slippage_cost - 0.5).abs() < 1e-9);
    assert!((t.pnl_pct - 4.3955 / 50.05 * 100.0).abs() < 1e-9);
    assert_eq!(t.exit_time, 99);
}

#[test]
fn partial_exit_leaves_the_rest_open_with_its_share_of_the_fee() {
    let position = OpenPosition {
        entry_time: 1,
        entry_price: 100.0,
        size: 0.5,
        entry_fee: 0.05,
        entry_slippage: 0.0,
        highest: 120.0,
    };
    let mut o = order(
        Side::Sell,
        LiveIntent::Exit {
            position,
            reason: ExitReason::StopLoss,
        },
    );
    o.merge_fills([fill("x", 90.0, 0.2, 0.0, "USDT", 5)]);
    let (t, rest) = o.closed_trade(&position, ExitReason::StopLoss, 9).unwrap();
    // sold 0.2 of 0.5: cost share 50.05 x 0.4 = 20.02; proceeds 18 -> -2.02
    assert!((t.pnl + 2.02).abs() < 1e-9, "{}", t.pnl);
    let rest = rest.unwrap();
    assert!((rest.size - 0.3).abs() < 1e-12);
    assert!((rest.entry_fee - 0.03).abs() < 1e-12);
    assert_eq!(rest.highest, 120.0);
}

#[test]
fn floor_to_step_never_rounds_up() {
    assert_eq!(floor_to_step(0.123456, 0.001), 0.123);
    assert_eq!(floor_to_step(0.3, 0.1), 0.3);
    assert_eq!(floor_to_step(1.99999, 1.0), 1.0);
    assert_eq!(floor_to_step(0.00012, 0.0001), 0.0001);
    assert_eq!(floor_to_step(5.0, 0.0), 5.0);
}

#[test]
fn a_remainder_below_one_percent_is_written_off_with_the_trade() {
    // Bought 0.01 with a 0.1 % base fee: 0.00999 held, the lot size (0.0001) lets 0.0099 sell.
    let position = OpenPosition {
        entry_time: 1,
        entry_price: 100.0,
        size: 0.00999,
        entry_fee: 0.001,
        entry_slippage: 0.0,
        highest: 100.0,
    };
    let mut o = order(
        Side::Sell,
        LiveIntent::Exit {
            position,
            reason: ExitReason::Signal,
        },
    );
    o.reference_price = 100.0;
    o.merge_fills([fill("x", 100.0, 0.0099, 0.00099, "USDT", 5)]);
    let (t, rest) = o.closed_trade(&position, ExitReason::Signal, 9).unwrap();
    assert!(rest.is_none(), "0.00009 left is 0.9 % of the position");
    // proceeds 0.99 - fee 0.00099 - the whole cost (0.999 + 0.001 = 1.0) = -0.01099
    assert!((t.pnl + 0.01099).abs() < 1e-12, "{}", t.pnl);
    assert!((t.size - 0.0099).abs() < 1e-15);
}
