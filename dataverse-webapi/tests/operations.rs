//! Row operations against wiremock, with Microsoft's documented responses where there is one.

mod support;

use dataverse_webapi::{
    DataverseError, Expand, Literal, Record, RecordKey, RequestOptions, UpsertMode,
};
use uuid::Uuid;
use wiremock::matchers::{body_json, header, header_exists, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const ACCOUNT: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";

fn account_id() -> Uuid {
    Uuid::parse_str(ACCOUNT).expect("guid")
}

#[tokio::test]
async fn create_sends_the_standard_headers_and_reads_the_entity_id() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/accounts"))
        .and(header("authorization", "Bearer test-token"))
        .and(header("odata-version", "4.0"))
        .and(header("odata-maxversion", "4.0"))
        .and(header("accept", "application/json"))
        .and(body_json(serde_json::json!({"name": "Sample Account"})))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("{}/api/data/v9.2/accounts({ACCOUNT})", org.server.uri()),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let id = org
        .client
        .create(
            "accounts",
            &Record::new().with("name", "Sample Account"),
            &RequestOptions::default(),
        )
        .await
        .expect("created");
    assert_eq!(id, account_id());
}

#[tokio::test]
async fn create_refuses_an_entity_id_outside_the_org() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("https://evil.example.com/api/data/v9.2/accounts({ACCOUNT})"),
        ))
        .mount(&org.server)
        .await;
    let err = org
        .client
        .create("accounts", &Record::new(), &RequestOptions::default())
        .await
        .expect_err("foreign");
    assert!(matches!(err, DataverseError::ForeignLink { .. }), "{err:?}");
}

#[tokio::test]
async fn create_and_return_parses_the_documented_201() {
    let org = support::org().await;
    let f = support::fixture("create-return-representation-201.json", &org.server.uri());
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param(
            "$select",
            "name,creditonhold,address1_latitude,description,revenue,accountcategorycode,createdon",
        ))
        .and(header("prefer", "return=representation"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_string(f["response"]["body"].as_str().expect("body")),
        )
        .mount(&org.server)
        .await;
    let record = org
        .client
        .create_and_return(
            "accounts",
            &Record::new().with("name", "Sample Account"),
            &[
                "name",
                "creditonhold",
                "address1_latitude",
                "description",
                "revenue",
                "accountcategorycode",
                "createdon",
            ],
            &RequestOptions::default(),
        )
        .await
        .expect("created");
    assert_eq!(record.get_str("name"), Some("Sample Account"));
    assert!(record.etag().is_some());
}

#[tokio::test]
async fn retrieve_by_alternate_key_with_select_and_expand() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(
            "/api/data/v9.2/accounts(accountnumber='A%2F1',region=3)",
        ))
        .and(query_param("$select", "name"))
        .and(query_param("$expand", "primarycontactid($select=fullname)"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "@odata.etag": "W/\"1\"", "name": "A", "primarycontactid": {"fullname": "Jane"}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let key = RecordKey::alternate([
        ("accountnumber", Literal::from("A/1")),
        ("region", Literal::from(3)),
    ]);
    let record = org
        .client
        .retrieve(
            "accounts",
            key,
            &["name"],
            &[Expand::new("primarycontactid").select(["fullname"])],
            &RequestOptions::default(),
        )
        .await
        .expect("retrieved");
    assert_eq!(
        record
            .get("primarycontactid")
            .and_then(|c| c["fullname"].as_str()),
        Some("Jane")
    );
}

#[tokio::test]
async fn update_guards_against_creating_and_against_lost_updates() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/data/v9.2/accounts({ACCOUNT})")))
        .and(header("if-match", "*"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("PATCH"))
        .and(header("if-match", "W/\"470867\""))
        .respond_with(ResponseTemplate::new(412).set_body_json(serde_json::json!({
            "error": {"code": "0x80060882", "message": "The version of the existing record doesn't match the RowVersion property provided."}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let changes = Record::new().with("name", "Updated");
    org.client
        .update(
            "accounts",
            account_id(),
            &changes,
            None,
            &RequestOptions::default(),
        )
        .await
        .expect("updated");
    let err = org
        .client
        .update(
            "accounts",
            account_id(),
            &changes,
            Some("W/\"470867\""),
            &RequestOptions::default(),
        )
        .await
        .expect_err("stale");
    assert!(err.is_precondition_failed(), "{err}");
    assert!(err.to_string().contains("RowVersion"), "{err}");
}

#[tokio::test]
async fn upsert_modes_send_the_right_conditions() {
    let org = support::org().await;
    let location = format!("{}/api/data/v9.2/accounts({ACCOUNT})", org.server.uri());
    Mock::given(method("PATCH"))
        .and(header("if-none-match", "*"))
        .respond_with(ResponseTemplate::new(412).set_body_json(serde_json::json!({
            "error": {"code": "0x80040237", "message": "A record with matching key values already exists."}
        })))
        .mount(&org.server)
        .await;
    Mock::given(method("PATCH"))
        .and(header("if-match", "*"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "error": {"code": "0x80040217", "message": "account With Id = 7eb682f1-ca75-e511-80d4-00155d2a68d1 Does Not Exist"}
        })))
        .mount(&org.server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204).insert_header("OData-EntityId", location.as_str()))
        .mount(&org.server)
        .await;
    let record = Record::new().with("name", "x");
    let created_only = org
        .client
        .upsert(
            "accounts",
            account_id(),
            &record,
            UpsertMode::CreateOnly,
            &RequestOptions::default(),
        )
        .await
        .expect_err("exists");
    assert!(created_only.is_precondition_failed());
    let update_only = org
        .client
        .upsert(
            "accounts",
            account_id(),
            &record,
            UpsertMode::UpdateOnly,
            &RequestOptions::default(),
        )
        .await
        .expect_err("missing");
    assert!(update_only.is_not_found());
    let key = RecordKey::alternate([("accountnumber", "ACC-1")]);
    let outcome = org
        .client
        .upsert(
            "accounts",
            key,
            &record,
            UpsertMode::Upsert,
            &RequestOptions::default(),
        )
        .await
        .expect("upserted");
    assert_eq!(outcome.id, Some(account_id()));
    assert_eq!(outcome.created, None, "a 204 does not say which");
}

#[tokio::test]
async fn delete_and_single_properties() {
    let org = support::org().await;
    let row = format!("/api/data/v9.2/accounts({ACCOUNT})");
    Mock::given(method("DELETE"))
        .and(path(row.as_str()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{row}/name")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::json!({"@odata.context": "x", "value": "Adventure Works"}),
            ),
        )
        .mount(&org.server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{row}/name")))
        .and(body_json(serde_json::json!({"value": "New"})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("{row}/description")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    assert_eq!(
        org.client
            .get_property("accounts", account_id(), "name")
            .await
            .expect("get"),
        "Adventure Works"
    );
    org.client
        .put_property("accounts", account_id(), "name", "New")
        .await
        .expect("put");
    org.client
        .delete_property("accounts", account_id(), "description")
        .await
        .expect("clear");
    org.client
        .delete("accounts", account_id(), None)
        .await
        .expect("delete");
    assert!(
        org.client
            .get_property("accounts", account_id(), "name; drop")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn associate_and_disassociate_through_ref() {
    let org = support::org().await;
    let user = Uuid::new_v4();
    let role = Uuid::new_v4();
    let role_url = format!("{}/api/data/v9.2/roles({role})", org.server.uri());
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/data/v9.2/systemusers({user})/systemuserroles_association/$ref"
        )))
        .and(body_json(serde_json::json!({"@odata.id": role_url})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!(
            "/api/data/v9.2/systemusers({user})/systemuserroles_association/$ref"
        )))
        .and(query_param("$id", role_url.as_str()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!(
            "/api/data/v9.2/accounts({ACCOUNT})/primarycontactid/$ref"
        )))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    org.client
        .associate(
            "systemusers",
            user,
            "systemuserroles_association",
            "roles",
            role,
        )
        .await
        .expect("assigned");
    org.client
        .disassociate(
            "systemusers",
            user,
            "systemuserroles_association",
            Some(("roles", role)),
        )
        .await
        .expect("removed");
    org.client
        .set_reference(
            "accounts",
            account_id(),
            "primarycontactid",
            "contacts",
            Uuid::new_v4(),
        )
        .await
        .expect("set");
}

#[tokio::test]
async fn who_am_i_parses_the_documented_answer() {
    let org = support::org().await;
    let f = support::fixture("whoami-v92.json", &org.server.uri());
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/WhoAmI"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(f["response"]["body"].as_str().expect("body")),
        )
        .mount(&org.server)
        .await;
    let me = org.client.who_am_i().await.expect("who am i");
    assert!(!me.user_id.is_nil());
}

#[tokio::test]
async fn functions_pass_parameters_as_aliases_and_actions_post_json() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(
            "/api/data/v9.2/RetrieveTotalRecordCount(EntityNames=@p0)",
        ))
        .and(query_param("@p0", "'account'"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"EntityRecordCountCollection": {}})),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/data/v9.2/accounts({ACCOUNT})/Microsoft.Dynamics.CRM.Custom_Action"
        )))
        .and(header_exists("content-type"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    org.client
        .call_function(
            "RetrieveTotalRecordCount",
            &[("EntityNames", Literal::from("account"))],
            None,
            &RequestOptions::default(),
        )
        .await
        .expect("function");
    let out = org
        .client
        .call_action(
            "Microsoft.Dynamics.CRM.Custom_Action",
            &serde_json::json!({"Input": 1}),
            Some(("accounts", account_id())),
            &RequestOptions::default(),
        )
        .await
        .expect("action");
    assert!(out.is_null());
    assert!(
        org.client
            .call_action(
                "Bad Name",
                &serde_json::json!({}),
                None,
                &RequestOptions::default()
            )
            .await
            .is_err()
    );
}

#[tokio::test]
async fn throttling_is_classified_by_limit() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2").set_body_json(serde_json::json!({
            "error": {"code": "0x80072326", "message": "Number of concurrent requests exceeded the limit of 52."}
        })))
        .mount(&org.server)
        .await;
    let err = org.client.who_am_i().await.expect_err("throttled");
    assert!(err.is_throttled());
    assert_eq!(
        err.throttle_limit(),
        Some(dataverse_webapi::ServiceProtectionLimit::ConcurrentRequests)
    );
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(2)));
    assert_eq!(org.clock.sleeps().len(), 4, "retried by the pipeline first");
}
