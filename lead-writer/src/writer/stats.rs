//! Counters of what the writer did, for metrics (the service exposes them; no HTTP here).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Live counters, shared by a writer's clones. Read them with [`WriterStats::snapshot`].
#[derive(Debug, Default)]
pub struct WriterStats {
    written: AtomicU64,
    duplicates: AtomicU64,
    parked: AtomicU64,
    retried: AtomicU64,
    lease_lost: AtomicU64,
    write_calls: AtomicU64,
    write_micros: AtomicU64,
}

/// The counters at one moment (each read on its own, not as one transaction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// Leads written as new rows.
    pub written: u64,
    /// Leads whose row already existed (an earlier delivery or attempt wrote it); completed.
    pub duplicates: u64,
    /// Leads parked after a failure that will not heal or too many attempts.
    pub parked: u64,
    /// Failed attempts handed back to the spool to retry after its backoff.
    pub retried: u64,
    /// Items another worker took over before this one settled them (their outcome is left to
    /// that worker).
    pub lease_lost: u64,
    /// Bulk write calls made (the latency count).
    pub write_calls: u64,
    /// Total time of those calls (the latency sum).
    pub write_time: Duration,
}

impl WriterStats {
    /// The current values.
    pub fn snapshot(&self) -> StatsSnapshot {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        StatsSnapshot {
            written: read(&self.written),
            duplicates: read(&self.duplicates),
            parked: read(&self.parked),
            retried: read(&self.retried),
            lease_lost: read(&self.lease_lost),
            write_calls: read(&self.write_calls),
            write_time: Duration::from_micros(read(&self.write_micros)),
        }
    }

    pub(crate) fn add_written(&self) {
        self.written.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_duplicate(&self) {
        self.duplicates.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_parked(&self) {
        self.parked.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_retried(&self) {
        self.retried.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_lease_lost(&self) {
        self.lease_lost.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_write_call(&self, took: Duration) {
        self.write_calls.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.write_micros.fetch_add(micros, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_reads_every_counter() {
        let stats = WriterStats::default();
        stats.add_written();
        stats.add_written();
        stats.add_duplicate();
        stats.add_parked();
        stats.add_retried();
        stats.add_lease_lost();
        stats.add_write_call(Duration::from_millis(3));
        stats.add_write_call(Duration::from_millis(4));
        let snapshot = stats.snapshot();
        assert_eq!(
            snapshot,
            StatsSnapshot {
                written: 2,
                duplicates: 1,
                parked: 1,
                retried: 1,
                lease_lost: 1,
                write_calls: 2,
                write_time: Duration::from_millis(7),
            }
        );
    }
}
