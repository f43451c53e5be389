//! The intake service's error.

/// Why the intake service cannot start. Messages never hold the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// A setting cannot be used; the text says what to fix.
    #[error("lead intake configuration: {0}")]
    Config(String),
}
