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

/// Reads `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
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
}
