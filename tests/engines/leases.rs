//! Engine leases: one instance runs each engine; take-over after expiry or release.

use amarktai::engine::{self, bodyguard, daily_reset, TickOutcome};
use chrono::Duration;

use crate::common::Engine;
use crate::on_both_engines;
use crate::support::*;

/// Two server instances on one database: only the lease holder ticks; the other takes over
/// once the lease expires or is released.
async fn lease_lets_one_instance_run_an_engine(engine: Engine) {
    let (app, clock) = spawn_at(&engine, midday(), &[]).await;
    let other = second_instance(&app, &clock).await;
    let guard = bodyguard::Bodyguard;
    assert_eq!(engine::run_once(&app.state, &guard).await, TickOutcome::Ok);
    assert_eq!(engine::run_once(&other, &guard).await, TickOutcome::Standby);
    // The holder renews its lease each interval and keeps it.
    clock.advance(Duration::seconds(300));
    assert_eq!(engine::run_once(&app.state, &guard).await, TickOutcome::Ok);
    clock.advance(Duration::seconds(300));
    assert_eq!(engine::run_once(&other, &guard).await, TickOutcome::Standby);
    // Engines hold separate leases.
    assert_eq!(
        engine::run_once(&other, &daily_reset::DailyReset).await,
        TickOutcome::Ok
    );
    // The holder dies: after the lease's TTL (2 x 300 s + 30 s) the other instance takes over.
    clock.advance(Duration::seconds(631));
    assert_eq!(engine::run_once(&other, &guard).await, TickOutcome::Ok);
    assert_eq!(
        engine::run_once(&app.state, &guard).await,
        TickOutcome::Standby
    );
    let preflight = body(app.get("/api/health/preflight").await).await;
    assert_eq!(
        preflight["engines"]["ai_bodyguard"]["last_outcome"],
        "standby"
    );
    // A released lease is free at once.
    let holder = other.engines.instance_id().to_string();
    other
        .store
        .leases
        .release("ai_bodyguard", &holder)
        .await
        .unwrap();
    assert_eq!(engine::run_once(&app.state, &guard).await, TickOutcome::Ok);
    app.stop().await;
}

/// Many contenders at the same instant: exactly one gets the lease.
async fn lease_has_one_winner_under_contention(engine: Engine) {
    let (app, clock) = spawn_at(&engine, midday(), &[]).await;
    let other = second_instance(&app, &clock).await;
    let now = clock.now();
    let until = now + Duration::minutes(5);
    let mut attempts = Vec::new();
    for i in 0..8 {
        let store = if i % 2 == 0 {
            app.state.store.clone()
        } else {
            other.store.clone()
        };
        attempts.push(tokio::spawn(async move {
            store
                .leases
                .try_acquire("contended", &format!("holder-{i}"), now, until)
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for attempt in attempts {
        if attempt.await.unwrap() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    let (holder, expires) = app
        .state
        .store
        .leases
        .current("contended")
        .await
        .unwrap()
        .unwrap();
    assert!(holder.starts_with("holder-"));
    assert_eq!(expires.timestamp_millis(), until.timestamp_millis());
    app.stop().await;
}

on_both_engines!(
    lease_lets_one_instance_run_an_engine,
    lease_has_one_winner_under_contention,
);
