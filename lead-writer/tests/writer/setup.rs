//! `lead_writer::setup` against the emulator: the first run sets everything up, the second
//! changes nothing, and the app can then write leads.

use std::time::Duration;

use dataverse_webapi::provisioning::PrivilegeDepth;
use dynamics_emulator::{AppSeed, SecretSeed};
use lead_writer::setup::{self, EXTRA_PRIVILEGES, ROLE_NAME, ROLE_PRIVILEGES, SetupOptions};
use lead_writer::{Mapping, Writer, WriterOptions};
use uuid::Uuid;

use super::support::{TempSpool, admin_client, client_as, drain, emulator, enqueue};

#[tokio::test]
async fn setup_is_idempotent_and_the_role_holds_every_privilege() {
    const APP: Uuid = Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_0000000000d1);
    const SECRET: &str = "setup-test-secret";
    let emulator = emulator().await;
    emulator
        .seed()
        .add_app(
            emulator.defaults().tenant_id,
            AppSeed {
                secrets: vec![SecretSeed::new(SECRET)],
                ..AppSeed::new(APP, "Marketplace Lead Writer")
            },
        )
        .expect("the app registers");
    let admin = admin_client(&emulator);
    let options = SetupOptions::new(APP).poll_interval(Duration::from_millis(50));

    let first = setup::run(&admin, &options).await.expect("setup runs");
    assert!(first.user_created, "{first:?}");
    assert!(first.solution_imported && first.role_assigned, "{first:?}");
    assert_eq!(first.privileges_added.len(), EXTRA_PRIVILEGES.len());
    assert!(first.changed());

    let second = setup::run(&admin, &options)
        .await
        .expect("setup runs again");
    assert!(
        !second.changed(),
        "the second run changed something: {second:?}"
    );
    assert_eq!(
        (second.user_id, second.role_id),
        (first.user_id, first.role_id)
    );
    assert!(second.to_string().contains("Nothing to change"));

    // The role the user holds carries the lead privileges and the extra ones at their depths.
    let roles = admin.roles();
    let held = roles.of_user(first.user_id).await.unwrap();
    let role = held
        .iter()
        .find(|r| r.name.as_deref() == Some(ROLE_NAME))
        .expect("the user holds the role");
    let privileges = roles.privileges(role.root_role_id()).await.unwrap();
    for name in ROLE_PRIVILEGES {
        let id = roles.resolve_privilege(&name.into()).await.unwrap().id;
        assert!(privileges.iter().any(|p| p.id == id), "{name} is missing");
    }
    for (name, depth) in EXTRA_PRIVILEGES {
        let id = roles.resolve_privilege(&name.into()).await.unwrap().id;
        let wanted: PrivilegeDepth = depth.privilege_depth();
        assert!(
            privileges.iter().any(|p| p.id == id && p.depth == wanted),
            "{name} is missing at {wanted:?}"
        );
    }

    // And the app, so set up, writes leads.
    let before = emulator.seed().row_count("leads");
    let dir = TempSpool::new();
    let spool = dir.open().await;
    enqueue(&spool, 2).await;
    let writer = Writer::start(
        client_as(&emulator, APP, SECRET),
        spool.clone(),
        WriterOptions::new("setup-test", Mapping::default()),
    )
    .await
    .expect("the writer starts as the set-up app");
    drain(&writer, &spool).await;
    assert_eq!(emulator.seed().row_count("leads"), before + 2);
}
