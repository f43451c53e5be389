//! The emulator's adjustable clock: system time plus an offset that tests can move forward.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

/// The largest offset the clock accepts (about 1000 years); larger advances are clamped.
const MAX_OFFSET: Duration = Duration::from_secs(1000 * 366 * 24 * 3600);

/// "Now" as the emulator sees it. Every time decision in the emulator reads this clock.
#[derive(Debug, Clone, Default)]
pub(crate) struct Clock {
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    /// The current emulator time.
    pub(crate) fn now(&self) -> OffsetDateTime {
        let offset = *self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        let real = OffsetDateTime::now_utc();
        time::Duration::try_from(offset)
            .ok()
            .and_then(|offset| real.checked_add(offset))
            .unwrap_or(real)
    }

    /// The current emulator time in seconds since the Unix epoch.
    pub(crate) fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// How far the clock has been moved forward.
    pub(crate) fn offset(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves "now" forward by `by`.
    pub(crate) fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset = offset.saturating_add(by).min(MAX_OFFSET);
    }
}

/// A cloneable handle on the emulator's clock, for code that cannot hold the
/// [`Emulator`](crate::Emulator), such as a callback moved into a client under test.
#[derive(Debug, Clone)]
pub struct ClockHandle {
    clock: Clock,
}

impl ClockHandle {
    pub(crate) fn new(clock: Clock) -> Self {
        Self { clock }
    }

    /// Moves the emulator's "now" forward by `by` (same as
    /// [`Emulator::advance_clock`](crate::Emulator::advance_clock)).
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// The emulator's current time.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_now_forward() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now() - before >= time::Duration::seconds(3600));
    }

    #[test]
    fn huge_advance_is_clamped_not_a_panic() {
        let clock = Clock::default();
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        assert!(clock.now() > OffsetDateTime::now_utc());
    }
}
