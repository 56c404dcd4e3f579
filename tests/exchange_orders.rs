//! The live order clients against a stateful fake of each exchange that verifies every
//! signature, keeps balances and answers in the exchange's own JSON shapes.

mod common;
mod fake_exchange;

use amarktai::domain::orders::Side;
use amarktai::exchange::orders::{
    self, Account, ExchangeOrder, ExchangeOrderState, OrderError, OrderKind, PlaceOrder,
    RejectKind, SymbolRules,
};
use amarktai::exchange::{Credentials, OutboundConfig, Pair, Provider};
use chrono::{Duration as Span, Utc};

use common::{Engine, TestConfig};
use fake_exchange::live::{Failure, FakeExchange};
use fake_exchange::{KEY, PASSPHRASE, SECRET};

const EXCHANGES: [Provider; 5] = [
    Provider::Binance,
    Provider::Kucoin,
    Provider::Luno,
    Provider::Valr,
    Provider::Ovex,
];

/// One exchange's fake, funded, with a price and rules, plus what a client needs to call it.
struct Venue {
    provider: Provider,
    fake: FakeExchange,
    urls: OutboundConfig,
    creds: Credentials,
    http: reqwest::Client,
    pair: Pair,
    price: f64,
}

fn quote_of(provider: Provider) -> &'static str {
    match provider {
        Provider::Binance | Provider::Kucoin => "USDT",
        _ => "ZAR",
    }
}

fn rules() -> SymbolRules {
    SymbolRules {
        min_amount: 0.0001,
        amount_step: 0.0001,
        min_notional: 10.0,
    }
}

fn credentials(provider: Provider, secret: &str) -> Credentials {
    let creds = Credentials::new(KEY).with_secret(secret);
    if provider == Provider::Kucoin {
        creds.with_passphrase(PASSPHRASE)
    } else {
        creds
    }
}

async fn venue(provider: Provider) -> Venue {
    let fake = FakeExchange::start(provider).await;
    let quote = quote_of(provider);
    let pair = Pair::parse(&format!("BTC/{quote}")).unwrap();
    let price = if quote == "ZAR" {
        1_000_000.0
    } else {
        50_000.0
    };
    fake.set_price(&pair.canonical(), price);
    fake.set_rules(&pair.canonical(), rules());
    fake.set_balance("BTC", 1.0);
    fake.set_balance(quote, price);
    let uri = fake.base_url();
    let urls = TestConfig::new(&Engine::Sqlite)
        .set("LUNO_BASE_URL", &uri)
        .set("BINANCE_BASE_URL", &uri)
        .set("KUCOIN_BASE_URL", &uri)
        .set("VALR_BASE_URL", &uri)
        .set("OVEX_BASE_URL", &uri)
        .set("EXCHANGE_TIMEOUT_SECONDS", "1")
        .config()
        .outbound;
    Venue {
        provider,
        fake,
        urls,
        creds: credentials(provider, SECRET),
        http: reqwest::Client::new(),
        pair,
        price,
    }
}

impl Venue {
    fn account(&self) -> Account<'_> {
        Account {
            http: &self.http,
            urls: &self.urls,
            exchange: self.provider,
            creds: &self.creds,
        }
    }

    fn order(&self, side: Side, kind: OrderKind, amount: f64, id: &str) -> PlaceOrder {
        PlaceOrder {
            pair: self.pair.clone(),
            side,
            kind,
            amount,
            quote_amount: (amount * self.price * 100.0).round() / 100.0,
            client_order_id: id.to_string(),
        }
    }

    /// Query by our id; OVEX stores none, so it is asked by its own order id.
    async fn query(&self, client_id: &str, exchange_id: &str) -> Result<ExchangeOrder, OrderError> {
        let id = if self.provider == Provider::Ovex {
            exchange_id
        } else {
            client_id
        };
        orders::query(&self.account(), &self.pair, id).await
    }

    async fn cancel(&self, client_id: &str, exchange_id: &str) -> Result<(), OrderError> {
        let id = if self.provider == Provider::Ovex {
            exchange_id
        } else {
            client_id
        };
        orders::cancel(&self.account(), &self.pair, id).await
    }
}

fn assert_clean(provider: Provider, error: &OrderError) {
    let shown = format!("{error} {error:?}");
    for secret in [KEY, SECRET, PASSPHRASE] {
        assert!(!shown.contains(secret), "{provider}: leaked in {shown}");
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9 * b.abs().max(1.0)
}

#[tokio::test]
async fn balances_and_rules_read_in_each_exchange_shape() {
    for provider in EXCHANGES {
        let v = venue(provider).await;
        let balances = orders::balances(&v.account()).await.unwrap();
        let btc = balances.iter().find(|b| b.asset == "BTC").unwrap();
        assert!(close(btc.available, 1.0), "{provider}: {balances:?}");
        assert!(close(btc.total, 1.0), "{provider}");
        let quote = balances.iter().find(|b| b.asset == quote_of(provider));
        assert!(quote.is_some(), "{provider}: {balances:?}");

        let got = orders::symbol_rules(&v.account(), &v.pair).await.unwrap();
        assert!(close(got.min_amount, 0.0001), "{provider}: {got:?}");
        assert!(close(got.amount_step, 0.0001), "{provider}: {got:?}");
        // Luno publishes no minimum order value.
        let min_notional = if provider == Provider::Luno {
            0.0
        } else {
            10.0
        };
        assert!(close(got.min_notional, min_notional), "{provider}: {got:?}");
    }
}

#[tokio::test]
async fn market_buy_and_sell_fill_at_the_price_with_fees() {
    for provider in EXCHANGES {
        let v = venue(provider).await;
        let buy = v.order(Side::Buy, OrderKind::Market, 0.01, "amk-buy-1");
        let placed = orders::place(&v.account(), &buy).await.unwrap();
        let order = v
            .query("amk-buy-1", &placed.exchange_order_id)
            .await
            .unwrap();
        assert_eq!(order.state, ExchangeOrderState::Filled, "{provider}");
        assert_eq!(order.exchange_order_id, placed.exchange_order_id);
        assert!(close(order.filled_amount, 0.01), "{provider}: {order:?}");
        assert_eq!(order.fills.len(), 1, "{provider}");
        let fill = &order.fills[0];
        assert!(close(fill.price, v.price), "{provider}");
        assert!(close(fill.amount, 0.01), "{provider}");
        assert!(fill.fee > 0.0, "{provider}: fee {fill:?}");
        assert_eq!(fill.side, Side::Buy);
        // Spent the quote; received the base less any base fee.
        let spent = v.price - v.fake.balance(quote_of(provider));
        assert!(
            close(spent, 0.01 * v.price + fill.fee_in_quote()),
            "{provider}: spent {spent}"
        );
        let base_fee = fill.fee - fill.fee_in_quote();
        assert!(close(v.fake.balance("BTC"), 1.01 - base_fee), "{provider}");

        let sell = v.order(Side::Sell, OrderKind::Market, 0.005, "amk-sell-1");
        let placed = orders::place(&v.account(), &sell).await.unwrap();
        let order = v
            .query("amk-sell-1", &placed.exchange_order_id)
            .await
            .unwrap();
        assert_eq!(order.state, ExchangeOrderState::Filled, "{provider}");
        assert_eq!(order.fills.len(), 1, "{provider}");
        assert_eq!(order.fills[0].side, Side::Sell);
        assert_eq!(
            order.fills[0].fee_currency,
            quote_of(provider),
            "{provider}"
        );
        assert!(v.fake.balance("BTC") < 1.01, "{provider}");
    }
}

trait FeeInQuote {
    fn fee_in_quote(&self) -> f64;
}

impl FeeInQuote for orders::ExchangeFill {
    /// The fee when charged in the quote currency, else 0 (it came out of the base).
    fn fee_in_quote(&self) -> f64 {
        if self.fee_currency == "BTC" {
            0.0
        } else {
            self.fee
        }
    }
}

#[tokio::test]
async fn a_limit_order_rests_open_and_is_cancelled() {
    for provider in EXCHANGES {
        let v = venue(provider).await;
        let quote_before = v.fake.balance(quote_of(provider));
        let limit = v.order(
            Side::Buy,
            OrderKind::Limit {
                price: v.price / 2.0,
            },
            0.01,
            "amk-limit-1",
        );
        let placed = orders::place(&v.account(), &limit).await.unwrap();
        let open = v
            .query("amk-limit-1", &placed.exchange_order_id)
            .await
            .unwrap();
        assert_eq!(open.state, ExchangeOrderState::Open, "{provider}");
        assert!(open.fills.is_empty(), "{provider}");
        assert!(
            v.fake.balance(quote_of(provider)) < quote_before,
            "{provider}: not reserved"
        );

        v.cancel("amk-limit-1", &placed.exchange_order_id)
            .await
            .unwrap();
        let done = v
            .query("amk-limit-1", &placed.exchange_order_id)
            .await
            .unwrap();
        assert_eq!(done.state, ExchangeOrderState::Cancelled, "{provider}");
        assert!(
            close(v.fake.balance(quote_of(provider)), quote_before),
            "{provider}"
        );
        // Cancelling a finished order is fine.
        v.cancel("amk-limit-1", &placed.exchange_order_id)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_partial_fill_is_seen_then_completed_with_two_fills() {
    for provider in EXCHANGES {
        let v = venue(provider).await;
        v.fake.set_partial_fill(0.4);
        let buy = v.order(Side::Buy, OrderKind::Market, 0.01, "amk-part-1");
        let placed = orders::place(&v.account(), &buy).await.unwrap();
        let first = v
            .query("amk-part-1", &placed.exchange_order_id)
            .await
            .unwrap();
        assert_eq!(
            first.state,
            ExchangeOrderState::PartiallyFilled,
            "{provider}: {first:?}"
        );
        assert!(close(first.filled_amount, 0.004), "{provider}: {first:?}");
        assert_eq!(first.fills.len(), 1, "{provider}");
        let second = v
            .query("amk-part-1", &placed.exchange_order_id)
            .await
            .unwrap();
        assert_eq!(
            second.state,
            ExchangeOrderState::Filled,
            "{provider}: {second:?}"
        );
        assert_eq!(second.fills.len(), 2, "{provider}");
        let total: f64 = second.fills.iter().map(|f| f.amount).sum();
        assert!(close(total, 0.01), "{provider}: {second:?}");
        assert_ne!(second.fills[0].trade_id, second.fills[1].trade_id);
    }
}

#[tokio::test]
async fn an_unknown_order_is_not_found() {
    for provider in EXCHANGES {
        let v = venue(provider).await;
        let err = v.query("amk-never-sent", "987654321").await.unwrap_err();
        assert_eq!(err, OrderError::NotFound, "{provider}");
        let err = v.cancel("amk-never-sent", "987654321").await.unwrap_err();
        assert_eq!(err, OrderError::NotFound, "{provider}: cancel");
    }
}

#[tokio::test]
async fn rate_limits_and_server_errors_place_nothing() {
    for provider in EXCHANGES {
        let v = venue(provider).await;
        let buy = v.order(Side::Buy, OrderKind::Market, 0.01, "amk-rl-1");
        v.fake.fail_next(1, Failure::RateLimited);
        let err = orders::place(&v.account(), &buy).await.unwrap_err();
        assert_eq!(
            err,
            OrderError::RateLimited {
                retry_after_secs: Some(7)
            },
            "{provider}"
        );
        v.fake.fail_next(1, Failure::ServerError);
        let err = orders::place(&v.account(), &buy).await.unwrap_err();
        assert_eq!(err, OrderError::Unavailable(503), "{provider}");
        assert!(err.outcome_unknown());
        assert_eq!(v.fake.order_sends(), 2, "{provider}");
        assert_eq!(v.fake.orders_stored(), 0, "{provider}");

        // Reads map the same way.
        v.fake.fail_next(1, Failure::RateLimited);
        let err = v.query("amk-rl-1", "1").await.unwrap_err();
        assert!(
            matches!(err, OrderError::RateLimited { .. }),
            "{provider}: {err:?}"
        );
        v.fake.fail_next(1, Failure::ServerError);
        let err = orders::balances(&v.account()).await.unwrap_err();
        assert_eq!(err, OrderError::Unavailable(503), "{provider}");
    }
}

#[tokio::test]
async fn a_timeout_after_accept_is_found_by_lookup_and_never_doubled() {
    let runs = EXCHANGES.map(|provider| async move {
        let v = venue(provider).await;
        let since = Utc::now() - Span::seconds(5);
        let buy = v.order(Side::Buy, OrderKind::Market, 0.01, "amk-to-1");
        v.fake.fail_next(1, Failure::TimeoutAfterAccept);
        let err = orders::place(&v.account(), &buy).await.unwrap_err();
        assert_eq!(err, OrderError::Timeout, "{provider}");
        assert!(err.outcome_unknown());
        let found = orders::find_placed(&v.account(), &buy, since)
            .await
            .unwrap();
        assert_eq!(found.state, ExchangeOrderState::Filled, "{provider}");
        assert_eq!(found.fills.len(), 1, "{provider}");
        assert_eq!(v.fake.order_sends(), 1, "{provider}");
        assert_eq!(v.fake.orders_stored(), 1, "{provider}");
        let received = v.fake.orders_received();
        if provider != Provider::Ovex {
            assert_eq!(received[0].client_order_id.as_deref(), Some("amk-to-1"));
        }
    });
    futures_util::future::join_all(runs).await;
}

#[tokio::test]
async fn refusals_carry_the_right_kind() {
    for provider in EXCHANGES {
        let v = venue(provider).await;
        let too_big = v.order(Side::Buy, OrderKind::Market, 5.0, "amk-big-1");
        match orders::place(&v.account(), &too_big).await {
            Err(err @ OrderError::Rejected { kind, .. }) => {
                assert_eq!(kind, RejectKind::InsufficientBalance, "{provider}: {err}");
                assert_clean(provider, &err);
            }
            other => panic!("{provider}: {other:?}"),
        }
        let too_small = v.order(Side::Sell, OrderKind::Market, 0.00001, "amk-small-1");
        match orders::place(&v.account(), &too_small).await {
            Err(err @ OrderError::Rejected { kind, .. }) => {
                assert_eq!(kind, RejectKind::BelowMinimum, "{provider}: {err}");
                assert_clean(provider, &err);
            }
            other => panic!("{provider}: {other:?}"),
        }
        assert_eq!(
            v.fake.order_sends(),
            2,
            "{provider}: refused sends are recorded"
        );
        assert_eq!(v.fake.orders_stored(), 0, "{provider}");
    }
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_credentials_and_never_shown() {
    for provider in EXCHANGES {
        let mut v = venue(provider).await;
        v.creds = if provider == Provider::Ovex {
            // OVEX signs nothing: the bearer key itself is what is wrong.
            Credentials::new("not-the-key-at-all").with_secret("not-the-secret-at-all")
        } else {
            credentials(provider, "not-the-secret-at-all")
        };
        let buy = v.order(Side::Buy, OrderKind::Market, 0.01, "amk-auth-1");
        for err in [
            orders::place(&v.account(), &buy).await.unwrap_err(),
            orders::balances(&v.account()).await.unwrap_err(),
        ] {
            match &err {
                OrderError::Rejected { kind, .. } => {
                    assert_eq!(*kind, RejectKind::InvalidCredentials, "{provider}: {err}")
                }
                other => panic!("{provider}: {other:?}"),
            }
            assert_clean(provider, &err);
            assert!(!format!("{err:?}").contains("not-the-secret-at-all"));
            assert!(!format!("{err:?}").contains("not-the-key-at-all"));
        }
        assert_eq!(v.fake.orders_stored(), 0, "{provider}");
    }
}

#[tokio::test]
async fn trade_history_includes_trades_the_platform_never_booked() {
    for provider in EXCHANGES {
        let v = venue(provider).await;
        let since = Utc::now() - Span::seconds(5);
        let buy = v.order(Side::Buy, OrderKind::Market, 0.01, "amk-hist-1");
        let placed = orders::place(&v.account(), &buy).await.unwrap();
        let stray = v
            .fake
            .inject_trade(&v.pair.canonical(), Side::Sell, v.price, 0.002);
        let history = orders::trade_history(&v.account(), &v.pair, since)
            .await
            .unwrap();
        assert_eq!(history.len(), 2, "{provider}: {history:?}");
        assert_eq!(
            history[0].exchange_order_id, placed.exchange_order_id,
            "{provider}"
        );
        assert!(history[0].at <= history[1].at, "{provider}: oldest first");
        assert_eq!(history[1].side, Side::Sell);
        assert!(
            history[1].trade_id.contains(&format!("{stray:x}"))
                || history[1].trade_id == stray.to_string(),
            "{provider}: {history:?}"
        );
    }
}

/// Deposit addresses through each exchange's signed call (the fake re-derives the signature);
/// OVEX offers none through its API; a wrong secret is refused like any other call.
#[tokio::test]
async fn deposit_addresses_are_read_through_the_signed_call() {
    for provider in EXCHANGES {
        let mut v = venue(provider).await;
        let found = orders::deposit_address(&v.account(), "BTC").await;
        if provider == Provider::Ovex {
            assert!(
                matches!(&found, Err(OrderError::Unsupported(r)) if r.contains("OVEX")),
                "{found:?}"
            );
            continue;
        }
        let found = found.unwrap_or_else(|e| panic!("{provider}: {e:?}"));
        assert_eq!(found.asset, "BTC", "{provider}: {found:?}");
        let asked = if provider == Provider::Luno {
            "XBT"
        } else {
            "BTC"
        };
        assert_eq!(
            found.address,
            format!("fake-{}-{asked}-address", provider.id()),
            "{provider}"
        );
        v.creds = credentials(provider, "not-the-secret-at-all");
        let err = orders::deposit_address(&v.account(), "BTC")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                OrderError::Rejected {
                    kind: RejectKind::InvalidCredentials,
                    ..
                }
            ),
            "{provider}: {err:?}"
        );
    }
}
