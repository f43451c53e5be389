//! Applying a plan: each step is idempotent (an assigned role, a team membership, a move
//! already done are success), so a run interrupted anywhere can simply be run again.
//! Missing users are force-synced (ApplyUser or BAP `addUser`), then waited for with a
//! bounded, visible wait, then placed.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use dataverse_webapi::DataverseClient;
use dataverse_webapi::provisioning::Principal;
use dynamics_auth::Clock;
use futures::{StreamExt, stream};
use online_mgmt_api::{AdminApi, EnvironmentName, WaitOptions};
use serde_json::json;
use uuid::Uuid;

use crate::error::{Result, SyncError};
use crate::journal::SyncJournal;
use crate::org::{Catalog, OrgUser, read_users};
use crate::plan::{Action, ActionKind, PlanInputs, placement_actions};
use crate::rules::{Decision, Membership, RuleSet};

/// What a force sync came to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForceSyncOutcome {
    /// The service accepted it; the systemuser appears shortly.
    Requested,
    /// The user has no licence for the environment (reported, not retried).
    NotLicensed(String),
}

/// Adds an Entra user to the environment now.
#[async_trait]
pub trait ForceSync: Send + Sync + fmt::Debug {
    /// Force-syncs the user with this object id.
    async fn force_sync(&self, user: Uuid) -> Result<ForceSyncOutcome>;
}

/// [`ForceSync`] through the admin API: Online Management API `ApplyUser` or Power Platform
/// `addUser`, whichever backend the [`AdminApi`] has.
#[derive(Debug, Clone)]
pub struct AdminForceSync {
    api: AdminApi,
    environment: EnvironmentName,
    wait: WaitOptions,
}

impl AdminForceSync {
    /// Force sync into `environment` (an instance id; on BAP also `Default-<tenant>`), each
    /// call waiting within `wait` (the `addUser` licence retries and the ApplyUser operation).
    pub fn new(api: AdminApi, environment: EnvironmentName, wait: WaitOptions) -> Self {
        AdminForceSync {
            api,
            environment,
            wait,
        }
    }
}

#[async_trait]
impl ForceSync for AdminForceSync {
    async fn force_sync(&self, user: Uuid) -> Result<ForceSyncOutcome> {
        match self
            .api
            .force_sync_user(self.environment.clone(), user)
            .wait(self.wait.clone())
            .await
        {
            Ok(()) => Ok(ForceSyncOutcome::Requested),
            Err(e) if e.is_user_not_licensed() || mentions_licence(&e.to_string()) => {
                Ok(ForceSyncOutcome::NotLicensed(e.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// A failed ApplyUser operation names the licence problem in its message (`UserNotLicensed`)
/// rather than as a typed code (UNCONFIRMED wording on the real service; matched loosely).
fn mentions_licence(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("usernotlicensed") || m.contains("not licensed") || m.contains("no license")
}

/// Progress for long runs (the CLI prints it on stderr).
pub trait Progress: Send + Sync + fmt::Debug {
    /// One line of progress.
    fn note(&self, line: &str);
}

/// Progress on standard error.
#[derive(Debug, Default, Clone, Copy)]
pub struct StderrProgress;

impl Progress for StderrProgress {
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}

/// No progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct SilentProgress;

impl Progress for SilentProgress {
    fn note(&self, _line: &str) {}
}

/// How long to wait for a force-synced user to appear as a systemuser, and how often to look.
/// A user that does not appear in time is recorded as failed (and retried by the next run);
/// the page goes on, so the wait only bounds how long one user holds a worker.
#[derive(Debug, Clone, Copy)]
pub struct UserWait {
    /// The longest wait per user (default 2 minutes: ApplyUser has already waited for its
    /// own operation, so the row normally shows within seconds).
    pub timeout: Duration,
    /// The pause between looks (default 5 s).
    pub interval: Duration,
}

/// The most a caller's wait may be per user (10 minutes): longer hides a user that will
/// not appear behind a stalled page. Larger settings are capped to it.
pub const MAX_USER_WAIT: Duration = Duration::from_secs(600);

impl Default for UserWait {
    fn default() -> Self {
        UserWait {
            timeout: Duration::from_secs(120),
            interval: Duration::from_secs(5),
        }
    }
}

/// How often giving back the roles after a move is tried before it is left to the next run.
const RESTORE_ATTEMPTS: u32 = 3;

/// The pause between those tries.
const RESTORE_PAUSE: Duration = Duration::from_secs(2);

/// The outcome of one applied action.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// Done (or found already done).
    Done(Action),
    /// The user could not be force-synced for want of a licence.
    Unlicensed(Action),
    /// The action failed for this user alone (it did not appear, the service refused it);
    /// the others went on and the user is on the retry list for the next run.
    Failed {
        /// The action that failed.
        action: Action,
        /// Why, as the service or the sync said it (ids, no personal data).
        reason: String,
    },
}

/// Applies plan actions against one org.
#[derive(Debug, Clone)]
pub(crate) struct Applier {
    pub(crate) client: DataverseClient,
    pub(crate) force_sync: Arc<dyn ForceSync>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) wait: UserWait,
    pub(crate) progress: Arc<dyn Progress>,
    /// Where roles are noted before a move and failed users listed; `None` keeps them in
    /// memory only (a crash between a move and the roles' return then loses them).
    pub(crate) journal: Option<Arc<SyncJournal>>,
    /// The sync's checkpoint key, which scopes its journal entries.
    pub(crate) key: String,
}

/// What placing a freshly synced user needs.
pub(crate) struct Context<'a> {
    pub(crate) rules: &'a RuleSet,
    pub(crate) membership: &'a Membership,
    pub(crate) catalog: &'a Catalog,
    /// Graph users of the page by object id, to place force-synced users.
    pub(crate) users: &'a HashMap<Uuid, crate::graph::GraphUser>,
}

impl Applier {
    /// Applies the actions (sorted by user, then kind), answering what was done. Users are
    /// independent, so `concurrency` of them are worked on at once; one user's steps run in
    /// order, and a user once started is always let finish (dropping its future could stop
    /// it between a move and the return of its roles). A failure of one user alone is
    /// recorded as [`Applied::Failed`] and the page goes on; any other failure ends the page
    /// once every started user is done (the checkpoint stays before it).
    pub(crate) async fn apply(
        &self,
        ctx: &Context<'_>,
        actions: &[Action],
        concurrency: usize,
    ) -> Result<Vec<Applied>> {
        let mut per_user: Vec<&[Action]> = Vec::new();
        let mut rest = actions;
        while let Some(first) = rest.first() {
            let n = rest.iter().take_while(|a| a.user == first.user).count();
            let (head, tail) = rest.split_at(n);
            per_user.push(head);
            rest = tail;
        }
        // `collect`, not `try_collect`: an error must not drop the users still in flight.
        let outcomes: Vec<(Vec<Applied>, Option<SyncError>)> = stream::iter(per_user)
            .map(|steps| self.apply_user(ctx, steps))
            .buffered(concurrency.max(1))
            .collect()
            .await;
        let mut applied = Vec::new();
        let mut stop = None;
        for (done, error) in outcomes {
            applied.extend(done);
            if let Some(e) = error
                && stop.is_none()
            {
                stop = Some(e);
            }
        }
        match stop {
            Some(e) => Err(e),
            None => Ok(applied),
        }
    }

    /// One user's steps in order. A per-user failure ends this user's steps and is
    /// returned as [`Applied::Failed`] (and put on the retry list); any other failure is
    /// handed back for the page to stop on.
    async fn apply_user(
        &self,
        ctx: &Context<'_>,
        steps: &[Action],
    ) -> (Vec<Applied>, Option<SyncError>) {
        let mut done = Vec::with_capacity(steps.len());
        for action in steps {
            let step = match action.kind {
                ActionKind::ForceSync => self.force_sync(ctx, action, &mut done).await,
                ActionKind::ReportUnlicensed => {
                    done.push(Applied::Unlicensed(action.clone()));
                    Ok(())
                }
                _ => self
                    .one(action)
                    .await
                    .map(|()| done.push(Applied::Done(action.clone()))),
            };
            let Err(error) = step else { continue };
            if !error.is_per_user() {
                return (done, Some(error));
            }
            let reason = error.to_string();
            self.progress.note(&format!(
                "  {}: {} failed, recorded for the next run ({reason})",
                action.label,
                action.kind.as_str()
            ));
            if let Some(journal) = &self.journal
                && let Err(e) = journal.add_retry(&self.key, action.user, &reason).await
            {
                return (done, Some(e));
            }
            done.push(Applied::Failed {
                action: action.clone(),
                reason,
            });
            return (done, None);
        }
        if let (Some(journal), Some(first)) = (&self.journal, steps.first())
            && let Err(e) = journal.clear_retry(&self.key, first.user).await
        {
            return (done, Some(e));
        }
        (done, None)
    }

    /// Gives back the roles noted before moves that a stopped run did not finish (run
    /// before planning, so the plan sees the user as it was meant to be).
    pub(crate) async fn restore_held_roles(&self) -> Result<usize> {
        let Some(journal) = &self.journal else {
            return Ok(0);
        };
        let held = journal.held_roles(&self.key).await?;
        for (user, roles) in &held {
            self.progress.note(&format!(
                "giving back {} role(s) of systemuser {user} noted before an unfinished \
                 business unit move",
                roles.len()
            ));
            self.give_back(*user, roles).await?;
        }
        Ok(held.len())
    }

    /// Assigns `roles` (root ids: the service picks the copy of the user's unit) to `user`,
    /// trying a few times, then forgets the note. Assigning a held role is a success.
    async fn give_back(&self, user: Uuid, roles: &[Uuid]) -> Result<()> {
        let principal = Principal::User(user);
        for role in roles {
            let mut attempt = 1;
            loop {
                match self.client.roles().assign(*role, principal).await {
                    Ok(_) => break,
                    Err(e) if attempt < RESTORE_ATTEMPTS => {
                        self.progress.note(&format!(
                            "  giving role {role} back to systemuser {user} failed ({e}); \
                             trying again"
                        ));
                        attempt += 1;
                        self.clock.sleep(RESTORE_PAUSE).await;
                    }
                    // The note stays: the next run tries again before it plans.
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if let Some(journal) = &self.journal {
            journal.release_roles(&self.key, user).await?;
        }
        Ok(())
    }

    fn systemuser(action: &Action) -> Result<Uuid> {
        action.systemuser_id.ok_or_else(|| {
            SyncError::invalid(
                "plan action",
                format!(
                    "{} for user {} has no systemuserid",
                    action.kind.as_str(),
                    action.user
                ),
            )
        })
    }

    fn target(action: &Action) -> Result<Uuid> {
        action.target_id.ok_or_else(|| {
            SyncError::invalid(
                "plan action",
                format!(
                    "{} for user {} has no target id",
                    action.kind.as_str(),
                    action.user
                ),
            )
        })
    }

    async fn one(&self, action: &Action) -> Result<()> {
        let user = Self::systemuser(action)?;
        let principal = Principal::User(user);
        match action.kind {
            ActionKind::MoveUnit => {
                // In the classic business unit model a move drops the user's roles: note
                // them durably first, then give them back (the new unit's copies), so a
                // move never strips roles the rules do not manage, even if the run stops
                // in between (the next run gives them back before it plans).
                let unit = Self::target(action)?;
                let held: Vec<Uuid> = self
                    .client
                    .roles()
                    .of_user(user)
                    .await?
                    .iter()
                    .map(|r| r.root_role_id())
                    .collect();
                if let Some(journal) = &self.journal {
                    journal.hold_roles(&self.key, user, &held).await?;
                }
                self.client
                    .users()
                    .move_to_business_unit(user, unit)
                    .await?;
                self.give_back(user, &held).await?;
            }
            ActionKind::AddRole => {
                self.client
                    .roles()
                    .assign(Self::target(action)?, principal)
                    .await?;
            }
            ActionKind::RemoveRole => {
                self.client
                    .roles()
                    .remove(Self::target(action)?, principal)
                    .await?;
            }
            ActionKind::AddTeam => {
                self.client
                    .teams()
                    .add_members(Self::target(action)?, [user])
                    .await?;
            }
            ActionKind::RemoveTeam => {
                self.client
                    .teams()
                    .remove_members(Self::target(action)?, [user])
                    .await?;
            }
            ActionKind::DisableLeaver => {
                self.client
                    .table("systemusers")
                    .update(user, &json!({ "isdisabled": true }))
                    .await?;
            }
            ActionKind::ForceSync | ActionKind::ReportUnlicensed => {}
        }
        Ok(())
    }

    async fn force_sync(
        &self,
        ctx: &Context<'_>,
        action: &Action,
        done: &mut Vec<Applied>,
    ) -> Result<()> {
        match self.force_sync.force_sync(action.user).await? {
            ForceSyncOutcome::NotLicensed(reason) => {
                self.progress.note(&format!(
                    "  {}: not licensed, reported ({reason})",
                    action.label
                ));
                done.push(Applied::Unlicensed(Action {
                    kind: ActionKind::ReportUnlicensed,
                    ..action.clone()
                }));
                return Ok(());
            }
            ForceSyncOutcome::Requested => {}
        }
        let org_user = self.wait_for(action).await?;
        done.push(Applied::Done(Action {
            systemuser_id: Some(org_user.id),
            ..action.clone()
        }));
        // Place the new user as the plan would have, had it existed.
        let Some(user) = ctx.users.get(&action.user) else {
            return Ok(());
        };
        let Decision::Place { rule, target } = ctx.rules.decide(user, ctx.membership) else {
            return Ok(());
        };
        let org = HashMap::new();
        let inputs = PlanInputs {
            rules: ctx.rules,
            membership: ctx.membership,
            catalog: ctx.catalog,
            org: &org,
            options: Default::default(),
        };
        let base = Action {
            rule: Some(rule.to_owned()),
            ..action.clone()
        };
        let mut steps = Vec::new();
        placement_actions(inputs, &base, &org_user, target, &mut steps)?;
        for step in steps {
            self.one(&step).await?;
            done.push(Applied::Done(step));
        }
        Ok(())
    }

    /// Polls until the user has a systemuser row, within `wait.timeout`.
    async fn wait_for(&self, action: &Action) -> Result<OrgUser> {
        let start = self.clock.now();
        loop {
            let found = read_users(&self.client, &[action.user]).await?;
            if let Some(user) = found.into_values().next() {
                return Ok(user);
            }
            let waited = Duration::try_from(self.clock.now() - start).unwrap_or_default();
            if waited + self.wait.interval > self.wait.timeout {
                return Err(SyncError::UserDidNotAppear {
                    user: action.user,
                    waited,
                });
            }
            self.progress.note(&format!(
                "  waiting for {} to appear in Dataverse ({}s of at most {}s)...",
                action.label,
                waited.as_secs(),
                self.wait.timeout.as_secs()
            ));
            self.clock.sleep(self.wait.interval).await;
        }
    }
}
