//! Host figures for the admin system stats, parsed from Linux `/proc` text (the reading
//! happens in the HTTP layer; anything unreadable or unparsable is simply absent).

use serde::Serialize;

/// `/proc/loadavg`: the 1, 5 and 15 minute load averages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoadAverage {
    pub load_1m: f64,
    pub load_5m: f64,
    pub load_15m: f64,
}

pub fn parse_loadavg(text: &str) -> Option<LoadAverage> {
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some(LoadAverage {
        load_1m: fields.next()??,
        load_5m: fields.next()??,
        load_15m: fields.next()??,
    })
}

/// `/proc/meminfo` totals in MiB.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Memory {
    pub total_mb: f64,
    pub available_mb: f64,
    pub used_mb: f64,
    pub used_percent: f64,
}

/// The value of `Key:   123 kB` in a `/proc` status-style file, in kB.
fn kb_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub fn parse_meminfo(text: &str) -> Option<Memory> {
    let total = kb_field(text, "MemTotal")?;
    // Kernels before 3.14 lack MemAvailable; free + buffers + cache approximates it.
    let available = kb_field(text, "MemAvailable").or_else(|| {
        Some(kb_field(text, "MemFree")? + kb_field(text, "Buffers")? + kb_field(text, "Cached")?)
    })?;
    if total == 0 {
        return None;
    }
    let used = total.saturating_sub(available);
    Some(Memory {
        total_mb: round2(total as f64 / 1024.0),
        available_mb: round2(available as f64 / 1024.0),
        used_mb: round2(used as f64 / 1024.0),
        used_percent: round2(used as f64 * 100.0 / total as f64),
    })
}

/// Resident memory of this process in MiB, from `/proc/self/status`.
pub fn parse_process_rss_mb(text: &str) -> Option<f64> {
    kb_field(text, "VmRSS").map(|kb| round2(kb as f64 / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_average_reads_the_first_three_fields() {
        let load = parse_loadavg("0.52 0.58 0.59 1/467 12345\n").unwrap();
        assert_eq!(load.load_1m, 0.52);
        assert_eq!(load.load_15m, 0.59);
        assert!(parse_loadavg("0.5 nonsense").is_none());
        assert!(parse_loadavg("").is_none());
    }

    #[test]
    fn memory_prefers_mem_available() {
        let text = "MemTotal:  2048000 kB\nMemFree:  100 kB\nMemAvailable: 512000 kB\n";
        let m = parse_meminfo(text).unwrap();
        assert_eq!(m.total_mb, 2000.0);
        assert_eq!(m.available_mb, 500.0);
        assert_eq!(m.used_percent, 75.0);
    }

    #[test]
    fn memory_falls_back_on_old_kernels_and_rejects_garbage() {
        let old = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 100 kB\nCached: 300 kB\n";
        assert_eq!(parse_meminfo(old).unwrap().used_percent, 50.0);
        assert!(parse_meminfo("MemTotal: lots\n").is_none());
        assert!(parse_meminfo("MemTotal: 0 kB\nMemAvailable: 0 kB\n").is_none());
    }

    #[test]
    fn rss_is_read_from_vmrss_only() {
        assert_eq!(
            parse_process_rss_mb("VmPeak: 9 kB\nVmRSS:\t  2048 kB\n"),
            Some(2.0)
        );
        assert_eq!(parse_process_rss_mb("VmPeak: 9 kB\n"), None);
    }
}
