//! Storage contract for the bots repository on both engines: caps and names hold under
//! concurrency, batches are all-or-nothing, aggregates come from the database.

mod common;

use amarktai::config::TradingConfig;
use amarktai::domain::bot::{Bot, BotStatus, Exchange, NewBot, RiskMode, TradingMode};
use amarktai::store::bots::{update_bot, BotCaps, CreateOutcome};
use amarktai::store::{Store, StoreError};
use chrono::Utc;
use common::{Engine, TestConfig};

async fn open(engine: &Engine) -> (Store, TestConfig) {
    let config = TestConfig::new(engine);
    let store = amarktai::store::connect(&config.config())
        .await
        .expect("store opens");
    (store, config)
}

fn trading() -> TradingConfig {
    TestConfig::new(&Engine::Sqlite).config().trading
}

fn bot(user: &str, name: &str, exchange: Exchange, capital: f64) -> Bot {
    let now = chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap();
    let new = NewBot {
        name: name.into(),
        exchange,
        risk_mode: RiskMode::Balanced,
        trading_mode: TradingMode::Paper,
        initial_capital: capital,
    };
    Bot::new(user, new, now, &trading())
}

const CAPS: BotCaps = BotCaps {
    exchange_max: 5,
    total_max: 45,
};

async fn create_find_list_and_isolation(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let b = bot("u1", "Alpha", Exchange::Luno, 1000.0);
    assert_eq!(
        store.bots.create(&b, CAPS).await.unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(store.bots.find("u1", &b.id).await.unwrap().unwrap(), b);
    assert!(
        store.bots.find("u2", &b.id).await.unwrap().is_none(),
        "another user's bot is invisible"
    );
    assert_eq!(store.bots.find_any(&b.id).await.unwrap().unwrap().id, b.id);
    let mut paused = bot("u1", "Beta", Exchange::Binance, 500.0);
    paused.status = BotStatus::Paused;
    store.bots.create(&paused, CAPS).await.unwrap();
    assert_eq!(store.bots.list("u1", None).await.unwrap().len(), 2);
    let only_paused = store
        .bots
        .list("u1", Some(BotStatus::Paused))
        .await
        .unwrap();
    assert_eq!(
        only_paused
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Beta"]
    );
    assert!(store.bots.list("u2", None).await.unwrap().is_empty());
}

async fn names_are_unique_per_user_case_insensitively_until_deleted(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let a = bot("u1", "Moon Shot", Exchange::Luno, 1000.0);
    store.bots.create(&a, CAPS).await.unwrap();
    let dup = bot("u1", "moon shot", Exchange::Valr, 1000.0);
    assert_eq!(
        store.bots.create(&dup, CAPS).await.unwrap(),
        CreateOutcome::DuplicateName
    );
    assert_eq!(
        store
            .bots
            .create(&bot("u2", "Moon Shot", Exchange::Luno, 100.0), CAPS)
            .await
            .unwrap(),
        CreateOutcome::Created
    );
    let before = store
        .bots
        .soft_delete("u1", &a.id, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.status, BotStatus::Active);
    assert!(store.bots.find("u1", &a.id).await.unwrap().is_none());
    assert!(
        store
            .bots
            .soft_delete("u1", &a.id, Utc::now())
            .await
            .unwrap()
            .is_none(),
        "already deleted"
    );
    assert_eq!(
        store.bots.create(&dup, CAPS).await.unwrap(),
        CreateOutcome::Created,
        "deleted names are free"
    );
    // Renaming onto a taken name is refused.
    let mut other = bot("u1", "Other", Exchange::Luno, 100.0);
    store.bots.create(&other, CAPS).await.unwrap();
    other.name = "MOON SHOT".into();
    assert!(store.bots.save(&other).await.is_err());
}

async fn caps_hold_under_concurrent_creates(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .bots
                    .create(&bot("u1", &format!("bot {i}"), Exchange::Luno, 100.0), CAPS)
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap().unwrap() {
            CreateOutcome::Created => created += 1,
            CreateOutcome::ExchangeLimit => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 5, "luno allows 5 bots");
    assert_eq!(store.bots.list("u1", None).await.unwrap().len(), 5);
    // A deleted bot gives its slot back.
    let first = store.bots.list("u1", None).await.unwrap().remove(0);
    store
        .bots
        .soft_delete("u1", &first.id, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        store
            .bots
            .create(&bot("u1", "again", Exchange::Luno, 100.0), CAPS)
            .await
            .unwrap(),
        CreateOutcome::Created
    );
    // The total cap counts every exchange.
    let tight = BotCaps {
        exchange_max: 10,
        total_max: 5,
    };
    assert_eq!(
        store
            .bots
            .create(&bot("u1", "b1", Exchange::Binance, 100.0), tight)
            .await
            .unwrap(),
        CreateOutcome::TotalLimit
    );
}

async fn batches_are_all_or_nothing(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    store
        .bots
        .create(&bot("u1", "taken", Exchange::Kucoin, 100.0), CAPS)
        .await
        .unwrap();
    let batch: Vec<Bot> = ["k1", "k2", "TAKEN"]
        .iter()
        .map(|n| bot("u1", n, Exchange::Kucoin, 100.0))
        .collect();
    assert_eq!(
        store.bots.create_many(&batch, CAPS).await.unwrap(),
        CreateOutcome::DuplicateName
    );
    assert_eq!(
        store.bots.list("u1", None).await.unwrap().len(),
        1,
        "nothing of the failed batch remains"
    );
    let too_many: Vec<Bot> = (0..5)
        .map(|i| bot("u1", &format!("k{i}"), Exchange::Kucoin, 100.0))
        .collect();
    assert_eq!(
        store.bots.create_many(&too_many, CAPS).await.unwrap(),
        CreateOutcome::ExchangeLimit
    );
    let fits: Vec<Bot> = (0..4)
        .map(|i| bot("u1", &format!("k{i}"), Exchange::Kucoin, 100.0))
        .collect();
    assert_eq!(
        store.bots.create_many(&fits, CAPS).await.unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(store.bots.list("u1", None).await.unwrap().len(), 5);
}

async fn summary_and_totals_are_aggregated(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let mut a = bot("u1", "a", Exchange::Luno, 1000.0);
    a.record_trade(50.0, Utc::now());
    store.bots.create(&a, CAPS).await.unwrap();
    let mut b = bot("u1", "b", Exchange::Valr, 500.0);
    b.status = BotStatus::Paused;
    b.trading_mode = TradingMode::Live;
    store.bots.create(&b, CAPS).await.unwrap();
    let gone = bot("u1", "gone", Exchange::Luno, 300.0);
    store.bots.create(&gone, CAPS).await.unwrap();
    store
        .bots
        .soft_delete("u1", &gone.id, Utc::now())
        .await
        .unwrap();
    store
        .bots
        .create(&bot("u2", "z", Exchange::Luno, 100.0), CAPS)
        .await
        .unwrap();
    let s = store.bots.summary("u1").await.unwrap();
    assert_eq!(s.total, 2);
    assert_eq!(s.status_count(BotStatus::Active), 1);
    assert_eq!(s.status_count(BotStatus::Paused), 1);
    assert_eq!(s.exchange_count("luno"), 1);
    assert!((s.initial_capital - 1500.0).abs() < 1e-9);
    assert!((s.total_capital - 1550.0).abs() < 1e-9);
    assert!((s.total_profit - 50.0).abs() < 1e-9);
    let t = store.bots.totals().await.unwrap();
    assert_eq!((t.total, t.active, t.live, t.paper), (3, 2, 1, 2));
    let (n, bytes) = store.bots.usage_for_user("u1").await.unwrap();
    assert_eq!(n, 3, "deleted rows still take space");
    assert!(bytes > 0);
    assert_eq!(store.bots.delete_for_user("u1").await.unwrap(), 3);
    assert_eq!(store.bots.summary("u1").await.unwrap().total, 0);
}

async fn save_round_trips_every_field(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let mut b = bot("u1", "round", Exchange::Ovex, 2500.0);
    store.bots.create(&b, CAPS).await.unwrap();
    b.record_trade(-25.5, Utc::now());
    b.status = BotStatus::Quarantined;
    b.quarantine_count = 2;
    b.retraining_until = Some(
        chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis() + 3_600_000).unwrap(),
    );
    b.override_rules = serde_json::json!({"max_daily_trades": 7});
    b.pause_reason = Some("bodyguard".into());
    b.last_trade_at = b
        .last_trade_at
        .map(|t| chrono::DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap());
    b.updated_at = b.last_trade_at.unwrap();
    // The bodyguard's hour window opened with that trade (BSON dates hold milliseconds).
    b.hour_started_at = b.last_trade_at;
    assert!(store.bots.save(&b).await.unwrap());
    b.version += 1;
    assert_eq!(store.bots.find("u1", &b.id).await.unwrap().unwrap(), b);
    assert_eq!(
        store
            .bots
            .list_by_status(BotStatus::Quarantined, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let mut stranger = b.clone();
    stranger.user_id = "u2".into();
    assert!(
        !store.bots.save(&stranger).await.unwrap(),
        "cannot save over another user's bot"
    );
}

/// A save based on an old read is refused (it would wipe what was written since), and
/// `update_bot` re-applies the change to the bot as it is now.
async fn a_stale_save_is_refused_and_update_bot_reapplies_the_change(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let b = bot("u1", "versioned", Exchange::Luno, 1000.0);
    store.bots.create(&b, CAPS).await.unwrap();
    let stale = store.bots.find("u1", &b.id).await.unwrap().unwrap();
    // Another writer gets in first: a capital transfer (relative update, no read needed).
    assert!(store
        .bots
        .transfer_capital("u1", &b.id, 250.0, None, Utc::now())
        .await
        .unwrap());
    let mut paused = stale.clone();
    paused.status = BotStatus::Paused;
    assert!(
        !store.bots.save(&paused).await.unwrap(),
        "a save from before the transfer would undo it"
    );
    let current = store.bots.find("u1", &b.id).await.unwrap().unwrap();
    assert_eq!(
        (current.status, current.current_capital),
        (BotStatus::Active, 1250.0)
    );
    let (saved, written) =
        update_bot::<StoreError, _>(store.bots.as_ref(), Some(stale), "u1", &b.id, |bot| {
            bot.status = BotStatus::Paused;
            Ok(true)
        })
        .await
        .unwrap()
        .unwrap();
    assert!(written);
    let stored = store.bots.find("u1", &b.id).await.unwrap().unwrap();
    assert_eq!(stored, saved);
    assert_eq!(
        (stored.status, stored.current_capital),
        (BotStatus::Paused, 1250.0)
    );
    // A change that declines writes nothing; a missing bot is `None`.
    let declined =
        update_bot::<StoreError, _>(store.bots.as_ref(), None, "u1", &b.id, |_| Ok(false))
            .await
            .unwrap();
    assert_eq!(declined, Some((stored.clone(), false)));
    let missing = update_bot::<StoreError, _>(store.bots.as_ref(), None, "u2", &b.id, |_| Ok(true))
        .await
        .unwrap();
    assert_eq!(missing, None, "another user's bot is not found");
}

/// Capital moves by relative updates that keep the peaks in step and respect a floor.
async fn transfers_move_capital_and_peaks_and_respect_the_floor(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let mut b = bot("u1", "donor", Exchange::Valr, 1000.0);
    store.bots.create(&b, CAPS).await.unwrap();
    b.record_trade(300.0, Utc::now());
    assert!(store.bots.save(&b).await.unwrap());
    let now = Utc::now();
    assert!(!store
        .bots
        .transfer_capital("u1", &b.id, -300.01, Some(1000.0), now)
        .await
        .unwrap());
    assert!(store
        .bots
        .transfer_capital("u1", &b.id, -300.0, Some(1000.0), now)
        .await
        .unwrap());
    let after = store.bots.find("u1", &b.id).await.unwrap().unwrap();
    assert_eq!(
        (
            after.current_capital,
            after.peak_capital,
            after.total_profit
        ),
        (1000.0, 1000.0, 300.0)
    );
    assert_eq!(after.version, b.version + 2);
    assert!(!store
        .bots
        .transfer_capital("u2", &b.id, 5.0, None, now)
        .await
        .unwrap());
    store.bots.soft_delete("u1", &b.id, now).await.unwrap();
    assert!(!store
        .bots
        .transfer_capital("u1", &b.id, 5.0, None, now)
        .await
        .unwrap());
}

/// Status-only writes (emergency stop's pause of every bot, a compare-and-set transition)
/// move the version too, so a save from a read made before them cannot undo them.
async fn status_writes_make_older_reads_stale(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let a = bot("u1", "stopped", Exchange::Luno, 1000.0);
    let b = bot("u1", "moved", Exchange::Luno, 1000.0);
    store.bots.create(&a, CAPS).await.unwrap();
    store.bots.create(&b, CAPS).await.unwrap();
    let stale_a = store.bots.find("u1", &a.id).await.unwrap().unwrap();
    let stale_b = store.bots.find("u1", &b.id).await.unwrap().unwrap();

    let paused = store
        .bots
        .pause_all_active("u1", "Emergency stop", Utc::now())
        .await
        .unwrap();
    assert_eq!(paused.len(), 2);
    assert!(paused.iter().all(|p| p.version == stale_a.version + 1));
    let mut revived = stale_a.clone();
    revived.current_capital = 900.0;
    assert!(
        !store.bots.save(&revived).await.unwrap(),
        "a save from before the emergency stop would set the bot active again"
    );
    let stored = store.bots.find("u1", &a.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.current_capital),
        (BotStatus::Paused, 1000.0)
    );

    let mut stopped = store.bots.find("u1", &b.id).await.unwrap().unwrap();
    stopped.status = BotStatus::Stopped;
    assert!(store
        .bots
        .transition_status(&stopped, &[BotStatus::Paused])
        .await
        .unwrap()
        .is_some());
    let mut older = stale_b.clone();
    older.name = "renamed".into();
    assert!(!store.bots.save(&older).await.unwrap());
    let stored = store.bots.find("u1", &b.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.name.as_str(), stored.version),
        (BotStatus::Stopped, "moved", stale_b.version + 2)
    );
}

on_both_engines!(
    status_writes_make_older_reads_stale,
    a_stale_save_is_refused_and_update_bot_reapplies_the_change,
    transfers_move_capital_and_peaks_and_respect_the_floor,
    create_find_list_and_isolation,
    names_are_unique_per_user_case_insensitively_until_deleted,
    caps_hold_under_concurrent_creates,
    batches_are_all_or_nothing,
    summary_and_totals_are_aggregated,
    save_round_trips_every_field,
);
