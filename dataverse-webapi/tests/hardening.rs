//! Regression tests for the hardening issue: header smuggling into `$batch`, ids read from
//! `Location`, relative next links, 204 properties, create-only upserts retried after a lost
//! answer, and capped error messages. Each runs against its own wiremock server.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use dataverse_webapi::{
    Batch, BatchOptions, BatchRequest, BulkOptions, ClientOptions, DataverseClient, DataverseError,
    Query, Record, RecordKey, RequestOptions,
};
use dynamics_auth::{ManualClock, StaticTokenCredential};
use dynamics_http::{PipelineOptions, RetryOptions, Timeouts};
use futures::StreamExt;
use uuid::Uuid;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const ACCOUNT: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";

fn account_id() -> Uuid {
    Uuid::parse_str(ACCOUNT).expect("guid")
}

fn invalid_what(result: &Result<impl std::fmt::Debug, DataverseError>) -> String {
    match result {
        Err(DataverseError::InvalidInput { what, .. }) => what.clone(),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

// ---- Item 1: nothing a caller passes can add a line to a $batch part ----

#[tokio::test]
async fn batch_header_and_content_id_injection_is_refused_before_sending() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&org.server)
        .await;
    let secret = "x\r\nMSCRMCallerID: 00000000-0000-0000-0000-000000000001";
    let body = Record::new().with("name", "a");
    let cases: Vec<(BatchRequest, &str)> = vec![
        (
            BatchRequest::create("accounts", &body)
                .expect("request")
                .header("Prefer", secret),
            "value of batch header `Prefer`",
        ),
        (
            BatchRequest::create("accounts", &body)
                .expect("request")
                .header("X-A\r\nMSCRM.BypassCustomPluginExecution", "true"),
            "batch header name",
        ),
        (
            BatchRequest::create("accounts", &body)
                .expect("request")
                .header("X-A", "nul\0byte"),
            "value of batch header `X-A`",
        ),
        (
            BatchRequest::create("accounts", &body)
                .expect("request")
                .header("X A", "v"),
            "batch header name",
        ),
        (
            BatchRequest::create("accounts", &body)
                .expect("request")
                .content_id("1\r\nMSCRMCallerID: x"),
            "batch Content-ID",
        ),
        (
            BatchRequest::patch("$1 HTTP/1.1\r\nMSCRMCallerID: x\r\n\r\nPATCH $1", &body)
                .expect("request"),
            "batch operation path",
        ),
        (
            BatchRequest::get("accounts\r\nX: y"),
            "batch operation path",
        ),
    ];
    for (request, what) in cases {
        // Inside a change set, as a single part of a batch, and as a plain request (a
        // batch of one in a bulk write) alike.
        let mut single = Batch::new();
        single.push(request.clone());
        single.push(BatchRequest::get("accounts"));
        let result = org
            .client
            .execute_batch(&single, &BatchOptions::default())
            .await;
        assert_eq!(invalid_what(&result), what);
        let text = result.expect_err("refused").to_string();
        assert!(!text.contains("MSCRMCallerID"), "{text}");
        assert!(
            !text.contains("00000000-0000-0000-0000-000000000001"),
            "{text}"
        );
        if request.method() != dynamics_http::Method::Get {
            let mut change_set = Batch::new();
            change_set
                .push_change_set(vec![request.clone()])
                .expect("change set");
            let result = org
                .client
                .execute_batch(&change_set, &BatchOptions::default())
                .await;
            assert_eq!(invalid_what(&result), what);
        }
    }
}

#[tokio::test]
async fn valid_batch_headers_still_go_through() {
    let org = support::org().await;
    // A tab is allowed in a value; a valid token header passes.
    let mut fine = Batch::new();
    fine.push(BatchRequest::get("accounts").header("X-Note", "a\tb"));
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/$batch"))
        .and(wiremock::matchers::body_string_contains("X-Note: a\tb\r\n"))
        .respond_with(support::EchoCreates {
            org: org.server.uri(),
        })
        .expect(1)
        .mount(&org.server)
        .await;
    let mut two = fine.clone();
    two.push(BatchRequest::get("contacts"));
    org.client
        .execute_batch(&two, &BatchOptions::default())
        .await
        .expect("valid headers go through");
}

#[tokio::test]
async fn a_batch_of_one_with_a_smuggled_header_is_refused() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&org.server)
        .await;
    // A batch of one goes as a plain request: the same check applies.
    let mut batch = Batch::new();
    batch.push(BatchRequest::delete("accounts(1)").header("If-Match", "*\r\nMSCRMCallerID: x"));
    let result = org
        .client
        .execute_batch(&batch, &BatchOptions::default())
        .await;
    assert_eq!(invalid_what(&result), "value of batch header `If-Match`");
}

// ---- Item 12: $batch asks for multipart ----

#[tokio::test]
async fn batch_requests_accept_multipart() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/$batch"))
        .and(header("accept", "multipart/mixed"))
        .and(header("odata-version", "4.0"))
        .respond_with(support::EchoCreates {
            org: org.server.uri(),
        })
        .expect(1)
        .mount(&org.server)
        .await;
    let mut batch = Batch::new();
    batch.push(BatchRequest::get("accounts"));
    batch.push(BatchRequest::get("contacts"));
    let result = org
        .client
        .execute_batch(&batch, &BatchOptions::default())
        .await
        .expect("batch");
    assert_eq!(result.responses.len(), 2);
}

// ---- Items 8 and 11: ids from Location ----

#[tokio::test]
async fn create_reads_the_id_from_location_alone() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(ResponseTemplate::new(201).insert_header(
            "Location",
            format!("{}/api/data/v9.2/accounts({ACCOUNT})", org.server.uri()),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let id = org
        .client
        .table("accounts")
        .create(&Record::new())
        .await
        .expect("a 201 with Location is a create");
    assert_eq!(id, account_id());
}

#[tokio::test]
async fn create_reads_a_relative_location_and_refuses_a_foreign_one() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(
            ResponseTemplate::new(201).insert_header("Location", format!("accounts({ACCOUNT})")),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/contacts"))
        .respond_with(ResponseTemplate::new(201).insert_header(
            "Location",
            format!("https://evil.example.com/api/data/v9.2/contacts({ACCOUNT})"),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let id = org
        .client
        .table("accounts")
        .create(&Record::new())
        .await
        .expect("relative Location");
    assert_eq!(id, account_id());
    let foreign = org.client.table("contacts").create(&Record::new()).await;
    assert!(
        matches!(foreign, Err(DataverseError::ForeignLink { .. })),
        "{foreign:?}"
    );
}

#[tokio::test]
async fn create_with_representation_reads_the_key_from_the_body() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/opportunities"))
        .and(header("prefer", "return=representation"))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "@odata.context": "x/$metadata#opportunities/$entity",
            "name": "Deal",
            "opportunityid": ACCOUNT,
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let id = org
        .client
        .table("opportunities")
        .create(&Record::new().with("name", "Deal"))
        .options(RequestOptions::default().return_representation())
        .await
        .expect("the key in the body");
    assert_eq!(id, account_id());
}

#[tokio::test]
async fn bulk_outcomes_read_location() {
    let org = support::org().await;
    struct LocationOnly(String);
    impl Respond for LocationOnly {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let body = String::from_utf8_lossy(&request.body);
            let mut out = String::new();
            for i in 0..body.matches(" HTTP/1.1\r\n").count() {
                out.push_str(&format!(
                    "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 201 Created\r\nLocation: {}/api/data/v9.2/accounts(00000000-0000-0000-0000-{i:012})\r\n\r\n\r\n",
                    self.0
                ));
            }
            out.push_str("--b--\r\n");
            ResponseTemplate::new(200).set_body_raw(out, "multipart/mixed; boundary=b")
        }
    }
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/$batch"))
        .respond_with(LocationOnly(org.server.uri()))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(ResponseTemplate::new(201).insert_header(
            "Location",
            format!("{}/api/data/v9.2/accounts({ACCOUNT})", org.server.uri()),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let rows = vec![
        Record::new().with("name", "a"),
        Record::new().with("name", "b"),
    ];
    let report = org
        .client
        .create_many("accounts", &rows, &BulkOptions::default())
        .await
        .expect("report");
    let ids: Vec<_> = report
        .outcomes
        .iter()
        .map(|o| o.result.clone().expect("ok"))
        .collect();
    assert_eq!(
        ids,
        vec![Some(Uuid::from_u128(0)), Some(Uuid::from_u128(1)),]
    );
    // A batch of one goes as a plain request and reads Location too.
    let report = org
        .client
        .create_many(
            "accounts",
            &rows[..1],
            &BulkOptions {
                batch_size: 1,
                ..Default::default()
            },
        )
        .await
        .expect("report");
    assert_eq!(report.outcomes[0].result, Ok(Some(account_id())));
}

// ---- Item 9: relative next links ----

fn page(ids: std::ops::Range<u32>, next: Option<&str>) -> serde_json::Value {
    let mut page = serde_json::json!({
        "value": ids.map(|i| serde_json::json!({"n": i})).collect::<Vec<_>>()
    });
    if let Some(next) = next {
        page["@odata.nextLink"] = next.into();
    }
    page
}

#[tokio::test]
async fn relative_next_links_are_resolved_against_the_request() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param("$skiptoken", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(page(2..4, Some("/api/data/v9.2/accounts?$skiptoken=3"))),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param("$skiptoken", "3"))
        // An empty last page.
        .respond_with(ResponseTemplate::new(200).set_body_json(page(0..0, None)))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param("$select", "name"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(page(0..2, Some("accounts?$skiptoken=2"))),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    let pages: Vec<_> = org
        .client
        .pages(&Query::new("accounts").select(["name"]))
        .collect()
        .await;
    let sizes: Vec<usize> = pages
        .into_iter()
        .map(|p| p.expect("page").value.len())
        .collect();
    assert_eq!(sizes, vec![2, 2, 0]);
}

#[tokio::test]
async fn a_saved_relative_link_resumes_paging() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .and(query_param("$skiptoken", "9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(0..1, None)))
        .expect(2)
        .mount(&org.server)
        .await;
    for link in [
        "accounts?$skiptoken=9",
        "/api/data/v9.2/accounts?$skiptoken=9",
    ] {
        let pages: Vec<_> = org.client.pages_from_link(link, None, None).collect().await;
        assert_eq!(pages.len(), 1);
        assert_eq!(pages[0].as_ref().expect("page").value.len(), 1);
    }
}

#[tokio::test]
async fn a_relative_link_to_another_origin_gets_no_token() {
    let org = support::org().await;
    let other = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(0..0, None)))
        .expect(0)
        .mount(&other)
        .await;
    let authority = other.uri().trim_start_matches("http://").to_string();
    // A network-path reference: relative, but to another host.
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            0..1,
            Some(&format!(
                "//{authority}/api/data/v9.2/accounts?$skiptoken=2"
            )),
        )))
        .expect(1)
        .mount(&org.server)
        .await;
    let pages: Vec<_> = org.client.pages(&Query::new("accounts")).collect().await;
    assert!(
        matches!(pages.last(), Some(Err(DataverseError::ForeignLink { .. }))),
        "{pages:?}"
    );
    let resumed: Vec<_> = org
        .client
        .pages_from_link(&format!("//{authority}/x"), None, None)
        .collect()
        .await;
    assert!(matches!(
        resumed.first(),
        Some(Err(DataverseError::ForeignLink { .. }))
    ));
}

// ---- Item 10: a null property is 204 ----

#[tokio::test]
async fn a_null_property_answered_204_is_null() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/data/v9.2/accounts({ACCOUNT})/description"
        )))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let value = org
        .client
        .table("accounts")
        .property(account_id(), "description")
        .get()
        .await
        .expect("204 is null");
    assert_eq!(value, serde_json::Value::Null);
}

// ---- Item 5: a create-only upsert that created the row before its answer was lost ----

/// First answer: the row is created, but only after the client gave up on the attempt.
/// Every later answer: 412, the row exists.
struct CreatedThenExists {
    calls: Arc<AtomicUsize>,
    delay: Duration,
}

impl Respond for CreatedThenExists {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            ResponseTemplate::new(204).set_delay(self.delay)
        } else {
            ResponseTemplate::new(412).set_body_json(serde_json::json!({
                "error": {"code": "0x80040237", "message": "A record with matching key values already exists."}
            }))
        }
    }
}

fn client_with_per_try_timeout(
    server: &wiremock::MockServer,
    per_try: Duration,
) -> DataverseClient {
    let credential = StaticTokenCredential::new(
        "test-token",
        time::OffsetDateTime::now_utc() + Duration::from_secs(3600),
    );
    DataverseClient::new(
        &server.uri(),
        Arc::new(credential),
        ClientOptions {
            pipeline: PipelineOptions {
                clock: Arc::new(ManualClock::starting_now()),
                retry: RetryOptions {
                    jitter: false,
                    ..Default::default()
                },
                timeouts: Timeouts {
                    per_attempt: per_try,
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .expect("client")
}

#[tokio::test]
async fn a_create_only_upsert_retried_after_a_lost_answer_is_a_create() {
    let server = wiremock::MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("PATCH"))
        .and(path(format!("/api/data/v9.2/accounts({ACCOUNT})")))
        .and(header("if-none-match", "*"))
        .respond_with(CreatedThenExists {
            calls: Arc::clone(&calls),
            // Far past the per-try timeout, which is itself long enough for a loaded machine
            // to answer the retry in time.
            delay: Duration::from_secs(5),
        })
        .expect(2)
        .mount(&server)
        .await;
    let client = client_with_per_try_timeout(&server, Duration::from_secs(1));
    let outcome = client
        .table("accounts")
        .upsert(account_id(), &Record::new().with("name", "a"))
        .create_only()
        .await
        .expect("the retry's 412 is our own create");
    assert_eq!(outcome.created, Some(true));
    assert_eq!(outcome.id, Some(account_id()));
    assert_eq!(outcome.key, Some(RecordKey::Id(account_id())));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_create_only_upsert_returning_the_row_reads_it_back_after_a_lost_answer() {
    let server = wiremock::MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("PATCH"))
        .and(path(format!("/api/data/v9.2/accounts({ACCOUNT})")))
        .and(query_param("$select", "name"))
        .and(header("if-none-match", "*"))
        .and(header("prefer", "return=representation"))
        .respond_with(CreatedThenExists {
            calls: Arc::clone(&calls),
            // Far past the per-try timeout, which is itself long enough for a loaded machine
            // to answer the retry in time.
            delay: Duration::from_secs(5),
        })
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/data/v9.2/accounts({ACCOUNT})")))
        .and(query_param("$select", "name"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "@odata.etag": "W/\"5\"", "name": "a"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client_with_per_try_timeout(&server, Duration::from_secs(1));
    let row = client
        .table("accounts")
        .upsert(account_id(), &Record::new().with("name", "a"))
        .create_only()
        .return_representation()
        .select(["name"])
        .await
        .expect("the retry's 412 is our own create; the row is read back");
    assert!(row.created);
    assert_eq!(row.record.get_str("name"), Some("a"));
    let requests = server.received_requests().await.expect("recorded");
    let read = requests
        .iter()
        .find(|r| r.method.as_str() == "GET")
        .expect("a read");
    assert!(read.headers.get("prefer").is_none(), "{:?}", read.headers);
}

#[tokio::test]
async fn a_create_only_upsert_that_finds_the_row_at_once_still_fails() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(412).set_body_json(serde_json::json!({
            "error": {"code": "0x80040237", "message": "exists"}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let err = org
        .client
        .table("accounts")
        .upsert(account_id(), &Record::new())
        .create_only()
        .await
        .expect_err("412 on the first attempt");
    assert!(err.is_precondition_failed());
}

#[tokio::test]
async fn a_create_only_upsert_retries_a_503_then_reads_412_as_done() {
    let org = support::org().await;
    Mock::given(method("PATCH"))
        .respond_with(unavailable_then(412))
        .expect(2)
        .mount(&org.server)
        .await;
    let outcome = org
        .client
        .table("accounts")
        .upsert(
            RecordKey::alternate([("accountnumber", "A1")]),
            &Record::new(),
        )
        .create_only()
        .await
        .expect("done");
    assert_eq!(outcome.created, Some(true));
    assert_eq!(outcome.id, None);
    assert_eq!(org.clock.sleeps().len(), 1, "one back-off before the retry");
}

// ---- Review item 1: a repeat never reports the caller's own write as a failure ----

/// First answer: the write is applied, but only after the client gave up on the attempt.
/// Every later answer: `then` (with a Dataverse error body).
struct AppliedThen {
    calls: Arc<AtomicUsize>,
    then: u16,
}

impl Respond for AppliedThen {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            ResponseTemplate::new(204).set_delay(Duration::from_secs(5))
        } else {
            ResponseTemplate::new(self.then).set_body_json(serde_json::json!({
                "error": {"code": "0x80040217", "message": "no longer as it was"}
            }))
        }
    }
}

async fn applied_then(
    server: &wiremock::MockServer,
    verb: &str,
    then: u16,
    expect: u64,
) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method(verb))
        .and(path(format!("/api/data/v9.2/accounts({ACCOUNT})")))
        .respond_with(AppliedThen {
            calls: Arc::clone(&calls),
            then,
        })
        .expect(expect)
        .mount(server)
        .await;
    calls
}

#[tokio::test]
async fn an_update_with_an_etag_is_not_repeated_after_a_lost_answer() {
    let server = wiremock::MockServer::start().await;
    let calls = applied_then(&server, "PATCH", 412, 1).await;
    let client = client_with_per_try_timeout(&server, Duration::from_secs(1));
    let err = client
        .table("accounts")
        .update(account_id(), &Record::new().with("name", "a"))
        .if_match("W/\"1\"")
        .await
        .expect_err("the lost answer");
    assert!(!err.is_precondition_failed(), "{err}");
    assert_eq!(err.status(), None, "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_update_without_an_etag_is_still_repeated() {
    let server = wiremock::MockServer::start().await;
    let calls = applied_then(&server, "PATCH", 204, 2).await;
    let client = client_with_per_try_timeout(&server, Duration::from_secs(1));
    client
        .table("accounts")
        .update(account_id(), &Record::new().with("name", "a"))
        .await
        .expect("the repeat is answered");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_delete_repeated_after_a_lost_answer_that_finds_no_row_succeeded() {
    let server = wiremock::MockServer::start().await;
    let calls = applied_then(&server, "DELETE", 404, 2).await;
    let client = client_with_per_try_timeout(&server, Duration::from_secs(1));
    client
        .table("accounts")
        .delete(account_id())
        .await
        .expect("the repeat's 404 is our own delete");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_disassociate_repeated_after_a_lost_answer_that_finds_no_link_succeeded() {
    let server = wiremock::MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    Mock::given(method("DELETE"))
        .and(path(format!(
            "/api/data/v9.2/accounts({ACCOUNT})/primarycontactid/$ref"
        )))
        .respond_with(AppliedThen {
            calls: Arc::clone(&calls),
            then: 404,
        })
        .expect(2)
        .mount(&server)
        .await;
    let client = client_with_per_try_timeout(&server, Duration::from_secs(1));
    client
        .disassociate("accounts", account_id(), "primarycontactid", None)
        .await
        .expect("the repeat's 404 is our own disassociate");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_delete_after_a_503_reads_the_404_of_its_repeat_as_done() {
    let org = support::org().await;
    Mock::given(method("DELETE"))
        .respond_with(unavailable_then(404))
        .expect(2)
        .mount(&org.server)
        .await;
    org.client
        .table("accounts")
        .delete(account_id())
        .await
        .expect("done");
    assert_eq!(
        org.clock.sleeps().len(),
        1,
        "one back-off before the repeat"
    );
}

#[tokio::test]
async fn a_delete_of_a_missing_row_still_fails() {
    let org = support::org().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&org.server)
        .await;
    let err = org
        .client
        .table("accounts")
        .delete(account_id())
        .await
        .expect_err("404 on the first attempt");
    assert!(err.is_not_found(), "{err}");
}

#[tokio::test]
async fn a_delete_with_an_etag_is_not_repeated_after_a_lost_answer() {
    let server = wiremock::MockServer::start().await;
    let calls = applied_then(&server, "DELETE", 412, 1).await;
    let client = client_with_per_try_timeout(&server, Duration::from_secs(1));
    let err = client
        .table("accounts")
        .delete(account_id())
        .if_match("W/\"1\"")
        .await
        .expect_err("the lost answer");
    assert!(!err.is_precondition_failed(), "{err}");
    assert_eq!(err.status(), None, "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_bulk_delete_of_one_row_per_request_survives_a_lost_answer() {
    let server = wiremock::MockServer::start().await;
    let calls = applied_then(&server, "DELETE", 404, 2).await;
    let client = client_with_per_try_timeout(&server, Duration::from_secs(1));
    let report = client
        .delete_many(
            "accounts",
            &[RecordKey::Id(account_id())],
            &BulkOptions {
                batch_size: 1,
                ..Default::default()
            },
        )
        .await
        .expect("report");
    assert_eq!(report.succeeded(), 1, "{:?}", report.outcomes);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

// ---- Review item 2: client options never print a proxy's credentials ----

#[test]
fn client_options_debug_hides_the_proxy_credentials() {
    let options = ClientOptions {
        pipeline: PipelineOptions {
            proxy: Some(
                url::Url::parse("http://alice:hunter2@proxy.example:3128").expect("proxy url"),
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    for shown in [format!("{options:?}"), format!("{options:#?}")] {
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("alice"), "{shown}");
        assert!(shown.contains("proxy.example"), "{shown}");
    }
}

// ---- Review item 3: an alternate-key value never shows in an error ----

#[tokio::test]
async fn a_404_for_an_alternate_key_hides_the_key_value() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "error": {"code": "0x80040217", "message": "Contact does not exist."}
        })))
        .expect(1)
        .mount(&org.server)
        .await;
    let err = org
        .client
        .table("contacts")
        .retrieve(RecordKey::alternate([("emailaddress1", "jane@x.com")]))
        .select(["fullname"])
        .await
        .expect_err("404");
    assert!(err.is_not_found(), "{err}");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("jane"), "{shown}");
        assert!(shown.contains("contacts("), "{shown}");
    }
}

// ---- Review item 5: one rule for header values, whatever the batch size ----

#[tokio::test]
async fn a_non_ascii_header_value_is_refused_alike_in_a_batch_and_alone() {
    let org = support::org().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&org.server)
        .await;
    let op = || BatchRequest::delete(&format!("accounts({ACCOUNT})")).header("X-Note", "caf\u{e9}");
    let mut two = Batch::new();
    two.push(op());
    two.push(op());
    let result = org
        .client
        .execute_batch(&two, &BatchOptions::default())
        .await;
    assert_eq!(invalid_what(&result), "value of batch header `X-Note`");
    let mut one = Batch::new();
    one.push(op());
    let result = org
        .client
        .execute_batch(&one, &BatchOptions::default())
        .await;
    assert_eq!(invalid_what(&result), "value of batch header `X-Note`");
}

// ---- Item 4: the service's message is capped in Display ----

#[tokio::test]
async fn a_huge_service_message_is_capped_in_display() {
    let org = support::org().await;
    let message = format!("start\r\nFORGED LOG LINE {}", "x".repeat(100_000));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": {"code": "0x80040203", "message": message}
        })))
        .mount(&org.server)
        .await;
    let err = org
        .client
        .table("accounts")
        .retrieve(account_id())
        .await
        .expect_err("400");
    let text = err.to_string();
    assert!(
        text.len() < dataverse_webapi::MESSAGE_LIMIT + 300,
        "{} chars",
        text.len()
    );
    assert!(text.contains("0x80040203"), "{text}");
    assert!(text.contains("start  FORGED"), "{text}");
    assert!(!text.contains('\n'));
    assert!(text.ends_with('…'), "{text}");
    // More of the message than `Display` shows is kept for code that wants it (the HTTP
    // layer bounds what it stores, so a hostile body cannot grow memory without limit).
    let DataverseError::Http(http) = &err else {
        panic!("{err:?}")
    };
    let kept = http
        .status_error()
        .and_then(|s| s.message.as_deref())
        .expect("the message is kept");
    assert!(
        kept.len() > dataverse_webapi::MESSAGE_LIMIT,
        "{} chars kept",
        kept.len()
    );
    assert!(
        message.starts_with(kept),
        "the kept message is a prefix of the original"
    );
}

// ---- Item 3: Debug hides values ----

#[test]
fn debug_hides_values() {
    const SECRET: &str = "s3cr3t-jane.doe@example.com";
    let key = RecordKey::alternate([("emailaddress1", SECRET)]);
    let literal = dataverse_webapi::Literal::from(SECRET);
    let page: dataverse_webapi::Page = serde_json::from_value(serde_json::json!({
        "value": [{"emailaddress1": SECRET}],
        "@odata.nextLink": format!("https://org.example.com/api/data/v9.2/contacts?$filter=emailaddress1 eq '{SECRET}'&$skiptoken=1"),
        "@odata.deltaLink": format!("https://org.example.com/api/data/v9.2/contacts?$deltatoken={SECRET}"),
        "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie": format!("<cookie pagingcookie=\"{SECRET}\" />"),
    }))
    .expect("page");
    let fetch = dataverse_webapi::FetchXml::new(
        "contacts",
        &format!(
            r#"<fetch><entity name="contact"><filter><condition attribute="emailaddress1" operator="eq" value="{SECRET}"/></filter></entity></fetch>"#
        ),
    )
    .expect("fetch");
    let query = Query::new("contacts")
        .filter(dataverse_webapi::Filter::eq("emailaddress1", SECRET))
        .apply(&format!(
            "filter(emailaddress1 eq '{SECRET}')/aggregate($count as n)"
        ))
        .expand(
            dataverse_webapi::Expand::new("Contact_Tasks")
                .filter(dataverse_webapi::Filter::eq("subject", SECRET)),
        );
    let outcome = dataverse_webapi::UpsertOutcome {
        id: None,
        key: Some(key.clone()),
        created: None,
    };
    for text in [
        format!("{key:?}"),
        format!("{literal:?}"),
        format!("{page:?}"),
        format!("{fetch:?}"),
        format!("{query:?}"),
        format!("{outcome:?}"),
        format!("{:?}", RecordKey::alternate([("n", 12345678)])),
    ] {
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(!text.contains("12345678"), "{text}");
    }
    // Still useful: names and shapes show.
    assert!(format!("{key:?}").contains("emailaddress1"));
    assert!(format!("{page:?}").contains("/api/data/v9.2/contacts"));
    assert!(format!("{query:?}").contains("contacts"));
}

// ---- Item 6: extreme execution-time messages cannot break the limiter ----

#[tokio::test]
async fn extreme_execution_time_messages_do_not_panic_or_leak_slots() {
    use dataverse_webapi::{ConcurrencyLimiter, LimiterOptions};
    use dynamics_http::AttemptOutcome;
    let huge = "9".repeat(400);
    let tiny = format!("0.{}1", "0".repeat(400));
    let messages = [
        format!("exceeded limit of 1,200,000 milliseconds over time window of {huge} seconds."),
        format!("exceeded limit of {tiny} milliseconds over time window of 300 seconds."),
        format!("exceeded limit of {huge} milliseconds over time window of {huge} seconds."),
        format!("exceeded limit of {huge} milliseconds over time window of 300 seconds."),
        "exceeded limit of 1,200,000 milliseconds over time window of 0 seconds.".to_string(),
        "exceeded limit of 0 milliseconds over time window of 0 seconds.".to_string(),
        "exceeded limit of 1,200,000 milliseconds over time window of 0.0000001 seconds."
            .to_string(),
        "exceeded limit of ... milliseconds over time window of ,,, seconds.".to_string(),
    ];
    for options in [
        LimiterOptions::default(),
        // Inverted bounds are normalised, not a panic.
        LimiterOptions {
            min: 10,
            max: 2,
            initial: 0,
            ..Default::default()
        },
    ] {
        for message in &messages {
            let limiter = ConcurrencyLimiter::new(options.clone());
            let observer = limiter.observer();
            let mut ok = AttemptOutcome::new(Some(200), Duration::from_millis(10), None, None);
            observer.on_attempt(&ok);
            let mut throttled = AttemptOutcome::new(
                Some(429),
                Duration::ZERO,
                Some(Duration::from_secs(1)),
                None,
            );
            throttled.error = Some((Some("0x80072321".into()), Some(message.clone())));
            observer.on_attempt(&throttled);
            observer.on_attempt(&throttled);
            ok.latency = Duration::MAX;
            observer.on_attempt(&ok);
            ok.latency = Duration::ZERO;
            observer.on_attempt(&ok);
            for _ in 0..8 {
                let permit = limiter.acquire().await;
                assert_eq!(limiter.in_flight(), 1, "{message}");
                drop(permit);
            }
            assert_eq!(limiter.in_flight(), 0);
            assert!(limiter.limit() >= 1);
        }
    }
}

/// A request dropped while the limiter paces it (it holds a slot and sleeps until its start
/// time) gives the slot back. The pacing delay here is a minute of real time (the budget is
/// tiny and latency a second); the test never waits for it, it aborts the sleeper.
#[tokio::test]
async fn a_request_dropped_while_paced_gives_its_slot_back() {
    use dataverse_webapi::{ConcurrencyLimiter, LimiterOptions};
    use dynamics_http::AttemptOutcome;
    let limiter = ConcurrencyLimiter::new(LimiterOptions::default());
    let observer = limiter.observer();
    let mut throttled = AttemptOutcome::new(
        Some(429),
        Duration::ZERO,
        Some(Duration::from_secs(1)),
        None,
    );
    // 3 s of execution per 300 s: a hundredth of a request in flight.
    throttled.error = Some((
        Some("0x80072321".into()),
        Some(
            "Combined execution time of incoming requests exceeded limit of 3,000 milliseconds over time window of 300 seconds."
                .into(),
        ),
    ));
    observer.on_attempt(&throttled);
    observer.on_attempt(&AttemptOutcome::new(
        Some(200),
        Duration::from_secs(1),
        None,
        None,
    ));
    assert_eq!(limiter.limit(), 2, "one in budget plus one spare");
    // The first start is not delayed; the second is paced a minute later.
    let held = limiter.acquire().await;
    assert_eq!(limiter.in_flight(), 1);
    let paced = tokio::spawn({
        let limiter = limiter.clone();
        async move { limiter.acquire().await }
    });
    // Until the second request has taken its slot and sleeps in the pacing delay.
    for _ in 0..10_000 {
        if limiter.in_flight() == 2 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(limiter.in_flight(), 2, "the paced request holds a slot");
    assert!(!paced.is_finished(), "it is still sleeping");
    paced.abort();
    assert!(paced.await.expect_err("aborted").is_cancelled());
    assert_eq!(limiter.in_flight(), 1, "the dropped request's slot is free");
    drop(held);
    assert_eq!(limiter.in_flight(), 0);
}

// ---- Item 7: FetchXML paging edits the root element, refuses overflow, stops on a loop ----

const COOKIE: &str = r#"<cookie pagenumber="2" pagingcookie="%253ccookie%2520page%253d%25221%2522%253e%253c%252fcookie%253e" istracking="False" />"#;

#[test]
fn fetch_xml_paging_edits_only_the_root_fetch() {
    use dataverse_webapi::FetchXml;
    let text = r#"<?xml version="1.0"?>
<!-- <fetch page="7"> is how paging looks -->
<fetch count="3" mapping="logical"><entity name="account"><attribute name="name"/><filter><condition attribute="name" operator="eq" value="&lt;fetch page=&quot;9&quot;&gt;"/></filter><![CDATA[<fetch page="8">]]></entity></fetch>"#;
    let q = FetchXml::new("accounts", text).expect("valid");
    let next = q.next_page(COOKIE).expect("next");
    let doc = next.fetch();
    assert!(
        doc.contains(r#"<!-- <fetch page="7"> is how paging looks -->"#),
        "{doc}"
    );
    assert!(doc.contains(r#"<fetch count="3" mapping="logical" page="2" paging-cookie="&lt;cookie page=&quot;1&quot;&gt;&lt;/cookie&gt;">"#), "{doc}");
    assert!(doc.contains(r#"<![CDATA[<fetch page="8">]]>"#));
    assert!(doc.contains(r#"value="&lt;fetch page=&quot;9&quot;&gt;""#));
    let third = next.next_page(COOKIE).expect("third");
    assert!(third.fetch().contains(r#" page="3" "#), "{}", third.fetch());
    assert_eq!(third.fetch().matches("paging-cookie=").count(), 1);
    // The same with the paging attributes written in single quotes, between others.
    let q = FetchXml::new(
        "accounts",
        "<fetch page='5' count='3' paging-cookie='old'><entity name='account'/></fetch>",
    )
    .expect("valid");
    let next = q.next_page(COOKIE).expect("next");
    assert!(
        next.fetch()
            .starts_with(r#"<fetch count='3' page="6" paging-cookie=""#),
        "{}",
        next.fetch()
    );
}

#[test]
fn fetch_xml_page_numbers_cannot_overflow() {
    use dataverse_webapi::FetchXml;
    for page in ["4294967295", "2147483647"] {
        let q = FetchXml::new(
            "accounts",
            &format!(r#"<fetch page="{page}"><entity name="account"/></fetch>"#),
        )
        .expect("valid");
        assert!(
            matches!(
                q.next_page(COOKIE),
                Err(DataverseError::FetchXmlPaging { .. } | DataverseError::InvalidInput { .. })
            ),
            "{page}"
        );
    }
    for bad in ["-1", "0", "x", "99999999999999999999"] {
        let q = FetchXml::new(
            "accounts",
            &format!(r#"<fetch page="{bad}"><entity name="account"/></fetch>"#),
        )
        .expect("valid");
        assert!(q.next_page(COOKIE).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn a_repeated_paging_cookie_stops_fetch_xml_paging() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path("/api/data/v9.2/accounts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": [{"name": "a"}],
            "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie": COOKIE,
            "@Microsoft.Dynamics.CRM.morerecords": true
        })))
        .mount(&org.server)
        .await;
    let q =
        dataverse_webapi::FetchXml::new("accounts", r#"<fetch><entity name="account"/></fetch>"#)
            .expect("valid");
    let pages: Vec<_> = org.client.fetch_xml_pages(&q).take(10).collect().await;
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[0].is_ok());
    assert!(
        matches!(pages[1], Err(DataverseError::FetchXmlPaging { .. })),
        "{pages:?}"
    );
}

// ---- Item 2: raw filters keep their meaning when combined ----

#[test]
fn raw_filters_are_parenthesized_when_combined() {
    use dataverse_webapi::Filter;
    let raw = || Filter::raw("a eq 1 or b eq 2");
    let x = || Filter::eq("c", 3);
    assert_eq!(
        raw().and(x()).to_odata().expect("ok"),
        "(a eq 1 or b eq 2) and c eq 3"
    );
    assert_eq!(
        x().and(raw()).to_odata().expect("ok"),
        "c eq 3 and (a eq 1 or b eq 2)"
    );
    assert_eq!(
        raw().not().to_odata().expect("ok"),
        "not ((a eq 1 or b eq 2))"
    );
    assert_eq!(raw().to_odata().expect("ok"), "a eq 1 or b eq 2");
    assert_eq!(
        Filter::raw("a eq 1")
            .or(Filter::raw("b eq 2 and c eq 3"))
            .to_odata()
            .expect("ok"),
        "(a eq 1) or (b eq 2 and c eq 3)"
    );
    // A raw filter that could close the parentheses around it is refused.
    for bad in ["a eq 1) or (b eq 2", "a eq 'x", "(a eq 1", "a eq 1)"] {
        assert!(Filter::raw(bad).and(x()).to_odata().is_err(), "{bad}");
    }
    assert_eq!(
        Filter::raw("name eq 'it''s (x'")
            .and(x())
            .to_odata()
            .expect("ok"),
        "(name eq 'it''s (x') and c eq 3"
    );
}

#[test]
fn batch_request_debug_hides_key_values() {
    let request = BatchRequest::upsert(
        "contacts",
        RecordKey::alternate([("emailaddress1", "s3cr3t@example.com")]),
        &Record::new(),
    )
    .expect("request");
    let text = format!("{request:?}");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(text.contains("contacts"), "{text}");
}

#[tokio::test]
async fn a_bad_operation_in_a_later_chunk_stops_the_batch_before_any_request() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .respond_with(support::EchoCreates {
            org: org.server.uri(),
        })
        .expect(0)
        .mount(&org.server)
        .await;
    let mut batch = Batch::new();
    for _ in 0..4 {
        batch.push(BatchRequest::get("accounts"));
    }
    batch.push(BatchRequest::get("accounts").header("X-A", "1\r\nMSCRMCallerID: x"));
    let result = org
        .client
        .execute_batch(
            &batch,
            &BatchOptions {
                max_requests_per_batch: 2,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(invalid_what(&result), "value of batch header `X-A`");
}

// ---- Request options land in real HTTP headers: a bad value is a typed usage error ----

#[tokio::test]
async fn a_request_option_with_a_line_break_is_a_usage_error_and_nothing_is_sent() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&org.server)
        .await;
    let options = RequestOptions {
        solution_unique_name: Some(
            "Contoso\r\nMSCRMCallerID: 00000000-0000-0000-0000-000000000001".into(),
        ),
        ..RequestOptions::default()
    };
    let err = org
        .client
        .table("accounts")
        .create(&Record::new().with("name", "a"))
        .options(options)
        .await
        .expect_err("a header value with CR/LF is refused");
    assert!(!err.is_retryable(), "{err}");
    assert!(
        matches!(
            &err,
            DataverseError::Http(dynamics_http::HttpError::InvalidHeader { .. })
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains("MSCRMCallerID: 0000"), "{err}");
}

/// Answers 503 to the first request and `then` to every later one.
fn unavailable_then(then: u16) -> impl Respond {
    struct UnavailableThen {
        calls: AtomicUsize,
        then: u16,
    }
    impl Respond for UnavailableThen {
        fn respond(&self, _: &Request) -> ResponseTemplate {
            match self.calls.fetch_add(1, Ordering::SeqCst) {
                0 => ResponseTemplate::new(503),
                _ => ResponseTemplate::new(self.then),
            }
        }
    }
    UnavailableThen {
        calls: AtomicUsize::new(0),
        then,
    }
}
