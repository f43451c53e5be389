#![doc = include_str!("../README.md")]

mod apply;
mod checkpoint;
mod error;
pub mod graph;
mod org;
pub mod plan;
pub mod rules;
mod sync;

pub use apply::{
    AdminForceSync, Applied, ForceSync, ForceSyncOutcome, Progress, SilentProgress, StderrProgress,
    UserWait,
};
pub use checkpoint::{Checkpoint, CheckpointStore};
pub use error::{Result, SyncError};
pub use graph::{GraphClient, GraphOptions};
pub use org::{Catalog, HeldRole, HeldTeam, OrgUser, read_users};
pub use plan::{Action, ActionKind, Plan};
pub use rules::{RuleSet, RulesError};
pub use sync::{DEFAULT_CHECKPOINT_KEY, DELTA_TOKEN_LIFETIME, SyncOptions, SyncReport, UserSync};
