//! One sync run: read Graph from the checkpoint (a full round when there is none, or when the
//! delta link expired), plan every page against the org, check the safety limit, then apply
//! page by page, saving the next Graph position only after a page's actions are applied.
//! A run stopped anywhere resumes from the last saved page; applying is idempotent.
//!
//! A full round ends with a reconciliation: users the sync knew (the checkpoint store's known
//! ids) that the round no longer returned are treated as removed, so leavers are found even
//! when no delta round saw them go.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use change_sync::{Checkpoint, CheckpointStore};
use dataverse_webapi::DataverseClient;
use dynamics_auth::{Clock, SystemClock};
use futures::{StreamExt, TryStreamExt, stream};
use uuid::Uuid;

use crate::apply::{
    Applied, Applier, Context, ForceSync, MAX_USER_WAIT, Progress, StderrProgress, UserWait,
};
use crate::error::{Result, SyncError};
use crate::graph::{DeltaItem, GraphClient, GraphUser, repeated};
use crate::journal::SyncJournal;
use crate::org::{Catalog, read_users, synced_entra_ids};
use crate::plan::{ActionKind, Plan, PlanInputs, PlanOptions, UserChange, plan};
use crate::position::{self, Start};
use crate::rules::{Membership, RuleSet};

/// How many partial users are read again from Graph at once.
const REREAD_CONCURRENCY: usize = 8;

/// The checkpoint key used unless [`SyncOptions::checkpoint_key`] says otherwise. Syncs
/// sharing a store add the tenant and org: `graph-users/{tenant}:{org url}`.
pub const DEFAULT_CHECKPOINT_KEY: &str = "graph-users";

/// Directory delta tokens last 7 days (Microsoft Graph, "Use delta query"). The sync does
/// not pre-empt this by age (change-sync's checkpoints carry no save time): Graph answers an
/// expired token with `410 Gone` / `syncStateNotFound`, and that starts a full round.
pub const DELTA_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// Settings of one run. Construct with `..Default::default()`.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Plan only: nothing is changed and the checkpoint stays where it is.
    pub dry_run: bool,
    /// Apply even when the plan disrupts more than the rules' safety share.
    pub force: bool,
    /// Disable users who left Entra (removed, or account disabled). Never deletes.
    pub disable_leavers: bool,
    /// Ignore the checkpoint and read every user (a full round).
    pub full: bool,
    /// Overrides the rules' `safety.max_change_share`.
    pub max_change_share: Option<f64>,
    /// The checkpoint's key (one per org and rule set when several syncs share a store).
    pub checkpoint_key: String,
    /// The wait for force-synced users to appear.
    pub user_wait: UserWait,
    /// How many users are applied at once (default 4; one user's steps stay in order).
    pub concurrency: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            dry_run: false,
            force: false,
            disable_leavers: false,
            full: false,
            max_change_share: None,
            checkpoint_key: DEFAULT_CHECKPOINT_KEY.to_owned(),
            user_wait: UserWait::default(),
            concurrency: 4,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SyncReport {
    /// The plan (for a dry run, what would be done).
    pub plan: Plan,
    /// What was applied (empty for a dry run).
    pub applied: Vec<Applied>,
    /// Graph pages read.
    pub pages: usize,
    /// Whether Graph was read from the start (no checkpoint, `full`, or an expired link).
    pub full_round: bool,
    /// Whether nothing was changed.
    pub dry_run: bool,
    /// Whether the rules changed since the stored position was read (a full round then).
    pub rules_changed: bool,
}

impl SyncReport {
    /// The users reported as unlicensed (labels).
    pub fn unlicensed(&self) -> Vec<&str> {
        let planned = self
            .plan
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::ReportUnlicensed);
        let applied = self.applied.iter().filter_map(|a| match a {
            Applied::Unlicensed(a) => Some(a),
            _ => None,
        });
        let mut out: Vec<&str> = if self.dry_run {
            planned.map(|a| a.label.as_str()).collect()
        } else {
            applied.map(|a| a.label.as_str()).collect()
        };
        out.dedup();
        out
    }

    /// The users whose steps failed (label, reason); they are retried by the next run.
    pub fn failed(&self) -> Vec<(&str, &str)> {
        self.applied
            .iter()
            .filter_map(|a| match a {
                Applied::Failed { action, reason } => {
                    Some((action.label.as_str(), reason.as_str()))
                }
                _ => None,
            })
            .collect()
    }
}

/// One planned page and the checkpoint once it is applied.
struct PagePlan {
    plan: Plan,
    users: HashMap<Uuid, GraphUser>,
    /// Users the page returned (recorded as known with the round's generation).
    seen: Vec<Uuid>,
    /// Users the page removed (forgotten).
    gone: Vec<Uuid>,
    /// Users the page listed whose full record Graph did not give (retried next run).
    unread: Vec<Uuid>,
    next: Checkpoint,
}

/// Brings Entra users into one Dataverse org by a rule set.
pub struct UserSync {
    graph: GraphClient,
    dataverse: DataverseClient,
    force_sync: Arc<dyn ForceSync>,
    checkpoints: Arc<dyn CheckpointStore>,
    rules: RuleSet,
    progress: Arc<dyn Progress>,
    clock: Arc<dyn Clock>,
    journal: Option<Arc<SyncJournal>>,
}

/// The checkpoint store is a trait object without `Debug`: shown by name only.
impl std::fmt::Debug for UserSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserSync")
            .field("graph", &self.graph)
            .field("dataverse", &self.dataverse)
            .field("force_sync", &self.force_sync)
            .field("checkpoints", &"dyn CheckpointStore")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl UserSync {
    /// A sync of `graph`'s users into `dataverse`'s org by `rules`, force-syncing through
    /// `force_sync` and keeping its Graph position in `checkpoints`. Progress goes to stderr
    /// and waits use the system clock unless [`with_progress`](Self::with_progress) and
    /// [`with_clock`](Self::with_clock) say otherwise.
    pub fn new(
        graph: GraphClient,
        dataverse: DataverseClient,
        force_sync: Arc<dyn ForceSync>,
        checkpoints: Arc<dyn CheckpointStore>,
        rules: RuleSet,
    ) -> Self {
        UserSync {
            graph,
            dataverse,
            force_sync,
            checkpoints,
            rules,
            progress: Arc::new(StderrProgress),
            clock: Arc::new(SystemClock),
            journal: None,
        }
    }

    /// Where the roles held before a move, the users to retry and the rules' fingerprint
    /// are kept (normally the checkpoint's SQLite file). Without one they live in memory:
    /// a run stopped between a move and the return of the roles then loses them.
    pub fn with_journal(mut self, journal: SyncJournal) -> Self {
        self.journal = Some(Arc::new(journal));
        self
    }

    /// Where progress lines go.
    pub fn with_progress(mut self, progress: Arc<dyn Progress>) -> Self {
        self.progress = progress;
        self
    }

    /// The clock for the wait for force-synced users.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The checkpoint store.
    pub fn checkpoints(&self) -> &Arc<dyn CheckpointStore> {
        &self.checkpoints
    }

    /// The known ids of `key` marked lower than `below` (all of them for `i64::MAX`).
    async fn known(&self, key: &str, below: i64) -> Result<HashSet<Uuid>> {
        Ok(self
            .checkpoints
            .unseen(key, below, usize::MAX)
            .await?
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect())
    }

    async fn membership(&self) -> Result<Membership> {
        let mut membership = Membership::default();
        for group in self.rules.groups() {
            let id = self.graph.resolve_group(&group).await?;
            let members = self.graph.group_member_ids(&id).await?;
            self.progress.note(&format!(
                "group '{group}': {} direct members",
                members.len()
            ));
            membership.insert(&group, members);
        }
        Ok(membership)
    }

    /// The page's changes, with partial users (an incremental round may send only what
    /// changed) read again in full, a few at a time.
    async fn changes(&self, items: Vec<DeltaItem>) -> Result<PageChanges> {
        let graph = &self.graph;
        let read: Vec<(Uuid, Reread)> = stream::iter(items)
            .filter_map(|item| {
                std::future::ready(match item {
                    DeltaItem::Removed { id, .. } => Uuid::parse_str(&id).ok().map(|id| (id, None)),
                    DeltaItem::Changed { user, complete } => Uuid::parse_str(&user.id)
                        .ok()
                        .map(|id| (id, Some((user, complete)))),
                })
            })
            .map(|(id, entry)| async move {
                Ok::<_, SyncError>(match entry {
                    None => (id, Reread::Removed),
                    Some((user, true)) => (id, Reread::Found(user)),
                    // A 404 here is not a removal (only `@removed` or accountEnabled false
                    // are): replication may lag, so look once more, then skip the user.
                    Some((user, false)) => match graph.user(&user.id).await? {
                        Some(u) => (id, Reread::Found(Box::new(u))),
                        None => match graph.user(&user.id).await? {
                            Some(u) => (id, Reread::Found(Box::new(u))),
                            None => (id, Reread::NotFound),
                        },
                    },
                })
            })
            .buffered(REREAD_CONCURRENCY)
            .try_collect()
            .await?;
        let mut out = PageChanges::default();
        for (id, user) in read {
            match user {
                Reread::Found(u) => {
                    out.users.insert(id, (*u).clone());
                    out.changes.push(UserChange::Present(u));
                }
                Reread::Removed => out.changes.push(UserChange::Removed(id)),
                Reread::NotFound => {
                    self.progress.note(&format!(
                        "user {id} changed but Graph answers 404 for it; put on the retry \
                         list (not disabled: only a removal or a disabled account disables)"
                    ));
                    out.unread.push(id);
                }
            }
        }
        Ok(out)
    }

    /// Runs the sync once.
    pub async fn run(&self, options: &SyncOptions) -> Result<SyncReport> {
        let key = options.checkpoint_key.as_str();
        let saved = self.checkpoints.load(key).await?;
        let fingerprint = self.rules.fingerprint();
        let rules_changed = saved.is_some() && self.rules_changed(options, &fingerprint).await?;
        if rules_changed {
            self.progress
                .note("the rules changed since the last run; starting a full round");
        }
        let (round, start) = position::start(saved, options.full || rules_changed);
        if !options.dry_run {
            self.applier(options).restore_held_roles().await?;
        }
        let membership = self.membership().await?;
        let catalog = Catalog::load(&self.dataverse, &self.rules).await?;
        let inputs = RunInputs {
            membership: &membership,
            catalog: &catalog,
            plan_options: PlanOptions {
                disable_leavers: options.disable_leavers,
            },
        };
        let mut round = self.read_round(&inputs, key, round, start).await?;
        self.add_retries(&inputs, &mut round, options).await?;
        keep_last_entries(&mut round.pages);
        // One sort for the whole plan (merging page by page would sort again each time).
        let mut total = Plan::default();
        for page in &round.pages {
            total.extend_unsorted(page.plan.clone());
        }
        total.sort();
        let share = options
            .max_change_share
            .unwrap_or(self.rules.max_change_share);
        let synced = synced_entra_ids(&self.dataverse).await?;
        total.check_safety(share, total.managed_population(&synced), options.force)?;
        let mut report = SyncReport {
            plan: total,
            applied: Vec::new(),
            pages: round.pages.len(),
            full_round: round.from_start,
            dry_run: options.dry_run,
            rules_changed,
        };
        if !options.dry_run {
            let revision = self.claim(key, &round.base).await?;
            // Saved once the round's start is: every position stored from now on was
            // applied with these rules (a resumed round goes on with them), and a run
            // stopped before this point finds the old fingerprint and starts over.
            if let Some(journal) = &self.journal {
                journal.set_rules_fingerprint(key, &fingerprint).await?;
            }
            report.applied = self
                .apply_round(&inputs, key, revision, round.pages, options)
                .await?;
        }
        Ok(report)
    }

    /// Stores the checkpoint the round starts from before anything is applied: a second
    /// run working from the same position is refused now, not after it changed users, and
    /// a restarted round (edited rules, an expired link, `full`) is on record, so a run
    /// stopped before its first page resumes as a full round, not from the old delta link.
    /// Answers the revision the first page's save must match.
    async fn claim(&self, key: &str, base: &Checkpoint) -> Result<i64> {
        if !self.checkpoints.save(key, base).await? {
            return Err(SyncError::CheckpointConflict {
                key: key.to_owned(),
            });
        }
        Ok(base.clone().saved().revision)
    }

    /// Whether the rules differ from those the stored position was applied with (an
    /// unknown fingerprint counts as a change: the position may predate it).
    async fn rules_changed(&self, options: &SyncOptions, fingerprint: &str) -> Result<bool> {
        let Some(journal) = &self.journal else {
            return Ok(false);
        };
        let stored = journal.rules_fingerprint(&options.checkpoint_key).await?;
        Ok(stored.as_deref() != Some(fingerprint))
    }

    fn applier(&self, options: &SyncOptions) -> Applier {
        Applier {
            client: self.dataverse.clone(),
            force_sync: self.force_sync.clone(),
            clock: self.clock.clone(),
            wait: UserWait {
                timeout: options.user_wait.timeout.min(MAX_USER_WAIT),
                ..options.user_wait
            },
            progress: self.progress.clone(),
            journal: self.journal.clone(),
            key: options.checkpoint_key.clone(),
        }
    }

    /// Users whose steps failed in an earlier run and this round did not list: read again
    /// from Graph and planned with the last page (a user that succeeds leaves the list).
    async fn add_retries(
        &self,
        inputs: &RunInputs<'_>,
        round: &mut Round,
        options: &SyncOptions,
    ) -> Result<()> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        let key = options.checkpoint_key.as_str();
        let listed: HashSet<Uuid> = round
            .pages
            .iter()
            .flat_map(|p| p.seen.iter().chain(&p.gone).copied())
            .collect();
        let mut changes = Vec::new();
        let mut users = HashMap::new();
        for id in journal.retry_list(key).await?.into_keys() {
            if listed.contains(&id) {
                continue;
            }
            match self.graph.user(&id.to_string()).await? {
                Some(u) => {
                    users.insert(id, u.clone());
                    changes.push(UserChange::Present(Box::new(u)));
                }
                // A dry run changes nothing, the journal included.
                None if options.dry_run => {}
                None => {
                    self.progress.note(&format!(
                        "user {id} on the retry list is no longer in Graph; dropped from it"
                    ));
                    journal.clear_retry(key, id).await?;
                }
            }
        }
        let Some(last) = round.pages.last_mut() else {
            return Ok(());
        };
        if changes.is_empty() {
            return Ok(());
        }
        self.progress.note(&format!(
            "retrying {} user(s) from earlier runs",
            changes.len()
        ));
        let (plan, users) = self.plan_page(inputs, &changes, users).await?;
        let (seen, gone) = split_ids(&changes);
        last.seen.extend(seen);
        last.gone.extend(gone);
        last.plan.merge(plan);
        last.users.extend(users);
        Ok(())
    }

    /// Pass 1: reads the pages from `start` and plans each; a full round ends with the
    /// reconciliation page (known users it did not return, as removed).
    async fn read_round(
        &self,
        inputs: &RunInputs<'_>,
        key: &str,
        mut checkpoint: Checkpoint,
        start: Start,
    ) -> Result<Round> {
        let (mut link, mut full_round) = match start {
            Start::Full => (None, true),
            Start::Link { link, full_round } => (Some(link), full_round),
            Start::Reconcile => {
                let page = self
                    .reconcile(inputs, key, &checkpoint, &HashSet::new())
                    .await?;
                return Ok(Round {
                    pages: vec![page],
                    from_start: false,
                    base: checkpoint,
                });
            }
        };
        let mut from_start = link.is_none();
        let mut base = checkpoint.clone();
        let mut pages: Vec<PagePlan> = Vec::new();
        let mut links = HashSet::new();
        let mut seen_in_round = HashSet::new();
        loop {
            let page = match self.graph.delta_page(link.as_deref()).await {
                Ok(page) => page,
                // A stored link Graph no longer honours: a full round of a new generation.
                Err(e) if e.is_delta_expired() && link.is_some() => {
                    self.progress.note(&format!("{e}; starting a full round"));
                    checkpoint = position::restart(&checkpoint);
                    base = checkpoint.clone();
                    full_round = true;
                    from_start = true;
                    pages.clear();
                    links.clear();
                    seen_in_round.clear();
                    link = None;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let PageChanges {
                changes,
                users,
                unread,
            } = self.changes(page.items).await?;
            let (plan, users) = self.plan_page(inputs, &changes, users).await?;
            if page.next_link.is_none() && page.delta_link.is_none() {
                return Err(SyncError::GraphDecode {
                    url: self.graph.base_url().to_string(),
                    message: "a delta page has neither @odata.nextLink nor @odata.deltaLink"
                        .to_owned(),
                });
            }
            if let Some(next) = &page.next_link
                && !links.insert(next.clone())
            {
                return Err(repeated(next));
            }
            let next = position::after_page(
                &checkpoint,
                full_round,
                page.next_link.clone(),
                page.delta_link,
            );
            let (mut seen, gone) = split_ids(&changes);
            // Listed but not readable: still there as far as Graph said (never reconciled
            // away), and retried by the next run.
            seen.extend(unread.iter().copied());
            if full_round {
                seen_in_round.extend(seen.iter().copied());
            }
            self.progress.note(&format!(
                "read page {}: {} users, {} actions planned",
                pages.len() + 1,
                changes.len(),
                plan.actions.len()
            ));
            link = page.next_link;
            checkpoint = next.clone();
            pages.push(PagePlan {
                plan,
                users,
                seen,
                gone,
                unread,
                next,
            });
            if link.is_none() {
                break;
            }
        }
        if full_round {
            let page = self
                .reconcile(inputs, key, &checkpoint, &seen_in_round)
                .await?;
            pages.push(page);
        }
        Ok(Round {
            pages,
            from_start,
            base,
        })
    }

    /// The reconciliation after a full round of `reconciling`'s generation: the known ids
    /// marked lower (not returned by the pages already applied) and not in `seen` (the
    /// pages of this run) are users Graph no longer has; planned as removed, so they are
    /// disabled when leavers are, and forgotten.
    async fn reconcile(
        &self,
        inputs: &RunInputs<'_>,
        key: &str,
        reconciling: &Checkpoint,
        seen: &HashSet<Uuid>,
    ) -> Result<PagePlan> {
        let mut absent: Vec<Uuid> = self
            .known(key, reconciling.generation)
            .await?
            .into_iter()
            .filter(|id| !seen.contains(id))
            .collect();
        absent.sort();
        // A user the round did not list may still be there (Graph replicates with a lag):
        // only a 404 on the user itself counts as gone; the others are placed as present.
        let graph = &self.graph;
        let confirmed: Vec<(Uuid, Option<GraphUser>)> = stream::iter(absent)
            .map(|id| async move { Ok::<_, SyncError>((id, graph.user(&id.to_string()).await?)) })
            .buffered(REREAD_CONCURRENCY)
            .try_collect()
            .await?;
        let mut users = HashMap::new();
        let mut changes = Vec::with_capacity(confirmed.len());
        for (id, user) in confirmed {
            match user {
                Some(u) => {
                    users.insert(id, u.clone());
                    changes.push(UserChange::Present(Box::new(u)));
                }
                None => changes.push(UserChange::Removed(id)),
            }
        }
        let (plan, users) = self.plan_page(inputs, &changes, users).await?;
        let (seen, gone) = split_ids(&changes);
        if !changes.is_empty() {
            self.progress.note(&format!(
                "reconcile: {} known users the round did not list, {} of them gone from \
                 Graph, {} actions planned",
                changes.len(),
                gone.len(),
                plan.actions.len()
            ));
        }
        Ok(PagePlan {
            plan,
            users,
            seen,
            gone,
            unread: Vec::new(),
            next: position::after_reconcile(reconciling),
        })
    }

    /// Plans one page against the org, keeping only the Graph users about to be
    /// force-synced (needed again to place them), so memory stays small however many users
    /// a round reads.
    async fn plan_page(
        &self,
        inputs: &RunInputs<'_>,
        changes: &[UserChange],
        mut users: HashMap<Uuid, GraphUser>,
    ) -> Result<(Plan, HashMap<Uuid, GraphUser>)> {
        let ids: Vec<Uuid> = changes
            .iter()
            .filter_map(|c| match c {
                UserChange::Present(u) => Uuid::parse_str(&u.id).ok(),
                UserChange::Removed(id) => Some(*id),
            })
            .collect();
        let org = read_users(&self.dataverse, &ids).await?;
        let page_plan = plan(
            PlanInputs {
                rules: &self.rules,
                membership: inputs.membership,
                catalog: inputs.catalog,
                org: &org,
                options: inputs.plan_options,
            },
            changes,
        )?;
        let synced: HashSet<Uuid> = page_plan
            .actions
            .iter()
            .filter(|a| a.kind == ActionKind::ForceSync)
            .map(|a| a.user)
            .collect();
        users.retain(|id, _| synced.contains(id));
        Ok((page_plan, users))
    }

    /// Pass 2: applies page by page; after each, the known ids and the checkpoint are
    /// saved in one transaction (a crash before it repeats the page, which is idempotent).
    async fn apply_round(
        &self,
        inputs: &RunInputs<'_>,
        key: &str,
        mut revision: i64,
        pages: Vec<PagePlan>,
        options: &SyncOptions,
    ) -> Result<Vec<Applied>> {
        let applier = self.applier(options);
        let count = pages.len();
        let mut all = Vec::new();
        for (index, page) in pages.into_iter().enumerate() {
            let ctx = Context {
                rules: &self.rules,
                membership: inputs.membership,
                catalog: inputs.catalog,
                users: &page.users,
            };
            let applied = applier
                .apply(&ctx, &page.plan.actions, options.concurrency)
                .await?;
            let next = Checkpoint {
                revision,
                ..page.next
            };
            self.commit(key, &next, &page.seen, &page.gone).await?;
            revision = next.saved().revision;
            if let Some(journal) = &self.journal {
                for id in &page.unread {
                    journal
                        .add_retry(key, *id, "Graph answered 404 when the user was read again")
                        .await?;
                }
            }
            self.progress.note(&format!(
                "applied page {}/{count}: {} actions",
                index + 1,
                applied.len()
            ));
            all.extend(applied);
        }
        Ok(all)
    }

    /// Saves a page's known ids and the checkpoint together.
    async fn commit(
        &self,
        key: &str,
        next: &Checkpoint,
        seen: &[Uuid],
        gone: &[Uuid],
    ) -> Result<()> {
        let text = |ids: &[Uuid]| ids.iter().map(Uuid::to_string).collect::<Vec<_>>();
        let mut tx = self.checkpoints.begin().await?;
        self.checkpoints
            .remember_in(&mut tx, key, &text(seen), next.generation)
            .await?;
        self.checkpoints
            .forget_in(&mut tx, key, &text(gone))
            .await?;
        if !self.checkpoints.save_in(&mut tx, key, next).await? {
            tx.rollback().await?;
            return Err(SyncError::CheckpointConflict {
                key: key.to_owned(),
            });
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The users a page returned, and the ones it removed.
fn split_ids(changes: &[UserChange]) -> (Vec<Uuid>, Vec<Uuid>) {
    let mut seen = Vec::new();
    let mut gone = Vec::new();
    for change in changes {
        match change {
            UserChange::Present(u) => seen.extend(Uuid::parse_str(&u.id).ok()),
            UserChange::Removed(id) => gone.push(*id),
        }
    }
    (seen, gone)
}

/// A user listed on several pages of one round is planned from its last entry only: the
/// earlier pages forget it (their plan was made against the same org state, from older
/// Graph data). An earlier page still remembers the user as seen: if the run stops before
/// the later page and the resumed read no longer lists it there, the reconciliation must
/// not take the user for gone. A removal on an earlier page is dropped (the later entry
/// decides; pages commit in order).
fn keep_last_entries(pages: &mut [PagePlan]) {
    let mut later: HashSet<Uuid> = HashSet::new();
    for page in pages.iter_mut().rev() {
        let listed: HashSet<Uuid> = page.seen.iter().chain(&page.gone).copied().collect();
        let again: HashSet<Uuid> = listed.intersection(&later).copied().collect();
        if !again.is_empty() {
            page.plan.forget(&again);
            page.users.retain(|id, _| !again.contains(id));
            page.gone.retain(|id| !again.contains(id));
            page.unread.retain(|id| !again.contains(id));
        }
        later.extend(listed);
    }
}

/// A page's changes as read: planned changes, the full records of present users, and the
/// users listed whose record could not be read.
#[derive(Default)]
struct PageChanges {
    changes: Vec<UserChange>,
    users: HashMap<Uuid, GraphUser>,
    unread: Vec<Uuid>,
}

/// What a changed user read again from Graph came to.
enum Reread {
    Found(Box<GraphUser>),
    Removed,
    NotFound,
}

/// What every page of a run is planned with.
struct RunInputs<'a> {
    membership: &'a Membership,
    catalog: &'a Catalog,
    plan_options: PlanOptions,
}

/// The planned pages of one read.
struct Round {
    pages: Vec<PagePlan>,
    /// Whether Graph was read from its first page.
    from_start: bool,
    /// The checkpoint the pages start from (restarted when the round is a new full one);
    /// stored before the first page is applied.
    base: Checkpoint,
}
