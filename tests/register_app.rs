//! Workflow: an administrator registers an application with the Online Management API
//! (`whitelist_app`), lists the registrations (`list_apps`) and removes it (`unregister_app`).

mod common;

use dynamics_rs::admin::AdminError;

#[tokio::test]
async fn admin_registers_lists_and_unregisters_an_application() {
    let emulator = common::start().await;
    let seed = emulator.defaults().clone();
    let client = common::admin_client(&emulator, common::admin_user(&emulator)).await;
    let api = common::admin_api(client);

    let before = api.list_applications().await.expect("list before");
    assert!(
        before.iter().all(|a| a.application_id != seed.client_id),
        "the seeded app starts unregistered"
    );

    let registered = api
        .register_application(seed.client_id)
        .tenant_id(seed.tenant_id)
        .await
        .expect("register");
    assert_eq!(registered.application_id, seed.client_id);

    // Registering again is idempotent: same application, still one registration.
    let again = api
        .register_application(seed.client_id)
        .tenant_id(seed.tenant_id)
        .await
        .expect("register again");
    assert_eq!(again.application_id, seed.client_id);

    let listed = api.list_applications().await.expect("list after register");
    assert_eq!(
        listed
            .iter()
            .filter(|a| a.application_id == seed.client_id)
            .count(),
        1,
        "the registered app is listed exactly once"
    );
    assert_eq!(listed.len(), before.len() + 1);

    api.unregister_application(seed.client_id)
        .await
        .expect("unregister");
    let after = api
        .list_applications()
        .await
        .expect("list after unregister");
    assert!(after.iter().all(|a| a.application_id != seed.client_id));
    assert_eq!(after.len(), before.len());

    let second = api
        .unregister_application(seed.client_id)
        .await
        .expect_err("a second unregister must fail");
    assert!(
        matches!(&second, AdminError::NotRegistered { application_id } if *application_id == seed.client_id),
        "typed not-registered error, got {second:?}"
    );
    assert!(second.is_not_found());
    emulator.shutdown().await;
}

#[tokio::test]
async fn registered_application_can_then_call_the_admin_api_app_only() {
    let emulator = common::start().await;
    let seed = emulator.defaults().clone();
    let admin =
        common::admin_api(common::admin_client(&emulator, common::admin_user(&emulator)).await);
    admin
        .register_application(seed.client_id)
        .tenant_id(seed.tenant_id)
        .await
        .expect("register");

    let as_app = common::admin_client(&emulator, common::app_secret(&emulator)).await;
    let instances = as_app
        .list_instances()
        .await
        .expect("app-only list instances");
    assert!(
        instances.iter().any(|i| i.id == seed.instance_id),
        "the seeded environment is visible to the registered app"
    );
    emulator.shutdown().await;
}
