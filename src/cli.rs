//! Command-line interface: `serve` (default), `migrate`, `doctor`, `create-admin`,
//! `rotate-keys`, `data import|download|list`, `backtest`.

pub mod backtest;
pub mod data;
mod rotate_keys;

pub use rotate_keys::{rotate_keys, rotate_store, sealer_for, RotationReport};

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "amarktai",
    version,
    about = "Amarktai trading-bot platform API server"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP server (the default).
    Serve,
    /// Apply database migrations / indexes and exit.
    Migrate,
    /// Check configuration, secrets, database and port; exit 0 only when healthy.
    Doctor,
    /// Create (or promote) an admin. Password from `ADMIN_BOOTSTRAP_PASSWORD` or stdin.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Admin")]
        first_name: String,
    },
    /// Re-encrypt every stored exchange / AI key still under key ID with the current
    /// `API_KEY_ENCRYPTION_KEY` (the old key comes from `API_KEY_ENCRYPTION_KEY_OLD`).
    /// Safe to interrupt and re-run.
    RotateKeys {
        /// Key id of the old key (the `<id>` in stored `v1:<id>:...` values).
        #[arg(long)]
        old_key_id: String,
    },
    /// Market data: import candle files, list stored datasets.
    Data {
        #[command(subcommand)]
        command: data::DataCommand,
    },
    /// Run a strategy over a candle file or a stored dataset and print its metrics.
    Backtest(Box<backtest::BacktestArgs>),
}

/// Initialises logging: JSON lines in production, human-readable in development.
///
/// `queued`: lines go through the log writer's queue (the server: no request waits on log
/// I/O). One-shot commands write synchronously, so their log lines and printed results
/// keep their order on stdout.
pub fn init_tracing(config: &Config, queued: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{},sqlx=warn,mongodb=warn,hyper=warn",
            config.log_level
        ))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    // Lines leave through a bounded queue and one writer thread (a request never waits on log
    // I/O); if that thread cannot start, write directly rather than not log at all.
    let sink = match queued.then(crate::log_writer::stdout_queue) {
        Some(Ok(queue)) => crate::log_writer::LogSink::Queue(queue),
        Some(Err(e)) => {
            eprintln!("log writer thread failed to start ({e}); logging synchronously");
            crate::log_writer::LogSink::Stdout
        }
        None => crate::log_writer::LogSink::Stdout,
    };
    let queue = match &sink {
        crate::log_writer::LogSink::Queue(queue) => Some(queue.clone()),
        crate::log_writer::LogSink::Stdout => None,
    };
    let builder = builder.with_writer(sink);
    match config.log_format {
        // The same lines as `.json().flatten_event(true).with_current_span(false)`, written
        // without `serde_json` maps (issue 20); the request context comes from the task-local.
        crate::config::LogFormat::Json => {
            crate::log_format::use_task_local_request_context();
            let installed = builder
                .fmt_fields(crate::log_format::JsonSpanFields)
                .event_format(crate::log_format::JsonLines)
                .try_init()
                .is_ok();
            // The access line is then written by the request gate itself, same bytes.
            if let (true, Some(queue)) = (installed, queue) {
                crate::log_writer::write_access_lines_directly(queue);
            }
        }
        crate::config::LogFormat::Pretty => {
            let _ = builder.compact().try_init();
        }
    }
}

/// Applies migrations on the configured store.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let store = crate::store::connect_with(config, config.db_connect_attempts, false).await?;
    store.admin.migrate().await?;
    println!("migrations applied on {}", store.engine());
    store.admin.close().await;
    Ok(())
}

/// Creates an admin account, or promotes (and activates) an existing one; idempotent.
pub async fn create_admin(config: &Config, email: &str, first_name: &str) -> anyhow::Result<()> {
    create_admin_with(config, email, first_name, bootstrap_password).await
}

/// `create_admin` with an explicit password source (asked only when a new account is made).
pub async fn create_admin_with(
    config: &Config,
    email: &str,
    first_name: &str,
    password_source: impl FnOnce() -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    use crate::domain::user::{normalize_email, Role, User, UserStatus};
    let email = normalize_email(email);
    crate::domain::auth_rules::check_email(&email)
        .map_err(|f| anyhow::anyhow!("--email: {}", f.message))?;
    let store = crate::store::connect(config).await?;
    let now = chrono::Utc::now();
    if let Some(mut user) = store.users.find_by_email(&email).await? {
        let changed = user.role != Role::Admin || user.status != UserStatus::Active;
        user.role = Role::Admin;
        user.status = UserStatus::Active;
        user.updated_at = now;
        if changed {
            user.token_version += 1;
            store.users.update(&user).await?;
            println!("{email} promoted to admin (password unchanged)");
        } else {
            println!("{email} is already an active admin; nothing to do");
        }
        store.admin.close().await;
        return Ok(());
    }
    let password = password_source()?;
    crate::domain::auth_rules::check_password("password", &password)
        .map_err(|f| anyhow::anyhow!("{}", f.message))?;
    let hash = crate::auth::password::hash(password)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    let mut user = User::new(&email, first_name, hash, UserStatus::Active, now);
    user.role = Role::Admin;
    store.users.create(&user).await?;
    println!("admin {email} created (id {})", user.id);
    store.admin.close().await;
    Ok(())
}

/// `ADMIN_BOOTSTRAP_PASSWORD`, else the first line of stdin (never a hard-coded default).
fn bootstrap_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("ADMIN_BOOTSTRAP_PASSWORD") {
        if !password.trim().is_empty() {
            return Ok(password.trim_end_matches(['\r', '\n']).to_string());
        }
    }
    eprintln!("Admin password (one line on stdin):");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        anyhow::bail!("no password given: set ADMIN_BOOTSTRAP_PASSWORD or pipe it on stdin");
    }
    Ok(password)
}

struct Doctor {
    failures: u32,
}

impl Doctor {
    fn check(&mut self, name: &str, result: Result<String, String>) {
        match result {
            Ok(detail) => println!("[ok]   {name}: {detail}"),
            Err(detail) => {
                self.failures += 1;
                println!("[FAIL] {name}: {detail}");
            }
        }
    }
}

/// Runs every check, printing one line each; exit code 0 only when all pass.
pub async fn doctor() -> ExitCode {
    let mut doctor = Doctor { failures: 0 };
    let config = match Config::from_env() {
        Ok(config) => {
            doctor.check(
                "config",
                Ok(format!("valid ({} environment)", config.env.as_str())),
            );
            config
        }
        Err(e) => {
            // In development the config generates its secrets inside DATA_DIR, so an unusable
            // data dir surfaces here: name it as the data dir check an operator looks for.
            let name = if e.0.starts_with("DATA_DIR ") {
                "data dir"
            } else {
                "config"
            };
            doctor.check(name, Err(e.0));
            println!("{} check(s) failed", doctor.failures);
            return ExitCode::FAILURE;
        }
    };
    let issues = config.readiness_issues();
    doctor.check(
        "secrets",
        if issues.is_empty() {
            Ok("JWT secret and encryption key sane".into())
        } else {
            Err(issues.join("; "))
        },
    );
    doctor.check("data dir", data_dir_writable(&config));
    let store = crate::store::connect_with(&config, 1, false).await;
    match &store {
        Ok(store) => {
            doctor.check("database", Ok(format!("{} reachable", store.engine())));
            let applied = store.admin.migrations_applied().await;
            doctor.check(
                "migrations",
                match applied {
                    Ok(true) => Ok("applied".into()),
                    Ok(false) => Err("not applied; run `amarktai migrate` (the server also applies them at start)".into()),
                    Err(e) => Err(e.to_string()),
                },
            );
        }
        Err(e) => {
            doctor.check(
                "database",
                Err(format!("{} not reachable: {e}", config.storage_engine())),
            );
        }
    }
    let addr = format!("{}:{}", config.host, config.port);
    doctor.check(
        "port",
        match TcpListener::bind(&addr).await {
            Ok(_) => Ok(format!("{addr} is free")),
            // On a live host the running service holds the port: say so rather than alarm.
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(format!(
                "{addr} is in use (is the amarktai service already running? then this is expected)"
            )),
            Err(e) => Err(format!("{addr} cannot be bound: {e}")),
        },
    );
    if let Ok(store) = store {
        doctor.check("test start", test_start(config, store).await);
    }
    if doctor.failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{} check(s) failed", doctor.failures);
        ExitCode::FAILURE
    }
}

/// The embedded store (and the dev JWT secret file) live in `DATA_DIR`: it must be writable.
fn data_dir_writable(config: &Config) -> Result<String, String> {
    let dir = &config.data_dir;
    let shown = dir.display();
    if config.storage_engine() != "sqlite" {
        return Ok(format!("{shown} (not used by the mongodb engine)"));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{shown} cannot be created: {e}"))?;
    let probe = dir.join(".amarktai-doctor-probe");
    std::fs::write(&probe, b"ok").map_err(|e| format!("{shown} is not writable: {e}"))?;
    let _ = std::fs::remove_file(&probe);
    Ok(format!("{shown} is writable"))
}

/// Starts the app on a loopback ephemeral port and asks `/api/health/ping`.
async fn test_start(config: Config, store: crate::store::Store) -> Result<String, String> {
    let state = crate::state::AppState::new(config, store);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
    let shutdown = state.shutdown.clone();
    let server = tokio::spawn(crate::serve(
        listener,
        crate::build_app(state),
        shutdown.clone(),
    ));
    let result = reqwest::get(format!("http://{addr}/api/health/ping")).await;
    shutdown.cancel();
    let _ = server.await;
    match result {
        Ok(resp) if resp.status().is_success() => Ok("/api/health/ping answered 200".into()),
        Ok(resp) => Err(format!("/api/health/ping answered {}", resp.status())),
        Err(e) => Err(format!("request failed: {e}")),
    }
}
