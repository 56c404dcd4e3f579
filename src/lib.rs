//! Amarktai: the trading-bot platform API server (library; `main.rs` is a thin CLI over it).

pub mod ai;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod engine;
pub mod error;
pub mod events;
pub mod exchange;
pub mod http;
pub mod log_format;
pub mod log_writer;
pub mod mail;
pub mod market;
pub mod metrics;
pub mod state;
pub mod store;
pub mod trading;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::state::AppState;

pub use crate::http::{build_router, build_router_with};

/// The application router for `state` (no socket; tests may drive it in-process).
pub fn build_app(state: AppState) -> Router {
    build_router(state)
}

/// Connects the configured store (with retries), finishes fills a crash interrupted, and
/// builds the shared state.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let store = store::connect(&config)
        .await
        .map_err(|e| anyhow::anyhow!("{} store failed to open: {e}", config.storage_engine()))?;
    finish_interrupted_fills(&store).await;
    Ok(AppState::new(config, store))
}

/// MongoDB books a fill in idempotent steps (`store/mongo/trades_write.rs`); this completes
/// any a crash left half-done, for every user, before the first request (trade reads repeat it
/// per user). A failure is logged, not fatal: the reads retry it. No-op on SQLite.
async fn finish_interrupted_fills(store: &store::Store) {
    match store.trades.repair(None).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(completed = n, "interrupted fills completed at boot"),
        Err(e) => {
            tracing::warn!(error = %e, "could not complete interrupted fills at boot; trade reads will retry")
        }
    }
}

/// Serves `app` on `listener` until `shutdown` fires, then drains in-flight requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.cancelled_owned())
    .await
}

/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the whole server: store, state, engines, HTTP, until SIGTERM / ctrl-c.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let addr = format!("{}:{}", config.host, config.port);
    let state = build_state(config).await?;
    // Backtests left queued or running by the previous process have no worker any more.
    match state
        .store
        .backtests
        .fail_unfinished("the server restarted before this backtest finished; run it again")
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            count = n,
            "backtests interrupted by a restart marked failed"
        ),
        Err(e) => tracing::warn!(error = %e, "could not mark interrupted backtests failed"),
    }
    // The trading scheduler trades through the same order pipeline as manual orders.
    let executor = std::sync::Arc::new(trading::strategy_runner::StrategyExecutor::new(
        state.clone(),
    ));
    let engines = engine::start(&state, Some(executor));
    log_startup(&state);
    let listener = TcpListener::bind(&addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    tracing::info!(addr = %listener.local_addr()?, engine = state.store.engine(), "Amarktai listening");

    let shutdown = state.shutdown.clone();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    tokio::spawn(purge_expired_tokens(state.clone()));
    tokio::spawn(evict_idle_event_channels(state.clone()));
    tokio::spawn(metrics_upkeep(state.clone()));
    let server = tokio::spawn(serve(listener, build_app(state.clone()), shutdown.clone()));
    shutdown.cancelled().await;
    tracing::info!("shutdown signal received; draining requests");
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::error!(error = %e, "server error during shutdown"),
        Ok(Err(e)) => tracing::error!(error = %e, "server task failed"),
        Err(_) => tracing::warn!("in-flight requests did not finish in time; exiting anyway"),
    }
    for handle in engines {
        if tokio::time::timeout(SHUTDOWN_GRACE, handle).await.is_err() {
            tracing::warn!("an engine did not stop in time; exiting anyway");
        }
    }
    state.store.admin.close().await;
    tracing::info!("store closed; bye");
    Ok(())
}

/// Revoked-token rows expire by themselves in Mongo (TTL index); this also purges SQLite.
async fn purge_expired_tokens(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = every.tick() => {
                match state.store.tokens.purge_expired(state.clock.now()).await {
                    Ok(n) if n > 0 => tracing::info!(purged = n, "expired tokens purged"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "token purge failed"),
                }
            }
        }
    }
}

/// Users idle this long with no realtime connection lose their replay buffer (a client that
/// comes back later gets `force_refresh`, which it would after a restart anyway).
const EVENT_CHANNEL_IDLE: Duration = Duration::from_secs(600);

/// Keeps the event bus's memory proportional to recently active users.
async fn evict_idle_event_channels(state: AppState) {
    let idle = chrono::Duration::from_std(EVENT_CHANNEL_IDLE).unwrap_or(chrono::Duration::MAX);
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = every.tick() => {
                let evicted = state.events.evict_idle(idle);
                if evicted > 0 {
                    tracing::debug!(evicted, "idle event channels evicted");
                }
                ::metrics::gauge!("realtime_user_channels").set(state.events.channel_count() as f64);
            }
        }
    }
}

/// Folds histogram samples into buckets between scrapes (see `metrics::UPKEEP_EVERY`).
async fn metrics_upkeep(state: AppState) {
    let mut every = tokio::time::interval(crate::metrics::UPKEEP_EVERY);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = every.tick() => state.metrics.run_upkeep(),
        }
    }
}

async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    token.cancel();
}

fn log_startup(state: &AppState) {
    let config = &state.config;
    if config.jwt_secret_source == config::SecretSource::GeneratedDevFile {
        tracing::warn!(
            path = %config.data_dir.join(".jwt_secret").display(),
            "JWT_SECRET not set: using a generated development secret (set JWT_SECRET in production)"
        );
    }
    if config.api_key_encryption_key_source == config::SecretSource::GeneratedDevFile {
        tracing::warn!(
            path = %config.data_dir.join(config::DEV_ENCRYPTION_KEY_FILE).display(),
            "API_KEY_ENCRYPTION_KEY not set: using a generated development key (required when ENV=production)"
        );
    }
    if let Some((old_id, _)) = &config.api_key_encryption_key_old {
        tracing::info!(
            old_key_id = %old_id,
            current_key_id = %state.secrets.current_key_id(),
            "API_KEY_ENCRYPTION_KEY_OLD set: values under the old key still open; run `amarktai rotate-keys --old-key-id {old_id}`"
        );
    }
    let line = engine::flags_line::feature_flags_line(
        &config.flags,
        &state.engines.snapshot(state.clock.now()),
    );
    tracing::info!("{line}");
}
