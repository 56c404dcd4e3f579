//! Candles from an exchange's public API into the store: paged, resumable (only what is not
//! stored yet is asked for), rate limits honoured (429 + Retry-After, bounded retries).

use std::time::Duration;

use reqwest::Client;

use crate::config::OutboundConfig;
use crate::domain::candles::{Candle, Series};
use crate::exchange::candles::{fetch_page, page_size, supports, CandleFetchError};
use crate::store::{CandleRepo, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error(transparent)]
    Fetch(#[from] CandleFetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a download did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DownloadReport {
    pub requests: u32,
    pub retries: u32,
    pub fetched: u64,
    pub inserted: u64,
    /// Candles the exchange sent that failed validation (left out).
    pub invalid: u64,
}

impl DownloadReport {
    fn add(&mut self, other: &DownloadReport) {
        self.requests += other.requests;
        self.retries += other.retries;
        self.fetched += other.fetched;
        self.inserted += other.inserted;
        self.invalid += other.invalid;
    }
}

/// Where a download stands, after each page.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub from: i64,
    pub to: i64,
    /// Open time up to which candles have been asked for.
    pub done_until: i64,
    pub inserted: u64,
}

impl Progress {
    pub fn percent(&self) -> u32 {
        let span = (self.to - self.from).max(1) as f64;
        (((self.done_until - self.from) as f64 / span) * 100.0).clamp(0.0, 100.0) as u32
    }
}

/// The shared HTTP client, the exchange URLs and the store, plus the retry policy.
pub struct Downloader<'a> {
    pub client: &'a Client,
    pub urls: &'a OutboundConfig,
    pub repo: &'a dyn CandleRepo,
    /// Attempts per page (the first one included).
    pub max_attempts: u32,
    /// Longest wait between attempts, whatever Retry-After says.
    pub max_wait: Duration,
}

impl<'a> Downloader<'a> {
    pub fn new(client: &'a Client, urls: &'a OutboundConfig, repo: &'a dyn CandleRepo) -> Self {
        Self {
            client,
            urls,
            repo,
            max_attempts: 5,
            max_wait: Duration::from_secs(30),
        }
    }

    /// The last `days` of closed candles as of `now_ms`, skipping what is already stored
    /// (older history before the first stored candle, newer after the last one).
    pub async fn download_days(
        &self,
        series: &Series,
        days: u32,
        now_ms: i64,
        progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<DownloadReport, DownloadError> {
        supports(series.exchange, series.timeframe)?;
        let tf = series.timeframe;
        let end = tf.floor(now_ms) - tf.millis();
        let start = tf.floor(now_ms - i64::from(days) * 86_400_000);
        let mut ranges = Vec::new();
        let first = self.repo.range(series, Some(i64::MIN), None, 1).await?;
        let last = self.repo.last_open_time(series).await?;
        match (first.first(), last) {
            (Some(first), Some(last)) => {
                if first.open_time > start {
                    ranges.push((start, first.open_time - tf.millis()));
                }
                ranges.push(((last + tf.millis()).max(start), end));
            }
            _ => ranges.push((start, end)),
        }
        let mut report = DownloadReport::default();
        for (from, to) in ranges {
            let part = self.download_range(series, from, to, progress).await?;
            report.add(&part);
        }
        Ok(report)
    }

    /// Every candle with `from <= open_time <= to`, page by page.
    pub async fn download_range(
        &self,
        series: &Series,
        from: i64,
        to: i64,
        progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<DownloadReport, DownloadError> {
        supports(series.exchange, series.timeframe)?;
        let step = series.timeframe.millis();
        let per_page = page_size(series.exchange).max(1);
        let mut report = DownloadReport::default();
        let mut cursor = series.timeframe.floor(from);
        while cursor <= to {
            let page_end = to.min(cursor + (per_page - 1) * step);
            let candles = self
                .fetch_with_retry(series, cursor, page_end, &mut report)
                .await?;
            report.fetched += candles.len() as u64;
            let mut wanted: Vec<Candle> = Vec::with_capacity(candles.len());
            for c in candles {
                if c.open_time < cursor || c.open_time > page_end {
                    continue;
                }
                match c.validate(series.timeframe) {
                    Ok(()) => wanted.push(c),
                    Err(why) => {
                        report.invalid += 1;
                        tracing::warn!(series = %series, open_time = c.open_time, why, "exchange sent an invalid candle; left out");
                    }
                }
            }
            wanted.sort_by_key(|c| c.open_time);
            wanted.dedup_by_key(|c| c.open_time);
            report.inserted += self.repo.upsert_many(series, &wanted).await?;
            cursor = page_end + step;
            progress(&Progress {
                from,
                to,
                done_until: page_end,
                inserted: report.inserted,
            });
        }
        Ok(report)
    }

    async fn fetch_with_retry(
        &self,
        series: &Series,
        from: i64,
        to: i64,
        report: &mut DownloadReport,
    ) -> Result<Vec<Candle>, CandleFetchError> {
        let mut backoff = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            report.requests += 1;
            match fetch_page(self.client, self.urls, series, from, to).await {
                Ok(candles) => return Ok(candles),
                Err(err) if err.is_transient() && attempt < self.max_attempts => {
                    let wait = match &err {
                        CandleFetchError::RateLimited {
                            retry_after: Some(after),
                        } => *after,
                        _ => backoff,
                    }
                    .min(self.max_wait);
                    tracing::warn!(series = %series, attempt, wait_ms = wait.as_millis() as u64, error = %err, "candle page failed; retrying");
                    tokio::time::sleep(wait).await;
                    backoff = (backoff * 2).min(self.max_wait);
                    report.retries += 1;
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }
}
