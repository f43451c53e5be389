//! Workflow: set up the lead writer's application user (`application_user`) on the emulator,
//! with security enforced for it: the 403 before it holds a role, then the solution's role and
//! the extra privileges, then what the app may and may not do.

mod common;

use std::sync::Arc;

use dynamics_emulator::{AppSeed, Emulator, SecretSeed};
use dynamics_rs::auth::{Authority, ClientSecretCredential, CredentialOptions, Uuid};
use dynamics_rs::dataverse::provisioning::{
    EnsuredAppUser, Principal, PrivilegeDepth, PrivilegeGrant,
};
use dynamics_rs::dataverse::solutions::{
    MIN_POLL_INTERVAL, Publisher, RoleDefinition, SolutionBuilder, SolutionPrivilegeLevel,
};
use dynamics_rs::dataverse::{ClientOptions, DataverseClient, Record};

const ROLE: &str = "Marketplace Lead Writer";
const SOLUTION: &str = "MarketplaceLeadWriterExample";
const APP_ID: Uuid = Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_0000000000a1);
const APP_SECRET: &str = "lead-writer-test-secret";

/// Registers the lead writer app in the emulator's directory and signs it in app-only.
fn lead_writer_app(emulator: &Emulator) -> DataverseClient {
    let seed = emulator.defaults();
    emulator
        .seed()
        .add_app(
            seed.tenant_id,
            AppSeed {
                secrets: vec![SecretSeed::new(APP_SECRET)],
                ..AppSeed::new(APP_ID, "Marketplace Lead Writer")
            },
        )
        .expect("the app registers in the seeded tenant");
    let authority = Authority::with_host(emulator.base_url().as_str(), &seed.tenant_id.to_string())
        .expect("valid authority");
    let credential = ClientSecretCredential::new(
        authority,
        APP_ID,
        APP_SECRET.to_string(),
        CredentialOptions::default(),
    )
    .expect("valid client secret credential");
    DataverseClient::new(
        seed.dataverse_url.as_str(),
        Arc::new(credential),
        ClientOptions::default(),
    )
    .expect("valid Dataverse client")
}

fn solution() -> Vec<u8> {
    let role = [
        "prvCreateLead",
        "prvReadLead",
        "prvWriteLead",
        "prvAppendLead",
    ]
    .into_iter()
    .fold(RoleDefinition::new(ROLE), |role, name| {
        role.privilege(name, SolutionPrivilegeLevel::Global)
    });
    SolutionBuilder::new(
        SOLUTION,
        "1.0.0.0",
        Publisher::new("leadwriterexample", "Lead Writer (example)", "lwx", 72_500),
    )
    .role(role)
    .build()
    .expect("the solution package builds")
}

fn extra_privileges() -> Vec<PrivilegeGrant> {
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

/// The setup after the application user exists: import, find the role in the user's unit,
/// assign it, add the extra privileges. Answers the role assigned.
async fn give_role(admin: &DataverseClient, user: Uuid) -> Uuid {
    let outcome = admin
        .solutions()
        .import(solution())
        .asynchronously()
        .poll_interval(MIN_POLL_INTERVAL)
        .await
        .expect("the solution imports");
    assert_eq!(outcome.solution_unique_name.as_deref(), Some(SOLUTION));
    let role = admin
        .roles()
        .find(ROLE)
        .in_business_unit_of(Principal::User(user))
        .await
        .expect("the imported role is in the user's business unit");
    let assigned = admin
        .roles()
        .assign(role.id, Principal::User(user))
        .await
        .expect("assign the role");
    assert_eq!(assigned.id, role.id);
    let added = admin
        .roles()
        .add_privileges(role.root_role_id(), extra_privileges())
        .await
        .expect("add the extra privileges by name");
    assert_eq!(added.len(), 6);
    role.id
}

async fn ensure(admin: &DataverseClient) -> EnsuredAppUser {
    admin
        .app_users()
        .ensure(APP_ID)
        .await
        .expect("ensure the application user")
}

#[tokio::test]
async fn app_user_is_refused_without_a_role_and_writes_leads_with_it() {
    let emulator = common::start().await;
    let admin = common::dataverse_client(&emulator);
    let app = lead_writer_app(&emulator);

    let ensured = ensure(&admin).await;
    assert!(ensured.created, "a new application user");
    let user = ensured.user.id;
    assert_eq!(ensured.user.application_id, Some(APP_ID));
    assert_eq!(app.who_am_i().await.expect("WhoAmI").user_id, user);

    // Before: no role at all.
    let leads_before = emulator.seed().row_count("leads");
    let refused = app
        .table("leads")
        .create(&Record::new().with("subject", "before the role"))
        .await
        .expect_err("no role, no lead");
    assert_eq!(refused.status(), Some(403), "{refused}");
    assert_eq!(refused.code(), Some("0x80042f09"), "{refused}");
    assert!(
        refused
            .to_string()
            .contains("no roles are assigned to user"),
        "{refused}"
    );
    assert_eq!(emulator.seed().row_count("leads"), leads_before);

    let role = give_role(&admin, user).await;
    let held = admin
        .roles()
        .of_user(user)
        .await
        .expect("roles of the user");
    assert_eq!(
        held.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![role],
        "exactly the lead writer role"
    );
    let privileges = admin
        .users()
        .privileges(user)
        .await
        .expect("the user's privileges");
    let depth = |name: &str| {
        privileges
            .iter()
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.depth.clone())
    };
    assert_eq!(depth("prvCreateLead"), Some(PrivilegeDepth::Organization));
    assert_eq!(
        depth("prvWriteUserEntityUISettings"),
        Some(PrivilegeDepth::User)
    );
    assert_eq!(
        depth("prvAppendToAsyncOperation"),
        Some(PrivilegeDepth::Organization)
    );
    assert_eq!(depth("prvDeleteAccount"), None);

    // After: a lead, owned by the app's user; no account deletion.
    let lead = app
        .table("leads")
        .create(&Record::new().with("subject", "after the role"))
        .await
        .expect("the role allows creating leads");
    let stored = app
        .table("leads")
        .retrieve(lead)
        .select(["subject", "_ownerid_value"])
        .await
        .expect("the role allows reading leads");
    assert_eq!(stored.get_str("subject"), Some("after the role"));
    assert_eq!(stored.get_guid("_ownerid_value"), Some(user));

    let account = admin
        .table("accounts")
        .create(&Record::new().with("name", "Probe"))
        .await
        .expect("the administrator creates an account");
    let accounts = emulator.seed().row_count("accounts");
    let refused = app
        .table("accounts")
        .delete(account)
        .await
        .expect_err("the role has no prvDeleteAccount");
    assert_eq!(refused.status(), Some(403), "{refused}");
    assert_eq!(refused.code(), Some("0x80040220"), "{refused}");
    assert!(
        refused.to_string().contains("prvDeleteAccount"),
        "{refused}"
    );
    assert_eq!(emulator.seed().row_count("accounts"), accounts);
    emulator.shutdown().await;
}

#[tokio::test]
async fn setting_up_twice_changes_nothing_the_second_time() {
    let emulator = common::start().await;
    let admin = common::dataverse_client(&emulator);
    let app = lead_writer_app(&emulator);

    let first = ensure(&admin).await;
    let role = give_role(&admin, first.user.id).await;
    let second = ensure(&admin).await;
    assert!(!second.created && !second.updated, "adopted as it was");
    assert_eq!(second.user.id, first.user.id);
    assert_eq!(give_role(&admin, second.user.id).await, role);

    assert_eq!(emulator.seed().solution_imports(), 2);
    let users = emulator
        .seed()
        .rows("systemusers")
        .into_iter()
        .filter(|u| u["applicationid"].as_str() == Some(&APP_ID.to_string()))
        .count();
    assert_eq!(users, 1, "one application user for the app");
    let held = admin
        .roles()
        .of_user(first.user.id)
        .await
        .expect("roles of the user");
    assert_eq!(held.len(), 1, "the role is held once");
    // The re-import set the role's privileges back to the package's; the second run added
    // the extras again.
    let privileges = admin
        .users()
        .privileges(first.user.id)
        .await
        .expect("the user's privileges");
    assert!(
        privileges
            .iter()
            .any(|p| p.name.as_deref() == Some("prvReadAsyncOperation"))
    );
    app.table("leads")
        .create(&Record::new().with("subject", "second run"))
        .await
        .expect("the app still writes leads");
    emulator.shutdown().await;
}
