//! How a spool behaves: retry limits, backoff, the clock.

use std::sync::Arc;
use std::time::Duration;

use super::backoff::Backoff;
use super::clock::{Clock, SystemClock};
use super::error::SpoolError;
use crate::DEFAULT_MAX_BODY_BYTES;

/// Options for [`Spool`](super::Spool). Build with `SpoolOptions::default()` and the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SpoolOptions {
    /// Failed attempts after which an item is parked instead of retried. Default 10.
    pub max_attempts: u32,
    /// Leases that ran out without `complete` or `fail` (the worker died holding the item)
    /// after which the item is parked instead of handed out again: a lead that crashes the
    /// writer must not take down every writer in turn forever. Default 10.
    pub max_abandoned_leases: u32,
    /// The wait between attempts.
    pub backoff: Backoff,
    /// How many recent errors `status` lists. Default 10.
    pub recent_errors: u32,
    /// How long a SQLite statement waits for another process's write lock. Default 5 s.
    pub busy_timeout: Duration,
    /// Most bytes of a refused body a dead letter keeps (the reason then records the
    /// original size). Default [`DEFAULT_MAX_BODY_BYTES`], the parser's own limit, so an
    /// oversized body cannot fill the spool.
    pub max_dead_letter_bytes: usize,
    /// Where "now" comes from. Default the system clock.
    pub clock: Arc<dyn Clock>,
}

impl Default for SpoolOptions {
    fn default() -> Self {
        SpoolOptions {
            max_attempts: 10,
            max_abandoned_leases: 10,
            backoff: Backoff::default(),
            recent_errors: 10,
            busy_timeout: Duration::from_secs(5),
            max_dead_letter_bytes: DEFAULT_MAX_BODY_BYTES,
            clock: Arc::new(SystemClock),
        }
    }
}

impl SpoolOptions {
    /// Sets [`SpoolOptions::max_attempts`].
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Sets [`SpoolOptions::max_abandoned_leases`].
    pub fn max_abandoned_leases(mut self, leases: u32) -> Self {
        self.max_abandoned_leases = leases;
        self
    }

    /// Sets [`SpoolOptions::backoff`].
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets [`SpoolOptions::recent_errors`].
    pub fn recent_errors(mut self, count: u32) -> Self {
        self.recent_errors = count;
        self
    }

    /// Sets [`SpoolOptions::busy_timeout`].
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Sets [`SpoolOptions::max_dead_letter_bytes`].
    pub fn max_dead_letter_bytes(mut self, bytes: usize) -> Self {
        self.max_dead_letter_bytes = bytes;
        self
    }

    /// Sets [`SpoolOptions::clock`].
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub(super) fn validate(&self) -> Result<(), SpoolError> {
        if self.max_attempts == 0 || self.max_abandoned_leases == 0 {
            return Err(SpoolError::InvalidArgument(
                "max_attempts and max_abandoned_leases must be at least 1".to_owned(),
            ));
        }
        Backoff::new(self.backoff.initial, self.backoff.max).map(|_| ())
    }
}
