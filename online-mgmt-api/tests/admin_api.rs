//! The backend-neutral admin API over each backend.

mod common;

use std::time::Duration;

use online_mgmt_api::{
    AdminApi, AdminBackend, AdminError, ApiVersion, EnvironmentName, WaitOptions,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use common::*;

const IDENTITIES: &str = "/api/v1.2/TenantApplicationIdentities";
const APPS_PATH: &str = "/providers/Microsoft.BusinessAppPlatform/adminApplications";

#[tokio::test]
async fn oma_register_twice_is_idempotent() {
    let t = oma(ApiVersion::V1_2).await;
    // First list: empty; after the create, the new identity is listed.
    Mock::given(method("GET"))
        .and(path(IDENTITIES))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(IDENTITIES))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!("[{}]", fixture("identity-created-v1.2.json")),
            "application/json",
        ))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path(IDENTITIES))
        .respond_with(json_status(201, "identity-created-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::OnlineManagement(t.client.clone()));
    let first = api
        .register_application(uuid(NEW_APP))
        .tenant_id(uuid(TENANT))
        .await
        .expect("registered");
    let second = api
        .register_application(uuid(NEW_APP))
        .tenant_id(uuid(TENANT))
        .await
        .expect("already registered");
    assert_eq!(first, second);
    assert_eq!(first.application_id, uuid(NEW_APP));
    assert_eq!(first.tenant_id, Some(uuid(TENANT)));
    assert_eq!(first.enabled, Some(true));
    assert_eq!(
        first.registration_id,
        Some(uuid("5f2c1d3e-0000-4000-8000-000000000002"))
    );
}

#[tokio::test]
async fn oma_a_conflicting_create_returns_the_existing_registration() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path(IDENTITIES))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .up_to_n_times(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(IDENTITIES))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!("[{}]", fixture("identity-created-v1.2.json")),
            "application/json",
        ))
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path(IDENTITIES))
        .respond_with(
            ResponseTemplate::new(409).set_body_json(json!({"Message": "already exists"})),
        )
        .expect(1)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::OnlineManagement(t.client));
    let app = api
        .register_application(uuid(NEW_APP))
        .tenant_id(uuid(TENANT))
        .await
        .expect("found after the conflict");
    assert_eq!(app.application_id, uuid(NEW_APP));
}

#[tokio::test]
async fn oma_unregister_deletes_by_registration_id_or_says_not_registered() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("GET"))
        .and(path(IDENTITIES))
        .respond_with(json("identities-v1.2.json"))
        .expect(3)
        .mount(&t.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{IDENTITIES}/{IDENTITY}")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::OnlineManagement(t.client));
    api.unregister_application(uuid(APP))
        .await
        .expect("removed");
    let err = api
        .unregister_application(uuid(NEW_APP))
        .await
        .expect_err("unknown");
    assert!(
        matches!(err, AdminError::NotRegistered { application_id } if application_id == uuid(NEW_APP)),
        "{err:?}"
    );
    assert!(err.is_not_found());
    assert!(err.to_string().contains(NEW_APP));
    let listed = api.list_applications().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].application_id, uuid(APP));
}

#[tokio::test]
async fn oma_force_sync_applies_the_user_and_waits() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/v1.2/Instances/{INSTANCE}/Users/{USER}/ApplyUser"
        )))
        .respond_with(
            json_status(202, "apply-user-202-v1.2.json").insert_header("Retry-After", "2"),
        )
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1.2/Operation/{OPERATION}")))
        .respond_with(json("operation-succeeded-v1.2.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::OnlineManagement(t.client));
    api.force_sync_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("synced");
    assert_eq!(t.clock.sleeps(), vec![Duration::from_secs(2)]);
}

#[tokio::test]
async fn bap_register_twice_is_idempotent_and_unregister_unknown_is_not_registered() {
    let t = bap().await;
    Mock::given(method("PUT"))
        .and(path(format!("{APPS_PATH}/{NEW_APP}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"applicationId": NEW_APP})))
        .expect(2)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{APPS_PATH}/{APP}")))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(APPS_PATH))
        .respond_with(json("bap-admin-applications.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::PowerPlatform(t.client));
    let a = api
        .register_application(uuid(NEW_APP))
        .tenant_id(uuid(TENANT))
        .await
        .expect("one");
    // BAP takes the tenant from the token: no tenant id needed.
    let b = api.register_application(uuid(NEW_APP)).await.expect("two");
    assert_eq!(a, b);
    assert_eq!(a.tenant_id, None, "BAP does not report it");
    let err = api
        .unregister_application(uuid(APP))
        .await
        .expect_err("unknown");
    assert!(matches!(err, AdminError::NotRegistered { .. }), "{err:?}");
    assert_eq!(api.list_applications().await.expect("list").len(), 2);
}

#[tokio::test]
async fn bap_unregister_known_deletes() {
    let t = bap().await;
    Mock::given(method("GET"))
        .and(path(format!("{APPS_PATH}/{APP}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"applicationId": APP})))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{APPS_PATH}/{APP}")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::PowerPlatform(t.client));
    api.unregister_application(uuid(APP))
        .await
        .expect("removed");
}

#[tokio::test]
async fn bap_force_sync_waits_for_the_license_to_propagate() {
    let t = bap().await;
    let add_user = format!(
        "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments/{INSTANCE}/addUser"
    );
    Mock::given(method("POST"))
        .and(path(add_user.as_str()))
        .respond_with(json_status(400, "bap-user-not-licensed.json"))
        .up_to_n_times(2)
        .expect(2)
        .mount(&t.server)
        .await;
    Mock::given(method("POST"))
        .and(path(add_user.as_str()))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::PowerPlatform(t.client));
    api.force_sync_user(uuid(INSTANCE), uuid(USER))
        .await
        .expect("synced");
    assert_eq!(
        t.clock.sleeps(),
        vec![Duration::from_secs(10), Duration::from_secs(10)]
    );
}

#[tokio::test]
async fn bap_force_sync_gives_up_at_the_timeout() {
    let t = bap().await;
    Mock::given(method("POST"))
        .respond_with(json_status(400, "bap-user-not-licensed.json"))
        .expect(3)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::PowerPlatform(t.client));
    let err = api
        .force_sync_user(uuid(INSTANCE), uuid(USER))
        .wait(WaitOptions {
            timeout: Duration::from_secs(25),
            ..Default::default()
        })
        .await
        .expect_err("still not licensed");
    assert!(err.is_user_not_licensed());
}

#[tokio::test]
async fn oma_register_without_a_tenant_says_to_set_it_and_sends_nothing() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::OnlineManagement(t.client));
    let err = api
        .register_application(uuid(NEW_APP))
        .send()
        .await
        .expect_err("the Online Management API needs the tenant");
    assert!(matches!(err, AdminError::InvalidInput { .. }), "{err:?}");
    let fix = err.hint().expect("a fix");
    assert!(fix.contains(".tenant_id("), "{fix}");
    assert!(fix.contains("Directory (tenant) ID"), "{fix}");
}

#[tokio::test]
async fn oma_force_sync_into_a_default_environment_name_is_refused_before_sending() {
    let t = oma(ApiVersion::V1_2).await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&t.server)
        .await;
    let api = AdminApi::new(AdminBackend::OnlineManagement(t.client));
    let err = api
        .force_sync_user(EnvironmentName::default_of(uuid(TENANT)), uuid(USER))
        .await
        .expect_err("the Online Management API takes instance ids");
    assert!(matches!(err, AdminError::InvalidInput { .. }), "{err:?}");
    assert!(err.hint().expect("fix").contains("instance id"), "{err}");
}
