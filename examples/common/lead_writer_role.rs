//! The lead writer's security setup, shared by the `application_user` example (which explains
//! each step), `marketplace_leads` and its test (which only need it done): the solution carrying the
//! "Marketplace Lead Writer" role, the extra privileges, and granting both to the app's user.

use std::time::Duration;

use dynamics_rs::auth::Uuid;
use dynamics_rs::dataverse::DataverseClient;
use dynamics_rs::dataverse::provisioning::{Principal, PrivilegeDepth, PrivilegeGrant};
use dynamics_rs::dataverse::solutions::{
    Publisher, RoleDefinition, SolutionBuilder, SolutionPrivilegeLevel,
};

/// The role the lead writer's solution brings (REFERENCE 4.6).
pub(crate) const ROLE: &str = "Marketplace Lead Writer";
/// The solution the examples build (the real lead writer solution's contents are not public).
pub(crate) const SOLUTION: &str = "MarketplaceLeadWriterExample";
/// The version the examples import.
pub(crate) const SOLUTION_VERSION: &str = "1.0.0.0";

/// The lead writer's solution: its role with the lead privileges it needs, plus reading the
/// accounts and contacts a lead may point to.
pub(crate) fn lead_writer_solution() -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    use SolutionPrivilegeLevel::Global;
    let role = [
        "prvCreateLead",
        "prvReadLead",
        "prvWriteLead",
        "prvAppendLead",
        "prvReadAccount",
        "prvAppendToAccount",
        "prvReadContact",
        "prvAppendToContact",
    ]
    .into_iter()
    .fold(RoleDefinition::new(ROLE), |role, name| {
        role.privilege(name, Global)
    });
    let publisher = Publisher::new("leadwriterexample", "Lead Writer (example)", "lwx", 72_500);
    Ok(SolutionBuilder::new(SOLUTION, SOLUTION_VERSION, publisher)
        .display_name("Marketplace Lead Writer (example)")
        .role(role)
        .build()?)
}

/// The privileges the lead writer needs beyond its role (REFERENCE 4.6): its own UI settings,
/// and the system jobs it starts.
pub(crate) fn extra_privileges() -> Vec<PrivilegeGrant> {
    let user = [
        "prvCreateUserEntityUISettings",
        "prvReadUserEntityUISettings",
        "prvWriteUserEntityUISettings",
    ]
    .map(|name| PrivilegeGrant::new(name, PrivilegeDepth::User));
    let organization = [
        "prvReadAsyncOperation",
        "prvWriteAsyncOperation",
        "prvAppendToAsyncOperation",
    ]
    .map(|name| PrivilegeGrant::new(name, PrivilegeDepth::Organization));
    user.into_iter().chain(organization).collect()
}

/// As `admin`: ensure the app's application user, import the solution, and give the user the
/// role (unless it already holds it) with the extra privileges. Returns the user's id.
pub(crate) async fn grant_lead_writer(
    admin: &DataverseClient,
    app_id: Uuid,
    poll_interval: Duration,
) -> Result<Uuid, Box<dyn std::error::Error>> {
    let user = admin.app_users().ensure(app_id).await?.user.id;
    admin
        .solutions()
        .import(lead_writer_solution()?)
        .asynchronously()
        .poll_interval(poll_interval)
        .await?;
    let role = admin
        .roles()
        .find(ROLE)
        .in_business_unit_of(Principal::User(user))
        .await?;
    let held = admin.roles().of_user(user).await?;
    if !held.iter().any(|r| r.id == role.id) {
        admin.roles().assign(role.id, Principal::User(user)).await?;
    }
    admin
        .roles()
        .add_privileges(role.root_role_id(), extra_privileges())
        .await?;
    Ok(user)
}
