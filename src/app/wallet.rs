//! The wallet (existing dashboard, COMPAT.md): balances read from each exchange the user has
//! tested keys for (signed account calls, cached briefly), what the live bots need per exchange
//! against what is available, and the funding plans a shortfall creates.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::bot::{BotStatus, TradingMode};
use crate::domain::price::PriceSource;
use crate::domain::wallet::{health, FundingPlan, Health, PlanStatus};
use crate::error::AppResult;
use crate::exchange::orders::{self as client, AssetBalance};
use crate::exchange::Provider;
use crate::state::AppState;

/// Balances are read from the exchanges at most this often per user (`refresh` bypasses it).
pub const CACHE_TTL: Duration = Duration::from_secs(15);

/// One exchange account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExchangeBalances {
    /// Asset -> total (available + reserved).
    pub balances: BTreeMap<String, f64>,
    /// Asset -> available to trade.
    pub available: BTreeMap<String, f64>,
    /// The account valued in `quote` at the price feed (assets without a price are left out
    /// and listed in `unpriced`).
    pub total_in_quote: f64,
    pub quote: String,
    pub unpriced: Vec<String>,
    pub error: Option<String>,
}

/// The Luno account, as the dashboard's "master wallet" card reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MasterWallet {
    pub total_zar: f64,
    pub btc_balance: f64,
    pub eth_balance: f64,
    pub xrp_balance: f64,
    pub exchange: String,
    pub error: Option<String>,
}

/// `GET /api/wallet/balances`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WalletBalances {
    pub user_id: String,
    /// ZAR held over all exchanges.
    pub zar: f64,
    /// BTC held over all exchanges.
    pub btc: f64,
    pub master_wallet: MasterWallet,
    /// Per exchange with tested keys.
    pub exchanges: BTreeMap<String, ExchangeBalances>,
    pub timestamp: String,
    /// When the balances were read from the exchanges (cached up to 15 s).
    pub last_updated: String,
}

fn cache() -> &'static Mutex<HashMap<String, (Instant, WalletBalances)>> {
    static CACHE: OnceLock<Mutex<HashMap<String, (Instant, WalletBalances)>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The quote currency an exchange's accounts are valued in.
fn quote_of(exchange: Provider) -> &'static str {
    match exchange {
        Provider::Binance | Provider::Kucoin => "USDT",
        _ => "ZAR",
    }
}

/// Exchanges the user has keys for whose last test passed, and a fingerprint of those keys
/// (so cached balances are never served for keys that changed since).
async fn tested_exchanges(state: &AppState, user_id: &str) -> AppResult<(Vec<Provider>, String)> {
    let keys = state.store.keys.list_for_user(user_id).await?;
    let tested: Vec<_> = keys
        .iter()
        .filter(|k| k.status == "test_ok")
        .filter_map(|k| Provider::parse(&k.provider).map(|p| (p, k)))
        .filter(|(p, _)| p.is_exchange())
        .collect();
    let fingerprint = tested
        .iter()
        .map(|(p, k)| format!("{}@{}", p.id(), k.updated_at.timestamp_millis()))
        .collect::<Vec<_>>()
        .join(",");
    Ok((tested.into_iter().map(|(p, _)| p).collect(), fingerprint))
}

async fn read_exchange(state: &AppState, user_id: &str, exchange: Provider) -> ExchangeBalances {
    let quote = quote_of(exchange).to_string();
    let empty = |error: String| ExchangeBalances {
        balances: BTreeMap::new(),
        available: BTreeMap::new(),
        total_in_quote: 0.0,
        quote: quote.clone(),
        unpriced: Vec::new(),
        error: Some(error),
    };
    let creds = match crate::trading::live::account_for(state, user_id, exchange.id()).await {
        Ok((creds, _)) => creds,
        Err(e) => return empty(e.to_string()),
    };
    let acct = crate::trading::live::account(state, exchange, &creds);
    let list: Vec<AssetBalance> = match client::balances(&acct).await {
        Ok(list) => list,
        Err(e) => return empty(e.to_string()),
    };
    let mut out = ExchangeBalances {
        balances: BTreeMap::new(),
        available: BTreeMap::new(),
        total_in_quote: 0.0,
        quote: quote.clone(),
        unpriced: Vec::new(),
        error: None,
    };
    for b in list.iter().filter(|b| b.total > 0.0) {
        let asset = b.asset.to_ascii_uppercase();
        *out.balances.entry(asset.clone()).or_default() += b.total;
        *out.available.entry(asset.clone()).or_default() += b.available;
        if asset == quote {
            out.total_in_quote += b.total;
            continue;
        }
        let symbol = format!("{asset}/{quote}");
        match state.prices.price(exchange.id(), &symbol).await {
            Ok(q) => out.total_in_quote += b.total * q.price,
            Err(_) => out.unpriced.push(asset),
        }
    }
    out
}

/// The user's balances on every exchange with tested keys; one failing exchange reports its
/// own `error`.
pub async fn balances(state: &AppState, user_id: &str, refresh: bool) -> AppResult<WalletBalances> {
    let (exchanges, fingerprint) = tested_exchanges(state, user_id).await?;
    let cache_key = format!("{user_id}|{fingerprint}");
    if !refresh {
        if let Ok(map) = cache().lock() {
            if let Some((at, cached)) = map.get(&cache_key) {
                if at.elapsed() < CACHE_TTL {
                    let mut answer = cached.clone();
                    answer.timestamp = state.clock.now().to_rfc3339();
                    return Ok(answer);
                }
            }
        }
    }
    let reads = exchanges.iter().map(|e| read_exchange(state, user_id, *e));
    let results = futures_util::future::join_all(reads).await;
    let mut by_exchange = BTreeMap::new();
    for (exchange, result) in exchanges.iter().zip(results) {
        by_exchange.insert(exchange.id().to_string(), result);
    }
    let held = |asset: &str| -> f64 {
        by_exchange
            .values()
            .map(|e| e.balances.get(asset).copied().unwrap_or(0.0))
            .fold(0.0, |a, b| a + b)
    };
    let (zar, btc) = (held("ZAR"), held("BTC"));
    let master_wallet = match by_exchange.get("luno") {
        Some(luno) => MasterWallet {
            total_zar: luno.total_in_quote,
            btc_balance: luno.balances.get("BTC").copied().unwrap_or(0.0),
            eth_balance: luno.balances.get("ETH").copied().unwrap_or(0.0),
            xrp_balance: luno.balances.get("XRP").copied().unwrap_or(0.0),
            exchange: "luno".into(),
            error: luno.error.clone(),
        },
        None => MasterWallet {
            total_zar: 0.0,
            btc_balance: 0.0,
            eth_balance: 0.0,
            xrp_balance: 0.0,
            exchange: "luno".into(),
            error: Some("no tested Luno API keys".into()),
        },
    };
    let now = state.clock.now().to_rfc3339();
    let answer = WalletBalances {
        user_id: user_id.to_string(),
        zar,
        btc,
        master_wallet,
        exchanges: by_exchange,
        timestamp: now.clone(),
        last_updated: now,
    };
    if let Ok(mut map) = cache().lock() {
        map.retain(|_, (at, _)| at.elapsed() < CACHE_TTL);
        map.insert(cache_key, (Instant::now(), answer.clone()));
    }
    Ok(answer)
}

/// One exchange's requirement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Requirement {
    /// Capital of the user's live bots on this exchange.
    pub required: f64,
    /// Available quote balance on the exchange.
    pub available: f64,
    pub surplus_deficit: f64,
    pub health: Health,
    pub currency: String,
    pub live_bots: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequirementsSummary {
    pub total_required: f64,
    pub total_available: f64,
    pub overall_health: Health,
    pub exchanges_count: usize,
    pub keys_configured: usize,
}

/// `GET /api/wallet/requirements`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WalletRequirements {
    pub user_id: String,
    pub requirements: BTreeMap<String, Requirement>,
    pub summary: RequirementsSummary,
    pub timestamp: String,
}

/// What the user's live bots need per exchange against what is available. A live bot on an
/// exchange that cannot cover all its bots gets a pending funding plan (one per bot, kept up
/// to date); plans of bots now covered are completed.
pub async fn requirements(state: &AppState, user_id: &str) -> AppResult<WalletRequirements> {
    let now = state.clock.now();
    let bots = state.store.bots.list(user_id, None).await?;
    let live: Vec<_> = bots
        .iter()
        .filter(|b| b.trading_mode == TradingMode::Live)
        .filter(|b| !matches!(b.status, BotStatus::Deleted | BotStatus::Stopped))
        .collect();
    let wallet = balances(state, user_id, false).await?;
    let mut names: Vec<String> = live
        .iter()
        .map(|b| b.exchange.as_str().to_string())
        .collect();
    names.extend(wallet.exchanges.keys().cloned());
    names.sort();
    names.dedup();
    let mut requirements = BTreeMap::new();
    for name in &names {
        let currency = Provider::parse(name).map_or("ZAR", quote_of).to_string();
        let on_it: Vec<_> = live
            .iter()
            .filter(|b| b.exchange.as_str() == name)
            .collect();
        let required = on_it
            .iter()
            .fold(0.0, |a, b| a + b.current_capital.max(0.0));
        let account = wallet.exchanges.get(name);
        let available = account
            .and_then(|a| a.available.get(&currency).copied())
            .unwrap_or(0.0);
        let error = match account {
            None => Some(format!("no tested API keys for {name}")),
            Some(a) => a.error.clone(),
        };
        let row = Requirement {
            required,
            available,
            surplus_deficit: available - required,
            health: health(required, available),
            currency: currency.clone(),
            live_bots: on_it.len(),
            error,
        };
        plan_funding(state, user_id, name, &row, &on_it, now).await?;
        requirements.insert(name.clone(), row);
    }
    let total_required = requirements.values().fold(0.0, |a, r| a + r.required);
    let total_available = requirements.values().fold(0.0, |a, r| a + r.available);
    let overall_health = requirements
        .values()
        .map(|r| r.health)
        .max()
        .unwrap_or(Health::Healthy);
    Ok(WalletRequirements {
        user_id: user_id.to_string(),
        summary: RequirementsSummary {
            total_required,
            total_available,
            overall_health,
            exchanges_count: requirements.len(),
            keys_configured: wallet.exchanges.len(),
        },
        requirements,
        timestamp: now.to_rfc3339(),
    })
}

/// The shortfall is shared out over the exchange's live bots in order of creation: the first
/// bots are covered by what is available, the rest get plans for what they lack.
async fn plan_funding(
    state: &AppState,
    user_id: &str,
    exchange: &str,
    row: &Requirement,
    bots: &[&&crate::domain::bot::Bot],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut left = row.available;
    let mut ordered: Vec<_> = bots.to_vec();
    ordered.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    let pending = state
        .store
        .funding_plans
        .list(user_id, Some(PlanStatus::Pending))
        .await?;
    for bot in ordered {
        let need = bot.current_capital.max(0.0);
        let covered = left.min(need);
        left -= covered;
        let shortfall = need - covered;
        if shortfall > 0.005 && row.error.is_none() {
            let plan = FundingPlan::new(
                user_id,
                (&bot.id, &bot.name),
                exchange,
                (shortfall * 100.0).round() / 100.0,
                &row.currency,
                now,
            );
            state.store.funding_plans.upsert_pending(&plan).await?;
        } else if shortfall <= 0.005 {
            for plan in pending.iter().filter(|p| p.bot_id == bot.id) {
                state
                    .store
                    .funding_plans
                    .finish(user_id, &plan.plan_id, PlanStatus::Completed, now)
                    .await?;
            }
        }
    }
    Ok(())
}

/// `GET /api/wallet/deposit-address`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepositAddressView {
    pub exchange: String,
    pub asset: String,
    /// `null` when the exchange offers no deposit-address call.
    pub address: Option<String>,
    pub network: Option<String>,
    /// Memo / destination tag the deposit must carry, when the asset needs one.
    pub tag: Option<String>,
    pub note: Option<String>,
}

/// The user's deposit address for `asset` on `exchange`, from the exchange's signed call.
pub async fn deposit_address(
    state: &AppState,
    user_id: &str,
    exchange: Provider,
    asset: &str,
) -> AppResult<DepositAddressView> {
    let mut view = DepositAddressView {
        exchange: exchange.id().to_string(),
        asset: asset.to_string(),
        address: None,
        network: None,
        tag: None,
        note: None,
    };
    let creds = match crate::trading::live::account_for(state, user_id, exchange.id()).await {
        Ok((creds, _)) => creds,
        Err(_) => {
            return Err(crate::error::AppError::conflict(
                "KEYS_MISSING",
                format!("No API keys saved for {}", exchange.display_name()),
            ))
        }
    };
    let acct = crate::trading::live::account(state, exchange, &creds);
    match client::deposit_address(&acct, asset).await {
        Ok(found) => {
            view.address = Some(found.address);
            view.network = found.network;
            view.tag = found.tag;
        }
        Err(client::OrderError::Unsupported(reason)) => view.note = Some(reason),
        Err(e) => {
            return Err(crate::error::AppError::new(
                axum::http::StatusCode::BAD_GATEWAY,
                "EXCHANGE_ERROR",
                format!("{} answered: {e}", exchange.display_name()),
            ))
        }
    }
    Ok(view)
}
