//! `amarktai-bench`: starts the release server and runs the load scenarios of bench/README.md.

mod fanout;
mod http;
mod load;
mod report;
mod scenarios;
mod seed;
#[path = "../portfolio/seed_trades.rs"]
mod seed_trades;
mod server;
mod stats;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};

use scenarios::{EngineReport, Settings};
use server::{Engine, Launcher};

const USAGE: &str = "\
usage: amarktai-bench [options]
  --bin PATH             server binary (env AMARKTAI_BIN; default ../target/release/amarktai)
  --duration SECS        measured seconds per scenario (default 10)
  --warmup SECS          discarded warm-up seconds per scenario (default 2)
  --connections N        keep-alive connections for scenarios 1-3 and 5 (default 64)
  --login-connections N  concurrent logins in scenario 4 (default 4)
  --fanout LIST          realtime client counts (default 1000,5000,10000)
  --trades LIST          portfolio trade counts (default 1000,100000,1000000)
  --only LIST            scenario numbers to run, e.g. 1,2,6 (default all)
  --engines LIST         sqlite,mongo (default sqlite, plus mongo when MONGODB_URL is set)
  --client-threads N     load-generator threads (default 1)
  --server-env K=V       extra server environment, repeatable (e.g. LOG_LEVEL=warn)
  --out FILE             also write the Markdown report to FILE";

struct Args {
    binary: PathBuf,
    settings: Settings,
    engines: Vec<String>,
    client_threads: usize,
    server_env: Vec<(String, String)>,
    out: Option<PathBuf>,
}

fn list<T: std::str::FromStr>(flag: &str, raw: &str) -> Result<Vec<T>> {
    raw.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{flag}: bad value {s:?}"))
        })
        .collect()
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        binary: std::env::var_os("AMARKTAI_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("../target/release/amarktai")),
        settings: Settings {
            connections: 64,
            login_connections: 4,
            warmup: Duration::from_secs(2),
            duration: Duration::from_secs(10),
            fanout_clients: vec![1_000, 5_000, 10_000],
            trade_counts: vec![1_000, 100_000, 1_000_000],
            only: None,
        },
        engines: Vec::new(),
        client_threads: 1,
        server_env: Vec::new(),
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it
            .next()
            .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<u64>()
                .with_context(|| format!("{flag}: not a number"))
        };
        match flag.as_str() {
            "--bin" => args.binary = PathBuf::from(&value),
            "--duration" => args.settings.duration = Duration::from_secs(number()?),
            "--warmup" => args.settings.warmup = Duration::from_secs(number()?),
            "--connections" => args.settings.connections = number()?.max(1) as usize,
            "--login-connections" => args.settings.login_connections = number()?.max(1) as usize,
            "--fanout" => args.settings.fanout_clients = list(&flag, &value)?,
            "--trades" => args.settings.trade_counts = list(&flag, &value)?,
            "--only" => args.settings.only = Some(list(&flag, &value)?),
            "--engines" => args.engines = list(&flag, &value)?,
            "--client-threads" => args.client_threads = number()?.max(1) as usize,
            "--out" => args.out = Some(PathBuf::from(&value)),
            "--server-env" => {
                let (key, val) = value
                    .split_once('=')
                    .with_context(|| format!("--server-env wants KEY=VALUE, got {value:?}"))?;
                args.server_env.push((key.to_string(), val.to_string()));
            }
            _ => bail!("unknown option {flag}\n{USAGE}"),
        }
    }
    if args.engines.is_empty() {
        args.engines.push("sqlite".to_string());
        if std::env::var("MONGODB_URL").is_ok_and(|v| !v.trim().is_empty()) {
            args.engines.push("mongo".to_string());
        }
    }
    Ok(args)
}

/// Raises the soft open-file limit to the hard limit (the server child inherits it) and
/// returns the limit now in force.
fn raise_fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid pointer to a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// The open-file limit in force for this process (and so for the server it starts).
pub fn fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit with a valid pointer to a local struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    limit.rlim_cur
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim())
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cores} cores, {mem_gib:.0} GiB, Linux {}",
        kernel.trim()
    )
}

/// Today's date (UTC) as YYYY-MM-DD.
fn today_utc() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400);
    let (year, month, day) = amarktai::log_format::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

fn engine_for(name: &str) -> Result<Engine> {
    match name {
        "sqlite" => Ok(Engine::Sqlite),
        "mongo" => {
            let url = std::env::var("MONGODB_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .context("--engines mongo needs MONGODB_URL")?;
            let stamp = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Ok(Engine::Mongo {
                url,
                db_prefix: format!("amarktai_bench_{stamp}"),
            })
        }
        other => bail!("unknown engine {other:?} (sqlite or mongo)"),
    }
}

async fn run_engine(args: &Args, engine: Engine) -> Result<(EngineReport, String)> {
    eprintln!("engine {}", engine.name());
    let launcher = Launcher {
        binary: args.binary.clone(),
        engine,
        extra_env: args.server_env.clone(),
    };
    let server = launcher.start().await?;
    if let Some(db) = &server.mongo_db {
        eprintln!("  MongoDB database {db} (and _1, _2, ... for the fan-out rounds): drop them afterwards");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut report = EngineReport {
        engine: launcher.engine.name().to_string(),
        startup: server.startup,
        idle_rss_kib: server.rss_kib(),
        ..Default::default()
    };
    eprintln!(
        "  ready in {:.0} ms, idle RSS {:.1} MiB (server log: {})",
        server.startup.as_secs_f64() * 1000.0,
        report.idle_rss_kib as f64 / 1024.0,
        server.log_path().display()
    );
    let version = http::call_ok(server.addr, "GET", "/api/version", None, None)
        .await
        .ok();
    let commit = version
        .as_ref()
        .and_then(|v| v["git_sha"].as_str())
        .unwrap_or("unknown")
        .to_string();
    let outcome = scenarios::run_all(&server, &args.settings, &mut report).await;
    server.stop().await;
    outcome?;
    if args.settings.wants(6) {
        scenarios::realtime(&launcher, &args.settings, &mut report).await?;
    }
    Ok((report, commit))
}

async fn run(args: Args) -> Result<()> {
    if !args.binary.exists() {
        bail!(
            "server binary {} not found: run `cargo build --release` at the repository root \
             or pass --bin / AMARKTAI_BIN",
            args.binary.display()
        );
    }
    let fd = raise_fd_limit();
    eprintln!("open-file limit: {fd}");
    let mut reports = Vec::new();
    let mut commit = "unknown".to_string();
    for name in &args.engines {
        let (report, sha) = run_engine(&args, engine_for(name)?).await?;
        commit = sha;
        reports.push(report);
    }
    let info = report::RunInfo {
        machine: machine(),
        date: today_utc(),
        commit,
        client_threads: args.client_threads,
        duration_s: args.settings.duration.as_secs(),
    };
    let text = report::markdown(&info, &reports);
    println!("{text}");
    if let Some(path) = &args.out {
        std::fs::write(path, &text).with_context(|| format!("write {}", path.display()))?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_date_is_plausible() {
        let d = super::today_utc();
        assert_eq!(d.len(), 10);
        assert!(d.starts_with("20"));
    }
}
