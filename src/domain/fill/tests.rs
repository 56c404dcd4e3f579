//! Paper fills checked against arithmetic written out by hand.

use super::*;

const TEN_BPS: ExchangeFees = ExchangeFees {
    taker_fee_bps: 10.0,
    typical_spread_bps: 0.0,
};

const NO_SLIPPAGE: SlippageModel = SlippageModel {
    base_bps: 0.0,
    bps_per_reference: 0.0,
    reference_liquidity: 1.0,
    max_bps: 0.0,
};

/// Float results are compared to a micro-unit: far below a cent, far above rounding noise.
fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-6
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(close(actual, expected), "{what}: {actual} != {expected}");
}

#[test]
fn a_btc_buy_without_slippage_earns_the_move_minus_two_fees() {
    // Buy 0.01 BTC at R1,000,000, exit at R1,010,000, 0.1 % taker fee:
    //   notional = 0.01 x 1,000,000             = 10,000
    //   fees     = 0.001 x 10,000 x 2           = 20
    //   move     = 0.01 x (1,010,000 - 1,000,000) = 100
    //   P&L      = 100 - 20                     = 80
    let fill = simulate_round_trip(
        Side::Buy,
        0.01,
        1_000_000.0,
        1_010_000.0,
        &TEN_BPS,
        &NO_SLIPPAGE,
    )
    .expect("valid fill");
    assert_close(fill.notional, 10_000.0, "notional");
    assert_close(fill.fees, 20.0, "fees");
    assert_close(fill.slippage_cost, 0.0, "slippage");
    assert_close(fill.profit_loss, 80.0, "profit_loss");
    assert!(fill.is_profitable);
}

#[test]
fn a_btc_buy_on_a_zar_book_also_pays_size_dependent_slippage() {
    // Same trade with the ZAR slippage model:
    //   slippage  = 2 + 10 x 10,000 / 1,000,000         = 2.1 bps = 0.00021
    //   entry     = 1,000,000 x 1.00021                 = 1,000,210     (buy fills above)
    //   exit      = 1,010,000 x 0.99979                 = 1,009,787.9   (sell fills below)
    //   move      = 0.01 x (1,009,787.9 - 1,000,210)    = 95.779
    //   fees      = 20
    //   P&L       = 95.779 - 20                         = 75.779
    //   slippage_cost = 0.01 x 210 + 0.01 x 212.1       = 4.221  (and 100 - 4.221 - 20 = 75.779)
    let fill = simulate_round_trip(
        Side::Buy,
        0.01,
        1_000_000.0,
        1_010_000.0,
        &TEN_BPS,
        &ZAR_SLIPPAGE,
    )
    .expect("valid fill");
    assert_close(fill.slippage_bps, 2.1, "slippage bps");
    assert_close(fill.entry_price, 1_000_210.0, "entry");
    assert_close(fill.exit_price, 1_009_787.9, "exit");
    assert_close(fill.fees, 20.0, "fees");
    assert_close(fill.slippage_cost, 4.221, "slippage cost");
    assert_close(fill.profit_loss, 75.779, "profit_loss");
    assert!(fill.is_profitable);
}

#[test]
fn a_sell_profits_when_the_price_falls() {
    // Sell 1 ETH at R50,000 and buy it back at R49,000, 0.1 % fee, no slippage:
    //   fees = 0.001 x 50,000 x 2 = 100; move = 1 x (50,000 - 49,000) = 1,000; P&L = 900.
    let fill = simulate_round_trip(Side::Sell, 1.0, 50_000.0, 49_000.0, &TEN_BPS, &NO_SLIPPAGE)
        .expect("valid fill");
    assert_close(fill.fees, 100.0, "fees");
    assert_close(fill.profit_loss, 900.0, "profit_loss");
    assert!(fill.is_profitable);
}

#[test]
fn a_sell_loses_when_the_price_rises_and_slips_the_other_way() {
    // Sell 0.5 ETH at R40,000, buy back at R40,400, ZAR model:
    //   notional = 20,000; slippage = 2 + 10 x 20,000 / 1,000,000 = 2.2 bps
    //   entry = 40,000 x 0.99978 = 39,991.2 (sell fills below)
    //   exit  = 40,400 x 1.00022 = 40,408.888 (buy-back fills above)
    //   move  = 0.5 x (39,991.2 - 40,408.888) = -208.844
    //   fees  = 0.001 x 20,000 x 2 = 40;  P&L = -248.844
    //   slippage_cost = 0.5 x 8.8 + 0.5 x 8.888 = 8.844 (and -200 - 8.844 - 40 = -248.844)
    let fill = simulate_round_trip(Side::Sell, 0.5, 40_000.0, 40_400.0, &TEN_BPS, &ZAR_SLIPPAGE)
        .expect("valid fill");
    assert_close(fill.entry_price, 39_991.2, "entry");
    assert_close(fill.exit_price, 40_408.888, "exit");
    assert_close(fill.slippage_cost, 8.844, "slippage cost");
    assert_close(fill.profit_loss, -248.844, "profit_loss");
    assert!(!fill.is_profitable);
}

#[test]
fn a_flat_market_loses_exactly_the_fees_and_slippage() {
    let fill = simulate_round_trip(
        Side::Buy,
        0.01,
        1_000_000.0,
        1_000_000.0,
        &TEN_BPS,
        &ZAR_SLIPPAGE,
    )
    .expect("valid fill");
    assert_close(
        fill.profit_loss,
        -(fill.fees + fill.slippage_cost),
        "profit_loss",
    );
    assert!(!fill.is_profitable);
}

#[test]
fn ovex_charges_twice_the_fee_of_luno() {
    let ovex = crate::domain::fees::default_fees("ovex").expect("known");
    // 0.002 x 10,000 x 2 = 40.
    let fill = simulate_round_trip(
        Side::Buy,
        0.01,
        1_000_000.0,
        1_000_000.0,
        &ovex,
        &NO_SLIPPAGE,
    )
    .expect("valid fill");
    assert_close(fill.fees, 40.0, "fees");
}

#[test]
fn slippage_grows_with_size_and_stops_at_the_cap() {
    let small = ZAR_SLIPPAGE.slippage_bps(1_000.0);
    let large = ZAR_SLIPPAGE.slippage_bps(1_000_000.0);
    assert!(small < large);
    // 2 + 10 x 1,000,000 / 1,000,000 = 12 bps.
    assert_close(large, 12.0, "one reference of notional");
    // 2 + 10 x 100 = 1,002 bps, capped at 50.
    assert_close(ZAR_SLIPPAGE.slippage_bps(100_000_000.0), 50.0, "cap");
}

#[test]
fn usdt_pairs_use_the_deeper_book_model() {
    assert_eq!(SlippageModel::for_quote("USDT"), USD_SLIPPAGE);
    assert_eq!(SlippageModel::for_quote("zar"), ZAR_SLIPPAGE);
    // 1 + 10 x 10,000 / 100,000 = 2 bps.
    assert_close(USD_SLIPPAGE.slippage_bps(10_000.0), 2.0, "usd");
}

#[test]
fn the_same_prices_always_give_the_same_fill() {
    let once = simulate_round_trip(Side::Buy, 0.3, 20_000.0, 20_100.0, &TEN_BPS, &ZAR_SLIPPAGE);
    let again = simulate_round_trip(Side::Buy, 0.3, 20_000.0, 20_100.0, &TEN_BPS, &ZAR_SLIPPAGE);
    assert_eq!(once, again);
}

#[test]
fn bad_prices_and_amounts_are_refused() {
    let fill = |amount, entry, exit| {
        simulate_round_trip(Side::Buy, amount, entry, exit, &TEN_BPS, &NO_SLIPPAGE)
    };
    assert_eq!(fill(0.0, 1.0, 1.0), Err(FillError::InvalidAmount));
    assert_eq!(fill(f64::NAN, 1.0, 1.0), Err(FillError::InvalidAmount));
    assert_eq!(fill(1.0, 0.0, 1.0), Err(FillError::InvalidPrice("entry")));
    assert_eq!(fill(1.0, -5.0, 1.0), Err(FillError::InvalidPrice("entry")));
    assert_eq!(
        fill(1.0, 1.0, f64::INFINITY),
        Err(FillError::InvalidPrice("exit"))
    );
    assert_eq!(fill(f64::MAX, f64::MAX, 1.0), Err(FillError::Overflow));
}

#[test]
fn a_negative_fee_is_refused() {
    let bad = ExchangeFees {
        taker_fee_bps: -1.0,
        typical_spread_bps: 0.0,
    };
    let result = simulate_round_trip(Side::Buy, 1.0, 1.0, 1.0, &bad, &NO_SLIPPAGE);
    assert_eq!(result, Err(FillError::InvalidFee));
}

#[test]
fn a_fill_serialises_with_its_side_in_lower_case() {
    let fill = simulate_round_trip(Side::Sell, 1.0, 100.0, 90.0, &TEN_BPS, &NO_SLIPPAGE)
        .expect("valid fill");
    let json = serde_json::to_value(fill).expect("serialisable");
    assert_eq!(json["side"], "sell");
    assert_eq!(json["is_profitable"], true);
}
