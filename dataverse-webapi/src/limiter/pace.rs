//! When the next request may start, so that the budgets the service named are spent without
//! going over. Pure arithmetic on the instants passed in, so tests inject time.
//!
//! Two budgets can be known, each from a 429 that named it (see [`super::named`]), both over a
//! sliding window ("Service protection API limits" on Learn: evaluated over a sliding window,
//! 6000 requests and 20 minutes of combined execution time per 5 minutes):
//!
//! - requests per window: the pacer keeps its own log of the operations it started (from the
//!   first request on, so it knows what the window holds when the first 429 names the budget)
//!   and starts a request once its operations fit in what the window has left. Each request
//!   weighs the operations it carries: the service counts every operation inside a `$batch`
//!   ("batching does not avoid" the limits). A window's budget is thus spent as soon as it
//!   frees up, in a burst if it frees up at once, rather than smoothed over the window;
//! - execution time (seconds of execution per second): starts are spaced by mean latency ÷
//!   (share × budget), which keeps share × budget requests executing at once; and none starts
//!   while the execution time the log of finished requests holds for the window has reached
//!   the limit (what the service checks).
//!
//! A request starts when both allow it: the binding budget wins. Started operations expire
//! from their log a little later than the window says ([`expiry`]): the service counts a
//! request when it arrives, a little after the client starts it. Finished executions expire
//! after the window and 5 ms ([`execution_expiry`]): the client sees them finish after the
//! service does.

use std::time::{Duration, Instant};

use super::named::{ExecutionBudget, RequestBudget, clamp_budget};
use super::window::WindowLog;

/// The share of the request budget spent: all of it, since the log tracks the window exactly
/// (a request the service refuses is not counted by it, so a 429 costs a retry, not budget).
pub(super) const REQUEST_SHARE: f64 = 1.0;
/// The share of the execution budget the spacing aims at. Just under all of it: the
/// service checks the window's execution time when a request arrives, and requests finishing
/// while one is on its way add to it, so a window kept right at the limit has refusals come in
/// waves (measured at 1.0 and 1.05). The check right before each start
/// ([`Pacer::execution_wait`]) catches what the spacing cannot see (after a burst).
pub(super) const EXECUTION_SHARE: f64 = 0.985;
/// The request share never drops below this, however often the service throttles.
const MIN_REQUEST_SHARE: f64 = 0.5;
/// Each further request-count 429 (at most one a window) lowers the share by this factor:
/// the budget is shared with another client of the same user.
const REQUEST_SHARE_CUT: f64 = 0.95;
/// The longest wait between two paced starts.
pub(super) const MAX_PACE_INTERVAL: Duration = Duration::from_secs(60);
/// Latencies are capped here before any arithmetic, so sums and products cannot overflow.
pub(super) const LATENCY_CAP: Duration = Duration::from_secs(3600);
/// How long the logs keep entries before a budget names its window: Dataverse's window.
const DEFAULT_HORIZON: Duration = Duration::from_secs(300);

/// How long after it started an entry stops counting: the window, plus a margin for the time
/// the request takes to be counted by the service (from its arrival, after its body is read:
/// the last requests of a burst are counted tens of milliseconds after they were sent): 10 ms
/// and 3% of the window. UNCONFIRMED: the service does not say when within a request it
/// counts it; with 1% a burst's last requests were still counted when the next burst came.
pub(super) fn expiry(window: Duration) -> Duration {
    window
        .saturating_add(Duration::from_millis(10))
        .saturating_add(window.mul_f64(0.03))
}

/// How long after it finished an execution stops counting: the window and 5 ms. The client
/// sees a request finish after the service does (the answer still has to arrive), so no
/// wider margin is needed, and a wider one would hold back starts the service allows.
pub(super) fn execution_expiry(window: Duration) -> Duration {
    window.saturating_add(Duration::from_millis(5))
}

/// A request budget being paced.
#[derive(Debug, Clone, Copy)]
struct RequestPace {
    budget: RequestBudget,
    share: f64,
    /// When the share last changed (or the budget was learned): cuts are a window apart.
    changed: Instant,
}

impl RequestPace {
    /// Operations the window may hold.
    fn allowance(&self) -> f64 {
        self.share * clamp_budget(self.budget.per_second) * self.budget.window.as_secs_f64()
    }
}

/// The pacing state.
#[derive(Debug, Default)]
pub(super) struct Pacer {
    execution: Option<ExecutionBudget>,
    requests: Option<RequestPace>,
    /// Operations started (or due to start), by start.
    started: WindowLog,
    /// Seconds of execution of finished requests, by finish.
    executed: WindowLog,
    /// The earliest start the execution spacing allows next.
    next_execution: Option<Instant>,
}

impl Pacer {
    /// Whether an execution-time budget is being paced.
    pub(super) fn paces_execution(&self) -> bool {
        self.execution.is_some()
    }

    /// The execution-time budget a 429 named.
    pub(super) fn learn_execution(&mut self, budget: ExecutionBudget) {
        self.execution = Some(ExecutionBudget {
            per_second: clamp_budget(budget.per_second),
            ..budget
        });
    }

    /// Operations per second the request pacing allows now, if it is on.
    pub(super) fn request_rate(&self) -> Option<f64> {
        self.requests
            .map(|pace| pace.share * clamp_budget(pace.budget.per_second))
    }

    /// A 429 for the request count at `now`, naming `budget`. The first one turns pacing on;
    /// a later one (at most one a window, so that the requests already sent when pacing began
    /// do not count) lowers the share, since another client of the same user must be
    /// spending the budget too. The refused request itself waits out `Retry-After` (the
    /// pipeline does that); the others start as the log allows.
    pub(super) fn request_throttled(&mut self, now: Instant, budget: RequestBudget) {
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
                    share: REQUEST_SHARE,
                    changed: now,
                });
                tracing::debug!(
                    per_second = budget.per_second,
                    "pacing operations to the request budget the service named"
                );
            }
        }
    }

    /// An attempt that the service did not refuse for a limit ended at `now` after
    /// `latency`: its execution counts toward the execution-time budget.
    pub(super) fn finished(&mut self, now: Instant, latency: Duration) {
        let horizon = self
            .execution
            .map_or(DEFAULT_HORIZON, |b| execution_expiry(b.window));
        self.executed.prune(now, horizon);
        self.executed
            .push(now, latency.min(LATENCY_CAP).as_secs_f64());
    }

    /// How long from `now` until the execution time the window holds is below the limit the
    /// service named (zero if it is, or if none was named). Checked again right before a
    /// request goes, since requests finishing meanwhile add to it: the service refuses a
    /// request that arrives while the window's execution time has reached the limit.
    pub(super) fn execution_wait(&mut self, now: Instant) -> Duration {
        let Some(budget) = self.execution else {
            return Duration::ZERO;
        };
        let horizon = execution_expiry(budget.window);
        self.executed.prune(now, horizon);
        let limit = budget.per_second * budget.window.as_secs_f64();
        self.executed
            .fits_at(now, horizon, 0.0, limit * (1.0 - 1e-6))
            .saturating_duration_since(now)
            .min(MAX_PACE_INTERVAL)
    }

    /// Reserves a start for a request of `operations` operations wanting to start at `now`;
    /// `latency` is the mean of recent successes. Returns how long to wait before starting.
    pub(super) fn reserve(
        &mut self,
        now: Instant,
        operations: u32,
        latency: Option<Duration>,
    ) -> Duration {
        let latest = now.checked_add(MAX_PACE_INTERVAL).unwrap_or(now);
        let mut start = now;
        let mut execution_interval = None;
        if let Some(budget) = self.execution {
            start = start.max(now + self.execution_wait(now));
            if let Some(latency) = latency {
                if let Some(next) = self.next_execution {
                    start = start.max(next);
                }
                // Seconds between starts: latency ÷ (share × budget).
                let latency = latency.min(LATENCY_CAP).as_secs_f64().max(1e-3);
                execution_interval = Some(seconds(
                    latency / (EXECUTION_SHARE * clamp_budget(budget.per_second)),
                ));
            }
        }
        let weight = f64::from(operations.max(1));
        let horizon = self
            .requests
            .map_or(DEFAULT_HORIZON, |p| expiry(p.budget.window));
        self.started.prune(now, horizon);
        if let Some(pace) = self.requests {
            // In the order asked: the log stays sorted, and a small request does not pass a
            // large one that waits for room.
            if let Some(last) = self.started.last() {
                start = start.max(last);
            }
            let allowance = pace.allowance();
            start =
                start.max(
                    self.started
                        .fits_at(start, horizon, weight.min(allowance), allowance),
                );
        }
        // A start further ahead means the queue is long already: do not let it grow without
        // bound.
        let start = start.min(latest);
        if let Some(interval) = execution_interval {
            self.next_execution = start.checked_add(interval).or(Some(start));
        }
        self.started.push(start, weight);
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

    fn execution(per_second: f64, window_secs: u64) -> ExecutionBudget {
        ExecutionBudget {
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
    fn the_window_is_spent_as_it_frees_up() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        // Unpaced: 40 batches of 100 start at once (the log keeps them).
        for _ in 0..40 {
            assert_eq!(pacer.reserve(t0, 100, None), Duration::ZERO);
        }
        // The 41st is refused: 4000 operations per 2 s.
        pacer.request_throttled(t0 + ms(5), budget(2000.0, 2));
        assert_eq!(pacer.request_rate(), Some(2000.0));
        // The window is full until the first 4000 expire (2 s, plus the margin).
        let wait = pacer.reserve(t0 + ms(5), 100, None);
        assert_eq!(wait, expiry(Duration::from_secs(2)) - ms(5));
        // Then the whole budget is free at once: 39 more start at that instant, no spacing.
        for _ in 0..39 {
            assert_eq!(pacer.reserve(t0 + ms(5), 100, None), wait);
        }
        // ... and the next waits for the following window.
        let next = pacer.reserve(t0 + ms(5), 100, None);
        assert_eq!(next, wait + expiry(Duration::from_secs(2)));
    }

    #[test]
    fn requests_start_in_order_and_weigh_their_operations() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        pacer.request_throttled(t0, budget(50.0, 2)); // 100 per window
        assert_eq!(pacer.reserve(t0, 60, None), Duration::ZERO);
        // 60 + 50 > 100: waits for the first to expire.
        let big = pacer.reserve(t0, 50, None);
        assert_eq!(big, expiry(Duration::from_secs(2)));
        // One operation would fit now, but does not pass the one waiting.
        assert!(pacer.reserve(t0, 1, None) >= big);
        // Zero operations weigh one; a request above the whole allowance waits for an empty
        // window, never forever.
        let mut pacer = Pacer::default();
        pacer.request_throttled(t0, budget(50.0, 2));
        assert_eq!(pacer.reserve(t0, 0, None), Duration::ZERO);
        assert!(pacer.reserve(t0, u32::MAX, None) <= MAX_PACE_INTERVAL);
    }

    #[test]
    fn the_binding_budget_wins() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        // Execution: 5 s per s at 250 ms: one start every 250/(0.985 × 5) ≈ 50.8 ms.
        pacer.learn_execution(execution(5.0, 2));
        // Requests: 10,000 per s: 200 batches of 100 per window, so execution binds.
        pacer.request_throttled(t0, budget(10_000.0, 2));
        assert_eq!(pacer.reserve(t0, 100, Some(ms(250))), Duration::ZERO);
        let second = pacer.reserve(t0, 100, Some(ms(250)));
        assert!(second > ms(50) && second < ms(51), "{second:?}");
        // Requests of 1000 make the request budget bind: 20 fit in the window, then the
        // 21st waits for the window to turn over.
        let mut pacer = Pacer::default();
        pacer.learn_execution(execution(5.0, 2));
        pacer.request_throttled(t0, budget(10_000.0, 2));
        let mut last = Duration::ZERO;
        for _ in 0..21 {
            last = pacer.reserve(t0, 1000, Some(ms(250)));
        }
        assert_eq!(last, expiry(Duration::from_secs(2)));
    }

    #[test]
    fn nothing_starts_while_the_windows_execution_time_is_spent() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        // 10 s of execution finished in the first second (an unpaced burst)...
        for i in 0..40 {
            pacer.finished(t0 + ms(25 * i), ms(250));
        }
        // ... then the service names 10 s per 2 s.
        pacer.learn_execution(execution(5.0, 2));
        let now = t0 + ms(1000);
        // The window holds 10 s: the service would refuse until the first finish expires.
        let wait = pacer.reserve(now, 100, Some(ms(250)));
        assert_eq!(now + wait, t0 + execution_expiry(Duration::from_secs(2)));
        // Spacing follows: 250 ms ÷ (0.985 × 5) later.
        let next = pacer.reserve(now, 100, Some(ms(250)));
        assert!(
            next > wait + ms(50) && next < wait + ms(51),
            "{:?}",
            next - wait
        );
    }

    #[test]
    fn the_execution_check_before_a_start_sees_what_finished_meanwhile() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        pacer.learn_execution(execution(5.0, 2));
        assert_eq!(
            pacer.execution_wait(t0),
            Duration::ZERO,
            "nothing finished yet"
        );
        // Reserved while the window was empty; by the start, 40 × 250 ms have finished.
        assert_eq!(pacer.reserve(t0, 100, Some(ms(250))), Duration::ZERO);
        for i in 0..40 {
            pacer.finished(t0 + ms(10 * i), ms(250));
        }
        let now = t0 + ms(400);
        assert_eq!(
            now + pacer.execution_wait(now),
            t0 + execution_expiry(Duration::from_secs(2)),
            "held until the first finish leaves the window"
        );
        // Without a named budget there is nothing to check.
        let mut pacer = Pacer::default();
        pacer.finished(t0, Duration::from_secs(100));
        assert_eq!(pacer.execution_wait(t0), Duration::ZERO);
    }

    #[test]
    fn further_throttling_lowers_the_share_at_most_once_a_window() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        let b = budget(1000.0, 2);
        pacer.request_throttled(t0, b);
        assert_eq!(pacer.request_rate(), Some(1000.0));
        // The requests already under way when pacing began are throttled too: not a cut.
        pacer.request_throttled(t0 + ms(500), b);
        assert_eq!(pacer.request_rate(), Some(1000.0));
        pacer.request_throttled(t0 + Duration::from_secs(3), b);
        let cut = pacer.request_rate().expect("paced");
        assert!((cut - 950.0).abs() < 1e-9, "{cut}");
        for i in 0..100 {
            pacer.request_throttled(t0 + Duration::from_secs(6 + 3 * i), b);
        }
        assert_eq!(pacer.request_rate(), Some(500.0), "never below half");
        // A new budget (the limit changed) starts over.
        pacer.request_throttled(t0 + Duration::from_secs(400), budget(100.0, 2));
        assert_eq!(pacer.request_rate(), Some(100.0));
    }

    #[test]
    fn waits_are_bounded() {
        let mut pacer = Pacer::default();
        let t0 = Instant::now();
        // A tiny budget and huge requests: each wait stays at most the cap.
        pacer.request_throttled(t0, budget(0.01, 300));
        for _ in 0..5 {
            assert!(pacer.reserve(t0, u32::MAX, None) <= MAX_PACE_INTERVAL);
        }
        // A latency far above any budget: the spacing is capped too.
        let mut pacer = Pacer::default();
        pacer.learn_execution(execution(0.01, 2));
        pacer.reserve(t0, 1, Some(Duration::MAX));
        assert!(pacer.reserve(t0, 1, Some(Duration::MAX)) <= MAX_PACE_INTERVAL);
    }
}
