//! When to retry and how long to wait.

use std::time::{Duration, SystemTime};

use rand::Rng as _;

/// Retry settings.
#[derive(Debug, Clone)]
pub struct RetryOptions {
    /// Retries after the first attempt (default 4).
    pub max_retries: u32,
    /// First back-off delay; doubled each retry (default 800 ms).
    pub initial_delay: Duration,
    /// Longest single wait, `Retry-After` included (default 60 s).
    pub max_delay: Duration,
    /// Spread delays by ±20% so that many clients do not retry in step (default on).
    pub jitter: bool,
}

impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            max_retries: 4,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryOptions {
    /// No retries at all.
    pub fn none() -> Self {
        RetryOptions {
            max_retries: 0,
            ..Default::default()
        }
    }

    /// The exponential back-off before retry number `attempt` (0-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(16)))
            .min(self.max_delay);
        if self.jitter {
            let factor = rand::rng().random_range(0.8..1.2);
            base.mul_f64(factor).min(self.max_delay)
        } else {
            base
        }
    }
}

/// What kind of answer prompts a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// The service refused the request without acting on it (429): safe for any method.
    Refused,
    /// The outcome is unknown (timeout, 5xx): safe only for requests that may be repeated.
    Ambiguous,
    /// Do not retry.
    No,
}

pub(crate) fn classify_status(status: u16) -> Retry {
    match status {
        429 => Retry::Refused,
        408 | 500 | 502 | 503 | 504 => Retry::Ambiguous,
        _ => Retry::No,
    }
}

/// The longest wait [`parse_retry_after`] ever returns: one day. A service asking for more
/// (or sending a number too large for a [`Duration`]) gets this; callers cap it further
/// (the pipeline at [`RetryOptions::max_delay`], the admin poller at its `max_interval`).
pub const MAX_RETRY_AFTER: Duration = dynamics_auth::retry_after::MAX_RETRY_AFTER;

/// Reads `Retry-After` as delay-seconds or as an HTTP date (RFC 9110 §10.2.3), clamped to
/// [`MAX_RETRY_AFTER`]. A date in the past is zero. Negative numbers, `NaN`, infinities and
/// anything else unreadable give `None`; no input panics.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    dynamics_auth::retry_after::parse_retry_after_at(value, SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(parse_retry_after("30"), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("1.5"), Some(Duration::from_millis(1500)));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let d = parse_retry_after(&soon).expect("date");
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-3"), None);
    }

    #[test]
    fn absurd_retry_after_values_are_clamped_not_panics() {
        for huge in [
            "1e20",
            "1e300",
            "18446744073709551615",
            "99999999999999999999999999",
            "inf",
            "+inf",
            "Infinity",
            "86401",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(parse_retry_after(huge), Some(MAX_RETRY_AFTER), "{huge}");
        }
        for bad in ["NaN", "nan", "-inf", "-1e20", "-0.5", "", "   "] {
            assert_eq!(parse_retry_after(bad), None, "{bad}");
        }
        assert_eq!(parse_retry_after("-0"), Some(Duration::ZERO));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let o = RetryOptions {
            jitter: false,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(5),
            ..Default::default()
        };
        let delays: Vec<u64> = (0..5).map(|a| o.backoff(a).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 5, 5]);
        let jittered = RetryOptions::default().backoff(0);
        assert!(jittered >= Duration::from_millis(640) && jittered <= Duration::from_millis(960));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

            #[test]
            fn any_text_gives_at_most_the_maximum(value in "\\PC{0,40}") {
                if let Some(d) = parse_retry_after(&value) {
                    prop_assert!(d <= MAX_RETRY_AFTER);
                }
            }

            #[test]
            fn numeric_looking_text_never_panics(
                value in "[-+]?[0-9]{0,30}(\\.[0-9]{0,10})?([eE][-+]?[0-9]{1,4})?"
            ) {
                if let Some(d) = parse_retry_after(&value) {
                    prop_assert!(d <= MAX_RETRY_AFTER);
                }
            }

            #[test]
            fn whole_seconds_are_kept_up_to_the_maximum(secs in any::<u64>()) {
                prop_assert_eq!(
                    parse_retry_after(&secs.to_string()),
                    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
                );
            }

            #[test]
            fn any_float_is_clamped_or_refused(secs in any::<f64>()) {
                let parsed = parse_retry_after(&secs.to_string());
                if secs.is_nan() || (secs < 0.0) {
                    prop_assert_eq!(parsed, None);
                } else {
                    let d = parsed.expect("a non-negative number is a delay");
                    prop_assert!(d <= MAX_RETRY_AFTER);
                    if secs < MAX_RETRY_AFTER.as_secs_f64() {
                        prop_assert!((d.as_secs_f64() - secs).abs() < 1e-6);
                    }
                }
            }

            #[test]
            fn any_http_date_is_at_most_the_maximum(secs in 0u64..253_402_300_799) {
                let at = std::time::UNIX_EPOCH + Duration::from_secs(secs);
                let text = httpdate::fmt_http_date(at);
                let d = parse_retry_after(&text).expect("a date parses");
                prop_assert!(d <= MAX_RETRY_AFTER);
            }
        }
    }
}
