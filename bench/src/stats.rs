//! Latency statistics: percentiles by nearest rank, and throughput; and the process's
//! resident memory.

use std::time::Duration;

/// Per-decision latencies of one engine over a corpus, and the wall time of the run.
#[derive(Debug, Clone, Default)]
pub struct Timings {
    pub latencies: Vec<Duration>,
    pub wall: Duration,
}

/// What the tables and the JSON print for one engine.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub per_s: f64,
}

impl Timings {
    pub fn summary(&self) -> Summary {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        Summary {
            p50_ns: nanos(percentile(&sorted, 50.0)),
            p99_ns: nanos(percentile(&sorted, 99.0)),
            per_s: sorted.len() as f64 / self.wall.as_secs_f64().max(f64::MIN_POSITIVE),
        }
    }
}

/// The `p`th percentile of `sorted` by nearest rank; zero when empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let Some(last) = sorted.len().checked_sub(1) else {
        return Duration::ZERO;
    };
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.saturating_sub(1).min(last)]
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// This process's resident set, from `/proc/self/statm` (0 where there is none).
pub fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile(&sorted, 50.0), Duration::from_micros(50));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_micros(99));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
