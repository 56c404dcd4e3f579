//! `amarktai doctor` and `amarktai migrate` as an operator runs them.

use std::process::Command;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn amarktai(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amarktai"));
    cmd.current_dir(dir)
        .env_remove("MONGODB_URL")
        .env("DATA_DIR", dir.join("data"))
        .env("HOST", "127.0.0.1")
        .env("JWT_SECRET", "doctor-test-secret-0123456789-abcdefghij");
    cmd
}

#[test]
fn doctor_passes_on_a_healthy_setup_after_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    let migrate = amarktai(dir.path())
        .arg("migrate")
        .env("PORT", &port)
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let out = amarktai(dir.path())
        .arg("doctor")
        .env("PORT", &port)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for check in [
        "[ok]   config",
        "[ok]   secrets",
        "[ok]   data dir",
        "[ok]   database",
        "[ok]   migrations",
        "[ok]   port",
        "[ok]   test start",
    ] {
        assert!(text.contains(check), "missing {check:?} in:\n{text}");
    }
}

#[test]
fn doctor_fails_with_a_clear_line_for_each_broken_precondition() {
    let dir = tempfile::tempdir().unwrap();
    // A bad secret stops at the config check.
    let out = amarktai(dir.path())
        .arg("doctor")
        .env("JWT_SECRET", "short")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains("[FAIL] config: JWT_SECRET must be at least 32 bytes"),
        "{text}"
    );

    // Migrations not applied yet, and the port is taken.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = amarktai(dir.path())
        .arg("doctor")
        .env("PORT", &port)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("[FAIL] migrations"), "{text}");
    assert!(
        text.contains(&format!(
            "[FAIL] port: 127.0.0.1:{port} is in use (is the amarktai service already running?"
        )),
        "{text}"
    );

    // An unreachable database.
    let out = amarktai(dir.path())
        .arg("doctor")
        .env(
            "MONGODB_URL",
            format!("mongodb://127.0.0.1:{}", free_port()),
        )
        .env("DB_TIMEOUT_MS", "300")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        text.contains("[FAIL] database: mongodb not reachable"),
        "{text}"
    );
}

#[test]
fn doctor_fails_the_secrets_check_for_a_placeholder_jwt_secret() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port().to_string();
    // Long enough to be accepted in development, but copied from an example.
    let placeholder = "change-me-to-a-long-random-value-0123456789";
    let migrate = amarktai(dir.path())
        .arg("migrate")
        .env("JWT_SECRET", placeholder)
        .output()
        .unwrap();
    assert!(migrate.status.success());
    let out = amarktai(dir.path())
        .arg("doctor")
        .env("PORT", &port)
        .env("JWT_SECRET", placeholder)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("[ok]   config"), "{text}");
    assert!(
        text.contains("[FAIL] secrets: JWT secret is a placeholder"),
        "{text}"
    );
    // The secret is the only problem: every other check passes.
    assert!(text.contains("[ok]   test start"), "{text}");
    assert!(text.contains("1 check(s) failed"), "{text}");
}

#[test]
fn doctor_names_a_malformed_encryption_key() {
    let dir = tempfile::tempdir().unwrap();
    for (key, message) in [
        (
            "not base64 at all!",
            "API_KEY_ENCRYPTION_KEY must be base64 of 32 bytes",
        ),
        // Valid base64 of 16 bytes: the wrong length.
        (
            "AAECAwQFBgcICQoLDA0ODw==",
            "API_KEY_ENCRYPTION_KEY must decode to exactly 32 bytes",
        ),
    ] {
        let out = amarktai(dir.path())
            .arg("doctor")
            .env("API_KEY_ENCRYPTION_KEY", key)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{text}");
        assert!(
            text.contains(&format!("[FAIL] config: {message}")),
            "{text}"
        );
    }
}

#[test]
fn doctor_names_a_production_setup_without_an_encryption_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = amarktai(dir.path())
        .arg("doctor")
        .env("ENV", "production")
        .env_remove("API_KEY_ENCRYPTION_KEY")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("[FAIL] config: API_KEY_ENCRYPTION_KEY is required when ENV=production"),
        "{text}"
    );
}

#[test]
fn doctor_names_a_data_dir_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    // A path below a regular file can never be created, even by root (CI runs as root, so
    // permission bits alone would not make a directory unwritable).
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"file").unwrap();
    let out = amarktai(dir.path())
        .arg("doctor")
        .env("DATA_DIR", blocker.join("data"))
        .env("PORT", free_port().to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("[FAIL] data dir: "), "{text}");
    assert!(text.contains("cannot be created"), "{text}");
    assert!(text.contains("check(s) failed"), "{text}");
}

#[test]
fn a_bad_setting_stops_the_server_at_boot_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = amarktai(dir.path())
        .env("PORT", "not-a-port")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "configuration error: PORT must be a number (got \"not-a-port\")"
    );
}

/// `scripts/doctor.sh` on a deployed host: it runs the installed binary with the service's
/// environment file (here a temp file, the test binary and the current user stand in for
/// `/etc/amarktai/amarktai.env`, `/usr/local/bin/amarktai` and the `amarktai` user).
#[test]
fn doctor_script_uses_the_service_environment_file_on_a_deployed_host() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("service-data");
    let env_file = dir.path().join("amarktai.env");
    std::fs::write(
        &env_file,
        format!(
            "# comments are skipped\nDATA_DIR={}\nHOST=127.0.0.1\nPORT={}\nJWT_SECRET={}\n",
            data_dir.display(),
            free_port(),
            "change-me-placeholder-from-the-env-file-0123456789",
        ),
    )
    .unwrap();
    let me = Command::new("id").arg("-un").output().unwrap();
    let me = String::from_utf8_lossy(&me.stdout).trim().to_string();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/doctor.sh");
    let out = Command::new("bash")
        .arg(script)
        .env_remove("MONGODB_URL")
        .env_remove("JWT_SECRET")
        .env_remove("DATA_DIR")
        .env("AMARKTAI_ENV_FILE", &env_file)
        .env("AMARKTAI_BIN", env!("CARGO_BIN_EXE_amarktai"))
        .env("AMARKTAI_USER", &me)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    // The settings came from the env file: its data dir and its (placeholder) secret.
    assert!(
        text.contains(&format!(
            "[ok]   data dir: {} is writable",
            data_dir.display()
        )),
        "{text}"
    );
    assert!(
        text.contains("[FAIL] secrets: JWT secret is a placeholder"),
        "{text}"
    );
}
