//! A page handed to the caller, with what committing it does to the checkpoint.

use std::fmt;

use dataverse_webapi::changes::{Change, ChangePage};
use dynamics_store::Transaction;

use crate::checkpoint::Phase;
use crate::driver::{ChangeSync, Plan};
use crate::error::SyncError;

/// One page of changes to apply, then [commit](Self::commit) (outbox form: the caller's
/// writes and the checkpoint in one transaction) or [acknowledge](Self::acknowledge) (the
/// caller's writes went elsewhere first).
///
/// Applying a batch must be idempotent (upsert by id, delete if present): delivery is
/// at-least-once. In the acknowledgement form a crash between the caller's writes and the
/// acknowledgement hands the same page out again. In the outbox form a crash repeats
/// nothing, but two paths hand out changes already committed, in either form: a delta round
/// whose last page has neither a next nor a delta link is read again by the next round, and
/// a full sync whose page link is refused (`0x80044352`) starts over from its first page.
/// Either way a `Deleted` may name a row the caller never stored (Learn, "Use change
/// tracking to synchronize data with external systems": a row created and deleted between
/// two polls is reported deleted).
///
/// `Debug` shows counts and the phase, never row values.
pub struct Batch<'s> {
    sync: &'s mut ChangeSync,
    page: ChangePage,
    phase: Phase,
    plan: Plan,
}

impl fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("key", &self.sync.target().key)
            .field("phase", &self.phase)
            .field("page", &self.page)
            .finish()
    }
}

impl<'s> Batch<'s> {
    pub(crate) fn new(
        sync: &'s mut ChangeSync,
        page: ChangePage,
        phase: Phase,
        plan: Plan,
    ) -> Self {
        Batch {
            sync,
            page,
            phase,
            plan,
        }
    }

    /// The changes: changed rows first, then deletions (in [`Phase::Reconcile`]: deletions
    /// with `DeleteReason::Reconciled` only).
    pub fn changes(&self) -> &[Change] {
        &self.page.changes
    }

    /// The page as the service sent it (links included).
    pub fn page(&self) -> &ChangePage {
        &self.page
    }

    /// The phase the batch belongs to: a full sync's rows ([`Phase::Initial`],
    /// [`Phase::Resync`]) are every row of the table, not changes.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// `true` when the batch ends a round: after committing it the sync is caught up.
    pub fn ends_round(&self) -> bool {
        self.plan.ends_round
    }

    /// A transaction on the checkpoint store's database, for the caller's writes; pass it to
    /// [`commit`](Self::commit).
    pub async fn begin(&self) -> Result<Transaction, SyncError> {
        Ok(self.sync.store().begin().await?)
    }

    /// Records the checkpoint and the known ids in `tx` (from [`begin`](Self::begin)) and
    /// commits it, with the caller's writes. On error nothing of the batch is committed and
    /// the next [`ChangeSync::next_batch`] hands it out again.
    pub async fn commit(self, mut tx: Transaction) -> Result<(), SyncError> {
        let result = self.record(&mut tx).await;
        let result = match result {
            Ok(()) => tx.commit().await.map_err(SyncError::from),
            Err(error) => {
                let _rolled_back = tx.rollback().await;
                Err(error)
            }
        };
        match result {
            Ok(()) => {
                self.sync.committed(self.plan.after, self.plan.ends_round);
                Ok(())
            }
            Err(error) => {
                self.sync.commit_failed();
                Err(error)
            }
        }
    }

    /// Commits the checkpoint alone, after the caller applied the batch elsewhere
    /// (at-least-once: see the type's docs).
    pub async fn acknowledge(self) -> Result<(), SyncError> {
        let tx = self.begin().await?;
        self.commit(tx).await
    }

    async fn record(&self, tx: &mut Transaction) -> Result<(), SyncError> {
        let store = self.sync.store();
        let key = &self.sync.target().key;
        // The checkpoint first: on PostgreSQL it locks the key's row, so a second sync of
        // the same key waits here, then finds the revision moved and gives up.
        if !store.save_in(tx, key, &self.plan.after).await? {
            return Err(self.sync.conflict());
        }
        store
            .remember_in(tx, key, &self.plan.remember, self.plan.after.generation)
            .await?;
        store.forget_in(tx, key, &self.plan.forget).await?;
        Ok(())
    }
}
