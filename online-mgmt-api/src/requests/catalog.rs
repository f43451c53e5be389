//! What the service offers: `ServiceVersions`, `Currencies`, `Languages`, `Templates`,
//! `InstanceTypeInfo`.

use dynamics_http::HttpRequest;
use uuid::Uuid;

use super::Requests;
use super::identities::require_id;
use crate::{AdminError, ApiVersion, InstanceType};

impl Requests {
    /// `GET ServiceVersions` (GetServiceVersions).
    pub fn service_versions(&self) -> Result<HttpRequest, AdminError> {
        Ok(self.request(HttpRequest::get(self.url(&["ServiceVersions"]))))
    }

    /// `GET Currencies` (GetCurrencies).
    pub fn currencies(&self) -> Result<HttpRequest, AdminError> {
        Ok(self.request(HttpRequest::get(self.url(&["Currencies"]))))
    }

    /// `GET Languages?releaseId={id}` (GetLanguages).
    pub fn languages(&self, release_id: Uuid) -> Result<HttpRequest, AdminError> {
        let id = require_id("release (service version) id", release_id)?;
        let mut url = self.url(&["Languages"]);
        url.query_pairs_mut().append_pair("releaseId", &id);
        Ok(self.request(HttpRequest::get(url)))
    }

    /// `GET Templates` (GetTemplates).
    pub fn templates(&self) -> Result<HttpRequest, AdminError> {
        Ok(self.request(HttpRequest::get(self.url(&["Templates"]))))
    }

    /// `GET InstanceTypeInfo` (GetInstanceTypesInfo).
    pub fn instance_types(&self) -> Result<HttpRequest, AdminError> {
        Ok(self.request(HttpRequest::get(self.url(&["InstanceTypeInfo"]))))
    }

    /// `GET InstanceTypeInfo/{type}` (GetInstanceTypeInfo).
    pub fn instance_type(&self, kind: &InstanceType) -> Result<HttpRequest, AdminError> {
        let name = kind.as_str().trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(AdminError::invalid(
                format!("instance type `{name}`"),
                "use a type such as Production or Sandbox",
            ));
        }
        if self.version() == ApiVersion::V1 && !kind.is_in_v1() {
            return Err(AdminError::invalid(
                format!("instance type {name} is not known to v1"),
                "use v1.2, or one of None, Production, Sandbox, Support, Preview, Trial",
            ));
        }
        Ok(self.request(HttpRequest::get(self.url(&["InstanceTypeInfo", name]))))
    }
}
