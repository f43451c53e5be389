//! `Retry-After` (RFC 9110 §10.2.3), read once for the whole workspace: the token client here
//! and the HTTP pipeline above it both use [`parse_retry_after_at`].

use std::time::{Duration, SystemTime};

/// The longest wait [`parse_retry_after_at`] ever returns: one day. A service asking for more
/// (or sending a number too large for a [`Duration`]) gets this; callers cap it further.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Reads `Retry-After` as delay-seconds or as an HTTP date, measured from `now`, clamped to
/// [`MAX_RETRY_AFTER`]. A date in the past is zero. Negative numbers, `NaN`, infinities and
/// anything else unreadable give `None`; no input panics.
pub fn parse_retry_after_at(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // Digits only, yet too large for a u64.
        return Some(MAX_RETRY_AFTER);
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_nan() {
            return None;
        }
        if secs.is_sign_negative() && secs != 0.0 {
            return None;
        }
        if secs.is_infinite() || secs >= MAX_RETRY_AFTER.as_secs_f64() {
            return Some(MAX_RETRY_AFTER);
        }
        return Duration::try_from_secs_f64(secs.max(0.0))
            .ok()
            .map(|d| d.min(MAX_RETRY_AFTER));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}
