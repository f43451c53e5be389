//! The security model's data and messages: the privilege catalogue, roles copied per business
//! unit, role privileges (`AddPrivilegesRole`, `ReplacePrivilegesRole`, `RemovePrivilegeRole`,
//! `RetrieveRolePrivilegesRole`, `RetrieveUserPrivileges`), application users, moving users
//! between business units (`SetBusinessSystemUser`) and the checks on giving roles to users
//! and teams. Access checks (403s) are not here: they read what this module writes.

pub(crate) mod actions;
pub(crate) mod catalogue;
pub(crate) mod depth;
pub(crate) mod platform;
pub(crate) mod privileges;
pub(crate) mod roles;
pub(crate) mod rows;
pub(crate) mod seed;
pub(crate) mod triggers;
pub(crate) mod users;

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

#[allow(
    unused_imports,
    reason = "the access checks (enforcement) switch on for these users; they live in another module"
)]
pub(crate) use users::created_through_api;

/// An application registered in the environment's directory, as the organisation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirectoryApp {
    /// The app's display name (an application user's full name is `# {display name}`).
    pub(crate) display_name: String,
    /// The object ID of the app's service principal in the tenant.
    pub(crate) service_principal_id: Uuid,
}

/// The security model's state that is not a row.
#[derive(Debug, Default)]
pub(crate) struct SecurityState {
    /// `systemuser` IDs of application users created with `POST systemusers`.
    pub(crate) api_users: HashSet<Uuid>,
    /// The directory's applications by application (client) ID, refreshed with each request.
    pub(crate) apps: HashMap<Uuid, DirectoryApp>,
}
