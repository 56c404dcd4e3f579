//! Latency samples and the figures a scenario reports (throughput, percentiles, errors).

use std::collections::BTreeMap;
use std::time::Duration;

/// Everything one load run produced, merged over its connections.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    /// Latency of each successful (2xx) request, microseconds.
    pub ok_micros: Vec<u32>,
    /// Non-2xx answers by status, plus transport failures under status 0.
    pub failures: BTreeMap<u16, u64>,
}

impl Samples {
    pub fn merge(&mut self, other: Samples) {
        self.ok_micros.extend(other.ok_micros);
        for (status, n) in other.failures {
            *self.failures.entry(status).or_default() += n;
        }
    }

    pub fn summarize(mut self, elapsed: Duration) -> Summary {
        self.ok_micros.sort_unstable();
        let ok = self.ok_micros.len() as u64;
        let secs = elapsed.as_secs_f64().max(1e-9);
        Summary {
            failures: self.failures,
            rps: ok as f64 / secs,
            p50_ms: percentile_ms(&self.ok_micros, 0.50),
            p99_ms: percentile_ms(&self.ok_micros, 0.99),
            p999_ms: percentile_ms(&self.ok_micros, 0.999),
        }
    }
}

/// The reported figures of one load run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub failures: BTreeMap<u16, u64>,
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
}

impl Summary {
    /// `"429×12, 0×3"`: which failures happened (status 0 = connection error).
    pub fn failure_text(&self) -> String {
        if self.failures.is_empty() {
            // Closed-loop load counts a request in the window it was sent in: when every
            // answer takes longer than warm-up + window, nothing is counted either way.
            return if self.rps > 0.0 {
                "0"
            } else {
                "0 (no answer in the window)"
            }
            .to_string();
        }
        let parts: Vec<String> = self
            .failures
            .iter()
            .map(|(status, n)| format!("{n} ({})", status_name(*status)))
            .collect();
        parts.join(", ")
    }
}

fn status_name(status: u16) -> String {
    if status == 0 {
        "io".to_string()
    } else {
        status.to_string()
    }
}

/// Nearest-rank percentile of sorted microsecond samples, in milliseconds.
pub fn percentile_ms(sorted_micros: &[u32], p: f64) -> f64 {
    if sorted_micros.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted_micros.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted_micros.len()) - 1;
    sorted_micros[index] as f64 / 1000.0
}

/// Nearest-rank percentile of durations (fan-out arrivals), in milliseconds.
pub fn percentile_of(durations: &mut [Duration], p: f64) -> f64 {
    durations.sort_unstable();
    if durations.is_empty() {
        return 0.0;
    }
    let rank = (p * durations.len() as f64).ceil() as usize;
    durations[rank.clamp(1, durations.len()) - 1].as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<u32> = (1..=1000).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&samples, 0.50), 500.0);
        assert_eq!(percentile_ms(&samples, 0.99), 990.0);
        assert_eq!(percentile_ms(&samples, 0.999), 999.0);
        assert_eq!(percentile_ms(&[], 0.99), 0.0);
    }

    #[test]
    fn summary_counts_only_2xx_as_throughput() {
        let mut s = Samples {
            ok_micros: vec![1000; 50],
            ..Default::default()
        };
        s.failures.insert(429, 5);
        let sum = s.summarize(Duration::from_secs(10));
        assert_eq!(sum.rps, 5.0);
        assert_eq!(sum.failure_text(), "5 (429)");
    }

    #[test]
    fn a_window_without_answers_says_so() {
        let sum = Samples::default().summarize(Duration::from_secs(10));
        assert_eq!(sum.failure_text(), "0 (no answer in the window)");
    }
}
