//! Instance backups (restore points).

use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::rfc3339;

/// A backup of an instance (`InstanceBackup`). It remembers which users were in the
/// environment, so a restore brings them back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Backup {
    pub(crate) id: Uuid,
    pub(crate) tenant_id: Uuid,
    pub(crate) instance_id: Uuid,
    pub(crate) label: String,
    pub(crate) notes: Option<String>,
    pub(crate) created_by: String,
    pub(crate) created_on: OffsetDateTime,
    pub(crate) expires_on: OffsetDateTime,
    pub(crate) version: String,
    pub(crate) users: Vec<Uuid>,
}

impl Backup {
    /// The `InstanceBackup` body (the same in v1 and v1.2).
    pub(crate) fn render(&self) -> Value {
        json!({
            "id": self.id,
            "status": "Succeeded",
            "createdBy": self.created_by,
            "createdOn": rfc3339(self.created_on),
            "expiresOn": rfc3339(self.expires_on),
            "version": self.version,
            "notes": self.notes,
            "label": self.label,
            "isAzureBackup": false,
            "azureStorageInformation": null,
        })
    }
}
