//! Driving a client: `callers` concurrent tasks making `requests` calls between them, timed as
//! a whole (throughput) and one by one (latency).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;

use crate::clients::Caller;

/// What one round of one client measured.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Round {
    /// Calls completed per second.
    pub requests_per_second: f64,
    /// Median latency of a call, in microseconds.
    pub p50_us: f64,
    /// 99th percentile latency of a call, in microseconds.
    pub p99_us: f64,
}

/// Makes `requests` calls through `caller` from `callers` concurrent tasks; any failed call
/// fails the round (every compared client must do the same work).
pub async fn round(caller: &Arc<Caller>, callers: usize, requests: usize) -> anyhow::Result<Round> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let caller = caller.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(requests / callers + 1);
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    let start = Instant::now();
                    let regions = caller.call().await?;
                    latencies.push(start.elapsed());
                    std::hint::black_box(regions);
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(requests);
    for task in tasks {
        latencies.extend(task.await.context("a caller task panicked")??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(Round {
        requests_per_second: requests as f64 / elapsed.as_secs_f64(),
        p50_us: micros(percentile(&latencies, 0.50)),
        p99_us: micros(percentile(&latencies, 0.99)),
    })
}

/// Warms `caller` up: one call alone (connections, protocol learning), then a burst at the
/// round's concurrency, so that no round pays for a cold pool.
pub async fn warm_up(caller: &Arc<Caller>, callers: usize) -> anyhow::Result<()> {
    caller.call().await.context("the first call")?;
    round(caller, callers, callers * 20).await?;
    Ok(())
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// The smallest, median and largest of `values` (which must not be empty).
pub fn min_median_max(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    (sorted[0], median, sorted[n - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_medians() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile(&sorted, 0.5), Duration::from_micros(51));
        assert_eq!(percentile(&sorted, 0.99), Duration::from_micros(99));
        assert_eq!(min_median_max(&[3.0, 1.0, 2.0]), (1.0, 2.0, 3.0));
        assert_eq!(min_median_max(&[4.0, 1.0, 2.0, 3.0]), (1.0, 2.5, 4.0));
    }
}
