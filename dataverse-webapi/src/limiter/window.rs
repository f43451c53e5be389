//! A log of timed amounts over a sliding window: the client's own copy of what the service
//! counts against a budget (operations started, execution time spent). Pure arithmetic on the
//! instants passed in, so tests inject time.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Most entries kept: the oldest go first beyond this, so memory stays bounded whatever the
/// window (Dataverse's 6000 requests per 300 s fit many times over).
const MAX_ENTRIES: usize = 50_000;

/// Amounts at instants, oldest first.
#[derive(Debug, Default)]
pub(super) struct WindowLog {
    entries: VecDeque<(Instant, f64)>,
}

impl WindowLog {
    /// Adds `amount` at `at`; an instant before the newest entry counts as the newest, so the
    /// log stays in order.
    pub(super) fn push(&mut self, at: Instant, amount: f64) {
        let at = self.entries.back().map_or(at, |(last, _)| at.max(*last));
        self.entries.push_back((at, amount.max(0.0)));
        if self.entries.len() > MAX_ENTRIES {
            self.entries.pop_front();
        }
    }

    /// Forgets the entries that no longer count at `now`: those `horizon` old or older.
    pub(super) fn prune(&mut self, now: Instant, horizon: Duration) {
        while self
            .entries
            .front()
            .is_some_and(|(t, _)| t.checked_add(horizon).is_none_or(|end| end <= now))
        {
            self.entries.pop_front();
        }
    }

    /// The newest entry's instant.
    pub(super) fn last(&self) -> Option<Instant> {
        self.entries.back().map(|(t, _)| *t)
    }

    /// The earliest instant from `from` on at which the entries still counting (younger than
    /// `horizon`) sum to at most `allowance - need`: when a new `need` fits. If it never fits
    /// (`need` above the whole allowance), when the log is empty.
    pub(super) fn fits_at(
        &self,
        from: Instant,
        horizon: Duration,
        need: f64,
        allowance: f64,
    ) -> Instant {
        let counts = |t: &Instant| t.checked_add(horizon).is_some_and(|end| end > from);
        let mut used: f64 = self
            .entries
            .iter()
            .filter(|(t, _)| counts(t))
            .map(|(_, a)| a)
            .sum();
        if used + need <= allowance {
            return from;
        }
        let mut at = from;
        for (t, amount) in self.entries.iter().filter(|(t, _)| counts(t)) {
            used -= amount;
            at = t.checked_add(horizon).unwrap_or(at).max(from);
            if used + need <= allowance + 1e-9 {
                break;
            }
        }
        at
    }

    /// The entries still counting at `at` (younger than `horizon`), summed.
    #[cfg(test)]
    pub(super) fn used_at(&self, at: Instant, horizon: Duration) -> f64 {
        self.entries
            .iter()
            .filter(|(t, _)| t.checked_add(horizon).is_some_and(|end| end > at))
            .map(|(_, a)| a)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn an_amount_fits_once_enough_of_the_old_ones_expire() {
        let t0 = Instant::now();
        let mut log = WindowLog::default();
        log.push(t0, 40.0);
        log.push(t0 + ms(100), 40.0);
        log.push(t0 + ms(200), 20.0);
        let window = Duration::from_secs(2);
        assert_eq!(log.used_at(t0 + ms(300), window), 100.0);
        // The window is full: 30 fits when the first 40 has expired.
        assert_eq!(
            log.fits_at(t0 + ms(300), window, 30.0, 100.0),
            t0 + ms(2000)
        );
        // 70 needs the second one gone too.
        assert_eq!(
            log.fits_at(t0 + ms(300), window, 70.0, 100.0),
            t0 + ms(2100)
        );
        // Something that fits now starts now.
        assert_eq!(
            log.fits_at(t0 + ms(2500), window, 70.0, 100.0),
            t0 + ms(2500)
        );
        // More than the whole allowance: when the log is empty.
        assert_eq!(
            log.fits_at(t0 + ms(300), window, 500.0, 100.0),
            t0 + ms(2200)
        );
    }

    #[test]
    fn pruning_forgets_what_expired_and_order_is_kept() {
        let t0 = Instant::now();
        let mut log = WindowLog::default();
        log.push(t0 + ms(500), 1.0);
        log.push(t0, 1.0); // earlier than the newest: counted as the newest
        assert_eq!(log.last(), Some(t0 + ms(500)));
        log.prune(t0 + ms(2499), Duration::from_secs(2));
        assert_eq!(log.used_at(t0 + ms(2499), Duration::from_secs(2)), 2.0);
        log.prune(t0 + ms(2500), Duration::from_secs(2));
        assert_eq!(log.used_at(t0 + ms(2500), Duration::from_secs(2)), 0.0);
        assert_eq!(log.last(), None);
    }

    #[test]
    fn the_log_is_bounded() {
        let t0 = Instant::now();
        let mut log = WindowLog::default();
        for _ in 0..MAX_ENTRIES + 10 {
            log.push(t0, 1.0);
        }
        assert_eq!(log.used_at(t0, Duration::from_secs(1)), MAX_ENTRIES as f64);
    }
}
