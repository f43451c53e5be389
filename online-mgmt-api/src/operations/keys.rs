//! Tenant protection keys (v1.2 only).

use crate::client::shape_error;
use crate::{
    AdminError, GenerateKeyData, ImportKeyData, KeyMaterial, OnlineManagementClient,
    OperationPoller, OperationStatus, TenantProtectionKey,
};

impl OnlineManagementClient {
    /// The tenant's protection keys.
    pub async fn list_tenant_protection_keys(
        &self,
    ) -> Result<Vec<TenantProtectionKey>, AdminError> {
        let request = self.requests().list_tenant_protection_keys()?;
        self.get_list(request, "RetrieveAvailableTenantProtectionKeys", None)
            .await
    }

    /// The tenant's active protection key.
    pub async fn get_tenant_protection_key(&self) -> Result<TenantProtectionKey, AdminError> {
        let request = self.requests().get_tenant_protection_key()?;
        self.get_json(
            request,
            "RetrieveTenantProtectionKey",
            Some("the tenant has no protection key".into()),
        )
        .await
    }

    /// Imports a key (answers at once).
    pub async fn import_tenant_protection_key(
        &self,
        key: &ImportKeyData,
    ) -> Result<OperationStatus, AdminError> {
        let request = self.requests().import_tenant_protection_key(key)?;
        self.send_sync(request, "ImportKey", None).await
    }

    /// Generates a key; the answer is the key's bytes.
    pub async fn generate_tenant_protection_key(
        &self,
        settings: &GenerateKeyData,
    ) -> Result<KeyMaterial, AdminError> {
        let request = self.requests().generate_tenant_protection_key(settings)?;
        let response = self.send(request, None).await?;
        let text: String = crate::client::decode(&response, "GenerateKey")?;
        KeyMaterial::from_base64(&text)
            .ok_or_else(|| shape_error(&response, "GenerateKey", "the key is not valid base64"))
    }

    /// Starts making a key the tenant's protection key.
    pub async fn set_tenant_protection_key(
        &self,
        key_name: &str,
    ) -> Result<OperationPoller, AdminError> {
        let request = self.requests().set_tenant_protection_key(key_name)?;
        self.start(request, "SetTenantProtectionKey", None).await
    }
}
