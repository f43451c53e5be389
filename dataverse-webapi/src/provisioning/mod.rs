//! Provisioning and the security model: application users, security roles and their
//! privileges, business units and teams.
//!
//! Each area is a handle on the client: [`DataverseClient::app_users`](crate::DataverseClient::app_users),
//! [`roles`](crate::DataverseClient::roles), [`business_units`](crate::DataverseClient::business_units),
//! [`teams`](crate::DataverseClient::teams) and [`users`](crate::DataverseClient::users).
//! Steps that change something are idempotent: running them again finds the work done and
//! succeeds.

mod app_users;
mod business_units;
mod model;
mod privilege;
mod read;
mod role_privileges;
mod roles;
mod teams;
mod users;

pub use app_users::{AppUsers, EnsureAppUser, EnsuredAppUser};
pub use business_units::{BusinessUnits, CreateBusinessUnit};
pub use model::{
    ApplicationUser, BusinessUnit, MembershipType, Principal, SecurityRole, Team, TeamType,
};
pub use privilege::{
    AccessRight, Privilege, PrivilegeDepth, PrivilegeGrant, PrivilegeRef, RolePrivilege,
};
pub use roles::{AssignRole, FindRole, Roles};
pub use teams::{CreateTeam, Teams};
pub use users::{MoveUser, Users};
