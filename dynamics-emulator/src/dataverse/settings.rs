//! Knobs of the Dataverse service: service protection limits, the latency model, fault
//! injection and the `x-ms-dop-hint` value, plus the throughput ceiling they imply.

use std::time::Duration;

/// Settings of the Dataverse Web API service, in [`EmulatorConfig::dataverse`](crate::EmulatorConfig::dataverse)
/// and changeable at run time with [`Seeder`](crate::Seeder) methods.
///
/// The default is a service without limits, latency or faults, answering `x-ms-dop-hint: 8`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataverseConfig {
    /// Service protection limits (off by default).
    pub limits: DataverseLimits,
    /// Artificial latency (zero by default).
    pub latency: LatencyModel,
    /// Injected failures (none by default).
    pub faults: FaultInjection,
    /// The `x-ms-dop-hint` header on every answer: the recommended degree of parallelism.
    /// Default 8.
    pub dop_hint: u32,
    /// Which callers the security model (roles, privileges, depth) applies to. Default
    /// [`SecurityEnforcement::ApiApplicationUsers`].
    pub security: SecurityEnforcement,
}

/// Which callers the emulator checks against Dataverse's security model: effective privileges
/// from security roles (direct and through teams) with their depth against record ownership.
/// A caller holding System Administrator is never restricted.
///
/// Also settable with the `--security` flag of the `dynamics-emulator` binary (or the
/// `DYNAMICS_EMULATOR_SECURITY` environment variable): `api-app-users`, `all` or `off`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecurityEnforcement {
    /// Only application users created through the Web API (`POST systemusers` with an
    /// `applicationid`) are checked; the seeded admin, interactive users and the application
    /// user the emulator creates for a new app-only caller are not. The default, so tests and
    /// examples written before the security model keep working.
    #[default]
    ApiApplicationUsers,
    /// Every caller without System Administrator is checked (a user with no roles gets
    /// "no roles are assigned to user").
    AllPrincipals,
    /// Nothing is checked.
    Off,
}

impl Default for DataverseConfig {
    fn default() -> Self {
        Self {
            limits: DataverseLimits::default(),
            latency: LatencyModel::default(),
            faults: FaultInjection::default(),
            dop_hint: 8,
            security: SecurityEnforcement::default(),
        }
    }
}

impl DataverseConfig {
    /// The throughput ceiling of these settings; see [`DataverseLimits::ceiling`].
    pub fn ceiling(&self, batch_size: u32, concurrency: u32) -> Ceiling {
        self.limits.ceiling(&self.latency, batch_size, concurrency)
    }

    /// The throughput ceiling with bulk operation messages; see
    /// [`DataverseLimits::bulk_ceiling`].
    pub fn bulk_ceiling(&self, rows_per_request: u32, concurrency: u32) -> Ceiling {
        self.limits
            .bulk_ceiling(&self.latency, rows_per_request, concurrency)
    }
}

/// How a `$batch` counts toward the service protection limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BatchCounting {
    /// Every operation inside the batch counts as one request toward the request limit; the
    /// batch's whole execution time counts toward the execution-time limit; the batch is one
    /// concurrent request. This is the default: batching does not avoid the limits.
    #[default]
    PerOperation,
    /// The batch counts as one request (execution time and concurrency as above).
    PerBatch,
}

/// Dataverse's service protection limits, per user, over a sliding window.
///
/// Real values (the defaults): 6000 requests and 1,200,000 ms of combined execution time per
/// 300 s, and 52 concurrent requests. A request over a limit gets 429 with `Retry-After`
/// (seconds) and the documented code and message: `0x80072322` (requests), `0x80072321`
/// (execution time), `0x80072326` (concurrency). Set a short window and small limits to see
/// them in a test or benchmark that runs for seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataverseLimits {
    /// Whether the limits are enforced. Default `false`.
    pub enabled: bool,
    /// The sliding window. Default 300 s.
    pub window: Duration,
    /// Requests per user per window. Default 6000.
    pub max_requests: u32,
    /// Combined execution time per user per window. Default 1,200,000 ms (20 minutes).
    pub max_execution_time: Duration,
    /// Requests of one user in progress at once. Default 52.
    pub max_concurrent_requests: u32,
    /// How a `$batch` counts. Default [`BatchCounting::PerOperation`].
    pub batch_counting: BatchCounting,
}

impl Default for DataverseLimits {
    fn default() -> Self {
        Self {
            enabled: false,
            window: Duration::from_secs(300),
            max_requests: 6000,
            max_execution_time: Duration::from_millis(1_200_000),
            max_concurrent_requests: 52,
            batch_counting: BatchCounting::PerOperation,
        }
    }
}

/// Which limit sets a [`Ceiling`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeilingBound {
    /// The number of requests per window.
    Requests,
    /// The combined execution time per window.
    ExecutionTime,
    /// Concurrency times latency (Little's law).
    Concurrency,
    /// Nothing: limits are off and the latency model is zero.
    Unbounded,
}

/// The theoretical maximum throughput of a setting, with the bound that sets it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ceiling {
    /// Records per second (`f64::INFINITY` when unbounded).
    pub records_per_sec: f64,
    /// The tightest bound.
    pub bound: CeilingBound,
    /// The request-count bound, records/s.
    pub by_requests: f64,
    /// The execution-time bound, records/s.
    pub by_execution_time: f64,
    /// The concurrency bound, records/s.
    pub by_concurrency: f64,
}

impl DataverseLimits {
    /// The most records per second one user can write with requests of `batch_size` records
    /// (1 = single requests, n = `$batch` of n operations) and `concurrency` requests in
    /// flight, given the latency model.
    ///
    /// With b = batch size, c = min(concurrency, `max_concurrent_requests`), W = window in
    /// seconds, L = `latency.per_request + latency.per_operation × b` in seconds, k = b for
    /// [`BatchCounting::PerOperation`] and 1 for [`BatchCounting::PerBatch`]:
    ///
    /// - requests: `max_requests / W × b / k` records/s;
    /// - execution time: `max_execution_time / W / L × b` records/s;
    /// - concurrency: `c × b / L` records/s;
    ///
    /// and the ceiling is the smallest. When the limits are off only the concurrency bound
    /// applies; a zero latency makes the last two unbounded. The emulator's own processing time
    /// adds to L, so measured throughput stays below the ceiling.
    pub fn ceiling(&self, latency: &LatencyModel, batch_size: u32, concurrency: u32) -> Ceiling {
        let b = f64::from(batch_size.max(1));
        let window = self.window.as_secs_f64().max(f64::MIN_POSITIVE);
        let l = latency.delay(batch_size.max(1)).as_secs_f64();
        let c = f64::from(if self.enabled {
            concurrency.max(1).min(self.max_concurrent_requests.max(1))
        } else {
            concurrency.max(1)
        });
        let k = match self.batch_counting {
            BatchCounting::PerOperation => b,
            BatchCounting::PerBatch => 1.0,
        };
        let by_concurrency = if l > 0.0 { c * b / l } else { f64::INFINITY };
        let (by_requests, by_execution_time) = if self.enabled {
            (
                f64::from(self.max_requests) / window * b / k,
                if l > 0.0 {
                    self.max_execution_time.as_secs_f64() / window / l * b
                } else {
                    f64::INFINITY
                },
            )
        } else {
            (f64::INFINITY, f64::INFINITY)
        };
        let mut ceiling = Ceiling {
            records_per_sec: f64::INFINITY,
            bound: CeilingBound::Unbounded,
            by_requests,
            by_execution_time,
            by_concurrency,
        };
        for (value, bound) in [
            (by_requests, CeilingBound::Requests),
            (by_execution_time, CeilingBound::ExecutionTime),
            (by_concurrency, CeilingBound::Concurrency),
        ] {
            if value < ceiling.records_per_sec {
                ceiling.records_per_sec = value;
                ceiling.bound = bound;
            }
        }
        ceiling
    }

    /// The most records per second one user can write with bulk operation messages
    /// (`CreateMultiple`, `UpdateMultiple`, …) of `rows_per_request` targets and `concurrency`
    /// requests in flight, given the latency model.
    ///
    /// A bulk message counts as one request toward `max_requests` whatever
    /// [`batch_counting`](Self::batch_counting) says ("Each bulk operation message counts as
    /// single request", FAQ of "Use bulk operation messages",
    /// learn.microsoft.com/power-apps/developer/data-platform/bulk-operations); its whole
    /// execution time counts, and it is one concurrent request. Its latency is that of a
    /// `$batch` of as many operations (the docs state no per-row figure). With n = rows per
    /// request and L = `per_request + per_operation × n`:
    ///
    /// - requests: `max_requests / W × n` records/s;
    /// - execution time: `max_execution_time / W / L × n` records/s;
    /// - concurrency: `c × n / L` records/s.
    ///
    /// That is [`ceiling`](Self::ceiling) with [`BatchCounting::PerBatch`].
    pub fn bulk_ceiling(
        &self,
        latency: &LatencyModel,
        rows_per_request: u32,
        concurrency: u32,
    ) -> Ceiling {
        Self {
            batch_counting: BatchCounting::PerBatch,
            ..*self
        }
        .ceiling(latency, rows_per_request, concurrency)
    }

    /// [`ceiling`](Self::ceiling)`.records_per_sec`.
    pub fn ceiling_records_per_sec(
        &self,
        latency: &LatencyModel,
        batch_size: u32,
        concurrency: u32,
    ) -> f64 {
        self.ceiling(latency, batch_size, concurrency)
            .records_per_sec
    }
}

/// Artificial latency: each request waits `per_request + per_operation × operations` before it
/// is processed (operations: 1, the number of parts of a `$batch`, or the number of targets of
/// a bulk operation message such as `CreateMultiple`). Both are zero by
/// default; benchmarks set them to model a real service. These asynchronous sleeps are the only
/// real waits in the emulator besides [`FaultInjection::slow_delay`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencyModel {
    /// Fixed cost of every request.
    pub per_request: Duration,
    /// Cost of each operation (each part of a `$batch`).
    pub per_operation: Duration,
}

impl LatencyModel {
    /// The delay of a request with `operations` operations.
    pub fn delay(&self, operations: u32) -> Duration {
        self.per_request
            .saturating_add(self.per_operation.saturating_mul(operations))
    }
}

/// Injected failures, decided per request by a xorshift generator seeded with `seed`, so the
/// same seed and the same sequence of requests give the same failures. Rates are shares of
/// requests between 0 and 1; their sum should not exceed 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultInjection {
    /// The generator's seed. Default 1.
    pub seed: u64,
    /// Share answered `500 Internal Server Error`.
    pub server_error_rate: f64,
    /// Share answered `503 Service Unavailable`.
    pub unavailable_rate: f64,
    /// Share whose connection is closed without an answer.
    pub drop_rate: f64,
    /// Share answered after [`slow_delay`](Self::slow_delay).
    pub slow_rate: f64,
    /// The extra wait of a slow answer. Default 2 s.
    pub slow_delay: Duration,
    /// Share answered `429 Too Many Requests` as service protection answers it: the
    /// concurrency limit's code `0x80072326` and message (naming
    /// [`DataverseLimits::max_concurrent_requests`]) and a `Retry-After` of
    /// [`throttle_retry_after`](Self::throttle_retry_after), whether or not the limits are
    /// enforced. Learn, "Service protection API limits".
    pub throttle_rate: f64,
    /// The `Retry-After` of an injected 429, in whole seconds (rounded up, at least 1: the
    /// header carries integer seconds). Default 1 s.
    pub throttle_retry_after: Duration,
}

impl Default for FaultInjection {
    fn default() -> Self {
        Self {
            seed: 1,
            server_error_rate: 0.0,
            unavailable_rate: 0.0,
            drop_rate: 0.0,
            slow_rate: 0.0,
            slow_delay: Duration::from_secs(2),
            throttle_rate: 0.0,
            throttle_retry_after: Duration::from_secs(1),
        }
    }
}

impl FaultInjection {
    /// Whether any fault is possible.
    pub fn is_active(&self) -> bool {
        self.server_error_rate > 0.0
            || self.unavailable_rate > 0.0
            || self.drop_rate > 0.0
            || self.slow_rate > 0.0
            || self.throttle_rate > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_of_the_real_limits() {
        let limits = DataverseLimits {
            enabled: true,
            ..DataverseLimits::default()
        };
        let latency = LatencyModel {
            per_request: Duration::from_millis(50),
            per_operation: Duration::from_millis(10),
        };
        // Single requests, 52 in flight: 6000 / 300 = 20 records/s from the request limit.
        let single = limits.ceiling(&latency, 1, 52);
        assert_eq!(single.bound, CeilingBound::Requests);
        assert!((single.records_per_sec - 20.0).abs() < 1e-9);
        // Per-batch counting with 100-record batches: requests allow 2000/s, execution time
        // 1200 / 300 / 1.05 s × 100 ≈ 381/s.
        let batched = DataverseLimits {
            batch_counting: BatchCounting::PerBatch,
            ..limits
        }
        .ceiling(&latency, 100, 8);
        assert_eq!(batched.bound, CeilingBound::ExecutionTime);
        assert!((batched.records_per_sec - 4.0 / 1.05 * 100.0).abs() < 1e-6);
        // Bulk messages of 1000 rows count one request each: 20 requests/s × 1000 rows
        // allow 20,000 rows/s; execution time allows 4 / 10.05 s × 1000 ≈ 398 rows/s.
        let bulk = limits.bulk_ceiling(&latency, 1000, 8);
        assert_eq!(bulk.bound, CeilingBound::ExecutionTime);
        assert!((bulk.by_requests - 20_000.0).abs() < 1e-6);
        assert!((bulk.records_per_sec - 4.0 / 10.05 * 1000.0).abs() < 1e-6);
        // The same rows in a $batch (counted per operation) stay at 20 rows/s.
        assert!((limits.ceiling(&latency, 1000, 8).records_per_sec - 20.0).abs() < 1e-9);
        let off = DataverseLimits::default().ceiling(&LatencyModel::default(), 10, 4);
        assert_eq!(off.bound, CeilingBound::Unbounded);
        assert!(off.records_per_sec.is_infinite());
    }
}
