//! Health, version, metrics and the docs routes themselves (public).

use crate::http::openapi::op::{get, Op, Param};
use crate::http::openapi::schemas::common::OpenApiDocument;
use crate::http::openapi::schemas::health::*;

const TAG: &str = "Health";
const DOCS: &str = "Docs";

pub fn ops() -> Vec<Op> {
    vec![
        get("/api/health/ping", TAG, "Liveness with a database ping")
            .public()
            .ok::<Ping>()
            .errors(&[503]),
        get("/api/health/ready", TAG, "Readiness: database, secrets, migrations")
            .public()
            .ok::<Ready>()
            .errors(&[503]),
        get("/api/health/preflight", TAG, "Flags, services, auth and engine state")
            .public()
            .describe("Always 200; `ok:false` with `issues` when something is wrong.")
            .ok::<Preflight>(),
        get("/api/health/live", TAG, "Process is up (no database)")
            .public()
            .ok::<Live>(),
        get("/api/health", TAG, "Health summary with engines and uptime")
            .public()
            .ok::<HealthSummary>(),
        get("/api/version", TAG, "Build name, version, git sha and time")
            .public()
            .ok::<Version>(),
        get("/metrics", TAG, "Prometheus metrics")
            .public()
            .describe("Requires `Authorization: Bearer <METRICS_TOKEN>` or `?token=` when `METRICS_TOKEN` is set.")
            .query("token", Param::Str, "METRICS_TOKEN, if configured")
            .ok_raw("text/plain; version=0.0.4")
            .errors(&[401]),
        get("/api/openapi.json", DOCS, "This OpenAPI 3.1 document")
            .public()
            .describe("Served unless `ENV=production` without `ENABLE_DOCS=true` (then 404).")
            .ok::<OpenApiDocument>()
            .errors(&[404]),
        get("/api/docs", DOCS, "Offline API docs page (HTML)")
            .public()
            .ok_raw("text/html")
            .errors(&[404]),
        get("/api/docs/app.js", DOCS, "Script of the docs page")
            .public()
            .ok_raw("application/javascript")
            .errors(&[404]),
        get("/api/docs/style.css", DOCS, "Style sheet of the docs page")
            .public()
            .ok_raw("text/css")
            .errors(&[404]),
        get("/", DOCS, "Built-in web dashboard (HTML)")
            .public()
            .describe("Own CSP; `ETag` with 304 on `If-None-Match`.")
            .ok_raw("text/html"),
        get("/assets/{file}", DOCS, "Dashboard script, style or icon")
            .public()
            .describe("`ETag` with 304 on `If-None-Match`; unknown files answer the 404 envelope.")
            .ok_raw("text/javascript")
            .errors(&[404]),
    ]
}
