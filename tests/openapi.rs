//! The OpenAPI document is generated from the handlers and matches what the server serves
//! (both ways), has a valid 3.1 shape, and the docs page is served offline with a strict CSP
//! (and hidden in production unless enabled).

mod common;
#[path = "openapi/route_scan.rs"]
mod route_scan;

use std::collections::BTreeSet;
use std::path::Path;

use common::{Engine, TestApp, TestConfig};
use route_scan::Route;
use serde_json::Value;

const HTTP_METHODS: [&str; 8] = [
    "get", "post", "put", "delete", "patch", "head", "options", "trace",
];

fn http_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http")
}

/// Routes registered with plain axum `.route(...)` in src/http.
fn plain_routes() -> BTreeSet<Route> {
    route_scan::routes_in(&http_dir()).unwrap_or_else(|e| panic!("route scan: {e}"))
}

/// Operations declared by `#[utoipa::path]` on handlers in src/http.
fn annotated_routes() -> BTreeSet<Route> {
    let routes =
        route_scan::annotated_in(&http_dir()).unwrap_or_else(|e| panic!("attribute scan: {e}"));
    assert!(
        routes.len() > 50,
        "the attribute scan found only {} operations: is it broken?",
        routes.len()
    );
    routes
}

fn spec() -> Value {
    serde_json::from_str(amarktai::http::openapi::spec_json()).expect("the spec is JSON")
}

fn spec_routes(spec: &Value) -> BTreeSet<Route> {
    let mut routes = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths object") {
        for method in HTTP_METHODS {
            if item.get(method).is_some() {
                routes.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn listing(routes: &BTreeSet<Route>) -> String {
    routes
        .iter()
        .map(|(m, p)| format!("  {m} {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_route_bypasses_the_documented_router() {
    let plain = plain_routes();
    assert!(
        plain.is_empty(),
        "routes registered with plain `.route(...)` have no OpenAPI document: register them \
         with `.routes(routes!(handler))` and a `#[utoipa::path]` on the handler:\n{}",
        listing(&plain)
    );
}

/// Names of the types deriving `ToSchema` under `dir`, with the files declaring them.
fn schema_types(dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<String>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            schema_types(&path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.contains("derive(") && line.contains("ToSchema")) {
                continue;
            }
            for next in lines.iter().skip(i + 1).take(8) {
                let words: Vec<&str> = next.split_whitespace().collect();
                let Some(at) = words.iter().position(|w| *w == "struct" || *w == "enum") else {
                    continue;
                };
                if let Some(name) = words.get(at + 1) {
                    let name: String = name
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.entry(name)
                        .or_default()
                        .push(path.display().to_string());
                }
                break;
            }
        }
    }
}

/// utoipa keys components by the type's name: two types of one name silently share one schema,
/// and one route's answers are then checked against the other's shape.
#[test]
fn no_two_schema_types_share_a_name() {
    let mut names = std::collections::BTreeMap::new();
    schema_types(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut names,
    );
    assert!(names.len() > 50, "the scan finds the schema types");
    let clashes: Vec<String> = names
        .iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(name, files)| format!("  {name}: {}", files.join(", ")))
        .collect();
    assert!(
        clashes.is_empty(),
        "schema types sharing a name (rename one, or give it #[schema(as = ...)]):\n{}",
        clashes.join("\n")
    );
}

#[test]
fn every_annotated_handler_is_registered_and_in_the_spec() {
    let annotated = annotated_routes();
    let documented = spec_routes(&spec());
    let unregistered: BTreeSet<Route> = annotated.difference(&documented).cloned().collect();
    assert!(
        unregistered.is_empty(),
        "handlers with #[utoipa::path] that no router registers through routes!:\n{}",
        listing(&unregistered)
    );
    let phantom: BTreeSet<Route> = documented.difference(&annotated).cloned().collect();
    assert!(
        phantom.is_empty(),
        "operations in the spec with no #[utoipa::path] handler in src/http:\n{}",
        listing(&phantom)
    );
}

#[test]
fn every_status_an_operation_can_answer_for_its_shape_is_listed() {
    let spec = spec();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in HTTP_METHODS {
            let Some(op) = item.get(method) else { continue };
            let name = format!("{} {path}", method.to_ascii_uppercase());
            let responses = op["responses"].as_object().expect("responses");
            let mut expected = vec!["429", "500", "503"];
            if op.get("security").is_some() {
                expected.extend(["401", "403"]);
            }
            if path.contains('{') {
                expected.push("404");
            }
            let has_query = op["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            if has_query {
                expected.push("400");
            }
            if op.get("requestBody").is_some() {
                expected.extend(["400", "413", "415", "422"]);
            }
            for status in expected {
                assert!(
                    responses.contains_key(status),
                    "{name} does not list {status}"
                );
            }
        }
    }
}

/// Every `$ref` in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn the_spec_has_a_valid_openapi_3_1_shape() {
    let spec = spec();
    let version = spec["openapi"].as_str().expect("openapi field");
    assert!(version.starts_with("3.1."), "openapi is {version}");
    assert!(spec["info"]["title"].is_string() && spec["info"]["version"].is_string());
    let schemas = spec["components"]["schemas"]
        .as_object()
        .expect("components.schemas");
    let envelope = &schemas["ErrorEnvelope"];
    assert_eq!(envelope["properties"]["detail"]["type"], "string");
    assert!(envelope["properties"]["error"].is_object());
    assert_eq!(
        spec["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );

    let mut operation_ids = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        assert!(path.starts_with('/'), "{path}");
        for method in HTTP_METHODS {
            let Some(op) = item.get(method) else { continue };
            let name = format!("{} {path}", method.to_ascii_uppercase());
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(
                operation_ids.insert(id.to_string()),
                "{name}: duplicate operationId {id}"
            );
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: no summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name}: no tag"
            );
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s == "101"),
                "{name}: no success response"
            );
            for (status, response) in responses {
                assert!(
                    response["description"].is_string(),
                    "{name} {status}: no description"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorEnvelope",
                        "{name} {status} must use the error envelope"
                    );
                }
            }
            // Path template segments and declared path parameters agree.
            let in_path: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(in_path, declared, "{name}: path parameters");
            let needs_token = op.get("security").is_some();
            if needs_token {
                assert!(responses.contains_key("401"), "{name}: bearer without 401");
            }
        }
    }
    let mut all = Vec::new();
    refs(&spec, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(schemas.contains_key(name), "$ref {r} does not resolve");
    }
}

/// A concrete URL for a path template.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "x0" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The router's own fallback (no such route) or 405 (no such method on that path).
async fn is_unrouted(response: reqwest::Response) -> bool {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    status == 405
        || (status == 404 && body["error"]["code"] == "NOT_FOUND" && body["detail"] == "Not Found")
}

#[tokio::test]
async fn documented_routes_are_served() {
    let app = TestApp::spawn().await;
    let mut wrong = Vec::new();
    for (method, path) in spec_routes(&spec()) {
        let url = app.url(&concrete(&path));
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = app
            .client
            .request(method.clone(), url)
            .send()
            .await
            .expect("request");
        if is_unrouted(response).await {
            wrong.push(format!("  {method} {path}: documented but not served"));
        }
    }
    assert!(
        wrong.is_empty(),
        "router and spec disagree:\n{}",
        wrong.join("\n")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_spec_is_served_as_json_and_matches_the_built_document() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let served: Value = response.json().await.expect("json");
    assert_eq!(served, spec());
    app.stop().await;
}

#[tokio::test]
async fn the_docs_page_works_offline_under_a_strict_csp() {
    let app = TestApp::spawn().await;
    let page = app.get("/api/docs").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<script src="/api/docs/app.js""#));
    // No inline script: every <script> has a src and no body.
    for chunk in html.split("<script").skip(1) {
        let tag_end = chunk.find('>').expect("tag end");
        assert!(
            chunk[..tag_end].contains("src="),
            "inline <script> in the docs page"
        );
        assert!(
            chunk[tag_end + 1..].starts_with("</script>"),
            "script with a body"
        );
    }
    assert!(
        !html.contains(" style=") && !html.contains("onclick"),
        "inline style/handler"
    );

    for (path, content_type) in [
        ("/api/docs/app.js", "application/javascript"),
        ("/api/docs/style.css", "text/css"),
    ] {
        let asset = app.get(path).await;
        assert_eq!(asset.status(), 200, "{path}");
        assert!(
            asset.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
        let text = asset.text().await.unwrap();
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{path} loads remote content"
        );
        if path.ends_with(".js") {
            assert!(
                text.contains("/api/openapi.json"),
                "the script loads the spec"
            );
            assert!(
                !text.contains("innerHTML") && !text.contains("eval("),
                "unsafe DOM use"
            );
        }
    }
    app.stop().await;
}

async fn docs_status(config: TestConfig) -> Vec<u16> {
    let app = TestApp::spawn_with(config, axum::Router::new()).await;
    let mut statuses = Vec::new();
    for path in [
        "/api/openapi.json",
        "/api/docs",
        "/api/docs/app.js",
        "/api/docs/style.css",
    ] {
        statuses.push(app.get(path).await.status().as_u16());
    }
    app.stop().await;
    statuses
}

fn production() -> TestConfig {
    TestConfig::new(&Engine::Sqlite)
        .set("ENV", "production")
        .set(
            "JWT_SECRET",
            "k3V9q-prod-like-secret-4f1c2b7e9a0d5e6f7a8b9c0d",
        )
        .set(
            "API_KEY_ENCRYPTION_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
}

#[tokio::test]
async fn docs_are_off_in_production_unless_enable_docs_is_true() {
    assert_eq!(docs_status(production()).await, vec![404; 4]);
    assert_eq!(
        docs_status(production().set("ENABLE_DOCS", "true")).await,
        vec![200; 4]
    );
    assert_eq!(
        docs_status(TestConfig::new(&Engine::Sqlite).set("ENABLE_DOCS", "false")).await,
        vec![404; 4]
    );
}

#[tokio::test]
async fn a_hidden_docs_route_answers_with_the_error_envelope() {
    let app = TestApp::spawn_with(production(), axum::Router::new()).await;
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "NOT_FOUND");
    assert!(body["detail"].is_string());
    app.stop().await;
}
