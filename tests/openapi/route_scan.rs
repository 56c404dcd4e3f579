//! Lists, by reading `src/http/**/*.rs`, the routes registered with plain axum `.route(...)`
//! (which would bypass the OpenAPI router) and the operations declared by `#[utoipa::path]`
//! attributes (axum cannot list its routes at run time). Understands `.route("/path", get(h).post(h))` chains across lines,
//! `axum::routing::` prefixes and `*_service` variants; refuses anything it cannot read.

use std::collections::BTreeSet;
use std::path::Path;

const METHODS: [&str; 8] = [
    "get", "post", "put", "delete", "patch", "head", "options", "trace",
];

/// (METHOD, path) pairs, e.g. ("POST", "/api/bots/{id}/start").
pub type Route = (String, String);

/// Every route registered under `dir`, or a description of what could not be read.
pub fn routes_in(dir: &Path) -> Result<BTreeSet<Route>, String> {
    let mut found = BTreeSet::new();
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{file:?}: {e}"))?;
        let code = strip_comments(without_tests(&text));
        for route in routes_in_code(&code).map_err(|e| format!("{}: {e}", file.display()))? {
            found.insert(route);
        }
    }
    Ok(found)
}

/// (METHOD, path) of every `#[utoipa::path(method, path = "...")]` under `dir`.
pub fn annotated_in(dir: &Path) -> Result<BTreeSet<Route>, String> {
    let mut found = BTreeSet::new();
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{file:?}: {e}"))?;
        let code = strip_comments(without_tests(&text));
        for (at, _) in code.match_indices("#[utoipa::path(") {
            let rest = &code[at + "#[utoipa::path(".len()..];
            let method = rest
                .trim_start()
                .split(|c: char| !c.is_ascii_alphabetic())
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let path = rest
                .split_once("path = \"")
                .and_then(|(_, after)| after.split_once('"'))
                .map(|(path, _)| path.to_string())
                .ok_or_else(|| {
                    format!(
                        "{}: a utoipa::path without `path = \"...\"`",
                        file.display()
                    )
                })?;
            if !METHODS.contains(&method.to_ascii_lowercase().as_str()) {
                return Err(format!(
                    "{}: utoipa::path for {path} starts with no method",
                    file.display()
                ));
            }
            found.insert((method, path));
        }
    }
    Ok(found)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
            out.push(path);
        }
    }
}

/// Unit-test modules (`#[cfg(test)] mod ...`) may mount probe routes; they are not part of
/// the product. Other `#[cfg(test)]` items (a `use`, a helper) do not end the scan.
fn without_tests(text: &str) -> &str {
    let mut from = 0;
    while let Some(i) = text[from..].find("#[cfg(test)]") {
        let at = from + i;
        let after = text[at + "#[cfg(test)]".len()..].trim_start();
        if after.starts_with("mod ") || after.starts_with("pub mod ") {
            return &text[..at];
        }
        from = at + 1;
    }
    text
}

/// Removes `//` and `/* */` comments, leaving string literals intact.
pub fn strip_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '"' {
            let end = string_end(&chars, i);
            out.extend(&chars[i..end]);
            i = end;
        } else if c == '\'' && next.is_some() {
            // Char literals such as '"' or '\'' must not open a string.
            let len = if next == Some('\\') { 4 } else { 3 };
            if chars.get(i + len - 1) == Some(&'\'') {
                out.extend(&chars[i..i + len]);
                i += len;
            } else {
                out.push(c);
                i += 1;
            }
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Index just past the string literal starting at `start` (a `"`).
fn string_end(chars: &[char], start: usize) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// Index of the `)` closing the `(` at `open`, skipping string literals.
fn closing_paren(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < chars.len() {
        match chars[i] {
            '"' => {
                i = string_end(chars, i);
                continue;
            }
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The routes registered in one file's comment-free code.
pub fn routes_in_code(code: &str) -> Result<Vec<Route>, String> {
    for unsupported in [".nest(", ".nest_service("] {
        if code.contains(unsupported) {
            return Err(format!(
                "uses `{unsupported}`: teach tests/openapi/route_scan.rs about it"
            ));
        }
    }
    let chars: Vec<char> = code.chars().collect();
    let mut routes = Vec::new();
    let mut search_from = 0;
    while let Some(offset) = code[search_from..].find(".route") {
        let at = search_from + offset;
        search_from = at + ".route".len();
        let rest = &code[search_from..];
        let (is_service, skip) = if rest.starts_with("_service(") {
            (true, "_service".len())
        } else if rest.starts_with('(') {
            (false, 0)
        } else {
            continue;
        };
        let open_byte = search_from + skip;
        let open = code[..open_byte].chars().count();
        let close = closing_paren(&chars, open).ok_or("unbalanced .route(")?;
        let call: String = chars[open + 1..close].iter().collect();
        let call = call.trim_start();
        if !call.starts_with('"') {
            return Err(format!(
                "route path is not a string literal: `.route({})`",
                call.chars().take(40).collect::<String>()
            ));
        }
        let call_chars: Vec<char> = call.chars().collect();
        let end = string_end(&call_chars, 0);
        let path: String = call_chars[1..end - 1].iter().collect();
        let handlers: String = call_chars[end..].iter().collect();
        if is_service {
            return Err(format!("`.route_service(\"{path}\")` cannot be scanned"));
        }
        let methods = methods_in(&handlers);
        if methods.is_empty() {
            return Err(format!(
                "no method found for `{path}` (uses any()/on()?): extend the scanner"
            ));
        }
        for m in methods {
            routes.push((m.to_ascii_uppercase(), path.clone()));
        }
    }
    Ok(routes)
}

/// Method-router constructors in `get(a).post(b)` / `axum::routing::get(a)` / `get_service(s)`.
fn methods_in(handlers: &str) -> Vec<String> {
    let chars: Vec<char> = handlers.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !is_ident(chars[i]) || (i > 0 && is_ident(chars[i - 1])) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && is_ident(chars[j]) {
            j += 1;
        }
        let word: String = chars[i..j].iter().collect();
        let base = word.strip_suffix("_service").unwrap_or(&word);
        let mut k = j;
        while k < chars.len() && chars[k].is_whitespace() {
            k += 1;
        }
        if chars.get(k) == Some(&'(') {
            if METHODS.contains(&base) {
                found.push(base.to_string());
            } else if matches!(base, "any" | "on" | "any_service" | "on_service") {
                return Vec::new();
            }
        }
        i = j;
    }
    found
}

#[test]
fn the_scanner_reads_chains_prefixes_and_multiline_calls() {
    let code = strip_comments(
        r#"
        Router::new()
            // .route("/commented", get(x))
            .route("/a", get(list).post(create))
            .route(
                "/b/{id}",
                axum::routing::put(update)
                    .delete(remove),
            )
            .route("/c", routing::get_service(files)) /* .route("/d", get(y)) */
            .route("/e", post(handler).layer(axum::middleware::from_fn(check)))
        "#,
    );
    let routes = routes_in_code(&code).expect("scannable");
    let expected: Vec<Route> = [
        ("GET", "/a"),
        ("POST", "/a"),
        ("PUT", "/b/{id}"),
        ("DELETE", "/b/{id}"),
        ("GET", "/c"),
        ("POST", "/e"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(routes, expected);
}

#[test]
fn only_test_modules_end_the_scan() {
    let text = "#[cfg(test)]\nuse x;\n.route(\"/a\", get(h))\n#[cfg(test)]\nmod tests { .route(\"/probe\", get(p)) }";
    let routes = routes_in_code(&strip_comments(without_tests(text))).expect("scannable");
    assert_eq!(routes, vec![("GET".to_string(), "/a".to_string())]);
}

#[test]
fn the_scanner_refuses_what_it_cannot_read() {
    assert!(routes_in_code(r#".route("/x", any(h))"#).is_err());
    assert!(routes_in_code(r#".route(PATH, get(h))"#).is_err());
    assert!(routes_in_code(r#".nest("/api", inner)"#).is_err());
}
