//! The OpenAPI 3.1 document (`GET /api/openapi.json`) and an offline docs page (`GET /api/docs`).
//!
//! The spec is built from a table of operations (`paths/`) and docs-only body schemas
//! (`schemas/`), so handlers stay untouched. `tests/openapi.rs` keeps table and routers in step.

pub mod op;
mod paths;
pub mod schemas;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use utoipa::openapi::path::{PathItem, Paths};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa::{PartialSchema, ToSchema};

use crate::error::AppError;
use crate::state::AppState;
use op::{BEARER, ERROR_SCHEMA};
use schemas::common::ErrorEnvelope;

const DOCS_HTML: &str = include_str!("assets/docs.html");
const DOCS_JS: &str = include_str!("assets/docs.js");
const DOCS_CSS: &str = include_str!("assets/docs.css");

/// The docs page loads only its own script and style: no inline code, nothing remote.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs_page))
        .route("/api/docs/app.js", get(docs_script))
        .route("/api/docs/style.css", get(docs_style))
}

/// The complete document. Built once: it depends only on the code.
pub fn spec() -> &'static OpenApi {
    static SPEC: OnceLock<OpenApi> = OnceLock::new();
    SPEC.get_or_init(build)
}

/// The spec as JSON text (also cached).
pub fn spec_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| spec().to_json().unwrap_or_else(|_| "{}".to_string()))
}

fn build() -> OpenApi {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new()
        .schema(ERROR_SCHEMA, ErrorEnvelope::schema())
        .security_scheme(
            BEARER,
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    let mut nested = Vec::new();
    <ErrorEnvelope as ToSchema>::schemas(&mut nested);
    let mut tags = BTreeSet::new();
    for op in paths::all() {
        let operation = op.build();
        if let Some(t) = operation.tags.as_ref() {
            tags.extend(t.iter().cloned());
        }
        nested.extend(op.schemas.iter().cloned());
        let item = PathItem::new(op.method.clone(), operation);
        match paths.paths.get_mut(op.path) {
            Some(existing) => existing.merge_operations(item),
            None => {
                paths.paths.insert(op.path.to_string(), item);
            }
        }
    }
    for (name, schema) in nested {
        components = components.schema(name, schema);
    }
    let info = InfoBuilder::new()
        .title("Amarktai API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Multi-user crypto trading-bot platform. JSON in and out; bearer JWT unless an \
             operation has no security. Every non-2xx answer is an `ErrorEnvelope`.",
        ))
        .build();
    OpenApiBuilder::new()
        .info(info)
        .paths(paths)
        .components(Some(components.build()))
        .tags(Some(
            tags.into_iter().map(|t| TagBuilder::new().name(t).build()),
        ))
        .build()
}

/// Docs are on outside production, and in production only with `ENABLE_DOCS=true`.
fn docs_enabled(state: &AppState) -> Result<(), AppError> {
    if state.config.enable_docs {
        Ok(())
    } else {
        Err(AppError::not_found("NOT_FOUND", "Not Found"))
    }
}

fn with_type(
    body: &'static str,
    content_type: &'static str,
    csp: Option<&'static str>,
) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(csp) = csp {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    response
}

async fn openapi_json(State(state): State<AppState>) -> Result<Response, AppError> {
    docs_enabled(&state)?;
    Ok(with_type(spec_json(), "application/json", None))
}

async fn docs_page(State(state): State<AppState>) -> Result<Response, AppError> {
    docs_enabled(&state)?;
    Ok(with_type(
        DOCS_HTML,
        "text/html; charset=utf-8",
        Some(DOCS_CSP),
    ))
}

async fn docs_script(State(state): State<AppState>) -> Result<Response, AppError> {
    docs_enabled(&state)?;
    Ok(with_type(
        DOCS_JS,
        "application/javascript; charset=utf-8",
        None,
    ))
}

async fn docs_style(State(state): State<AppState>) -> Result<Response, AppError> {
    docs_enabled(&state)?;
    Ok(with_type(DOCS_CSS, "text/css; charset=utf-8", None))
}

#[cfg(test)]
mod gen_dump {
    #[test]
    fn gen_dump() {
        let all: Vec<_> = super::paths::all().iter().map(|o| o.gen_json()).collect();
        std::fs::write("/tmp/ops.json", serde_json::to_string_pretty(&all).unwrap()).unwrap();
    }
}
#[cfg(test)]
mod gen_dump2 {
    #[test]
    fn gen_dump_spec() {
        std::fs::write("/tmp/old_spec.json", super::spec_json()).unwrap();
    }
}
