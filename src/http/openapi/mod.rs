//! The OpenAPI 3.1 document (`GET /api/openapi.json`) and an offline docs page (`GET /api/docs`).
//!
//! The document is generated from the handlers: every route is registered through
//! `utoipa_axum`'s `routes!` with a `#[utoipa::path]` on its handler (see `http::api_router`).
//! `responses` adds the statuses every operation of a kind can answer (token, admin, path id,
//! body, query, rate limit, internal, database down) so handlers list only their own.

mod responses;
pub mod schemas;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{InfoBuilder, OpenApi};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::AppError;
use crate::state::AppState;
use schemas::common::ErrorEnvelope;

/// Name of the shared error-envelope schema every 4xx/5xx response points at.
pub const ERROR_SCHEMA: &str = "ErrorEnvelope";
/// Name of the bearer-JWT security scheme.
pub const BEARER: &str = "bearerAuth";
/// The scope an operation's bearer requirement names when only admins may call it.
pub const ADMIN_SCOPE: &str = "admin";

const DOCS_HTML: &str = include_str!("assets/docs.html");
const DOCS_JS: &str = include_str!("assets/docs.js");
const DOCS_CSS: &str = include_str!("assets/docs.css");

/// The docs page loads only its own script and style: no inline code, nothing remote.
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'none'";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(docs_page))
        .routes(routes!(docs_script))
        .routes(routes!(docs_style))
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
    let (_, mut api) = crate::http::api_router().split_for_parts();
    api.info = InfoBuilder::new()
        .title("Amarktai API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Multi-user crypto trading-bot platform. JSON in and out; bearer JWT unless an \
             operation has no security (`admin` scope: admins only). Every non-2xx answer is an \
             `ErrorEnvelope`.",
        ))
        .build();
    let components = api.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(ERROR_SCHEMA.to_string(), ErrorEnvelope::schema());
    let mut nested = Vec::new();
    <ErrorEnvelope as ToSchema>::schemas(&mut nested);
    for (name, schema) in nested {
        components.schemas.entry(name).or_insert(schema);
    }
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    let mut tags = BTreeSet::new();
    for (path, item) in api.paths.paths.iter_mut() {
        for operation in responses::operations_mut(item) {
            responses::complete(path, operation);
            if let Some(t) = operation.tags.as_ref() {
                tags.extend(t.iter().cloned());
            }
        }
    }
    api.tags = Some(
        tags.into_iter()
            .map(|t| TagBuilder::new().name(t).build())
            .collect(),
    );
    api
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

#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "get_api_openapi_json",
    tag = "Docs",
    summary = "This OpenAPI 3.1 document",
    description = "Served unless `ENV=production` without `ENABLE_DOCS=true` (then 404).",
    responses(
        (status = 200, description = "OK", body = schemas::common::OpenApiDocument),
        (status = 404, description = "Not found (or another user's resource)", body = schemas::common::ErrorEnvelope)
    )
)]
async fn openapi_json(State(state): State<AppState>) -> Result<Response, AppError> {
    docs_enabled(&state)?;
    Ok(with_type(spec_json(), "application/json", None))
}

#[utoipa::path(
    get,
    path = "/api/docs",
    operation_id = "get_api_docs",
    tag = "Docs",
    summary = "Offline API docs page (HTML)",
    responses(
        (status = 200, description = "OK", body = String, content_type = "text/html"),
        (status = 404, description = "Not found (or another user's resource)", body = schemas::common::ErrorEnvelope)
    )
)]
async fn docs_page(State(state): State<AppState>) -> Result<Response, AppError> {
    docs_enabled(&state)?;
    Ok(with_type(
        DOCS_HTML,
        "text/html; charset=utf-8",
        Some(DOCS_CSP),
    ))
}

#[utoipa::path(
    get,
    path = "/api/docs/app.js",
    operation_id = "get_api_docs_app_js",
    tag = "Docs",
    summary = "Script of the docs page",
    responses(
        (status = 200, description = "OK", body = String, content_type = "application/javascript"),
        (status = 404, description = "Not found (or another user's resource)", body = schemas::common::ErrorEnvelope)
    )
)]
async fn docs_script(State(state): State<AppState>) -> Result<Response, AppError> {
    docs_enabled(&state)?;
    Ok(with_type(
        DOCS_JS,
        "application/javascript; charset=utf-8",
        None,
    ))
}

#[utoipa::path(
    get,
    path = "/api/docs/style.css",
    operation_id = "get_api_docs_style_css",
    tag = "Docs",
    summary = "Style sheet of the docs page",
    responses(
        (status = 200, description = "OK", body = String, content_type = "text/css"),
        (status = 404, description = "Not found (or another user's resource)", body = schemas::common::ErrorEnvelope)
    )
)]
async fn docs_style(State(state): State<AppState>) -> Result<Response, AppError> {
    docs_enabled(&state)?;
    Ok(with_type(DOCS_CSS, "text/css; charset=utf-8", None))
}
