//! Instances: reads in both versions, backups, restore, reset, delete, admin mode and
//! configuration.

use dynamics_emulator::{InstanceSeed, InstanceType};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::support::{ADMIN, Env, start};

/// Adds a sandbox with the default admin in it and returns its ID.
fn add_sandbox(env: &Env, domain: &str) -> Uuid {
    let d = env.emu.defaults();
    let id = Uuid::new_v4();
    env.emu
        .seed()
        .add_instance(
            d.tenant_id,
            InstanceSeed {
                instance_type: InstanceType::Sandbox,
                friendly_name: format!("Sandbox {domain}"),
                users: vec![d.user.object_id],
                ..InstanceSeed::new(id, domain)
            },
        )
        .expect("sandbox");
    id
}

/// Starts an operation with `method` on `path` and polls it to its end; returns the last body.
async fn run(
    env: &Env,
    token: &str,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let started = env.call(method, path, Some(token), body).await;
    started.expect(202);
    let location = started
        .header("operation-location")
        .expect("location")
        .to_owned();
    env.poll_to_end(&location, token).await.0.body
}

#[tokio::test]
async fn the_default_instance_in_both_versions() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(ADMIN).await;
    let v1 = env.get("api/v1/Instances", &token).await;
    let instance = &v1.expect(200)[0];
    assert_eq!(instance["id"], json!(d.instance_id));
    assert_eq!(instance["applicationUrl"], json!(d.dataverse_url.as_str()));
    assert_eq!(
        instance["apiUrl"],
        json!(format!("{}api/data/v9.2", d.dataverse_url))
    );
    assert_eq!(instance["state"], json!(1));
    assert_eq!(instance["type"], json!(1));
    assert!(instance.get("isLocked").is_none());

    // Lower-case paths work too (the docs write `/api/v1.2/instances`).
    let v12 = env
        .get(&format!("api/v1.2/instances/{}", d.instance_id), &token)
        .await;
    let instance = v12.expect(200);
    assert_eq!(instance["state"], json!("Ready"));
    assert_eq!(instance["type"], json!("Production"));
    assert_eq!(instance["uniqueName"], json!("orgc0a7e5a0"));
    assert_eq!(instance["stateIsSupportedForDelete"], json!(false));
    assert_eq!(instance["protectionStatus"], json!("MicrosoftEncrypted"));

    env.get(&format!("api/v1.2/Instances/{}", Uuid::new_v4()), &token)
        .await
        .expect(404);
    env.get("api/v1.2/Instances/not-a-guid", &token)
        .await
        .expect(404);
}

#[tokio::test]
async fn backup_then_restore_into_a_sandbox() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(ADMIN).await;
    let sandbox = add_sandbox(&env, "contososandbox");

    // Every seeded instance has a system backup.
    let list = env
        .get(
            &format!("api/v1.2/InstanceBackups?instanceId={}", d.instance_id),
            &token,
        )
        .await;
    assert_eq!(list.expect(200)[0]["label"], json!("System backup"));

    let ended = run(
        &env,
        &token,
        Method::POST,
        "api/v1.2/InstanceBackups",
        Some(json!({ "instanceId": d.instance_id, "label": "Before go-live", "notes": "n" })),
    )
    .await;
    assert_eq!(ended["status"], json!("Succeeded"));
    let location = ended["resourceLocation"]
        .as_str()
        .expect("resource location")
        .to_owned();
    let backup = env.get(&location, &token).await;
    let backup = backup.expect(200).clone();
    assert_eq!(backup["label"], json!("Before go-live"));
    assert_eq!(backup["createdBy"], json!(d.user.upn));
    let list = env
        .get(
            &format!("api/v1/InstanceBackups?instanceId={}", d.instance_id),
            &token,
        )
        .await;
    assert_eq!(list.expect(200).as_array().map(Vec::len), Some(2));
    assert_eq!(list.body[0]["id"], backup["id"], "newest first");

    // Restoring into production is refused; into the sandbox it works.
    let refused = env
        .post(
            &format!("api/v1.2/Instances/{}/Restore", d.instance_id),
            &token,
            Some(json!({ "SourceInstanceId": d.instance_id, "Label": "Before go-live" })),
        )
        .await;
    assert_eq!(
        refused.expect(400)["errors"][0]["code"],
        json!("RestoreTargetNotSupported")
    );
    let ended = run(
        &env,
        &token,
        Method::POST,
        &format!("api/v1.2/Instances/{sandbox}/Restore"),
        Some(json!({ "SourceInstanceId": d.instance_id, "InstanceBackupId": backup["id"] })),
    )
    .await;
    assert_eq!(ended["status"], json!("Succeeded"));
    let missing = env
        .post(
            &format!("api/v1.2/Instances/{sandbox}/Restore"),
            &token,
            Some(json!({ "SourceInstanceId": d.instance_id, "Label": "nope" })),
        )
        .await;
    assert_eq!(
        missing.expect(400)["errors"][0]["code"],
        json!("BackupNotFound")
    );

    env.get("api/v1.2/InstanceBackups", &token)
        .await
        .expect(400);
    env.get(
        &format!(
            "api/v1.2/InstanceBackups/{}/{}",
            d.instance_id,
            Uuid::new_v4()
        ),
        &token,
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn reset_and_delete_apply_to_sandboxes_only() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(ADMIN).await;
    let sandbox = add_sandbox(&env, "contosoreset");

    let refused = env
        .post(
            &format!("api/v1.2/Instances/{}/Reset", d.instance_id),
            &token,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        refused.expect(400)["errors"][0]["code"],
        json!("ResetNotSupported")
    );
    env.post(
        &format!("api/v1/Instances/{sandbox}/Reset"),
        &token,
        Some(json!({})),
    )
    .await
    .expect(404);

    let ended = run(
        &env,
        &token,
        Method::POST,
        &format!("api/v1.2/Instances/{sandbox}/Reset"),
        Some(json!({ "FriendlyName": "Fresh", "DomainName": "contosofresh" })),
    )
    .await;
    assert_eq!(ended["status"], json!("Succeeded"));
    let instance = env
        .get(&format!("api/v1.2/Instances/{sandbox}"), &token)
        .await;
    assert_eq!(instance.expect(200)["friendlyName"], json!("Fresh"));
    assert_eq!(
        instance.body["applicationUrl"],
        json!("https://contosofresh.crm.dynamics.com/")
    );
    assert!(
        env.emu.seed().environment_users(sandbox).is_empty(),
        "a reset empties the org"
    );

    let production = env
        .call(
            Method::DELETE,
            &format!("api/v1.2/Instances/{}/Delete", d.instance_id),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        production.expect(400)["errors"][0]["code"],
        json!("DeleteNotSupported")
    );
    let validated = env
        .call(
            Method::DELETE,
            &format!("api/v1/Instances/{sandbox}/Delete?validate=true"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(validated.expect(200)["status"], json!(6));
    let ended = run(
        &env,
        &token,
        Method::DELETE,
        &format!("api/v1/Instances/{sandbox}/Delete"),
        None,
    )
    .await;
    assert_eq!(ended["status"], json!(6));
    env.get(&format!("api/v1/Instances/{sandbox}"), &token)
        .await
        .expect(404);
}

#[tokio::test]
async fn admin_mode_and_configuration_apply_at_once() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(ADMIN).await;
    let path = format!("api/v1/Instances/{}/UpdateAdminMode", d.instance_id);
    let validated = env
        .post(
            &format!("{path}?validate=true"),
            &token,
            Some(json!({ "AdminMode": true })),
        )
        .await;
    assert_eq!(validated.expect(200)["status"], json!(6));
    let instance = env
        .get(&format!("api/v1/Instances/{}", d.instance_id), &token)
        .await;
    assert_eq!(instance.expect(200)["adminMode"], json!(false));

    let updated = env
        .post(
            &path,
            &token,
            Some(json!({ "adminMode": true, "notificationText": "Down" })),
        )
        .await;
    assert_eq!(updated.expect(200)["status"], json!(6));
    let instance = env
        .get(&format!("api/v1/Instances/{}", d.instance_id), &token)
        .await;
    assert_eq!(instance.expect(200)["adminMode"], json!(true));

    let unknown_user = env
        .post(
            &path,
            &token,
            Some(json!({ "OverrideUserObjectId": Uuid::new_v4(), "AdminMode": true })),
        )
        .await;
    assert_eq!(unknown_user.expect(400)["status"], json!(7), "Failed");

    let configured = env
        .post(
            &format!("api/v1.2/Instances/{}/ConfigureInstance", d.instance_id),
            &token,
            Some(json!({ "Purpose": "Lead capture", "AdditionalProperties": { "Region": "EU" } })),
        )
        .await;
    assert_eq!(configured.expect(200)["status"], json!("Succeeded"));
    let instance = env
        .get(&format!("api/v1.2/Instances/{}", d.instance_id), &token)
        .await;
    assert_eq!(instance.expect(200)["purpose"], json!("Lead capture"));
    assert_eq!(
        instance.body["additionalProperties"],
        json!({ "Region": "EU" })
    );
    env.post(
        &format!("api/v1/Instances/{}/ConfigureInstance", d.instance_id),
        &token,
        Some(json!({})),
    )
    .await
    .expect(404);
}
