//! Fault injection: per request, one draw of the seeded generator decides between a 500, a 503,
//! a dropped connection, a slow answer, a service protection 429, or a normal answer.

use std::sync::{Mutex, PoisonError};

use super::protection::Throttle;
use super::rng::XorShift;
use super::settings::{DataverseLimits, FaultInjection};

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Answer normally.
    None,
    /// `500 Internal Server Error`.
    ServerError,
    /// `503 Service Unavailable`.
    Unavailable,
    /// Close the connection without answering.
    Drop,
    /// Answer normally after the slow delay.
    Slow,
    /// `429 Too Many Requests` with `Retry-After`, as service protection answers.
    Throttled,
}

/// The refusal of an injected 429. Which limit the real service says was hit depends on load
/// the emulator does not have, so it names the concurrency limit: the one that "errors
/// immediately" whatever the window (Learn, "Service protection API limits"), with the
/// configured limit in its message. `Retry-After` is whole seconds, at least 1.
pub(crate) fn injected_throttle(faults: &FaultInjection, limits: &DataverseLimits) -> Throttle {
    let wait = faults.throttle_retry_after;
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Throttle::concurrency(limits.max_concurrent_requests, seconds.max(1))
}

/// The generator, re-seeded whenever the settings change.
#[derive(Debug)]
pub(crate) struct Faults {
    rng: Mutex<XorShift>,
}

impl Faults {
    /// A generator for `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: Mutex::new(XorShift::new(seed)),
        }
    }

    /// Restarts the sequence from `seed`.
    pub(crate) fn reseed(&self, seed: u64) {
        *self.rng.lock().unwrap_or_else(PoisonError::into_inner) = XorShift::new(seed);
    }

    /// Decides the fate of the next request (no draw when no fault is configured).
    pub(crate) fn decide(&self, settings: &FaultInjection) -> Fault {
        if !settings.is_active() {
            return Fault::None;
        }
        let roll = self
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next_f64();
        let mut threshold = 0.0;
        for (rate, fault) in [
            (settings.server_error_rate, Fault::ServerError),
            (settings.unavailable_rate, Fault::Unavailable),
            (settings.drop_rate, Fault::Drop),
            (settings.slow_rate, Fault::Slow),
            (settings.throttle_rate, Fault::Throttled),
        ] {
            threshold += rate.max(0.0);
            if roll < threshold {
                return fault;
            }
        }
        Fault::None
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn same_seed_same_faults_and_rates_hold() {
        let settings = FaultInjection {
            seed: 7,
            server_error_rate: 0.2,
            drop_rate: 0.1,
            ..FaultInjection::default()
        };
        let a = Faults::new(7);
        let b = Faults::new(7);
        let first: Vec<Fault> = (0..1000).map(|_| a.decide(&settings)).collect();
        let second: Vec<Fault> = (0..1000).map(|_| b.decide(&settings)).collect();
        assert_eq!(first, second);
        let errors = first.iter().filter(|f| **f == Fault::ServerError).count();
        assert!((150..250).contains(&errors), "{errors}");
        assert_eq!(
            Faults::new(1).decide(&FaultInjection::default()),
            Fault::None
        );
    }

    #[test]
    fn a_twenty_percent_mix_includes_429s_in_its_share() {
        let settings = FaultInjection {
            seed: 11,
            unavailable_rate: 0.05,
            drop_rate: 0.05,
            slow_rate: 0.05,
            throttle_rate: 0.05,
            ..FaultInjection::default()
        };
        assert!(settings.is_active());
        let faults = Faults::new(11);
        let drawn: Vec<Fault> = (0..4000).map(|_| faults.decide(&settings)).collect();
        let throttled = drawn.iter().filter(|f| **f == Fault::Throttled).count();
        let normal = drawn.iter().filter(|f| **f == Fault::None).count();
        assert!((120..280).contains(&throttled), "{throttled}");
        assert!((3000..3400).contains(&normal), "{normal}");
        let only_throttle = FaultInjection {
            throttle_rate: 0.01,
            ..FaultInjection::default()
        };
        assert!(only_throttle.is_active());
    }

    #[test]
    fn an_injected_429_has_the_documented_code_and_whole_seconds() {
        let limits = DataverseLimits::default();
        let faults = FaultInjection {
            throttle_retry_after: Duration::from_millis(2500),
            ..FaultInjection::default()
        };
        let throttle = injected_throttle(&faults, &limits);
        assert_eq!(throttle.code, "0x80072326");
        assert_eq!(
            throttle.message,
            "Number of concurrent requests exceeded the limit of 52."
        );
        assert_eq!(throttle.retry_after_secs, 3);
        let zero = FaultInjection {
            throttle_retry_after: Duration::ZERO,
            ..FaultInjection::default()
        };
        assert_eq!(injected_throttle(&zero, &limits).retry_after_secs, 1);
    }
}
