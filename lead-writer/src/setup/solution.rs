//! What the lead writer's solution holds: its role with the lead privileges, and the extra
//! privileges Microsoft's lead writer documentation asks for. No IO here.

use dataverse_webapi::provisioning::{PrivilegeDepth, PrivilegeGrant};
use dataverse_webapi::solutions::{
    Publisher, RoleDefinition, SolutionBuilder, SolutionPackageError, SolutionPrivilegeLevel,
};

/// The role the solution brings. Microsoft's own managed solution names its role "Microsoft
/// Marketplace Lead Writer" (REFERENCE 4.6); this one is ours, so it has its own name and the
/// two never clash in an org that has both.
pub const ROLE_NAME: &str = "Marketplace Lead Writer";
/// The solution's unique name (Microsoft's managed solution is not public, so this crate
/// builds its own with the same purpose).
pub const SOLUTION_NAME: &str = "MarketplaceLeadWriter";
/// The solution's version. Raise it when the role's privileges change, so `setup` imports
/// the new one over the old.
pub const SOLUTION_VERSION: &str = "1.0.0.0";

/// The privileges the role carries in the solution, all at organization level: create and
/// read leads (the writer reads a lead back to confirm a duplicate), and read the accounts
/// and contacts a lead may point to.
pub const ROLE_PRIVILEGES: [&str; 8] = [
    "prvCreateLead",
    "prvReadLead",
    "prvWriteLead",
    "prvAppendLead",
    "prvReadAccount",
    "prvAppendToAccount",
    "prvReadContact",
    "prvAppendToContact",
];

/// The extra privileges, by name and depth: User Entity UI Settings Create/Read/Write at
/// User level; System Job (asyncoperation) Read/Write/AppendTo at Organization level
/// (REFERENCE-WORKFLOWS 1.4, from Microsoft's "Configure lead management for Dynamics 365
/// Customer Engagement").
pub const EXTRA_PRIVILEGES: [(&str, Depth); 6] = [
    ("prvCreateUserEntityUISettings", Depth::User),
    ("prvReadUserEntityUISettings", Depth::User),
    ("prvWriteUserEntityUISettings", Depth::User),
    ("prvReadAsyncOperation", Depth::Organization),
    ("prvWriteAsyncOperation", Depth::Organization),
    ("prvAppendToAsyncOperation", Depth::Organization),
];

/// The two depths the extra privileges use (a plain copy type, so the list can be a constant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `Basic`: the user's own records.
    User,
    /// `Global`: the whole organization.
    Organization,
}

impl Depth {
    /// As the Web API's depth.
    pub fn privilege_depth(self) -> PrivilegeDepth {
        match self {
            Depth::User => PrivilegeDepth::User,
            Depth::Organization => PrivilegeDepth::Organization,
        }
    }
}

/// The solution zip: the role with [`ROLE_PRIVILEGES`], published by "Lead Writer".
pub fn solution_zip() -> Result<Vec<u8>, SolutionPackageError> {
    let role = ROLE_PRIVILEGES
        .into_iter()
        .fold(RoleDefinition::new(ROLE_NAME), |role, name| {
            role.privilege(name, SolutionPrivilegeLevel::Global)
        });
    let publisher = Publisher::new("leadwriter", "Lead Writer", "lwr", 72_600);
    SolutionBuilder::new(SOLUTION_NAME, SOLUTION_VERSION, publisher)
        .display_name("Marketplace Lead Writer")
        .role(role)
        .build()
}

/// [`EXTRA_PRIVILEGES`] as grants for `AddPrivilegesRole`.
pub fn extra_privileges() -> Vec<PrivilegeGrant> {
    EXTRA_PRIVILEGES
        .iter()
        .map(|(name, depth)| PrivilegeGrant::new(*name, depth.privilege_depth()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_solution_carries_the_role_and_its_lead_privileges() {
        let zip = solution_zip().unwrap();
        // A zip starts with a local file header.
        assert_eq!(&zip[..4], b"PK\x03\x04");
        assert!(ROLE_PRIVILEGES.contains(&"prvCreateLead"));
    }

    #[test]
    fn extra_privileges_have_their_documented_depths() {
        let grants = extra_privileges();
        assert_eq!(grants.len(), 6);
        let ui = grants
            .iter()
            .filter(|g| g.depth == PrivilegeDepth::User)
            .count();
        let jobs = grants
            .iter()
            .filter(|g| g.depth == PrivilegeDepth::Organization)
            .count();
        assert_eq!((ui, jobs), (3, 3));
    }
}
