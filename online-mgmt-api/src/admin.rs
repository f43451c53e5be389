//! One high-level admin API over both backends: the Online Management API (deprecated,
//! regional) and the Power Platform admin API (its successor). The caller picks the backend.

use uuid::Uuid;

use crate::{
    AdminApplication, AdminError, OnlineManagementClient, PowerPlatformAdminClient,
    TenantApplicationIdentity, WaitOptions,
};

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

    /// Registers an application so that it can call the admin APIs. Registering an
    /// application that already is returns the existing registration.
    pub async fn register_application(
        &self,
        application_id: Uuid,
        tenant_id: Uuid,
    ) -> Result<RegisteredApplication, AdminError> {
        match &self.backend {
            AdminBackend::OnlineManagement(client) => {
                if let Some(existing) = find_identity(client, application_id).await? {
                    return Ok(existing.into());
                }
                match client
                    .create_application_identity(application_id, tenant_id)
                    .await
                {
                    Ok(created) => Ok(created.into()),
                    // Registered by someone else in the meantime?
                    Err(e)
                        if matches!(e.http_status(), Some(400 | 409))
                            || matches!(e, AdminError::OperationFailed { .. }) =>
                    {
                        match find_identity(client, application_id).await? {
                            Some(existing) => Ok(existing.into()),
                            None => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            AdminBackend::PowerPlatform(client) => Ok(client
                .register_admin_application(application_id)
                .await?
                .into()),
        }
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

    /// Force-syncs a user (Entra object id) into an environment (instance) and waits for
    /// it within `wait`.
    ///
    /// Online Management API: `ApplyUser`, then polls the operation. Power Platform admin
    /// API: `addUser`, tried again every `wait.default_interval` (at least 10 s) while the
    /// service says the user's license has not propagated (`userNotLicensed`), until
    /// `wait.timeout`.
    pub async fn force_sync_user(
        &self,
        environment_id: Uuid,
        user_object_id: Uuid,
        wait: WaitOptions,
    ) -> Result<(), AdminError> {
        match &self.backend {
            AdminBackend::OnlineManagement(client) => {
                client
                    .apply_user(environment_id, user_object_id)
                    .await?
                    .wait(wait)
                    .await?;
                Ok(())
            }
            AdminBackend::PowerPlatform(client) => {
                let clock = client.pipeline().options().clock.clone();
                let start = clock.now();
                let interval = wait
                    .default_interval
                    .max(std::time::Duration::from_secs(10));
                loop {
                    match client.add_user(environment_id, user_object_id).await {
                        Err(e) if e.is_user_not_licensed() => {
                            let elapsed = std::time::Duration::try_from(clock.now() - start)
                                .unwrap_or_default();
                            if elapsed + interval > wait.timeout {
                                return Err(e);
                            }
                            tracing::info!(
                                ?interval,
                                "the user's license has not reached the environment yet; trying again"
                            );
                            clock.sleep(interval).await;
                        }
                        other => return other,
                    }
                }
            }
        }
    }
}

async fn find_identity(
    client: &OnlineManagementClient,
    application_id: Uuid,
) -> Result<Option<TenantApplicationIdentity>, AdminError> {
    Ok(client
        .list_application_identities()
        .await?
        .into_iter()
        .find(|i| i.aad_application_id == application_id))
}
