//! [`ChangeSync`]: one table's change tracking, resumed from its checkpoint, one page at a
//! time.
//!
//! Phases: a first full sync ([`Phase::Initial`]); then reconciliation ([`Phase::Reconcile`]:
//! ids known from before that the full sync did not return are reported deleted); then
//! rounds of deltas ([`Phase::Incremental`]). An expired delta link (`0x80044352`) starts a
//! full sync again ([`Phase::Resync`], a new generation) followed by reconciliation, because
//! the deletes made since the token are lost (REFERENCE-WORKFLOWS 2.2, 2.3).
//!
//! What is committed with each page (Learn, "Use change tracking to synchronize data with
//! external systems": pages linked by `@odata.nextLink`, the `@odata.deltaLink` on the last
//! page only): the next link after a page that has one, the delta link only when it arrives.

use std::fmt;
use std::sync::Arc;

use dataverse_webapi::changes::{
    Change, ChangePage, DeleteReason, warn_if_poll_interval_near_expiry,
};
use dataverse_webapi::{DataverseClient, DataverseError};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use uuid::Uuid;

use crate::batch::Batch;
use crate::checkpoint::{Checkpoint, CheckpointStore, Phase};
use crate::error::SyncError;
use crate::options::{SyncOptions, SyncTarget};

/// A change tracking sync of one table into the caller's store, resumable after a crash at
/// any point.
///
/// ```no_run
/// # async fn run(client: dataverse_webapi::DataverseClient) -> Result<(), change_sync::SyncError> {
/// use std::sync::Arc;
/// use change_sync::{ChangeSync, SqlCheckpoints, SyncOptions, SyncTarget};
///
/// let checkpoints = Arc::new(SqlCheckpoints::open_sqlite("mirror.db".as_ref()).await?);
/// let target = SyncTarget::new("contoso/accounts", "accounts", "accountid").select(["name"]);
/// let mut sync = ChangeSync::new(client, checkpoints, target, SyncOptions::default());
/// while let Some(batch) = sync.next_batch().await? {
///     let mut tx = batch.begin().await?;
///     for change in batch.changes() {
///         // Write the change to your own tables with `tx.execute(..)`.
///     }
///     batch.commit(tx).await?; // your writes and the checkpoint, in one transaction
/// }
/// // Caught up: call next_batch again after the poll interval for newer changes.
/// # Ok(()) }
/// ```
pub struct ChangeSync {
    client: DataverseClient,
    store: Arc<dyn CheckpointStore>,
    target: SyncTarget,
    options: SyncOptions,
    /// The committed checkpoint, once loaded; `None` forces a reload (after a failed commit).
    checkpoint: Option<Checkpoint>,
    /// The last committed batch ended a round: the next call answers `None` once.
    round_done: bool,
    expiry_checked: bool,
    expiry_days: Option<u32>,
    resyncs: u64,
    /// The page stream of the round being read, kept so the next page (which the stream
    /// requests one page ahead) is not asked for twice.
    open: Option<OpenPages>,
}

/// A page stream and the link its next page comes from.
struct OpenPages {
    next: String,
    pages: BoxStream<'static, Result<ChangePage, DataverseError>>,
}

impl fmt::Debug for ChangeSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeSync")
            .field("target", &self.target)
            .field("checkpoint", &self.checkpoint)
            .field("resyncs", &self.resyncs)
            .finish_non_exhaustive()
    }
}

/// What committing a batch does.
pub(crate) struct Plan {
    /// The checkpoint after the batch.
    pub(crate) after: Checkpoint,
    /// Ids to record as known, with `after.generation`.
    pub(crate) remember: Vec<String>,
    /// Ids to forget.
    pub(crate) forget: Vec<String>,
    /// The batch ends a round (the next `next_batch` answers `None`).
    pub(crate) ends_round: bool,
}

impl ChangeSync {
    /// A sync of `target` with checkpoints in `store`. Nothing is read until
    /// [`next_batch`](Self::next_batch).
    pub fn new(
        client: DataverseClient,
        store: Arc<dyn CheckpointStore>,
        target: SyncTarget,
        options: SyncOptions,
    ) -> Self {
        ChangeSync {
            client,
            store,
            target,
            options,
            checkpoint: None,
            round_done: false,
            expiry_checked: false,
            expiry_days: None,
            resyncs: 0,
            open: None,
        }
    }

    /// The sync's target.
    pub fn target(&self) -> &SyncTarget {
        &self.target
    }

    /// The checkpoint store.
    pub fn store(&self) -> &Arc<dyn CheckpointStore> {
        &self.store
    }

    /// The org's `expirechangetrackingindays`, once the first batch was asked for (`None`
    /// when the org row does not say or could not be read).
    pub fn expiry_days(&self) -> Option<u32> {
        self.expiry_days
    }

    /// How many full syncs this value started over after an expired token or page link.
    pub fn resyncs(&self) -> u64 {
        self.resyncs
    }

    /// The committed checkpoint (loaded from the store the first time).
    pub async fn checkpoint(&mut self) -> Result<Checkpoint, SyncError> {
        if let Some(checkpoint) = &self.checkpoint {
            return Ok(checkpoint.clone());
        }
        let loaded = self
            .store
            .load(&self.target.key)
            .await?
            .unwrap_or_else(Checkpoint::start);
        self.checkpoint = Some(loaded.clone());
        Ok(loaded)
    }

    /// Abandons the delta link and starts a full resync with delete reconciliation (a new
    /// generation), committed at once. For callers that set
    /// [`SyncOptions::auto_resync`] to `false`, or that want a resync for their own reasons.
    pub async fn start_resync(&mut self) -> Result<(), SyncError> {
        let current = self.checkpoint().await?;
        let next = Checkpoint {
            phase: Phase::Resync,
            page_cursor: None,
            delta_cursor: None,
            generation: current.generation + 1,
            revision: current.revision,
        };
        self.save_now(next).await?;
        self.round_done = false;
        self.resyncs += 1;
        Ok(())
    }

    /// The next batch to apply, or `None` when the current round is done (the sync is caught
    /// up; call again after the poll interval for a new round of changes).
    ///
    /// A batch must be [committed](Batch::commit) or [acknowledged](Batch::acknowledge)
    /// before the next one; dropped, it is fetched again.
    pub async fn next_batch(&mut self) -> Result<Option<Batch<'_>>, SyncError> {
        if !self.expiry_checked {
            self.check_expiry().await;
        }
        if std::mem::take(&mut self.round_done) {
            return Ok(None);
        }
        loop {
            let checkpoint = self.checkpoint().await?;
            let plan = match checkpoint.phase {
                Phase::Reconcile => match self.reconcile(&checkpoint).await? {
                    Some(batch) => batch,
                    None => {
                        // Nothing (left) to reconcile: the full sync is done.
                        let done = Checkpoint {
                            phase: Phase::Incremental,
                            page_cursor: None,
                            ..checkpoint
                        };
                        self.save_now(done).await?;
                        return Ok(None);
                    }
                },
                Phase::Initial | Phase::Resync => match self.full_sync_page(&checkpoint).await? {
                    Some(batch) => batch,
                    None => continue,
                },
                Phase::Incremental => match self.delta_page(&checkpoint).await? {
                    Some(batch) => batch,
                    None => continue,
                },
            };
            let (page, plan) = plan;
            return Ok(Some(Batch::new(self, page, checkpoint.phase, plan)));
        }
    }

    /// After a successful commit of `after`.
    pub(crate) fn committed(&mut self, after: Checkpoint, ends_round: bool) {
        self.checkpoint = Some(after.saved());
        self.round_done = ends_round;
    }

    /// Saves a checkpoint on its own (no page goes with it).
    async fn save_now(&mut self, checkpoint: Checkpoint) -> Result<(), SyncError> {
        match self.store.save(&self.target.key, &checkpoint).await {
            Ok(true) => {
                self.checkpoint = Some(checkpoint.saved());
                Ok(())
            }
            Ok(false) => {
                self.checkpoint = None;
                Err(self.conflict())
            }
            Err(error) => {
                self.checkpoint = None;
                Err(error.into())
            }
        }
    }

    pub(crate) fn conflict(&self) -> SyncError {
        SyncError::Conflict {
            key: self.target.key.clone(),
        }
    }

    /// After a failed commit: what is in the store is unknown, read it again.
    pub(crate) fn commit_failed(&mut self) {
        self.checkpoint = None;
    }

    async fn check_expiry(&mut self) {
        self.expiry_checked = true;
        match self.client.change_tracking_expiry().await {
            Ok(days) => self.expiry_days = days,
            Err(error) => {
                tracing::warn!(
                    key = %self.target.key,
                    %error,
                    "could not read the org's expirechangetrackingindays; the poll interval is not checked against it"
                );
            }
        }
        if let (Some(interval), Some(days)) = (self.options.poll_interval, self.expiry_days) {
            warn_if_poll_interval_near_expiry(interval, days);
        }
    }

    /// A page of a full sync; `None` when the sync was restarted and the caller loops.
    async fn full_sync_page(
        &mut self,
        checkpoint: &Checkpoint,
    ) -> Result<Option<(ChangePage, Plan)>, SyncError> {
        let link = checkpoint.page_cursor.clone();
        let page = match self.fetch(link.as_deref()).await {
            Ok(page) => page,
            Err(error) if error.is_change_token_expired() && link.is_some() => {
                // UNCONFIRMED whether a full sync's page link can expire; if it does, the
                // full sync starts over as a new generation: a row returned by the refused
                // pass (marked with the old generation) and deleted before the new pass
                // reaches it is then reconciled as deleted, as after any full sync. Pages
                // the refused pass committed come again (at-least-once).
                tracing::warn!(key = %self.target.key, "a full sync's page link expired; restarting the full sync as a new generation");
                let restart = restarted_full_sync(checkpoint);
                self.save_now(restart).await?;
                self.resyncs += 1;
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        };
        self.check_not_repeated(link.as_deref(), &page)?;
        let after = if let Some(next) = &page.next_link {
            Checkpoint {
                page_cursor: Some(next.clone()),
                ..checkpoint.clone()
            }
        } else if let Some(delta) = &page.delta_link {
            Checkpoint {
                phase: Phase::Reconcile,
                page_cursor: None,
                delta_cursor: Some(delta.clone()),
                ..checkpoint.clone()
            }
        } else {
            return Err(self.protocol(
                "the last page of a full sync carries no @odata.deltaLink, so the sync cannot continue with deltas; check that change tracking is enabled on the table",
            ));
        };
        let (remember, forget) = self.ids(&page)?;
        let plan = Plan {
            after,
            remember,
            forget,
            ends_round: false,
        };
        Ok(Some((page, plan)))
    }

    /// A page of a delta round; `None` when a resync was started and the caller loops.
    async fn delta_page(
        &mut self,
        checkpoint: &Checkpoint,
    ) -> Result<Option<(ChangePage, Plan)>, SyncError> {
        let Some(link) = checkpoint
            .page_cursor
            .clone()
            .or_else(|| checkpoint.delta_cursor.clone())
        else {
            return Err(
                self.protocol("the checkpoint is incremental but holds no link; call start_resync")
            );
        };
        let page = match self.fetch(Some(&link)).await {
            Ok(page) => page,
            Err(error) if error.is_change_token_expired() => {
                if !self.options.auto_resync {
                    return Err(SyncError::TokenExpired {
                        key: self.target.key.clone(),
                        source: error,
                    });
                }
                tracing::warn!(
                    key = %self.target.key,
                    "the change tracking token expired (0x80044352); starting a full resync with delete reconciliation"
                );
                self.start_resync().await?;
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        };
        self.check_not_repeated(Some(&link), &page)?;
        let (after, ends_round) = match (&page.next_link, &page.delta_link) {
            (Some(next), _) => (
                Checkpoint {
                    page_cursor: Some(next.clone()),
                    ..checkpoint.clone()
                },
                false,
            ),
            (None, Some(delta)) => (
                Checkpoint {
                    page_cursor: None,
                    delta_cursor: Some(delta.clone()),
                    ..checkpoint.clone()
                },
                true,
            ),
            // UNCONFIRMED: a last page without a delta link. Keep the round's delta link:
            // the next round reads this one again (at-least-once).
            (None, None) => (
                Checkpoint {
                    page_cursor: None,
                    ..checkpoint.clone()
                },
                true,
            ),
        };
        let (remember, forget) = self.ids(&page)?;
        let plan = Plan {
            after,
            remember,
            forget,
            ends_round,
        };
        Ok(Some((page, plan)))
    }

    /// A batch of reconciled deletions; `None` when nothing is left to reconcile.
    async fn reconcile(
        &mut self,
        checkpoint: &Checkpoint,
    ) -> Result<Option<(ChangePage, Plan)>, SyncError> {
        let limit = self.options.reconcile_batch.max(1);
        let ids = self
            .store
            .unseen(&self.target.key, checkpoint.generation, limit)
            .await?;
        if ids.is_empty() {
            return Ok(None);
        }
        let mut changes = Vec::with_capacity(ids.len());
        for id in &ids {
            let id = Uuid::parse_str(id).map_err(|_| {
                self.protocol("the checkpoint store holds a known id that is not a GUID")
            })?;
            changes.push(Change::Deleted {
                id,
                reason: DeleteReason::Reconciled,
            });
        }
        let last = ids.len() < limit;
        let after = if last {
            Checkpoint {
                phase: Phase::Incremental,
                page_cursor: None,
                ..checkpoint.clone()
            }
        } else {
            checkpoint.clone()
        };
        let mut page = ChangePage::default();
        page.changes = changes;
        page.delta_link = if last {
            after.delta_cursor.clone()
        } else {
            None
        };
        let plan = Plan {
            after,
            remember: Vec::new(),
            forget: ids,
            ends_round: last,
        };
        Ok(Some((page, plan)))
    }

    /// The page at `link` (the round's first page for `None`). Reads on from the open
    /// stream when `link` is its next page; otherwise (a new round, a retried page after a
    /// failed commit) starts a new stream and drops the old one with its request ahead.
    async fn fetch(&mut self, link: Option<&str>) -> Result<ChangePage, DataverseError> {
        let mut pages = match (self.open.take(), link) {
            (Some(open), Some(link)) if open.next == link => open.pages,
            _ => self.pages_from(link),
        };
        let page = pages.try_next().await?.ok_or_else(|| {
            DataverseError::UnexpectedResponse(
                "the change tracking request answered no page".into(),
            )
        })?;
        if let Some(next) = &page.next_link {
            self.open = Some(OpenPages {
                next: next.clone(),
                pages,
            });
        }
        Ok(page)
    }

    fn pages_from(
        &self,
        link: Option<&str>,
    ) -> BoxStream<'static, Result<ChangePage, DataverseError>> {
        let mut changes = self.client.table(self.target.entity_set.as_str()).changes();
        if let Some(size) = self.options.max_page_size {
            changes = changes.max_page_size(size);
        }
        changes = match link {
            Some(link) => changes.from_link(link),
            None => changes.select(&self.target.select),
        };
        changes.pages().boxed()
    }

    fn check_not_repeated(&self, link: Option<&str>, page: &ChangePage) -> Result<(), SyncError> {
        if link.is_some() && page.next_link.as_deref() == link {
            return Err(self.protocol(
                "the service answered a page whose @odata.nextLink is the link just read; stopping instead of looping",
            ));
        }
        Ok(())
    }

    /// The ids to record and to forget for a page.
    fn ids(&self, page: &ChangePage) -> Result<(Vec<String>, Vec<String>), SyncError> {
        let mut remember = Vec::new();
        let mut forget = Vec::new();
        for change in &page.changes {
            match change {
                Change::Changed(_) => {
                    let id = change.id(&self.target.primary_id).ok_or_else(|| {
                        self.protocol(&format!(
                            "a changed row has no GUID in its {} column; set SyncTarget::primary_id to the table's primary id column (and keep it in select)",
                            self.target.primary_id
                        ))
                    })?;
                    remember.push(id.to_string());
                }
                Change::Deleted { id, .. } => forget.push(id.to_string()),
                _ => {}
            }
        }
        Ok((remember, forget))
    }

    fn protocol(&self, detail: &str) -> SyncError {
        SyncError::Protocol {
            key: self.target.key.clone(),
            detail: detail.to_owned(),
        }
    }
}

/// A full sync started over from its first page as the next generation, in the same phase
/// (an initial sync stays initial, so it still ends in reconciliation of what the refused
/// pass recorded).
fn restarted_full_sync(checkpoint: &Checkpoint) -> Checkpoint {
    Checkpoint {
        page_cursor: None,
        generation: checkpoint.generation + 1,
        ..checkpoint.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restarted_full_sync_is_a_new_generation_from_the_first_page() {
        for phase in [Phase::Initial, Phase::Resync] {
            let refused = Checkpoint {
                phase,
                page_cursor: Some("https://org/api/data/v9.2/accounts?$skiptoken=3".into()),
                delta_cursor: None,
                generation: 4,
                revision: 9,
            };
            let restart = restarted_full_sync(&refused);
            assert_eq!(restart.phase, phase);
            assert_eq!(restart.page_cursor, None);
            assert_eq!(
                restart.generation, 5,
                "ids the refused pass marked 4 get reconciled"
            );
            assert_eq!(restart.revision, 9);
        }
    }
}
