//! When the next request may start, so that the budgets the service named stay just under
//! their limits. Pure arithmetic on the instants passed in, so tests inject time.
//!
//! Two budgets can be known, each from a 429 that named it (see [`super::named`]):
//!
//! - execution time (seconds of execution per second): starts are spaced by mean latency ÷
//!   (share × budget), which keeps share × budget requests executing at once;
//! - requests per window: each request reserves as many slots as it carries operations (the
//!   service counts every operation inside a `$batch` toward the limit: "Service protection API
//!   limits" on Learn says batching does not avoid them), at share × limit ÷ window per second.
//!
//! A request starts when both allow it: the binding budget wins. After a 429 for the request
//! count, nothing starts until its `Retry-After` has passed: the window is full until then.

use std::time::{Duration, Instant};

use super::named::{RequestBudget, clamp_budget};

/// Keep this share of a budget the service named, so that sends stay just under it.
pub(super) const BUDGET_SHARE: f64 = 0.95;
/// The request share never drops below this, however often the service throttles.
const MIN_REQUEST_SHARE: f64 = 0.5;
/// Each further request-count 429 (at most one a window) lowers the share by this factor: the
/// budget is shared with another client of the same user.
const REQUEST_SHARE_CUT: f64 = 0.9;
/// The longest wait between two paced starts, and the longest hold.
pub(super) const MAX_PACE_INTERVAL: Duration = Duration::from_secs(60);
/// Latencies are capped here before any arithmetic, so sums and products cannot overflow.
pub(super) const LATENCY_CAP: Duration = Duration::from_secs(3600);
/// The hold after a request-count 429 that came without `Retry-After`.
const DEFAULT_HOLD: Duration = Duration::from_secs(1);

/// A request budget being paced.
#[derive(Debug, Clone, Copy)]
struct RequestPace {
    budget: RequestBudget,
    share: f64,
    /// When the share last changed (or the budget was learned): cuts are a window apart.
    changed: Instant,
}

/// The pacing state.
#[derive(Debug, Default)]
pub(super) struct Pacer {
    /// Seconds of execution per second.
    execution: Option<f64>,
    requests: Option<RequestPace>,
    /// The earliest start the execution budget allows next.
    next_execution: Option<Instant>,
    /// The earliest start the request budget allows next.
    next_operation: Option<Instant>,
    /// No start before this (after a request-count 429).
    hold_until: Option<Instant>,
}

impl Pacer {
    /// Whether an execution-time budget is being paced.
    pub(super) fn paces_execution(&self) -> bool {
        self.execution.is_some()
    }

    /// The execution-time budget a 429 named.
    pub(super) fn learn_execution(&mut self, budget: f64) {
        self.execution = Some(clamp_budget(budget));
    }

    /// Operations per second the request pacing allows now, if it is on.
    pub(super) fn request_rate(&self) -> Option<f64> {
        self.requests
            .map(|pace| pace.share * clamp_budget(pace.budget.per_second))
    }

    /// A 429 for the request count at `now`, naming `budget`, asking to wait `retry_after`.
    /// The first one turns pacing on; a later one (at most one a window, so that the requests
    /// already sent when pacing began do not count) lowers the share, since another client of
    /// the same user must be spending the budget too.
    pub(super) fn request_throttled(
        &mut self,
        now: Instant,
        budget: RequestBudget,
        retry_after: Option<Duration>,
    ) {
        match &mut self.requests {
            Some(pace) if pace.budget == budget => {
                if now.saturating_duration_since(pace.changed) >= budget.window {
                    pace.share = (pace.share * REQUEST_SHARE_CUT).max(MIN_REQUEST_SHARE);
                    pace.changed = now;
                    tracing::debug!(share = pace.share, "request budget shared: pacing slower");
                }
            }
            _ => {
                self.requests = Some(RequestPace {
                    budget,
                    share: BUDGET_SHARE,
                    changed: now,
                });
                tracing::debug!(
                    per_second = budget.per_second,
                    "pacing operations to the request budget the service named"
                );
            }
        }
        // The window is full until the service says otherwise.
        let hold = retry_after
            .unwrap_or(DEFAULT_HOLD)
            .min(budget.window)
            .min(MAX_PACE_INTERVAL);
        let until = now.checked_add(hold).unwrap_or(now);
        self.hold_until = Some(self.hold_until.map_or(until, |t| t.max(until)));
    }

    /// Reserves a start for a request of `operations` operations wanting to start at `now`;
    /// `latency` is the mean of recent successes. Returns how long to wait before starting.
    pub(super) fn reserve(
        &mut self,
        now: Instant,
        operations: u32,
        latency: Option<Duration>,
    ) -> Duration {
        let mut start = now;
        if let Some(hold) = self.hold_until {
            start = start.max(hold);
        }
        let execution_interval = match (self.execution, latency) {
            (Some(budget), Some(latency)) => {
                if let Some(next) = self.next_execution {
                    start = start.max(next);
                }
                // Seconds between starts: latency ÷ (share × budget).
                let latency = latency.min(LATENCY_CAP).as_secs_f64().max(1e-3);
                Some(seconds(latency / (BUDGET_SHARE * clamp_budget(budget))))
            }
            _ => None,
        };
        let request_interval = self.request_rate().map(|rate| {
            if let Some(next) = self.next_operation {
                start = start.max(next);
            }
            seconds(f64::from(operations.max(1)) / rate)
        });
        // A start further ahead means the queue is long already: do not let it grow without
        // bound.
        let start = start.min(now.checked_add(MAX_PACE_INTERVAL).unwrap_or(now));
        if let Some(interval) = execution_interval {
            self.next_execution = start.checked_add(interval).or(Some(start));
        }
        if let Some(interval) = request_interval {
            self.next_operation = start.checked_add(interval).or(Some(start));
        }
        start.saturating_duration_since(now)
    }
}

/// A wait of `secs` seconds; a NaN or out-of-range value becomes the cap.
fn seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs)
        .unwrap_or(MAX_PACE_INTERVAL)
        .min(MAX_PACE_INTERVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(per_second: f64, window_secs: u64) -> RequestBudget {
        RequestBudget {
            per_second,
            window: Duration::from_secs(window_secs),
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn nothing_known_means_no_wait() {
        let mut pacer = Pacer::default();
        let now = Instant::now();
        for _ in 0..10 {
            assert_eq!(pacer.reserve(now, 100, Some(ms(250))), Duration::ZERO);
        }
    }

    #[test]
    fn a_request_budget_spaces_starts_by_their_operations() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        // 2000 operations per second, paced at 95%: 1900 per second.
        pacer.request_throttled(t0, budget(2000.0, 2), Some(Duration::from_secs(1)));
        // Held until Retry-After has passed.
        assert_eq!(pacer.reserve(t0, 100, None), Duration::from_secs(1));
        let after = t0 + Duration::from_secs(1);
        // The first start was reserved at t0 + 1 s; a batch of 100 takes 100/1900 s.
        let second = pacer.reserve(after, 100, None);
        assert!(second > ms(52) && second < ms(53), "{second:?}");
        // A plain request weighs one operation: 1/1900 s after the second batch.
        let third = pacer.reserve(after, 1, None);
        let fourth = pacer.reserve(after, 1, None);
        let step = fourth - third;
        assert!(
            step > Duration::from_micros(520) && step < Duration::from_micros(530),
            "{step:?}"
        );
    }

    #[test]
    fn the_binding_budget_wins() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        // Execution: 5 s per s at 250 ms: one start every 250/(0.95 × 5) ≈ 52.6 ms.
        pacer.learn_execution(5.0);
        // Requests: 10,000 per s: a batch of 100 every ~10.5 ms, so execution binds.
        pacer.request_throttled(t0, budget(10_000.0, 2), Some(ms(0)));
        assert_eq!(pacer.reserve(t0, 100, Some(ms(250))), Duration::ZERO);
        let second = pacer.reserve(t0, 100, Some(ms(250)));
        assert!(second > ms(52) && second < ms(53), "{second:?}");
        // Batches of 1000 make requests bind: 1000 / 9500 s ≈ 105 ms each.
        let mut pacer = Pacer::default();
        pacer.learn_execution(5.0);
        pacer.request_throttled(t0, budget(10_000.0, 2), Some(ms(0)));
        assert_eq!(pacer.reserve(t0, 1000, Some(ms(250))), Duration::ZERO);
        let second = pacer.reserve(t0, 1000, Some(ms(250)));
        assert!(second > ms(105) && second < ms(106), "{second:?}");
    }

    #[test]
    fn further_throttling_lowers_the_share_at_most_once_a_window() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        let b = budget(1000.0, 2);
        pacer.request_throttled(t0, b, None);
        assert_eq!(pacer.request_rate(), Some(950.0));
        // The requests already under way when pacing began are throttled too: not a cut.
        pacer.request_throttled(t0 + ms(500), b, None);
        assert_eq!(pacer.request_rate(), Some(950.0));
        pacer.request_throttled(t0 + Duration::from_secs(3), b, None);
        let cut = pacer.request_rate().expect("paced");
        assert!((cut - 855.0).abs() < 1e-9, "{cut}");
        for i in 0..100 {
            pacer.request_throttled(t0 + Duration::from_secs(6 + 3 * i), b, None);
        }
        assert_eq!(pacer.request_rate(), Some(500.0), "never below half");
        // A new budget (the limit changed) starts over.
        pacer.request_throttled(t0 + Duration::from_secs(400), budget(100.0, 2), None);
        assert_eq!(pacer.request_rate(), Some(95.0));
    }

    #[test]
    fn holds_and_queues_are_bounded() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        // Retry-After longer than the window: the window bounds the hold.
        pacer.request_throttled(t0, budget(1.0, 2), Some(Duration::from_secs(3600)));
        assert_eq!(pacer.reserve(t0, 1, None), Duration::from_secs(2));
        // A tiny budget and a huge request: each wait stays at most the cap.
        let mut pacer = Pacer::default();
        pacer.request_throttled(t0, budget(0.01, 300), Some(ms(0)));
        for _ in 0..5 {
            assert!(pacer.reserve(t0, u32::MAX, None) <= MAX_PACE_INTERVAL);
        }
        // Zero operations weigh one.
        let mut pacer = Pacer::default();
        pacer.request_throttled(t0, budget(100.0, 2), Some(ms(0)));
        pacer.reserve(t0, 0, None);
        assert!(pacer.reserve(t0, 0, None) > Duration::ZERO);
    }
}
