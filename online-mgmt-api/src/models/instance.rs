//! Instances (Dataverse environments) and the request bodies that act on them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::de;
use super::enums::{InstanceState, InstanceType, ProtectionStatus};

/// An instance (Dataverse environment) of the tenant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Instance {
    /// Its id.
    #[serde(alias = "id")]
    pub id: Uuid,
    /// The unique (database) name, such as `org1a2b3c4d`.
    #[serde(alias = "uniqueName")]
    pub unique_name: Option<String>,
    /// The display name.
    #[serde(alias = "friendlyName")]
    pub friendly_name: Option<String>,
    /// The web application URL, such as `https://contoso.crm4.dynamics.com/`.
    #[serde(alias = "applicationUrl")]
    pub application_url: Option<String>,
    /// The Web API URL, such as `https://contoso.api.crm4.dynamics.com/`.
    #[serde(alias = "apiUrl")]
    pub api_url: Option<String>,
    /// Its state.
    #[serde(alias = "state")]
    pub state: Option<InstanceState>,
    /// Its type.
    #[serde(alias = "type")]
    pub r#type: Option<InstanceType>,
    /// Its version, such as `9.2.24031.00198`.
    #[serde(alias = "version")]
    pub version: Option<String>,
    /// The domain name (the first label of its URL).
    #[serde(alias = "domainName")]
    pub domain_name: Option<String>,
    /// The base language (LCID).
    #[serde(alias = "baseLanguage")]
    pub base_language: Option<i32>,
    /// Who created it.
    #[serde(alias = "initialUserEmail")]
    pub initial_user_email: Option<String>,
    /// The user principal name of who created it (v1.2).
    #[serde(alias = "initialUserPrincipalName")]
    pub initial_user_principal_name: Option<String>,
    /// The security group that limits who can use it.
    #[serde(alias = "securityGroupId", default, deserialize_with = "de::opt_uuid")]
    pub security_group_id: Option<Uuid>,
    /// Whether it may be deleted in its current state.
    #[serde(alias = "stateIsSupportedForDelete")]
    pub state_is_supported_for_delete: Option<bool>,
    /// Whether it is in administration mode.
    #[serde(alias = "adminMode")]
    pub admin_mode: Option<bool>,
    /// Whether it is locked (v1.2).
    #[serde(alias = "isLocked")]
    pub is_locked: Option<bool>,
    /// Who encrypts its data (v1.2).
    #[serde(alias = "protectionStatus")]
    pub protection_status: Option<ProtectionStatus>,
    /// Its purpose.
    #[serde(alias = "purpose")]
    pub purpose: Option<String>,
    /// Additional properties (v1.2).
    #[serde(
        alias = "additionalProperties",
        default,
        deserialize_with = "de::string_map"
    )]
    pub additional_properties: BTreeMap<String, String>,
    /// Fields this client does not know, kept as sent.
    #[serde(flatten, skip_serializing_if = "de::is_empty_map")]
    pub extra: Map<String, Value>,
}

/// A currency setting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Currency {
    /// The ISO code (3 letters), such as `EUR`.
    #[serde(alias = "code", skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Decimal places, 0 to 4.
    #[serde(alias = "precision", skip_serializing_if = "Option::is_none")]
    pub precision: Option<i32>,
    /// The symbol (up to 4 characters).
    #[serde(alias = "symbol", skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The name.
    #[serde(alias = "name", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// What to provision (`PUT Instances/Provision`).
///
/// Required: `service_version_id`, `type`, `friendly_name`, `domain_name`,
/// `initial_user_email`, and for v1 also `base_language`. The client checks them before
/// sending.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NewInstance {
    /// The release to provision (from
    /// [`service_versions`](crate::OnlineManagementClient::service_versions)).
    pub service_version_id: Uuid,
    /// The instance type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<InstanceType>,
    /// The display name.
    pub friendly_name: String,
    /// The domain name, the first label of the URL (`contoso` for `contoso.crm4.dynamics.com`).
    pub domain_name: String,
    /// The initial user (the docs describe it as the object id of the creating user).
    pub initial_user_email: String,
    /// The base language (LCID, such as 1033). Required by v1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_language: Option<i32>,
    /// The base currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Templates (apps) to install, from [`templates`](crate::OnlineManagementClient::templates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<String>,
    /// The purpose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// A security group limiting who can use it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_group_id: Option<Uuid>,
    /// Additional properties (v1.2).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_properties: BTreeMap<String, String>,
}

impl NewInstance {
    /// The required fields; set the rest with struct update syntax.
    pub fn new(
        service_version_id: Uuid,
        r#type: InstanceType,
        friendly_name: impl Into<String>,
        domain_name: impl Into<String>,
        initial_user_email: impl Into<String>,
    ) -> Self {
        NewInstance {
            service_version_id,
            r#type: Some(r#type),
            friendly_name: friendly_name.into(),
            domain_name: domain_name.into(),
            initial_user_email: initial_user_email.into(),
            ..Default::default()
        }
    }
}

/// How to reset an instance (`POST Instances/{id}/Reset`, v1.2). Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ResetRequest {
    /// The new display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// The new domain name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// The purpose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// A security group limiting who can use it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_group_id: Option<Uuid>,
    /// The name of the target release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_release: Option<String>,
    /// The base language (LCID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_language_code: Option<i32>,
    /// The base currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Applications to install.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub application_names: Vec<String>,
    /// The preferred formatting culture (LCID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_culture: Option<i32>,
    /// Additional properties.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_properties: BTreeMap<String, String>,
}

/// Which backup to restore into an instance (`POST Instances/{id}/Restore`).
///
/// `instance_backup_id` (a legacy backup) wins over `label`, which wins over `created_on`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceRestorePoint {
    /// The instance whose backup is restored (required).
    pub source_instance_id: Uuid,
    /// A legacy backup's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_backup_id: Option<Uuid>,
    /// A backup's label (up to 100 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A backup's creation time (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_on: Option<String>,
}

/// Administration mode settings (`POST Instances/{id}/UpdateAdminMode`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InstanceAdminModeSettings {
    /// Act for this user instead of the caller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_user_object_id: Option<Uuid>,
    /// Turn administration mode on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_mode: Option<bool>,
    /// Keep background operations running.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_operations_enabled: Option<bool>,
    /// A message for users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification_text: Option<String>,
}

/// Instance settings (`POST Instances/{id}/ConfigureInstance`, v1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ConfigureInstanceSettings {
    /// The purpose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Additional properties.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_properties: BTreeMap<String, String>,
}
