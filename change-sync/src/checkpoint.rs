//! Checkpoints: where a sync stands, per sync key, and the store trait that keeps them.
//!
//! Generic on purpose (a key, a phase, two opaque cursors, a generation and a ledger of known
//! ids), so any paged delta protocol with a "next page" and a "next round" cursor can use it:
//! Dataverse change tracking (`@odata.nextLink` / `@odata.deltaLink`), Microsoft Graph delta
//! queries alike.

use std::fmt;

use async_trait::async_trait;
use dynamics_store::{StoreError, Transaction};

/// Which part of a sync a checkpoint is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// The first full sync (no delta cursor yet).
    Initial,
    /// Rounds of changes since the delta cursor.
    Incremental,
    /// A full sync again, after the delta cursor expired.
    Resync,
    /// After a full sync: known ids not seen in it are reported as deleted.
    Reconcile,
}

impl Phase {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Initial => "initial",
            Phase::Incremental => "incremental",
            Phase::Resync => "resync",
            Phase::Reconcile => "reconcile",
        }
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Result<Self, StoreError> {
        Ok(match name {
            "initial" => Phase::Initial,
            "incremental" => Phase::Incremental,
            "resync" => Phase::Resync,
            "reconcile" => Phase::Reconcile,
            other => {
                return Err(StoreError::Decode(format!(
                    "unknown sync phase `{other}`: the checkpoint was written by a newer build"
                )));
            }
        })
    }

    /// `true` while a full sync is read (initial or resync).
    pub fn is_full_sync(self) -> bool {
        matches!(self, Phase::Initial | Phase::Resync)
    }
}

/// Where one sync stands. The cursors are links exactly as the service sent them.
///
/// `Debug` shows the links without their query (tokens, paging cookies).
#[derive(Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The phase.
    pub phase: Phase,
    /// Resume inside the current round: the next page's link, when a page was committed and
    /// more follow.
    pub page_cursor: Option<String>,
    /// Where the next round starts (the delta link). In [`Phase::Reconcile`] it is the full
    /// sync's delta link, held back until reconciliation is done.
    pub delta_cursor: Option<String>,
    /// The number of the current full sync: ids seen in it are marked with it, so the ids
    /// marked lower are the ones it did not return.
    pub generation: i64,
    /// The stored revision this checkpoint was read at (0: never stored). A save succeeds
    /// only while the store still holds that revision, so two processes syncing one key
    /// cannot both commit the same page; the stored revision then goes up by one.
    pub revision: i64,
}

impl Checkpoint {
    /// A sync that has not started.
    pub fn start() -> Self {
        Checkpoint {
            phase: Phase::Initial,
            page_cursor: None,
            delta_cursor: None,
            generation: 1,
            revision: 0,
        }
    }

    /// The checkpoint as it is after a successful save.
    pub fn saved(self) -> Self {
        Checkpoint {
            revision: self.revision + 1,
            ..self
        }
    }
}

impl fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = |link: &Option<String>| {
            link.as_deref()
                .map(|l| l.split(['?', '#']).next().unwrap_or_default().to_owned())
        };
        f.debug_struct("Checkpoint")
            .field("phase", &self.phase)
            .field("page_cursor", &path(&self.page_cursor))
            .field("delta_cursor", &path(&self.delta_cursor))
            .field("generation", &self.generation)
            .field("revision", &self.revision)
            .finish()
    }
}

/// Durable checkpoints and known ids, per sync key.
///
/// Writes come in two forms: inside a transaction the caller also writes its own rows in
/// (`*_in`, the outbox form: the page's effects and the checkpoint commit together, so a crash
/// repeats nothing; see [`crate::Batch`] for the two paths that replay pages anyway), or on their own (the acknowledgement form, for callers whose data lives
/// elsewhere: a crash after the caller applied a page but before the acknowledgement hands the
/// page out again, so application must be idempotent).
///
/// The known ids are what reconciliation compares a full sync with: an id is recorded when a
/// change for it is committed, forgotten when its deletion is, and marked with the
/// generation of the full sync that last returned it.
#[async_trait]
pub trait CheckpointStore: Send + Sync {
    /// The checkpoint of `key`, `None` before its first commit.
    async fn load(&self, key: &str) -> Result<Option<Checkpoint>, StoreError>;

    /// Starts a transaction on the store's database, for the caller's writes and
    /// [`save_in`](Self::save_in).
    async fn begin(&self) -> Result<Transaction, StoreError>;

    /// Writes `key`'s checkpoint inside `tx` when the store still holds
    /// `checkpoint.revision` (see [`Checkpoint::revision`]); answers `false`, writing nothing,
    /// when another writer saved it since.
    async fn save_in(
        &self,
        tx: &mut Transaction,
        key: &str,
        checkpoint: &Checkpoint,
    ) -> Result<bool, StoreError>;

    /// Records `ids` as known for `key`, marked with `generation`, inside `tx`.
    async fn remember_in(
        &self,
        tx: &mut Transaction,
        key: &str,
        ids: &[String],
        generation: i64,
    ) -> Result<(), StoreError>;

    /// Forgets `ids` for `key` inside `tx`.
    async fn forget_in(
        &self,
        tx: &mut Transaction,
        key: &str,
        ids: &[String],
    ) -> Result<(), StoreError>;

    /// Up to `limit` known ids of `key` marked lower than `generation`, in id order.
    async fn unseen(
        &self,
        key: &str,
        generation: i64,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    /// Writes `key`'s checkpoint in a transaction of its own; `false` as for
    /// [`save_in`](Self::save_in).
    async fn save(&self, key: &str, checkpoint: &Checkpoint) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        if self.save_in(&mut tx, key, checkpoint).await? {
            tx.commit().await?;
            Ok(true)
        } else {
            tx.rollback().await?;
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_round_trip_and_unknown_names_are_refused() {
        for phase in [
            Phase::Initial,
            Phase::Incremental,
            Phase::Resync,
            Phase::Reconcile,
        ] {
            assert_eq!(Phase::parse(phase.as_str()), Ok(phase));
        }
        let error = Phase::parse("archived").expect_err("unknown");
        assert!(error.to_string().contains("newer build"), "{error}");
        assert!(Phase::Resync.is_full_sync() && !Phase::Reconcile.is_full_sync());
    }
}
