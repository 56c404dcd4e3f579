//! The built-in web dashboard: static files from `web/` embedded in the binary, served at `/`
//! and `/assets/{file}` with their own strict CSP and ETag revalidation (304 on `If-None-Match`).

use crate::http::openapi::schemas as docs;
use std::sync::LazyLock;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::state::AppState;

/// Scripts and styles only from our own origin, no framing. `connect-src 'self'` also covers the
/// WebSocket to our own host: CSP Level 3 browsers match same-origin ws:/wss: against `'self'`,
/// so no `ws:`/`wss:` scheme source (which would allow any host) is needed.
/// No `'unsafe-inline'` anywhere: the HTML carries no inline script or style.
pub const DASHBOARD_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One embedded file: its URL name, bytes and content type.
struct Asset {
    name: &'static str,
    body: &'static str,
    content_type: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($name:literal, $ty:expr) => {
        Asset {
            name: $name,
            body: include_str!(concat!("../../web/", $name)),
            content_type: $ty,
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("ui.js", JS),
    asset!("realtime.js", JS),
    asset!("charts.js", JS),
    asset!("auth.js", JS),
    asset!("overview.js", JS),
    asset!("bots.js", JS),
    asset!("platforms.js", JS),
    asset!("markets.js", JS),
    asset!("botpage.js", JS),
    asset!("backtest.js", JS),
    asset!("strategy_form.js", JS),
    asset!("keys.js", JS),
    asset!("chat.js", JS),
    asset!("system.js", JS),
    asset!("admin.js", JS),
];

/// Strong ETags from each file's SHA-256, computed once when the router is built.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let digest = Sha256::digest(a.body.as_bytes());
            format!("\"{}\"", hex::encode(&digest[..12]))
        })
        .collect()
});

pub fn router() -> OpenApiRouter<AppState> {
    // Hash every file now, at startup, rather than on the first page load.
    LazyLock::force(&ETAGS);
    OpenApiRouter::new()
        .routes(routes!(index))
        .routes(routes!(asset))
}

#[utoipa::path(
    get,
    path = "/",
    operation_id = "get_",
    tag = "Docs",
    summary = "Built-in web dashboard (HTML)",
    description = "Own CSP; `ETag` with 304 on `If-None-Match`.",
    responses(
        (status = 200, description = "OK", body = String, content_type = "text/html")
    )
)]
async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers).unwrap_or_else(|e| e.into_response())
}

#[utoipa::path(
    get,
    path = "/assets/{file}",
    operation_id = "get_assets_file",
    tag = "Docs",
    summary = "Dashboard script, style or icon",
    description = "`ETag` with 304 on `If-None-Match`; unknown files answer the 404 envelope.",
    params(
        ("file" = String, Path)
    ),
    responses(
        (status = 200, description = "OK", body = String, content_type = "text/javascript"),
        (status = 404, description = "Not found (or another user's resource)", body = docs::common::ErrorEnvelope)
    )
)]
async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    // index.html is only served at `/`, so relative asset links cannot load it twice.
    if file == "index.html" {
        return no_such_file().into_response();
    }
    serve(&file, &headers).unwrap_or_else(|e| e.into_response())
}

/// Its own code, so an unknown file under the route is told apart from an unknown route.
fn no_such_file() -> AppError {
    AppError::not_found("ASSET_NOT_FOUND", "No such dashboard file")
}

fn serve(name: &str, request: &HeaderMap) -> Result<Response, AppError> {
    let index = ASSETS
        .iter()
        .position(|a| a.name == name)
        .ok_or_else(no_such_file)?;
    let asset = &ASSETS[index];
    let etag = &ETAGS[index];
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.into_response()
    };
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    if let Ok(value) = HeaderValue::from_str(etag) {
        out.insert(header::ETAG, value);
    }
    // File names are not content-hashed, so browsers revalidate every time (cheap 304s).
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DASHBOARD_CSP),
    );
    Ok(response)
}
