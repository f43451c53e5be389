//! Fault injection: per request, one draw of the seeded generator decides between a 500, a 503,
//! a dropped connection, a slow answer, or a normal answer.

use std::sync::{Mutex, PoisonError};

use super::rng::XorShift;
use super::settings::FaultInjection;

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
}
