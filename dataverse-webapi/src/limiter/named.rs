//! Reading the budgets out of the messages of Dataverse's three service protection 429s.
//!
//! The texts are documented on Learn, "Service protection API limits" (REFERENCE.md 3.11):
//!
//! - 0x80072322: "Number of requests exceeded the limit of 6000 over time window of 300
//!   seconds."
//! - 0x80072321: "Combined execution time of incoming requests exceeded limit of 1,200,000
//!   milliseconds over time window of 300 seconds. ..."
//! - 0x80072326: "Number of concurrent requests exceeded the limit of 52."
//!
//! The numbers are read tolerantly (digit groups with commas, a decimal point); a message that
//! does not carry them gives `None`, and the limiter falls back to probing.

use std::time::Duration;

/// The budgets pacing accepts, in units per second: below, a message is taken as misread and
/// ignored; above, the budget is capped (pacing would hardly ever wait anyway).
pub(super) const BUDGET_RANGE: (f64, f64) = (1e-2, 1e6);

/// The request budget a 0x80072322 message names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct RequestBudget {
    /// Requests (operations) per second: limit ÷ window.
    pub(super) per_second: f64,
    /// The sliding window.
    pub(super) window: Duration,
}

/// The number right after `marker`: `1,200,000` gives 1200000.0.
fn number_after(message: &str, marker: &str) -> Option<f64> {
    let rest = &message[message.find(marker)? + marker.len()..];
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
        .filter(|c| *c != ',')
        .collect();
    let value: f64 = digits.trim_end_matches('.').parse().ok()?;
    value.is_finite().then_some(value)
}

/// A finite budget in [`BUDGET_RANGE`] (NaN becomes the lower end).
pub(super) fn clamp_budget(budget: f64) -> f64 {
    if budget.is_nan() {
        return BUDGET_RANGE.0;
    }
    budget.clamp(BUDGET_RANGE.0, BUDGET_RANGE.1)
}

/// The execution-time budget a 0x80072321 message names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ExecutionBudget {
    /// Seconds of execution per second: limit ÷ window.
    pub(super) per_second: f64,
    /// The sliding window.
    pub(super) window: Duration,
}

/// The execution-time budget: "... exceeded limit of 1,200,000 milliseconds over time window
/// of 300 seconds ..." gives 4 seconds of execution per second over 300 s.
pub(super) fn execution_budget(message: &str) -> Option<ExecutionBudget> {
    let budget_ms = number_after(message, "limit of ")?;
    let window_s = number_after(message, "time window of ")?;
    let window = Duration::try_from_secs_f64(window_s)
        .ok()
        .filter(|w| !w.is_zero())?;
    let per_second = budget_ms / 1000.0 / window_s;
    (per_second >= BUDGET_RANGE.0).then(|| ExecutionBudget {
        per_second: clamp_budget(per_second),
        window,
    })
}

/// The request budget: "Number of requests exceeded the limit of 6000 over time window of 300
/// seconds." gives 20 per second over 300 s.
pub(super) fn request_budget(message: &str) -> Option<RequestBudget> {
    let requests = number_after(message, "limit of ")?;
    let window_s = number_after(message, "time window of ")?;
    let window = Duration::try_from_secs_f64(window_s)
        .ok()
        .filter(|w| !w.is_zero())?;
    let per_second = requests / window_s;
    (per_second >= BUDGET_RANGE.0).then(|| RequestBudget {
        per_second: clamp_budget(per_second),
        window,
    })
}

/// The concurrency limit: "Number of concurrent requests exceeded the limit of 52." gives 52.
pub(super) fn concurrency_limit(message: &str) -> Option<usize> {
    let limit = number_after(message, "limit of ")?;
    (limit >= 1.0 && limit.fract() == 0.0 && limit <= 1e6).then_some(limit as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_execution_time_message_names_the_budget() {
        let real = "Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.";
        assert_eq!(
            execution_budget(real),
            Some(ExecutionBudget {
                per_second: 4.0,
                window: Duration::from_secs(300)
            })
        );
        let short = execution_budget("limit of 10,000 milliseconds over time window of 2 seconds.")
            .expect("named");
        assert_eq!(short.per_second, 5.0);
        assert_eq!(short.window, Duration::from_secs(2));
        assert_eq!(
            execution_budget("limit of 10,000 milliseconds over time window of 0 seconds."),
            None
        );
        assert_eq!(
            execution_budget("Number of concurrent requests exceeded the limit of 52."),
            None
        );
    }

    #[test]
    fn the_documented_request_message_names_the_budget_and_window() {
        let real = "Number of requests exceeded the limit of 6000 over time window of 300 seconds.";
        assert_eq!(
            request_budget(real),
            Some(RequestBudget {
                per_second: 20.0,
                window: Duration::from_secs(300)
            })
        );
        // The emulator's short windows, a grouped number and a fractional window.
        let short = request_budget(
            "Number of requests exceeded the limit of 4,000 over time window of 2 seconds.",
        )
        .expect("named");
        assert_eq!(short.per_second, 2000.0);
        assert_eq!(short.window, Duration::from_secs(2));
        let fractional =
            request_budget("exceeded the limit of 300 over time window of 1.5 seconds.")
                .expect("named");
        assert_eq!(fractional.window, Duration::from_millis(1500));
    }

    #[test]
    fn messages_without_the_numbers_name_nothing() {
        for message in [
            "",
            "Number of requests exceeded the limit.",
            "Number of requests exceeded the limit of 6000 over time window of 0 seconds.",
            "Number of requests exceeded the limit of 0 over time window of 300 seconds.",
            "Number of requests exceeded the limit of ,,, over time window of 300 seconds.",
        ] {
            assert_eq!(request_budget(message), None, "{message:?}");
        }
        assert_eq!(
            concurrency_limit("Number of concurrent requests exceeded."),
            None
        );
        assert_eq!(concurrency_limit("exceeded the limit of 0."), None);
        assert_eq!(concurrency_limit("exceeded the limit of 2.5."), None);
    }

    #[test]
    fn the_documented_concurrency_message_names_the_limit() {
        assert_eq!(
            concurrency_limit("Number of concurrent requests exceeded the limit of 52."),
            Some(52)
        );
        assert_eq!(
            concurrency_limit("Number of concurrent requests exceeded the limit of 4."),
            Some(4)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]
        #[test]
        fn any_message_parses_without_panicking(message in ".{0,120}") {
            let _ = execution_budget(&message);
            let _ = concurrency_limit(&message);
            if let Some(budget) = request_budget(&message) {
                proptest::prop_assert!(budget.per_second.is_finite() && budget.per_second > 0.0);
                proptest::prop_assert!(!budget.window.is_zero());
            }
        }
    }
}
