//! Seed data: the tenants, apps, users, resources and consents the emulator knows about.
//!
//! The same types are used at run time through [`Seeder`](crate::Seeder) and in JSON seed files
//! ([`SeedFile`]).

mod defaults;
mod file;
mod generated;
mod instance;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub use defaults::{DefaultSeed, SeededUser};
pub(crate) use defaults::{GRAPH_RESOURCE_PATH, build_default_seed, default_seed_file};
pub use file::{ConsentSeed, SeedFile, TenantFile};
pub use generated::{DYNAMICS_365_SKU_ID, GeneratedUsers, PlaceSeed};
pub use instance::{InstanceSeed, InstanceState, InstanceType};

/// A directory (tenant): its GUID and its initial domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSeed {
    /// The tenant ID (`tid`).
    pub id: Uuid,
    /// The initial domain, e.g. `contoso.onmicrosoft.com`; also accepted in the authority path.
    pub domain: String,
}

/// An app registration (and its service principal) in a tenant.
///
/// `Default` gives the nil client ID, which [`Seeder::add_app`](crate::Seeder::add_app) rejects:
/// set `client_id` (or use [`AppSeed::new`]).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppSeed {
    /// The application (client) ID.
    pub client_id: Uuid,
    /// Display name, used in error messages.
    #[serde(default)]
    pub display_name: String,
    /// Client secrets.
    #[serde(default)]
    pub secrets: Vec<SecretSeed>,
    /// Certificate credentials: X.509 certificates in PEM (RSA keys only).
    #[serde(default)]
    pub certificates: Vec<String>,
    /// Registered redirect URIs. For `http://localhost` and `http://127.0.0.1` the port is ignored
    /// when matching, as Entra does for native apps.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// "Allow public client flows": the app may use password, device-code, authorization-code and
    /// refresh-token grants without a client credential.
    #[serde(default)]
    pub public_client: bool,
    /// Application permissions (app roles) granted per resource URI, put in the `roles` claim of
    /// app-only tokens for that resource.
    #[serde(default)]
    pub app_roles: BTreeMap<String, Vec<String>>,
    /// Object ID of the app's service principal (the `oid` of app-only tokens). Derived from the
    /// tenant and client IDs when `None`.
    #[serde(default)]
    pub service_principal_id: Option<Uuid>,
}

impl AppSeed {
    /// An app with only a client ID and a display name; fill in the rest with struct update syntax.
    pub fn new(client_id: Uuid, display_name: impl Into<String>) -> Self {
        Self {
            client_id,
            display_name: display_name.into(),
            secrets: Vec::new(),
            certificates: Vec::new(),
            redirect_uris: Vec::new(),
            public_client: false,
            app_roles: BTreeMap::new(),
            service_principal_id: None,
        }
    }
}

impl fmt::Debug for AppSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppSeed")
            .field("client_id", &self.client_id)
            .field("display_name", &self.display_name)
            .field("secrets", &self.secrets)
            .field("certificates", &self.certificates.len())
            .field("redirect_uris", &self.redirect_uris)
            .field("public_client", &self.public_client)
            .field("app_roles", &self.app_roles)
            .field("service_principal_id", &self.service_principal_id)
            .finish()
    }
}

/// A client secret and its optional expiry (checked against the emulator clock).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretSeed {
    /// The secret value the client sends.
    pub value: String,
    /// When the secret stops working (AADSTS7000222 afterwards); RFC 3339 in JSON.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires: Option<OffsetDateTime>,
}

impl SecretSeed {
    /// A secret that never expires.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            expires: None,
        }
    }
}

impl fmt::Debug for SecretSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretSeed")
            .field("value", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

/// A user account in a tenant.
///
/// `Default` gives the nil object ID and an empty UPN, which
/// [`Seeder::add_user`](crate::Seeder::add_user) rejects: set at least `object_id`,
/// `user_principal_name` and `password`. A default user holds no admin role and is licensed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSeed {
    /// The user's object ID (`oid`).
    pub object_id: Uuid,
    /// The sign-in name, e.g. `alice@contoso.onmicrosoft.com` (matched case-insensitively).
    pub user_principal_name: String,
    /// The password accepted by the password grant and the device-login page.
    pub password: String,
    /// Whether the password grant is blocked by MFA.
    #[serde(default)]
    pub mfa: MfaState,
    /// The `name` claim.
    #[serde(default)]
    pub display_name: String,
    /// Directory roles that the admin APIs check (Online Management API: Global or Service
    /// administrator; Power Platform admin API: those, Power Platform or Dynamics 365
    /// administrator).
    #[serde(default)]
    pub admin_roles: Vec<AdminRole>,
    /// Whether the user holds a Dynamics 365 / Power Apps licence. Unlicensed users cannot be
    /// added to environments (ApplyUser fails, BAP `addUser` answers `userNotLicensed`).
    /// Default `true`.
    #[serde(default = "licensed_by_default")]
    pub licensed: bool,
    /// Microsoft Graph `givenName`.
    #[serde(default)]
    pub given_name: Option<String>,
    /// Microsoft Graph `surname`.
    #[serde(default)]
    pub surname: Option<String>,
    /// Microsoft Graph `mail` (the primary SMTP address).
    #[serde(default)]
    pub mail: Option<String>,
    /// Microsoft Graph `department`.
    #[serde(default)]
    pub department: Option<String>,
    /// Microsoft Graph `jobTitle`.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Microsoft Graph `officeLocation`.
    #[serde(default)]
    pub office_location: Option<String>,
    /// Microsoft Graph `city`.
    #[serde(default)]
    pub city: Option<String>,
    /// Microsoft Graph `country`.
    #[serde(default)]
    pub country: Option<String>,
    /// Microsoft Graph `usageLocation` (two-letter country code, needed for licences in Entra).
    #[serde(default)]
    pub usage_location: Option<String>,
    /// Microsoft Graph `accountEnabled`. Default `true`. A disabled account shows in Graph with
    /// `accountEnabled: false` (sign-in is not blocked by the emulator).
    #[serde(default = "enabled_by_default")]
    pub account_enabled: bool,
    /// SKU IDs rendered as Microsoft Graph `assignedLicenses`. Independent of
    /// [`licensed`](Self::licensed), which is what environments check.
    #[serde(default)]
    pub licences: Vec<Uuid>,
}

fn licensed_by_default() -> bool {
    true
}

fn enabled_by_default() -> bool {
    true
}

impl Default for UserSeed {
    fn default() -> Self {
        Self {
            object_id: Uuid::nil(),
            user_principal_name: String::new(),
            password: String::new(),
            mfa: MfaState::None,
            display_name: String::new(),
            admin_roles: Vec::new(),
            licensed: true,
            given_name: None,
            surname: None,
            mail: None,
            department: None,
            job_title: None,
            office_location: None,
            city: None,
            country: None,
            usage_location: None,
            account_enabled: true,
            licences: Vec::new(),
        }
    }
}

impl fmt::Debug for UserSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserSeed")
            .field("object_id", &self.object_id)
            .field("user_principal_name", &"<redacted>")
            .field("password", &"<redacted>")
            .field("mfa", &self.mfa)
            .field("admin_roles", &self.admin_roles)
            .field("licensed", &self.licensed)
            .field("account_enabled", &self.account_enabled)
            .field("licences", &self.licences.len())
            .finish_non_exhaustive()
    }
}

/// A Microsoft Entra group, served by the emulator's Microsoft Graph (`/groups`,
/// `/groups/{id}/members`).
///
/// `Default` gives the nil ID, which [`Seeder::add_group`](crate::Seeder::add_group) rejects.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSeed {
    /// The group's object ID.
    pub id: Uuid,
    /// `displayName` (what `/groups?$filter=displayName eq '…'` matches).
    pub display_name: String,
    /// `description`.
    #[serde(default)]
    pub description: Option<String>,
    /// `mailNickname`; derived from the display name when `None`.
    #[serde(default)]
    pub mail_nickname: Option<String>,
    /// Object IDs of the member users (users of the same tenant).
    #[serde(default)]
    pub members: Vec<Uuid>,
}

impl GroupSeed {
    /// A group without members.
    pub fn new(id: Uuid, display_name: impl Into<String>) -> Self {
        Self {
            id,
            display_name: display_name.into(),
            ..Self::default()
        }
    }
}

impl fmt::Debug for GroupSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupSeed")
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

/// A Microsoft Entra directory role that the admin APIs honour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminRole {
    /// Global administrator: may use both admin APIs.
    GlobalAdministrator,
    /// Service (Office 365 service) administrator: may use both admin APIs.
    ServiceAdministrator,
    /// Power Platform administrator: may use the Power Platform admin (BAP) API only.
    PowerPlatformAdministrator,
    /// Dynamics 365 administrator: may use the Power Platform admin (BAP) API only.
    DynamicsAdministrator,
}

/// How multi-factor authentication applies to a user. Interactive flows (device code,
/// authorization code) always satisfy MFA; only the password grant is blocked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaState {
    /// No MFA: the password grant works.
    #[default]
    None,
    /// MFA required: the password grant fails with AADSTS50076.
    Required,
    /// MFA registration required: the password grant fails with AADSTS50079.
    EnrollmentRequired,
}
