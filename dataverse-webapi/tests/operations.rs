//! Row operations against wiremock, with Microsoft's documented responses where there is one.

mod support;

use dataverse_webapi::{
    DataverseError, Expand, Impersonation, Literal, Record, RecordKey, RequestOptions,
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
        .table("accounts")
        .create(&Record::new().with("name", "Sample Account"))
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
        .table("accounts")
        .create(&Record::new())
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
        .table("accounts")
        .create(&Record::new().with("name", "Sample Account"))
        .return_representation()
        .select([
            "name",
            "creditonhold",
            "address1_latitude",
            "description",
            "revenue",
            "accountcategorycode",
            "createdon",
        ])
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
        .table("accounts")
        .retrieve(key)
        .select(["name"])
        .expand(Expand::new("primarycontactid").select(["fullname"]))
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
        .table("accounts")
        .update(account_id(), &changes)
        .await
        .expect("updated");
    let err = org
        .client
        .table("accounts")
        .update(account_id(), &changes)
        .if_match("W/\"470867\"")
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
        .table("accounts")
        .upsert(account_id(), &record)
        .create_only()
        .await
        .expect_err("exists");
    assert!(created_only.is_precondition_failed());
    let update_only = org
        .client
        .table("accounts")
        .upsert(account_id(), &record)
        .update_only()
        .await
        .expect_err("missing");
    assert!(update_only.is_not_found());
    let key = RecordKey::alternate([("accountnumber", "ACC-1")]);
    let outcome = org
        .client
        .table("accounts")
        .upsert(key, &record)
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
    let accounts = org.client.table("accounts");
    let name = accounts.property(account_id(), "name");
    assert_eq!(name.get().await.expect("get"), "Adventure Works");
    name.put("New").await.expect("put");
    accounts
        .property(account_id(), "description")
        .delete()
        .await
        .expect("clear");
    accounts.delete(account_id()).await.expect("delete");
    assert!(
        accounts
            .property(account_id(), "name; drop")
            .get()
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
        .table("accounts")
        .navigation(account_id(), "primarycontactid")
        .set_reference("contacts", Uuid::new_v4())
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

#[tokio::test]
async fn action_builder_binds_posts_the_body_and_sends_the_options() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/api/data/v9.2/accounts({ACCOUNT})/Microsoft.Dynamics.CRM.Custom_Action"
        )))
        .and(body_json(serde_json::json!({"Input": 1})))
        .and(header(
            "CallerObjectId",
            "00000000-0000-0000-0000-000000000004",
        ))
        .and(header("MSCRM.BypassCustomPluginExecution", "true"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"Output": "done"})),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/PublishAllXml"))
        .and(body_json(serde_json::json!({})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let out = org
        .client
        .action("Microsoft.Dynamics.CRM.Custom_Action")
        .bound_to("accounts", account_id())
        .body(&serde_json::json!({"Input": 1}))
        .impersonate(Impersonation::EntraObjectId(Uuid::from_u128(4)))
        .bypass_plugins()
        .await
        .expect("action");
    assert_eq!(out["Output"], "done");
    let nothing = org
        .client
        .action("PublishAllXml")
        .send()
        .await
        .expect("no body is {}");
    assert!(nothing.is_null());
}

#[tokio::test]
async fn action_body_that_cannot_be_json_is_refused_before_sending() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&org.server)
        .await;
    // JSON object keys must be strings.
    let body: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
    let err = org
        .client
        .action("Custom")
        .body(&body)
        .await
        .expect_err("not JSON");
    assert!(
        matches!(err, DataverseError::InvalidInput { .. }),
        "{err:?}"
    );
    let err = org.client.action("Bad Name").await.expect_err("bad name");
    assert!(err.to_string().contains("namespaced"), "{err}");
}

#[tokio::test]
async fn function_builder_awaits_unbound_and_passes_bound_parameters_as_aliases() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/RetrieveVersion()"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"Version": "9.2.24094.00000"})),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/data/v9.2/accounts({ACCOUNT})/Microsoft.Dynamics.CRM.Custom_Function(Name=@p0,Count=@p1)"
        )))
        .and(query_param("@p0", "'O''Brien'"))
        .and(query_param("@p1", "3"))
        .and(header("Consistency", "Strong"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .expect(1)
        .mount(&org.server)
        .await;
    let version = org
        .client
        .function("RetrieveVersion")
        .await
        .expect("version");
    assert_eq!(version["Version"], "9.2.24094.00000");
    let out = org
        .client
        .function("Microsoft.Dynamics.CRM.Custom_Function")
        .bound_to("accounts", account_id())
        .parameter("Name", "O'Brien")
        .parameter("Count", 3)
        .strong_consistency()
        .await
        .expect("bound function");
    assert_eq!(out["ok"], true);
    let err = org
        .client
        .function("RetrieveVersion")
        .parameter("bad name", 1)
        .await
        .expect_err("parameter name");
    assert!(
        matches!(err, DataverseError::InvalidInput { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn navigation_builders_write_refs_with_options() {
    let org = support::org().await;
    let user = Uuid::new_v4();
    let role = Uuid::new_v4();
    let role_url = format!("{}/api/data/v9.2/roles({role})", org.server.uri());
    let nav = format!("/api/data/v9.2/systemusers({user})/systemuserroles_association/$ref");
    Mock::given(method("POST"))
        .and(path(nav.as_str()))
        .and(body_json(serde_json::json!({"@odata.id": role_url})))
        .and(header(
            "MSCRMCallerID",
            "00000000-0000-0000-0000-000000000002",
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(nav.as_str()))
        .and(query_param("$id", role_url.as_str()))
        .and(header("MSCRM.BypassCustomPluginExecution", "true"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!(
            "/api/data/v9.2/accounts({ACCOUNT})/primarycontactid/$ref"
        )))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let users = org.client.table("systemusers");
    let roles = users.navigation(user, "systemuserroles_association");
    roles
        .associate("roles", role)
        .impersonate(Impersonation::SystemUserId(Uuid::from_u128(2)))
        .await
        .expect("assigned");
    roles
        .disassociate("roles", role)
        .bypass_plugins()
        .await
        .expect("removed");
    org.client
        .table("accounts")
        .navigation(account_id(), "primarycontactid")
        .clear_reference()
        .await
        .expect("cleared");
    let err = users
        .navigation(user, "bad/nav")
        .associate("roles", role)
        .await
        .expect_err("checked");
    assert!(
        matches!(err, DataverseError::InvalidInput { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn property_builders_take_options_and_read_an_empty_column_as_null() {
    let org = support::org().await;
    let row = format!("/api/data/v9.2/accounts({ACCOUNT})");
    Mock::given(method("GET"))
        .and(path(format!("{row}/description")))
        .and(header(
            "CallerObjectId",
            "00000000-0000-0000-0000-000000000001",
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("{row}/name")))
        .and(body_json(serde_json::json!({"value": null})))
        .and(header("MSCRM.BypassCustomPluginExecution", "true"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let accounts = org.client.table("accounts");
    let value = accounts
        .property(account_id(), "description")
        .get()
        .impersonate(Impersonation::EntraObjectId(Uuid::from_u128(1)))
        .await
        .expect("204 is null");
    assert!(value.is_null());
    accounts
        .property(account_id(), "name")
        .put(serde_json::Value::Null)
        .bypass_plugins()
        .await
        .expect("put");
    let by_key = accounts
        .property(RecordKey::alternate([("accountnumber", "A1")]), "name")
        .get();
    assert!(format!("{by_key:?}").contains("accountnumber"));
}
