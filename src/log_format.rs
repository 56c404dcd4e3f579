//! Hand-written JSON log lines (issue 20): the same lines `tracing_subscriber`'s JSON format
//! printed, written straight into the line buffer instead of through `serde_json::Value` maps.
//!
//! A line is `{"timestamp":…,"level":…,<the event's fields in order>,"target":…}` plus, for an
//! event logged inside a request or a span, `"spans":[{<fields sorted by name>,"name":…},…]`
//! from the root span to the innermost, exactly as `.json().flatten_event(true)
//! .with_current_span(false)` printed them. The per-request span is not a `tracing` span in
//! JSON mode: the request's id, method and route come from the request's task-local context
//! (`http::context`) and are printed as that same first `spans` entry (see `RequestSpan`).
//!
//! Values: strings escaped like `serde_json` (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, other
//! control characters as `\u00xx`; everything else verbatim, UTF-8 included), integers and
//! booleans as JSON numbers and booleans, floats in their shortest round-trip form (`zmij`,
//! as `serde_json`) and non-finite floats as `null`, `Debug`/`Display`-recorded values as
//! strings. Duplicate field names are kept as the old formatter kept them: repeated in an
//! event (in order), last one wins in a span's fields.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter for `LOG_FORMAT=json`.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonLines;

/// The span-field formatter that goes with [`JsonLines`]: a span's fields as the inside of a
/// JSON object (`"a":1,"b":"x"`, sorted by name), which `JsonLines` wraps when it prints the
/// `spans` list.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonSpanFields;

/// Set once the JSON formatter is installed: the request middleware then skips the
/// `tracing` span (its context is printed from the task-local instead). The pretty format
/// keeps the real span, so development output is unchanged.
static REQUEST_CONTEXT_FROM_TASK: AtomicBool = AtomicBool::new(false);

/// Tells the request middleware that lines get the request context from the task-local.
pub fn use_task_local_request_context() {
    REQUEST_CONTEXT_FROM_TASK.store(true, Ordering::Relaxed);
}

/// Whether the request middleware still needs a `tracing` span for the request context.
pub fn request_span_needed() -> bool {
    !REQUEST_CONTEXT_FROM_TASK.load(Ordering::Relaxed)
}

impl<S> FormatEvent<S, JsonSpanFields> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonSpanFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        // Events bridged from the `log` crate carry their real level and target here.
        let normalized = event.normalized_metadata();
        let meta = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let w: &mut dyn fmt::Write = &mut writer;

        w.write_str("{\"timestamp\":\"")?;
        write_timestamp(w, SystemTime::now())?;
        w.write_str("\",\"level\":\"")?;
        w.write_str(meta.level().as_str())?;
        w.write_char('"')?;

        let mut fields = EventFields {
            out: w,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;

        w.write_str(",\"target\":")?;
        write_str_value(w, meta.target())?;

        // The old formatter printed the list when the event had a span (its explicit parent
        // or the current one), listing the current span's scope from the root.
        let has_span = event
            .parent()
            .and_then(|id| ctx.span(id))
            .or_else(|| ctx.lookup_current())
            .is_some();
        let mut open = false;
        if !request_span_needed() {
            open = crate::http::context::with_current(|request| {
                w.write_str(",\"spans\":[")?;
                RequestSpan {
                    method: request.method.as_str(),
                    request_id: &request.request_id,
                    route: request.route_template(),
                }
                .write(w)?;
                Ok::<_, fmt::Error>(true)
            })
            .transpose()?
            .unwrap_or(false);
        }
        if has_span {
            if let Some(leaf) = ctx.lookup_current() {
                for span in leaf.scope().from_root() {
                    w.write_str(if open { "," } else { ",\"spans\":[" })?;
                    open = true;
                    w.write_char('{')?;
                    let ext = span.extensions();
                    let fields = ext
                        .get::<FormattedFields<JsonSpanFields>>()
                        .map_or("", |f| f.fields.as_str());
                    if !fields.is_empty() {
                        w.write_str(fields)?;
                        w.write_char(',')?;
                    }
                    w.write_str("\"name\":")?;
                    write_str_value(w, span.metadata().name())?;
                    w.write_char('}')?;
                }
            } else if !open {
                // An explicit parent but no current span: the old list was empty.
                w.write_str(",\"spans\":[")?;
                open = true;
            }
        }
        if open {
            w.write_char(']')?;
        }
        w.write_str("}\n")
    }
}

/// One access-log line, written without going through `tracing` (issue 20): the same bytes
/// `tracing::info!(target: "access", request_id, method, route, status, latency_ms, user_id,
/// ip, "request")` (or `warn!` for a 5xx) prints through [`JsonLines`] outside a request, which
/// a unit test checks against `tracing_subscriber`'s JSON. The request gate uses it when the
/// JSON format writes to the log queue (`log_writer::direct_access_queue`), after asking the
/// subscriber's filter whether the `access` target is on at that level.
pub struct AccessLine<'a> {
    pub level: tracing::Level,
    pub request_id: &'a str,
    pub method: &'a str,
    pub route: &'a str,
    pub status: u16,
    pub latency_ms: f64,
    pub user_id: &'a str,
    pub ip: &'a str,
}

impl AccessLine<'_> {
    /// The line, newline included, stamped `now`.
    pub fn render(&self, now: SystemTime) -> String {
        let mut line = String::with_capacity(256);
        // Writing into a `String` cannot fail.
        let _ = self.write(&mut line, now);
        line
    }

    fn write(&self, w: &mut dyn fmt::Write, now: SystemTime) -> fmt::Result {
        w.write_str("{\"timestamp\":\"")?;
        write_timestamp(w, now)?;
        w.write_str("\",\"level\":\"")?;
        w.write_str(self.level.as_str())?;
        w.write_str("\",\"message\":\"request\",\"request_id\":")?;
        write_str_value(w, self.request_id)?;
        w.write_str(",\"method\":")?;
        write_str_value(w, self.method)?;
        w.write_str(",\"route\":")?;
        write_str_value(w, self.route)?;
        w.write_str(",\"status\":")?;
        w.write_str(itoa::Buffer::new().format(self.status))?;
        w.write_str(",\"latency_ms\":")?;
        write_f64(w, self.latency_ms)?;
        w.write_str(",\"user_id\":")?;
        write_str_value(w, self.user_id)?;
        w.write_str(",\"ip\":")?;
        write_str_value(w, self.ip)?;
        w.write_str(",\"target\":\"access\"}\n")
    }
}

/// The request span as the old `spans` entry printed it: fields sorted by name, then `name`.
struct RequestSpan<'a> {
    method: &'a str,
    request_id: &'a str,
    route: &'a str,
}

impl RequestSpan<'_> {
    fn write(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        w.write_str("{\"method\":")?;
        write_str_value(w, self.method)?;
        w.write_str(",\"request_id\":")?;
        write_str_value(w, self.request_id)?;
        w.write_str(",\"route\":")?;
        write_str_value(w, self.route)?;
        w.write_str(",\"name\":\"request\"}")
    }
}

/// Writes an event's fields as `,"name":value`, in the order they were recorded.
struct EventFields<'a> {
    out: &'a mut dyn fmt::Write,
    result: fmt::Result,
}

impl EventFields<'_> {
    fn entry(&mut self, field: &Field, value: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = (|| {
                self.out.write_char(',')?;
                write_str_value(self.out, field.name())?;
                self.out.write_char(':')?;
                value(self.out)
            })();
        }
    }
}

impl Visit for EventFields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.entry(field, |w| write_f64(w, value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.entry(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.entry(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.entry(field, |w| w.write_str(if value { "true" } else { "false" }));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.entry(field, |w| write_str_value(w, value));
    }
    // i128/u128, errors and bytes go through `record_debug` (the trait's defaults), as they
    // did in the old formatter: printed as strings.
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.entry(field, |w| write_debug_value(w, value));
    }
}

impl<'w> FormatFields<'w> for JsonSpanFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut collected = SpanFields::default();
        fields.record(&mut collected);
        collected.result?;
        collected.write(&mut writer)
    }

    /// Fields recorded after the span was created (`span.record`): merged by name, the new
    /// value winning, as the old formatter did (rare: re-reads the stored fields).
    fn add_fields(
        &self,
        current: &'w mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut collected = SpanFields::default();
        fields.record(&mut collected);
        collected.result?;
        if current.fields.is_empty() {
            let mut out = String::new();
            collected.write(&mut out)?;
            current.fields = out;
            return Ok(());
        }
        let old: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(&format!("{{{}}}", current.fields)).map_err(|_| fmt::Error)?;
        let mut merged: BTreeMap<String, String> = old
            .into_iter()
            .map(|(name, value)| (name, value.to_string()))
            .collect();
        for (name, value) in collected.sorted() {
            merged.insert(name.to_string(), value.to_string());
        }
        let mut out = String::new();
        for (i, (name, value)) in merged.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str_value(&mut out, name)?;
            out.push(':');
            out.push_str(value);
        }
        current.fields = out;
        Ok(())
    }
}

/// A span's fields, gathered so they can be printed sorted by name with the last value of a
/// repeated name winning (the old formatter kept them in a `BTreeMap`). Values are stored as
/// their JSON text in one buffer.
struct SpanFields {
    values: String,
    entries: Vec<(&'static str, std::ops::Range<usize>)>,
    result: fmt::Result,
}

impl Default for SpanFields {
    fn default() -> Self {
        SpanFields {
            values: String::new(),
            entries: Vec::new(),
            result: Ok(()),
        }
    }
}

impl SpanFields {
    fn entry(&mut self, name: &'static str, value: impl FnOnce(&mut String) -> fmt::Result) {
        if self.result.is_ok() {
            let start = self.values.len();
            self.result = value(&mut self.values);
            self.entries.push((name, start..self.values.len()));
        }
    }

    /// (name, JSON value) sorted by name, one per name (the last recorded).
    fn sorted(&self) -> Vec<(&'static str, &str)> {
        let mut entries: Vec<_> = self
            .entries
            .iter()
            .map(|(name, range)| (*name, &self.values[range.clone()]))
            .collect();
        // Stable: of equal names the last recorded stays last, and is the one kept.
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut unique: Vec<(&'static str, &str)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match unique.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => unique.push(entry),
            }
        }
        unique
    }

    fn write(&self, w: &mut dyn fmt::Write) -> fmt::Result {
        for (i, (name, value)) in self.sorted().into_iter().enumerate() {
            if i > 0 {
                w.write_char(',')?;
            }
            write_str_value(w, name)?;
            w.write_char(':')?;
            w.write_str(value)?;
        }
        Ok(())
    }
}

impl Visit for SpanFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.entry(field.name(), |w| write_f64(w, value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.entry(field.name(), |w| {
            w.push_str(itoa::Buffer::new().format(value));
            Ok(())
        });
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.entry(field.name(), |w| {
            w.push_str(itoa::Buffer::new().format(value));
            Ok(())
        });
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.entry(field.name(), |w| {
            w.push_str(if value { "true" } else { "false" });
            Ok(())
        });
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.entry(field.name(), |w| write_str_value(w, value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // As the old span formatter: `log.*` metadata fields skipped, `r#` prefixes dropped.
        let name = field.name();
        if name.starts_with("log.") {
            return;
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        self.entry(name, |w| write_debug_value(w, value));
    }
}

/// A float as `serde_json` writes it: shortest round-trip digits through `zmij`, the formatter
/// `serde_json` itself uses (so exponents read `1e+21` as before), `null` when not finite.
fn write_f64(w: &mut dyn fmt::Write, value: f64) -> fmt::Result {
    if value.is_finite() {
        w.write_str(zmij::Buffer::new().format_finite(value))
    } else {
        w.write_str("null")
    }
}

/// A `Debug` value as a JSON string, escaped while it is formatted (no intermediate copy).
fn write_debug_value(w: &mut dyn fmt::Write, value: &dyn fmt::Debug) -> fmt::Result {
    w.write_char('"')?;
    write!(Escaper(w), "{value:?}")?;
    w.write_char('"')
}

/// A string as a JSON string literal.
pub fn write_str_value(w: &mut dyn fmt::Write, value: &str) -> fmt::Result {
    w.write_char('"')?;
    write_escaped(w, value)?;
    w.write_char('"')
}

/// Escapes for the inside of a JSON string, in runs: only `"`, `\` and bytes below 0x20
/// need an escape, and those are ASCII, so every cut is on a character boundary.
fn write_escaped(w: &mut dyn fmt::Write, value: &str) -> fmt::Result {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        if start < i {
            w.write_str(&value[start..i])?;
        }
        if escape.is_empty() {
            let code = [
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ];
            // Six ASCII bytes: always valid UTF-8.
            w.write_str(std::str::from_utf8(&code).map_err(|_| fmt::Error)?)?;
        } else {
            w.write_str(escape)?;
        }
        start = i + 1;
    }
    if start < bytes.len() {
        w.write_str(&value[start..])?;
    }
    Ok(())
}

/// A `fmt::Write` that escapes what goes through it for the inside of a JSON string.
struct Escaper<'a>(&'a mut dyn fmt::Write);

impl fmt::Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_escaped(self.0, s)
    }
}

/// `2026-12-04T06:29:13.046239Z`: RFC 3339 in UTC with microseconds, as the old formatter's
/// `SystemTime` timer printed it (a clock before 1970 prints the epoch).
fn write_timestamp(w: &mut dyn fmt::Write, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days(secs / 86_400);
    let of_day = secs % 86_400;
    let mut buf = *b"0000-00-00T00:00:00.000000Z";
    put_digits(&mut buf[0..4], year);
    put_digits(&mut buf[5..7], month);
    put_digits(&mut buf[8..10], day);
    put_digits(&mut buf[11..13], of_day / 3600);
    put_digits(&mut buf[14..16], of_day % 3600 / 60);
    put_digits(&mut buf[17..19], of_day % 60);
    put_digits(&mut buf[20..26], u64::from(since.subsec_micros()));
    // Only ASCII digits were written into an ASCII template.
    w.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
}

/// Writes `value` as zero-padded decimal filling `out` (higher digits are cut off).
fn put_digits(out: &mut [u8], mut value: u64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`,
/// for days ≥ 0). Also the bench report's date (`bench/src/main.rs`).
pub fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests;
