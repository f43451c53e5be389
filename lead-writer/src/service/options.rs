//! The intake service's settings: the URL secret, where it goes, the body limit, the key
//! bucket and the clock.

use std::fmt;
use std::sync::Arc;

use super::error::ServiceError;
use crate::spool::{Clock, MAX_ENQUEUE_BATCH, SystemClock};
use crate::{DEFAULT_MAX_BODY_BYTES, KeyOptions};

/// The shortest secret accepted: it is the endpoint's only guard (the marketplace sends no
/// credentials), so it must not be guessable.
pub const MIN_SECRET_LEN: usize = 24;

/// The URL secret pasted into Partner Center. `Debug` and `Display` print a marker, never the
/// value.
#[derive(Clone)]
pub struct UrlSecret(String);

impl UrlSecret {
    /// Checks a secret: at least [`MIN_SECRET_LEN`] characters, all of them URL-safe
    /// (`A-Z a-z 0-9 - _ . ~`), so it goes into a path or a query unescaped.
    pub fn new(secret: impl Into<String>) -> Result<UrlSecret, ServiceError> {
        let secret = secret.into();
        if secret.len() < MIN_SECRET_LEN {
            return Err(ServiceError::Config(format!(
                "the URL secret is {} characters; use at least {MIN_SECRET_LEN} random ones (e.g. `openssl rand -hex 24`)",
                secret.len()
            )));
        }
        if !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        {
            return Err(ServiceError::Config(
                "the URL secret may hold only letters, digits and - _ . ~ (it goes into the URL unescaped)"
                    .to_owned(),
            ));
        }
        Ok(UrlSecret(secret))
    }

    /// The secret itself, for building the URL to paste into Partner Center.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for UrlSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UrlSecret(<redacted>)")
    }
}

/// Where the secret goes in the intake URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SecretIn {
    /// `POST /leads/{secret}` (the default).
    #[default]
    Path,
    /// `POST /leads?token={secret}`.
    Query,
}

impl SecretIn {
    /// The intake path and query for a secret, e.g. `/leads/abc…` or `/leads?token=abc…`.
    pub fn intake_path(&self, secret: &str) -> String {
        match self {
            SecretIn::Path => format!("/leads/{secret}"),
            SecretIn::Query => format!("/leads?token={secret}"),
        }
    }
}

/// How the intake service behaves. Build with [`ServiceOptions::new`] and the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServiceOptions {
    /// The secret a request's URL must carry.
    pub secret: UrlSecret,
    /// Where the secret goes. Default [`SecretIn::Path`].
    pub secret_in: SecretIn,
    /// Bodies longer than this are refused with 413 and not stored. Default 1 MiB.
    pub max_body_bytes: usize,
    /// How idempotency keys are derived (the receive-time bucket).
    pub key: KeyOptions,
    /// Where the receive time comes from. Default the system clock.
    pub clock: Arc<dyn Clock>,
    /// The most leads stored in one commit when requests arrive together (group commit;
    /// default 100, at most [`MAX_ENQUEUE_BATCH`]; 1 stores each lead on its own).
    pub max_batch: usize,
}

impl ServiceOptions {
    /// The defaults with this secret.
    pub fn new(secret: UrlSecret) -> Self {
        ServiceOptions {
            secret,
            secret_in: SecretIn::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            key: KeyOptions::default(),
            clock: Arc::new(SystemClock),
            max_batch: 100,
        }
    }

    /// Sets the group-commit batch size, clamped to `1..=MAX_ENQUEUE_BATCH`.
    pub fn max_batch(mut self, leads: usize) -> Self {
        self.max_batch = leads.clamp(1, MAX_ENQUEUE_BATCH);
        self
    }

    /// Sets where the secret goes.
    pub fn secret_in(mut self, place: SecretIn) -> Self {
        self.secret_in = place;
        self
    }

    /// Sets the body size limit in bytes.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Sets the key options.
    pub fn key(mut self, key: KeyOptions) -> Self {
        self.key = key;
        self
    }

    /// Sets the clock.
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The path (and query) to append to the service's base URL.
    pub fn intake_path(&self) -> String {
        self.secret_in.intake_path(self.secret.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_unsafe_secrets_are_refused_and_never_printed() {
        assert!(
            UrlSecret::new("short")
                .unwrap_err()
                .to_string()
                .contains("at least")
        );
        let err = UrlSecret::new("a/b".repeat(10)).unwrap_err().to_string();
        assert!(err.contains("letters, digits"), "{err}");
        let secret = UrlSecret::new("s3cret-value-that-is-long-enough").unwrap();
        assert!(!format!("{secret:?}").contains("s3cret"));
    }

    #[test]
    fn intake_path_follows_the_placement() {
        assert_eq!(SecretIn::Path.intake_path("abc"), "/leads/abc");
        assert_eq!(SecretIn::Query.intake_path("abc"), "/leads?token=abc");
    }
}
