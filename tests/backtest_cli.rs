//! `amarktai backtest` as the real binary, with no server running: a candle file in, the metrics
//! table or JSON out, trades written as CSV, a sweep ranked, and clear errors for bad flags.

use std::process::Command;

/// 2024-01-01T00:00:00Z
const T0: i64 = 1_704_067_200_000;
const H: i64 = 3_600_000;

fn run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_amarktai"))
        .current_dir(dir)
        .env_remove("MONGODB_URL")
        .env("DATA_DIR", dir.join("data"))
        .env(
            "JWT_SECRET",
            "cli-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        )
        .env("LOG_LEVEL", "warn")
        .args(args)
        .output()
        .expect("run amarktai");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn write_file(dir: &std::path::Path) -> String {
    // SMA(2)/SMA(3) cross up on candle 6, down on candle 9 (see the strategy unit tests).
    let closes = [5.0, 5.0, 5.0, 4.0, 3.0, 4.0, 6.0, 8.0, 7.0, 5.0, 3.0, 3.0];
    let rows: Vec<String> = closes
        .iter()
        .enumerate()
        .map(|(i, c)| format!("[{}, {c}, {c}, {c}, {c}, 1]", T0 + i as i64 * H))
        .collect();
    let path = dir.join("candles.json");
    std::fs::write(&path, format!("[{}]", rows.join(","))).unwrap();
    path.display().to_string()
}

#[test]
fn backtests_a_file_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path());
    let csv = dir.path().join("trades.csv");
    let base = [
        "backtest",
        "--data",
        &file,
        "--timeframe",
        "1h",
        "--strategy",
        "sma_cross",
        "--param",
        "fast=2",
        "--param",
        "slow=3",
        "--fee-bps",
        "0",
        "--initial-capital",
        "1000",
    ];
    let mut args = base.to_vec();
    args.extend(["--json", "--trades-csv", csv.to_str().unwrap()]);
    let (ok, out, err) = run(dir.path(), &args);
    assert!(ok, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["candles"], 12);
    assert_eq!(report["metrics"]["final_equity"], 375.0);
    let trade = &report["trades"][0];
    assert_eq!(
        (trade["entry_time"].as_i64(), trade["exit_price"].as_f64()),
        (Some(T0 + 7 * H), Some(3.0))
    );
    let written = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(
        lines[0],
        "entry_time,exit_time,entry_price,exit_price,size,pnl,pnl_pct,fees,exit_reason"
    );
    assert_eq!(
        lines[1],
        format!("{},{},8,3,125,-625,-62.5,0,signal", T0 + 7 * H, T0 + 10 * H)
    );

    // The table names the run and its figures.
    let (ok, out, _) = run(dir.path(), &base);
    assert!(ok);
    assert!(
        out.starts_with("sma_cross fast=2 slow=3 on 12 candles"),
        "{out}"
    );
    assert!(
        out.contains("total_return_pct") && out.contains("-62.50"),
        "{out}"
    );

    // A sweep ranks the grid; the invalid combination (fast 5 >= slow 3) is skipped.
    let mut sweep = base.to_vec();
    sweep.extend([
        "--grid",
        "fast=2,5",
        "--grid",
        "slow=3,6",
        "--objective",
        "total_return_pct",
    ]);
    let (ok, out, err) = run(dir.path(), &sweep);
    assert!(ok, "{err}");
    assert!(out.contains("3 combinations (1 skipped)"), "{out}");
}

#[test]
fn bad_flags_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path());
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--strategy",
                "sma_cross",
                "--param",
                "fast=9",
                "--param",
                "slow=3",
            ],
            "--param slow: must be greater than fast",
        ),
        (&["--strategy", "moon"], "unknown strategy"),
        (
            &["--strategy", "sma_cross", "--param", "fast"],
            "--param must look like name=value",
        ),
        (
            &["--strategy", "sma_cross", "--stop-loss-pct", "150"],
            "--stop-loss-pct: must be between 0 and 99",
        ),
    ];
    for (extra, message) in cases {
        let mut args = vec!["backtest", "--data", &file, "--timeframe", "1h"];
        args.extend_from_slice(extra);
        let (ok, _, err) = run(dir.path(), &args);
        assert!(!ok, "{extra:?}");
        assert!(err.contains(message), "{extra:?}: {err}");
    }
    let (ok, _, err) = run(
        dir.path(),
        &[
            "backtest",
            "--data",
            "/nonexistent.json",
            "--timeframe",
            "1h",
            "--strategy",
            "sma_cross",
        ],
    );
    assert!(!ok);
    assert!(err.contains("cannot read /nonexistent.json"), "{err}");
}
