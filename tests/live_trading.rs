//! Live trading end to end against a stateful fake of each exchange (which verifies every
//! signature and keeps balances), on both storage engines: a live bot's entry and exit on each
//! of the five exchanges, partial fills booked once, a timeout after the exchange accepted the
//! order, crash recovery at boot, every live gate refusing with the fake seeing no order, the
//! emergency stop cancelling, and reconciliation finding an injected difference.

mod common;
mod fake_exchange;

use std::sync::Arc;

use amarktai::domain::bot::{BotStatus, TradingMode};
use amarktai::domain::clock::ManualClock;
use amarktai::domain::live_order::{LiveIntent, LiveOrder, LiveState, NewLiveOrder};
use amarktai::domain::order_record::OrderRecord;
use amarktai::domain::orders::{OrderType, Side, ValidOrder};
use amarktai::domain::price::FixedPrices;
use amarktai::engine::live_tracker;
use amarktai::exchange::orders::{self as client, Account, OrderKind, PlaceOrder, SymbolRules};
use amarktai::exchange::{Credentials, Pair, Provider};
use amarktai::state::AppState;
use amarktai::store::bots::update_bot;
use chrono::Duration as Span;
use common::{Engine, TestApp, TestConfig};
use fake_exchange::live::{Failure, FakeExchange};
use fake_exchange::{KEY, PASSPHRASE, SECRET};
use serde_json::{json, Value};

const EXCHANGES: [Provider; 5] = [
    Provider::Binance,
    Provider::Kucoin,
    Provider::Luno,
    Provider::Valr,
    Provider::Ovex,
];

/// One user with a live bot on one exchange's fake.
struct Live {
    app: TestApp,
    fake: FakeExchange,
    clock: ManualClock,
    token: String,
    user_id: String,
    bot_id: String,
    provider: Provider,
    pair: Pair,
    price: f64,
}

fn quote_of(provider: Provider) -> &'static str {
    match provider {
        Provider::Binance | Provider::Kucoin => "USDT",
        _ => "ZAR",
    }
}

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("json")
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// A funded fake for `provider`, a server pointed at it with live trading on, a user with
/// saved and tested keys and live mode on, and an active live strategy bot of 1,000 quote.
async fn setup(engine: &Engine, provider: Provider, vars: &[(&str, &str)]) -> Live {
    let fake = FakeExchange::start(provider).await;
    let quote = quote_of(provider);
    let pair = Pair::parse(&format!("BTC/{quote}")).unwrap();
    let price = if quote == "ZAR" {
        1_000_000.0
    } else {
        50_000.0
    };
    fake.set_price(&pair.canonical(), price);
    fake.set_rules(
        &pair.canonical(),
        SymbolRules {
            min_amount: 0.00001,
            amount_step: 0.00001,
            min_notional: 10.0,
        },
    );
    fake.set_balance(quote, 10_000.0);
    fake.set_balance("BTC", 0.0);
    let url = fake.base_url();
    let mut config = TestConfig::new(engine)
        .set("LUNO_BASE_URL", &url)
        .set("BINANCE_BASE_URL", &url)
        .set("KUCOIN_BASE_URL", &url)
        .set("VALR_BASE_URL", &url)
        .set("OVEX_BASE_URL", &url)
        .set("EXCHANGE_TIMEOUT_SECONDS", "1")
        .set("ENABLE_TRADING", "true")
        .set("ENABLE_LIVE_TRADING", "true");
    for (k, v) in vars {
        config = config.set(k, v);
    }
    let clock = ManualClock::new(chrono::Utc::now());
    let app = TestApp::spawn_with_clock(config, clock.clone()).await;
    app.state
        .prices
        .set(Arc::new(FixedPrices::new().with(&pair.canonical(), price)));
    let token = app.token_for("live@example.com").await;
    let me = body(app.get_auth("/api/auth/me", &token).await).await;
    let user_id = me["id"].as_str().unwrap().to_string();
    let mut keys = json!({"provider": provider.id(), "api_key": KEY, "api_secret": SECRET});
    if provider == Provider::Kucoin {
        keys["passphrase"] = json!(PASSPHRASE);
    }
    let resp = app.post_auth("/api/keys/save", &token, keys).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    mark_keys(&app.state, &user_id, provider, "test_ok").await;
    let resp = app
        .put_auth(
            "/api/system/mode",
            &token,
            json!({"mode": "liveTrading", "enabled": true}),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let resp = app
        .post_auth(
            "/api/bots",
            &token,
            json!({"name": "Live one", "exchange": provider.id(), "risk_mode": "balanced",
                   "initial_capital": 1000, "pair": pair.canonical(), "timeframe": "1h",
                   "strategy": {"name": "sma_cross", "params": {"fast": 2, "slow": 3}},
                   "stop_loss_pct": 0, "take_profit_pct": 0, "position_size_pct": 100,
                   "cooldown_candles": 0}),
        )
        .await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let bot_id = body(resp).await["id"].as_str().unwrap().to_string();
    set_bot(
        &app.state,
        &user_id,
        &bot_id,
        TradingMode::Live,
        BotStatus::Active,
    )
    .await;
    Live {
        app,
        fake,
        clock,
        token,
        user_id,
        bot_id,
        provider,
        pair,
        price,
    }
}

/// What a key test stores, without calling the exchange (the live fakes do not serve every
/// key-test endpoint; key tests have their own suite).
async fn mark_keys(state: &AppState, user_id: &str, provider: Provider, status: &str) {
    let now = state.clock.now();
    assert!(state
        .store
        .keys
        .record_test(user_id, provider.id(), status, now, None)
        .await
        .unwrap());
}

async fn set_bot(state: &AppState, user: &str, bot: &str, mode: TradingMode, status: BotStatus) {
    update_bot::<amarktai::store::StoreError, _>(state.store.bots.as_ref(), None, user, bot, |b| {
        b.trading_mode = mode;
        b.status = status;
        Ok(true)
    })
    .await
    .unwrap()
    .unwrap();
}

impl Live {
    async fn force(&self, action: &str) -> reqwest::Response {
        self.app
            .post_auth(
                &format!("/api/bots/{}/force-{action}", self.bot_id),
                &self.token,
                json!({}),
            )
            .await
    }

    async fn live_orders(&self) -> Vec<Value> {
        let list = body(self.app.get_auth("/api/orders/live", &self.token).await).await;
        list["orders"].as_array().unwrap().clone()
    }

    async fn bot(&self) -> Value {
        body(
            self.app
                .get_auth(&format!("/api/bots/{}", self.bot_id), &self.token)
                .await,
        )
        .await
    }

    async fn position(&self) -> Value {
        body(
            self.app
                .get_auth(&format!("/api/bots/{}/position", self.bot_id), &self.token)
                .await,
        )
        .await["position"]
            .clone()
    }

    /// Lets time pass and runs the tracker once.
    async fn track(&self, seconds: i64) -> usize {
        self.clock.advance(Span::seconds(seconds));
        live_tracker::tick(&self.app.state).await.unwrap()
    }

    fn creds(&self) -> Credentials {
        let creds = Credentials::new(KEY).with_secret(SECRET);
        if self.provider == Provider::Kucoin {
            creds.with_passphrase(PASSPHRASE)
        } else {
            creds
        }
    }
}

fn fills_sum(order: &Value, f: impl Fn(&Value) -> f64) -> f64 {
    order["fills"].as_array().unwrap().iter().map(f).sum()
}

/// Entry then exit on each exchange: real orders on the fake, the position from the real
/// fills, the round trip booked once as a trade whose P&L is the quote received less the quote
/// paid and every fee.
async fn a_live_bot_enters_and_exits_on_each_exchange(engine: Engine) {
    for provider in EXCHANGES {
        let live = setup(&engine, provider, &[]).await;
        let quote = quote_of(provider);
        let resp = live.force("enter").await;
        assert_eq!(resp.status(), 200, "{provider:?}");
        let entered = body(resp).await;
        assert_eq!(live.fake.order_sends(), 1, "{provider:?}");
        // Filled at once: the answer already shows the position from the exchange's fills.
        assert!(
            entered["position"]["size"]
                .as_f64()
                .is_some_and(|s| s > 0.0),
            "{entered}"
        );
        let orders = live.live_orders().await;
        assert_eq!(orders.len(), 1);
        let entry = &orders[0];
        assert_eq!(entry["state"], "filled", "{provider:?}: {entry}");
        assert_eq!(entry["booked"], true);
        assert_eq!(entry["side"], "buy");
        assert!(entry["client_order_id"]
            .as_str()
            .unwrap()
            .starts_with("amk"));
        let bought = fills_sum(entry, |f| f["amount"].as_f64().unwrap());
        let paid = fills_sum(entry, |f| {
            f["amount"].as_f64().unwrap() * f["price"].as_f64().unwrap()
        });
        let fee_of = |f: &Value, cur: &str| {
            if f["fee_currency"] == cur {
                f["fee"].as_f64().unwrap()
            } else {
                0.0
            }
        };
        let base_fee = fills_sum(entry, |f| fee_of(f, "BTC"));
        let quote_fee = fills_sum(entry, |f| fee_of(f, quote));
        // Sized by the bot: 100 % of 1,000 quote at the price, fee included, to the lot size.
        assert!(
            bought * live.price <= 1000.0 && bought * live.price >= 980.0,
            "{bought}"
        );
        let position = live.position().await;
        assert!(
            near(position["size"].as_f64().unwrap(), bought - base_fee),
            "{position}"
        );
        assert!(near(position["entry_price"].as_f64().unwrap(), live.price));
        // The exchange's books agree: BTC received, quote spent.
        assert!(
            near(live.fake.balance("BTC"), bought - base_fee),
            "{provider:?}"
        );
        assert!(near(live.fake.balance(quote), 10_000.0 - paid - quote_fee));
        // The record shows the live order and the exchange's current view.
        let record_id = entry["order_record_id"].as_str().unwrap();
        let status = body(
            live.app
                .get_auth(&format!("/api/orders/{record_id}/status"), &live.token)
                .await,
        )
        .await;
        assert_eq!(status["status"], "filled", "{status}");
        assert_eq!(status["live_order"]["id"], entry["id"]);
        assert_eq!(status["exchange"]["state"], "filled", "{status}");

        // The exit sells what the bot holds.
        live.clock.advance(Span::seconds(60));
        let resp = live.force("exit").await;
        assert_eq!(
            resp.status(),
            200,
            "{provider:?}: {}",
            resp.text().await.unwrap()
        );
        assert_eq!(live.fake.order_sends(), 2);
        let orders = live.live_orders().await;
        let exit = &orders[0];
        assert_eq!(
            (exit["side"].as_str(), exit["state"].as_str()),
            (Some("sell"), Some("filled"))
        );
        let sold = fills_sum(exit, |f| f["amount"].as_f64().unwrap());
        let received = fills_sum(exit, |f| {
            f["amount"].as_f64().unwrap() * f["price"].as_f64().unwrap()
        });
        let exit_fee = fills_sum(exit, |f| fee_of(f, quote));
        // Nothing left but lot-size dust (< 1 %), written off with the trade.
        assert!(sold <= bought - base_fee && sold > (bought - base_fee) * 0.99);
        assert_eq!(live.position().await, Value::Null);
        // P&L = quote received - exit fee - (quote paid + quote entry fee). A fee taken in BTC
        // is paid by holding less (and the unsold dust is written off), so it needs no term.
        let expected = received - exit_fee - (paid + quote_fee);
        let trades = body(live.app.get_auth("/api/trades/recent", &live.token).await).await;
        let trades = trades["trades"].as_array().unwrap();
        assert_eq!(trades.len(), 1, "{provider:?}: {trades:?}");
        let pnl = trades[0]["profit_loss"].as_f64().unwrap();
        assert!(near(pnl, expected), "{provider:?}: {pnl} vs {expected}");
        assert_eq!(trades[0]["trading_mode"], "live");
        let bot = live.bot().await;
        assert!(near(
            bot["current_capital"].as_f64().unwrap(),
            1000.0 + expected
        ));
        // The tracker finds nothing left to do and books nothing twice.
        assert_eq!(live.track(3_600).await, 0);
        let again = body(live.app.get_auth("/api/trades/recent", &live.token).await).await;
        assert_eq!(again["trades"].as_array().unwrap().len(), 1);
        live.app.stop().await;
    }
}

/// The strategy's own decisions go live: candles in the store, the scheduler evaluates each
/// closed candle, the entry decided on a close is sent at the next evaluation, the position
/// comes from the exchange's fills, the exit books the round trip, and each decision names the
/// order it caused.
async fn a_live_bot_sends_its_strategy_decisions(engine: Engine) {
    use amarktai::domain::bot::Exchange;
    use amarktai::domain::candles::{Candle, Pair as SeriesPair, Series, Timeframe};
    use amarktai::engine::scheduler;
    use amarktai::trading::strategy_runner::StrategyExecutor;

    const H: i64 = 3_600_000;
    // SMA(2) crosses above SMA(3) on candle 6's close and below on candle 9's.
    const CLOSES: [f64; 11] = [
        5000.0, 5000.0, 5000.0, 4000.0, 3000.0, 4000.0, 6000.0, 8000.0, 7000.0, 5000.0, 3000.0,
    ];
    // The clock moves forward 12 hours: the session must outlive it.
    let vars = [
        ("ENABLE_SCHEDULERS", "true"),
        ("ACCESS_TOKEN_EXPIRES_MIN", "1440"),
    ];
    let live = setup(&engine, Provider::Binance, &vars).await;
    let state = &live.app.state;
    let t0 = (state.clock.now().timestamp_millis() / H + 1) * H;
    let candles: Vec<Candle> = CLOSES
        .iter()
        .enumerate()
        .map(|(i, c)| Candle {
            open_time: t0 + i as i64 * H,
            open: *c,
            high: *c,
            low: *c,
            close: *c,
            volume: 1.0,
        })
        .collect();
    let series = Series::new(
        Exchange::Binance,
        SeriesPair::parse("BTC/USDT").unwrap(),
        Timeframe::H1,
    );
    async fn run_at(live: &Live, series: &Series, candles: &[Candle], t0: i64, hours: i64) {
        let state = &live.app.state;
        live.clock
            .set(chrono::DateTime::from_timestamp_millis(t0 + hours * H + 5_000).unwrap());
        state
            .store
            .candles
            .upsert_many(series, &candles[..hours as usize])
            .await
            .unwrap();
        let report = scheduler::tick(state, &StrategyExecutor::new(state.clone()))
            .await
            .unwrap();
        assert_eq!(report.failed, 0, "{report:?}");
    }
    let run = |hours: i64| run_at(&live, &series, &candles, t0, hours);
    let decisions_path = format!("/api/bots/{}/decisions", live.bot_id);
    run(7).await;
    let list = body(live.app.get_auth(&decisions_path, &live.token).await).await;
    assert_eq!(list["decisions"][0]["decision"], "enter_long", "{list}");
    assert_eq!(
        live.fake.order_sends(),
        0,
        "decided on the close, sent at the next evaluation"
    );
    // Candle 7 opened at 8,000: the market order goes to the exchange at its price now.
    live.fake.set_price("BTC/USDT", 8_000.0);
    run(8).await;
    assert_eq!(live.fake.order_sends(), 1);
    let orders = live.live_orders().await;
    let entry = &orders[0];
    assert_eq!(entry["state"], "filled", "{entry}");
    assert_eq!(
        entry["reference_price"], 8_000.0,
        "the candle open the decision saw"
    );
    let position = live.position().await;
    assert_eq!(position["entry_price"], 8_000.0, "{position}");
    let list = body(live.app.get_auth(&decisions_path, &live.token).await).await;
    let enter = list["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["decision"] == "enter_long")
        .unwrap()
        .clone();
    assert_eq!(enter["order_id"], entry["order_record_id"], "{enter}");

    live.fake.set_price("BTC/USDT", 3_000.0);
    run(9).await;
    run(10).await;
    assert_eq!(
        live.fake.order_sends(),
        1,
        "exit decided on candle 9's close"
    );
    run(11).await;
    assert_eq!(live.fake.order_sends(), 2);
    let trades = body(live.app.get_auth("/api/trades/recent", &live.token).await).await;
    let trades = trades["trades"].as_array().unwrap().clone();
    assert_eq!(trades.len(), 1, "{trades:?}");
    assert!(
        trades[0]["profit_loss"].as_f64().unwrap() < -600.0,
        "{}",
        trades[0]
    );
    assert_eq!(trades[0]["exit_price"], 3_000.0);
    assert_eq!(live.position().await, Value::Null);
    live.app.stop().await;
}

/// Half fills at once, the rest at the next look-up: two fills, one position, booked once.
async fn a_partial_then_full_fill_is_booked_once(engine: Engine) {
    let live = setup(&engine, Provider::Binance, &[]).await;
    live.fake.set_partial_fill(0.5);
    assert_eq!(live.force("enter").await.status(), 200);
    let orders = live.live_orders().await;
    assert_eq!(orders[0]["state"], "partially_filled", "{}", orders[0]);
    assert_eq!(orders[0]["fills"].as_array().unwrap().len(), 1);
    assert_eq!(
        live.position().await,
        Value::Null,
        "nothing booked while it works"
    );
    // The bot waits for its working order: a second entry is refused, nothing sent.
    assert_eq!(live.force("enter").await.status(), 409);
    assert_eq!(live.fake.order_sends(), 1);

    assert_eq!(live.track(5).await, 1);
    let orders = live.live_orders().await;
    let entry = &orders[0];
    assert_eq!(entry["state"], "filled", "{entry}");
    assert_eq!(entry["fills"].as_array().unwrap().len(), 2);
    let bought = fills_sum(entry, |f| f["amount"].as_f64().unwrap());
    let base_fee = fills_sum(entry, |f| f["fee"].as_f64().unwrap());
    let position = live.position().await;
    assert!(
        near(position["size"].as_f64().unwrap(), bought - base_fee),
        "{position}"
    );
    // More polls change nothing.
    live.track(3_600).await;
    live.track(3_600).await;
    assert_eq!(live.position().await, position);
    assert_eq!(live.fake.order_sends(), 1);
    live.app.stop().await;
}

/// The exchange stores the order, then the answer times out: the order is found by its client
/// order id, never sent twice.
async fn a_timeout_after_accept_makes_exactly_one_order(engine: Engine) {
    for provider in EXCHANGES {
        let live = setup(&engine, provider, &[]).await;
        live.fake.fail_next_order(1, Failure::TimeoutAfterAccept);
        let resp = live.force("enter").await;
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
        live.track(5).await;
        live.track(60).await;
        assert_eq!(live.fake.orders_stored(), 1, "{provider:?}");
        let orders = live.live_orders().await;
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0]["state"], "filled", "{provider:?}: {}", orders[0]);
        assert_eq!(orders[0]["send_attempts"], 1);
        assert_eq!(orders[0]["booked"], true);
        assert!(live.position().await["size"].as_f64().unwrap() > 0.0);
        live.app.stop().await;
    }
}

/// A 503 on the send leaves the order unsent: the tracker looks it up, finds nothing,
/// and sends it once more while it is fresh.
async fn a_refused_send_is_retried_after_a_lookup(engine: Engine) {
    let live = setup(&engine, Provider::Binance, &[]).await;
    live.fake.fail_next_order(1, Failure::ServerError);
    assert_eq!(live.force("enter").await.status(), 200);
    let orders = live.live_orders().await;
    assert_eq!(orders[0]["state"], "new", "{}", orders[0]);
    assert_eq!(live.fake.orders_stored(), 0);
    // First tick: the exchange does not know it, so it is sent; second: it is filled.
    live.track(5).await;
    live.track(5).await;
    let orders = live.live_orders().await;
    assert_eq!(orders[0]["state"], "filled", "{}", orders[0]);
    assert_eq!(orders[0]["send_attempts"], 2);
    assert_eq!(live.fake.orders_stored(), 1);
    live.app.stop().await;
}

/// A crash between send and answer leaves a `new` order: at boot the tracker looks it up and
/// adopts it if the exchange has it, else sends it (once).
async fn a_crash_between_send_and_answer_is_resolved_at_boot(engine: Engine) {
    for sent_before_crash in [true, false] {
        let live = setup(&engine, Provider::Valr, &[]).await;
        let state = &live.app.state;
        let now = state.clock.now();
        let valid = ValidOrder {
            bot_id: live.bot_id.clone(),
            symbol: "BTC/ZAR",
            side: Side::Buy,
            amount: 0.0009,
            order_type: OrderType::Market,
            price: None,
            idempotency_key: Some("crash-test".into()),
            expected_edge_bps: None,
        };
        let record = OrderRecord::pending(&live.user_id, "valr", &valid, "crash-test", now);
        state.store.orders.insert(&record).await.unwrap();
        let order = LiveOrder::new(
            NewLiveOrder {
                user_id: &live.user_id,
                bot_id: &live.bot_id,
                exchange: "valr",
                symbol: "BTC/ZAR",
                side: Side::Buy,
                amount: 0.0009,
                reference_price: live.price,
                intent: LiveIntent::Entry { candle_time: 0 },
                order_record_id: &record.id,
                decision_id: None,
            },
            now,
        );
        state.store.live_orders.insert(&order).await.unwrap();
        let id = order.id.clone();
        update_bot::<amarktai::store::StoreError, _>(
            state.store.bots.as_ref(),
            None,
            &live.user_id,
            &live.bot_id,
            |b| {
                b.live_order_id = Some(id.clone());
                Ok(true)
            },
        )
        .await
        .unwrap();
        if sent_before_crash {
            let http = reqwest::Client::new();
            let creds = live.creds();
            let acct = Account {
                http: &http,
                urls: &state.config.outbound,
                exchange: Provider::Valr,
                creds: &creds,
            };
            client::place(
                &acct,
                &PlaceOrder {
                    pair: live.pair.clone(),
                    side: Side::Buy,
                    kind: OrderKind::Market,
                    amount: 0.0009,
                    quote_amount: 900.0,
                    client_order_id: order.client_order_id.clone(),
                },
            )
            .await
            .unwrap();
        }
        // "Reboot": a new state on the same database runs the tracker's first tick.
        let store = amarktai::store::connect(&live.app.config.config())
            .await
            .unwrap();
        let rebooted = AppState::with_clock(
            live.app.config.config(),
            store,
            Arc::new(live.clock.clone()),
        );
        assert_eq!(live_tracker::tick(&rebooted).await.unwrap(), 1);
        // Adopted at once, or sent by that tick and found filled by the next.
        live.clock.advance(Span::seconds(5));
        live_tracker::tick(&rebooted).await.unwrap();
        let stored = rebooted
            .store
            .live_orders
            .find(&live.user_id, &order.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.state,
            LiveState::Filled,
            "sent before crash: {sent_before_crash}"
        );
        assert!(stored.booked);
        assert_eq!(stored.send_attempts, u32::from(!sent_before_crash));
        assert_eq!(
            live.fake.orders_stored(),
            1,
            "exactly one order on the exchange"
        );
        let bot = rebooted
            .store
            .bots
            .find(&live.user_id, &live.bot_id)
            .await
            .unwrap()
            .unwrap();
        assert!(bot.live_order_id.is_none());
        assert!(bot.position.is_some_and(|p| p.size > 0.0));
        let record = rebooted
            .store
            .orders
            .find(&live.user_id, &record.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.status.as_str(), "filled");
        live.app.stop().await;
    }
}

/// Each gate refuses with its reason, and the fake never sees an order.
async fn every_gate_refuses_before_the_exchange(engine: Engine) {
    async fn refused(live: &Live) -> String {
        let resp = live.force("enter").await;
        assert_eq!(resp.status(), 409, "{}", resp.text().await.unwrap());
        let err = body(resp).await;
        assert_eq!(live.fake.order_sends(), 0, "{err}");
        assert!(live.live_orders().await.is_empty() || live.fake.order_sends() == 0);
        err["error"]["message"].as_str().unwrap().to_string()
    }
    // Server flags: live trading off (the user could not have turned live mode on either).
    let live = setup(&engine, Provider::Binance, &[]).await;
    let mut cfg = live.app.config.config();
    cfg.flags.enable_live_trading = false;
    let store = amarktai::store::connect(&cfg).await.unwrap();
    let off = AppState::with_clock(cfg, store, Arc::new(live.clock.clone()));
    off.prices
        .set(Arc::new(FixedPrices::new().with("BTC/USDT", live.price)));
    let err = amarktai::trading::strategy_runner::force_enter(&off, &live.user_id, &live.bot_id)
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("ENABLE_LIVE_TRADING"), "{err}");
    assert_eq!(live.fake.order_sends(), 0);

    // The user's live mode off.
    let resp = live
        .app
        .put_auth(
            "/api/system/mode",
            &live.token,
            json!({"mode": "liveTrading", "enabled": false}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(refused(&live).await.contains("live mode is off"));
    live.app
        .put_auth(
            "/api/system/mode",
            &live.token,
            json!({"mode": "liveTrading", "enabled": true}),
        )
        .await;

    // Keys saved but not (successfully) tested, then no keys at all.
    mark_keys(
        &live.app.state,
        &live.user_id,
        Provider::Binance,
        "test_failed",
    )
    .await;
    assert!(refused(&live).await.contains("have not passed a key test"));
    let resp = live.app.delete_auth("/api/keys/binance", &live.token).await;
    assert_eq!(resp.status(), 200);
    assert!(refused(&live).await.contains("no API keys saved"));
    live.app.stop().await;

    // The caps, the exchange's minimums and the balance, each on a fresh account.
    let cases: [(&[(&str, &str)], &str); 2] = [
        (
            &[("LIVE_MAX_ORDER_NOTIONAL", "500")],
            "LIVE_MAX_ORDER_NOTIONAL",
        ),
        (
            &[("LIVE_MAX_DAILY_NOTIONAL", "800")],
            "LIVE_MAX_DAILY_NOTIONAL",
        ),
    ];
    for (vars, want) in cases {
        let live = setup(&engine, Provider::Binance, vars).await;
        let reason = refused(&live).await;
        assert!(reason.contains(want), "{reason}");
        live.app.stop().await;
    }
    let live = setup(&engine, Provider::Kucoin, &[]).await;
    live.fake.set_rules(
        "BTC/USDT",
        SymbolRules {
            min_amount: 0.00001,
            amount_step: 0.00001,
            min_notional: 5_000.0,
        },
    );
    assert!(refused(&live).await.contains("below the exchange minimum"));
    live.fake.set_rules(
        "BTC/USDT",
        SymbolRules {
            min_amount: 0.00001,
            amount_step: 0.00001,
            min_notional: 10.0,
        },
    );
    live.fake.set_balance("USDT", 100.0);
    assert!(refused(&live).await.contains("insufficient balance"));
    // Emergency stop: refused before any gate runs, and no order.
    live.fake.set_balance("USDT", 10_000.0);
    let resp = live
        .app
        .post_auth("/api/system/emergency-stop", &live.token, json!({}))
        .await;
    assert_eq!(resp.status(), 200);
    assert!(refused(&live).await.contains("emergency stop"));
    live.app.stop().await;

    // The four order gates run first: with one trade a day allowed and one booked, the limit
    // gate refuses the next entry before any live gate, and the exchange sees no third order.
    let live = setup(
        &engine,
        Provider::Valr,
        &[("MAX_TRADES_PER_BOT_DAILY", "1")],
    )
    .await;
    assert_eq!(live.force("enter").await.status(), 200);
    live.clock.advance(Span::seconds(60));
    assert_eq!(live.force("exit").await.status(), 200);
    assert_eq!(live.fake.order_sends(), 2);
    let resp = live.force("enter").await;
    assert_eq!(resp.status(), 409);
    let reason = body(resp).await["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("limit"), "{reason}");
    assert_eq!(live.fake.order_sends(), 2);
    live.app.stop().await;

    // A bot in the live training bay trades on paper: the exchange sees nothing.
    let live = setup(&engine, Provider::Luno, &[]).await;
    set_bot(
        &live.app.state,
        &live.user_id,
        &live.bot_id,
        TradingMode::Live,
        BotStatus::LiveTrainingBay,
    )
    .await;
    let resp = live.force("enter").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(live.fake.order_sends(), 0);
    assert!(live.live_orders().await.is_empty());
    live.app.stop().await;
}

/// The emergency stop cancels the user's open live orders on the exchange.
async fn the_emergency_stop_cancels_open_orders(engine: Engine) {
    let live = setup(&engine, Provider::Valr, &[]).await;
    // Nothing fills at once; the exchange answers the first look-up with the order open.
    live.fake.set_partial_fill(0.0);
    assert_eq!(live.force("enter").await.status(), 200);
    let working = live.live_orders().await[0]["state"].clone();
    assert!(
        working == "submitted" || working == "partially_filled",
        "{working}"
    );
    let resp = live
        .app
        .post_auth(
            "/api/system/emergency-stop",
            &live.token,
            json!({"reason": "test"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let stopped = body(resp).await;
    assert_eq!(stopped["live_orders_cancelled"], 1, "{stopped}");
    let order = &live.live_orders().await[0];
    assert_eq!(order["state"], "cancelled", "{order}");
    assert_eq!(order["booked"], true);
    assert_eq!(live.position().await, Value::Null);
    let bot = live.bot().await;
    assert_eq!(bot["live_order_id"], Value::Null);
    let record = body(
        live.app
            .get_auth(
                &format!(
                    "/api/orders/{}/status",
                    order["order_record_id"].as_str().unwrap()
                ),
                &live.token,
            )
            .await,
    )
    .await;
    assert_eq!(record["status"], "rejected", "{record}");
    assert!(record["rejection_reason"]
        .as_str()
        .unwrap()
        .contains("cancelled"));
    live.app.stop().await;
}

/// Reconciliation: nothing to report after a clean fill; an injected difference in what we
/// booked is found and raises an alert; the account's manual trades are only counted.
async fn reconciliation_finds_an_injected_difference(engine: Engine) {
    let live = setup(&engine, Provider::Luno, &[]).await;
    assert_eq!(live.force("enter").await.status(), 200);
    live.fake
        .inject_trade("BTC/ZAR", Side::Sell, 990_000.0, 0.0001);
    let report = body(
        live.app
            .post_auth("/api/orders/reconcile", &live.token, json!({}))
            .await,
    )
    .await;
    assert_eq!(report["differences"], 0, "{report}");
    assert_eq!(report["pairs"][0]["fills_compared"], 1);
    assert_eq!(report["pairs"][0]["other_trades"], 1);

    // Tamper with the booked fill (as a bug would): the amounts no longer agree.
    let state = &live.app.state;
    let mut order = state
        .store
        .live_orders
        .list(&live.user_id, None, 10)
        .await
        .unwrap()
        .remove(0);
    order.fills[0].amount *= 2.0;
    order.version += 1;
    assert!(state.store.live_orders.save(&order).await.unwrap());
    let report = body(
        live.app
            .post_auth("/api/orders/reconcile?hours=24", &live.token, json!({}))
            .await,
    )
    .await;
    assert_eq!(report["differences"], 1, "{report}");
    assert_eq!(report["pairs"][0]["differences"][0]["kind"], "mismatch");
    assert_eq!(report["alerts_raised"], 1);
    let alerts = body(live.app.get_auth("/api/alerts", &live.token).await).await;
    assert!(
        alerts.to_string().contains("live_reconciliation"),
        "{alerts}"
    );
    let bad = live
        .app
        .post_auth("/api/orders/reconcile?hours=0", &live.token, json!({}))
        .await;
    assert_eq!(bad.status(), 400);
    live.app.stop().await;
}

/// Another user cannot see or reconcile someone else's live orders.
async fn live_orders_are_private(engine: Engine) {
    let live = setup(&engine, Provider::Binance, &[]).await;
    assert_eq!(live.force("enter").await.status(), 200);
    let record = live.live_orders().await[0]["order_record_id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = live.app.token_for("other@example.com").await;
    let list = body(live.app.get_auth("/api/orders/live", &other).await).await;
    assert_eq!(list["count"], 0);
    let resp = live
        .app
        .get_auth(&format!("/api/orders/{record}/status"), &other)
        .await;
    assert_eq!(resp.status(), 404);
    let resp = live.app.get("/api/orders/live").await;
    assert_eq!(resp.status(), 401);
    live.app.stop().await;
}

on_both_engines!(
    a_live_bot_enters_and_exits_on_each_exchange,
    a_live_bot_sends_its_strategy_decisions,
    a_partial_then_full_fill_is_booked_once,
    a_timeout_after_accept_makes_exactly_one_order,
    a_refused_send_is_retried_after_a_lookup,
    a_crash_between_send_and_answer_is_resolved_at_boot,
    every_gate_refuses_before_the_exchange,
    the_emergency_stop_cancels_open_orders,
    reconciliation_finds_an_injected_difference,
    live_orders_are_private,
);
