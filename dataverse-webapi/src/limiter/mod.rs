//! An adaptive limit on concurrent requests, shared by a client's clones, and pacing of
//! request starts to the budgets the service names.
//!
//! The concurrency limit starts from the service's `x-ms-dop-hint` (the degree of parallelism
//! Dataverse recommends) when one arrives, grows by one request per success until the first
//! sign of congestion (doubling each round trip) and then by about one per round of successes,
//! and shrinks by a quarter on a 429 (at most once a second, so one burst of throttling counts
//! once) and a little when latency climbs far above the best seen. A 5xx or a lost connection
//! is a fault, retried by the pipeline: it shrinks the limit only while faults are a large
//! share of recent attempts ([`faults`]), so a few percent of random faults cost retries, not
//! concurrency.
//!
//! A service protection 429 names its limit in a documented message ([`named`]). Once one
//! has, probing stops paying (each further 429 stalls a request for a whole `Retry-After`), so
//! the limiter uses the number instead:
//!
//! - concurrent requests: the named limit caps the concurrency limit;
//! - execution time: starts are paced to keep the budget in use, and none goes while the
//!   window's execution time (by the limiter's log of what finished) has reached the limit
//!   ([`pace`]);
//! - requests per window: a request starts once its operations fit in what the window has
//!   left, by the limiter's own log of what it started ([`pace`]); a request weighs the
//!   operations it carries ([`ConcurrencyLimiter::acquire_for`]; a `$batch` of 100 weighs
//!   100).
//!
//! Until a 429 names a budget nothing is paced: the client is told no limits, and a 429 costs
//! one retry of one request (the service does not count what it refuses).
//!
//! The `x-ms-ratelimit-*-remaining-xrm-requests` headers are documented "for debugging only"
//! (REFERENCE.md 3.3), so nothing here relies on them. The limiter sees every attempt,
//! including those the pipeline retries, through [`dynamics_http::AttemptObserver`].

mod faults;
mod named;
mod pace;
mod window;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dynamics_http::{AttemptObserver, AttemptOutcome};
use tokio::sync::Notify;

use crate::ServiceProtectionLimit;
use faults::FaultShare;
use pace::{LATENCY_CAP, Pacer};

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
    /// The best latency seen, per size class of request body ([`size_class`]): a small read
    /// is not held against a large write.
    best_latency: [Option<Duration>; SIZE_CLASSES],
    /// Mean latency of recent successes.
    latency: Option<Duration>,
    /// While pacing to an execution-time budget: the slots that budget needs (plus a spare).
    paced_slots: Option<f64>,
    /// The concurrency limit a 429 named.
    named_concurrency: Option<f64>,
    /// Start times under the named budgets.
    pacer: Pacer,
    /// The share of recent attempts that were faults (5xx, no answer).
    faults: FaultShare,
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
}

impl State {
    /// The highest the concurrency limit may go now.
    fn ceiling(&self, options: &LimiterOptions) -> f64 {
        let mut ceiling = options.max as f64;
        if let Some(named) = self.named_concurrency {
            ceiling = ceiling.min(named);
        }
        if let Some(slots) = self.paced_slots {
            ceiling = ceiling.min(slots);
        }
        ceiling.max(options.min as f64)
    }

    fn decrease(&mut self, now: Instant, factor: f64, min: usize) {
        if self
            .last_decrease
            .is_some_and(|t| now.saturating_duration_since(t) < DECREASE_SPACING)
        {
            return;
        }
        self.last_decrease = Some(now);
        self.limit = (self.limit * factor).max(min as f64);
        tracing::debug!(limit = self.limit, "concurrency limit lowered");
    }

    /// Whether a 429 has named one of the limits.
    fn knows_a_limit(&self) -> bool {
        self.named_concurrency.is_some()
            || self.pacer.paces_execution()
            || self.pacer.request_rate().is_some()
    }

    /// Takes in one attempt's outcome, seen at `now`.
    fn observe(&mut self, now: Instant, outcome: &AttemptOutcome, options: &LimiterOptions) {
        self.faults
            .record(outcome.status.is_none_or(|status| status >= 500));
        if outcome.status != Some(429) {
            // The service counts the execution of what it did not refuse for a limit.
            self.pacer.finished(now, outcome.latency);
        }
        if let Some(hint) = outcome.dop_hint
            && !self.hinted
        {
            self.hinted = true;
            self.limit = (hint as f64).clamp(options.min as f64, self.ceiling(options));
            tracing::debug!(hint, "concurrency limit set from x-ms-dop-hint");
        }
        let named = match (&outcome.status, &outcome.error) {
            (Some(429), Some((Some(code), Some(message)))) => {
                ServiceProtectionLimit::from_code(code).map(|limit| (limit, message.as_str()))
            }
            _ => None,
        };
        match (outcome.status, named) {
            (Some(429), Some((ServiceProtectionLimit::ExecutionTime, message)))
                if let Some(budget) = named::execution_budget(message) =>
            {
                let first = !self.pacer.paces_execution();
                self.pacer.learn_execution(budget);
                // Pacing takes over from probing; keep one spare slot.
                self.paced_slots = Some(budget.per_second.ceil() + 1.0);
                if first {
                    self.limit = self.ceiling(options);
                } else {
                    // Throttled while pacing: the budget was shared or latency rose.
                    self.decrease(now, 0.9, options.min);
                }
                tracing::debug!(
                    per_second = budget.per_second,
                    "pacing to the execution-time budget the service named"
                );
            }
            (Some(429), Some((ServiceProtectionLimit::NumberOfRequests, message)))
                if let Some(budget) = named::request_budget(message) =>
            {
                // Concurrency is not what ran out: leave it alone.
                self.pacer.request_throttled(now, budget);
            }
            (Some(429), Some((ServiceProtectionLimit::ConcurrentRequests, message)))
                if let Some(limit) = named::concurrency_limit(message) =>
            {
                // Our count of requests in flight is never below the service's (a permit is
                // taken before sending and given back after the answer), so staying at the
                // named limit avoids further 429s of this kind.
                self.named_concurrency = Some(limit as f64);
                self.limit = self.limit.min(self.ceiling(options));
                tracing::debug!(limit, "concurrency capped at the limit the service named");
            }
            (Some(429), _) => self.decrease(now, 0.75, options.min),
            // A fault (a 5xx, a dropped connection, a timeout) is retried after a back-off with
            // its slot given back meanwhile; only many of them at once mean overload.
            (None, _) | (Some(500..), _) if self.faults.congested() => {
                self.decrease(now, 0.75, options.min);
            }
            (None, _) | (Some(500..), _) => {}
            (Some(status), _) if status < 500 => {
                self.latency = Some(mean(self.latency, outcome.latency));
                if self.pacer.paces_execution() {
                    // Paced: latency sets the pace; the slots come back after a decrease.
                    self.limit = (self.limit + 1.0 / self.limit).min(self.ceiling(options));
                    return;
                }
                let class = size_class(outcome.request_bytes);
                let best =
                    self.best_latency[class].map_or(outcome.latency, |b| b.min(outcome.latency));
                self.best_latency[class] = Some(best);
                if outcome.latency > LATENCY_FLOOR
                    && outcome.latency > best.saturating_mul(LATENCY_FACTOR)
                {
                    self.decrease(now, 0.9, options.min);
                } else {
                    // Until the first sign of congestion (a decrease, or a limit named), one
                    // more per success: the limit doubles each round trip, as in TCP's slow
                    // start, so a service with room is found quickly. Then one more per
                    // round of successes.
                    let step = if self.last_decrease.is_none() && !self.knows_a_limit() {
                        1.0
                    } else {
                        1.0 / self.limit
                    };
                    self.limit = (self.limit + step).min(self.ceiling(options));
                }
            }
            _ => {}
        }
    }
}

/// Size classes of request bodies: by the bit length of the size, so each class spans a
/// factor of two (0: no body).
const SIZE_CLASSES: usize = 40;

/// The size class of a body of `bytes` bytes.
fn size_class(bytes: usize) -> usize {
    ((usize::BITS - bytes.leading_zeros()) as usize).min(SIZE_CLASSES - 1)
}

/// A running mean that follows recent values (weight 1/8 for the newest).
fn mean(current: Option<Duration>, sample: Duration) -> Duration {
    let sample = sample.min(LATENCY_CAP);
    current.map_or(sample, |m| (m.min(LATENCY_CAP) * 7 + sample) / 8)
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
                    best_latency: [None; SIZE_CLASSES],
                    latency: None,
                    paced_slots: None,
                    named_concurrency: None,
                    pacer: Pacer::default(),
                    faults: FaultShare::default(),
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

    /// Operations per second the limiter paces to, once a 429 has named the request budget.
    pub fn paced_operations_per_second(&self) -> Option<f64> {
        self.inner.lock().pacer.request_rate()
    }

    /// Waits for a slot for a request of one operation.
    pub async fn acquire(&self) -> Permit {
        self.acquire_for(1).await
    }

    /// Waits for a slot for a request carrying `operations` operations (the parts of a
    /// `$batch`; 0 counts as 1): once the service has named its request budget, the request
    /// weighs that many toward it.
    pub async fn acquire_for(&self, operations: u32) -> Permit {
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
                    let latency = state.latency;
                    let wait = state.pacer.reserve(Instant::now(), operations, latency);
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
                // Requests that finished while this one waited count toward the execution
                // time the service checks on arrival: look again before going.
                loop {
                    let wait = self.inner.lock().pacer.execution_wait(Instant::now());
                    if wait.is_zero() {
                        return permit;
                    }
                    tokio::time::sleep(wait).await;
                }
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
    /// Shorter while faults are rare; see [`faults`].
    fn fault_backoff(&self, backoff: Duration) -> Duration {
        if !self.0.options.enabled {
            return backoff;
        }
        self.0.lock().faults.backoff(backoff)
    }

    fn on_attempt(&self, outcome: &AttemptOutcome) {
        let inner = &self.0;
        let mut state = inner.lock();
        let before = state.limit;
        state.observe(Instant::now(), outcome, &inner.options);
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
        assert_eq!(
            limiter.limit(),
            11,
            "the hint, and one more for the success"
        );
        for _ in 0..24 {
            observer.on_attempt(&outcome(200, Some(10)));
        }
        assert_eq!(
            limiter.limit(),
            35,
            "one more per success before congestion"
        );
        observer.on_attempt(&outcome(429, None));
        observer.on_attempt(&outcome(429, None));
        assert_eq!(
            limiter.limit(),
            26,
            "35 less a quarter; a burst counts once"
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
        // 0.985 × 5 in flight at 250 ms: 19.7 starts per second, one every ~50.8 ms.
        let mut state = limiter.inner.lock();
        let latency = state.latency;
        let now = Instant::now();
        let first = state.pacer.reserve(now, 1, latency);
        let second = state.pacer.reserve(now, 1, latency);
        assert!(first.is_zero());
        assert!(
            second > Duration::from_millis(50) && second < Duration::from_millis(51),
            "{second:?}"
        );
    }

    #[test]
    fn the_limit_doubles_each_round_until_congestion_then_grows_by_one_a_round() {
        let options = LimiterOptions::default();
        let now = Instant::now();
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let mut state = limiter.inner.lock();
        state.observe(now, &outcome(200, Some(8)), &options);
        let start = state.limit;
        // A round of successes at 8 in flight: 8 more.
        for _ in 0..8 {
            state.observe(now, &outcome(200, None), &options);
        }
        assert_eq!(state.limit, start + 8.0);
        // Congestion ends the doubling: a round of successes then adds about one.
        state.observe(now, &outcome(429, None), &options);
        let after = state.limit;
        let round = after.floor() as usize;
        for _ in 0..round {
            state.observe(now, &outcome(200, None), &options);
        }
        assert!(
            state.limit > after + 0.9 && state.limit < after + 1.1,
            "{} after {after}",
            state.limit
        );
    }

    #[test]
    fn latency_is_compared_between_requests_of_like_size() {
        let options = LimiterOptions::default();
        let now = Instant::now();
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let mut state = limiter.inner.lock();
        // A quick read without a body first...
        let mut read = AttemptOutcome::new(Some(200), Duration::from_millis(50), None, Some(8));
        read.request_bytes = 0;
        state.observe(now, &read, &options);
        // ... then writes of 20 kB taking 250 ms: not congestion, the limit grows.
        let before = state.limit;
        let mut write = AttemptOutcome::new(Some(200), Duration::from_millis(250), None, None);
        write.request_bytes = 20_000;
        for i in 0..8 {
            state.observe(now + Duration::from_secs(2 * i), &write, &options);
        }
        assert!(state.limit > before, "{} after {before}", state.limit);
        // A write of that size taking four times as long is.
        let grown = state.limit;
        let mut slow = write.clone();
        slow.latency = Duration::from_millis(1100);
        state.observe(now + Duration::from_secs(60), &slow, &options);
        assert!(state.limit < grown, "{} after {grown}", state.limit);
        assert_eq!(size_class(0), 0);
        assert_eq!(size_class(1), 1);
        assert_eq!(size_class(20_000), size_class(30_000));
        assert_eq!(size_class(usize::MAX), SIZE_CLASSES - 1);
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

    fn throttled(code: &str, message: &str, retry_after: u64) -> AttemptOutcome {
        let mut outcome = AttemptOutcome::new(
            Some(429),
            Duration::from_millis(5),
            Some(Duration::from_secs(retry_after)),
            None,
        );
        outcome.error = Some((Some(code.into()), Some(message.into())));
        outcome
    }

    #[test]
    fn a_named_request_budget_paces_operations_and_leaves_concurrency_alone() {
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let options = LimiterOptions::default();
        let t0 = Instant::now();
        let mut state = limiter.inner.lock();
        state.observe(t0, &outcome(200, Some(8)), &options);
        // Unpaced until the service names the budget: 40 batches of 100 go at once.
        for _ in 0..40 {
            assert_eq!(state.pacer.reserve(t0, 100, None), Duration::ZERO);
        }
        let before = state.limit;
        state.observe(
            t0,
            &throttled(
                "0x80072322",
                "Number of requests exceeded the limit of 4000 over time window of 2 seconds.",
                1,
            ),
            &options,
        );
        assert_eq!(
            state.limit, before,
            "the request count is paced, not probed"
        );
        assert_eq!(state.pacer.request_rate(), Some(2000.0));
        // The 4000 started fill the window: the next batch waits for them to expire.
        let wait = state.pacer.reserve(t0, 100, None);
        assert!(
            wait > Duration::from_secs(2) && wait < Duration::from_millis(2100),
            "{wait:?}"
        );
    }

    #[test]
    fn random_faults_cost_retries_not_concurrency() {
        let options = LimiterOptions::default();
        let t0 = Instant::now();
        let dropped = AttemptOutcome::new(None, Duration::from_millis(3), None, None);
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let mut state = limiter.inner.lock();
        state.observe(t0, &outcome(200, Some(8)), &options);
        assert_eq!(state.limit, 9.0);
        // A 503 and a dropped connection among successes: the slow start goes on.
        state.observe(t0, &outcome(503, None), &options);
        state.observe(t0, &dropped, &options);
        for _ in 0..9 {
            state.observe(t0, &outcome(200, None), &options);
        }
        assert_eq!(state.limit, 18.0, "one more per success, nothing taken off");
        // One fault in twenty, for many rounds: the limit only grows, to the cap.
        for i in 0..2000u64 {
            let now = t0 + Duration::from_millis(10 * i);
            let answer = if i % 20 == 0 {
                outcome(503, None)
            } else {
                outcome(200, None)
            };
            state.observe(now, &answer, &options);
        }
        assert_eq!(state.limit, 64.0);
        assert!(state.last_decrease.is_none());
        drop(state);
        // A service failing most requests is overloaded: the limit comes down, once a
        // second however many fail.
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let mut state = limiter.inner.lock();
        state.observe(t0, &outcome(200, Some(8)), &options);
        for i in 0..20 {
            state.observe(t0 + Duration::from_millis(i), &outcome(503, None), &options);
        }
        assert_eq!(state.limit, 9.0 * 0.75);
        for i in 0..20 {
            state.observe(t0 + Duration::from_millis(1000 + i), &dropped, &options);
        }
        assert_eq!(state.limit, 9.0 * 0.75 * 0.75);
        drop(state);
        // With the concurrency limit named, a fault leaves it alone.
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let mut state = limiter.inner.lock();
        state.observe(t0, &outcome(200, Some(8)), &options);
        state.observe(
            t0,
            &throttled(
                "0x80072326",
                "Number of concurrent requests exceeded the limit of 4.",
                1,
            ),
            &options,
        );
        state.observe(t0 + Duration::from_secs(2), &outcome(503, None), &options);
        assert_eq!(state.limit, 4.0);
    }

    #[test]
    fn a_named_concurrency_limit_caps_growth() {
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let options = LimiterOptions::default();
        let now = Instant::now();
        let mut state = limiter.inner.lock();
        state.observe(now, &outcome(200, Some(8)), &options);
        state.observe(
            now,
            &throttled(
                "0x80072326",
                "Number of concurrent requests exceeded the limit of 4.",
                1,
            ),
            &options,
        );
        assert_eq!(state.limit, 4.0);
        for _ in 0..100 {
            state.observe(now, &outcome(200, None), &options);
        }
        assert_eq!(
            state.limit, 4.0,
            "successes never grow past the named limit"
        );
        // An unnamed 429 still probes down.
        state.observe(now, &outcome(429, None), &options);
        assert_eq!(state.limit, 3.0);
    }

    #[test]
    fn paced_slots_come_back_after_a_fault() {
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        let options = LimiterOptions::default();
        let now = Instant::now();
        let mut state = limiter.inner.lock();
        state.observe(
            now,
            &throttled(
                "0x80072321",
                "Combined execution time of incoming requests exceeded limit of 10,000 milliseconds over time window of 2 seconds.",
                1,
            ),
            &options,
        );
        assert_eq!(state.limit, 6.0);
        // A 429 that names nothing (another service in front, say) still probes down.
        state.observe(now, &outcome(429, None), &options);
        assert_eq!(state.limit, 4.5);
        for _ in 0..20 {
            state.observe(now, &outcome(200, None), &options);
        }
        assert_eq!(state.limit, 6.0, "back to the budget's slots, never above");
    }

    #[tokio::test]
    async fn acquire_for_weighs_the_operations() {
        let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
        limiter.observer().on_attempt(&throttled(
            "0x80072322",
            "Number of requests exceeded the limit of 1,000 over time window of 1 seconds.",
            0,
        ));
        assert_eq!(limiter.paced_operations_per_second(), Some(1000.0));
        // A batch of 1000 takes the whole window: it starts at once, and one more operation
        // waits for the window to turn over.
        let _a = limiter.acquire_for(1000).await;
        let wait = limiter.inner.lock().pacer.reserve(Instant::now(), 1, None);
        assert!(
            wait > Duration::from_millis(950) && wait <= Duration::from_millis(1040),
            "{wait:?}"
        );
    }
}
