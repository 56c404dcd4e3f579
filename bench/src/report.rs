//! Prints a run as Markdown (ready to paste into bench/README.md) plus the target check.

use std::fmt::Write;

use crate::scenarios::EngineReport;

/// Where and what was measured.
pub struct RunInfo {
    pub machine: String,
    pub date: String,
    pub commit: String,
    pub client_threads: usize,
    pub duration_s: u64,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub fn markdown(info: &RunInfo, engines: &[EngineReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Machine: {} · date {} · commit {} · {} s per scenario · load generator on {} thread(s) \
         of the same machine\n",
        info.machine, info.date, info.commit, info.duration_s, info.client_threads
    );
    for engine in engines {
        let _ = writeln!(
            out,
            "**{}** — start-up to ready {:.0} ms · idle RSS {:.1} MiB · \
             peak RSS (scenarios 1–5) {:.1} MiB\n",
            engine.engine,
            engine.startup.as_secs_f64() * 1000.0,
            mib(engine.idle_rss_kib),
            mib(engine.peak_rss_kib)
        );
        let floor = engine.row("1").map(|r| r.summary.rps).filter(|&r| r > 0.0);
        let _ = writeln!(
            out,
            "| # | scenario | conns | req/s | vs 1 | p50 ms | p99 ms | p99.9 ms | errors | \
             server CPU µs/req | RSS MiB |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        for row in &engine.rows {
            let s = &row.summary;
            let ratio = floor.map_or("–".to_string(), |f| format!("{:.0} %", s.rps / f * 100.0));
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {:.1} |",
                row.id,
                row.name,
                row.connections,
                s.rps,
                ratio,
                s.p50_ms,
                s.p99_ms,
                s.p999_ms,
                s.failure_text(),
                row.cpu_us_per_req
                    .map_or("–".to_string(), |us| format!("{us:.0}")),
                mib(row.rss_kib)
            );
        }
        if !engine.fanout.is_empty() {
            let _ = writeln!(
                out,
                "\n| fan-out | clients | connected | received | all reached ms | p50 ms | p99 ms | \
                 REST publish ms | RSS KiB/client | connect s |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for f in &engine.fanout {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
                    f.transport.name(),
                    f.clients,
                    f.connected,
                    f.received,
                    f.all_ms
                        .map_or("not all".to_string(), |ms| format!("{ms:.1}")),
                    f.p50_ms,
                    f.p99_ms,
                    f.publish_ms,
                    f.rss_per_client_kib(),
                    f.connect_time.as_secs_f64()
                );
            }
        }
        for note in &engine.notes {
            let _ = writeln!(out, "\n- {note}");
        }
        for reason in &engine.skipped {
            let _ = writeln!(out, "\n- {reason}");
        }
        let _ = writeln!(out);
        out.push_str(&targets(engine));
    }
    out
}

/// The targets for a 2-core machine, compared (never asserted).
fn targets(engine: &EngineReport) -> String {
    let mut lines = Vec::new();
    let mark = |ok: bool| if ok { "met" } else { "MISSED" };
    let rps = |id: &str| engine.row(id).map(|r| r.summary.rps);
    if let (Some(floor), Some(me)) = (rps("1"), rps("2")) {
        let pct = me / floor * 100.0;
        lines.push(format!(
            "scenario 2 >= 40 % of 1: {pct:.0} % ({})",
            mark(pct >= 40.0)
        ));
    }
    for id in ["1", "2", "3"] {
        if let Some(row) = engine.row(id) {
            let p99 = row.summary.p99_ms;
            lines.push(format!(
                "p99 < 5 ms, scenario {id} at {} conns: {p99:.2} ms ({})",
                row.connections,
                mark(p99 < 5.0)
            ));
        }
    }
    for f in &engine.fanout {
        if f.clients == 10_000 && f.transport == crate::fanout::Transport::Ws {
            let per = f.rss_per_client_kib();
            lines.push(format!(
                "10k WS < 50 KiB RSS each: {per:.1} KiB ({})",
                mark(per < 50.0)
            ));
            let all = f.all_ms.unwrap_or(f64::INFINITY);
            lines.push(format!(
                "10k WS fan-out < 250 ms: {} ({})",
                f.all_ms
                    .map_or("not all reached".to_string(), |ms| format!("{ms:.1} ms")),
                mark(all < 250.0)
            ));
        }
    }
    let idle = mib(engine.idle_rss_kib);
    lines.push(format!(
        "idle RSS < 50 MiB: {idle:.1} MiB ({})",
        mark(idle < 50.0)
    ));
    if engine.engine == "sqlite" {
        let ms = engine.startup.as_secs_f64() * 1000.0;
        lines.push(format!(
            "start-up to ready < 300 ms: {ms:.0} ms ({})",
            mark(ms < 300.0)
        ));
    }
    let mut out = format!("Targets ({}):\n", engine.engine);
    for line in lines {
        let _ = writeln!(out, "- {line}");
    }
    out.push('\n');
    out
}
