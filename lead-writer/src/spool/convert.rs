//! Times and counts as stored: times are Unix milliseconds in 64-bit integers.

use std::time::Duration;

use time::OffsetDateTime;

use super::SpoolError;

pub(super) fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

/// Unix milliseconds, the stored form of every time.
pub(super) fn millis(time: OffsetDateTime) -> i64 {
    let millis = time.unix_timestamp_nanos() / 1_000_000;
    i64::try_from(millis).unwrap_or(if millis < 0 { i64::MIN } else { i64::MAX })
}

pub(super) fn from_millis(millis: i64) -> Result<OffsetDateTime, SpoolError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).map_err(|e| {
        SpoolError::Storage(format!("a stored time ({millis} ms) is out of range: {e}"))
    })
}

pub(super) fn time_duration(duration: Duration) -> Result<time::Duration, SpoolError> {
    time::Duration::try_from(duration)
        .map_err(|_| SpoolError::InvalidArgument(format!("{duration:?} is too long")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip() {
        let time = OffsetDateTime::from_unix_timestamp_nanos(1_767_225_600_123_000_000).unwrap();
        assert_eq!(millis(time), 1_767_225_600_123);
        assert_eq!(from_millis(millis(time)).unwrap(), time);
        assert!(from_millis(i64::MAX).is_err());
    }
}
