//! Solution import, list and find against wiremock: request shapes, polling of the async
//! operation on the manual clock, the import job's result XML, and hostile answers.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use dataverse_webapi::DataverseError;
use dataverse_webapi::solutions::{
    Publisher, RoleDefinition, SolutionBuilder, SolutionPrivilegeLevel,
};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const API: &str = "/api/data/v9.2";
const JOB: &str = "0b7c4a6e-61d2-4f0e-9d2c-1f1f0a0a0a01";
const OPERATION: &str = "5d4f0e3a-2a6b-4c1d-8e7f-aaaaaaaaaa02";

fn job_id() -> Uuid {
    Uuid::parse_str(JOB).expect("guid")
}

fn operation_id() -> Uuid {
    Uuid::parse_str(OPERATION).expect("guid")
}

fn sample_zip() -> Vec<u8> {
    SolutionBuilder::new(
        "MarketplaceLeadWriter",
        "1.0.0.0",
        Publisher::new("contoso", "Contoso", "cts", 10000),
    )
    .role(
        RoleDefinition::new("Marketplace Lead Writer")
            .privilege("prvCreateLead", SolutionPrivilegeLevel::Global),
    )
    .build()
    .expect("zip")
}

const SUCCESS_XML: &str = r#"<importexportxml start="1" stop="2" progress="100" processed="true" succeeded="success" status="">
  <solutionManifests>
    <solutionManifest languagecode="1033" id="MarketplaceLeadWriter" version="1.0.0.0">
      <UniqueName>MarketplaceLeadWriter</UniqueName>
      <Version>1.0.0.0</Version>
      <result result="success" errorcode="0" errortext="" />
    </solutionManifest>
  </solutionManifests>
  <entities>
    <entity id="lead" LocalizedName="Lead"><result result="warning" errorcode="0x1" errortext="Form &amp; view skipped" /></entity>
  </entities>
  <roles><role id="{x}" name="Marketplace Lead Writer"><result result="success" errortext="" /></role></roles>
</importexportxml>"#;

const FAILURE_XML: &str = r#"<importexportxml succeeded="failure" status="The following solution cannot be imported: MarketplaceLeadWriter. Some dependencies are missing.">
  <solutionManifests><solutionManifest><UniqueName>MarketplaceLeadWriter</UniqueName>
  <result result="failure" errortext="Some dependencies are missing." /></solutionManifest></solutionManifests>
</importexportxml>"#;

async fn mount_job(org: &support::Org, data: Value, expect: u64) {
    Mock::given(method("GET"))
        .and(path(format!("{API}/importjobs({JOB})")))
        .and(query_param("$select", "data,solutionname,progress"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "importjobid": JOB,
            "data": data,
            "solutionname": "MarketplaceLeadWriter",
            "progress": 100.0
        })))
        .expect(expect)
        .mount(&org.server)
        .await;
}

#[tokio::test]
async fn sync_import_sends_the_zip_in_base64_with_the_chosen_job_id() {
    let org = support::org().await;
    let zip = sample_zip();
    Mock::given(method("POST"))
        .and(path(format!("{API}/ImportSolution")))
        .and(body_json(json!({
            "OverwriteUnmanagedCustomizations": true,
            "PublishWorkflows": false,
            "CustomizationFile": base64::engine::general_purpose::STANDARD.encode(&zip),
            "ImportJobId": JOB,
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    mount_job(&org, json!(SUCCESS_XML), 1).await;
    let outcome = org
        .client
        .solutions()
        .import(zip)
        .overwrite_unmanaged_customizations(true)
        .import_job_id(job_id())
        .await
        .expect("imported");
    assert_eq!(outcome.import_job_id, Some(job_id()));
    assert_eq!(outcome.async_operation_id, None);
    assert_eq!(
        outcome.solution_unique_name.as_deref(),
        Some("MarketplaceLeadWriter")
    );
    assert_eq!(outcome.version.as_deref(), Some("1.0.0.0"));
    assert_eq!(outcome.warnings.len(), 1);
    assert_eq!(outcome.warnings[0].message, "Form & view skipped");
    assert_eq!(
        outcome.warnings[0].component.as_deref(),
        Some("entity Lead")
    );
}

#[tokio::test]
async fn sync_import_without_a_chosen_id_sends_a_fresh_one_and_reads_that_job() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/ImportSolution")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": null})))
        .expect(1)
        .mount(&org.server)
        .await;
    let outcome = org
        .client
        .solutions()
        .import(sample_zip())
        .await
        .expect("imported");
    let requests = org.server.received_requests().await.expect("recorded");
    let body: Value = serde_json::from_slice(&requests[0].body).expect("json");
    let sent = Uuid::parse_str(body["ImportJobId"].as_str().expect("id")).expect("guid");
    assert_eq!(outcome.import_job_id, Some(sent));
    assert_eq!(requests[1].url.path(), format!("{API}/importjobs({sent})"));
    assert!(outcome.warnings.is_empty());
}

#[tokio::test]
async fn a_job_that_reports_failure_is_a_typed_error_with_its_text() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/ImportSolution")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&org.server)
        .await;
    mount_job(&org, json!(FAILURE_XML), 1).await;
    let err = org
        .client
        .solutions()
        .import(sample_zip())
        .import_job_id(job_id())
        .await
        .expect_err("failed import");
    match &err {
        DataverseError::SolutionImportFailed {
            import_job_id,
            async_operation_id,
            message,
        } => {
            assert_eq!(*import_job_id, Some(job_id()));
            assert_eq!(*async_operation_id, None);
            assert!(
                message.contains("Some dependencies are missing"),
                "{message}"
            );
        }
        other => panic!("expected SolutionImportFailed, got {other:?}"),
    }
    assert!(err.to_string().contains(JOB), "{err}");
}

#[tokio::test]
async fn an_error_answer_is_explained_by_the_job_when_it_says_why() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/ImportSolution")))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "error": {"code": "0x80048033", "message": "Import failed."}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    mount_job(&org, json!(FAILURE_XML), 1).await;
    let err = org
        .client
        .solutions()
        .import(sample_zip())
        .import_job_id(job_id())
        .await
        .expect_err("failed import");
    assert!(
        matches!(&err, DataverseError::SolutionImportFailed { message, .. } if message.contains("dependencies are missing")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_error_answer_stays_the_service_error_when_no_job_exists() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/ImportSolution")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"code": "0x80048060", "message": "The solution file is invalid."}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/importjobs({JOB})")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"code": "0x80040217", "message": "importjob With Id = x Does Not Exist"}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let err = org
        .client
        .solutions()
        .import(sample_zip())
        .import_job_id(job_id())
        .await
        .expect_err("failed import");
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("0x80048060"));
}

#[tokio::test]
async fn bytes_that_are_not_a_zip_are_refused_before_sending() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&org.server)
        .await;
    let err = org
        .client
        .solutions()
        .import(b"<xml/>".to_vec())
        .await
        .expect_err("refused");
    assert!(
        matches!(err, DataverseError::InvalidInput { .. }),
        "{err:?}"
    );
}

/// Answers the async operation with each of `states` in turn, then the last one forever.
struct Sequence {
    states: Vec<Value>,
    calls: Arc<AtomicUsize>,
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let state = &self.states[n.min(self.states.len() - 1)];
        ResponseTemplate::new(200).set_body_json(state)
    }
}

async fn mount_async_start(org: &support::Org, answer: Value) {
    Mock::given(method("POST"))
        .and(path(format!("{API}/ImportSolutionAsync")))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
        .mount(&org.server)
        .await;
}

async fn mount_operation(org: &support::Org, states: Vec<Value>) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path(format!("{API}/asyncoperations({OPERATION})")))
        .and(query_param(
            "$select",
            "statecode,statuscode,message,friendlymessage",
        ))
        .respond_with(Sequence {
            states,
            calls: calls.clone(),
        })
        .mount(&org.server)
        .await;
    calls
}

fn started() -> Value {
    json!({
        "@odata.context": "https://org/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.ImportSolutionAsyncResponse",
        "AsyncOperationId": OPERATION,
        "ImportJobKey": JOB
    })
}

#[tokio::test]
async fn async_import_polls_until_completed_and_succeeded() {
    let org = support::org().await;
    mount_async_start(&org, started()).await;
    let calls = mount_operation(
        &org,
        vec![
            json!({"statecode": 0, "statuscode": 10}),
            json!({"statecode": 2, "statuscode": 20}),
            json!({"statecode": 3, "statuscode": 30, "message": null}),
        ],
    )
    .await;
    mount_job(&org, json!(SUCCESS_XML), 1).await;
    let outcome = org
        .client
        .solutions()
        .import(sample_zip())
        .asynchronously()
        .poll_interval(Duration::from_secs(5))
        .await
        .expect("imported");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(org.clock.sleeps(), vec![Duration::from_secs(5); 2]);
    assert_eq!(outcome.async_operation_id, Some(operation_id()));
    assert_eq!(outcome.import_job_id, Some(job_id()));
    assert_eq!(outcome.warnings.len(), 1);
    let requests = org.server.received_requests().await.expect("recorded");
    let body: Value = serde_json::from_slice(&requests[0].body).expect("json");
    assert!(body.get("ImportJobId").is_none(), "{body}");
    assert!(body["CustomizationFile"].is_string());
}

#[tokio::test]
async fn async_failure_carries_the_job_text_and_both_ids() {
    let org = support::org().await;
    mount_async_start(&org, started()).await;
    mount_operation(
        &org,
        vec![json!({"statecode": 3, "statuscode": 31, "message": "raw", "friendlymessage": "Import failed"})],
    )
    .await;
    mount_job(&org, json!(FAILURE_XML), 1).await;
    let err = org
        .client
        .solutions()
        .import(sample_zip())
        .asynchronously()
        .await
        .expect_err("failed");
    match err {
        DataverseError::SolutionImportFailed {
            import_job_id,
            async_operation_id,
            message,
        } => {
            assert_eq!(import_job_id, Some(job_id()));
            assert_eq!(async_operation_id, Some(operation_id()));
            assert!(message.contains("dependencies are missing"), "{message}");
        }
        other => panic!("expected SolutionImportFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn async_failure_without_a_job_uses_the_operation_message() {
    let org = support::org().await;
    mount_async_start(
        &org,
        json!({"AsyncOperationId": OPERATION, "ImportJobKey": "not-a-guid"}),
    )
    .await;
    mount_operation(
        &org,
        vec![json!({"statecode": "3", "statuscode": "31", "message": "raw", "friendlymessage": "The zip is broken"})],
    )
    .await;
    let err = org
        .client
        .solutions()
        .import(sample_zip())
        .asynchronously()
        .await
        .expect_err("failed");
    assert!(
        matches!(&err, DataverseError::SolutionImportFailed { message, import_job_id: None, .. } if message == "The zip is broken"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_canceled_operation_is_a_failure_naming_the_status() {
    let org = support::org().await;
    mount_async_start(&org, json!({"AsyncOperationId": OPERATION})).await;
    mount_operation(&org, vec![json!({"statecode": 3, "statuscode": 32})]).await;
    let err = org
        .client
        .solutions()
        .import(sample_zip())
        .asynchronously()
        .await
        .expect_err("canceled");
    assert!(err.to_string().contains("Canceled (32)"), "{err}");
}

#[tokio::test]
async fn an_operation_that_never_ends_times_out_naming_it() {
    let org = support::org().await;
    mount_async_start(&org, started()).await;
    let calls = mount_operation(&org, vec![json!({"statecode": 2, "statuscode": 20})]).await;
    let err = org
        .client
        .solutions()
        .import(sample_zip())
        .asynchronously()
        .poll_interval(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .await
        .expect_err("timed out");
    match &err {
        DataverseError::SolutionImportTimedOut {
            async_operation_id,
            import_job_id,
            waited,
            last_status,
        } => {
            assert_eq!(*async_operation_id, operation_id());
            assert_eq!(*import_job_id, Some(job_id()));
            assert_eq!(*waited, Duration::from_secs(60));
            assert_eq!(last_status, "InProgress (20)");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.to_string().contains(OPERATION), "{err}");
    assert!(err.to_string().contains(JOB), "{err}");
    // One poll at the start and one after each of the six 10 s waits.
    assert_eq!(calls.load(Ordering::SeqCst), 7);
    assert_eq!(org.clock.sleeps(), vec![Duration::from_secs(10); 6]);
}

#[tokio::test]
async fn a_tiny_poll_interval_is_raised_to_the_minimum() {
    let org = support::org().await;
    mount_async_start(&org, started()).await;
    mount_operation(
        &org,
        vec![
            json!({"statecode": 0, "statuscode": 0}),
            json!({"statecode": 3, "statuscode": 30}),
        ],
    )
    .await;
    mount_job(&org, json!(null), 1).await;
    org.client
        .solutions()
        .import(sample_zip())
        .asynchronously()
        .poll_interval(Duration::ZERO)
        .await
        .expect("imported");
    assert_eq!(
        org.clock.sleeps(),
        vec![dataverse_webapi::solutions::MIN_POLL_INTERVAL]
    );
}

#[tokio::test]
async fn hostile_start_answers_are_typed_errors() {
    for answer in [
        json!({}),
        json!({"AsyncOperationId": 42}),
        json!({"AsyncOperationId": "not a guid"}),
        json!([1, 2]),
    ] {
        let org = support::org().await;
        mount_async_start(&org, answer.clone()).await;
        let err = org
            .client
            .solutions()
            .import(sample_zip())
            .asynchronously()
            .await
            .expect_err("refused");
        assert!(
            matches!(err, DataverseError::UnexpectedResponse(_)),
            "{answer}: {err:?}"
        );
    }
}

#[tokio::test]
async fn hostile_operation_rows_are_typed_errors() {
    for row in [
        json!({"statecode": {"x": 1}, "statuscode": 30}),
        json!({"statecode": 3, "statuscode": [31]}),
        json!({"statecode": 3, "statuscode": 1e30}),
    ] {
        let org = support::org().await;
        mount_async_start(&org, started()).await;
        mount_operation(&org, vec![row.clone()]).await;
        let err = org
            .client
            .solutions()
            .import(sample_zip())
            .asynchronously()
            .await
            .expect_err("refused");
        assert!(
            matches!(err, DataverseError::UnexpectedResponse(_)),
            "{row}: {err:?}"
        );
    }
}

#[tokio::test]
async fn an_operation_row_without_state_keeps_polling_until_the_limit() {
    let org = support::org().await;
    mount_async_start(&org, started()).await;
    mount_operation(&org, vec![json!({"unrelated": true})]).await;
    let err = org
        .client
        .solutions()
        .import(sample_zip())
        .asynchronously()
        .poll_interval(Duration::from_secs(30))
        .timeout(Duration::from_secs(30))
        .await
        .expect_err("timed out");
    assert!(
        matches!(&err, DataverseError::SolutionImportTimedOut { last_status, .. } if last_status == "not reported"),
        "{err:?}"
    );
}

#[tokio::test]
async fn hostile_job_data_is_a_typed_error() {
    let huge = format!(
        "<importexportxml succeeded=\"success\">{}</importexportxml>",
        "<a/>".repeat(4_200_000)
    );
    for data in [
        json!(12),
        json!({"xml": "<x/>"}),
        json!("<<<not xml"),
        json!("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>"),
        json!(huge),
    ] {
        let org = support::org().await;
        Mock::given(method("POST"))
            .and(path(format!("{API}/ImportSolution")))
            .respond_with(ResponseTemplate::new(204))
            .mount(&org.server)
            .await;
        mount_job(&org, data, 1).await;
        let err = org
            .client
            .solutions()
            .import(sample_zip())
            .import_job_id(job_id())
            .await
            .expect_err("refused");
        assert!(
            matches!(&err, DataverseError::UnexpectedResponse(m) if m.contains(JOB)),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_result_xml_that_does_not_say_keeps_the_service_verdict() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/ImportSolution")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&org.server)
        .await;
    mount_job(
        &org,
        json!("<importexportxml><unknown/></importexportxml>"),
        1,
    )
    .await;
    let outcome = org
        .client
        .solutions()
        .import(sample_zip())
        .import_job_id(job_id())
        .await
        .expect("imported");
    // The name comes from the job's solutionname column when the XML lacks it.
    assert_eq!(
        outcome.solution_unique_name.as_deref(),
        Some("MarketplaceLeadWriter")
    );
    assert_eq!(outcome.version, None);
}

fn solution_row(name: &str, version: &str) -> Value {
    json!({
        "solutionid": "a1b2c3d4-0000-0000-0000-000000000001",
        "uniquename": name,
        "friendlyname": "Marketplace Lead Writer",
        "version": version,
        "ismanaged": true,
        "installedon": "2026-12-05T10:00:00Z",
        "publisherid": {"uniquename": "contoso", "friendlyname": "Contoso", "customizationprefix": "cts"}
    })
}

#[tokio::test]
async fn list_asks_for_visible_solutions_with_their_publisher() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/solutions")))
        .and(query_param(
            "$select",
            "solutionid,uniquename,friendlyname,version,ismanaged,installedon",
        ))
        .and(query_param(
            "$expand",
            "publisherid($select=uniquename,friendlyname,customizationprefix)",
        ))
        .and(query_param("$filter", "isvisible eq true"))
        .and(query_param("$orderby", "uniquename asc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [solution_row("MarketplaceLeadWriter", "1.0.0.0"), {"uniquename": "Sparse"}]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let list = org.client.solutions().list().await.expect("listed");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].unique_name, "MarketplaceLeadWriter");
    assert_eq!(list[0].version.as_deref(), Some("1.0.0.0"));
    assert_eq!(list[0].managed, Some(true));
    let publisher = list[0].publisher.as_ref().expect("publisher");
    assert_eq!(publisher.customization_prefix.as_deref(), Some("cts"));
    assert_eq!(list[1].unique_name, "Sparse");
    assert_eq!(list[1].publisher, None);
}

#[tokio::test]
async fn list_refuses_rows_without_a_name_or_with_wrong_types() {
    for row in [
        json!({"friendlyname": "x"}),
        json!({"uniquename": "x", "ismanaged": "yes"}),
        json!({"uniquename": 5}),
    ] {
        let org = support::org().await;
        Mock::given(method("GET"))
            .and(path(format!("{API}/solutions")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [row]})))
            .mount(&org.server)
            .await;
        let err = org.client.solutions().list().await.expect_err("refused");
        assert!(
            matches!(
                err,
                DataverseError::UnexpectedResponse(_) | DataverseError::InvalidInput { .. }
            ),
            "{row}: {err:?}"
        );
    }
}

#[tokio::test]
async fn find_filters_by_name_and_version_with_escaped_literals() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/solutions")))
        .and(query_param(
            "$filter",
            "uniquename eq 'Lead''Writer' and version eq '2.0.0.0'",
        ))
        .and(query_param("$top", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .expect(1)
        .mount(&org.server)
        .await;
    let found = org
        .client
        .solutions()
        .find("Lead'Writer")
        .version("2.0.0.0")
        .await
        .expect("queried");
    assert_eq!(found, None);
}

#[tokio::test]
async fn find_answers_the_installed_solution() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/solutions")))
        .and(query_param(
            "$filter",
            "uniquename eq 'MarketplaceLeadWriter'",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [solution_row("MarketplaceLeadWriter", "1.2.0.0")]
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let found = org
        .client
        .solutions()
        .find("MarketplaceLeadWriter")
        .await
        .expect("queried")
        .expect("found");
    assert_eq!(found.version.as_deref(), Some("1.2.0.0"));
    assert_eq!(
        found.id,
        Some(Uuid::parse_str("a1b2c3d4-0000-0000-0000-000000000001").expect("guid"))
    );
}
