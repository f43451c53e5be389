#![doc = include_str!("../README.md")]

mod apply;
mod error;
pub mod graph;
mod journal;
mod org;
pub mod plan;
mod position;
pub mod rules;
mod sync;

pub use apply::{
    AdminForceSync, Applied, ForceSync, ForceSyncOutcome, MAX_USER_WAIT, Progress, SilentProgress,
    StderrProgress, UserWait,
};
/// The checkpoint store the sync keeps its Graph position in: `change-sync`'s, shared with
/// the change tracking sync (SQLite file or PostgreSQL).
pub use change_sync::{Checkpoint, CheckpointStore, Phase, SqlCheckpoints};
pub use error::{Result, SyncError};
pub use graph::{GraphClient, GraphOptions};
pub use journal::SyncJournal;
pub use org::{Catalog, HeldRole, HeldTeam, OrgUser, read_users, synced_entra_ids};
pub use plan::{Action, ActionKind, Plan};
pub use rules::{RuleSet, RulesError};
pub use sync::{DEFAULT_CHECKPOINT_KEY, DELTA_TOKEN_LIFETIME, SyncOptions, SyncReport, UserSync};
