//! The JSON seed-file format.

use std::path::Path;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{AppSeed, GeneratedUsers, GroupSeed, InstanceSeed, UserSeed};
use crate::error::EmulatorError;

/// Seed data in JSON form: a list of tenants, each with its apps, users, resources, consents,
/// environments and admin-API registrations.
///
/// See the crate README for an example.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedFile {
    /// The tenants to create (or extend, when the ID and domain match an existing tenant).
    #[serde(default)]
    pub tenants: Vec<TenantFile>,
}

impl SeedFile {
    /// Parses a seed file from JSON text.
    pub fn from_json(json: &str) -> Result<Self, EmulatorError> {
        Ok(serde_json::from_str(json)?)
    }

    /// Reads and parses a seed file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, EmulatorError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::SeedFileRead {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// The seed as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// One tenant in a [`SeedFile`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantFile {
    /// The tenant ID.
    pub id: Uuid,
    /// The initial domain.
    pub domain: String,
    /// Resource URIs (token audiences) registered in the tenant.
    #[serde(default)]
    pub resources: Vec<String>,
    /// App registrations.
    #[serde(default)]
    pub apps: Vec<AppSeed>,
    /// User accounts.
    #[serde(default)]
    pub users: Vec<UserSeed>,
    /// Many generated users (after [`users`](Self::users)), e.g. for a benchmark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_users: Option<GeneratedUsers>,
    /// Entra groups (served by the emulator's Microsoft Graph), after all users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSeed>,
    /// Delegated consents (app × resource) for user flows.
    #[serde(default)]
    pub consents: Vec<ConsentSeed>,
    /// Environments (Dataverse instances), with the users present in each.
    #[serde(default)]
    pub instances: Vec<InstanceSeed>,
    /// Client IDs registered (and enabled) as Online Management API tenant application identities
    /// ("management apps"): app-only tokens of these apps may call that API.
    #[serde(default)]
    pub application_identities: Vec<Uuid>,
    /// Client IDs registered as Power Platform admin management applications (BAP
    /// `adminApplications`): app-only tokens of these apps may call the BAP admin API.
    #[serde(default)]
    pub admin_applications: Vec<Uuid>,
}

/// A delegated-permission consent: `client_id` may get user tokens for `resource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSeed {
    /// The client app.
    pub client_id: Uuid,
    /// The resource URI.
    pub resource: String,
}
