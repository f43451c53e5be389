//! What can go wrong in a table-definition call beyond the HTTP exchange: change tracking the
//! table does not allow, an alternate key whose index did not become active, a CSDL document
//! that cannot be read safely.

use std::time::Duration;

use super::csdl::CsdlError;

/// Why a table-definition call stopped. Wrapped in [`DataverseError::Metadata`](crate::DataverseError::Metadata).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// Change tracking cannot be turned on for this table; `reason` says why (the table's
    /// `CanChangeTrackingBeEnabled` is false, or the service refused the update).
    #[error("change tracking cannot be enabled on {table}: {reason}")]
    ChangeTrackingNotAllowed {
        /// The table's logical name (or MetadataId).
        table: String,
        /// Why, and what to do.
        reason: String,
    },

    /// An alternate key's index failed to build (`EntityKeyIndexStatus: Failed`), usually
    /// because rows hold duplicate values for the key's columns.
    #[error(
        "the alternate key {key} of {table} failed to activate; remove the duplicate values in its columns, then reactivate it (ReactivateEntityKey)"
    )]
    KeyFailed {
        /// The table's logical name (or MetadataId).
        table: String,
        /// The key's logical name.
        key: String,
    },

    /// An alternate key was still not active when the time allowed ran out. The index job may
    /// still finish: wait longer, or look at the key later.
    #[error(
        "the alternate key {key} of {table} is still {status} after {waited:?}; the index job may still finish: wait longer or check the key later"
    )]
    KeyNotActive {
        /// The table's logical name (or MetadataId).
        table: String,
        /// The key's logical name.
        key: String,
        /// The last `EntityKeyIndexStatus` seen.
        status: String,
        /// How long the client waited.
        waited: Duration,
    },

    /// The `$metadata` document could not be read.
    #[error("the CSDL document ($metadata) cannot be read: {0}")]
    Csdl(#[from] CsdlError),
}
