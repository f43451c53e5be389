//! Provisioning against the workspace's emulator, signed in as its default confidential app:
//! what the emulator serves today (system users, business units, role copies per unit, teams
//! and `$ref` associations). Privilege messages and `SetBusinessSystemUser` are covered by
//! the wiremock tests in `provisioning.rs`.

use std::sync::Arc;

use dataverse_webapi::provisioning::{BusinessUnit, Principal, TeamType};
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
