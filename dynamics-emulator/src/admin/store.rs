//! The admin APIs' part of the emulator state: tenant application identities, admin management
//! applications, backups, protection keys, notifications, operations and the test knobs.

use time::OffsetDateTime;
use uuid::Uuid;

use super::model::admin_application::AdminApplication;
use super::model::backup::Backup;
use super::model::identity::AppIdentity;
use super::model::key::TenantKey;
use super::model::notification::Notification;
use super::operations::Operation;
use super::outcome::OperationOutcome;

/// How long-running operations progress and end.
#[derive(Debug, Clone)]
pub(crate) struct OperationScript {
    /// The outcome of operations started from now on.
    pub(crate) standing: OperationOutcome,
    /// A one-off outcome for the next operation, taking precedence over `standing`.
    pub(crate) next: Option<OperationOutcome>,
    /// The poll on which an operation ends (at least 1).
    pub(crate) polls_to_finish: u32,
    /// The `Retry-After` of 202 answers, in seconds.
    pub(crate) retry_after_secs: u64,
}

/// Admin-API state, inside the emulator's single lock.
#[derive(Debug)]
pub(crate) struct AdminStore {
    pub(crate) identities: Vec<AppIdentity>,
    pub(crate) admin_applications: Vec<AdminApplication>,
    pub(crate) backups: Vec<Backup>,
    pub(crate) keys: Vec<TenantKey>,
    pub(crate) notifications: Vec<Notification>,
    pub(crate) operations: Vec<Operation>,
    pub(crate) script: OperationScript,
    /// How many of the next admin requests are answered 429.
    pub(crate) throttle_remaining: u32,
}

impl AdminStore {
    /// An empty store whose operations end on poll `polls_to_finish` and advise
    /// `retry_after_secs` between polls.
    pub(crate) fn new(polls_to_finish: u32, retry_after_secs: u64) -> Self {
        Self {
            identities: Vec::new(),
            admin_applications: Vec::new(),
            backups: Vec::new(),
            keys: Vec::new(),
            notifications: Vec::new(),
            operations: Vec::new(),
            script: OperationScript {
                standing: OperationOutcome::Succeed,
                next: None,
                polls_to_finish: polls_to_finish.max(1),
                retry_after_secs,
            },
            throttle_remaining: 0,
        }
    }

    /// The tenant's identity for an application, if registered.
    pub(crate) fn identity_for_app(&self, tenant_id: Uuid, app_id: Uuid) -> Option<&AppIdentity> {
        self.identities
            .iter()
            .find(|i| i.tenant_id == tenant_id && i.aad_application_id == app_id)
    }

    /// Registers an application identity; `None` if the app is already registered in the tenant.
    pub(crate) fn register_identity(
        &mut self,
        tenant_id: Uuid,
        app_id: Uuid,
        enabled: bool,
        now: OffsetDateTime,
    ) -> Option<&AppIdentity> {
        if self.identity_for_app(tenant_id, app_id).is_some() {
            return None;
        }
        self.identities.push(AppIdentity {
            id: Uuid::new_v4(),
            tenant_id,
            aad_application_id: app_id,
            enabled,
            created_on: now,
            modified_on: now,
        });
        self.identities.last()
    }

    /// The tenant's admin management application with this client ID.
    pub(crate) fn admin_application(
        &self,
        tenant_id: Uuid,
        app_id: Uuid,
    ) -> Option<&AdminApplication> {
        self.admin_applications
            .iter()
            .find(|a| a.tenant_id == tenant_id && a.application_id == app_id)
    }

    /// Registers an admin management application (idempotent).
    pub(crate) fn register_admin_application(
        &mut self,
        tenant_id: Uuid,
        app_id: Uuid,
        now: OffsetDateTime,
    ) -> &AdminApplication {
        let position = match self
            .admin_applications
            .iter()
            .position(|a| a.tenant_id == tenant_id && a.application_id == app_id)
        {
            Some(position) => position,
            None => {
                self.admin_applications.push(AdminApplication {
                    tenant_id,
                    application_id: app_id,
                    registered_on: now,
                });
                self.admin_applications.len() - 1
            }
        };
        &self.admin_applications[position]
    }

    /// Counts down the throttle: `true` if this request is to be answered 429.
    pub(crate) fn take_throttle(&mut self) -> bool {
        if self.throttle_remaining == 0 {
            false
        } else {
            self.throttle_remaining -= 1;
            true
        }
    }

    /// The outcome of an operation starting now (consumes the one-off outcome).
    pub(crate) fn next_outcome(&mut self) -> OperationOutcome {
        self.script
            .next
            .take()
            .unwrap_or_else(|| self.script.standing.clone())
    }
}

impl Default for AdminStore {
    fn default() -> Self {
        Self::new(2, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_counts_down() {
        let mut store = AdminStore {
            throttle_remaining: 2,
            ..AdminStore::default()
        };
        assert!(store.take_throttle());
        assert!(store.take_throttle());
        assert!(!store.take_throttle());
    }

    #[test]
    fn next_outcome_is_one_off() {
        let mut store = AdminStore::default();
        store.script.next = Some(OperationOutcome::NeverFinish);
        assert_eq!(store.next_outcome(), OperationOutcome::NeverFinish);
        assert_eq!(store.next_outcome(), OperationOutcome::Succeed);
    }

    #[test]
    fn identities_are_unique_per_tenant_and_app() {
        let mut store = AdminStore::default();
        let (tenant, app) = (Uuid::new_v4(), Uuid::new_v4());
        let now = OffsetDateTime::UNIX_EPOCH;
        assert!(store.register_identity(tenant, app, true, now).is_some());
        assert!(store.register_identity(tenant, app, true, now).is_none());
        assert!(
            store
                .register_identity(Uuid::new_v4(), app, true, now)
                .is_some()
        );
    }
}
