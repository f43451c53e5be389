//! The read-only catalogues, protection keys and notifications: every GET answers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::support::{ADMIN, start};

#[tokio::test]
async fn catalogues_answer_in_both_versions() {
    let env = start().await;
    let token = env.admin_token(ADMIN).await;
    let currencies = env.get("api/v1/Currencies", &token).await;
    assert_eq!(
        currencies.expect(200)[0]["currencies"][0]["code"],
        json!("USD")
    );

    let versions = env.get("api/v1.2/ServiceVersions", &token).await;
    let release = versions.expect(200)[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    env.get("api/v1.2/Languages", &token).await.expect(400);
    env.get(
        "api/v1.2/Languages?releaseId=5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b",
        &token,
    )
    .await
    .expect(404);
    let languages = env
        .get(&format!("api/v1/Languages?releaseId={release}"), &token)
        .await;
    assert_eq!(languages.expect(200)[0]["lcid"], json!(1033));

    let v1 = env.get("api/v1/Templates", &token).await;
    assert_eq!(
        v1.expect(200)[0]["supportedServiceVersions"][0],
        json!(release)
    );
    let v12 = env.get("api/v1.2/Templates", &token).await;
    assert_eq!(
        v12.expect(200)[0]["supportedReleases"][0]["id"],
        json!(release)
    );

    let types = env.get("api/v1.2/InstanceTypeInfo", &token).await;
    let production = types
        .expect(200)
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["type"] == json!("Production"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(production["consumed"], json!(1));
    assert_eq!(production["total"], json!(2));
    let v1_types = env.get("api/v1/InstanceTypeInfo", &token).await;
    assert!(
        v1_types
            .expect(200)
            .as_array()
            .into_iter()
            .flatten()
            .all(|t| t["type"].is_number())
    );
    let sandbox = env.get("api/v1.2/InstanceTypeInfo/sandbox", &token).await;
    assert_eq!(sandbox.expect(200)["type"], json!("Sandbox"));
    let by_number = env.get("api/v1/InstanceTypeInfo/2", &token).await;
    assert_eq!(by_number.expect(200)["type"], json!(2));
    env.get("api/v1.2/InstanceTypeInfo/Support", &token)
        .await
        .expect(404);
    env.get("api/v1/InstanceTypeInfo/Developer", &token)
        .await
        .expect(404);
}

#[tokio::test]
async fn protection_keys_import_activate_and_generate() {
    let env = start().await;
    let token = env.admin_token(ADMIN).await;
    assert_eq!(
        env.get("api/v1.2/Keys", &token).await.expect(200),
        &json!([])
    );
    env.get("api/v1.2/Keys/RetrieveTenantKey", &token)
        .await
        .expect(404);
    env.get("api/v1/Keys", &token).await.expect(404);

    let imported = env
        .post(
            "api/v1.2/Keys/Import",
            &token,
            Some(json!({ "KeyName": "contosoKey", "KeyType": 0, "Key": STANDARD.encode(b"key bytes") })),
        )
        .await;
    assert_eq!(imported.expect(200)["status"], json!("Succeeded"));
    assert_eq!(
        imported.body["context"]["items"]["importKeyState"],
        json!("Ready")
    );
    let duplicate = env
        .post(
            "api/v1.2/Keys/Import",
            &token,
            Some(json!({ "KeyName": "contosoKey", "Key": STANDARD.encode(b"x") })),
        )
        .await;
    assert_eq!(
        duplicate.expect(400)["errors"][0]["code"],
        json!("KeyAlreadyExists")
    );

    env.post(
        "api/v1.2/Keys/otherKey/SetTenantProtectionKey",
        &token,
        None,
    )
    .await
    .expect(400);
    let started = env
        .post(
            "api/v1.2/Keys/contosoKey/SetTenantProtectionKey",
            &token,
            None,
        )
        .await;
    started.expect(202);
    let location = started
        .header("operation-location")
        .expect("location")
        .to_owned();
    let (ended, _) = env.poll_to_end(&location, &token).await;
    assert_eq!(ended.body["status"], json!("Succeeded"));
    let active = env.get("api/v1.2/Keys/RetrieveTenantKey", &token).await;
    assert_eq!(active.expect(200)["keyName"], json!("contosoKey"));
    assert_eq!(
        active.body["keyState"],
        json!(3),
        "Active, an integer as in the spec example"
    );

    let generated = env
        .post(
            "api/v1.2/Keys/Generate",
            &token,
            Some(json!({ "SubjectName": "CN=contoso", "KeyPassword": "pw" })),
        )
        .await;
    let pfx = generated.expect(200).as_str().map(|b| STANDARD.decode(b));
    assert!(matches!(pfx, Some(Ok(bytes)) if bytes.len() > 100));
    env.post("api/v1.2/Keys/Generate", &token, Some(json!({})))
        .await
        .expect(400);
}

#[tokio::test]
async fn notifications_are_posted_then_listed() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(ADMIN).await;
    let started = env
        .post(
            "api/v1.2/Notifications",
            &token,
            Some(json!({
                "Environments": [{ "Id": d.instance_id, "Name": "Contoso" }],
                "Priority": "High",
                "Content": { "TemplateId": "maintenance", "Slugs": { "when": "Sunday" } }
            })),
        )
        .await;
    started.expect(202);
    let location = started
        .header("operation-location")
        .expect("location")
        .to_owned();
    env.poll_to_end(&location, &token).await;

    let list = env
        .get(
            &format!(
                "api/v1.2/Notifications/{}/{}?environments={}",
                d.tenant_id, d.user.object_id, d.instance_id
            ),
            &token,
        )
        .await;
    let notification = &list.expect(200)[0];
    assert_eq!(notification["priority"], json!("High"));
    assert_eq!(notification["adminId"], json!(d.user.object_id));
    assert_eq!(notification["content"]["slugs"]["when"], json!("Sunday"));

    env.get(
        &format!(
            "api/v1.2/Notifications/{}/{}",
            d.tenant_id, d.user.object_id
        ),
        &token,
    )
    .await
    .expect(400);
    env.post(
        "api/v1.2/Notifications",
        &token,
        Some(json!({ "Environments": [{ "Id": "5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b" }] })),
    )
    .await
    .expect(404);
}
