//! Market data (SPEC §15) on both engines: the candle store, `amarktai data import|list` run as
//! the real binary, and `GET /api/market/candles|datasets`.

mod common;

use std::process::{Command, Output};

use amarktai::domain::bot_enums::Exchange;
use amarktai::domain::candles::{Candle, Pair, Series, Timeframe};
use common::{Engine, TestApp};
use serde_json::{json, Value};

const M: i64 = 60_000;
const H: i64 = 3_600_000;
/// 2024-01-01T00:00:00Z
const T0: i64 = 1_704_067_200_000;

fn candle(open_time: i64, close: f64) -> Candle {
    Candle {
        open_time,
        open: 100.0,
        high: close.max(100.0) + 1.0,
        low: close.min(100.0) - 1.0,
        close,
        volume: 2.5,
    }
}

fn series(timeframe: Timeframe) -> Series {
    Series::new(Exchange::Luno, Pair::parse("BTC/ZAR").unwrap(), timeframe)
}

/// Runs the real binary against the app's database (same env as the test server).
fn cli(app: &TestApp, args: &[&str]) -> (Output, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_amarktai"))
        .current_dir(app.config.dir.path())
        .env_remove("MONGODB_URL")
        .envs(&app.config.vars)
        .env("LOG_LEVEL", "warn")
        .args(args)
        .output()
        .expect("run amarktai");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (out, stdout, stderr)
}

fn write(app: &TestApp, name: &str, text: &str) -> String {
    let path = app.config.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn import_args<'a>(timeframe: &'a str, file: &'a str) -> Vec<&'a str> {
    vec![
        "data",
        "import",
        "--exchange",
        "luno",
        "--pair",
        "btc/zar",
        "--timeframe",
        timeframe,
        file,
    ]
}

async fn get_json(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let response = app.get_auth(path, token).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn cli_imports_json_and_csv_idempotently(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("md-import@example.com").await;
    // JSON: unsorted, a duplicate, numeric strings.
    let json_file = write(
        &app,
        "btc.json",
        &format!(
            "[[{t2}, 100, 103, 99, 102, 1.5],\n [{t0}, \"100\", \"102\", \"99\", \"101\", \"2\"],\n [{t1}, 101, 104, 100, 103, 3],\n [{t0}, 100, 102, 99, 101, 2]]",
            t0 = T0,
            t1 = T0 + M,
            t2 = T0 + 2 * M
        ),
    );
    let (out, stdout, stderr) = cli(&app, &import_args("1m", &json_file));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("3 imported"), "{stdout}");
    assert!(stdout.contains("1 duplicate rows"), "{stdout}");
    // Re-importing the same file changes nothing.
    let (out, stdout, _) = cli(&app, &import_args("1m", &json_file));
    assert!(out.status.success());
    assert!(stdout.contains("0 imported, 3 already stored"), "{stdout}");

    // CSV: header, ISO dates, epoch seconds and ms mixed.
    let csv_file = write(
        &app,
        "btc.csv",
        "date,open,high,low,close,volume\n2024-01-01T00:00:00Z,100,110,95,105,7\n1704070800,105,106,100,101,8\n1704074400000,101,101,90,92,9\n",
    );
    let (out, stdout, stderr) = cli(&app, &import_args("1h", &csv_file));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("3 imported"), "{stdout}");

    let (status, body) = get_json(
        &app,
        "/api/market/candles?exchange=luno&pair=BTC/ZAR&timeframe=1m",
        &token,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["exchange"], "luno");
    assert_eq!(body["pair"], "BTC/ZAR");
    assert_eq!(body["timeframe"], "1m");
    assert_eq!(
        body["candles"],
        json!([
            [T0, 100.0, 102.0, 99.0, 101.0, 2.0],
            [T0 + M, 101.0, 104.0, 100.0, 103.0, 3.0],
            [T0 + 2 * M, 100.0, 103.0, 99.0, 102.0, 1.5]
        ])
    );
    let (_, body) = get_json(
        &app,
        "/api/market/candles?exchange=LUNO&pair=btc-zar&timeframe=1H",
        &token,
    )
    .await;
    let closes: Vec<f64> = body["candles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[4].as_f64().unwrap())
        .collect();
    assert_eq!(closes, vec![105.0, 101.0, 92.0]);

    let (out, stdout, _) = cli(&app, &["data", "list"]);
    assert!(out.status.success());
    assert!(stdout.contains("EXCHANGE"), "{stdout}");
    assert!(
        stdout.contains("luno     BTC/ZAR    1h        2024-01-01T00:00:00Z"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    app.stop().await;
}

async fn bad_rows_block_the_import_unless_skipped(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("md-bad@example.com").await;
    let file = write(
        &app,
        "bad.csv",
        &format!(
            "timestamp,open,high,low,close,volume\n{t0},1,2,0.5,1.5,1\n{t1},1,0.9,0.5,1.5,1\n{t2},1,2,0.5,1.5,1\nnot-a-time,1,2,0.5,1.5,1\n{t3},1,2,0.5,1.5,-4\n{unaligned},1,2,0.5,1.5,1\n",
            t0 = T0,
            t1 = T0 + M,
            t2 = T0 + 2 * M,
            t3 = T0 + 3 * M,
            unaligned = T0 + 4 * M + 1
        ),
    );
    let (out, stdout, stderr) = cli(&app, &import_args("1m", &file));
    assert!(!out.status.success(), "{stdout}");
    for expected in [
        "line 3: high",
        "line 5: bad time",
        "line 6: volume is negative",
        "line 7: open time",
        "nothing imported",
    ] {
        assert!(
            stderr.contains(expected),
            "{expected:?} missing in:\n{stderr}"
        );
    }
    let (_, body) = get_json(&app, "/api/market/datasets", &token).await;
    assert_eq!(body, json!([]), "all or nothing");

    let mut args = import_args("1m", &file);
    args.insert(2, "--skip-bad");
    let (out, stdout, stderr) = cli(&app, &args);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("2 imported"), "{stdout}");
    assert!(stdout.contains("4 bad rows skipped"), "{stdout}");
    assert!(stderr.contains("skipped line 3"), "{stderr}");

    // A file that is not a candle file at all is refused as a whole.
    let junk = write(&app, "junk.json", "{\"not\": \"rows\"}");
    let (out, _, stderr) = cli(&app, &import_args("1m", &junk));
    assert!(!out.status.success());
    assert!(stderr.contains("array"), "{stderr}");
    let (out, _, stderr) = cli(
        &app,
        &[
            "data",
            "import",
            "--exchange",
            "ftx",
            "--pair",
            "BTC/ZAR",
            "--timeframe",
            "1m",
            &file,
        ],
    );
    assert!(!out.status.success());
    assert!(stderr.contains("--exchange"), "{stderr}");
    app.stop().await;
}

async fn store_upserts_are_idempotent_and_batched(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let repo = app.state.store.candles.clone();
    let s = series(Timeframe::M1);
    // More rows than one SQLite statement holds (32766 / 9 parameters).
    let many: Vec<Candle> = (0..5_000).map(|i| candle(T0 + i * M, 100.0)).collect();
    assert_eq!(repo.upsert_many(&s, &many).await.unwrap(), 5_000);
    assert_eq!(repo.upsert_many(&s, &many).await.unwrap(), 0);
    let more: Vec<Candle> = (4_990..5_010).map(|i| candle(T0 + i * M, 50.0)).collect();
    assert_eq!(repo.upsert_many(&s, &more).await.unwrap(), 10);
    let first = repo.range(&s, Some(T0), None, 1).await.unwrap();
    assert_eq!(first[0].close, 100.0);
    let changed = repo
        .range(&s, Some(T0 + 4_999 * M), Some(T0 + 4_999 * M), 5)
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].close, 100.0, "a stored candle is left unchanged");
    assert_eq!(repo.last_open_time(&s).await.unwrap(), Some(T0 + 5_009 * M));
    assert_eq!(
        repo.last_open_time(&series(Timeframe::H1)).await.unwrap(),
        None
    );
    let datasets = repo.datasets().await.unwrap();
    assert_eq!(datasets.len(), 1);
    assert_eq!(
        (datasets[0].first, datasets[0].last, datasets[0].count),
        (T0, T0 + 5_009 * M, 5_010)
    );
    app.stop().await;
}

async fn routes_serve_ranges_and_count_gaps(engine: Engine) {
    let app = TestApp::spawn_on(&engine).await;
    let token = app.token_for("md-routes@example.com").await;
    let repo = app.state.store.candles.clone();
    // Hours 0..10 with 3, 4 and 7 missing: two gaps.
    let hours: Vec<Candle> = [0, 1, 2, 5, 6, 8, 9]
        .iter()
        .map(|h| candle(T0 + h * H, 100.0 + *h as f64))
        .collect();
    repo.upsert_many(&series(Timeframe::H1), &hours)
        .await
        .unwrap();
    let minutes: Vec<Candle> = (0..3).map(|i| candle(T0 + i * M, 100.0)).collect();
    let binance = Series::new(
        Exchange::Binance,
        Pair::parse("BTC/USDT").unwrap(),
        Timeframe::M1,
    );
    repo.upsert_many(&binance, &minutes).await.unwrap();

    let (status, body) = get_json(&app, "/api/market/datasets", &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!([
            {"exchange": "binance", "pair": "BTC/USDT", "timeframe": "1m", "first": T0, "last": T0 + 2 * M, "count": 3, "gaps": 0},
            {"exchange": "luno", "pair": "BTC/ZAR", "timeframe": "1h", "first": T0, "last": T0 + 9 * H, "count": 7, "gaps": 2}
        ])
    );

    let base = "/api/market/candles?exchange=luno&pair=BTC/ZAR&timeframe=1h";
    let opens = |body: &Value| -> Vec<i64> {
        body["candles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[0].as_i64().unwrap())
            .collect()
    };
    // No since: the newest `limit`, oldest first.
    let (_, body) = get_json(&app, &format!("{base}&limit=2"), &token).await;
    assert_eq!(opens(&body), vec![T0 + 8 * H, T0 + 9 * H]);
    // since (RFC 3339) + limit: the first ones from there.
    let (_, body) = get_json(
        &app,
        &format!("{base}&since=2024-01-01T02:00:00Z&limit=2"),
        &token,
    )
    .await;
    assert_eq!(opens(&body), vec![T0 + 2 * H, T0 + 5 * H]);
    let (_, body) = get_json(
        &app,
        &format!("{base}&since={}&until={}", T0 + H, T0 + 6 * H),
        &token,
    )
    .await;
    assert_eq!(opens(&body).len(), 4);
    let (status, body) = get_json(&app, &format!("{base}&limit=999999"), &token).await;
    assert_eq!(status, 200, "limit is clamped");
    assert_eq!(opens(&body).len(), 7);

    let unauthenticated = app.get(base).await;
    assert_eq!(unauthenticated.status(), 401);

    for (query, field) in [
        ("exchange=ftx&pair=BTC/ZAR&timeframe=1h", "exchange"),
        ("pair=BTC/ZAR&timeframe=1h", "exchange"),
        ("exchange=luno&pair=BTCZAR&timeframe=1h", "pair"),
        ("exchange=luno&pair=BTC/ZAR&timeframe=2h", "timeframe"),
        (
            "exchange=luno&pair=BTC/ZAR&timeframe=1h&since=yesterday",
            "since",
        ),
        (
            "exchange=luno&pair=BTC/ZAR&timeframe=1h&since=1704070800000&until=1704067200000",
            "since",
        ),
        ("exchange=luno&pair=BTC/ZAR&timeframe=1h&limit=ten", "limit"),
    ] {
        let (status, body) = get_json(&app, &format!("/api/market/candles?{query}"), &token).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(
            body["error"]["fields"][0]["field"], field,
            "{query}: {body}"
        );
    }
    app.stop().await;
}

on_both_engines!(
    cli_imports_json_and_csv_idempotently,
    bad_rows_block_the_import_unless_skipped,
    store_upserts_are_idempotent_and_batched,
    routes_serve_ranges_and_count_gaps
);
