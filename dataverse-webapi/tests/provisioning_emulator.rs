//! Provisioning against the workspace's emulator, signed in as its default confidential app:
//! application users, business units, role copies per unit, teams and `$ref` associations,
//! the privilege messages (`AddPrivilegesRole`, `ReplacePrivilegesRole`, `RemovePrivilegeRole`,
//! `RetrieveRolePrivilegesRole`, `RetrieveUserPrivileges`) and `SetBusinessSystemUser`.

use std::sync::Arc;

use dataverse_webapi::provisioning::{
    AccessRight, BusinessUnit, MembershipType, Principal, PrivilegeDepth, PrivilegeGrant,
    RolePrivilege, SecurityRole, TeamType,
};
use dataverse_webapi::{ClientOptions, DataverseClient};
use dynamics_auth::{Authority, ClientSecretCredential, CredentialOptions};
use dynamics_emulator::Emulator;
use uuid::Uuid;

async fn start() -> (Emulator, DataverseClient) {
    let emu = Emulator::start().await.expect("emulator starts");
    let d = emu.defaults();
    let base = emu.base_url().as_str().trim_end_matches('/').to_owned();
    let credential = ClientSecretCredential::new(
        Authority::with_host(&base, &d.tenant_id.to_string()).expect("authority"),
        d.client_id,
        d.client_secret.clone(),
        CredentialOptions::default(),
    )
    .expect("credential");
    let client = DataverseClient::new(&base, Arc::new(credential), ClientOptions::default())
        .expect("client");
    (emu, client)
}

async fn other_unit(client: &DataverseClient, root: &BusinessUnit) -> BusinessUnit {
    client
        .business_units()
        .list()
        .await
        .expect("units")
        .into_iter()
        .find(|u| u.id != root.id)
        .expect("the default seed has a second business unit")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ensure_is_idempotent_and_disable_then_ensure_enables_again() {
    let (_emu, client) = start().await;
    let app = Uuid::new_v4();
    let users = client.app_users();
    assert!(users.find(app).await.expect("find").is_none());

    let first = users.ensure(app).await.expect("created");
    assert!(first.created);
    let root = client.business_units().root().await.expect("root");
    assert_eq!(first.user.business_unit_id, Some(root.id));
    assert_eq!(first.user.application_id, Some(app));

    let second = users.ensure(app).await.expect("adopted");
    assert!(!second.created && !second.updated);
    assert_eq!(second.user.id, first.user.id);

    let disabled = users.disable(app).await.expect("disabled");
    assert!(disabled.is_disabled);
    let found = users.find(app).await.expect("find").expect("exists");
    assert!(found.is_disabled);

    let again = users.ensure(app).await.expect("enabled again");
    assert!(again.updated && !again.user.is_disabled);
    assert_eq!(again.user.id, first.user.id);

    let listed = users.list().await.expect("list");
    assert_eq!(
        listed
            .iter()
            .filter(|u| u.application_id == Some(app))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_are_found_per_unit_and_assigned_idempotently() {
    let (_emu, client) = start().await;
    let root = client.business_units().root().await.expect("root");
    let other = other_unit(&client, &root).await;
    let roles = client.roles();
    let in_root = roles.find("Basic User").await.expect("root copy");
    assert_eq!(in_root.business_unit_id, Some(root.id));
    let in_other = roles
        .find("Basic User")
        .in_business_unit(other.id)
        .await
        .expect("other copy");
    assert_ne!(in_other.id, in_root.id);

    let err = roles
        .find("No Such Role")
        .in_business_unit(root.id)
        .await
        .expect_err("missing");
    assert!(err.is_not_found(), "{err}");

    // An application user in the other unit, given the root copy, gets its own unit's copy.
    let app = Uuid::new_v4();
    let user = client
        .app_users()
        .ensure(app)
        .business_unit(other.id)
        .await
        .expect("user")
        .user;
    let principal = Principal::User(user.id);
    let assigned = roles.assign(in_root.id, principal).await.expect("assigned");
    assert_eq!(assigned.id, in_other.id);
    let again = roles
        .assign(in_root.id, principal)
        .await
        .expect("idempotent");
    assert_eq!(again.id, in_other.id);
    let held = roles.of_user(user.id).await.expect("roles");
    assert_eq!(held.iter().filter(|r| r.id == in_other.id).count(), 1);
    let found = roles
        .find("Basic User")
        .in_business_unit_of(principal)
        .await
        .expect("by principal");
    assert_eq!(found.id, in_other.id);

    assert!(roles.remove(in_root.id, principal).await.expect("removed"));
    assert!(!roles.remove(in_root.id, principal).await.expect("no-op"));
    assert!(roles.of_user(user.id).await.expect("roles").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn business_units_and_owner_teams_with_members() {
    let (_emu, client) = start().await;
    let unit = client
        .business_units()
        .create("Marketplace")
        .await
        .expect("unit");
    let root = client.business_units().root().await.expect("root");
    assert_eq!(unit.parent_id, Some(root.id));
    let found = client
        .business_units()
        .find("Marketplace")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(found.id, unit.id);

    let team = client
        .teams()
        .create("Lead writers")
        .business_unit(unit.id)
        .await
        .expect("team");
    assert_eq!(team.team_type, Some(TeamType::Owner));
    assert_eq!(team.business_unit_id, Some(unit.id));

    let user = client
        .app_users()
        .ensure(Uuid::new_v4())
        .await
        .expect("user")
        .user;
    let teams = client.teams();
    assert_eq!(teams.add_members(team.id, [user.id]).await.expect("add"), 1);
    assert_eq!(
        teams.add_members(team.id, [user.id]).await.expect("again"),
        0
    );
    assert_eq!(
        teams.members(team.id).await.expect("members"),
        vec![user.id]
    );
    assert_eq!(
        teams.remove_members(team.id, [user.id]).await.expect("rm"),
        1
    );
    assert_eq!(
        teams.remove_members(team.id, [user.id]).await.expect("rm"),
        0
    );
}

/// A new role in the root business unit (the emulator copies it into every other unit).
async fn new_role(client: &DataverseClient, name: &str) -> SecurityRole {
    let root = client.business_units().root().await.expect("root");
    client
        .table("roles")
        .create(&serde_json::json!({
            "name": name,
            "businessunitid@odata.bind": format!("/businessunits({})", root.id),
        }))
        .await
        .expect("role created");
    client
        .roles()
        .find(name)
        .in_business_unit(root.id)
        .await
        .expect("root copy")
}

fn depth_of(privileges: &[RolePrivilege], name: &str) -> Option<PrivilegeDepth> {
    privileges
        .iter()
        .find(|p| {
            p.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|p| p.depth.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privileges_are_added_replaced_and_removed_by_name_and_by_table() {
    let (_emu, client) = start().await;
    let roles = client.roles();
    let role = new_role(&client, "Privilege editor").await;
    assert!(roles.privileges(role.id).await.expect("empty").is_empty());

    let sent = roles
        .add_privileges(
            role.id,
            [
                PrivilegeGrant::new("prvReadAsyncOperation", PrivilegeDepth::Organization),
                PrivilegeGrant::new(
                    ("asyncoperation", AccessRight::AppendTo),
                    PrivilegeDepth::ParentChild,
                ),
                PrivilegeGrant::new("prvCreateUserEntityUISettings", PrivilegeDepth::User),
            ],
        )
        .await
        .expect("added");
    assert_eq!(sent.len(), 3);
    let held = roles.privileges(role.id).await.expect("read back");
    assert_eq!(held.len(), 3, "{held:?}");
    assert_eq!(
        depth_of(&held, "prvReadAsyncOperation"),
        Some(PrivilegeDepth::Organization)
    );
    assert_eq!(
        depth_of(&held, "prvAppendToAsyncOperation"),
        Some(PrivilegeDepth::ParentChild)
    );
    assert_eq!(
        depth_of(&held, "prvCreateUserEntityUISettings"),
        Some(PrivilegeDepth::User)
    );
    for p in &held {
        assert_eq!(p.business_unit_id, role.business_unit_id, "{p:?}");
        assert!(sent.iter().any(|s| s.id == p.id), "{p:?}");
    }

    // Adding again at another depth changes the depth and keeps the others.
    roles
        .add_privileges(
            role.id,
            [PrivilegeGrant::new(
                ("asyncoperation", AccessRight::Read),
                PrivilegeDepth::BusinessUnit,
            )],
        )
        .await
        .expect("added again");
    let held = roles.privileges(role.id).await.expect("read back");
    assert_eq!(held.len(), 3, "{held:?}");
    assert_eq!(
        depth_of(&held, "prvReadAsyncOperation"),
        Some(PrivilegeDepth::BusinessUnit)
    );

    // Replace leaves exactly the privileges sent.
    roles
        .replace_privileges(
            role.id,
            [PrivilegeGrant::new(
                ("lead", AccessRight::Create),
                PrivilegeDepth::User,
            )],
        )
        .await
        .expect("replaced");
    let held = roles.privileges(role.id).await.expect("read back");
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(depth_of(&held, "prvCreateLead"), Some(PrivilegeDepth::User));

    // Remove by (table, right), idempotently; by name too.
    assert!(
        roles
            .remove_privilege(role.id, ("lead", AccessRight::Create))
            .await
            .expect("removed")
    );
    assert!(
        !roles
            .remove_privilege(role.id, "prvCreateLead")
            .await
            .expect("no-op")
    );
    assert!(roles.privileges(role.id).await.expect("empty").is_empty());

    let err = roles
        .add_privileges(
            role.id,
            [PrivilegeGrant::new("prvFlyToTheMoon", PrivilegeDepth::User)],
        )
        .await
        .expect_err("unknown privilege");
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_privileges_include_those_of_its_teams_roles() {
    let (_emu, client) = start().await;
    let role = new_role(&client, "Job reader").await;
    client
        .roles()
        .add_privileges(
            role.id,
            [PrivilegeGrant::new(
                "prvReadAsyncOperation",
                PrivilegeDepth::Organization,
            )],
        )
        .await
        .expect("added");
    let user = client
        .app_users()
        .ensure(Uuid::new_v4())
        .await
        .expect("user")
        .user;
    let users = client.users();
    assert!(
        depth_of(
            &users.privileges(user.id).await.expect("none"),
            "prvReadAsyncOperation"
        )
        .is_none()
    );

    let team = client.teams().create("Job readers").await.expect("team");
    client
        .roles()
        .assign(role.id, Principal::Team(team.id))
        .await
        .expect("team role");
    client
        .teams()
        .add_members(team.id, [user.id])
        .await
        .expect("member");
    let held = users.privileges(user.id).await.expect("through the team");
    assert_eq!(
        depth_of(&held, "prvReadAsyncOperation"),
        Some(PrivilegeDepth::Organization),
        "{held:?}"
    );
    assert_eq!(
        client
            .roles()
            .of_team(team.id)
            .await
            .expect("team roles")
            .iter()
            .map(|r| r.id)
            .collect::<Vec<_>>(),
        vec![role.id]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_business_system_user_moves_the_user_and_drops_its_roles() {
    let (_emu, client) = start().await;
    let root = client.business_units().root().await.expect("root");
    let other = other_unit(&client, &root).await;
    let user = client
        .app_users()
        .ensure(Uuid::new_v4())
        .await
        .expect("user")
        .user;
    let basic = client.roles().find("Basic User").await.expect("role");
    client
        .roles()
        .assign(basic.id, Principal::User(user.id))
        .await
        .expect("assigned");
    assert_eq!(
        client.roles().of_user(user.id).await.expect("roles").len(),
        1
    );

    client
        .users()
        .move_to_business_unit(user.id, other.id)
        .await
        .expect("moved");
    let moved = client.app_users().get(user.id).await.expect("user");
    assert_eq!(moved.business_unit_id, Some(other.id));
    assert!(
        client
            .roles()
            .of_user(user.id)
            .await
            .expect("roles")
            .is_empty(),
        "the classic model drops the roles of the old unit"
    );

    // Ensuring the same app in the root unit moves it back.
    let app = user.application_id.expect("app id");
    let back = client
        .app_users()
        .ensure(app)
        .business_unit(root.id)
        .await
        .expect("moved back");
    assert!(back.updated && !back.created);
    assert_eq!(back.user.business_unit_id, Some(root.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_group_teams_keep_their_group_and_membership_type() {
    let (_emu, client) = start().await;
    let group = Uuid::new_v4();
    let team = client
        .teams()
        .create("Sales group")
        .entra_security_group(group)
        .membership(MembershipType::Members)
        .await
        .expect("group team");
    assert_eq!(team.team_type, Some(TeamType::EntraSecurityGroup));
    assert_eq!(team.entra_group_id, Some(group));
    assert_eq!(team.membership_type, Some(MembershipType::Members));

    let office = Uuid::new_v4();
    let team = client
        .teams()
        .create("Office group")
        .entra_office_group(office)
        .await
        .expect("office team");
    assert_eq!(team.team_type, Some(TeamType::EntraOfficeGroup));
    assert_eq!(team.entra_group_id, Some(office));
    let found = client
        .teams()
        .find("Office group")
        .await
        .expect("find")
        .expect("exists");
    assert_eq!(found.id, team.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_ensures_of_one_app_yield_one_user() {
    let (_emu, client) = start().await;
    let app = Uuid::new_v4();
    let users = client.app_users();
    let (a, b) = tokio::join!(users.ensure(app).send(), users.ensure(app).send());
    let (a, b) = (a.expect("first ensure"), b.expect("second ensure"));
    assert_eq!(a.user.id, b.user.id);
    assert!(a.created || b.created);
    let listed = users.list().await.expect("list");
    assert_eq!(
        listed
            .iter()
            .filter(|u| u.application_id == Some(app))
            .count(),
        1
    );

    // A direct second create is the service's 412 0x80040237, which ensure never surfaces.
    let root = client.business_units().root().await.expect("root");
    let err = client
        .table("systemusers")
        .create(&serde_json::json!({
            "applicationid": app,
            "accessmode": 4,
            "businessunitid@odata.bind": format!("/businessunits({})", root.id),
        }))
        .await
        .expect_err("duplicate");
    assert!(err.is_precondition_failed(), "{err}");
    assert!(err.to_string().contains("0x80040237"), "{err}");
    assert!(!users.ensure(app).await.expect("adopted").created);
}
