//! The sync's error: what failed (the service, the checkpoint store, the caller's own
//! writes) and, for an expired token the caller chose to handle, what to do.

use dataverse_webapi::DataverseError;
use dynamics_store::StoreError;

/// Why a sync step failed. Nothing was committed for the batch that failed: the next
/// [`crate::ChangeSync::next_batch`] starts from the last committed checkpoint.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The Dataverse Web API refused or failed (throttling has already been retried by the
    /// client's pipeline).
    #[error(transparent)]
    Dataverse(#[from] DataverseError),
    /// The checkpoint store (or the caller's statements in its transaction) failed.
    #[error("checkpoint store: {0}")]
    Store(#[from] StoreError),
    /// The delta link of `key` expired (`0x80044352`) and automatic resync is off
    /// ([`crate::SyncOptions::auto_resync`]).
    #[error(
        "the change tracking token of {key} has expired (0x80044352: older than the org's expirechangetrackingindays, or the table's definition changed); deletes since it are lost: call ChangeSync::start_resync for a full resync with delete reconciliation"
    )]
    TokenExpired {
        /// The sync key.
        key: String,
        /// The service's answer.
        source: DataverseError,
    },
    /// Another process saved `key`'s checkpoint since this one read it (two syncs of one key
    /// at once). Nothing of the batch was committed; the next
    /// [`crate::ChangeSync::next_batch`] continues from the other's checkpoint.
    #[error(
        "another process committed the checkpoint of {key} since this sync read it; this batch was rolled back. Run one sync per key at a time"
    )]
    Conflict {
        /// The sync key.
        key: String,
    },
    /// The service answered a page that cannot be checkpointed; the text says how.
    #[error("unexpected change tracking answer for {key}: {detail}")]
    Protocol {
        /// The sync key.
        key: String,
        /// What was wrong.
        detail: String,
    },
    /// The sync was set up wrongly; the text says what to fix.
    #[error("{0}")]
    Config(String),
}

impl SyncError {
    /// `true` for [`SyncError::TokenExpired`].
    pub fn is_token_expired(&self) -> bool {
        matches!(self, SyncError::TokenExpired { .. })
    }
}
