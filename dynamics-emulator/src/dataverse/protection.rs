//! Enforcing the service protection limits per user: requests and execution time over a
//! sliding window, and requests in flight. Time is the monotonic clock plus the emulator
//! clock's offset, so [`Emulator::advance_clock`](crate::Emulator::advance_clock) also moves
//! the windows. [`RequestCost`] says what one request counts and how long it waits.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::settings::{BatchCounting, DataverseLimits};

/// Code of "Number of requests exceeded the limit …".
pub(crate) const REQUESTS_CODE: &str = "0x80072322";
/// Code of "Combined execution time of incoming requests exceeded limit …".
pub(crate) const EXECUTION_TIME_CODE: &str = "0x80072321";
/// Code of "Number of concurrent requests exceeded the limit …".
pub(crate) const CONCURRENCY_CODE: &str = "0x80072326";

/// What one request costs: how many requests it counts toward the request limit, and how many
/// operations the latency model charges it for. Its execution time (admission to answer,
/// latency included) and its one concurrency slot are measured, not priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestCost {
    /// Counted toward `max_requests`.
    pub(crate) counted: u32,
    /// Operations for [`LatencyModel::delay`](super::settings::LatencyModel::delay).
    pub(crate) operations: u32,
}

impl RequestCost {
    /// A single request: one of each.
    pub(crate) const SINGLE: Self = Self {
        counted: 1,
        operations: 1,
    };

    /// A `$batch` of `operations` operations: one request per operation, or one for the
    /// batch, as [`BatchCounting`] says.
    pub(crate) fn batch(operations: u32, counting: BatchCounting) -> Self {
        Self {
            counted: match counting {
                BatchCounting::PerOperation => operations.max(1),
                BatchCounting::PerBatch => 1,
            },
            operations: operations.max(1),
        }
    }

    /// A bulk operation message (`CreateMultiple`, …) of `rows` targets.
    ///
    /// "Use bulk operation messages", FAQ "How are API limits applied?"
    /// (learn.microsoft.com/power-apps/developer/data-platform/bulk-operations): "Each bulk
    /// operation message counts as single request that accrues to the limit of 6,000 requests
    /// per user, per server, during the five-minute window", and "because each bulk operation
    /// message request typically takes longer, … you're more likely to hit the execution time
    /// limit". So: one request toward the request limit whatever [`BatchCounting`] says, its
    /// whole execution time toward the execution-time limit, one concurrent request.
    ///
    /// Latency: the docs give no per-row figure for bulk messages ("Operations become more
    /// efficient … as the number of operations per request increases", with no number), so a
    /// target costs what a `$batch` operation costs: `per_request + per_operation × rows`.
    /// No speed-up is modelled that the docs do not state.
    pub(crate) fn bulk(rows: u32) -> Self {
        Self {
            counted: 1,
            operations: rows.max(1),
        }
    }
}

/// A refused request: code, message and `Retry-After` seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Throttle {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) retry_after_secs: u64,
}

impl Throttle {
    /// The concurrency limit's refusal: "Number of concurrent requests exceeded the limit of
    /// {limit}." (Learn, "Service protection API limits").
    pub(crate) fn concurrency(limit: u32, retry_after_secs: u64) -> Self {
        Throttle {
            code: CONCURRENCY_CODE,
            message: format!("Number of concurrent requests exceeded the limit of {limit}."),
            retry_after_secs,
        }
    }
}

/// What is left of a user's budget after admission (for the `x-ms-ratelimit-*` headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Remaining {
    pub(crate) requests: u64,
    pub(crate) execution_ms: u64,
}

#[derive(Debug, Default)]
struct Usage {
    /// `(time, operations)` of admitted requests.
    requests: VecDeque<(Instant, u32)>,
    /// `(finish time, duration)` of finished requests.
    executions: VecDeque<(Instant, Duration)>,
    in_flight: u32,
}

impl Usage {
    fn prune(&mut self, now: Instant, window: Duration) {
        let start = now.checked_sub(window);
        let expired = |t: &Instant| start.is_some_and(|s| *t <= s);
        while self.requests.front().is_some_and(|(t, _)| expired(t)) {
            self.requests.pop_front();
        }
        while self.executions.front().is_some_and(|(t, _)| expired(t)) {
            self.executions.pop_front();
        }
    }
}

/// Per-user usage.
#[derive(Debug, Default)]
pub(crate) struct Protection {
    users: Mutex<HashMap<Uuid, Usage>>,
}

fn seconds_text(window: Duration) -> String {
    if window.subsec_nanos() == 0 {
        window.as_secs().to_string()
    } else {
        format!("{}", window.as_secs_f64())
    }
}

/// `1200000` → `1,200,000`.
fn grouped(value: u128) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whole seconds until `since + window` has passed, at least 1.
fn retry_after(now: Instant, since: Option<Instant>, window: Duration) -> u64 {
    let wait = since
        .and_then(|t| t.checked_add(window))
        .map_or(Duration::from_secs(1), |end| {
            end.saturating_duration_since(now)
        });
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

impl Protection {
    /// Admits a request of `operations` operations for `user`, or refuses it.
    pub(crate) fn admit(
        &self,
        user: Uuid,
        limits: &DataverseLimits,
        now: Instant,
        operations: u32,
    ) -> Result<Remaining, Throttle> {
        let mut users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        let usage = users.entry(user).or_default();
        usage.prune(now, limits.window);
        if usage.in_flight >= limits.max_concurrent_requests {
            return Err(Throttle::concurrency(limits.max_concurrent_requests, 1));
        }
        let used: u64 = usage.requests.iter().map(|(_, n)| u64::from(*n)).sum();
        if used + u64::from(operations) > u64::from(limits.max_requests) {
            return Err(Throttle {
                code: REQUESTS_CODE,
                message: format!(
                    "Number of requests exceeded the limit of {} over time window of {} seconds.",
                    limits.max_requests,
                    seconds_text(limits.window)
                ),
                retry_after_secs: retry_after(
                    now,
                    usage.requests.front().map(|(t, _)| *t),
                    limits.window,
                ),
            });
        }
        let spent: Duration = usage.executions.iter().map(|(_, d)| *d).sum();
        if spent >= limits.max_execution_time {
            return Err(Throttle {
                code: EXECUTION_TIME_CODE,
                message: format!(
                    "Combined execution time of incoming requests exceeded limit of {} \
                     milliseconds over time window of {} seconds. Decrease number of \
                     concurrent requests or reduce the duration of requests and try again later.",
                    grouped(limits.max_execution_time.as_millis()),
                    seconds_text(limits.window)
                ),
                retry_after_secs: retry_after(
                    now,
                    usage.executions.front().map(|(t, _)| *t),
                    limits.window,
                ),
            });
        }
        usage.requests.push_back((now, operations));
        usage.in_flight += 1;
        Ok(Remaining {
            requests: u64::from(limits.max_requests).saturating_sub(used + u64::from(operations)),
            execution_ms: u64::try_from(
                limits.max_execution_time.saturating_sub(spent).as_millis(),
            )
            .unwrap_or(u64::MAX),
        })
    }

    /// Records a finished request's execution time and frees its concurrency slot.
    pub(crate) fn finish(&self, user: Uuid, now: Instant, elapsed: Duration) {
        let mut users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        let usage = users.entry(user).or_default();
        usage.in_flight = usage.in_flight.saturating_sub(1);
        usage.executions.push_back((now, elapsed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> DataverseLimits {
        DataverseLimits {
            enabled: true,
            window: Duration::from_secs(10),
            max_requests: 3,
            max_execution_time: Duration::from_millis(100),
            max_concurrent_requests: 2,
            ..DataverseLimits::default()
        }
    }

    #[test]
    fn request_limit_and_window() {
        let protection = Protection::default();
        let user = Uuid::new_v4();
        let start = Instant::now();
        for _ in 0..3 {
            protection
                .admit(user, &limits(), start, 1)
                .expect("admitted");
            protection.finish(user, start, Duration::ZERO);
        }
        let refused = protection
            .admit(user, &limits(), start, 1)
            .expect_err("over the limit");
        assert_eq!(refused.code, REQUESTS_CODE);
        assert_eq!(refused.retry_after_secs, 10);
        assert_eq!(
            refused.message,
            "Number of requests exceeded the limit of 3 over time window of 10 seconds."
        );
        assert!(
            protection
                .admit(user, &limits(), start + Duration::from_secs(11), 1)
                .is_ok()
        );
    }

    #[test]
    fn a_bulk_message_counts_one_request_and_pays_per_row_latency() {
        let bulk = RequestCost::bulk(1000);
        assert_eq!((bulk.counted, bulk.operations), (1, 1000));
        let batch = RequestCost::batch(1000, BatchCounting::PerOperation);
        assert_eq!((batch.counted, batch.operations), (1000, 1000));
        assert_eq!(RequestCost::batch(1000, BatchCounting::PerBatch).counted, 1);
        assert_eq!(RequestCost::bulk(0).operations, 1);
        // One bulk request of 1000 rows is admitted where 1000 single requests would not be.
        let protection = Protection::default();
        let user = Uuid::new_v4();
        let now = Instant::now();
        for _ in 0..3 {
            protection
                .admit(user, &limits(), now, bulk.counted)
                .expect("one request each");
            protection.finish(user, now, Duration::ZERO);
        }
        assert!(
            protection
                .admit(user, &limits(), now, batch.counted)
                .is_err()
        );
    }

    #[test]
    fn execution_time_and_concurrency() {
        let protection = Protection::default();
        let user = Uuid::new_v4();
        let now = Instant::now();
        protection.admit(user, &limits(), now, 1).expect("first");
        protection.admit(user, &limits(), now, 1).expect("second");
        let refused = protection
            .admit(user, &limits(), now, 1)
            .expect_err("two in flight");
        assert_eq!(refused.code, CONCURRENCY_CODE);
        protection.finish(user, now, Duration::from_millis(150));
        let refused = protection
            .admit(user, &limits(), now, 1)
            .expect_err("time spent");
        assert_eq!(refused.code, EXECUTION_TIME_CODE);
        assert!(refused.message.contains("limit of 100 milliseconds"));
        assert_eq!(grouped(1_200_000), "1,200,000");
    }
}
