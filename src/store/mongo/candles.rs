//! MongoDB implementation of `CandleRepo`: collection `candles`, one document per candle,
//! unique on (exchange, pair, timeframe, open_time); writes are unordered `insert_many`
//! batches whose duplicate-key errors (11000: already stored) are the idempotence.

use async_trait::async_trait;
use futures_util::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::error::ErrorKind;
use mongodb::{Collection, Database};

use super::map_err;
use crate::domain::candles::{Candle, Series};
use crate::store::candles::{CandleRepo, Dataset};
use crate::store::{StoreError, StoreResult};

/// Documents per `insert_many` call (the driver splits further by message size).
const BATCH: usize = 10_000;

pub(super) struct MongoCandles {
    candles: Collection<Document>,
}

impl MongoCandles {
    pub(super) fn new(db: &Database) -> Self {
        Self {
            candles: db.collection("candles"),
        }
    }
}

fn series_filter(series: &Series) -> Document {
    doc! {
        "exchange": series.exchange.as_str(),
        "pair": series.pair.to_string(),
        "timeframe": series.timeframe.as_str(),
    }
}

fn number(d: &Document, key: &str) -> f64 {
    match d.get(key) {
        Some(mongodb::bson::Bson::Double(v)) => *v,
        Some(mongodb::bson::Bson::Int64(v)) => *v as f64,
        Some(mongodb::bson::Bson::Int32(v)) => f64::from(*v),
        _ => f64::NAN,
    }
}

fn int(d: &Document, key: &str) -> i64 {
    d.get_i64(key)
        .or_else(|_| d.get_i32(key).map(i64::from))
        .unwrap_or_else(|_| number(d, key) as i64)
}

fn candle_from(d: &Document) -> Candle {
    Candle {
        open_time: int(d, "open_time"),
        open: number(d, "open"),
        high: number(d, "high"),
        low: number(d, "low"),
        close: number(d, "close"),
        volume: number(d, "volume"),
    }
}

/// How many documents of an unordered `insert_many` were refused only as duplicates;
/// any other failure is an error.
fn duplicates_only(err: mongodb::error::Error) -> StoreResult<u64> {
    if let ErrorKind::InsertMany(im) = err.kind.as_ref() {
        if im.write_concern_error.is_none() {
            if let Some(errors) = &im.write_errors {
                if errors.iter().all(|e| e.code == 11000) {
                    return Ok(errors.len() as u64);
                }
            }
        }
    }
    Err(map_err(err))
}

#[async_trait]
impl CandleRepo for MongoCandles {
    async fn upsert_many(&self, series: &Series, candles: &[Candle]) -> StoreResult<u64> {
        let base = series_filter(series);
        let mut inserted = 0;
        for chunk in candles.chunks(BATCH) {
            let docs = chunk.iter().map(|c| {
                let mut d = base.clone();
                d.insert("open_time", c.open_time);
                d.insert("open", c.open);
                d.insert("high", c.high);
                d.insert("low", c.low);
                d.insert("close", c.close);
                d.insert("volume", c.volume);
                d
            });
            let refused = match self.candles.insert_many(docs).ordered(false).await {
                Ok(_) => 0,
                Err(err) => duplicates_only(err)?,
            };
            inserted += chunk.len() as u64 - refused.min(chunk.len() as u64);
        }
        Ok(inserted)
    }

    async fn range(
        &self,
        series: &Series,
        since: Option<i64>,
        until: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Candle>> {
        let mut filter = series_filter(series);
        let mut time = Document::new();
        if let Some(since) = since {
            time.insert("$gte", since);
        }
        if let Some(until) = until {
            time.insert("$lte", until);
        }
        if !time.is_empty() {
            filter.insert("open_time", time);
        }
        let order = if since.is_some() { 1 } else { -1 };
        let docs: Vec<Document> = self
            .candles
            .find(filter)
            .sort(doc! {"open_time": order})
            .limit(i64::from(limit))
            .projection(doc! {"_id": 0})
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        let mut candles: Vec<Candle> = docs.iter().map(candle_from).collect();
        if since.is_none() {
            candles.reverse();
        }
        Ok(candles)
    }

    async fn last_open_time(&self, series: &Series) -> StoreResult<Option<i64>> {
        let newest = self
            .candles
            .find_one(series_filter(series))
            .sort(doc! {"open_time": -1})
            .projection(doc! {"_id": 0, "open_time": 1})
            .await
            .map_err(map_err)?;
        Ok(newest.map(|d| int(&d, "open_time")))
    }

    async fn datasets(&self) -> StoreResult<Vec<Dataset>> {
        let pipeline = vec![doc! {"$group": {
            // One string key (not a sub-document): portable across MongoDB-compatible servers
            // (tests/README.md). No part contains `|` (exchange, BASE/QUOTE, timeframe).
            "_id": {"$concat": ["$exchange", "|", "$pair", "|", "$timeframe"]},
            "first": {"$min": "$open_time"},
            "last": {"$max": "$open_time"},
            "count": {"$sum": 1},
        }}];
        let groups: Vec<Document> = self
            .candles
            .aggregate(pipeline)
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        let mut out = Vec::with_capacity(groups.len());
        for g in &groups {
            let key = g
                .get_str("_id")
                .map_err(|e| StoreError::Other(format!("candle group without key: {e}")))?;
            let mut parts = key.splitn(3, '|');
            let mut part = || parts.next().unwrap_or_default().to_string();
            out.push(Dataset {
                exchange: part(),
                pair: part(),
                timeframe: part(),
                first: int(g, "first"),
                last: int(g, "last"),
                count: int(g, "count"),
            });
        }
        // Sorted here: the order of `$group` output is unspecified.
        out.sort_by(|a, b| {
            (&a.exchange, &a.pair, &a.timeframe).cmp(&(&b.exchange, &b.pair, &b.timeframe))
        });
        Ok(out)
    }

    async fn open_times(&self, series: &Series, since: i64, until: i64) -> StoreResult<Vec<i64>> {
        let mut filter = series_filter(series);
        filter.insert("open_time", doc! {"$gte": since, "$lte": until});
        let docs: Vec<Document> = self
            .candles
            .find(filter)
            .sort(doc! {"open_time": 1})
            .projection(doc! {"_id": 0, "open_time": 1})
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        Ok(docs.iter().map(|d| int(d, "open_time")).collect())
    }
}
