//! `Keys`: tenant protection (encryption) keys, v1.2 only.

use dynamics_http::HttpRequest;

use super::{Requests, json_body};
use crate::{AdminError, GenerateKeyData, ImportKeyData};

impl Requests {
    /// `GET Keys` (RetrieveAvailableTenantProtectionKeys, v1.2 only).
    pub fn list_tenant_protection_keys(&self) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("RetrieveAvailableTenantProtectionKeys")?;
        Ok(self.request(HttpRequest::get(self.url(&["Keys"]))))
    }

    /// `GET Keys/RetrieveTenantKey` (RetrieveTenantProtectionKey, v1.2 only).
    pub fn get_tenant_protection_key(&self) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("RetrieveTenantProtectionKey")?;
        Ok(self.request(HttpRequest::get(self.url(&["Keys", "RetrieveTenantKey"]))))
    }

    /// `POST Keys/Import` (ImportKey, v1.2 only).
    pub fn import_tenant_protection_key(
        &self,
        key: &ImportKeyData,
    ) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("ImportKey")?;
        if key.key.bytes().is_empty() {
            return Err(AdminError::invalid(
                "key to import (no key bytes)",
                "set `key` to the key certificate's bytes",
            ));
        }
        json_body(
            self.request(HttpRequest::post(self.url(&["Keys", "Import"]))),
            key,
        )
    }

    /// `POST Keys/Generate` (GenerateKey, v1.2 only).
    pub fn generate_tenant_protection_key(
        &self,
        settings: &GenerateKeyData,
    ) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("GenerateKey")?;
        json_body(
            self.request(HttpRequest::post(self.url(&["Keys", "Generate"]))),
            settings,
        )
    }

    /// `POST Keys/{keyName}/SetTenantProtectionKey` (SetTenantProtectionKey, v1.2 only).
    pub fn set_tenant_protection_key(&self, key_name: &str) -> Result<HttpRequest, AdminError> {
        self.require_v1_2("SetTenantProtectionKey")?;
        let name = key_name.trim();
        if name.is_empty() {
            return Err(AdminError::invalid(
                "key name (empty)",
                "give the name of an imported or generated key (see list_tenant_protection_keys)",
            ));
        }
        Ok(self.empty_post(self.url(&["Keys", name, "SetTenantProtectionKey"])))
    }
}
