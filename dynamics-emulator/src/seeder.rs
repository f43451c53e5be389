//! [`Seeder`]: a cheap handle for changing the emulator's directory and flows at run time.

mod entra_users;

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::admin::{OperationOutcome, seeding};
use crate::config::DeviceCodeBehaviour;
use crate::dataverse::{
    self, DataverseConfig, DataverseLimits, FaultInjection, LatencyModel, SecurityEnforcement,
    TableSeed,
};
use crate::environments::Instance;
use crate::error::EmulatorError;
use crate::grants::DeviceDecision;
use crate::seed::{AdminRole, AppSeed, InstanceSeed, SeedFile, TenantSeed, UserSeed};
use crate::state::{Shared, Store};

/// Changes the running emulator's state: tenants, apps, users, resources, consents, device-code
/// decisions, refresh-token revocation, environments, admin roles and licences, admin-API
/// registrations, and the scripts of admin operations and throttling. Clone it freely; all
/// clones act on the same emulator.
///
/// Every method takes effect immediately, for the next HTTP request.
#[derive(Clone)]
pub struct Seeder {
    shared: Arc<Shared>,
}

impl fmt::Debug for Seeder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Seeder")
            .field("base_url", &self.shared.base_url.as_str())
            .finish()
    }
}

impl Seeder {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Adds a tenant. Adding an existing tenant ID again with the same domain does nothing; a
    /// different domain, or a domain used by another tenant, is an error.
    /// The emulator's Microsoft Graph resource (`{base}graph`) is registered in it.
    pub fn add_tenant(&self, tenant: TenantSeed) -> Result<(), EmulatorError> {
        let id = tenant.id;
        let mut store = self.shared.lock();
        store.directory.add_tenant(tenant)?;
        store.directory.add_resource(id, &self.graph_resource())
    }

    /// `{base}graph`.
    fn graph_resource(&self) -> String {
        self.shared.url(crate::seed::GRAPH_RESOURCE_PATH)
    }

    /// Registers an app in a tenant, replacing an app with the same client ID there. Fails for an
    /// unknown tenant or a certificate that is not an RSA X.509 PEM.
    pub fn add_app(&self, tenant_id: Uuid, app: AppSeed) -> Result<(), EmulatorError> {
        self.shared.lock().directory.add_app(tenant_id, app)
    }

    /// Adds a user to a tenant, replacing a user with the same object ID there. The first user
    /// added to a tenant is the one interactive flows sign in by default. Graph's
    /// `/users/delta` reports the addition (or the changed properties of a replaced user).
    pub fn add_user(&self, tenant_id: Uuid, user: UserSeed) -> Result<(), EmulatorError> {
        entra_users::add_user_recorded(&mut self.shared.lock(), tenant_id, user)
    }

    /// Registers a resource (token audience) in a tenant. Requests for resources that are not
    /// registered fail with AADSTS500011. Trailing slashes and case do not matter.
    pub fn add_resource(
        &self,
        tenant_id: Uuid,
        resource_uri: impl AsRef<str>,
    ) -> Result<(), EmulatorError> {
        self.shared
            .lock()
            .directory
            .add_resource(tenant_id, resource_uri.as_ref())
    }

    /// Grants delegated consent for an app on a registered resource. User flows without consent
    /// fail with AADSTS65001.
    pub fn grant_consent(
        &self,
        tenant_id: Uuid,
        client_id: Uuid,
        resource_uri: impl AsRef<str>,
    ) -> Result<(), EmulatorError> {
        self.shared
            .lock()
            .directory
            .grant_consent(tenant_id, client_id, resource_uri.as_ref())
    }

    /// Approves a pending device code as the user with this UPN (in the code's tenant). The
    /// next poll gets tokens, unless it is the scripted `slow_down` poll.
    pub fn approve_device_code(&self, user_code: &str, upn: &str) -> Result<(), EmulatorError> {
        let mut store = self.shared.lock();
        let Store {
            directory, grants, ..
        } = &mut *store;
        let grant = grants
            .find_user_code(user_code)
            .ok_or_else(|| EmulatorError::seed(format!("no pending device code {user_code}")))?;
        let user = directory
            .tenant(grant.tenant_id)
            .and_then(|tenant| tenant.user_by_upn(upn))
            .ok_or_else(|| {
                EmulatorError::seed(format!("no user {upn} in the device code's tenant"))
            })?;
        grant.decision = DeviceDecision::Approved(user.object_id);
        Ok(())
    }

    /// Declines a pending device code: the next poll gets `authorization_declined`.
    pub fn decline_device_code(&self, user_code: &str) -> Result<(), EmulatorError> {
        let mut store = self.shared.lock();
        let grant = store
            .grants
            .find_user_code(user_code)
            .ok_or_else(|| EmulatorError::seed(format!("no pending device code {user_code}")))?;
        grant.decision = DeviceDecision::Declined;
        Ok(())
    }

    /// Sets the polling script for device codes issued from now on.
    pub fn set_device_code_behaviour(&self, behaviour: DeviceCodeBehaviour) {
        self.shared.lock().device_behaviour = behaviour;
    }

    /// Revokes every refresh token of a user (as "revoke sessions" does); their next use fails
    /// with AADSTS70008. Returns how many tokens were revoked; fails if no tenant has the user.
    pub fn revoke_refresh_tokens(&self, user_object_id: Uuid) -> Result<usize, EmulatorError> {
        let mut store = self.shared.lock();
        if !store.directory.has_user(user_object_id) {
            return Err(EmulatorError::seed(format!(
                "no user with object ID {user_object_id}"
            )));
        }
        Ok(store.grants.revoke_refresh_tokens(user_object_id))
    }

    /// Adds an environment (Dataverse instance) to a tenant, with an automatic "System backup".
    /// Fails for an unknown tenant, a nil ID, an ID, domain or unique name already in use, an
    /// invalid domain name or URL, or a listed user who is not in the tenant.
    pub fn add_instance(
        &self,
        tenant_id: Uuid,
        instance: InstanceSeed,
    ) -> Result<(), EmulatorError> {
        let now = self.shared.clock.now();
        add_instance(&mut self.shared.lock(), tenant_id, instance, now)
    }

    /// Puts a user of the instance's tenant into the environment (as a completed ApplyUser or
    /// BAP `addUser` would, without the licence check). Adding a present user does nothing.
    pub fn add_environment_user(
        &self,
        instance_id: Uuid,
        user_object_id: Uuid,
    ) -> Result<(), EmulatorError> {
        let mut store = self.shared.lock();
        let Store {
            directory,
            environments,
            ..
        } = &mut *store;
        let instance = environments
            .get_mut(instance_id)
            .ok_or_else(|| EmulatorError::seed(format!("no instance {instance_id}")))?;
        if directory
            .tenant(instance.tenant_id)
            .and_then(|tenant| tenant.user(user_object_id))
            .is_none()
        {
            return Err(EmulatorError::seed(format!(
                "no user {user_object_id} in the tenant of instance {instance_id}"
            )));
        }
        instance.add_user(user_object_id);
        Ok(())
    }

    /// The object IDs of the users present in an environment, in the order they were added
    /// (empty for an unknown instance). The Dataverse service turns these into `systemuser` rows.
    pub fn environment_users(&self, instance_id: Uuid) -> Vec<Uuid> {
        self.shared
            .lock()
            .environments
            .get(instance_id)
            .map(|instance| instance.users.ids().to_vec())
            .unwrap_or_default()
    }

    /// Replaces a user's admin roles (in every tenant that has the user).
    pub fn set_user_admin_roles(
        &self,
        user_object_id: Uuid,
        roles: &[AdminRole],
    ) -> Result<(), EmulatorError> {
        self.shared
            .lock()
            .directory
            .update_user(user_object_id, |user| user.admin_roles = roles.to_vec())
    }

    /// Gives or takes away a user's licence. Unlicensed users cannot be added to environments.
    pub fn set_user_licensed(
        &self,
        user_object_id: Uuid,
        licensed: bool,
    ) -> Result<(), EmulatorError> {
        self.shared
            .lock()
            .directory
            .update_user(user_object_id, |user| user.licensed = licensed)
    }

    /// Registers an app as an enabled Online Management API tenant application identity, so its
    /// app-only tokens are accepted there. Returns the identity's `Id` (the existing one if the
    /// app was registered already).
    pub fn register_application_identity(
        &self,
        tenant_id: Uuid,
        client_id: Uuid,
    ) -> Result<Uuid, EmulatorError> {
        let now = self.shared.clock.now();
        let mut store = self.shared.lock();
        require_tenant(&store, tenant_id)?;
        Ok(seeding::register_identity(
            &mut store, tenant_id, client_id, now,
        ))
    }

    /// Registers an app as a Power Platform admin management application (BAP
    /// `adminApplications`), so its app-only tokens are accepted by the BAP admin API.
    pub fn register_admin_application(
        &self,
        tenant_id: Uuid,
        client_id: Uuid,
    ) -> Result<(), EmulatorError> {
        let now = self.shared.clock.now();
        let mut store = self.shared.lock();
        require_tenant(&store, tenant_id)?;
        seeding::register_admin_application(&mut store, tenant_id, client_id, now);
        Ok(())
    }

    /// Sets how every long-running admin operation started from now on ends (until changed).
    pub fn set_operation_outcome(&self, outcome: OperationOutcome) {
        self.shared.lock().admin.script.standing = outcome;
    }

    /// Sets how the next long-running admin operation ends; later ones follow
    /// [`set_operation_outcome`](Self::set_operation_outcome) again.
    pub fn set_next_operation_outcome(&self, outcome: OperationOutcome) {
        self.shared.lock().admin.script.next = Some(outcome);
    }

    /// Answers the next `count` admin-API requests (challenge excluded) with 429 and
    /// `Retry-After: 1`, before authentication. Replaces any count still pending.
    pub fn throttle_admin_requests(&self, count: u32) {
        self.shared.lock().admin.throttle_remaining = count;
    }

    /// Adds a custom Dataverse table (its entity set is queryable at once). Fails when the
    /// logical name or entity set is taken, a lookup names an unknown table, or a key names an
    /// unknown column.
    pub fn add_table(&self, table: TableSeed) -> Result<(), EmulatorError> {
        dataverse::add_table(&self.shared, &table)
    }

    /// Inserts rows into a Dataverse table, all or nothing, and returns their IDs. Rows are Web
    /// API JSON objects as a client would POST them (`"nav@odata.bind": "/contacts(…)"`
    /// included), plus what only seeding may set: read-only columns (`createdon`, `fullname`, …),
    /// the primary key, and lookups as `"_x_value": "…"` (with
    /// `"_x_value@Microsoft.Dynamics.CRM.lookuplogicalname"` for lookups to several tables).
    /// Rows are created by the `SYSTEM` user.
    pub fn insert_rows(
        &self,
        entity_set: &str,
        rows: Vec<serde_json::Value>,
    ) -> Result<Vec<Uuid>, EmulatorError> {
        dataverse::insert_rows(&self.shared, entity_set, &rows)
    }

    /// Every row of a Dataverse entity set as the Web API renders it (all columns, lookups as
    /// `_x_value`, `@odata.etag`), in primary-key order; empty for an unknown set. Environment
    /// users appear in `systemusers` (as they do for the first Web API request).
    pub fn rows(&self, entity_set: &str) -> Vec<serde_json::Value> {
        dataverse::rows(&self.shared, entity_set)
    }

    /// How many rows a Dataverse entity set holds (0 for an unknown set).
    pub fn row_count(&self, entity_set: &str) -> usize {
        dataverse::row_count(&self.shared, entity_set)
    }

    /// Appends `count` generated leads (deterministic names, e-mail addresses `lead{n}@example.com`,
    /// source "Web"), fast enough for a million rows in a benchmark; returns the number of leads.
    pub fn insert_generated_leads(&self, count: usize) -> usize {
        dataverse::insert_generated_leads(&self.shared, count)
    }

    /// Puts the Dataverse organisation back to its starting rows: custom tables, inserted rows
    /// and change-tracking history are gone; environment users get their `systemuser` rows again
    /// on the next request. Settings (limits, latency, faults) stay.
    pub fn reset_dataverse(&self) -> Result<(), EmulatorError> {
        self.shared.dataverse.reset(self.shared.clock.now())
    }

    /// How many `PublishXml` and `PublishAllXml` requests Dataverse accepted.
    pub fn metadata_publishes(&self) -> u64 {
        dataverse::metadata_publishes(&self.shared)
    }

    /// How many solutions the Dataverse `ImportSolution` action received.
    pub fn solution_imports(&self) -> u64 {
        dataverse::solution_imports(&self.shared)
    }

    /// The Dataverse service's current settings.
    pub fn dataverse_config(&self) -> DataverseConfig {
        self.shared.dataverse.settings()
    }

    /// Sets the service protection limits (take effect for the next request; usage already
    /// counted stays).
    pub fn set_dataverse_limits(&self, limits: DataverseLimits) {
        self.shared.dataverse.update_settings(|s| s.limits = limits);
    }

    /// Sets the latency model.
    pub fn set_dataverse_latency(&self, latency: LatencyModel) {
        self.shared
            .dataverse
            .update_settings(|s| s.latency = latency);
    }

    /// Sets fault injection; the fault sequence restarts from the seed.
    pub fn set_fault_injection(&self, faults: FaultInjection) {
        self.shared.dataverse.update_settings(|s| s.faults = faults);
        self.shared.dataverse.faults.reseed(faults.seed);
    }

    /// Sets the `x-ms-dop-hint` value.
    pub fn set_dop_hint(&self, hint: u32) {
        self.shared.dataverse.update_settings(|s| s.dop_hint = hint);
    }

    /// Sets which callers the Dataverse security model applies to (takes effect for the next
    /// request).
    pub fn set_security_enforcement(&self, security: SecurityEnforcement) {
        self.shared
            .dataverse
            .update_settings(|s| s.security = security);
    }

    /// Applies a seed file: for each tenant, the tenant, its resources, apps, users, generated
    /// users, groups, consents, instances, application identities and admin applications, in
    /// that order. Stops at the
    /// first error (what was applied before it stays).
    pub fn apply(&self, seed: &SeedFile) -> Result<(), EmulatorError> {
        let now = self.shared.clock.now();
        let mut store = self.shared.lock();
        for tenant in &seed.tenants {
            let directory = &mut store.directory;
            directory.add_tenant(TenantSeed {
                id: tenant.id,
                domain: tenant.domain.clone(),
            })?;
            for resource in &tenant.resources {
                directory.add_resource(tenant.id, resource)?;
            }
            // Every seeded tenant can get Microsoft Graph tokens (the port is not known when a
            // seed file is written).
            directory.add_resource(tenant.id, &self.graph_resource())?;
            for app in &tenant.apps {
                directory.add_app(tenant.id, app.clone())?;
            }
            for user in &tenant.users {
                entra_users::add_user_recorded(&mut store, tenant.id, user.clone())?;
            }
            if let Some(spec) = &tenant.generated_users {
                entra_users::add_generated(&mut store, tenant.id, spec)?;
            }
            for group in &tenant.groups {
                entra_users::add_group(&mut store, tenant.id, group.clone(), now)?;
            }
            for consent in &tenant.consents {
                store
                    .directory
                    .grant_consent(tenant.id, consent.client_id, &consent.resource)?;
            }
            for instance in &tenant.instances {
                add_instance(&mut store, tenant.id, instance.clone(), now)?;
            }
            for client_id in &tenant.application_identities {
                seeding::register_identity(&mut store, tenant.id, *client_id, now);
            }
            for client_id in &tenant.admin_applications {
                seeding::register_admin_application(&mut store, tenant.id, *client_id, now);
            }
        }
        Ok(())
    }
}

/// Fails unless the tenant exists.
fn require_tenant(store: &Store, tenant_id: Uuid) -> Result<(), EmulatorError> {
    store
        .directory
        .tenant(tenant_id)
        .map(|_| ())
        .ok_or_else(|| EmulatorError::seed(format!("unknown tenant {tenant_id}")))
}

/// Checks and adds an instance, then gives it its system backup.
fn add_instance(
    store: &mut Store,
    tenant_id: Uuid,
    seed: InstanceSeed,
    now: OffsetDateTime,
) -> Result<(), EmulatorError> {
    let tenant = store
        .directory
        .tenant(tenant_id)
        .ok_or_else(|| EmulatorError::seed(format!("unknown tenant {tenant_id}")))?;
    if let Some(missing) = seed.users.iter().find(|id| tenant.user(**id).is_none()) {
        return Err(EmulatorError::seed(format!(
            "instance {} lists user {missing}, who is not in tenant {tenant_id}",
            seed.id
        )));
    }
    let instance = Instance::from_seed(tenant_id, seed, now);
    store.environments.add(instance.clone())?;
    seeding::add_system_backup(store, &instance, now);
    Ok(())
}
