//! An adaptive limit on concurrent requests, shared by a client's clones.
//!
//! It starts from the service's `x-ms-dop-hint` (the degree of parallelism Dataverse
//! recommends) when one arrives, grows by about one request per round of successes, and
//! shrinks by a quarter on a 429 or 503 (at most once a second, so one burst of throttling
//! counts once) and a little when latency climbs far above the best seen.
//!
//! When a 429 for the combined execution time names its budget (Dataverse's documented message
//! says "exceeded limit of N milliseconds over time window of W seconds"), probing stops
//! paying: each further 429 stalls a request for a whole second of `Retry-After`. The limiter
//! then paces request starts to keep 95% of that budget in use (budget ÷ mean latency starts
//! per second) instead. It sees every attempt, including those the pipeline retries, through
//! [`dynamics_http::AttemptObserver`].

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dynamics_http::{AttemptObserver, AttemptOutcome};
use tokio::sync::Notify;

/// Settings of the concurrency limiter.
#[derive(Debug, Clone)]
pub struct LimiterOptions {
    /// Apply a limit at all (default `true`).
    pub enabled: bool,
    /// The limit before the service gives a hint (default 4).
    pub initial: usize,
    /// Never fewer than this in flight (default 1).
    pub min: usize,
    /// Never more (default 64: above Dataverse's documented 52 concurrent requests per user
    /// and web server, since an org may run several).
    pub max: usize,
}

impl Default for LimiterOptions {
    fn default() -> Self {
        LimiterOptions {
            enabled: true,
            initial: 4,
            min: 1,
            max: 64,
        }
    }
}

/// The shared limiter. Cheap to clone.
#[derive(Clone)]
pub struct ConcurrencyLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    notify: Notify,
    options: LimiterOptions,
}

struct State {
    limit: f64,
    in_flight: usize,
    hinted: bool,
    last_decrease: Option<Instant>,
    best_latency: Option<Duration>,
    /// Mean latency of recent successes.
    latency: Option<Duration>,
    /// The execution-time budget the service named in a 429, as requests in flight
    /// (execution time per window / window).
    execution_budget: Option<f64>,
    /// When the next request may start, while pacing.
    next_start: Option<Instant>,
}

/// A slot; dropping it frees the slot.
pub struct Permit {
    inner: Option<Arc<Inner>>,
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permit")
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            {
                let mut state = inner.lock();
                state.in_flight = state.in_flight.saturating_sub(1);
            }
            inner.notify.notify_one();
        }
    }
}

/// Decreases closer together than this count as one congestion event.
const DECREASE_SPACING: Duration = Duration::from_secs(1);
/// Latency this many times the best seen counts as congestion.
const LATENCY_FACTOR: u32 = 4;
/// ... but only above this, so fast local calls never trip it.
const LATENCY_FLOOR: Duration = Duration::from_millis(200);

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; the state stays consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn decrease(&self, state: &mut State, factor: f64) {
        let now = Instant::now();
        if state
            .last_decrease
            .is_some_and(|t| now.duration_since(t) < DECREASE_SPACING)
        {
            return;
        }
        state.last_decrease = Some(now);
        state.limit = (state.limit * factor).max(self.options.min as f64);
        tracing::debug!(limit = state.limit, "concurrency limit lowered");
    }
}

/// Latencies are capped here before any arithmetic, so sums and products cannot overflow.
const LATENCY_CAP: Duration = Duration::from_secs(3600);

/// A running mean that follows recent values (weight 1/8 for the newest).
fn mean(current: Option<Duration>, sample: Duration) -> Duration {
    let sample = sample.min(LATENCY_CAP);
    current.map_or(sample, |m| (m.min(LATENCY_CAP) * 7 + sample) / 8)
}

/// The budgets pacing accepts, in seconds of execution per second: below (less than a
/// hundredth of one request in flight) a message is taken as misread and ignored; above,
/// the budget is capped (pacing would hardly ever wait anyway).
const BUDGET_RANGE: (f64, f64) = (1e-2, 1e4);
/// The longest wait between two paced starts.
const MAX_PACE_INTERVAL: Duration = Duration::from_secs(60);

/// Keep this share of a budget the service named, so that sends stay just under it.
const BUDGET_SHARE: f64 = 0.95;

impl State {
    /// While the service has named an execution-time budget, requests start at the rate that
    /// keeps `BUDGET_SHARE` of it in use: budget ÷ mean latency per second.
    fn pace_delay(&mut self) -> Duration {
        let (Some(budget), Some(latency)) = (self.execution_budget, self.latency) else {
            return Duration::ZERO;
        };
        // Seconds between starts: latency ÷ (share × budget). Every input is clamped, and the
        // conversion cannot panic: a NaN or out-of-range interval becomes the cap.
        let budget = clamp_budget(budget);
        let latency = latency.min(LATENCY_CAP).as_secs_f64().max(1e-3);
        let interval = Duration::try_from_secs_f64(latency / (BUDGET_SHARE * budget))
            .unwrap_or(MAX_PACE_INTERVAL)
            .min(MAX_PACE_INTERVAL);
        let now = Instant::now();
        let start = self.next_start.map_or(now, |t| t.max(now));
        // A start more than one interval ahead means the queue is long already: do not let
        // it grow without bound.
        let start = start.min(now + MAX_PACE_INTERVAL);
        self.next_start = start.checked_add(interval).or(Some(start));
        start.saturating_duration_since(now)
    }
}

/// Reads the budget out of the documented execution-time message: "... exceeded limit of
/// 1,200,000 milliseconds over time window of 300 seconds ..." gives 4.0 (seconds of
/// execution per second).
fn execution_budget(message: &str) -> Option<f64> {
    let number_after = |marker: &str| -> Option<f64> {
        let rest = &message[message.find(marker)? + marker.len()..];
        let digits: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
            .filter(|c| *c != ',')
            .collect();
        digits.trim_end_matches('.').parse().ok()
    };
    let budget_ms = number_after("limit of ")?;
    let window_s = number_after("time window of ")?;
    let budget = budget_ms / 1000.0 / window_s;
    (budget_ms.is_finite() && window_s.is_finite() && budget >= BUDGET_RANGE.0)
        .then(|| clamp_budget(budget))
}

/// A finite budget in [`BUDGET_RANGE`] (NaN becomes the lower end).
fn clamp_budget(budget: f64) -> f64 {
    if budget.is_nan() {
        return BUDGET_RANGE.0;
    }
    budget.clamp(BUDGET_RANGE.0, BUDGET_RANGE.1)
}

impl ConcurrencyLimiter {
    /// A limiter with these settings. `min` is at least 1 and `max` at least `min`; `initial`
    /// is clamped between them.
    pub fn new(mut options: LimiterOptions) -> Self {
        options.min = options.min.max(1);
        options.max = options.max.max(options.min);
        let initial = options.initial.clamp(options.min, options.max) as f64;
        ConcurrencyLimiter {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    limit: initial,
                    in_flight: 0,
                    hinted: false,
                    last_decrease: None,
                    best_latency: None,
                    latency: None,
                    execution_budget: None,
                    next_start: None,
                }),
                notify: Notify::new(),
                options,
            }),
        }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.inner.lock().limit.floor() as usize
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.inner.lock().in_flight
    }

    /// Waits for a slot.
    pub async fn acquire(&self) -> Permit {
        if !self.inner.options.enabled {
            return Permit { inner: None };
        }
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let wait = {
                let mut state = self.inner.lock();
                if (state.in_flight as f64) < state.limit.floor().max(1.0) {
                    // The delay first: the slot is only taken once nothing can fail.
                    let wait = state.pace_delay();
                    state.in_flight += 1;
                    Some(wait)
                } else {
                    None
                }
            };
            if let Some(wait) = wait {
                // From here the permit owns the slot: it is given back however this future
                // ends (dropped while waiting, or a panic unwinding through it).
                let permit = Permit {
                    inner: Some(Arc::clone(&self.inner)),
                };
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                return permit;
            }
            notified.await;
        }
    }

    /// The observer to put in the pipeline's options.
    pub fn observer(&self) -> Arc<dyn AttemptObserver> {
        Arc::new(LimiterObserver(Arc::clone(&self.inner)))
    }
}

impl fmt::Debug for ConcurrencyLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("ConcurrencyLimiter")
            .field("limit", &state.limit)
            .field("in_flight", &state.in_flight)
            .finish()
    }
}

struct LimiterObserver(Arc<Inner>);

impl fmt::Debug for LimiterObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LimiterObserver")
    }
}

impl AttemptObserver for LimiterObserver {
    fn on_attempt(&self, outcome: &AttemptOutcome) {
        let inner = &self.0;
        let options = &inner.options;
        let mut state = inner.lock();
        let before = state.limit;
        if let Some(hint) = outcome.dop_hint
            && !state.hinted
        {
            state.hinted = true;
            state.limit = (hint as f64).clamp(options.min as f64, options.max as f64);
            tracing::debug!(hint, "concurrency limit set from x-ms-dop-hint");
        }
        let named_budget = match (&outcome.status, &outcome.error) {
            (Some(429), Some((Some(code), Some(message))))
                if crate::ServiceProtectionLimit::from_code(code)
                    == Some(crate::ServiceProtectionLimit::ExecutionTime) =>
            {
                execution_budget(message)
            }
            _ => None,
        };
        match outcome.status {
            Some(429) if named_budget.is_some() => {
                let first = state.execution_budget.is_none();
                state.execution_budget = named_budget;
                // Pacing takes over from the concurrency limit; keep one spare slot.
                let slots = named_budget.unwrap_or(1.0).ceil() + 1.0;
                state.limit = slots.clamp(options.min as f64, options.max as f64);
                if !first {
                    // Throttled while pacing: the budget was shared or latency rose.
                    inner.decrease(&mut state, 0.9);
                }
                tracing::debug!(budget = ?named_budget, "pacing to the execution-time budget the service named");
            }
            Some(429) | Some(503) => inner.decrease(&mut state, 0.75),
            Some(status) if status < 500 && state.execution_budget.is_some() => {
                // Paced: follow the latency, leave the concurrency alone.
                state.latency = Some(mean(state.latency, outcome.latency));
            }
            Some(status) if status < 500 => {
                state.latency = Some(mean(state.latency, outcome.latency));
                let best = state
                    .best_latency
                    .map_or(outcome.latency, |b| b.min(outcome.latency));
                state.best_latency = Some(best);
                if outcome.latency > LATENCY_FLOOR
                    && outcome.latency > best.saturating_mul(LATENCY_FACTOR)
                {
                    inner.decrease(&mut state, 0.9);
                } else {
                    state.limit = (state.limit + 1.0 / state.limit).min(options.max as f64);
                }
            }
            _ => {}
        }
        let grew = state.limit.floor() > before.floor();
        drop(state);
        if grew {
            inner.notify.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: u16, hint: Option<usize>) -> AttemptOutcome {
        AttemptOutcome::new(Some(status), Duration::from_millis(10), None, hint)
    }

    #[tokio::test]
    async fn the_hint_sets_the_start_successes_grow_and_throttling_shrinks() {
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let observer = limiter.observer();
        assert_eq!(limiter.limit(), 4);
        observer.on_attempt(&outcome(200, Some(10)));
        assert_eq!(limiter.limit(), 10);
        for _ in 0..25 {
            observer.on_attempt(&outcome(200, Some(10)));
        }
        assert!(limiter.limit() >= 12, "{}", limiter.limit());
        let before = limiter.limit();
        observer.on_attempt(&outcome(429, None));
        observer.on_attempt(&outcome(429, None));
        assert_eq!(
            limiter.limit(),
            (before as f64 * 0.75).floor() as usize,
            "a burst counts once"
        );
    }

    #[test]
    fn the_documented_execution_time_message_names_the_budget() {
        let real = "Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.";
        assert_eq!(execution_budget(real), Some(4.0));
        assert_eq!(
            execution_budget("limit of 10,000 milliseconds over time window of 2 seconds."),
            Some(5.0)
        );
        assert_eq!(
            execution_budget("Number of concurrent requests exceeded the limit of 52."),
            None
        );
    }

    #[tokio::test]
    async fn a_named_execution_budget_switches_to_pacing() {
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let observer = limiter.observer();
        let mut ok = AttemptOutcome::new(Some(200), Duration::from_millis(250), None, Some(8));
        observer.on_attempt(&ok);
        let mut throttled = AttemptOutcome::new(
            Some(429),
            Duration::from_millis(5),
            Some(Duration::from_secs(1)),
            None,
        );
        throttled.error = Some((
            Some("0x80072321".into()),
            Some("Combined execution time of incoming requests exceeded limit of 10,000 milliseconds over time window of 2 seconds.".into()),
        ));
        observer.on_attempt(&throttled);
        assert_eq!(limiter.limit(), 6, "five in budget plus one spare");
        ok.dop_hint = None;
        observer.on_attempt(&ok);
        // 0.95 × 5 in flight at 250 ms: 19 starts per second, one every ~52.6 ms.
        let mut state = limiter.inner.lock();
        let first = state.pace_delay();
        let second = state.pace_delay();
        assert!(first.is_zero());
        assert!(
            second > Duration::from_millis(50) && second < Duration::from_millis(56),
            "{second:?}"
        );
    }

    #[tokio::test]
    async fn permits_are_limited_and_released() {
        let limiter = ConcurrencyLimiter::new(LimiterOptions {
            initial: 2,
            ..Default::default()
        });
        let a = limiter.acquire().await;
        let _b = limiter.acquire().await;
        assert_eq!(limiter.in_flight(), 2);
        let waiter = {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(a);
        let _c = waiter.await.expect("acquired after a release");
        assert_eq!(limiter.in_flight(), 2);
    }
}
