//! An adaptive limit on concurrent requests, shared by a client's clones.
//!
//! It starts from the service's `x-ms-dop-hint` (the degree of parallelism Dataverse
//! recommends) when one arrives, grows by about one request per round of successes, and
//! shrinks by a quarter on a 429 or 503 (at most once a second, so one burst of throttling
//! counts once) and a little when latency climbs far above the best seen. It sees every
//! attempt, including those the pipeline retries, through
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
            inner.lock().in_flight -= 1;
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

impl ConcurrencyLimiter {
    /// A limiter with these settings.
    pub fn new(options: LimiterOptions) -> Self {
        let initial = options
            .initial
            .clamp(options.min.max(1), options.max.max(1)) as f64;
        ConcurrencyLimiter {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    limit: initial,
                    in_flight: 0,
                    hinted: false,
                    last_decrease: None,
                    best_latency: None,
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
            {
                let mut state = self.inner.lock();
                if (state.in_flight as f64) < state.limit.floor().max(1.0) {
                    state.in_flight += 1;
                    return Permit {
                        inner: Some(Arc::clone(&self.inner)),
                    };
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
        match outcome.status {
            Some(429) | Some(503) => inner.decrease(&mut state, 0.75),
            Some(status) if status < 500 => {
                let best = state
                    .best_latency
                    .map_or(outcome.latency, |b| b.min(outcome.latency));
                state.best_latency = Some(best);
                if outcome.latency > LATENCY_FLOOR && outcome.latency > best * LATENCY_FACTOR {
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
