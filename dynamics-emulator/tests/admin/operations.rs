//! Long-running operations: ApplyUser through polling, Provision on v1 (integers) and v1.2
//! (strings), scripted failures and operations that never finish, and validation errors.

use dynamics_emulator::{EmulatorConfig, OperationOutcome};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{ADMIN, Env, start, start_with};

/// A valid v1.2 `NewInstance` for the default tenant.
async fn new_instance(env: &Env, token: &str, domain: &str) -> Value {
    let versions = env.get("api/v1.2/ServiceVersions", token).await;
    let version_id = versions.expect(200)[0]["id"].clone();
    json!({
        "ServiceVersionId": version_id,
        "Type": "Sandbox",
        "FriendlyName": format!("Contoso {domain}"),
        "DomainName": domain,
        "InitialUserEmail": env.emu.defaults().user.upn,
        "BaseLanguage": 1033,
        "Currency": { "Code": "USD" },
        "Templates": ["D365_Sales"]
    })
}

#[tokio::test]
async fn apply_user_polls_to_success_and_adds_the_user() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(ADMIN).await;
    let dave = d.non_admin_user.object_id;
    assert_eq!(
        env.emu.seed().environment_users(d.instance_id),
        [d.user.object_id]
    );

    let path = format!(
        "api/v1.2/Instances/{}/Users/{dave}/ApplyUser",
        d.instance_id
    );
    let started = env.post(&path, &token, None).await;
    let body = started.expect(202).clone();
    assert_eq!(body["status"], json!("NotStarted"));
    assert_eq!(
        body["context"]["items"]["admin.InstanceId"],
        json!(d.instance_id)
    );
    let location = started
        .header("operation-location")
        .expect("Operation-Location")
        .to_owned();
    assert_eq!(
        location,
        format!(
            "{}api/v1.2/Operation/{}",
            env.emu.base_url(),
            body["operationId"].as_str().unwrap_or_default()
        )
    );
    assert_eq!(started.header("retry-after"), Some("1"));
    assert_eq!(body["operationLocation"], json!(location));

    let first = env.get(&location, &token).await;
    assert_eq!(first.expect(200)["status"], json!("Running"));
    assert_eq!(first.header("retry-after"), Some("1"));
    assert!(
        !env.emu
            .seed()
            .environment_users(d.instance_id)
            .contains(&dave)
    );
    let second = env.get(&location, &token).await;
    assert_eq!(second.expect(200)["status"], json!("Succeeded"));
    assert_eq!(second.header("retry-after"), None);
    assert_eq!(second.body["errors"], json!([]));
    assert_eq!(
        env.emu.seed().environment_users(d.instance_id),
        [d.user.object_id, dave]
    );
    // Terminal states stay put.
    assert_eq!(
        env.get(&location, &token).await.body["status"],
        json!("Succeeded")
    );

    // The same operation by query (v1.2).
    let by_query = env
        .get(
            &format!(
                "api/v1.2/Operation?query.operationProvider=ApplyUser&query.instanceId={}",
                d.instance_id
            ),
            &token,
        )
        .await;
    assert_eq!(by_query.expect(200)["operationId"], body["operationId"]);
}

#[tokio::test]
async fn apply_user_is_v1_2_only_and_checks_the_user() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(ADMIN).await;
    let dave = d.non_admin_user.object_id;
    env.post(
        &format!("api/v1/Instances/{}/Users/{dave}/ApplyUser", d.instance_id),
        &token,
        None,
    )
    .await
    .expect(404);

    let unknown = env
        .post(
            &format!(
                "api/v1.2/Instances/{}/Users/5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b/ApplyUser",
                d.instance_id
            ),
            &token,
            None,
        )
        .await;
    let body = unknown.expect(400);
    assert_eq!(body["status"], json!("FailedToCreate"));
    assert_eq!(body["errors"][0]["code"], json!("UserNotFound"));
    assert!(
        body["errors"][0]["description"]
            .as_str()
            .is_some_and(|d| d.contains("was not found")),
        "{body:#}"
    );

    env.post(
        &format!("api/v1.2/Instances/5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b/Users/{dave}/ApplyUser"),
        &token,
        None,
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn apply_user_fails_for_an_unlicensed_user() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(ADMIN).await;
    let erin = d.unlicensed_user.object_id;
    let started = env
        .post(
            &format!(
                "api/v1.2/Instances/{}/Users/{erin}/ApplyUser",
                d.instance_id
            ),
            &token,
            None,
        )
        .await;
    started.expect(202);
    let location = started
        .header("operation-location")
        .expect("location")
        .to_owned();
    let (ended, polls) = env.poll_to_end(&location, &token).await;
    assert_eq!(polls, 2);
    let body = ended.expect(200);
    assert_eq!(body["status"], json!("Failed"));
    assert_eq!(body["errors"][0]["code"], json!("UserNotLicensed"));
    assert!(
        !env.emu
            .seed()
            .environment_users(d.instance_id)
            .contains(&erin)
    );

    // Once licensed, the same call succeeds.
    env.emu
        .seed()
        .set_user_licensed(erin, true)
        .expect("licensed");
    let again = env
        .post(
            &format!(
                "api/v1.2/Instances/{}/Users/{erin}/ApplyUser",
                d.instance_id
            ),
            &token,
            None,
        )
        .await;
    let location = again
        .header("operation-location")
        .expect("location")
        .to_owned();
    let (ended, _) = env.poll_to_end(&location, &token).await;
    assert_eq!(ended.body["status"], json!("Succeeded"));
    assert!(
        env.emu
            .seed()
            .environment_users(d.instance_id)
            .contains(&erin)
    );
}

#[tokio::test]
async fn provision_on_v1_speaks_integers() {
    let env = start().await;
    let token = env.admin_token(ADMIN).await;
    let body = new_instance(&env, &token, "contosodev").await;
    let started = env
        .call(
            Method::PUT,
            "api/v1/Instances/Provision",
            Some(&token),
            Some(body),
        )
        .await;
    let status = started.expect(202).clone();
    assert_eq!(status["status"], json!(2), "NotStarted is 2 in v1");
    assert_eq!(
        status["context"]["items"]["instanceState"],
        json!(2),
        "Pending"
    );
    assert!(status["errors"][0].is_null());
    let instance_id = status["context"]["items"]["admin.InstanceId"]
        .as_str()
        .expect("instance id")
        .to_owned();
    let location = started
        .header("operation-location")
        .expect("location")
        .to_owned();
    assert!(location.contains("/api/v1/Operation/"), "{location}");

    // Not there until the operation succeeds.
    env.get(&format!("api/v1/Instances/{instance_id}"), &token)
        .await
        .expect(404);
    assert_eq!(
        env.get(&location, &token).await.body["status"],
        json!(5),
        "Running"
    );
    let done = env.get(&location, &token).await;
    assert_eq!(done.expect(200)["status"], json!(6), "Succeeded");
    assert_eq!(
        done.body["context"]["items"]["instanceState"],
        json!(1),
        "Ready"
    );

    let instance = env
        .get(&format!("api/v1/Instances/{instance_id}"), &token)
        .await;
    let instance = instance.expect(200);
    assert_eq!(instance["type"], json!(2), "Sandbox");
    assert_eq!(instance["state"], json!(1), "Ready");
    assert_eq!(instance["domainName"], json!("contosodev"));
    assert_eq!(
        instance["applicationUrl"],
        json!("https://contosodev.crm.dynamics.com/")
    );
    let v12 = env
        .get(&format!("api/v1.2/Instances/{instance_id}"), &token)
        .await;
    assert_eq!(v12.expect(200)["type"], json!("Sandbox"));
    assert_eq!(v12.body["state"], json!("Ready"));

    // The same domain again is refused.
    let body = new_instance(&env, &token, "contosodev").await;
    let again = env
        .call(
            Method::PUT,
            "api/v1/Instances/Provision",
            Some(&token),
            Some(body),
        )
        .await;
    let refused = again.expect(400);
    assert_eq!(refused["status"], json!(1), "FailedToCreate");
    assert_eq!(
        refused["context"]["items"]["instanceState"],
        json!(5),
        "FailedProvisioning"
    );
    assert!(
        refused["errors"][0].get("code").is_none(),
        "v1 items have no code"
    );
}

#[tokio::test]
async fn provision_on_v1_2_speaks_strings_and_validates() {
    let env = start().await;
    let token = env.admin_token(ADMIN).await;
    let body = new_instance(&env, &token, "contosotest").await;
    let validated = env
        .call(
            Method::PUT,
            "api/v1.2/Instances/Provision?validate=true",
            Some(&token),
            Some(body.clone()),
        )
        .await;
    assert_eq!(validated.expect(200)["status"], json!("Succeeded"));
    assert_eq!(
        validated.body["operationId"],
        json!("00000000-0000-0000-0000-000000000000")
    );
    let instances = env.get("api/v1.2/Instances", &token).await;
    assert_eq!(
        instances.expect(200).as_array().map(Vec::len),
        Some(1),
        "validation only"
    );

    let started = env
        .call(
            Method::PUT,
            "api/v1.2/Instances/Provision",
            Some(&token),
            Some(body),
        )
        .await;
    assert_eq!(started.expect(202)["status"], json!("NotStarted"));
    assert_eq!(
        started.body["context"]["items"]["instanceState"],
        json!("Pending")
    );
    let location = started
        .header("operation-location")
        .expect("location")
        .to_owned();
    let (done, _) = env.poll_to_end(&location, &token).await;
    assert_eq!(done.body["status"], json!("Succeeded"));
    let instances = env.get("api/v1.2/Instances", &token).await;
    assert_eq!(instances.expect(200).as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn provision_reports_every_invalid_field() {
    let env = start().await;
    let token = env.admin_token(ADMIN).await;
    let answer = env
        .call(
            Method::PUT,
            "api/v1.2/Instances/Provision",
            Some(&token),
            Some(json!({
                "serviceVersionId": "5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b",
                "type": "Sandbox",
                "friendlyName": "x",
                "domainName": "Not Valid",
                "initialUserEmail": "nobody@contoso.onmicrosoft.com",
                "currency": { "code": "XXX" }
            })),
        )
        .await;
    let body = answer.expect(400);
    assert_eq!(body["status"], json!("FailedToCreate"));
    let codes: Vec<&str> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["code"].as_str())
        .collect();
    for code in [
        "InvalidServiceVersion",
        "InvalidDomainName",
        "InitialUserNotFound",
        "InvalidCurrency",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }

    let missing = env
        .call(
            Method::PUT,
            "api/v1/Instances/Provision",
            Some(&token),
            Some(json!({})),
        )
        .await;
    let body = missing.expect(400);
    assert!(
        body["errors"].as_array().is_some_and(|e| e.len() >= 5),
        "{body:#}"
    );

    let malformed = env
        .http
        .put(env.url("api/v1.2/Instances/Provision"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{ not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(malformed.status().as_u16(), 400);
    let body: Value = malformed.json().await.expect("JSON");
    assert_eq!(body["errors"][0]["code"], json!("InvalidRequestBody"));
}

#[tokio::test]
async fn scripted_failure_and_an_operation_that_never_ends() {
    let env = start_with(EmulatorConfig {
        admin_operation_polls: 3,
        admin_retry_after_secs: 7,
        ..EmulatorConfig::default()
    })
    .await;
    let d = env.emu.defaults();
    let token = env.admin_token(ADMIN).await;
    let dave = d.non_admin_user.object_id;
    let path = format!(
        "api/v1.2/Instances/{}/Users/{dave}/ApplyUser",
        d.instance_id
    );

    env.emu
        .seed()
        .set_next_operation_outcome(OperationOutcome::fail(
            "SyncFailed",
            "The user sync failed.",
        ));
    let failing = env.post(&path, &token, None).await;
    assert_eq!(failing.header("retry-after"), Some("7"));
    let location = failing
        .header("operation-location")
        .expect("location")
        .to_owned();
    let (ended, polls) = env.poll_to_end(&location, &token).await;
    assert_eq!(polls, 3);
    assert_eq!(ended.body["status"], json!("Failed"));
    assert_eq!(
        ended.body["errors"],
        json!([{ "subject": "ScriptedFailure", "code": "SyncFailed", "description": "The user sync failed." }])
    );
    assert!(
        !env.emu
            .seed()
            .environment_users(d.instance_id)
            .contains(&dave)
    );

    env.emu
        .seed()
        .set_operation_outcome(OperationOutcome::NeverFinish);
    let hanging = env.post(&path, &token, None).await;
    let location = hanging
        .header("operation-location")
        .expect("location")
        .to_owned();
    for _ in 0..10 {
        assert_eq!(
            env.get(&location, &token).await.body["status"],
            json!("Running")
        );
    }
    // The v1 view of the same operation writes Running as 5.
    let id = hanging.body["operationId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let v1 = env.get(&format!("api/v1/Operation/{id}"), &token).await;
    assert_eq!(v1.expect(200)["status"], json!(5));

    env.emu
        .seed()
        .set_operation_outcome(OperationOutcome::Succeed);
    let ok = env.post(&path, &token, None).await;
    let location = ok
        .header("operation-location")
        .expect("location")
        .to_owned();
    let (ended, _) = env.poll_to_end(&location, &token).await;
    assert_eq!(ended.body["status"], json!("Succeeded"));
}

#[tokio::test]
async fn unknown_operations_are_404() {
    let env = start().await;
    let token = env.admin_token(ADMIN).await;
    env.get(
        "api/v1.2/Operation/5f0e6a1b-7c2d-4e3f-9a8b-0c1d2e3f4a5b",
        &token,
    )
    .await
    .expect(404);
    env.get("api/v1/Operation/not-a-guid", &token)
        .await
        .expect(404);
    env.get(
        "api/v1.2/Operation?query.operationProvider=Provision",
        &token,
    )
    .await
    .expect(404);
    // Operation-by-query is v1.2 only.
    env.get("api/v1/Operation?query.operationProvider=Provision", &token)
        .await
        .expect(404);
}
