//! Storage contract for per-user settings (modes, emergency stop) and alerts on both engines.

mod common;

use amarktai::domain::settings::{Alert, SystemMode};
use amarktai::store::Store;
use chrono::{Duration, Utc};
use common::{Engine, TestConfig};

async fn open(engine: &Engine) -> (Store, TestConfig) {
    let config = TestConfig::new(engine);
    let store = amarktai::store::connect(&config.config())
        .await
        .expect("store opens");
    (store, config)
}

fn now() -> chrono::DateTime<Utc> {
    chrono::DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap()
}

async fn modes_default_then_persist_per_user(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let fresh = store.settings.get("u1", now()).await.unwrap();
    assert!(
        fresh.paper_trading && !fresh.live_trading && !fresh.autopilot && !fresh.emergency_stop
    );
    let s = store
        .settings
        .set_mode("u1", SystemMode::Autopilot, true, now())
        .await
        .unwrap();
    assert!(
        s.autopilot && s.paper_trading,
        "other modes keep their defaults"
    );
    store
        .settings
        .set_mode("u1", SystemMode::PaperTrading, false, now())
        .await
        .unwrap();
    let back = store.settings.get("u1", now()).await.unwrap();
    assert!(back.autopilot && !back.paper_trading);
    assert!(
        !store.settings.get("u2", now()).await.unwrap().autopilot,
        "isolated per user"
    );
    assert_eq!(
        store
            .settings
            .users_with_mode(SystemMode::Autopilot)
            .await
            .unwrap(),
        vec!["u1".to_string()]
    );
}

async fn emergency_stop_on_and_off(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let at = now();
    let on = store
        .settings
        .set_emergency_stop("u1", true, Some("market crash"), at)
        .await
        .unwrap();
    assert!(on.emergency_stop);
    assert_eq!(on.emergency_reason.as_deref(), Some("market crash"));
    assert_eq!(on.emergency_at, Some(at));
    let off = store
        .settings
        .set_emergency_stop("u1", false, None, at)
        .await
        .unwrap();
    assert!(!off.emergency_stop && off.emergency_reason.is_none() && off.emergency_at.is_none());
    assert_eq!(store.settings.delete_for_user("u1").await.unwrap(), 1);
}

async fn alerts_list_newest_first_ack_and_clear(engine: Engine) {
    let (store, _cfg) = open(&engine).await;
    let t0 = now();
    for i in 0..3 {
        let a = Alert::new(
            "u1",
            Some("b1"),
            "bodyguard",
            "warning",
            &format!("alert {i}"),
            t0 + Duration::seconds(i * 10),
        );
        store.alerts.insert(&a).await.unwrap();
    }
    store
        .alerts
        .insert(&Alert::new("u2", None, "system", "info", "other user", t0))
        .await
        .unwrap();
    let list = store.alerts.list("u1", 10, true).await.unwrap();
    assert_eq!(
        list.iter().map(|a| a.message.as_str()).collect::<Vec<_>>(),
        vec!["alert 2", "alert 1", "alert 0"]
    );
    assert!(store.alerts.acknowledge("u1", &list[0].id).await.unwrap());
    assert!(
        !store.alerts.acknowledge("u2", &list[1].id).await.unwrap(),
        "cannot ack another user's alert"
    );
    assert_eq!(store.alerts.list("u1", 10, false).await.unwrap().len(), 2);
    let (count, bytes) = store.alerts.usage_for_user("u1").await.unwrap();
    assert_eq!(count, 3);
    assert!(bytes > 0);
    assert_eq!(store.alerts.clear("u1").await.unwrap(), 3);
    assert_eq!(store.alerts.clear("u1").await.unwrap(), 0);
    assert_eq!(store.alerts.list("u2", 10, true).await.unwrap().len(), 1);
}

on_both_engines!(
    modes_default_then_persist_per_user,
    emergency_stop_on_and_off,
    alerts_list_newest_first_ack_and_clear
);
