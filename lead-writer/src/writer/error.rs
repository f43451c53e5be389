//! The writer's error.

use dataverse_webapi::DataverseError;

use crate::Error;
use crate::spool::SpoolError;

/// Why the writer could not start or finish a round. A lead's own failure is never one of
/// these: it is settled on its spool item (retried or parked).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriterError {
    /// A setting cannot be used; the text says what to fix.
    #[error("lead writer configuration: {0}")]
    Config(String),
    /// The mapping does not fit the `lead` table (for example columns it does not have).
    #[error("lead writer mapping: {0}")]
    Mapping(#[from] Error),
    /// Reading the table's columns at start-up failed.
    #[error("lead writer could not read the columns of table `{table}`: {source}")]
    Metadata {
        /// The table's logical name.
        table: String,
        /// The service's error.
        #[source]
        source: DataverseError,
    },
    /// The spool failed (storage unreachable, ...). Items it leased come back after their
    /// lease, so nothing is lost.
    #[error("lead writer spool: {0}")]
    Spool(#[from] SpoolError),
}
