//! Prometheus metrics: one process-wide recorder, rendered at `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the recorder once per process (several apps in one test binary share it).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    handle
                }
                // Another recorder is already installed (e.g. by an embedding program):
                // render an empty registry rather than failing to boot.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        "http_requests_total",
        "HTTP requests by route template, method and status"
    );
    metrics::describe_histogram!("http_request_duration_seconds", "HTTP request latency");
    metrics::describe_counter!("auth_logins_total", "Login attempts by outcome");
    metrics::describe_gauge!("ws_clients", "Connected WebSocket clients");
    metrics::describe_gauge!("sse_clients", "Connected SSE clients");
    metrics::describe_counter!(
        "events_published_total",
        "Realtime events published by type"
    );
    metrics::describe_counter!(
        "events_dropped_total",
        "Realtime events a lagging client skipped (it was told to force_refresh)"
    );
    metrics::describe_counter!(
        "ws_slow_clients_dropped_total",
        "WebSocket clients disconnected because they stopped reading"
    );
    metrics::describe_counter!("engine_ticks_total", "Background engine ticks by outcome");
    metrics::describe_counter!("trades_total", "Trades recorded by mode");
    metrics::describe_counter!(
        "log_lines_dropped_total",
        "Log lines dropped because the log writer's queue was full (the disk could not keep up)"
    );
    metrics::gauge!("ws_clients").set(0.0);
    metrics::gauge!("sse_clients").set(0.0);
    metrics::counter!("log_lines_dropped_total").absolute(0);
}

/// The Prometheus text, with the counters kept outside the recorder brought up to date first.
pub fn render(handle: &PrometheusHandle) -> String {
    metrics::counter!("log_lines_dropped_total").absolute(crate::log_writer::dropped_lines());
    handle.render()
}

/// How often histogram samples are folded into their buckets. The recorder keeps every raw
/// sample until then (`install_recorder` leaves upkeep to the caller), so without it memory
/// grew with every request between scrapes.
pub const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
