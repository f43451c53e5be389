//! Workflow: force-sync a user into an environment (`force_sync_user`): the admin registers
//! the app, the app starts `ApplyUser`, waits for the operation, and the user becomes a
//! `systemuser` row in the environment's Dataverse org.

mod common;

use dynamics_rs::dataverse::{Filter, Query, Record};
use futures::TryStreamExt;

#[tokio::test]
async fn user_is_synced_into_the_environment_and_appears_in_dataverse() {
    let emulator = common::start().await;
    let seed = emulator.defaults().clone();
    let user = seed.non_admin_user.object_id;
    assert!(
        !emulator
            .seed()
            .environment_users(seed.instance_id)
            .contains(&user),
        "the user starts outside the environment"
    );

    common::admin_api(common::admin_client(&emulator, common::admin_user(&emulator)).await)
        .register_application(seed.client_id)
        .tenant_id(seed.tenant_id)
        .await
        .expect("register");
    let as_app = common::admin_client(&emulator, common::app_secret(&emulator)).await;

    let instance = as_app
        .get_instance(seed.instance_id)
        .await
        .expect("get instance");
    assert_eq!(instance.id, seed.instance_id);

    common::admin_api(as_app)
        .force_sync_user(seed.instance_id, user)
        .wait(common::quick_wait())
        .await
        .expect("force sync");
    assert!(
        emulator
            .seed()
            .environment_users(seed.instance_id)
            .contains(&user),
        "the user is in the environment afterwards"
    );

    let dataverse = common::dataverse_client(&emulator);
    let query = Query::new("systemusers")
        .select(["fullname", "azureactivedirectoryobjectid"])
        .filter(Filter::eq("azureactivedirectoryobjectid", user));
    let rows: Vec<Record> = dataverse
        .records(&query)
        .try_collect()
        .await
        .expect("query");
    assert_eq!(
        rows.len(),
        1,
        "exactly one systemuser row for the synced user"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn polling_the_operation_by_hand_ends_in_success() {
    let emulator = common::start().await;
    let seed = emulator.defaults().clone();
    common::admin_api(common::admin_client(&emulator, common::admin_user(&emulator)).await)
        .register_application(seed.client_id)
        .tenant_id(seed.tenant_id)
        .await
        .expect("register");
    let as_app = common::admin_client(&emulator, common::app_secret(&emulator)).await;
    let poller = as_app
        .apply_user(seed.instance_id, seed.non_admin_user.object_id)
        .await
        .expect("ApplyUser starts");
    assert!(!poller.operation_id().is_nil());
    let done = poller
        .wait_with(common::quick_wait())
        .await
        .expect("finishes");
    assert!(done.is_success(), "succeeded, got {:?}", done.status);
    assert!(
        emulator
            .seed()
            .environment_users(seed.instance_id)
            .contains(&seed.non_admin_user.object_id)
    );
    emulator.shutdown().await;
}
