//! Tenant application identities ("management apps").

use uuid::Uuid;

use crate::{AdminError, OnlineManagementClient, TenantApplicationIdentity};

impl OnlineManagementClient {
    /// Every application registered to call the API.
    pub async fn list_application_identities(
        &self,
    ) -> Result<Vec<TenantApplicationIdentity>, AdminError> {
        let request = self.requests().list_application_identities()?;
        self.get_list(request, "GetTenantApplicationIdentities", None)
            .await
    }

    /// One registration, by its own id (not the application id).
    pub async fn get_application_identity(
        &self,
        id: Uuid,
    ) -> Result<TenantApplicationIdentity, AdminError> {
        let request = self.requests().get_application_identity(id)?;
        self.get_json(
            request,
            "GetTenantApplicationIdentity",
            Some(format!("no application identity {id}")),
        )
        .await
    }

    /// Registers an Entra application (enabled) so that it can call the API.
    pub async fn create_application_identity(
        &self,
        aad_application_id: Uuid,
        tenant_id: Uuid,
    ) -> Result<TenantApplicationIdentity, AdminError> {
        let request = self
            .requests()
            .create_application_identity(aad_application_id, tenant_id)?;
        self.get_json(request, "CreateTenantApplicationIdentity", None)
            .await
    }

    /// Removes a registration, by its own id.
    pub async fn delete_application_identity(&self, id: Uuid) -> Result<(), AdminError> {
        let request = self.requests().delete_application_identity(id)?;
        self.send(request, Some(format!("no application identity {id}")))
            .await
            .map(drop)
    }

    /// Enables a registration, by its own id.
    pub async fn enable_application_identity(&self, id: Uuid) -> Result<(), AdminError> {
        let request = self.requests().enable_application_identity(id)?;
        self.send(request, Some(format!("no application identity {id}")))
            .await
            .map(drop)
    }

    /// Disables a registration, by its own id.
    pub async fn disable_application_identity(&self, id: Uuid) -> Result<(), AdminError> {
        let request = self.requests().disable_application_identity(id)?;
        self.send(request, Some(format!("no application identity {id}")))
            .await
            .map(drop)
    }
}
