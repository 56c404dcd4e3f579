//! `AppState`: everything a handler needs, cheap to clone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;

use crate::auth::AuthRuntime;
use crate::config::Config;
use crate::crypto::SecretBox;
use crate::domain::clock::{SharedClock, SystemClock};
use crate::domain::price::PriceSlot;
use crate::engine::EngineRegistry;
use crate::events::EventBus;
use crate::exchange::price_feed::TickerFeed;
use crate::store::Store;

/// Shared by every handler and middleware: axum clones the state for every handler call, so a
/// clone is one reference count (it was ~30 when the fields were cloned one by one, visible in
/// the profile of the cheapest route; bench/README.md "Request-path cost").
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// The fields of [`AppState`] (read through it: `state.config`, `state.store`, ...).
pub struct AppStateInner {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: SharedClock,
    pub engines: Arc<EngineRegistry>,
    pub metrics: PrometheusHandle,
    /// Cancelled on shutdown: long-lived streams and engines watch it.
    pub shutdown: CancellationToken,
    pub started_at: Instant,
    /// The one outbound HTTP client (exchanges, AI provider).
    pub http_client: reqwest::Client,
    pub auth: Arc<AuthRuntime>,
    /// Prices for order fills: the exchanges' public tickers (tests may swap the source).
    pub prices: Arc<PriceSlot>,
    /// Realtime event bus (per-user ids, replay ring, fan-out to WS/SSE).
    pub events: Arc<EventBus>,
    /// The AI provider client, built once over `http_client`.
    pub ai: crate::ai::AiClient,
    /// Seals and opens stored exchange / AI keys (current key + the old one during rotation).
    pub secrets: Arc<SecretBox>,
    /// The backtest worker pool (`BACKTEST_WORKERS`).
    pub backtests: Arc<crate::app::backtests::BacktestRunner>,
    /// Rendered `GET /api/bots` answers, valid while the store's list revision is unchanged.
    pub bot_lists: crate::app::bot_list::BotListCache,
}

impl AppState {
    pub fn new(config: Config, store: Store) -> Self {
        Self::with_clock(config, store, Arc::new(SystemClock))
    }

    pub fn with_clock(config: Config, store: Store, clock: SharedClock) -> Self {
        let engines = Arc::new(EngineRegistry::from_flags(&config.flags));
        let http_client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .user_agent(concat!("amarktai/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let auth = Arc::new(AuthRuntime::new(&config));
        let events = Arc::new(EventBus::with_clock(
            config.realtime.replay_events,
            clock.clone(),
        ));
        let ai = crate::ai::AiClient::new(http_client.clone(), &config.outbound);
        let secrets = Arc::new(SecretBox::from_config(&config));
        let feed = TickerFeed::new(http_client.clone(), &config.outbound, clock.clone());
        let backtests = Arc::new(crate::app::backtests::BacktestRunner::new(
            config.trading.backtest_workers as usize,
        ));
        Self(Arc::new(AppStateInner {
            backtests,
            secrets,
            auth,
            events,
            ai,
            config: Arc::new(config),
            store,
            clock,
            engines,
            metrics: crate::metrics::handle(),
            shutdown: CancellationToken::new(),
            started_at: Instant::now(),
            http_client,
            prices: Arc::new(PriceSlot::with(Arc::new(feed))),
            bot_lists: Default::default(),
        }))
    }
}
