//! Tenant application identities: the Entra applications allowed to call the API
//! (the PowerShell module's "management apps").

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::de;

/// An Entra application registered to call the Online Management API.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TenantApplicationIdentity {
    /// The registration's own id (used to get, enable, disable and delete it).
    #[serde(
        alias = "id",
        default,
        deserialize_with = "de::opt_uuid",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<Uuid>,
    /// The Entra application (client) id.
    #[serde(alias = "aadApplicationId")]
    pub aad_application_id: Uuid,
    /// The tenant.
    #[serde(
        alias = "tenantId",
        default,
        deserialize_with = "de::opt_uuid",
        skip_serializing_if = "Option::is_none"
    )]
    pub tenant_id: Option<Uuid>,
    /// Whether the application may call the API.
    #[serde(alias = "enabled", skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// When it was registered.
    #[serde(alias = "createdOn", skip_serializing_if = "Option::is_none")]
    pub created_on: Option<String>,
    /// When it last changed.
    #[serde(alias = "modifiedOn", skip_serializing_if = "Option::is_none")]
    pub modified_on: Option<String>,
    /// Fields this client does not know, kept as sent.
    #[serde(flatten, skip_serializing_if = "de::is_empty_map")]
    pub extra: Map<String, Value>,
}

impl TenantApplicationIdentity {
    /// The body of a registration: the application, its tenant, enabled.
    pub fn new(aad_application_id: Uuid, tenant_id: Uuid) -> Self {
        TenantApplicationIdentity {
            aad_application_id,
            tenant_id: Some(tenant_id),
            enabled: Some(true),
            ..Default::default()
        }
    }
}
