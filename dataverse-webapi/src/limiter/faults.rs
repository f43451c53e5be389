//! Telling random faults from overload: the share of recent attempts that failed without an
//! answer the limiter can read (a 5xx, a dropped connection, a timeout). Pure arithmetic.
//!
//! Dataverse answers overload with service protection 429s that name their limit
//! (REFERENCE.md 3.11); a 503 or a lost connection on its own says nothing about how much is
//! in flight. Treating each one as congestion made a few percent of random faults hold the
//! concurrency limit far below what the service allows: every fault cut it by a quarter and
//! ended the slow start, and it then grew back by one a round trip (with 100-row bulk
//! messages at 250 ms, 40 slots took ten seconds to come back). So a fault lowers the limit
//! only while faults are a large share of what comes back: a service failing that often is
//! overloaded or unwell, and sending less is the right answer either way.

/// Weight of the newest attempt in the running share: about the last 32 attempts count.
const WEIGHT: f64 = 1.0 / 32.0;

/// The share of recent attempts failing above which a fault counts as congestion. Random
/// faults of a few percent stay far below it: from a steady 5%, it takes eight faults in a
/// row to cross it. A service failing every request crosses it on the tenth.
pub(super) const CONGESTION_SHARE: f64 = 0.25;

/// The running share of attempts that failed.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct FaultShare {
    share: f64,
}

impl FaultShare {
    /// Records one attempt: `failed` for a 5xx or no answer, else `false` (any answer the
    /// limiter can read, 429s included: a refusal by a named limit is not a fault).
    pub(super) fn record(&mut self, failed: bool) {
        let sample = if failed { 1.0 } else { 0.0 };
        self.share += WEIGHT * (sample - self.share);
    }

    /// Whether recent faults are too many to be random: overload.
    pub(super) fn congested(&self) -> bool {
        self.share > CONGESTION_SHARE
    }

    #[cfg(test)]
    pub(super) fn share(&self) -> f64 {
        self.share
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_percent_of_faults_is_not_congestion() {
        let mut share = FaultShare::default();
        // One fault in every 20 attempts, for a long time: stays low.
        for i in 0..2000 {
            share.record(i % 20 == 0);
            assert!(!share.congested(), "after {i}: {}", share.share());
        }
        // A burst of seven in a row on top of that is not enough either.
        for _ in 0..7 {
            share.record(true);
        }
        assert!(!share.congested(), "{}", share.share());
    }

    #[test]
    fn a_failing_service_is_congestion_within_a_few_attempts() {
        let mut share = FaultShare::default();
        for _ in 0..100 {
            share.record(false);
        }
        let mut failures = 0;
        while !share.congested() {
            share.record(true);
            failures += 1;
        }
        assert_eq!(failures, 10);
        // Answers again: the share falls back below the line.
        for _ in 0..30 {
            share.record(false);
        }
        assert!(!share.congested());
    }
}
