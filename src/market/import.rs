//! Candle files into the store: JSON `[[open_time, o, h, l, c, v], ...]` (numbers or numeric
//! strings) or CSV with a header. Every bad row is reported with its line; any bad row means
//! nothing is stored unless the caller skips bad rows. Order and duplicates do not matter.

use std::path::Path;

use crate::domain::candles::{epoch_ms, parse_time_ms, Candle, Series, Timeframe};
use crate::store::{CandleRepo, StoreError};

/// A row that could not be read or failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// By extension (`.json`, `.csv`), else by content (a JSON file starts with `[`).
    pub fn detect(path: &Path, text: &str) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(e) if e == "json" => Format::Json,
            Some(e) if e == "csv" => Format::Csv,
            _ if text.trim_start().starts_with('[') => Format::Json,
            _ => Format::Csv,
        }
    }
}

/// The rows of a file: valid candles sorted by open time without duplicates, and bad rows.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: usize,
    pub candles: Vec<Candle>,
    pub bad: Vec<RowError>,
    /// Rows whose open time appeared earlier in the file (the first one is kept).
    pub duplicates: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole is unreadable (not a JSON array, no CSV header...).
    #[error("{0}")]
    Format(String),
    #[error("{} bad row(s); nothing imported (--skip-bad imports the good rows)", .0.len())]
    BadRows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: usize,
    pub inserted: u64,
    pub already_stored: u64,
    pub duplicates: usize,
    pub skipped: Vec<RowError>,
}

/// Parses `text` and stores its candles in `series` (all or nothing unless `skip_bad`).
pub async fn import(
    repo: &dyn CandleRepo,
    series: &Series,
    text: &str,
    format: Format,
    skip_bad: bool,
) -> Result<ImportReport, ImportError> {
    let parsed = parse(text, format, series.timeframe)?;
    if !parsed.bad.is_empty() && !skip_bad {
        return Err(ImportError::BadRows(parsed.bad));
    }
    let inserted = repo.upsert_many(series, &parsed.candles).await?;
    Ok(ImportReport {
        rows: parsed.rows,
        inserted,
        already_stored: parsed.candles.len() as u64 - inserted,
        duplicates: parsed.duplicates,
        skipped: parsed.bad,
    })
}

/// Reads every row; file-level problems are errors, row-level ones land in `bad`.
pub fn parse(text: &str, format: Format, timeframe: Timeframe) -> Result<Parsed, ImportError> {
    let rows = match format {
        Format::Json => json_rows(text)?,
        Format::Csv => csv_rows(text)?,
    };
    let mut parsed = Parsed {
        rows: rows.len(),
        ..Parsed::default()
    };
    let mut candles = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        match row.and_then(|c| c.validate(timeframe).map(|_| c)) {
            Ok(candle) => candles.push(candle),
            Err(message) => parsed.bad.push(RowError { line, message }),
        }
    }
    candles.sort_by_key(|c| c.open_time);
    let before = candles.len();
    candles.dedup_by_key(|c| c.open_time);
    parsed.duplicates = before - candles.len();
    parsed.candles = candles;
    Ok(parsed)
}

type Row = (usize, Result<Candle, String>);

fn candle_of(values: [f64; 5], open_time: i64) -> Candle {
    let [open, high, low, close, volume] = values;
    Candle {
        open_time,
        open,
        high,
        low,
        close,
        volume,
    }
}

fn json_number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn json_row(raw: &str) -> Result<Candle, String> {
    let value: serde_json::Value =
        serde_json::from_str(raw).map_err(|e| format!("not JSON: {e}"))?;
    let items = value
        .as_array()
        .filter(|a| a.len() >= 6)
        .ok_or("expected [open_time, open, high, low, close, volume]")?;
    let open_time = match &items[0] {
        serde_json::Value::String(s) => parse_time_ms(s),
        other => json_number(other).and_then(epoch_ms),
    }
    .ok_or_else(|| format!("bad open time {}", items[0]))?;
    let mut values = [0.0; 5];
    for (i, name) in ["open", "high", "low", "close", "volume"]
        .iter()
        .enumerate()
    {
        values[i] = json_number(&items[i + 1])
            .ok_or_else(|| format!("{name} is not a number: {}", items[i + 1]))?;
    }
    Ok(candle_of(values, open_time))
}

/// Splits the top-level JSON array into its elements (with their line) without building the
/// whole document, so each bad element can be reported by line.
fn json_rows(text: &str) -> Result<Vec<Row>, ImportError> {
    let bytes = text.as_bytes();
    let not_array = || ImportError::Format("a JSON candle file must be an array of rows".into());
    let open = text
        .find(|c: char| !c.is_whitespace())
        .ok_or_else(not_array)?;
    if bytes[open] != b'[' {
        return Err(not_array());
    }
    let mut rows = Vec::new();
    let (mut line, mut depth, mut in_string, mut escaped) = (1, 0usize, false, false);
    line += text[..open].matches('\n').count();
    let mut start: Option<(usize, usize)> = None;
    let mut closed = false;
    for (i, &b) in bytes.iter().enumerate().skip(open + 1) {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            if b == b'\n' {
                line += 1;
            }
            continue;
        }
        let top = depth == 0;
        match b {
            b'\n' => line += 1,
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth > 0 => depth -= 1,
            _ => {}
        }
        if top && (b == b',' || b == b']') {
            if let Some((from, at)) = start.take() {
                rows.push((at, json_row(text[from..i].trim())));
            } else if b == b',' {
                return Err(ImportError::Format(format!("line {line}: empty row")));
            }
            if b == b']' {
                closed = true;
                if !text[i + 1..].trim().is_empty() {
                    return Err(ImportError::Format(format!(
                        "line {line}: text after the closing ]"
                    )));
                }
                break;
            }
        } else if start.is_none() && !b.is_ascii_whitespace() {
            start = Some((i, line));
        }
    }
    if !closed {
        return Err(ImportError::Format("the JSON array is not closed".into()));
    }
    Ok(rows)
}

/// Column positions found in a CSV header.
struct Columns {
    time: usize,
    values: [usize; 5],
    width: usize,
}

fn csv_fields(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|f| f.trim().trim_matches('"').trim())
        .collect()
}

fn csv_header(line: &str) -> Result<Columns, ImportError> {
    let names: Vec<String> = csv_fields(line)
        .iter()
        .map(|f| f.to_ascii_lowercase())
        .collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let time = find(&["timestamp", "date", "open_time", "time"]).ok_or_else(|| {
        ImportError::Format(
            "line 1: the CSV header needs a timestamp, date or open_time column".into(),
        )
    })?;
    let mut values = [0; 5];
    for (i, name) in ["open", "high", "low", "close", "volume"]
        .iter()
        .enumerate()
    {
        values[i] = find(&[name])
            .ok_or_else(|| ImportError::Format(format!("line 1: the CSV header has no {name}")))?;
    }
    Ok(Columns {
        time,
        values,
        width: names.len(),
    })
}

fn csv_row(fields: &[&str], columns: &Columns) -> Result<Candle, String> {
    if fields.len() < columns.width {
        return Err(format!(
            "expected {} fields, found {}",
            columns.width,
            fields.len()
        ));
    }
    let raw_time = fields[columns.time];
    let open_time = parse_time_ms(raw_time).ok_or_else(|| format!("bad time {raw_time:?}"))?;
    let mut values = [0.0; 5];
    for (i, name) in ["open", "high", "low", "close", "volume"]
        .iter()
        .enumerate()
    {
        let raw = fields[columns.values[i]];
        values[i] = raw
            .parse()
            .map_err(|_| format!("{name} is not a number: {raw:?}"))?;
    }
    Ok(candle_of(values, open_time))
}

fn csv_rows(text: &str) -> Result<Vec<Row>, ImportError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}')))
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines
        .next()
        .ok_or_else(|| ImportError::Format("the CSV file is empty".into()))?;
    let columns = csv_header(header)?;
    Ok(lines
        .map(|(line, l)| (line, csv_row(&csv_fields(l), &columns)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn json_rows_carry_their_line_numbers() {
        let text = "[\n  [0, 1, 2, 0.5, 1.5, 10],\n  [\"3600000\", \"1\", \"2\", \"0.5\", \"1.5\", \"10\"],\n  [7200000, 1, 0.5, 0.5, 1.5, 10],\n  [\"x\"]\n]\n";
        let parsed = parse(text, Format::Json, Timeframe::H1).unwrap();
        assert_eq!(parsed.rows, 4);
        assert_eq!(parsed.candles.len(), 2);
        let lines: Vec<usize> = parsed.bad.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 5], "{:?}", parsed.bad);
        assert!(parsed.bad[0].message.contains("high"));
    }

    #[test]
    fn json_compact_unsorted_with_duplicates_and_seconds() {
        let text = "[[7200,1,2,0.5,1.5,10],[0,1,2,0.5,1.5,10],[0,1,2,0.5,1.5,10]]";
        let parsed = parse(text, Format::Json, Timeframe::H1).unwrap();
        assert_eq!(
            parsed
                .candles
                .iter()
                .map(|c| c.open_time)
                .collect::<Vec<_>>(),
            vec![0, 2 * H]
        );
        assert_eq!(parsed.duplicates, 1);
        assert!(parse("{}", Format::Json, Timeframe::H1).is_err());
        assert!(parse("[[0,1,2,0.5,1.5,10]", Format::Json, Timeframe::H1).is_err());
    }

    #[test]
    fn csv_with_any_time_form_and_column_order() {
        let text = "Date,Open,High,Low,Close,Volume\n2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n\n1704070800,1,2,0.5,1.5,10\n1704074400000,1,2,0.5,1.5,10\nnope,1,2,0.5,1.5,10\n2024-01-01 04:00:00,1,2,0.5,abc,10\n";
        let parsed = parse(text, Format::Csv, Timeframe::H1).unwrap();
        assert_eq!(parsed.candles.len(), 3);
        let lines: Vec<usize> = parsed.bad.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![6, 7]);
        let text = "volume,close,low,high,open,open_time\n10,1.5,0.5,2,1,0\n";
        let parsed = parse(text, Format::Csv, Timeframe::H1).unwrap();
        assert_eq!(parsed.candles[0].open, 1.0);
        assert_eq!(parsed.candles[0].volume, 10.0);
        assert!(parse("a,b\n1,2\n", Format::Csv, Timeframe::H1).is_err());
    }
}
