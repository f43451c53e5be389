//! The table handle and its builders against wiremock: each verb, and each chained option
//! reaching the wire as the header or query option it stands for.

mod support;

use dataverse_webapi::{Expand, Impersonation, Record, RecordKey, RequestOptions};
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wiremock::matchers::{body_json, header, headers, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const LEAD: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";

fn lead_id() -> Uuid {
    Uuid::parse_str(LEAD).expect("guid")
}

fn lead_path() -> String {
    format!("/api/data/v9.2/leads({LEAD})")
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Lead {
    subject: String,
}

#[tokio::test]
async fn retrieve_puts_select_and_expand_in_the_url_and_can_be_typed() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(lead_path()))
        .and(query_param("$select", "subject"))
        .and(query_param("$expand", "parentaccountid($select=name)"))
        .and(header(
            "MSCRMCallerID",
            "00000000-0000-0000-0000-000000000007",
        ))
        .and(header("Consistency", "Strong"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"subject": "Hi"})),
        )
        .expect(2)
        .mount(&org.server)
        .await;
    let leads = org.client.table("leads");
    let record: Record = leads
        .retrieve(lead_id())
        .select(["subject"])
        .expand(Expand::new("parentaccountid").select(["name"]))
        .impersonate(Impersonation::SystemUserId(Uuid::from_u128(7)))
        .strong_consistency()
        .await
        .expect("record");
    assert_eq!(record.get_str("subject"), Some("Hi"));
    let typed: Lead = leads
        .retrieve(lead_id())
        .typed::<Lead>()
        .select(["subject"])
        .expand(Expand::new("parentaccountid").select(["name"]))
        .impersonate(Impersonation::SystemUserId(Uuid::from_u128(7)))
        .strong_consistency()
        .send()
        .await
        .expect("typed");
    assert_eq!(typed.subject, "Hi");
}

#[tokio::test]
async fn create_answers_the_id_and_sends_plugin_bypass_and_caller() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/leads"))
        .and(header("MSCRM.BypassCustomPluginExecution", "true"))
        .and(header(
            "CallerObjectId",
            "00000000-0000-0000-0000-000000000009",
        ))
        .and(body_json(serde_json::json!({"subject": "Typed"})))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("{}/api/data/v9.2/leads({LEAD})", org.server.uri()),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let id = org
        .client
        .table("leads")
        .create(&Lead {
            subject: "Typed".into(),
        })
        .bypass_plugins()
        .impersonate(Impersonation::EntraObjectId(Uuid::from_u128(9)))
        .await
        .expect("id");
    assert_eq!(id, lead_id());
}

#[tokio::test]
async fn create_with_return_representation_asks_for_the_row() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/leads"))
        .and(query_param("$select", "subject,leadid"))
        .and(header("Prefer", "return=representation"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(serde_json::json!({"subject": "Back", "leadid": LEAD})),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    let row = org
        .client
        .table("leads")
        .create(&Record::new().with("subject", "Back"))
        .return_representation()
        .select(["subject", "leadid"])
        .await
        .expect("row");
    assert_eq!(row.get_guid("leadid"), Some(lead_id()));
}

#[tokio::test]
async fn update_sends_the_etag_and_duplicate_detection() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .and(header("If-Match", "W/\"123\""))
        .and(header("MSCRM.SuppressDuplicateDetection", "false"))
        .and(body_json(serde_json::json!({"subject": "New"})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    org.client
        .table("leads")
        .update(lead_id(), &Record::new().with("subject", "New"))
        .if_match("W/\"123\"")
        .duplicate_detection()
        .await
        .expect("updated");
}

#[tokio::test]
async fn update_without_an_etag_is_never_a_create() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .and(header("If-Match", "*"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    org.client
        .table("leads")
        .update(lead_id(), &Record::new().with("subject", "New"))
        .send()
        .await
        .expect("updated");
}

#[tokio::test]
async fn update_with_return_representation_keeps_the_etag_condition() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .and(header("If-Match", "W/\"5\""))
        .and(header("Prefer", "return=representation"))
        .and(query_param("$select", "subject"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"subject": "New"})),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    let row = org
        .client
        .table("leads")
        .update(lead_id(), &Record::new().with("subject", "New"))
        .if_match("W/\"5\"")
        .return_representation()
        .select(["subject"])
        .await
        .expect("row");
    assert_eq!(row.get_str("subject"), Some("New"));
}

#[tokio::test]
async fn a_failed_conditional_update_is_a_precondition_error() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .respond_with(ResponseTemplate::new(412).set_body_json(serde_json::json!({
            "error": {"code": "0x80060882", "message": "The version of the existing record doesn't match"}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let err = org
        .client
        .table("leads")
        .update(lead_id(), &Record::new().with("subject", "New"))
        .if_match("W/\"1\"")
        .await
        .expect_err("412");
    assert!(err.is_precondition_failed(), "{err}");
}

#[tokio::test]
async fn upsert_modes_and_solution_header() {
    let org = support::org().await;
    let key = RecordKey::alternate([("leadnumber", "L1")]);
    Mock::given(method("PATCH"))
        .and(path("/api/data/v9.2/leads(leadnumber='L1')"))
        .and(header("If-Match", "*"))
        .and(header("MSCRM.SolutionUniqueName", "Sales"))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!("{}/api/data/v9.2/leads({LEAD})", org.server.uri()),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let outcome = org
        .client
        .table("leads")
        .upsert(key, &Record::new().with("subject", "Up"))
        .update_only()
        .in_solution("Sales")
        .await
        .expect("upserted");
    assert_eq!(outcome.id, Some(lead_id()));

    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .and(header("If-None-Match", "*"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&org.server)
        .await;
    let outcome = org
        .client
        .table("leads")
        .upsert(lead_id(), &Record::new().with("subject", "Up"))
        .create_only()
        .await
        .expect("created");
    assert_eq!(outcome.created, Some(true));
}

#[tokio::test]
async fn delete_takes_options_and_an_etag() {
    let org = support::org().await;
    Mock::given(method("DELETE"))
        .and(path(lead_path()))
        .and(header("If-Match", "W/\"9\""))
        .and(header(
            "MSCRMCallerID",
            "00000000-0000-0000-0000-000000000003",
        ))
        .and(header("MSCRM.BypassCustomPluginExecution", "true"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    org.client
        .table("leads")
        .delete(lead_id())
        .if_match("W/\"9\"")
        .impersonate(Impersonation::SystemUserId(Uuid::from_u128(3)))
        .bypass_plugins()
        .await
        .expect("deleted");
}

#[tokio::test]
async fn delete_options_struct_replaces_chained_settings() {
    let org = support::org().await;
    Mock::given(method("DELETE"))
        .and(path(lead_path()))
        .and(header("Consistency", "Strong"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    org.client
        .table("leads")
        .delete(lead_id())
        .options(RequestOptions::default().strongly_consistent())
        .send()
        .await
        .expect("deleted");
    let requests = org.server.received_requests().await.expect("recorded");
    assert!(
        requests[0]
            .headers
            .get("MSCRM.BypassCustomPluginExecution")
            .is_none()
    );
}

#[tokio::test]
async fn query_follows_next_links_and_streams_or_collects() {
    let org = support::org().await;
    let next = format!(
        "{}/api/data/v9.2/leads?$select=subject&$skiptoken=2",
        org.server.uri()
    );
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/leads"))
        .and(query_param("$skiptoken", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"value": [{"subject": "b"}]})),
        )
        .expect(2)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/leads"))
        .and(query_param("$select", "subject"))
        .and(header("Prefer", "odata.maxpagesize=1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"value": [{"subject": "a"}], "@odata.nextLink": next}),
        ))
        .up_to_n_times(2)
        .expect(2)
        .mount(&org.server)
        .await;
    let query = org
        .client
        .table("leads")
        .query()
        .select(["subject"])
        .max_page_size(1);
    let typed: Vec<Lead> = query
        .records_typed::<Lead>()
        .try_collect()
        .await
        .expect("stream");
    assert_eq!(typed.len(), 2);
    let rows = query.await.expect("rows");
    let subjects: Vec<_> = rows.iter().filter_map(|r| r.get_str("subject")).collect();
    assert_eq!(subjects, ["a", "b"]);
}

#[tokio::test]
async fn a_bad_entity_set_is_a_typed_error_before_any_request() {
    let org = support::org().await;
    let err = org
        .client
        .table("leads?$x=1")
        .retrieve(lead_id())
        .await
        .expect_err("refused");
    assert!(!err.to_string().is_empty());
    assert!(
        org.server
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}

#[tokio::test]
async fn builders_debug_without_the_row_values() {
    let org = support::org().await;
    let leads = org.client.table("leads");
    let row = Record::new().with("lastname", "O'Bryan-Private");
    let shown = format!(
        "{:?} {:?} {:?} {:?}",
        leads,
        leads.create(&row),
        leads.update(lead_id(), &row).return_representation(),
        leads.upsert(lead_id(), &row)
    );
    assert!(shown.contains("leads"), "{shown}");
    assert!(!shown.contains("O'Bryan-Private"), "{shown}");
}

#[tokio::test]
async fn update_and_delete_take_the_etag_of_a_retrieved_record_as_an_option() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .and(header("If-Match", "W/\"77\""))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(lead_path()))
        .and(header("If-Match", "W/\"77\""))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let row = Record::new().with("@odata.etag", "W/\"77\"");
    let leads = org.client.table("leads");
    leads
        .update(lead_id(), &Record::new().with("subject", "New"))
        .set_if_match(row.etag())
        .await
        .expect("updated");
    leads
        .delete(lead_id())
        .set_if_match(row.etag().map(str::to_string))
        .await
        .expect("deleted");
}

#[tokio::test]
async fn a_missing_etag_leaves_update_never_a_create_and_delete_unconditional() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .and(header("If-Match", "*"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(lead_path()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let row = Record::new();
    let leads = org.client.table("leads");
    leads
        .update(lead_id(), &Record::new().with("subject", "New"))
        .if_match("W/\"1\"")
        .set_if_match(row.etag())
        .await
        .expect("updated");
    leads
        .delete(lead_id())
        .set_if_match(None::<String>)
        .await
        .expect("deleted");
    let requests = org.server.received_requests().await.expect("recorded");
    let delete = requests
        .iter()
        .find(|r| r.method == wiremock::http::Method::DELETE)
        .expect("a delete");
    assert!(!delete.headers.contains_key("If-Match"));
}

#[tokio::test]
async fn query_settings_reach_every_page_request() {
    let org = support::org().await;
    let next = format!(
        "{}/api/data/v9.2/leads?$select=subject&$skiptoken=2",
        org.server.uri()
    );
    let caller = "00000000-0000-0000-0000-000000000005";
    // wiremock splits the one Prefer header at its commas.
    let prefer = vec![
        "odata.maxpagesize=1",
        "odata.include-annotations=\"OData.Community.Display.V1.FormattedValue\"",
    ];
    // Page 2 is only answered when it carries every per-request header too.
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/leads"))
        .and(query_param("$skiptoken", "2"))
        .and(header("CallerObjectId", caller))
        .and(header("Consistency", "Strong"))
        .and(header("MSCRM.BypassCustomPluginExecution", "true"))
        .and(headers("Prefer", prefer.clone()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"value": [{"subject": "B"}]})),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/leads"))
        .and(query_param("$select", "subject"))
        .and(header("CallerObjectId", caller))
        .and(header("Consistency", "Strong"))
        .and(header("MSCRM.BypassCustomPluginExecution", "true"))
        .and(headers("Prefer", prefer.clone()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": [{"subject": "A"}], "@odata.nextLink": next
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let rows = org
        .client
        .table("leads")
        .query()
        .select(["subject"])
        .max_page_size(1)
        .impersonate(Impersonation::EntraObjectId(Uuid::from_u128(5)))
        .strong_consistency()
        .bypass_plugins()
        .annotations("OData.Community.Display.V1.FormattedValue")
        .await
        .expect("both pages");
    let subjects: Vec<_> = rows.iter().filter_map(|r| r.get_str("subject")).collect();
    assert_eq!(subjects, ["A", "B"]);
    // One Prefer header per request, never a second one from the options.
    for request in org.server.received_requests().await.expect("recorded") {
        assert_eq!(request.headers.get_all("Prefer").iter().count(), 1);
    }
}

#[tokio::test]
async fn query_options_struct_applies_to_pages_and_records() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/leads"))
        .and(header(
            "MSCRMCallerID",
            "00000000-0000-0000-0000-000000000009",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"value": [{"subject": "A"}]})),
        )
        .expect(2)
        .mount(&org.server)
        .await;
    let query = org.client.table("leads").query().options(RequestOptions {
        impersonate: Some(Impersonation::SystemUserId(Uuid::from_u128(9))),
        // A GET has no representation to return: this never reaches the wire.
        return_representation: true,
        ..Default::default()
    });
    let pages: Vec<_> = query.pages().try_collect().await.expect("pages");
    assert_eq!(pages.len(), 1);
    let typed: Vec<Lead> = query.records_typed().try_collect().await.expect("rows");
    assert_eq!(
        typed,
        [Lead {
            subject: "A".into()
        }]
    );
    for request in org.server.received_requests().await.expect("recorded") {
        assert!(
            request.headers.get("Prefer").is_none(),
            "{:?}",
            request.headers
        );
    }
}

#[tokio::test]
async fn upsert_can_return_the_row_and_says_whether_it_was_created() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .and(query_param("$select", "subject,leadid"))
        .and(header("Prefer", "return=representation"))
        .and(body_json(serde_json::json!({"subject": "New"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "@odata.etag": "W/\"1\"", "subject": "New", "leadid": LEAD
        })))
        .up_to_n_times(1)
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .and(header("Prefer", "return=representation"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "@odata.etag": "W/\"2\"", "subject": "New"
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let leads = org.client.table("leads");
    let row = Record::new().with("subject", "New");
    let created = leads
        .upsert(lead_id(), &row)
        .return_representation()
        .select(["subject", "leadid"])
        .await
        .expect("created");
    assert!(created.created);
    assert_eq!(created.record.get_str("subject"), Some("New"));
    assert_eq!(created.record.etag(), Some("W/\"1\""));
    let updated = leads
        .upsert(lead_id(), &row)
        .return_representation()
        .send()
        .await
        .expect("updated");
    assert!(!updated.created);
    assert_eq!(updated.record.etag(), Some("W/\"2\""));
}

#[tokio::test]
async fn upsert_returning_the_row_keeps_its_mode_and_refuses_an_answer_without_the_row() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .and(path(lead_path()))
        .and(header("If-Match", "*"))
        .and(header("Prefer", "return=representation"))
        .and(header("MSCRM.BypassCustomPluginExecution", "true"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let err = org
        .client
        .table("leads")
        .upsert(lead_id(), &Record::new().with("subject", "x"))
        .update_only()
        .bypass_plugins()
        .return_representation()
        .await
        .expect_err("a 204 has no row");
    assert!(
        matches!(err, dataverse_webapi::DataverseError::UnexpectedResponse(_)),
        "{err:?}"
    );
    assert!(err.to_string().contains("204"), "{err}");
}
