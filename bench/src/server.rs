//! Starts the release server on a temp DATA_DIR and a free port, waits for readiness,
//! reads its RSS, and stops it.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use tokio::process::{Child, Command};

use crate::http;

/// Which storage engine the server under test uses.
#[derive(Debug, Clone)]
pub enum Engine {
    Sqlite,
    /// Each server started gets a fresh database `<db_prefix>_<n>`.
    Mongo {
        url: String,
        db_prefix: String,
    },
}

impl Engine {
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Mongo { .. } => "mongo",
        }
    }
}

/// How to start a server for a run: binary, engine and extra environment.
pub struct Launcher {
    pub binary: PathBuf,
    pub engine: Engine,
    pub extra_env: Vec<(String, String)>,
}

impl Launcher {
    pub async fn start(&self) -> Result<Server> {
        Server::start(&self.binary, &self.engine, &self.extra_env).await
    }
}

/// A running server process and where to reach it.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub addr: SocketAddr,
    pub startup: Duration,
    /// The MongoDB URL and fresh database this server uses, if any.
    pub mongo_url: Option<String>,
    pub mongo_db: Option<String>,
    /// Keeps DATA_DIR (SQLite file, server log) alive until the server is dropped.
    pub data_dir: tempfile::TempDir,
}

/// Limits high enough that the server's own rate limiting never shapes a run (see README).
const BENCH_ENV: &[(&str, &str)] = &[
    ("ENV", "local"),
    ("LOG_LEVEL", "info"),
    ("LOG_FORMAT", "json"),
    ("RATE_LIMIT_ENABLED", "true"),
    ("RATE_LIMIT_PER_MIN", "1000000"),
    ("RATE_LIMIT_BURST", "1000000"),
    ("RATE_LIMIT_IP_PER_MIN", "1000000"),
    ("RATE_LIMIT_IP_BURST", "1000000"),
    ("LOGIN_RATE_LIMIT_ATTEMPTS", "10000"),
    ("LOGIN_RATE_LIMIT_WINDOW_SECONDS", "1"),
    ("LOGIN_RATE_LIMIT_BLOCK_SECONDS", "1"),
    ("REALTIME_MAX_CONNECTIONS_PER_USER", "10000"),
    ("ENABLE_TRADING", "false"),
    ("ENABLE_SCHEDULERS", "false"),
    ("ENABLE_AUTOPILOT", "false"),
    ("ENABLE_REALTIME", "true"),
];

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind a free port")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    /// Spawns `binary` (with `extra_env` on top of the bench defaults) and returns once
    /// `/api/health/ready` answers 200; `startup` is the time from spawn to that first 200
    /// (polled every 2 ms).
    pub async fn start(
        binary: &Path,
        engine: &Engine,
        extra_env: &[(String, String)],
    ) -> Result<Server> {
        let data_dir = tempfile::Builder::new()
            .prefix("amarktai-bench-")
            .tempdir()
            .context("create temp DATA_DIR")?;
        let port = free_port()?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = std::fs::File::create(data_dir.path().join("server.log"))?;
        let mut cmd = Command::new(binary);
        // The child's working directory is the temp dir, so no stray `.env` is read.
        cmd.current_dir(data_dir.path())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("DATA_DIR", data_dir.path())
            .env(
                "JWT_SECRET",
                "bench-secret-bench-secret-bench-secret-0123456789",
            )
            .env_remove("RUST_LOG")
            .env_remove("MONGODB_URL")
            .env_remove("MONGODB_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        for (key, value) in BENCH_ENV {
            cmd.env(key, value);
        }
        let (mongo_url, mongo_db) = match engine {
            Engine::Mongo { url, db_prefix } => {
                static STARTED: AtomicUsize = AtomicUsize::new(0);
                let db = format!("{db_prefix}_{}", STARTED.fetch_add(1, Ordering::Relaxed));
                cmd.env("MONGODB_URL", url).env("MONGODB_DB", &db);
                (Some(url.clone()), Some(db))
            }
            Engine::Sqlite => (None, None),
        };
        // `--server-env` last, so an investigation can override any default above.
        for (key, value) in extra_env {
            cmd.env(key, value);
        }
        let started = Instant::now();
        let mut child = cmd
            .spawn()
            .with_context(|| format!("start {}", binary.display()))?;
        let pid = child.id().context("server pid")?;
        let deadline = started + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!(
                    "server exited with {status} before ready; see log:\n{}",
                    tail_of(&data_dir.path().join("server.log"))
                );
            }
            if let Ok(resp) = http::call(addr, "GET", "/api/health/ready", None, None).await {
                if resp.status == 200 {
                    break;
                }
            }
            if Instant::now() > deadline {
                bail!(
                    "server not ready after 60 s; log:\n{}",
                    tail_of(&data_dir.path().join("server.log"))
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let startup = started.elapsed();
        Ok(Server {
            child,
            pid,
            addr,
            startup,
            mongo_url,
            mongo_db,
            data_dir,
        })
    }

    /// Resident set size now, KiB (`VmRSS` in /proc/<pid>/status).
    pub fn rss_kib(&self) -> u64 {
        proc_status_kib(self.pid, "VmRSS:")
    }

    /// Peak resident set size so far, KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        proc_status_kib(self.pid, "VmHWM:")
    }

    /// CPU time the server has used so far (user + system), from /proc/<pid>/stat.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // Fields after the `(comm)`: state is field 3, utime 14 and stime 15 (1-based).
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        // SAFETY: sysconf has no preconditions.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / per_second)
    }

    pub fn log_path(&self) -> PathBuf {
        self.data_dir.path().join("server.log")
    }

    pub async fn stop(mut self) {
        // SIGTERM first so the server shuts down gracefully; then make sure it is gone.
        // SAFETY: plain kill(2) on the pid of our own child process.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn tail_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
