//! Tenant application identities ("management apps") of the Online Management API.

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::rfc3339;

/// A registered `TenantApplicationIdentity`: app-only tokens of `aad_application_id` may call
/// the Online Management API while it is enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppIdentity {
    pub(crate) id: Uuid,
    pub(crate) tenant_id: Uuid,
    pub(crate) aad_application_id: Uuid,
    pub(crate) enabled: bool,
    pub(crate) created_on: OffsetDateTime,
    pub(crate) modified_on: OffsetDateTime,
}

impl AppIdentity {
    /// The `TenantApplicationIdentity` body (the same in v1 and v1.2).
    pub(crate) fn render(&self) -> Value {
        json!({
            "id": self.id,
            "aadApplicationId": self.aad_application_id,
            "tenantId": self.tenant_id,
            "enabled": self.enabled,
            "createdOn": rfc3339(self.created_on),
            "modifiedOn": rfc3339(self.modified_on),
        })
    }

    /// Whether `key` (from a URL) names this identity: its `Id` or its `AadApplicationId`.
    pub(crate) fn is_named_by(&self, key: Uuid) -> bool {
        self.id == key || self.aad_application_id == key
    }
}
