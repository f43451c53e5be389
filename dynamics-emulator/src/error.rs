//! The crate's error type, for failures while starting or seeding the emulator.
//!
//! Errors that a *client* provokes over HTTP never surface here: they are answered with
//! Entra-shaped JSON (see the crate documentation).

use std::path::PathBuf;

/// Something went wrong while starting, seeding or driving the emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The listener could not be bound, or another I/O operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What the emulator was doing.
        context: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A seed file could not be read.
    #[error("could not read seed file {path}: {source}")]
    SeedFileRead {
        /// The path that was read.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A seed file is not valid JSON of the expected shape.
    #[error("invalid seed file: {0}")]
    SeedFileParse(#[from] serde_json::Error),
    /// A seed operation refers to something that does not exist, or conflicts with existing state.
    #[error("invalid seed: {0}")]
    Seed(String),
    /// A certificate or key could not be generated, parsed or encoded.
    #[error("certificate error: {0}")]
    Certificate(String),
}

impl EmulatorError {
    pub(crate) fn seed(message: impl Into<String>) -> Self {
        Self::Seed(message.into())
    }

    pub(crate) fn certificate(message: impl std::fmt::Display) -> Self {
        Self::Certificate(message.to_string())
    }
}
