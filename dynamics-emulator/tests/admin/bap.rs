//! The Power Platform admin API: addUser, admin management applications and environments.

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::support::{BAP, BAP_VERSION, start};

const PREFIX: &str = "providers/Microsoft.BusinessAppPlatform";

#[tokio::test]
async fn add_user_syncs_licensed_users_only() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(BAP).await;
    let path = format!(
        "{PREFIX}/scopes/admin/environments/{}/addUser?api-version=2023-06-01",
        d.instance_id
    );
    let dave = d.non_admin_user.object_id;
    let added = env
        .post(&path, &token, Some(json!({ "objectId": dave })))
        .await;
    added.expect(200);
    assert!(
        env.emu
            .seed()
            .environment_users(d.instance_id)
            .contains(&dave)
    );
    // Again, with the key in another case: still fine.
    env.post(&path, &token, Some(json!({ "ObjectId": dave })))
        .await
        .expect(200);
    assert_eq!(env.emu.seed().environment_users(d.instance_id).len(), 2);

    let erin = d.unlicensed_user.object_id;
    let unlicensed = env
        .post(&path, &token, Some(json!({ "objectId": erin })))
        .await;
    unlicensed.expect(400);
    assert_eq!(unlicensed.error_code(), "userNotLicensed");
    assert!(
        !env.emu
            .seed()
            .environment_users(d.instance_id)
            .contains(&erin)
    );

    let unknown = env
        .post(&path, &token, Some(json!({ "objectId": Uuid::new_v4() })))
        .await;
    unknown.expect(404);
    assert_eq!(unknown.error_code(), "UserNotFound");

    let no_environment = env
        .post(
            &format!(
                "{PREFIX}/scopes/admin/environments/{}/addUser?{BAP_VERSION}",
                Uuid::new_v4()
            ),
            &token,
            Some(json!({ "objectId": dave })),
        )
        .await;
    no_environment.expect(404);
    assert_eq!(no_environment.error_code(), "EnvironmentNotFound");

    let no_version = env
        .post(
            &format!(
                "{PREFIX}/scopes/admin/environments/{}/addUser",
                d.instance_id
            ),
            &token,
            Some(json!({ "objectId": dave })),
        )
        .await;
    no_version.expect(400);
    assert_eq!(no_version.error_code(), "MissingApiVersionParameter");

    let no_body = env.post(&path, &token, None).await;
    no_body.expect(400);
    assert_eq!(no_body.error_code(), "InvalidRequestContent");
}

#[tokio::test]
async fn admin_applications_are_registered_by_a_user_not_by_the_app() {
    let env = start().await;
    let d = env.emu.defaults();
    let admin = env.admin_token(BAP).await;
    let app = env.app_token(BAP).await;
    let one = format!("{PREFIX}/adminApplications/{}?{BAP_VERSION}", d.client_id);
    let all = format!("{PREFIX}/adminApplications?{BAP_VERSION}");

    // A service principal cannot register itself.
    let itself = env.call(Method::PUT, &one, Some(&app), None).await;
    itself.expect(403);
    assert!(
        itself.error_message().contains("cannot register itself"),
        "{}",
        itself.error_message()
    );
    assert_eq!(
        env.get(&all, &admin).await.expect(200),
        &json!({ "value": [] })
    );
    env.get(&one, &admin).await.expect(404);

    let registered = env.call(Method::PUT, &one, Some(&admin), None).await;
    assert_eq!(
        registered.expect(200),
        &json!({ "applicationId": d.client_id })
    );
    assert_eq!(
        env.get(&all, &admin).await.expect(200),
        &json!({ "value": [{ "applicationId": d.client_id }] })
    );
    assert_eq!(
        env.get(&one, &admin).await.expect(200)["applicationId"],
        json!(d.client_id)
    );

    // Now the app-only token works; it still cannot register (even itself again).
    let environment = format!(
        "{PREFIX}/scopes/admin/environments/{}?{BAP_VERSION}",
        d.instance_id
    );
    env.get(&environment, &app).await.expect(200);
    env.call(Method::PUT, &one, Some(&app), None)
        .await
        .expect(403);

    let removed = env.call(Method::DELETE, &one, Some(&admin), None).await;
    removed.expect(200);
    let again = env.call(Method::DELETE, &one, Some(&admin), None).await;
    again.expect(204);
    env.get(&one, &admin).await.expect(404);
    env.get(&environment, &app).await.expect(403);

    let dave = d.non_admin_user.clone();
    let non_admin = env.user_token(&dave, BAP).await;
    env.call(Method::PUT, &one, Some(&non_admin), None)
        .await
        .expect(403);
}

#[tokio::test]
async fn environment_links_to_the_dataverse_instance() {
    let env = start().await;
    let d = env.emu.defaults();
    let token = env.admin_token(BAP).await;
    let answer = env
        .get(
            &format!(
                "{PREFIX}/scopes/admin/environments/{}?$expand=permissions,properties.capacity&api-version=2023-06-01",
                d.instance_id
            ),
            &token,
        )
        .await;
    let body = answer.expect(200);
    assert_eq!(body["name"], json!(d.instance_id));
    assert!(
        body["id"]
            .as_str()
            .is_some_and(|id| id.ends_with(&d.instance_id.to_string()))
    );
    assert_eq!(body["properties"]["displayName"], json!("Contoso"));
    let linked = &body["properties"]["linkedEnvironmentMetadata"];
    assert_eq!(linked["instanceUrl"], json!(d.dataverse_url.as_str()));
    assert_eq!(
        linked["instanceApiUrl"],
        json!(format!("{}api/data/v9.2", d.dataverse_url))
    );
    assert_eq!(linked["uniqueName"], json!("orgc0a7e5a0"));
    assert_eq!(linked["domainName"], json!("contoso"));
    assert_eq!(linked["instanceState"], json!("Ready"));
    assert!(linked["version"].is_string());

    let list = env
        .get(
            &format!("{PREFIX}/scopes/admin/environments?{BAP_VERSION}"),
            &token,
        )
        .await;
    assert_eq!(list.expect(200)["value"][0]["name"], json!(d.instance_id));

    let missing = env
        .get(
            &format!("{PREFIX}/scopes/admin/environments/{}", d.instance_id),
            &token,
        )
        .await;
    missing.expect(400);
    assert_eq!(missing.error_code(), "MissingApiVersionParameter");
    let unknown = env
        .get(
            &format!(
                "{PREFIX}/scopes/admin/environments/{}?{BAP_VERSION}",
                Uuid::new_v4()
            ),
            &token,
        )
        .await;
    unknown.expect(404);
    assert_eq!(unknown.error_code(), "EnvironmentNotFound");
}
