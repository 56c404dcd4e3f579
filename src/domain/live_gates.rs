//! The gates a live order passes before it may be sent to an exchange (after the four order
//! gates of SPEC §8), in order, each with the reason a user reads when it refuses. Pure: the
//! caller gathers the inputs (flags, settings, keys, caps, exchange rules and balance).

use serde::Serialize;

use crate::domain::orders::Side;

/// A live gate's name, as stored in the order record's `gate_failed` (`live_<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveGate {
    /// `ENABLE_TRADING` and `ENABLE_LIVE_TRADING`.
    Flags,
    /// The user's live mode on.
    LiveMode,
    EmergencyStop,
    /// The bot is live and out of the training bay.
    BotMode,
    /// Saved and successfully tested keys for the bot's exchange.
    Keys,
    /// `LIVE_MAX_ORDER_NOTIONAL`.
    OrderCap,
    /// `LIVE_MAX_DAILY_NOTIONAL`.
    DailyCap,
    /// The exchange's minimum amount, lot size and minimum notional.
    ExchangeMinimum,
    /// The exchange account holds what the order spends.
    Balance,
}

impl LiveGate {
    pub fn as_str(self) -> &'static str {
        match self {
            LiveGate::Flags => "live_flags",
            LiveGate::LiveMode => "live_mode",
            LiveGate::EmergencyStop => "live_emergency_stop",
            LiveGate::BotMode => "live_bot_mode",
            LiveGate::Keys => "live_keys",
            LiveGate::OrderCap => "live_order_cap",
            LiveGate::DailyCap => "live_daily_cap",
            LiveGate::ExchangeMinimum => "live_exchange_minimum",
            LiveGate::Balance => "live_balance",
        }
    }
}

/// What a refusal says.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRefusal {
    pub gate: LiveGate,
    pub reason: String,
}

fn refuse(gate: LiveGate, reason: impl Into<String>) -> Result<(), LiveRefusal> {
    Err(LiveRefusal {
        gate,
        reason: reason.into(),
    })
}

/// The account-side gates (no exchange call needed).
#[derive(Debug, Clone)]
pub struct AccountGateInputs {
    pub trading_enabled: bool,
    pub live_enabled: bool,
    pub user_live_mode: bool,
    pub emergency_stop: bool,
    /// The bot trades live (live mode, not in the training bay).
    pub bot_is_live: bool,
    /// `None` when no keys are saved; else the stored test status.
    pub key_status: Option<String>,
    pub exchange_name: String,
}

pub fn check_account(i: &AccountGateInputs) -> Result<(), LiveRefusal> {
    if !(i.trading_enabled && i.live_enabled) {
        return refuse(
            LiveGate::Flags,
            "live trading is disabled on this server (needs ENABLE_TRADING and ENABLE_LIVE_TRADING)",
        );
    }
    if !i.user_live_mode {
        return refuse(
            LiveGate::LiveMode,
            "live mode is off for this account; turn it on in the system modes",
        );
    }
    if i.emergency_stop {
        return refuse(
            LiveGate::EmergencyStop,
            "emergency stop is active: no live order is sent",
        );
    }
    if !i.bot_is_live {
        return refuse(
            LiveGate::BotMode,
            "the bot is not live (paper mode or still in the live training bay)",
        );
    }
    match i.key_status.as_deref() {
        None => refuse(
            LiveGate::Keys,
            format!("no API keys saved for {}", i.exchange_name),
        ),
        Some("test_ok") => Ok(()),
        Some(_) => refuse(
            LiveGate::Keys,
            format!(
                "the {} API keys have not passed a key test; test them first",
                i.exchange_name
            ),
        ),
    }
}

/// The per-order gates, once the amount is known.
#[derive(Debug, Clone)]
pub struct OrderGateInputs {
    pub side: Side,
    /// Base amount after rounding to the lot size.
    pub amount: f64,
    pub reference_price: f64,
    pub quote: String,
    pub base: String,
    /// Exits skip the caps: a cap must never trap an open position.
    pub is_exit: bool,
    pub max_order_notional: f64,
    pub daily_notional_so_far: f64,
    pub max_daily_notional: f64,
    pub min_amount: f64,
    pub min_notional: f64,
    /// Taker fee as a fraction, added to what a buy must be able to pay.
    pub fee_rate: f64,
    /// Free balance of the asset the order spends (quote for a buy, base for a sell).
    pub available: f64,
}

pub fn check_order(i: &OrderGateInputs) -> Result<(), LiveRefusal> {
    let notional = i.amount * i.reference_price;
    if !i.is_exit && notional > i.max_order_notional {
        return refuse(
            LiveGate::OrderCap,
            format!(
                "order notional {notional:.2} {q} exceeds LIVE_MAX_ORDER_NOTIONAL {:.2} {q}",
                i.max_order_notional,
                q = i.quote
            ),
        );
    }
    if !i.is_exit && i.daily_notional_so_far + notional > i.max_daily_notional {
        return refuse(
            LiveGate::DailyCap,
            format!(
                "today's live notional would reach {:.2} {q}, above LIVE_MAX_DAILY_NOTIONAL {:.2} {q}",
                i.daily_notional_so_far + notional,
                i.max_daily_notional,
                q = i.quote
            ),
        );
    }
    if i.amount.is_nan() || i.amount <= 0.0 || i.amount < i.min_amount {
        return refuse(
            LiveGate::ExchangeMinimum,
            format!(
                "amount {} {} (after rounding to the lot size) is below the exchange minimum {} {}",
                i.amount, i.base, i.min_amount, i.base
            ),
        );
    }
    if notional < i.min_notional {
        return refuse(
            LiveGate::ExchangeMinimum,
            format!(
                "order value {notional:.2} {q} is below the exchange minimum {:.2} {q}",
                i.min_notional,
                q = i.quote
            ),
        );
    }
    let (needed, asset) = match i.side {
        Side::Buy => (notional * (1.0 + i.fee_rate), &i.quote),
        Side::Sell => (i.amount, &i.base),
    };
    if i.available < needed {
        return refuse(
            LiveGate::Balance,
            format!(
                "insufficient balance on the exchange: {needed:.8} {asset} needed, {:.8} {asset} available",
                i.available
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> AccountGateInputs {
        AccountGateInputs {
            trading_enabled: true,
            live_enabled: true,
            user_live_mode: true,
            emergency_stop: false,
            bot_is_live: true,
            key_status: Some("test_ok".into()),
            exchange_name: "Binance".into(),
        }
    }

    fn order() -> OrderGateInputs {
        OrderGateInputs {
            side: Side::Buy,
            amount: 0.01,
            reference_price: 50_000.0,
            quote: "USDT".into(),
            base: "BTC".into(),
            is_exit: false,
            max_order_notional: 1_000.0,
            daily_notional_so_far: 0.0,
            max_daily_notional: 5_000.0,
            min_amount: 0.0001,
            min_notional: 10.0,
            fee_rate: 0.001,
            available: 1_000.0,
        }
    }

    fn gate(r: Result<(), LiveRefusal>) -> Option<LiveGate> {
        r.err().map(|e| e.gate)
    }

    #[test]
    fn account_gates_refuse_in_order() {
        assert_eq!(gate(check_account(&account())), None);
        type Change = Box<dyn Fn(&mut AccountGateInputs)>;
        let cases: Vec<(Change, LiveGate)> = vec![
            (Box::new(|i| i.live_enabled = false), LiveGate::Flags),
            (Box::new(|i| i.trading_enabled = false), LiveGate::Flags),
            (Box::new(|i| i.user_live_mode = false), LiveGate::LiveMode),
            (
                Box::new(|i| i.emergency_stop = true),
                LiveGate::EmergencyStop,
            ),
            (Box::new(|i| i.bot_is_live = false), LiveGate::BotMode),
            (Box::new(|i| i.key_status = None), LiveGate::Keys),
            (
                Box::new(|i| i.key_status = Some("saved_untested".into())),
                LiveGate::Keys,
            ),
            (
                Box::new(|i| i.key_status = Some("test_failed".into())),
                LiveGate::Keys,
            ),
        ];
        for (change, want) in cases {
            let mut i = account();
            change(&mut i);
            assert_eq!(gate(check_account(&i)), Some(want));
        }
        // The first failing gate is the one reported.
        let mut i = account();
        i.user_live_mode = false;
        i.key_status = None;
        assert_eq!(gate(check_account(&i)), Some(LiveGate::LiveMode));
    }

    #[test]
    fn caps_minimums_and_balance() {
        // 0.01 BTC x 50,000 = 500 USDT: under both caps, above the minimums, 500.5 <= 1,000.
        assert_eq!(gate(check_order(&order())), None);
        let mut i = order();
        i.amount = 0.03; // 1,500 > 1,000
        assert_eq!(gate(check_order(&i)), Some(LiveGate::OrderCap));
        let mut i = order();
        i.daily_notional_so_far = 4_600.0; // 5,100 > 5,000
        let err = check_order(&i).unwrap_err();
        assert_eq!(err.gate, LiveGate::DailyCap);
        assert!(err.reason.contains("5100.00 USDT"), "{}", err.reason);
        let mut i = order();
        i.amount = 0.00005;
        assert_eq!(gate(check_order(&i)), Some(LiveGate::ExchangeMinimum));
        let mut i = order();
        i.amount = 0.0001; // 5 USDT < 10
        assert_eq!(gate(check_order(&i)), Some(LiveGate::ExchangeMinimum));
        let mut i = order();
        i.available = 500.0; // needs 500 x 1.001 = 500.5
        let err = check_order(&i).unwrap_err();
        assert_eq!(err.gate, LiveGate::Balance);
        assert!(
            err.reason.contains("500.50000000 USDT needed"),
            "{}",
            err.reason
        );
        let mut i = order();
        i.available = 500.5;
        assert_eq!(gate(check_order(&i)), None);
    }

    #[test]
    fn exits_skip_the_caps_but_not_minimums_or_balance() {
        let mut i = order();
        i.side = Side::Sell;
        i.is_exit = true;
        i.amount = 0.05; // 2,500 notional: above the order cap
        i.daily_notional_so_far = 10_000.0;
        i.available = 0.05;
        assert_eq!(gate(check_order(&i)), None);
        i.available = 0.04;
        assert_eq!(gate(check_order(&i)), Some(LiveGate::Balance));
    }
}
