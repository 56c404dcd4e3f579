//! The six load scenarios of the benchmarks issue, run against started servers.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::json;

use crate::fanout::{self, FanoutResult, Transport};
use crate::http;
use crate::load::{self, Shape};
use crate::seed;
use crate::server::{Launcher, Server};
use crate::stats::Summary;

/// Knobs shared by every scenario.
#[derive(Debug, Clone)]
pub struct Settings {
    pub connections: usize,
    pub login_connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub fanout_clients: Vec<usize>,
    pub trade_counts: Vec<usize>,
    pub only: Option<Vec<u8>>,
}

impl Settings {
    pub fn wants(&self, scenario: u8) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| only.contains(&scenario))
    }
}

/// One row of the throughput table.
#[derive(Debug, Clone)]
pub struct LoadRow {
    pub id: String,
    pub name: String,
    pub connections: usize,
    pub summary: Summary,
    pub rss_kib: u64,
    /// Server CPU time per answered request: unlike req/s it stays meaningful when other
    /// processes share the cores. For logins (4b): the window's CPU beyond the /me requests.
    pub cpu_us_per_req: Option<f64>,
}

/// Everything one engine's run produced.
#[derive(Debug, Default)]
pub struct EngineReport {
    pub engine: String,
    pub startup: Duration,
    pub idle_rss_kib: u64,
    pub peak_rss_kib: u64,
    pub rows: Vec<LoadRow>,
    pub fanout: Vec<FanoutResult>,
    pub skipped: Vec<String>,
    /// How the data behind a scenario was set up (e.g. trades seeded for scenario 5).
    pub notes: Vec<String>,
}

impl EngineReport {
    pub fn row(&self, id: &str) -> Option<&LoadRow> {
        self.rows.iter().find(|r| r.id == id)
    }
}

/// Scenarios 1–5 on one server: seeds a user for `/me` and logins and one with 20 bots, then
/// measures each scenario in turn.
pub async fn run_all(
    server: &Server,
    settings: &Settings,
    report: &mut EngineReport,
) -> Result<()> {
    let addr = server.addr;
    let me_user = seed::user(addr, "bench-me").await?;
    let bots_user = seed::user(addr, "bench-bots").await?;
    seed::bots(addr, &bots_user.token, 20).await?;
    let listed = http::call_ok(addr, "GET", "/api/bots", Some(&bots_user.token), None).await?;
    let count = listed.as_array().map_or(0, Vec::len);
    if count != 20 {
        bail!("seeded 20 bots but GET /api/bots lists {count}");
    }
    let conns = settings.connections;
    let measure = |shape: Shape, connections: usize| {
        load::run(addr, shape, connections, settings.warmup, settings.duration)
    };
    let cpu = CpuWindow::new(server, settings);
    let me = Shape::get("/api/auth/me", Some(&me_user.token));

    if settings.wants(1) {
        eprintln!("  1. GET /api/health/live");
        let (s, used) = cpu
            .around(measure(Shape::get("/api/health/live", None), conns))
            .await;
        let per_req = cpu.per_request(used, &s);
        push(
            report,
            server,
            "1",
            "GET /api/health/live",
            conns,
            s,
            per_req,
        );
    }
    if settings.wants(2) {
        eprintln!("  2. GET /api/auth/me");
        let (s, used) = cpu.around(measure(me.clone(), conns)).await;
        let per_req = cpu.per_request(used, &s);
        push(report, server, "2", "GET /api/auth/me", conns, s, per_req);
    }
    if settings.wants(3) {
        eprintln!("  3. GET /api/bots (20 bots)");
        let bots = Shape::get("/api/bots", Some(&bots_user.token));
        let (s, used) = cpu.around(measure(bots, conns)).await;
        let per_req = cpu.per_request(used, &s);
        push(
            report,
            server,
            "3",
            "GET /api/bots (20 bots)",
            conns,
            s,
            per_req,
        );
    }
    if settings.wants(4) {
        eprintln!(
            "  4. GET /api/auth/me with {} connections logging in",
            settings.login_connections
        );
        let login_body = json!({"email": me_user.email, "password": seed::PASSWORD});
        let login = Shape::post_json("/api/auth/login", &login_body);
        let ((me_summary, login_summary), used) = cpu
            .around(async {
                tokio::join!(
                    measure(me.clone(), conns),
                    measure(login, settings.login_connections)
                )
            })
            .await;
        // A login's CPU: what the window used beyond the /me requests at scenario 2's cost.
        let me_cost = report.row("2").and_then(|r| r.cpu_us_per_req);
        let login_cost = me_cost.and_then(|me_us| {
            let logins = cpu.answered(&login_summary);
            let me_used = me_us * cpu.answered(&me_summary);
            (logins > 0.0).then(|| (used.as_secs_f64() * 1e6 - me_used).max(0.0) / logins)
        });
        let me_name = "GET /api/auth/me under login load";
        push(report, server, "4", me_name, conns, me_summary, None);
        let login_name = "POST /api/auth/login (argon2id), concurrent";
        let logins = settings.login_connections;
        push(
            report,
            server,
            "4b",
            login_name,
            logins,
            login_summary,
            login_cost,
        );
    }
    if settings.wants(5) {
        portfolio(server, settings, report).await?;
    }
    report.peak_rss_kib = server.peak_rss_kib();
    Ok(())
}

/// Measures the server's CPU time over the measured part of a run (after the warm-up).
struct CpuWindow<'a> {
    server: &'a Server,
    warmup: Duration,
    window: Duration,
}

impl<'a> CpuWindow<'a> {
    fn new(server: &'a Server, settings: &Settings) -> Self {
        CpuWindow {
            server,
            warmup: settings.warmup,
            window: settings.duration,
        }
    }

    /// Runs `load`; returns its output and the server CPU time used after the warm-up.
    async fn around<T>(&self, load: impl std::future::Future<Output = T>) -> (T, Duration) {
        let snapshot = async {
            tokio::time::sleep(self.warmup).await;
            self.server.cpu_time()
        };
        let (output, before) = tokio::join!(load, snapshot);
        (output, self.server.cpu_time().saturating_sub(before))
    }

    /// Requests `summary` answered inside the measured window.
    fn answered(&self, summary: &Summary) -> f64 {
        summary.rps * self.window.as_secs_f64()
    }

    /// Server CPU µs per answered request.
    fn per_request(&self, used: Duration, summary: &Summary) -> Option<f64> {
        let n = self.answered(summary);
        (n > 0.0).then(|| used.as_secs_f64() * 1e6 / n)
    }
}

fn push(
    report: &mut EngineReport,
    server: &Server,
    id: &str,
    name: &str,
    connections: usize,
    summary: Summary,
    cpu_us_per_req: Option<f64>,
) {
    eprintln!(
        "     {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, errors {}, server CPU {} µs/req",
        summary.rps,
        summary.p50_ms,
        summary.p99_ms,
        summary.failure_text(),
        cpu_us_per_req.map_or("–".to_string(), |us| format!("{us:.0}"))
    );
    report.rows.push(LoadRow {
        id: id.to_string(),
        name: name.to_string(),
        connections,
        summary,
        rss_kib: server.rss_kib(),
        cpu_us_per_req,
    });
}

/// The read routes scenario 5 loads for a user with many trades: the summary, then
/// the other routes the dashboard's portfolio view calls (their store calls are the rows of
/// `cargo bench --bench portfolio`, see bench/portfolio/README.md).
const PORTFOLIO_ROUTES: [&str; 4] = [
    "/api/portfolio/summary",
    "/api/profits?period=daily&limit=30",
    "/api/analytics/win_rate?period=30d",
    "/api/trades?limit=50",
];

/// Scenario 5: for each trade count, a fresh user with one bot and that many closed trades
/// (seeded into the server's store, see `seed::trades`), then each of `PORTFOLIO_ROUTES`
/// under load. Skipped with a reason when `/api/portfolio/summary` is not served.
async fn portfolio(server: &Server, settings: &Settings, report: &mut EngineReport) -> Result<()> {
    let addr = server.addr;
    for &count in &settings.trade_counts {
        let user = seed::user(addr, &format!("bench-trades-{count}")).await?;
        let summary_path = PORTFOLIO_ROUTES[0];
        let probe = http::call(addr, "GET", summary_path, Some(&user.token), None).await?;
        if probe.status == 404 {
            let reason = format!("5. skipped: GET {summary_path} answers 404 (not in this build)");
            eprintln!("  {reason}");
            report.skipped.push(reason);
            return Ok(());
        }
        let bot_id = seed::one_bot(addr, &user.token, "bench-portfolio-bot").await?;
        let user_id = seed::user_id(addr, &user.token).await?;
        eprintln!("  5. seeding {count} trades");
        let started = Instant::now();
        let stored = seed::trades(server, &user_id, &bot_id, count).await?;
        let seeded_in = started.elapsed();
        // The server must see every seeded trade, or the rows below would measure less.
        let summary = http::call_ok(addr, "GET", summary_path, Some(&user.token), None).await?;
        let seen = summary["total_trades"].as_u64().unwrap_or(0);
        if stored != count as u64 || seen != count as u64 {
            bail!("seeded {count} trades: stored {stored}, the summary counts {seen}");
        }
        let note = format!(
            "5. {count} trades seeded in {:.1} s (one user, one bot, spread over {} days); \
             the summary counts {seen}",
            seeded_in.as_secs_f64(),
            crate::seed_trades::SPREAD_DAYS
        );
        eprintln!("     {note}");
        report.notes.push(note);
        for path in PORTFOLIO_ROUTES {
            let label = format!("GET {path} ({count} trades)");
            eprintln!("  5. {label}");
            let run = load::run(
                addr,
                Shape::get(path, Some(&user.token)),
                settings.connections,
                settings.warmup,
                settings.duration,
            );
            let window = CpuWindow::new(server, settings);
            let (s, used) = window.around(run).await;
            let per_req = window.per_request(used, &s);
            push(
                report,
                server,
                "5",
                &label,
                settings.connections,
                s,
                per_req,
            );
        }
    }
    Ok(())
}

/// Scenario 6: WS and SSE fan-out, each skipped with a reason when not served. Every round
/// gets a freshly started server, so its RSS per client is not blurred by memory an earlier
/// round left behind.
pub async fn realtime(
    launcher: &Launcher,
    settings: &Settings,
    report: &mut EngineReport,
) -> Result<()> {
    let fd_limit = crate::fd_limit();
    for transport in [Transport::Ws, Transport::Sse] {
        let server = launcher.start().await?;
        let probe_user = seed::user(server.addr, "bench-probe").await;
        let probed = match &probe_user {
            Ok(user) => fanout::probe(server.addr, &user.token, transport).await,
            Err(e) => Err(format!("seeding the probe user failed: {e}")),
        };
        server.stop().await;
        if let Err(reason) = probed {
            let reason = format!("6. {} skipped: {reason}", transport.name());
            eprintln!("  {reason}");
            report.skipped.push(reason);
            continue;
        }
        for &clients in &settings.fanout_clients {
            // Both this process and the server hold one descriptor per client.
            if (clients as u64) + 512 > fd_limit {
                let reason = format!(
                    "6. {} {clients}: skipped, open-file limit {fd_limit} < {} \
                     (raise `ulimit -n`)",
                    transport.name(),
                    clients + 512
                );
                eprintln!("  {reason}");
                report.skipped.push(reason);
                continue;
            }
            eprintln!("  6. {} fan-out to {clients} clients", transport.name());
            let server = launcher.start().await?;
            let label = format!("bench-{}-{clients}", transport.name().to_lowercase());
            let result = fanout::round(&server, transport, clients, &label).await;
            server.stop().await;
            // A round that fails (e.g. the database cannot keep up with 10k logins) is
            // reported with its reason; it must not lose the rest of the run's report.
            let result = match result {
                Ok(result) => result,
                Err(e) => {
                    let reason = format!("6. {} {clients}: failed: {e}", transport.name());
                    eprintln!("  {reason}");
                    report.skipped.push(reason);
                    continue;
                }
            };
            eprintln!(
                "     connected {}/{}, received {}, all in {}, {:.1} KiB RSS per client",
                result.connected,
                clients,
                result.received,
                result
                    .all_ms
                    .map_or("n/a".to_string(), |ms| format!("{ms:.1} ms")),
                result.rss_per_client_kib()
            );
            report.fanout.push(result);
        }
    }
    Ok(())
}
