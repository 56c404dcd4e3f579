//! `.env.example` must document every variable the code reads.

use std::cell::RefCell;
use std::path::Path;

use amarktai::config::Config;

/// Every name `Config` asks its lookup for, recorded while building a config in both
/// environments (production reads the same names, but recording both keeps a future
/// production-only variable from slipping past). Nothing is parsed from source text, so a
/// line break or a helper in between cannot hide a name.
fn variables_the_config_reads() -> Vec<String> {
    let data_dir = tempfile::tempdir().unwrap();
    let mut names = Vec::new();
    for env in ["development", "production"] {
        let asked = RefCell::new(Vec::new());
        let lookup = |name: &str| {
            asked.borrow_mut().push(name.to_string());
            match name {
                "ENV" => Some(env.to_string()),
                "DATA_DIR" => Some(data_dir.path().display().to_string()),
                "JWT_SECRET" => Some("a".repeat(48)),
                // Base64 of 32 zero bytes: a well-formed key.
                "API_KEY_ENCRYPTION_KEY" => {
                    Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_string())
                }
                _ => None,
            }
        };
        // A config error would stop the reads early and hide the names after it.
        if let Err(e) = Config::from_lookup(&lookup) {
            panic!("the recording config must be valid ({env}): {}", e.0);
        }
        names.extend(asked.into_inner());
    }
    names
}

/// Names read outside `Config` (e.g. `RUST_LOG`, `ADMIN_BOOTSTRAP_PASSWORD`): `"NAME"`
/// literals passed to `env::var`/`env::var_os`/`from_env`, found with all whitespace removed so
/// a call split over lines is still seen.
fn variables_read_directly(dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            variables_read_directly(&path, found);
            continue;
        }
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for call in ["env::var(\"", "env::var_os(\"", "from_env(\"", "lookup,\""] {
            for (start, _) in compact.match_indices(call) {
                let rest = &compact[start + call.len()..];
                let name = rest.split('"').next().unwrap_or_default();
                if name.len() > 2
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                {
                    found.push(name.to_string());
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
    let mut read = variables_the_config_reads();
    variables_read_directly(&root.join("src"), &mut read);
    read.sort();
    read.dedup();
    assert!(
        read.len() > 40,
        "the scan found too few variables ({}): is it broken?",
        read.len()
    );
    // Names the old line-based scan missed (the name sat on the line after the call).
    for name in [
        "ACCESS_TOKEN_EXPIRES_MIN",
        "MAX_DAILY_LOSS_PERCENT",
        "RUST_LOG",
    ] {
        assert!(read.iter().any(|r| r == name), "{name} was not seen");
    }
    let missing: Vec<&String> = read
        .iter()
        .filter(|v| !documented.contains(&v.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "undocumented in .env.example: {missing:?}"
    );
}

/// README's configuration table names every variable `.env.example` documents, literally or
/// through a grouped row such as `RATE_LIMIT_*`.
#[test]
fn every_documented_variable_has_a_row_in_the_readme_configuration_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join(".env.example")).expect(".env.example exists");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md exists");
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has a `## Configuration` section");
    let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
    let groups: Vec<&str> = rows
        .iter()
        // Only the code spans (odd pieces between backticks), never an empty prefix.
        .flat_map(|row| row.split('`').skip(1).step_by(2))
        .filter_map(|code| code.strip_suffix('*'))
        .filter(|prefix| prefix.len() > 2)
        .collect();
    let names: Vec<&str> = example
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    assert!(names.len() > 40, "too few names parsed: {names:?}");
    let missing: Vec<&&str> = names
        .iter()
        .filter(|name| {
            let quoted = format!("`{name}`");
            !rows.iter().any(|row| row.contains(&quoted))
                && !groups.iter().any(|prefix| name.starts_with(prefix))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "no README configuration row for {missing:?}"
    );
}
