//! How long a delta link stays usable: `organization.expirechangetrackingindays`.
//!
//! The documented default changed over time (90, 30, now 7 days: Learn "Use change tracking
//! to synchronize data with external systems", powerapps-docs PR #2312), so the org's value is
//! read at run time (`organizations?$select=expirechangetrackingindays`, 0 to 365).

use std::time::Duration;

use dynamics_http::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::client::DataverseClient;
use crate::error::Result;
use crate::options::RequestOptions;

const DAY: Duration = Duration::from_secs(86_400);

#[derive(Deserialize)]
struct Organizations {
    #[serde(default)]
    value: Vec<serde_json::Map<String, Value>>,
}

impl DataverseClient {
    /// The org's `expirechangetrackingindays`: a delta link older than this many days is
    /// refused ([`crate::DataverseError::ChangeTokenExpired`]). `None` when the org row does
    /// not say.
    pub async fn change_tracking_expiry(&self) -> Result<Option<u32>> {
        let url = self.url("organizations?$select=expirechangetrackingindays")?;
        let request = self.request(Method::Get, url, &RequestOptions::default());
        let answer: Organizations = self.send(request).await?.json()?;
        Ok(answer
            .value
            .first()
            .and_then(|org| org.get("expirechangetrackingindays"))
            .and_then(expiry_days))
    }
}

/// Reads the column, sent as a number (or, tolerantly, as a numeric string).
fn expiry_days(value: &Value) -> Option<u32> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Logs a `tracing` warning, and answers `true`, when polling every `poll_interval` leaves
/// little room before tokens expire after `expiry_days`: from half the expiry window on, one
/// missed or failed poll (an outage, a long backlog) is enough to lose the token and force a
/// full resync.
pub fn warn_if_poll_interval_near_expiry(poll_interval: Duration, expiry_days: u32) -> bool {
    let window = DAY * expiry_days;
    let near = poll_interval.saturating_mul(2) >= window;
    if near {
        tracing::warn!(
            poll_interval_secs = poll_interval.as_secs(),
            expiry_days,
            "the change tracking poll interval is at least half of the org's \
             expirechangetrackingindays: a missed poll can expire the delta link and force a \
             full resync; poll more often"
        );
    }
    near
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn warns_from_half_the_window() {
        assert!(!warn_if_poll_interval_near_expiry(DAY, 7));
        assert!(!warn_if_poll_interval_near_expiry(DAY * 3, 7));
        assert!(warn_if_poll_interval_near_expiry(DAY * 7 / 2, 7));
        assert!(warn_if_poll_interval_near_expiry(DAY * 8, 7));
        assert!(warn_if_poll_interval_near_expiry(
            Duration::from_secs(60),
            0
        ));
    }

    #[test]
    fn expiry_reads_numbers_and_numeric_strings() {
        assert_eq!(expiry_days(&json!(30)), Some(30));
        assert_eq!(expiry_days(&json!("7")), Some(7));
        assert_eq!(expiry_days(&json!(null)), None);
        assert_eq!(expiry_days(&json!(-1)), None);
    }
}
