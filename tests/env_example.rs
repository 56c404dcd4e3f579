//! `.env.example` must document every variable the code reads.

use std::path::Path;

/// Collects `"NAME"` literals passed to the config readers or `env::var` in `src/`.
fn variables_read_by_the_code(dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            variables_read_by_the_code(&path, found);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines() {
            if !(line.contains("lookup, \"")
                || line.contains("env::var(\"")
                || line.contains("from_env(\""))
            {
                continue;
            }
            for (i, part) in line.split('"').enumerate() {
                let is_literal = i % 2 == 1;
                if is_literal
                    && part.len() > 2
                    && part
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                {
                    found.push(part.to_string());
                }
            }
        }
    }
}

#[test]
fn every_variable_the_code_reads_is_documented_in_env_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join(".env.example")).expect(".env.example exists");
    let documented: Vec<&str> = example
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    let mut read = Vec::new();
    variables_read_by_the_code(&root.join("src"), &mut read);
    read.sort();
    read.dedup();
    assert!(
        read.len() > 40,
        "the scan found too few variables ({}): is it broken?",
        read.len()
    );
    let missing: Vec<&String> = read
        .iter()
        .filter(|v| !documented.contains(&v.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "undocumented in .env.example: {missing:?}"
    );
}
