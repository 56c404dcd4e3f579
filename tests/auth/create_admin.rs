//! `amarktai create-admin`: creates or promotes an admin idempotently, as a library call and as
//! an operator runs the real binary (password on stdin or in `ADMIN_BOOTSTRAP_PASSWORD`).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use axum::Router;

use crate::common::{Engine, TestApp, TestConfig};
use crate::on_both_engines;
use crate::{body, login_with};

async fn create_admin_creates_then_promotes_idempotently(engine: Engine) {
    let config = TestConfig::new(&engine);
    let cfg = config.config();
    amarktai::cli::create_admin_with(&cfg, "Boss@Example.com", "Boss", || {
        Ok("Adm1n-password".to_string())
    })
    .await
    .unwrap();
    let store = amarktai::store::connect(&cfg).await.unwrap();
    let boss = store
        .users
        .find_by_email("boss@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(boss.is_admin());
    // Weak passwords are refused, and nothing is created.
    let err =
        amarktai::cli::create_admin_with(&cfg, "weak@example.com", "W", || Ok("short".to_string()))
            .await;
    assert!(err.is_err());
    assert!(store
        .users
        .find_by_email("weak@example.com")
        .await
        .unwrap()
        .is_none());
    // Existing users are promoted without asking for a password.
    let app = TestApp::spawn_with(config, Router::new()).await;
    app.register("later@example.com").await;
    amarktai::cli::create_admin_with(&cfg, "later@example.com", "L", || {
        anyhow::bail!("must not ask")
    })
    .await
    .unwrap();
    let later = app
        .state
        .store
        .users
        .find_by_email("later@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(later.is_admin());
    amarktai::cli::create_admin_with(&cfg, "later@example.com", "L", || {
        anyhow::bail!("must not ask")
    })
    .await
    .unwrap();
    let again = app
        .state
        .store
        .users
        .find_by_email("later@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, later, "a second run changed an existing admin");
}

/// `amarktai create-admin --email <email>` against the test config's database, `stdin` piped.
fn run_create_admin(
    config: &TestConfig,
    email: &str,
    env_password: Option<&str>,
    stdin: &str,
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_amarktai"));
    cmd.current_dir(config.dir.path())
        .env_remove("MONGODB_URL")
        .env_remove("ADMIN_BOOTSTRAP_PASSWORD")
        .envs(&config.vars)
        .args(["create-admin", "--email", email, "--first-name", "Op"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(password) = env_password {
        cmd.env("ADMIN_BOOTSTRAP_PASSWORD", password);
    }
    let mut child = cmd.spawn().expect("spawn amarktai");
    // The binary may not read stdin at all (env password, existing user): ignore a closed pipe.
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("wait")
}

fn text(out: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn create_admin_binary_reads_the_password_from_stdin_or_the_environment(engine: Engine) {
    let config = TestConfig::new(&engine);

    let out = run_create_admin(&config, "stdin@example.com", None, "Std1n-password\n");
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("Std1n-password"), "{}", text(&out));
    let out = run_create_admin(&config, "env@example.com", Some("Env-passw0rd"), "");
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("Env-passw0rd"), "{}", text(&out));
    // A weak password fails loudly (without echoing it) and creates nothing.
    let out = run_create_admin(&config, "weak@example.com", None, "weakpw7\n");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("at least 8 characters"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("weakpw7"), "{}", text(&out));
    // Running again for an existing admin does nothing and asks for nothing.
    let out = run_create_admin(&config, "stdin@example.com", None, "");
    assert!(out.status.success(), "{}", text(&out));

    let app = TestApp::spawn_with(config, Router::new()).await;
    for (email, password) in [
        ("stdin@example.com", "Std1n-password"),
        ("env@example.com", "Env-passw0rd"),
    ] {
        let resp = login_with(&app, email, password).await;
        assert_eq!(resp.status(), 200, "{email}");
        let login = body(resp).await;
        assert_eq!(login["user"]["is_admin"], true, "{login}");
        assert_eq!(login["user"]["first_name"], "Op");
    }
    assert!(app
        .state
        .store
        .users
        .find_by_email("weak@example.com")
        .await
        .unwrap()
        .is_none());
}

on_both_engines!(
    create_admin_creates_then_promotes_idempotently,
    create_admin_binary_reads_the_password_from_stdin_or_the_environment,
);
