//! The embedded web dashboard over real HTTP: HTML with its CSP, assets with content types and
//! ETags, 304 revalidation, no inline scripts, and `/api/*` still answering the JSON 404 envelope.

mod common;

use common::TestApp;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;

fn header(res: &reqwest::Response, name: impl reqwest::header::AsHeaderName) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn index_is_html_with_a_strict_csp_and_no_inline_code() {
    let app = TestApp::spawn().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(&res, CONTENT_TYPE).starts_with("text/html"));
    let csp = header(&res, "content-security-policy");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    // Fetch and the WebSocket only to our own origin: no `ws:`/`wss:` to any host.
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    assert!(!csp.contains("ws:") && !csp.contains("wss:"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert!(!header(&res, ETAG).is_empty());
    let html = res.text().await.unwrap();
    assert!(html.contains("<script type=\"module\" src=\"/assets/app.js\"></script>"));
    // Every <script> tag loads a file and has an empty body; no inline style blocks or attributes.
    for chunk in html.split("<script").skip(1) {
        let (tag, rest) = chunk.split_once('>').expect("script tag closes");
        assert!(tag.contains("src="), "inline script: <script{tag}>");
        assert!(
            rest.trim_start().starts_with("</script>"),
            "script body: {rest}"
        );
    }
    assert!(!html.contains("<style") && !html.contains("style=\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN links"
    );
    app.stop().await;
}

#[tokio::test]
async fn assets_have_their_content_types_and_etags() {
    let app = TestApp::spawn().await;
    for (path, ty) in [
        ("/assets/app.js", "text/javascript"),
        ("/assets/realtime.js", "text/javascript"),
        ("/assets/app.css", "text/css"),
        ("/assets/favicon.svg", "image/svg+xml"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(header(&res, CONTENT_TYPE).starts_with(ty), "{path}");
        let etag = header(&res, ETAG);
        assert!(etag.starts_with('"') && etag.len() > 10, "{path}: {etag}");
        assert_eq!(header(&res, CACHE_CONTROL), "no-cache");
        assert!(header(&res, "content-security-policy").contains("default-src 'self'"));
        assert!(!res.text().await.unwrap().is_empty());
    }
    // Different files, different tags.
    let a = header(&app.get("/assets/app.js").await, ETAG);
    let b = header(&app.get("/assets/api.js").await, ETAG);
    assert_ne!(a, b);
    app.stop().await;
}

#[tokio::test]
async fn if_none_match_answers_304_and_a_stale_tag_the_file() {
    let app = TestApp::spawn().await;
    for path in ["/", "/assets/app.css"] {
        let etag = header(&app.get(path).await, ETAG);
        let res = app
            .client
            .get(app.url(path))
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(header(&res, ETAG), etag);
        assert!(res.bytes().await.unwrap().is_empty());
        let res = app
            .client
            .get(app.url(path))
            .header(IF_NONE_MATCH, "\"stale\"")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn unknown_api_paths_and_assets_are_json_404_envelopes() {
    let app = TestApp::spawn().await;
    for (path, code) in [
        ("/api/nope", "NOT_FOUND"),
        ("/api/", "NOT_FOUND"),
        ("/api/assets/app.js", "NOT_FOUND"),
        ("/assets/../Cargo.toml", "NOT_FOUND"),
        ("/assets/sub/app.js", "NOT_FOUND"),
        ("/assets/nope.js", "ASSET_NOT_FOUND"),
        ("/assets/index.html", "ASSET_NOT_FOUND"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            header(&res, CONTENT_TYPE).starts_with("application/json"),
            "{path}"
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{path}");
    }
    // JSON responses keep the locked-down API policy, not the dashboard's.
    let res = app.get("/api/nope").await;
    assert!(header(&res, "content-security-policy").starts_with("default-src 'none'"));
    app.stop().await;
}

#[tokio::test]
async fn every_module_the_html_and_scripts_import_is_served() {
    let app = TestApp::spawn().await;
    let html = app.get("/").await.text().await.unwrap();
    let mut pending = vec!["app.js".to_string()];
    assert!(html.contains("/assets/app.css"));
    let mut seen = std::collections::HashSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let res = app.get(&format!("/assets/{name}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{name}");
        let js = res.text().await.unwrap();
        for line in js.lines().filter(|l| l.starts_with("import ")) {
            let target = line.split("'./").nth(1).and_then(|s| s.split('\'').next());
            pending.push(target.expect("relative import").to_string());
        }
    }
    assert!(seen.len() >= 10, "{seen:?}");
    app.stop().await;
}
