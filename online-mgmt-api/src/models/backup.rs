//! Instance backups.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::de;

/// A backup of an instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceBackup {
    /// The backup's id (the restore point id of
    /// [`get_backup`](crate::OnlineManagementClient::get_backup)).
    #[serde(alias = "id", default, deserialize_with = "de::opt_uuid")]
    pub id: Option<Uuid>,
    /// Its status.
    #[serde(alias = "status")]
    pub status: Option<String>,
    /// Who made it.
    #[serde(alias = "createdBy")]
    pub created_by: Option<String>,
    /// When it was made.
    #[serde(alias = "createdOn")]
    pub created_on: Option<String>,
    /// When it expires.
    #[serde(alias = "expiresOn")]
    pub expires_on: Option<String>,
    /// The instance version it was taken from.
    #[serde(alias = "version")]
    pub version: Option<String>,
    /// Its label.
    #[serde(alias = "label")]
    pub label: Option<String>,
    /// Its notes.
    #[serde(alias = "notes")]
    pub notes: Option<String>,
    /// For Microsoft's internal use.
    #[serde(alias = "isAzureBackup")]
    pub is_azure_backup: Option<bool>,
    /// For Microsoft's internal use.
    #[serde(alias = "azureStorageInformation")]
    pub azure_storage_information: Option<AzureStorage>,
    /// Fields this client does not know, kept as sent.
    #[serde(flatten, skip_serializing_if = "de::is_empty_map")]
    pub extra: Map<String, Value>,
}

/// Azure storage details of a backup, for Microsoft's internal use. `Debug` hides the key.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AzureStorage {
    /// The container.
    #[serde(alias = "containerName", skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// The storage account key (a secret).
    #[serde(alias = "storageAccountKey", skip_serializing_if = "Option::is_none")]
    pub storage_account_key: Option<String>,
    /// The storage account.
    #[serde(alias = "storageAccountName", skip_serializing_if = "Option::is_none")]
    pub storage_account_name: Option<String>,
}

impl fmt::Debug for AzureStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureStorage")
            .field("container_name", &self.container_name)
            .field(
                "storage_account_key",
                &self.storage_account_key.as_ref().map(|_| "<redacted>"),
            )
            .field("storage_account_name", &self.storage_account_name)
            .finish()
    }
}

/// What to back up (`POST InstanceBackups`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NewInstanceBackup {
    /// The instance (required).
    pub instance_id: Uuid,
    /// A label to find the backup by (required).
    pub label: String,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl NewInstanceBackup {
    /// A backup of `instance_id` labelled `label`.
    pub fn new(instance_id: Uuid, label: impl Into<String>) -> Self {
        NewInstanceBackup {
            instance_id,
            label: label.into(),
            notes: None,
        }
    }
}
