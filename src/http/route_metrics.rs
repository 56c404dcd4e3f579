//! Per-route request metrics with their handles kept: building three label strings and looking
//! the series up in the recorder's registry on every request was a visible share of the
//! cheapest routes (bench/README.md, "Request-path cost").

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use metrics::{Counter, Histogram};

/// The handles of one (method, status) of a route.
struct Series {
    method: Method,
    status: u16,
    requests: Counter,
    duration: Histogram,
}

/// Route template -> its series. Route templates are the router's (plus `unmatched`), so the
/// map stays as small as the API.
static SERIES: LazyLock<RwLock<HashMap<Box<str>, Vec<Series>>>> = LazyLock::new(Default::default);

/// Counts one request in `http_requests_total` and records its latency in
/// `http_request_duration_seconds` (same names and labels as before the handles were kept).
pub fn record(route: &str, method: &Method, status: StatusCode, latency: Duration) {
    let status = status.as_u16();
    let seconds = latency.as_secs_f64();
    {
        let map = SERIES.read().unwrap_or_else(|e| e.into_inner());
        if let Some(series) = map.get(route).and_then(|all| {
            all.iter()
                .find(|s| s.status == status && s.method == method)
        }) {
            series.requests.increment(1);
            series.duration.record(seconds);
            return;
        }
    }
    let series = Series {
        method: method.clone(),
        status,
        requests: metrics::counter!(
            "http_requests_total",
            "path" => route.to_string(),
            "method" => method.to_string(),
            "status" => status.to_string()
        ),
        duration: metrics::histogram!(
            "http_request_duration_seconds",
            "path" => route.to_string(),
            "method" => method.to_string()
        ),
    };
    series.requests.increment(1);
    series.duration.record(seconds);
    let mut map = SERIES.write().unwrap_or_else(|e| e.into_inner());
    let all = map.entry(route.into()).or_default();
    // Another request may have added the same series meanwhile; both handles point at the
    // same registry entry, so keeping either is right.
    if !all.iter().any(|s| s.status == status && s.method == method) {
        all.push(series);
    }
}
