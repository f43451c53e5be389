//! Tenant application identities: list, get, create, enable, disable and delete, and their
//! effect on app-only tokens.

use reqwest::Method;
use serde_json::json;

use crate::support::{ADMIN, start};

#[tokio::test]
async fn register_then_use_disable_enable_and_delete() {
    let env = start().await;
    let d = env.emu.defaults();
    let admin = env.admin_token(ADMIN).await;
    let app = env.app_token(ADMIN).await;

    // The default seed registers one placeholder identity.
    let list = env
        .get("api/v1.2/TenantApplicationIdentities", &admin)
        .await;
    assert_eq!(list.expect(200).as_array().map(Vec::len), Some(1));
    env.get("api/v1.2/Instances", &app).await.expect(403);

    let created = env
        .post(
            "api/v1.2/TenantApplicationIdentities",
            &admin,
            Some(json!({ "AadApplicationId": d.client_id, "TenantId": d.tenant_id, "Enabled": true })),
        )
        .await;
    let body = created.expect(201).clone();
    assert_eq!(body["aadApplicationId"], json!(d.client_id));
    assert_eq!(body["tenantId"], json!(d.tenant_id));
    assert_eq!(body["enabled"], json!(true));
    let id = body["id"].as_str().expect("id").to_owned();

    // The registered app's app-only token now works, on v1 and v1.2.
    env.get("api/v1.2/Instances", &app).await.expect(200);
    env.get("api/v1/Instances", &app).await.expect(200);

    // Get by identity ID and by application ID; a second registration conflicts.
    let by_id = env
        .get(
            &format!("api/v1.2/TenantApplicationIdentities/{id}"),
            &admin,
        )
        .await;
    assert_eq!(by_id.expect(200)["id"], json!(id));
    let by_app = env
        .get(
            &format!("api/v1/TenantApplicationIdentities/{}", d.client_id),
            &admin,
        )
        .await;
    assert_eq!(by_app.expect(200)["id"], json!(id));
    let again = env
        .post(
            "api/v1.2/TenantApplicationIdentities",
            &admin,
            Some(json!({ "aadApplicationId": d.client_id })),
        )
        .await;
    again.expect(409);

    // Disable: the app is refused with a message naming Enable; enable again.
    env.post(
        &format!("api/v1.2/TenantApplicationIdentities/{id}/Disable"),
        &admin,
        None,
    )
    .await
    .expect(200);
    let refused = env.get("api/v1.2/Instances", &app).await;
    refused.expect(403);
    assert!(
        refused.error_message().contains("Enable"),
        "{}",
        refused.error_message()
    );
    let listed = env
        .get("api/v1.2/TenantApplicationIdentities", &admin)
        .await;
    assert!(
        listed
            .expect(200)
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["id"] == json!(id) && i["enabled"] == json!(false))
    );
    env.post(
        &format!("api/v1.2/TenantApplicationIdentities/{id}/Enable"),
        &admin,
        None,
    )
    .await
    .expect(200);
    env.get("api/v1.2/Instances", &app).await.expect(200);

    // Delete: gone, and the app is refused again.
    let deleted = env
        .call(
            Method::DELETE,
            &format!("api/v1.2/TenantApplicationIdentities/{id}"),
            Some(&admin),
            None,
        )
        .await;
    deleted.expect(200);
    env.get(
        &format!("api/v1.2/TenantApplicationIdentities/{id}"),
        &admin,
    )
    .await
    .expect(404);
    env.get("api/v1.2/Instances", &app).await.expect(403);
}

#[tokio::test]
async fn bad_identity_requests() {
    let env = start().await;
    let admin = env.admin_token(ADMIN).await;
    let missing = env
        .post(
            "api/v1.2/TenantApplicationIdentities",
            &admin,
            Some(json!({ "Enabled": true })),
        )
        .await;
    missing.expect(400);
    assert!(
        missing.error_message().contains("AadApplicationId"),
        "{:#}",
        missing.body
    );
    let other_tenant = env
        .post(
            "api/v1.2/TenantApplicationIdentities",
            &admin,
            Some(json!({
                "AadApplicationId": "0b7c1f4e-2d3a-4b5c-8d9e-1f2a3b4c5d6e",
                "TenantId": "5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b"
            })),
        )
        .await;
    other_tenant.expect(400);
    env.post(
        "api/v1.2/TenantApplicationIdentities/5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b/Enable",
        &admin,
        None,
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn seeder_registration_lets_an_app_in() {
    let env = start().await;
    let d = env.emu.defaults();
    let app = env.app_token(ADMIN).await;
    env.get("api/v1.2/Instances", &app).await.expect(403);
    let id = env
        .emu
        .seed()
        .register_application_identity(d.tenant_id, d.client_id)
        .expect("registered");
    env.get("api/v1.2/Instances", &app).await.expect(200);
    let again = env
        .emu
        .seed()
        .register_application_identity(d.tenant_id, d.client_id)
        .expect("idempotent");
    assert_eq!(id, again);
}
