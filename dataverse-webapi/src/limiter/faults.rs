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
//!
//! The same share sets how long a retry after a fault waits ([`FaultShare::backoff`]). The
//! pipeline's back-off (800 ms, doubling) spares an unwell service; a service that answers
//! nearly everything gains nothing from it, and a bulk write loses: its last messages wait out
//! their back-offs with almost nothing else in flight (with 5% faults on 100-row messages the
//! last three seconds of a 25-second run carried one or two messages).

use std::time::Duration;

/// Weight of the newest attempt in the running share: about the last 32 attempts count.
const WEIGHT: f64 = 1.0 / 32.0;

/// The share of recent attempts failing above which a fault counts as congestion. Random
/// faults of a few percent stay far below it: from a steady 5%, it takes eight faults in a
/// row to cross it. A service failing every request crosses it on the tenth.
pub(super) const CONGESTION_SHARE: f64 = 0.25;

/// Attempts seen before the share is trusted to say faults are rare: until then a retry
/// waits the full back-off (a new client's first request may meet a service that is down).
const TRUSTED_AFTER: u32 = 32;

/// While faults are rare, a retry after one waits this fraction of the back-off (100 ms,
/// 200 ms, … from the default 800 ms): still growing with each retry of the same request.
const RARE_FAULT_BACKOFF: f64 = 1.0 / 8.0;

/// The running share of attempts that failed.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct FaultShare {
    share: f64,
    /// Attempts recorded, up to [`TRUSTED_AFTER`].
    seen: u32,
}

impl FaultShare {
    /// Records one attempt: `failed` for a 5xx or no answer, else `false` (any answer the
    /// limiter can read, 429s included: a refusal by a named limit is not a fault).
    pub(super) fn record(&mut self, failed: bool) {
        let sample = if failed { 1.0 } else { 0.0 };
        self.share += WEIGHT * (sample - self.share);
        self.seen = self.seen.saturating_add(1).min(TRUSTED_AFTER);
    }

    /// The wait before retrying after a fault, given the pipeline's `backoff`: a fraction of
    /// it once enough attempts show faults are rare, else all of it.
    pub(super) fn backoff(&self, backoff: Duration) -> Duration {
        if self.seen >= TRUSTED_AFTER && !self.congested() {
            backoff.mul_f64(RARE_FAULT_BACKOFF)
        } else {
            backoff
        }
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
    fn retries_wait_less_only_while_faults_are_known_to_be_rare() {
        let full = Duration::from_millis(800);
        let mut share = FaultShare::default();
        // A new client knows nothing yet: the full back-off.
        share.record(true);
        assert_eq!(share.backoff(full), full);
        for _ in 0..40 {
            share.record(false);
        }
        assert_eq!(share.backoff(full), Duration::from_millis(100));
        // Failing often: the full back-off again.
        while !share.congested() {
            share.record(true);
        }
        assert_eq!(share.backoff(full), full);
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
