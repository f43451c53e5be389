//! The Power Platform admin API client against wiremock.

mod common;

use online_mgmt_api::{AdminError, EnvironmentName};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use common::*;

const ENV: &str = "00000000-0000-0000-0000-000000000001";
const SCOPE_PATH: &str = "/providers/Microsoft.BusinessAppPlatform/scopes/admin/environments";
const APPS_PATH: &str = "/providers/Microsoft.BusinessAppPlatform/adminApplications";

#[tokio::test]
async fn add_user_sends_the_object_id() {
    let t = bap().await;
    Mock::given(method("POST"))
        .and(path(format!("{SCOPE_PATH}/{ENV}/addUser")))
        .and(query_param("api-version", "2023-06-01"))
        .and(header("authorization", format!("Bearer {TOKEN}")))
        .and(body_json(json!({"objectId": USER})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&t.server)
        .await;
    t.client
        .add_user(uuid(ENV), uuid(USER))
        .await
        .expect("added");
}

#[tokio::test]
async fn add_user_reaches_the_default_environment_by_its_name() {
    let t = bap().await;
    let default = format!("Default-{TENANT}");
    Mock::given(method("POST"))
        .and(path(format!("{SCOPE_PATH}/{default}/addUser")))
        .and(body_json(json!({"objectId": USER})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&t.server)
        .await;
    let name = EnvironmentName::parse(&default.to_lowercase()).expect("a default environment");
    t.client.add_user(name, uuid(USER)).await.expect("added");
}

#[tokio::test]
async fn user_not_licensed_says_to_retry_later() {
    let t = bap().await;
    Mock::given(method("POST"))
        .and(path(format!("{SCOPE_PATH}/{ENV}/addUser")))
        .respond_with(json_status(400, "bap-user-not-licensed.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let err = t
        .client
        .add_user(uuid(ENV), uuid(USER))
        .await
        .expect_err("not licensed");
    assert!(err.is_user_not_licensed());
    assert_eq!(err.service_code(), Some("userNotLicensed"));
    let hint = err.hint().expect("hint");
    assert!(hint.contains("license"), "{hint}");
    assert!(hint.contains("try again later"), "{hint}");
    assert!(
        err.to_string().contains("does not have a valid license"),
        "{err}"
    );
}

#[tokio::test]
async fn admin_applications_register_get_list_remove() {
    let t = bap().await;
    Mock::given(method("PUT"))
        .and(path(format!("{APPS_PATH}/{NEW_APP}")))
        .and(query_param("api-version", "2020-10-01"))
        .and(header("content-length", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"applicationId": NEW_APP})))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{APPS_PATH}/{APP}")))
        // An empty body: the requested id stands.
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&t.server)
        .await;
    // Two pages.
    let next = format!(
        "{}{APPS_PATH}?api-version=2020-10-01&page=2",
        t.server.uri()
    );
    Mock::given(method("GET"))
        .and(path(APPS_PATH))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"value": [{"applicationId": "99999999-0000-4000-8000-000000000099"}]}),
        ))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("GET"))
        .and(path(APPS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json({
            let mut page: serde_json::Value =
                serde_json::from_str(&fixture("bap-admin-applications.json")).expect("json");
            page["nextLink"] = json!(next);
            page
        }))
        .expect(1)
        .mount(&t.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{APPS_PATH}/{APP}")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&t.server)
        .await;

    let app = t
        .client
        .register_admin_application(uuid(NEW_APP))
        .await
        .expect("registered");
    assert_eq!(app.application_id, uuid(NEW_APP));
    let app = t
        .client
        .get_admin_application(uuid(APP))
        .await
        .expect("get");
    assert_eq!(app.application_id, uuid(APP));
    let apps = t.client.list_admin_applications().await.expect("list");
    let ids: Vec<_> = apps.iter().map(|a| a.application_id.to_string()).collect();
    assert_eq!(ids, [APP, NEW_APP, "99999999-0000-4000-8000-000000000099"]);
    assert!(apps[1].extra.contains_key("createdOn"));
    t.client
        .remove_admin_application(uuid(APP))
        .await
        .expect("removed");
}

#[tokio::test]
async fn a_repeated_next_link_stops_the_list() {
    let t = bap().await;
    let same = format!("{}{APPS_PATH}?api-version=2020-10-01", t.server.uri());
    Mock::given(method("GET"))
        .and(path(APPS_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": [{"applicationId": APP}], "nextLink": same})),
        )
        .expect(1)
        .mount(&t.server)
        .await;
    let apps = t.client.list_admin_applications().await.expect("list");
    assert_eq!(apps.len(), 1);
}

#[tokio::test]
async fn environments_with_and_without_dataverse() {
    let t = bap().await;
    Mock::given(method("GET"))
        .and(path(format!("{SCOPE_PATH}/{ENV}")))
        .and(query_param("api-version", "2023-06-01"))
        .respond_with(json("bap-environment.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let other = "00000000-0000-0000-0000-000000000002";
    Mock::given(method("GET"))
        .and(path(format!("{SCOPE_PATH}/{other}")))
        .respond_with(json("bap-environment-no-dataverse.json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let env = t.client.get_environment(uuid(ENV)).await.expect("env");
    assert_eq!(env.name.as_deref(), Some(ENV));
    assert_eq!(env.environment_name(), Some(uuid(ENV).into()));
    assert_eq!(env.display_name.as_deref(), Some("Contoso Test"));
    assert_eq!(env.sku.as_deref(), Some("Sandbox"));
    let dv = env.dataverse.expect("dataverse");
    assert_eq!(
        dv.instance_url.as_deref(),
        Some("https://contoso.crm4.dynamics.com/")
    );
    assert_eq!(
        dv.instance_api_url.as_deref(),
        Some("https://contoso.api.crm4.dynamics.com")
    );
    assert_eq!(dv.unique_name.as_deref(), Some("org1a2b3c4d"));
    assert_eq!(dv.domain_name.as_deref(), Some("contoso"));
    assert_eq!(dv.instance_state.as_deref(), Some("Ready"));
    assert_eq!(dv.base_language, Some(1033));
    assert!(dv.extra.contains_key("friendlyName"));
    let env = t.client.get_environment(uuid(other)).await.expect("env");
    assert_eq!(env.dataverse, None);
}

#[tokio::test]
async fn a_403_says_how_to_get_access() {
    let t = bap().await;
    Mock::given(method("GET"))
        .and(path(APPS_PATH))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {"code": "Forbidden", "message": "The caller does not have permission."}})))
        .expect(1)
        .mount(&t.server)
        .await;
    let err = t.client.list_admin_applications().await.expect_err("403");
    assert!(err.is_forbidden());
    let hint = err.hint().expect("hint");
    assert!(hint.contains("Power Platform administrator"), "{hint}");
    assert!(hint.contains("management application"), "{hint}");
}

#[tokio::test]
async fn a_malformed_environment_is_a_typed_error() {
    let t = bap().await;
    Mock::given(method("GET"))
        .and(path(format!("{SCOPE_PATH}/{ENV}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"name\": ", "application/json"))
        .expect(1)
        .mount(&t.server)
        .await;
    let err = t
        .client
        .get_environment(uuid(ENV))
        .await
        .expect_err("truncated");
    assert!(
        matches!(
            err,
            AdminError::Decode {
                operation: "getEnvironment",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_bap_url_with_user_info_is_refused_without_echoing_it() {
    let endpoint = online_mgmt_api::BapEndpoint::Custom {
        base_url: url::Url::parse("https://alice:hunter2@api.bap.example/").expect("url"),
        scope: "https://service.powerapps.com/.default".into(),
    };
    let err = endpoint.base_url().expect_err("user info");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("hunter2") && !text.contains("alice"),
        "{text}"
    );
    let err = online_mgmt_api::PowerPlatformAdminClient::new(
        endpoint,
        common::credential(),
        online_mgmt_api::BapOptions::default(),
    )
    .expect_err("user info");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("hunter2") && !text.contains("alice"),
        "{text}"
    );
}
