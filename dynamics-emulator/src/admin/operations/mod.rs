//! Long-running Online Management API operations: starting them, advancing them one step per
//! poll, and reporting their `OperationStatus`.
//!
//! An operation starts `NotStarted`. Each poll advances it: it is `Running` until poll number
//! `polls_to_finish`, where it ends `Succeeded` (its effect happens then) or `Failed`, as its
//! [`OperationOutcome`] says; `NeverFinish` keeps it `Running`.

mod effects;

use time::OffsetDateTime;
use url::Url;
use uuid::Uuid;

use super::api_version::ApiVersion;
use super::model::backup::Backup;
use super::model::notification::Notification;
use super::model::operation_status::{ItemDescription, OperationState, OperationStatus};
use super::model::requests::ResetRequest;
use super::outcome::OperationOutcome;
use crate::environments::Instance;
use crate::seed::InstanceState;
use crate::state::Store;

/// What an operation does when it succeeds.
#[derive(Debug, Clone)]
pub(crate) enum Work {
    /// Create this instance.
    Provision(Box<Instance>),
    /// Record this backup (its users and version are taken when it completes).
    Backup(Backup),
    /// Restore `backup` into `target_id`.
    Restore { target_id: Uuid, backup: Backup },
    /// Reset an instance with these settings; `version` from the target release.
    Reset {
        instance_id: Uuid,
        request: ResetRequest,
        version: Option<String>,
    },
    /// Delete an instance.
    Delete { instance_id: Uuid },
    /// Add a user to an instance.
    ApplyUser { instance_id: Uuid, user_id: Uuid },
    /// Make a key the tenant's active protection key.
    SetTenantProtectionKey { key_name: String },
    /// Store a notification.
    PostUserNotification(Box<Notification>),
}

impl Work {
    /// The instance the operation is about.
    pub(crate) fn instance_id(&self) -> Option<Uuid> {
        match self {
            Self::Provision(instance) => Some(instance.id),
            Self::Backup(backup) => Some(backup.instance_id),
            Self::Restore { target_id, .. } => Some(*target_id),
            Self::Reset { instance_id, .. }
            | Self::Delete { instance_id }
            | Self::ApplyUser { instance_id, .. } => Some(*instance_id),
            Self::SetTenantProtectionKey { .. } | Self::PostUserNotification(_) => None,
        }
    }

    /// The names `query.operationProvider` may use for this kind of operation.
    fn provider_names(&self) -> &'static [&'static str] {
        match self {
            Self::Provision(_) => &["Provision", "ProvisionInstance"],
            Self::Backup(_) => &["Backup", "BackupInstance"],
            Self::Restore { .. } => &["Restore", "RestoreInstance"],
            Self::Reset { .. } => &["Reset", "ResetInstance"],
            Self::Delete { .. } => &["Delete", "DeleteInstance"],
            Self::ApplyUser { .. } => &["ApplyUser"],
            Self::SetTenantProtectionKey { .. } => &["SetTenantProtectionKey"],
            Self::PostUserNotification(_) => &["PostUserNotification", "Notification"],
        }
    }

    /// The instance state reported while the operation runs, for operations that change an
    /// instance's state.
    fn running_instance_state(&self) -> Option<InstanceState> {
        match self {
            Self::Provision(_)
            | Self::Reset { .. }
            | Self::Restore { .. }
            | Self::Delete { .. } => Some(InstanceState::Pending),
            _ => None,
        }
    }

    /// The instance state reported when the operation failed.
    fn failed_instance_state(&self) -> Option<InstanceState> {
        match self {
            Self::Provision(_) => Some(InstanceState::FailedProvisioning),
            Self::Reset { .. } | Self::Restore { .. } | Self::Delete { .. } => {
                Some(InstanceState::Ready)
            }
            _ => None,
        }
    }
}

/// One long-running operation.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub(crate) id: Uuid,
    pub(crate) tenant_id: Uuid,
    /// The version of the call that started it (its `Operation-Location` uses that version).
    pub(crate) api: ApiVersion,
    pub(crate) work: Work,
    outcome: OperationOutcome,
    polls: u32,
    state: OperationState,
    errors: Vec<ItemDescription>,
    instance_state: Option<InstanceState>,
}

impl Operation {
    /// The `OperationStatus` as of now; locations point at `base`.
    pub(crate) fn status(&self, base: &Url) -> OperationStatus {
        let api = self.api.segment();
        let mut status = OperationStatus::new(self.id, self.state);
        status.errors = self.errors.clone();
        status.operation_location = Some(format!("{base}api/{api}/Operation/{}", self.id));
        status.resource_location = match &self.work {
            Work::Backup(backup) => Some(format!(
                "{base}api/{api}/InstanceBackups/{}/{}",
                backup.instance_id, backup.id
            )),
            Work::Delete { .. } => None,
            work => work
                .instance_id()
                .map(|id| format!("{base}api/{api}/Instances/{id}")),
        };
        if let Some(state) = self.instance_state {
            status = status.with_instance_state(state);
        }
        if let Some(instance_id) = self.work.instance_id() {
            status = status.with_instance(instance_id);
        }
        status
    }
}

/// Starts an operation and returns its first status (`NotStarted`).
pub(crate) fn start(
    store: &mut Store,
    base: &Url,
    tenant_id: Uuid,
    api: ApiVersion,
    work: Work,
) -> OperationStatus {
    let operation = Operation {
        id: Uuid::new_v4(),
        tenant_id,
        api,
        outcome: store.admin.next_outcome(),
        polls: 0,
        state: OperationState::NotStarted,
        errors: Vec::new(),
        instance_state: work.running_instance_state(),
        work,
    };
    let status = operation.status(base);
    store.admin.operations.push(operation);
    status
}

/// Polls the tenant's operation `id`: advances it one step and returns its status, or `None`
/// if the tenant has no such operation.
pub(crate) fn poll(
    store: &mut Store,
    base: &Url,
    tenant_id: Uuid,
    id: Uuid,
    now: OffsetDateTime,
) -> Option<OperationStatus> {
    let polls_to_finish = store.admin.script.polls_to_finish.max(1);
    let index = store
        .admin
        .operations
        .iter()
        .position(|op| op.id == id && op.tenant_id == tenant_id)?;
    let (work, finished_successfully) = {
        let operation = store.admin.operations.get_mut(index)?;
        if operation.state.is_terminal() {
            return Some(operation.status(base));
        }
        operation.polls = operation.polls.saturating_add(1);
        let due = operation.polls >= polls_to_finish;
        match (&operation.outcome, due) {
            (OperationOutcome::NeverFinish, _) | (_, false) => {
                operation.state = OperationState::Running;
                (None, false)
            }
            (
                OperationOutcome::Fail {
                    subject,
                    code,
                    description,
                },
                true,
            ) => {
                operation.errors = vec![ItemDescription::new(
                    subject.clone(),
                    code.clone(),
                    description.clone(),
                )];
                operation.state = OperationState::Failed;
                operation.instance_state = operation.work.failed_instance_state();
                (None, false)
            }
            (OperationOutcome::Succeed, true) => (Some(operation.work.clone()), true),
        }
    };
    if let (Some(work), true) = (work, finished_successfully) {
        let result = effects::complete(store, tenant_id, &work, now);
        let operation = store.admin.operations.get_mut(index)?;
        match result {
            Ok(instance_state) => {
                operation.state = OperationState::Succeeded;
                operation.instance_state = instance_state;
            }
            Err(errors) => {
                operation.state = OperationState::Failed;
                operation.errors = errors;
                operation.instance_state = operation.work.failed_instance_state();
            }
        }
    }
    store.admin.operations.get(index).map(|op| op.status(base))
}

/// The most recent operation of the tenant matching the optional provider name (any case) and
/// instance.
pub(crate) fn latest_matching(
    store: &Store,
    tenant_id: Uuid,
    provider: Option<&str>,
    instance_id: Option<Uuid>,
) -> Option<Uuid> {
    store
        .admin
        .operations
        .iter()
        .rev()
        .filter(|op| op.tenant_id == tenant_id)
        .filter(|op| {
            provider.is_none_or(|name| {
                op.work
                    .provider_names()
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(name.trim()))
            })
        })
        .find(|op| instance_id.is_none_or(|id| op.work.instance_id() == Some(id)))
        .map(|op| op.id)
}

/// Instances whose provisioning has not ended yet (their domain names and capacity are taken).
pub(crate) fn pending_provisions(store: &Store) -> impl Iterator<Item = &Instance> {
    store
        .admin
        .operations
        .iter()
        .filter(|op| !op.state.is_terminal())
        .filter_map(|op| match &op.work {
            Work::Provision(instance) => Some(instance.as_ref()),
            _ => None,
        })
}
