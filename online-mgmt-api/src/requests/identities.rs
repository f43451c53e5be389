//! `TenantApplicationIdentities`: the applications allowed to call the API.

use dynamics_http::HttpRequest;
use uuid::Uuid;

use super::{Requests, json_body};
use crate::{AdminError, TenantApplicationIdentity};

impl Requests {
    /// `GET TenantApplicationIdentities` (GetTenantApplicationIdentities).
    pub fn list_application_identities(&self) -> Result<HttpRequest, AdminError> {
        Ok(self.request(HttpRequest::get(self.url(&["TenantApplicationIdentities"]))))
    }

    /// `GET TenantApplicationIdentities/{id}` (GetTenantApplicationIdentity).
    pub fn get_application_identity(&self, id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("application identity id", id)?;
        Ok(self.request(HttpRequest::get(
            self.url(&["TenantApplicationIdentities", &id]),
        )))
    }

    /// `POST TenantApplicationIdentities` (CreateTenantApplicationIdentity), enabled.
    pub fn create_application_identity(
        &self,
        aad_application_id: Uuid,
        tenant_id: Uuid,
    ) -> Result<HttpRequest, AdminError> {
        require_id("application (client) id", aad_application_id)?;
        require_id("tenant id", tenant_id)?;
        let body = TenantApplicationIdentity::new(aad_application_id, tenant_id);
        json_body(
            self.request(HttpRequest::post(
                self.url(&["TenantApplicationIdentities"]),
            )),
            &body,
        )
    }

    /// `DELETE TenantApplicationIdentities/{id}` (DeleteTenantApplicationIdentity).
    pub fn delete_application_identity(&self, id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("application identity id", id)?;
        Ok(self.request(HttpRequest::delete(
            self.url(&["TenantApplicationIdentities", &id]),
        )))
    }

    /// `POST TenantApplicationIdentities/{id}/Enable` (EnableTenantApplicationIdentity).
    pub fn enable_application_identity(&self, id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("application identity id", id)?;
        Ok(self
            .empty_post(self.url(&["TenantApplicationIdentities", &id, "Enable"]))
            .retry_safe(true))
    }

    /// `POST TenantApplicationIdentities/{id}/Disable` (DisableTenantApplicationIdentity).
    pub fn disable_application_identity(&self, id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("application identity id", id)?;
        Ok(self
            .empty_post(self.url(&["TenantApplicationIdentities", &id, "Disable"]))
            .retry_safe(true))
    }
}

/// A GUID that must not be all zeros, as it goes into a URL.
pub(crate) fn require_id(what: &str, id: Uuid) -> Result<String, AdminError> {
    if id.is_nil() {
        return Err(AdminError::invalid(
            format!("{what} (all zeros)"),
            format!("give the real {what}"),
        ));
    }
    Ok(id.hyphenated().to_string())
}
