//! `amarktai backtest`: runs a strategy over a candle file or a stored dataset and prints the
//! metrics (or JSON); no server needed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::config::Config;
use crate::domain::backtest::{self, BacktestOutcome, BacktestSpec, Metrics};
use crate::domain::candles::{parse_time_ms, Candle, Timeframe};
use crate::domain::fees::default_fees;
use crate::domain::strategy::risk::RiskParams;
use crate::domain::strategy::trader::{ClosedTrade, Costs};
use crate::domain::strategy::{validate, StrategySpec};
use crate::market::import::{self, Format};

/// Fee of a backtest on a file (no exchange to take it from): a common taker rate.
pub const FILE_FEE_BPS: f64 = 10.0;

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// A candle file (JSON `[[open_time_ms, o, h, l, c, v], ...]` or CSV with a header), instead
    /// of a stored dataset.
    #[arg(long, conflicts_with_all = ["exchange", "pair"])]
    data: Option<PathBuf>,
    /// Stored dataset: exchange (with --pair and --timeframe).
    #[arg(long, requires = "pair")]
    exchange: Option<String>,
    /// Stored dataset: `BASE/QUOTE`.
    #[arg(long, requires = "exchange")]
    pair: Option<String>,
    /// 1m 5m 15m 30m 1h 4h 1d (the file's candle length with --data).
    #[arg(long)]
    timeframe: String,
    /// sma_cross, ema_cross, rsi_reversion, bollinger_reversion, macd_cross, breakout,
    /// momentum_24h.
    #[arg(long)]
    strategy: String,
    /// A strategy parameter, `name=value`; repeat for more (others take their defaults).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// First candle (epoch ms, epoch s or ISO 8601); default: the first stored.
    #[arg(long)]
    start: Option<String>,
    /// Last candle (same forms); default: the last stored.
    #[arg(long)]
    end: Option<String>,
    #[arg(long, default_value_t = 10_000.0)]
    initial_capital: f64,
    /// Fee per leg in bps of notional; default: the exchange's taker fee (10 for a file).
    #[arg(long)]
    fee_bps: Option<f64>,
    /// Slippage per fill in bps, against the trader.
    #[arg(long, default_value_t = 0.0)]
    slippage_bps: f64,
    #[arg(long, default_value_t = 100.0)]
    position_size_pct: f64,
    #[arg(long, default_value_t = 0.0)]
    stop_loss_pct: f64,
    #[arg(long, default_value_t = 0.0)]
    take_profit_pct: f64,
    #[arg(long, default_value_t = 0.0)]
    trailing_stop_pct: f64,
    #[arg(long, default_value_t = 0)]
    cooldown_candles: u32,
    /// Sweep a parameter instead of one run: `name=v1,v2,...`; repeat for more parameters
    /// (every combination is tried, at most 10,000).
    #[arg(long = "grid", value_name = "NAME=V1,V2,..")]
    grid: Vec<String>,
    /// What a sweep ranks by: sharpe, sortino, calmar, total_return_pct, cagr_pct,
    /// profit_factor, expectancy, win_rate_pct, max_drawdown_pct.
    #[arg(long, default_value = "sharpe")]
    objective: String,
    /// Walk-forward for a sweep: `FOLDS:TRAIN_PCT`, e.g. `4:75`.
    #[arg(long, value_name = "FOLDS:TRAIN_PCT")]
    walk_forward: Option<String>,
    /// Print the metrics and trades as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write the trades as CSV to this path.
    #[arg(long)]
    trades_csv: Option<PathBuf>,
}

/// What `--json` prints.
#[derive(Serialize)]
struct JsonReport<'a> {
    candles: usize,
    strategy: &'a StrategySpec,
    fee_bps: f64,
    slippage_bps: f64,
    metrics: &'a Metrics,
    trades: &'a [ClosedTrade],
}

pub async fn run(config: &Config, args: BacktestArgs) -> anyhow::Result<()> {
    let timeframe = Timeframe::parse(&args.timeframe)
        .ok_or_else(|| anyhow::anyhow!("--timeframe must be one of {}", Timeframe::ALLOWED))?;
    let spec = StrategySpec {
        name: args.strategy.clone(),
        params: parse_params(&args.params)?,
    };
    let strategy = validate(&spec).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.field.replace("strategy.params.", "--param "),
                    e.message
                )
            })
            .collect();
        anyhow::anyhow!("invalid strategy:\n  {}", lines.join("\n  "))
    })?;
    let risk = RiskParams {
        stop_loss_pct: args.stop_loss_pct,
        take_profit_pct: args.take_profit_pct,
        trailing_stop_pct: args.trailing_stop_pct,
        position_size_pct: args.position_size_pct,
        cooldown_candles: args.cooldown_candles,
    };
    risk.check().map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("--{}: {}", e.field.replace('_', "-"), e.message))
            .collect();
        anyhow::anyhow!("invalid risk settings:\n  {}", lines.join("\n  "))
    })?;
    if !(args.initial_capital.is_finite() && args.initial_capital > 0.0) {
        anyhow::bail!("--initial-capital must be a positive number");
    }
    let start = time_arg("--start", args.start.as_deref())?;
    let end = time_arg("--end", args.end.as_deref())?;
    let (candles, exchange_fee) = match (&args.data, &args.exchange, &args.pair) {
        (Some(file), _, _) => (file_candles(file, timeframe)?, FILE_FEE_BPS),
        (None, Some(exchange), Some(pair)) => {
            let series = super::data::series_args(exchange, pair, &args.timeframe)?;
            let store = crate::store::connect(config).await?;
            let loaded =
                crate::app::backtests::load_candles(store.candles.as_ref(), &series, start, end)
                    .await;
            store.admin.close().await;
            let fee =
                default_fees(series.exchange.as_str()).map_or(FILE_FEE_BPS, |f| f.taker_fee_bps);
            (loaded.map_err(|e| anyhow::anyhow!("{}", e.message))?, fee)
        }
        _ => anyhow::bail!("give --data FILE, or --exchange and --pair of a stored dataset"),
    };
    let candles: Vec<Candle> = candles
        .into_iter()
        .filter(|c| start.is_none_or(|s| c.open_time >= s) && end.is_none_or(|e| c.open_time <= e))
        .collect();
    if candles.is_empty() {
        anyhow::bail!("no candles in the chosen range");
    }
    let fee_bps = args.fee_bps.unwrap_or(exchange_fee);
    let costs = Costs {
        fee_bps,
        slippage_bps: args.slippage_bps,
    };
    let bps_ok = |v: f64| v.is_finite() && (0.0..=1_000.0).contains(&v);
    if !(bps_ok(fee_bps) && bps_ok(args.slippage_bps)) {
        anyhow::bail!("--fee-bps and --slippage-bps must be between 0 and 1000");
    }
    let spec_run = BacktestSpec {
        strategy,
        timeframe,
        risk,
        costs,
        initial_capital: args.initial_capital,
    };
    if !args.grid.is_empty() {
        return sweep(&args, &spec, &spec_run, &candles);
    }
    let started = std::time::Instant::now();
    let outcome = backtest::run(&spec_run, &candles, |_| true)
        .map_err(|_| anyhow::anyhow!("the backtest was cancelled"))?;
    let elapsed = started.elapsed();
    if let Some(path) = &args.trades_csv {
        std::fs::write(path, trades_csv(&outcome.trades))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = JsonReport {
            candles: candles.len(),
            strategy: &spec_run.strategy.to_spec(),
            fee_bps,
            slippage_bps: args.slippage_bps,
            metrics: &outcome.metrics,
            trades: &outcome.trades,
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(
            out,
            "{}",
            table(&spec_run, &candles, &outcome, fee_bps, elapsed)
        )?;
    }
    Ok(())
}

/// `--grid` given: runs the sweep on every core and prints the ranking (or JSON).
fn sweep(
    args: &BacktestArgs,
    strategy: &StrategySpec,
    spec: &BacktestSpec,
    candles: &[Candle],
) -> anyhow::Result<()> {
    use crate::domain::sweep::{self, SweepSpec, WalkForward};
    let mut grid = BTreeMap::new();
    for raw in &args.grid {
        let (name, values) = raw
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--grid must look like name=v1,v2 (got {raw:?})"))?;
        let values: Result<Vec<f64>, _> =
            values.split(',').map(|v| v.trim().parse::<f64>()).collect();
        let values =
            values.map_err(|_| anyhow::anyhow!("--grid {name}: values must be numbers"))?;
        grid.insert(name.trim().to_string(), values);
    }
    let walk_forward = match &args.walk_forward {
        None => None,
        Some(raw) => {
            let (folds, pct) = raw
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("--walk-forward must look like 4:75"))?;
            Some(WalkForward {
                folds: folds.trim().parse()?,
                train_pct: pct.trim().parse()?,
            })
        }
    };
    let spec_sweep = SweepSpec {
        grid,
        objective: args.objective.clone(),
        walk_forward,
    };
    let (combos, skipped) = sweep::combinations(strategy, &spec_sweep).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        anyhow::anyhow!("invalid sweep:\n  {}", lines.join("\n  "))
    })?;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let started = std::time::Instant::now();
    let result = sweep::run(
        spec,
        &combos,
        skipped,
        &spec_sweep,
        candles,
        threads,
        &|_| true,
    )
    .map_err(|_| anyhow::anyhow!("the sweep was cancelled"))?;
    let elapsed = started.elapsed();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &result)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "sweep of {} on {} candles: {} combinations ({} skipped) on {} threads in {:.2} s, ranked by {}",
        spec.strategy.name,
        candles.len(),
        result.combinations,
        result.skipped,
        result.threads,
        elapsed.as_secs_f64(),
        result.objective
    )?;
    for (i, r) in result.ranking.iter().take(10).enumerate() {
        let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(
            out,
            "  #{:<3} {:<28} score {:>10}  return {:>8.2}%  trades {}",
            i + 1,
            params.join(" "),
            opt(r.score),
            r.total_return_pct,
            r.trades
        )?;
    }
    for (i, f) in result.folds.iter().enumerate() {
        let params: Vec<String> = f
            .best_params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        writeln!(
            out,
            "  fold {}: trained {} .. {}, best {} (score {}); tested {} .. {}: return {:.2}%, sharpe {}",
            i + 1,
            when(f.train_start),
            when(f.train_end),
            params.join(" "),
            opt(f.train_score),
            when(f.test_start),
            when(f.test_end),
            f.test_metrics.total_return_pct,
            opt(f.test_metrics.sharpe)
        )?;
    }
    Ok(())
}

fn parse_params(raw: &[String]) -> anyhow::Result<BTreeMap<String, serde_json::Value>> {
    raw.iter()
        .map(|p| {
            let (name, value) = p
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--param must look like name=value (got {p:?})"))?;
            let number: f64 = value
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("--param {name}: {value:?} is not a number"))?;
            Ok((name.trim().to_string(), serde_json::json!(number)))
        })
        .collect()
}

fn time_arg(flag: &str, raw: Option<&str>) -> anyhow::Result<Option<i64>> {
    raw.map(|r| {
        parse_time_ms(r).ok_or_else(|| {
            anyhow::anyhow!("{flag} must be epoch ms, epoch s or ISO 8601 (got {r:?})")
        })
    })
    .transpose()
}

fn file_candles(file: &PathBuf, timeframe: Timeframe) -> anyhow::Result<Vec<Candle>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let parsed = import::parse(&text, Format::detect(file, &text), timeframe)?;
    if let Some(first) = parsed.bad.first() {
        anyhow::bail!(
            "{} bad rows in {} (first: {first})",
            parsed.bad.len(),
            file.display()
        );
    }
    Ok(parsed.candles)
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"))
}

/// The metrics as an aligned two-column table, with what was run on top.
fn table(
    spec: &BacktestSpec,
    candles: &[Candle],
    outcome: &BacktestOutcome,
    fee_bps: f64,
    elapsed: std::time::Duration,
) -> String {
    let m = &outcome.metrics;
    let params: Vec<String> = spec
        .strategy
        .params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let (first, last) = (
        candles.first().map_or(0, |c| c.open_time),
        candles.last().map_or(0, |c| c.open_time),
    );
    let rows: Vec<(&str, String)> = vec![
        ("final_equity", format!("{:.2}", m.final_equity)),
        ("total_return_pct", format!("{:.2}", m.total_return_pct)),
        (
            "buy_and_hold_return_pct",
            format!("{:.2}", m.buy_and_hold_return_pct),
        ),
        ("cagr_pct", format!("{:.2}", m.cagr_pct)),
        ("max_drawdown_pct", format!("{:.2}", m.max_drawdown_pct)),
        ("sharpe", opt(m.sharpe)),
        ("sortino", opt(m.sortino)),
        ("calmar", opt(m.calmar)),
        ("trades", m.trades.to_string()),
        ("win_rate_pct", format!("{:.2}", m.win_rate_pct)),
        ("profit_factor", opt(m.profit_factor)),
        ("expectancy", format!("{:.2}", m.expectancy)),
        ("exposure_pct", format!("{:.2}", m.exposure_pct)),
        (
            "avg_trade_duration_s",
            format!("{:.0}", m.avg_trade_duration_s),
        ),
        ("fees_paid", format!("{:.2}", m.fees_paid)),
    ];
    let mut out = format!(
        "{} {} on {} candles ({} .. {}), capital {}, fee {} bps, slippage {} bps, {:.1} ms\n",
        spec.strategy.name,
        params.join(" "),
        candles.len(),
        when(first),
        when(last),
        spec.initial_capital,
        fee_bps,
        spec.costs.slippage_bps,
        elapsed.as_secs_f64() * 1000.0
    );
    for (name, value) in rows {
        out.push_str(&format!("  {name:<24} {value:>16}\n"));
    }
    out
}

/// The trades as CSV with a header (times as epoch ms, as in candle files).
pub fn trades_csv(trades: &[ClosedTrade]) -> String {
    let mut out = String::from(
        "entry_time,exit_time,entry_price,exit_price,size,pnl,pnl_pct,fees,exit_reason\n",
    );
    for t in trades {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            t.entry_time,
            t.exit_time,
            t.entry_price,
            t.exit_price,
            t.size,
            t.pnl,
            t.pnl_pct,
            t.fees,
            t.exit_reason.as_str()
        ));
    }
    out
}
