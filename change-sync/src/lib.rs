#![doc = include_str!("../README.md")]

mod batch;
mod checkpoint;
mod driver;
mod error;
mod known_ids;
mod options;
mod sql_store;

pub use batch::Batch;
pub use checkpoint::{Checkpoint, CheckpointStore, Phase};
pub use driver::ChangeSync;
pub use error::SyncError;
pub use options::{SyncOptions, SyncTarget};
pub use sql_store::SqlCheckpoints;

/// The SQL layer the checkpoints and the caller's writes share (transactions, values, rows):
/// the `dynamics-store` crate.
pub use dynamics_store as store;
