//! `amarktai data import|download|list`: candle files or an exchange's public candles into the
//! store, and the stored datasets.

use std::path::PathBuf;

use clap::Subcommand;

use crate::config::Config;
use crate::domain::bot_enums::Exchange;
use crate::domain::candles::{Pair, Series, Timeframe};
use crate::market::import::{self, Format, ImportError};

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Import candles from a JSON (`[[open_time_ms, o, h, l, c, v], ...]`) or CSV file
    /// (header `timestamp|date|open_time,open,high,low,close,volume`). Idempotent.
    Import {
        #[arg(long)]
        exchange: String,
        /// `BASE/QUOTE`, e.g. BTC/ZAR.
        #[arg(long)]
        pair: String,
        /// 1m 5m 15m 30m 1h 4h 1d.
        #[arg(long)]
        timeframe: String,
        /// Import the good rows even when some are bad (bad rows are listed either way).
        #[arg(long)]
        skip_bad: bool,
        file: PathBuf,
    },
    /// Download the last N days of closed candles from the exchange's public API. Resumable:
    /// only candles not stored yet are asked for.
    Download {
        #[arg(long)]
        exchange: String,
        #[arg(long)]
        pair: String,
        #[arg(long)]
        timeframe: String,
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// List the stored candle datasets (first/last open time, count, gaps).
    List,
}

/// Parses the `--exchange --pair --timeframe` triple, naming the flag at fault.
pub fn series_args(exchange: &str, pair: &str, timeframe: &str) -> anyhow::Result<Series> {
    let exchange = Exchange::parse(exchange).ok_or_else(|| {
        anyhow::anyhow!("--exchange must be one of luno, binance, kucoin, valr, ovex")
    })?;
    let pair = Pair::parse(pair)
        .ok_or_else(|| anyhow::anyhow!("--pair must look like BTC/ZAR (got {pair:?})"))?;
    let timeframe = Timeframe::parse(timeframe)
        .ok_or_else(|| anyhow::anyhow!("--timeframe must be one of {}", Timeframe::ALLOWED))?;
    Ok(Series::new(exchange, pair, timeframe))
}

pub async fn run(config: &Config, command: DataCommand) -> anyhow::Result<()> {
    match command {
        DataCommand::Import {
            exchange,
            pair,
            timeframe,
            skip_bad,
            file,
        } => {
            let series = series_args(&exchange, &pair, &timeframe)?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let format = Format::detect(&file, &text);
            let store = crate::store::connect(config).await?;
            let result =
                import::import(store.candles.as_ref(), &series, &text, format, skip_bad).await;
            store.admin.close().await;
            match result {
                Ok(report) => {
                    for bad in &report.skipped {
                        eprintln!("skipped {bad}");
                    }
                    println!(
                        "{series}: {} rows read, {} imported, {} already stored, {} duplicate rows, {} bad rows skipped",
                        report.rows,
                        report.inserted,
                        report.already_stored,
                        report.duplicates,
                        report.skipped.len()
                    );
                    Ok(())
                }
                Err(ImportError::BadRows(rows)) => {
                    for bad in &rows {
                        eprintln!("{bad}");
                    }
                    Err(ImportError::BadRows(rows).into())
                }
                Err(e) => Err(e.into()),
            }
        }
        DataCommand::Download {
            exchange,
            pair,
            timeframe,
            days,
        } => {
            let series = series_args(&exchange, &pair, &timeframe)?;
            crate::exchange::candles::supports(series.exchange, series.timeframe)?;
            download(config, &series, days).await
        }
        DataCommand::List => {
            let store = crate::store::connect(config).await?;
            let datasets = crate::market::datasets(store.candles.as_ref()).await;
            store.admin.close().await;
            print!("{}", table(&datasets?));
            Ok(())
        }
    }
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// The datasets as an aligned text table (a note when there are none).
pub fn table(datasets: &[crate::market::DatasetSummary]) -> String {
    if datasets.is_empty() {
        return "no candle datasets stored yet (amarktai data import|download)\n".into();
    }
    let mut out = format!(
        "{:<8} {:<10} {:<9} {:<20} {:<20} {:>9} {:>5}\n",
        "EXCHANGE", "PAIR", "TIMEFRAME", "FIRST", "LAST", "COUNT", "GAPS"
    );
    for d in datasets {
        out.push_str(&format!(
            "{:<8} {:<10} {:<9} {:<20} {:<20} {:>9} {:>5}\n",
            d.exchange,
            d.pair,
            d.timeframe,
            when(d.first),
            when(d.last),
            d.count,
            d.gaps
        ));
    }
    out
}

async fn download(config: &Config, series: &Series, days: u32) -> anyhow::Result<()> {
    use std::io::{IsTerminal, Write};
    let client = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .user_agent(concat!("amarktai/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let store = crate::store::connect(config).await?;
    let downloader =
        crate::market::download::Downloader::new(&client, &config.outbound, store.candles.as_ref());
    let terminal = std::io::stderr().is_terminal();
    let label = series.to_string();
    let mut progress = move |p: &crate::market::download::Progress| {
        if terminal {
            eprint!(
                "\r{label}: {:>3}% ({} new candles)",
                p.percent(),
                p.inserted
            );
            let _ = std::io::stderr().flush();
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    let result = downloader
        .download_days(series, days, now, &mut progress)
        .await;
    if terminal {
        eprintln!();
    }
    store.admin.close().await;
    let report = result?;
    println!(
        "{series}: {} requests ({} retried), {} candles received, {} new, {} invalid left out",
        report.requests, report.retries, report.fetched, report.inserted, report.invalid
    );
    Ok(())
}
