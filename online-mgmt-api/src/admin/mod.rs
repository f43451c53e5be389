//! One high-level admin API over both backends: the Online Management API (deprecated,
//! regional) and the Power Platform admin API (its successor). The caller picks the backend.

use uuid::Uuid;

use crate::{
    AdminApplication, AdminError, EnvironmentName, OnlineManagementClient,
    PowerPlatformAdminClient, TenantApplicationIdentity,
};

mod force_sync;
mod register;

pub use force_sync::ForceSyncUser;
pub use register::RegisterApplication;

/// Which service the [`AdminApi`] talks to.
#[derive(Clone, Debug)]
pub enum AdminBackend {
    /// The Online Management API.
    OnlineManagement(OnlineManagementClient),
    /// The Power Platform admin API (BAP).
    PowerPlatform(PowerPlatformAdminClient),
}

/// A registered management application, whichever backend it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct RegisteredApplication {
    /// The Entra application (client) id.
    pub application_id: Uuid,
    /// The tenant, as the service reports it (the Power Platform admin API does not).
    pub tenant_id: Option<Uuid>,
    /// Whether it is enabled (Online Management API only).
    pub enabled: Option<bool>,
    /// The registration's own id (Online Management API only).
    pub registration_id: Option<Uuid>,
    /// When it was registered (Online Management API only).
    pub created_on: Option<String>,
}

impl From<TenantApplicationIdentity> for RegisteredApplication {
    fn from(identity: TenantApplicationIdentity) -> Self {
        RegisteredApplication {
            application_id: identity.aad_application_id,
            tenant_id: identity.tenant_id,
            enabled: identity.enabled,
            registration_id: identity.id,
            created_on: identity.created_on,
        }
    }
}

impl From<AdminApplication> for RegisteredApplication {
    fn from(app: AdminApplication) -> Self {
        RegisteredApplication {
            application_id: app.application_id,
            tenant_id: None,
            enabled: None,
            registration_id: None,
            created_on: None,
        }
    }
}

/// The admin jobs the SDK's workflows need, over either backend: register, list and
/// unregister management applications, and force-sync a user into an environment.
#[derive(Clone, Debug)]
pub struct AdminApi {
    backend: AdminBackend,
}

impl AdminApi {
    /// An API over `backend`.
    pub fn new(backend: AdminBackend) -> Self {
        AdminApi { backend }
    }

    /// The backend.
    pub fn backend(&self) -> &AdminBackend {
        &self.backend
    }

    /// Registers an application so that it can call the admin APIs; await the returned
    /// [`RegisterApplication`] (or call its `send()`). Registering an application that
    /// already is returns the existing registration.
    ///
    /// The Online Management API also needs the tenant:
    /// [`.tenant_id(..)`](RegisterApplication::tenant_id).
    pub fn register_application(&self, application_id: Uuid) -> RegisterApplication<'_> {
        RegisterApplication::new(self, application_id)
    }

    /// Every registered application.
    pub async fn list_applications(&self) -> Result<Vec<RegisteredApplication>, AdminError> {
        Ok(match &self.backend {
            AdminBackend::OnlineManagement(client) => client
                .list_application_identities()
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
            AdminBackend::PowerPlatform(client) => client
                .list_admin_applications()
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        })
    }

    /// Removes an application's registration; [`AdminError::NotRegistered`] when it has
    /// none.
    pub async fn unregister_application(&self, application_id: Uuid) -> Result<(), AdminError> {
        let not_registered = AdminError::NotRegistered { application_id };
        match &self.backend {
            AdminBackend::OnlineManagement(client) => {
                let Some(identity) = find_identity(client, application_id).await? else {
                    return Err(not_registered);
                };
                let Some(id) = identity.id else {
                    return Err(AdminError::invalid(
                        format!("registration of application {application_id}"),
                        "the service listed it without its Id, so it cannot be deleted by this client",
                    ));
                };
                match client.delete_application_identity(id).await {
                    Err(e) if e.is_not_found() => Err(not_registered),
                    other => other,
                }
            }
            AdminBackend::PowerPlatform(client) => {
                match client.get_admin_application(application_id).await {
                    Err(e) if e.is_not_found() => return Err(not_registered),
                    other => other?,
                };
                match client.remove_admin_application(application_id).await {
                    Err(e) if e.is_not_found() => Err(not_registered),
                    other => other,
                }
            }
        }
    }

    /// Force-syncs a user (Entra object id) into an environment: an instance id ([`Uuid`])
    /// on the Online Management API; on the Power Platform admin API also
    /// `Default-<tenant id>` ([`EnvironmentName`]). Await the
    /// returned [`ForceSyncUser`] (or call its `send()`). It waits within
    /// [`WaitOptions::default`](crate::WaitOptions::default) unless [`.wait(..)`](ForceSyncUser::wait) says otherwise.
    ///
    /// Online Management API: `ApplyUser`, then polls the operation. Power Platform admin
    /// API: `addUser`, tried again every `wait.default_interval` (at least 10 s) while the
    /// service says the user's license has not propagated (`userNotLicensed`), until
    /// `wait.timeout`.
    pub fn force_sync_user(
        &self,
        environment_id: impl Into<EnvironmentName>,
        user_object_id: Uuid,
    ) -> ForceSyncUser<'_> {
        ForceSyncUser::new(self, environment_id.into(), user_object_id)
    }
}

pub(crate) async fn find_identity(
    client: &OnlineManagementClient,
    application_id: Uuid,
) -> Result<Option<TenantApplicationIdentity>, AdminError> {
    Ok(client
        .list_application_identities()
        .await?
        .into_iter()
        .find(|i| i.aad_application_id == application_id))
}
