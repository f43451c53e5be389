//! The spool's error.

use dynamics_store::StoreError;

use super::model::{ItemState, SpoolId};

/// What can go wrong using the spool. Messages hold ids, states and worker names, never lead
/// data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    /// The location, URL or options cannot be used; the text says what to fix.
    #[error("spool configuration: {0}")]
    Config(String),
    /// An argument is out of range; the text says which and why.
    #[error("spool: {0}")]
    InvalidArgument(String),
    /// The database failed or could not be reached. The operation may be retried.
    #[error("spool storage: {0}")]
    Storage(String),
    /// No spool item has this id.
    #[error("spool item {id} does not exist")]
    NotFound {
        /// The id asked for.
        id: SpoolId,
    },
    /// The worker does not hold the item's lease (it expired and another worker claimed the
    /// item, or the item was finished). Nothing was changed; the worker should drop the item.
    #[error(
        "spool item {id} is not leased to this worker (state {state}, lease holder {}); it was left as it is",
        holder.as_deref().unwrap_or("none")
    )]
    LeaseLost {
        /// The item.
        id: SpoolId,
        /// Its state now.
        state: ItemState,
        /// The worker holding it now, if any.
        holder: Option<String>,
    },
    /// A stored row could not be read back (a damaged or foreign database).
    #[error("spool item {id} cannot be read back: {detail}")]
    Corrupt {
        /// The item.
        id: SpoolId,
        /// What is wrong.
        detail: String,
    },
}

impl From<StoreError> for SpoolError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Config(_) | StoreError::SchemaTooNew { .. } => {
                SpoolError::Config(error.to_string())
            }
            other => SpoolError::Storage(other.to_string()),
        }
    }
}
