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
use futures::{StreamExt, TryStreamExt, stream};
use online_mgmt_api::{AdminApi, EnvironmentName, WaitOptions};
use serde_json::json;
use uuid::Uuid;

use crate::error::{Result, SyncError};
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
#[derive(Debug, Clone, Copy)]
pub struct UserWait {
    /// The longest wait per user (default 5 minutes).
    pub timeout: Duration,
    /// The pause between looks (default 10 s).
    pub interval: Duration,
}

impl Default for UserWait {
    fn default() -> Self {
        UserWait {
            timeout: Duration::from_secs(300),
            interval: Duration::from_secs(10),
        }
    }
}

/// The outcome of one applied action.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applied {
    /// Done (or found already done).
    Done(Action),
    /// The user could not be force-synced for want of a licence.
    Unlicensed(Action),
}

/// Applies plan actions against one org.
#[derive(Debug, Clone)]
pub(crate) struct Applier {
    pub(crate) client: DataverseClient,
    pub(crate) force_sync: Arc<dyn ForceSync>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) wait: UserWait,
    pub(crate) progress: Arc<dyn Progress>,
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
    /// order. The first failure ends the page (the checkpoint stays before it).
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
        let done: Vec<Vec<Applied>> = stream::iter(per_user)
            .map(|steps| self.apply_user(ctx, steps))
            .buffered(concurrency.max(1))
            .try_collect()
            .await?;
        Ok(done.into_iter().flatten().collect())
    }

    async fn apply_user(&self, ctx: &Context<'_>, steps: &[Action]) -> Result<Vec<Applied>> {
        let mut done = Vec::with_capacity(steps.len());
        for action in steps {
            match action.kind {
                ActionKind::ForceSync => self.force_sync(ctx, action, &mut done).await?,
                ActionKind::ReportUnlicensed => done.push(Applied::Unlicensed(action.clone())),
                _ => {
                    self.one(action).await?;
                    done.push(Applied::Done(action.clone()));
                }
            }
        }
        Ok(done)
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
                // them first and give them back (the new unit's copies), so a move never
                // strips roles the rules do not manage.
                let held = self.client.roles().of_user(user).await?;
                self.client
                    .users()
                    .move_to_business_unit(user, Self::target(action)?)
                    .await?;
                for role in held {
                    self.client
                        .roles()
                        .assign(role.root_role_id(), principal)
                        .await?;
                }
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
