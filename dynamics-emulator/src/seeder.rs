//! [`Seeder`]: a cheap handle for changing the emulator's directory and flows at run time.

use std::fmt;
use std::sync::Arc;

use uuid::Uuid;

use crate::config::DeviceCodeBehaviour;
use crate::error::EmulatorError;
use crate::grants::DeviceDecision;
use crate::seed::{AppSeed, SeedFile, TenantSeed, UserSeed};
use crate::state::{Shared, Store};

/// Changes the running emulator's state: tenants, apps, users, resources, consents, device-code
/// decisions and refresh-token revocation. Clone it freely; all clones act on the same emulator.
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
    pub fn add_tenant(&self, tenant: TenantSeed) -> Result<(), EmulatorError> {
        self.shared.lock().directory.add_tenant(tenant)
    }

    /// Registers an app in a tenant, replacing an app with the same client ID there. Fails for an
    /// unknown tenant or a certificate that is not an RSA X.509 PEM.
    pub fn add_app(&self, tenant_id: Uuid, app: AppSeed) -> Result<(), EmulatorError> {
        self.shared.lock().directory.add_app(tenant_id, app)
    }

    /// Adds a user to a tenant, replacing a user with the same object ID there. The first user
    /// added to a tenant is the one interactive flows sign in by default.
    pub fn add_user(&self, tenant_id: Uuid, user: UserSeed) -> Result<(), EmulatorError> {
        self.shared.lock().directory.add_user(tenant_id, user)
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

    /// Applies a seed file: for each tenant, the tenant, its resources, apps, users and consents,
    /// in that order. Stops at the first error (what was applied before it stays).
    pub fn apply(&self, seed: &SeedFile) -> Result<(), EmulatorError> {
        let mut store = self.shared.lock();
        let directory = &mut store.directory;
        for tenant in &seed.tenants {
            directory.add_tenant(TenantSeed {
                id: tenant.id,
                domain: tenant.domain.clone(),
            })?;
            for resource in &tenant.resources {
                directory.add_resource(tenant.id, resource)?;
            }
            for app in &tenant.apps {
                directory.add_app(tenant.id, app.clone())?;
            }
            for user in &tenant.users {
                directory.add_user(tenant.id, user.clone())?;
            }
            for consent in &tenant.consents {
                directory.grant_consent(tenant.id, consent.client_id, &consent.resource)?;
            }
        }
        Ok(())
    }
}
