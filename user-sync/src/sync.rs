//! One sync run: read Graph from the checkpoint (a full round when there is none, or when the
//! delta link expired), plan every page against the org, check the safety limit, then apply
//! page by page, saving the next Graph position only after a page's actions are applied.
//! A run stopped anywhere resumes from the last saved page; applying is idempotent.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use dataverse_webapi::DataverseClient;
use dynamics_auth::{Clock, SystemClock};
use futures::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::apply::{
    Applied, Applier, Context, ForceSync, MAX_USER_WAIT, Progress, StderrProgress, UserWait,
};
use crate::checkpoint::CheckpointStore;
use crate::error::{Result, SyncError};
use crate::graph::{DeltaItem, GraphClient, GraphUser, repeated};
use crate::journal::SyncJournal;
use crate::org::{Catalog, read_users, synced_entra_ids};
use crate::plan::{ActionKind, Plan, PlanInputs, PlanOptions, UserChange, plan};
use crate::rules::{Membership, RuleSet};

/// How many partial users are read again from Graph at once.
const REREAD_CONCURRENCY: usize = 8;

/// The checkpoint key used unless [`SyncOptions::checkpoint_key`] says otherwise.
pub const DEFAULT_CHECKPOINT_KEY: &str = "user-sync/graph-users-delta";

/// Directory delta tokens last 7 days (Microsoft Graph, "Use delta query"); an older
/// checkpoint starts a full round without trying it.
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

/// The position in Graph, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    /// A `nextLink` (a round in progress) or a `deltaLink` (a round done).
    link: String,
    /// Whether `link` is a delta link.
    complete: bool,
    /// Users seen by the last full round (the safety limit's denominator).
    #[serde(default)]
    population: usize,
}

/// One planned page and where Graph continues after it.
struct PagePlan {
    plan: Plan,
    /// The users the page listed.
    ids: HashSet<Uuid>,
    users: HashMap<Uuid, GraphUser>,
    next: Cursor,
}

/// Brings Entra users into one Dataverse org by a rule set.
#[derive(Debug)]
pub struct UserSync {
    graph: GraphClient,
    dataverse: DataverseClient,
    force_sync: Arc<dyn ForceSync>,
    checkpoints: CheckpointStore,
    rules: RuleSet,
    progress: Arc<dyn Progress>,
    clock: Arc<dyn Clock>,
    journal: Option<Arc<SyncJournal>>,
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
        checkpoints: CheckpointStore,
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
    pub fn checkpoints(&self) -> &CheckpointStore {
        &self.checkpoints
    }

    async fn stored_cursor(&self, options: &SyncOptions) -> Result<(Option<Cursor>, usize)> {
        let Some(saved) = self.checkpoints.get(&options.checkpoint_key).await? else {
            return Ok((None, 0));
        };
        let cursor: Cursor = match serde_json::from_str(&saved.cursor) {
            Ok(c) => c,
            Err(_) => {
                self.progress
                    .note("the stored checkpoint cannot be read; starting a full round");
                return Ok((None, 0));
            }
        };
        let population = cursor.population;
        if options.full {
            return Ok((None, population));
        }
        let age = self.clock.now().unix_timestamp() - saved.saved_at;
        if age > DELTA_TOKEN_LIFETIME.as_secs() as i64 {
            self.progress.note(&format!(
                "the checkpoint is {} days old and Graph delta links last 7 days; starting a \
                 full round",
                age / 86_400
            ));
            return Ok((None, population));
        }
        Ok((Some(cursor), population))
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
    async fn changes(
        &self,
        items: Vec<DeltaItem>,
    ) -> Result<(Vec<UserChange>, HashMap<Uuid, GraphUser>)> {
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
        let mut changes = Vec::with_capacity(read.len());
        let mut users = HashMap::new();
        for (id, user) in read {
            match user {
                Reread::Found(u) => {
                    users.insert(id, (*u).clone());
                    changes.push(UserChange::Present(u));
                }
                Reread::Removed => changes.push(UserChange::Removed(id)),
                Reread::NotFound => self.progress.note(&format!(
                    "user {id} changed but Graph answers 404 for it; skipped this run (not \
                     disabled: only a removal or a disabled account disables)"
                )),
            }
        }
        Ok((changes, users))
    }

    /// Runs the sync once.
    pub async fn run(&self, options: &SyncOptions) -> Result<SyncReport> {
        let (mut cursor, population) = self.stored_cursor(options).await?;
        let fingerprint = self.rules.fingerprint();
        let rules_changed = cursor.is_some() && self.rules_changed(options, &fingerprint).await?;
        if rules_changed {
            self.progress
                .note("the rules changed since the last run; starting a full round");
            cursor = None;
        }
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
        let mut round = self
            .read_round(&inputs, cursor.map(|c| c.link), population)
            .await?;
        self.add_retries(&inputs, &mut round).await?;
        keep_last_entries(&mut round.pages);
        let mut total = Plan::default();
        for page in &round.pages {
            total.merge(page.plan.clone());
        }
        let share = options
            .max_change_share
            .unwrap_or(self.rules.max_change_share);
        let synced = synced_entra_ids(&self.dataverse).await?;
        total.check_safety(share, total.managed_population(&synced), options.force)?;
        let mut report = SyncReport {
            plan: total,
            applied: Vec::new(),
            pages: round.pages.len(),
            full_round: round.full_round,
            dry_run: options.dry_run,
            rules_changed,
        };
        if !options.dry_run {
            // Saved before the first page: every position stored from now on was applied
            // with these rules (a resumed round goes on with them).
            if let Some(journal) = &self.journal {
                journal
                    .set_rules_fingerprint(&options.checkpoint_key, &fingerprint)
                    .await?;
            }
            report.applied = self.apply_round(&inputs, round.pages, options).await?;
        }
        Ok(report)
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
        }
    }

    /// Users whose steps failed in an earlier run and this round did not list: read again
    /// from Graph and planned with the last page (a user that succeeds leaves the list).
    async fn add_retries(&self, inputs: &RunInputs<'_>, round: &mut Round) -> Result<()> {
        let Some(journal) = &self.journal else {
            return Ok(());
        };
        let listed: HashSet<Uuid> = round.pages.iter().flat_map(|p| p.ids.clone()).collect();
        let mut changes = Vec::new();
        let mut users = HashMap::new();
        for id in journal.retry_list().await?.into_keys() {
            if listed.contains(&id) {
                continue;
            }
            match self.graph.user(&id.to_string()).await? {
                Some(u) => {
                    users.insert(id, u.clone());
                    changes.push(UserChange::Present(Box::new(u)));
                }
                None => {
                    self.progress.note(&format!(
                        "user {id} on the retry list is no longer in Graph; dropped from it"
                    ));
                    journal.clear_retry(id).await?;
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
        last.ids.extend(changes.iter().filter_map(|c| match c {
            UserChange::Present(u) => Uuid::parse_str(&u.id).ok(),
            UserChange::Removed(id) => Some(*id),
        }));
        last.plan.merge(plan);
        last.users.extend(users);
        Ok(())
    }

    /// Pass 1: reads the pages from `start` (a full round when `None`, or when the link has
    /// expired) and plans each.
    async fn read_round(
        &self,
        inputs: &RunInputs<'_>,
        start: Option<String>,
        population: usize,
    ) -> Result<Round> {
        let mut pages: Vec<PagePlan> = Vec::new();
        let mut full_round = start.is_none();
        let mut link = start;
        let mut seen = HashSet::new();
        let mut seen_users = 0usize;
        loop {
            let page = match self.graph.delta_page(link.as_deref()).await {
                Ok(page) => page,
                Err(e) if e.is_delta_expired() && !full_round => {
                    self.progress.note(&format!("{e}; starting a full round"));
                    full_round = true;
                    pages.clear();
                    seen.clear();
                    seen_users = 0;
                    link = None;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let (changes, users) = self.changes(page.items).await?;
            seen_users += changes.len();
            let (plan, users) = self.plan_page(inputs, &changes, users).await?;
            let ids = changes
                .iter()
                .filter_map(|c| match c {
                    UserChange::Present(u) => Uuid::parse_str(&u.id).ok(),
                    UserChange::Removed(id) => Some(*id),
                })
                .collect();
            let next = match (page.next_link, page.delta_link) {
                (Some(next), _) => Cursor {
                    link: next,
                    complete: false,
                    population,
                },
                (None, Some(delta)) => Cursor {
                    link: delta,
                    complete: true,
                    population,
                },
                (None, None) => {
                    return Err(SyncError::GraphDecode {
                        url: self.graph.base_url().to_string(),
                        message: "a delta page has neither @odata.nextLink nor \
                                  @odata.deltaLink"
                            .to_owned(),
                    });
                }
            };
            if !next.complete && !seen.insert(next.link.clone()) {
                return Err(repeated(&next.link));
            }
            self.progress.note(&format!(
                "read page {}: {} users, {} actions planned",
                pages.len() + 1,
                changes.len(),
                plan.actions.len()
            ));
            let done = next.complete;
            link = Some(next.link.clone());
            pages.push(PagePlan {
                plan,
                ids,
                users,
                next,
            });
            if done {
                break;
            }
        }
        // A full round counts everyone: that is the population from now on.
        let population = if full_round { seen_users } else { population };
        for page in pages.iter_mut() {
            page.next.population = population;
        }
        Ok(Round { pages, full_round })
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

    /// Pass 2: applies page by page; the checkpoint moves only after a page is applied.
    async fn apply_round(
        &self,
        inputs: &RunInputs<'_>,
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
            let cursor = serde_json::to_string(&page.next).map_err(|e| {
                SyncError::invalid("checkpoint", format!("cannot be written as JSON: {e}"))
            })?;
            self.checkpoints
                .put(
                    &options.checkpoint_key,
                    &cursor,
                    self.clock.now().unix_timestamp(),
                )
                .await?;
            self.progress.note(&format!(
                "applied page {}/{count}: {} actions",
                index + 1,
                applied.len()
            ));
            all.extend(applied);
        }
        Ok(all)
    }
}

/// A user listed on several pages of one round is planned from its last entry only: the
/// earlier pages forget it (their plan was made against the same org state, from older
/// Graph data).
fn keep_last_entries(pages: &mut [PagePlan]) {
    let mut later: HashSet<Uuid> = HashSet::new();
    for page in pages.iter_mut().rev() {
        let again: HashSet<Uuid> = page.ids.intersection(&later).copied().collect();
        if !again.is_empty() {
            page.plan.forget(&again);
            page.users.retain(|id, _| !again.contains(id));
            page.ids.retain(|id| !again.contains(id));
        }
        later.extend(page.ids.iter().copied());
    }
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
    full_round: bool,
}
