//! How long a failed lead waits before its next try: exponential, capped, with jitter so leads
//! that failed together (a throttled burst) do not all come back at the same moment.
//!
//! The jitter is drawn from a hash of the item's id and attempt rather than a random number
//! generator: different leads still spread out, and a schedule can be checked exactly in tests.

use std::time::Duration;

use super::error::SpoolError;

/// The retry schedule for failed leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backoff {
    /// The ceiling of the first delay. Default 10 seconds.
    pub initial: Duration,
    /// No delay is longer than this. Default 1 hour.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(10),
            max: Duration::from_secs(60 * 60),
        }
    }
}

impl Backoff {
    /// A schedule starting at `initial` and capped at `max`; both must be positive and
    /// `initial` at most `max`.
    pub fn new(initial: Duration, max: Duration) -> Result<Self, SpoolError> {
        if initial.is_zero() || initial > max {
            return Err(SpoolError::InvalidArgument(format!(
                "backoff needs 0 < initial <= max (got initial {initial:?}, max {max:?})"
            )));
        }
        Ok(Backoff { initial, max })
    }

    /// The ceiling for the delay after failed attempt `attempt` (1-based): `initial`
    /// doubled per earlier attempt, at most `max`.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(63);
        let factor = 1u64 << doublings;
        let millis = (self.initial.as_millis() as u64).saturating_mul(factor);
        Duration::from_millis(millis).min(self.max)
    }

    /// The delay after failed attempt `attempt` of the item `salt`: between half the ceiling
    /// and the ceiling ("equal jitter"), so a delay never shrinks to nothing.
    pub fn delay(&self, attempt: u32, salt: i64) -> Duration {
        let ceiling = self.ceiling(attempt).as_millis() as u64;
        let half = ceiling / 2;
        let spread = ceiling - half;
        let draw = mix((salt as u64) ^ (u64::from(attempt) << 48));
        Duration::from_millis(half + draw % (spread + 1))
    }
}

/// SplitMix64's finaliser: a well-spread 64-bit hash of a 64-bit input.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_and_stop_at_the_cap() {
        let backoff = Backoff::new(Duration::from_secs(10), Duration::from_secs(300)).unwrap();
        let ceilings: Vec<u64> = (1..=7).map(|a| backoff.ceiling(a).as_secs()).collect();
        assert_eq!(ceilings, [10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(300));
        assert_eq!(backoff.ceiling(0), Duration::from_secs(10));
    }

    #[test]
    fn delays_stay_between_half_the_ceiling_and_the_ceiling_and_spread() {
        let backoff = Backoff::default();
        let mut distinct = std::collections::BTreeSet::new();
        for salt in 0..50 {
            for attempt in 1..=12 {
                let delay = backoff.delay(attempt, salt);
                let ceiling = backoff.ceiling(attempt);
                assert!(
                    delay <= ceiling && delay >= ceiling / 2,
                    "{delay:?} vs {ceiling:?}"
                );
            }
            distinct.insert(backoff.delay(1, salt));
        }
        assert!(distinct.len() > 10, "jitter does not spread: {distinct:?}");
        assert_eq!(backoff.delay(3, 7), backoff.delay(3, 7));
    }

    #[test]
    fn bad_schedules_are_refused() {
        assert!(Backoff::new(Duration::ZERO, Duration::from_secs(1)).is_err());
        assert!(Backoff::new(Duration::from_secs(2), Duration::from_secs(1)).is_err());
    }
}
