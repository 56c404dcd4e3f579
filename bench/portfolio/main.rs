//! Portfolio read benchmark: seeds 1k / 100k / 1M trades for one user into a temporary SQLite
//! store (and MongoDB when `MONGODB_URL` is set) through the store API, then times the
//! queries behind `/api/portfolio/summary` and `/api/profits` (plus a windowed win rate and
//! the first `/api/trades` page). Prints p50/p99 per query.
//!
//! Run: `cargo bench --bench portfolio` or `cargo bench --bench portfolio -- 1000 100000`
//! (sizes as arguments; `--iterations N` per query; `--mongodb-only` skips SQLite). Not part
//! of `cargo test`.

#[path = "seed_trades.rs"]
mod seed_trades;

use std::time::{Duration, Instant};

use amarktai::domain::analytics::{portfolio_summary, BotCapital};
use amarktai::domain::periods::{fill_empty_periods, window_start, Period, StatsPeriod};
use amarktai::domain::trade::TradeQuery;
use amarktai::store::Store;
use chrono::{DateTime, Utc};
use seed_trades::{seed_trades, SPREAD_DAYS};

struct Args {
    sizes: Vec<usize>,
    iterations: usize,
    /// Skip the SQLite runs (MongoDB figures only).
    mongodb_only: bool,
}

fn args() -> Args {
    let mut sizes = Vec::new();
    let mut iterations = 100;
    let mut mongodb_only = false;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        if arg == "--iterations" {
            iterations = it.next().and_then(|n| n.parse().ok()).unwrap_or(iterations);
        } else if arg == "--mongodb-only" {
            mongodb_only = true;
        } else if let Ok(n) = arg.replace('_', "").parse::<usize>() {
            sizes.push(n);
        } // `--bench` and other harness flags are ignored
    }
    if sizes.is_empty() {
        sizes = vec![1_000, 100_000, 1_000_000];
    }
    Args {
        sizes,
        iterations,
        mongodb_only,
    }
}

async fn seed(store: &Store, user_id: &str, n: usize, now: DateTime<Utc>) -> Duration {
    let started = Instant::now();
    seed_trades(store, user_id, "bench-bot", n, now)
        .await
        .expect("seed");
    started.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx].as_secs_f64() * 1000.0
}

/// Times `f` `iterations` times; prints p50/p99 in milliseconds.
async fn time<F, Fut>(label: &str, iterations: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await; // warm-up
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        f().await;
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "  {label:<28} p50 {:>9.3} ms   p99 {:>9.3} ms",
        percentile(&samples, 0.50),
        percentile(&samples, 0.99)
    );
}

async fn run(engine: &str, store: Store, n: usize, iterations: usize) {
    let user = format!("bench-user-{n}");
    let now = Utc::now();
    let seeded = seed(&store, &user, n, now).await;
    println!(
        "{engine}, {n} trades (one user, {SPREAD_DAYS} days): seeded in {:.1} s",
        seeded.as_secs_f64()
    );
    let s = &store;
    let u = user.as_str();
    time("summary", iterations, || async move {
        let bots = s.bots.list(u, None).await.expect("bots");
        let totals = s.trade_stats.totals(u, None).await.expect("totals");
        let days = s.trade_stats.daily_results(u, None).await.expect("days");
        std::hint::black_box(portfolio_summary(
            BotCapital::of(&bots),
            &totals,
            &days,
            now,
        ));
    })
    .await;
    for (label, period, limit) in [
        ("profits daily x30", Period::Daily, 30),
        ("profits monthly x12", Period::Monthly, 12),
    ] {
        time(label, iterations, || async move {
            let since = window_start(period, limit, now);
            let days = s
                .trade_stats
                .daily_results(u, Some(since))
                .await
                .expect("days");
            std::hint::black_box(fill_empty_periods(&days, period, limit, now));
        })
        .await;
    }
    time("win_rate 30d", iterations, || async move {
        let totals = s
            .trade_stats
            .totals(u, StatsPeriod::Month.since(now))
            .await
            .expect("totals");
        std::hint::black_box(totals);
    })
    .await;
    time("trades page (50)", iterations, || async move {
        let q = TradeQuery {
            limit: 51,
            ..TradeQuery::default()
        };
        std::hint::black_box(s.trades.page(u, &q).await.expect("page"));
    })
    .await;
    store.admin.close().await;
}

#[tokio::main]
async fn main() {
    let args = args();
    let timeout = Duration::from_secs(30);
    for &n in args.sizes.iter().filter(|_| !args.mongodb_only) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = amarktai::store::sqlite::open(
            dir.path(),
            timeout,
            true,
            std::time::Duration::from_secs(1),
        )
        .await
        .expect("sqlite");
        run("sqlite", store, n, args.iterations).await;
    }
    let Ok(url) = std::env::var("MONGODB_URL") else {
        println!("MONGODB_URL not set: MongoDB skipped");
        return;
    };
    for &n in &args.sizes {
        let db = format!("amarktai_bench_{}", uuid::Uuid::new_v4().simple());
        let store = amarktai::store::mongo::open(&url, &db, timeout, true)
            .await
            .expect("mongodb");
        run("mongodb", store, n, args.iterations).await;
        if let Ok(client) = mongodb::Client::with_uri_str(&url).await {
            let _ = client.database(&db).drop().await;
        }
    }
}
