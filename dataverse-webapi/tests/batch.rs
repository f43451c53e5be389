//! `$batch` against wiremock: splitting, change sets with Content-ID, continue-on-error, and
//! Microsoft's documented batch answers.

mod support;

use dataverse_webapi::{Batch, BatchOptions, BatchRequest, Record};
use support::EchoCreates;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn a_batch_over_the_limit_is_split() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/$batch"))
        .and(header("odata-version", "4.0"))
        .respond_with(EchoCreates {
            org: org.server.uri(),
        })
        .expect(3)
        .mount(&org.server)
        .await;
    let mut batch = Batch::new();
    for i in 0..2500 {
        batch.push(
            BatchRequest::create("leads", &Record::new().with("subject", format!("Lead {i}")))
                .expect("request"),
        );
    }
    let result = org
        .client
        .execute_batch(&batch, &BatchOptions::default())
        .await
        .expect("batch");
    assert_eq!(result.responses.len(), 2500);
    assert!(result.all_succeeded());
    let id = org
        .client
        .batch_entity_id(&result.responses[7])
        .expect("entity id")
        .expect("present");
    assert_eq!(id.to_string(), "00000000-0000-0000-0000-000000000007");
    let sizes: Vec<usize> = org
        .server
        .received_requests()
        .await
        .expect("recorded")
        .iter()
        .map(|r| {
            String::from_utf8_lossy(&r.body)
                .matches(" HTTP/1.1\r\n")
                .count()
        })
        .collect();
    assert_eq!(sizes, [1000, 1000, 500]);
}

#[tokio::test]
async fn change_sets_carry_content_ids_and_references() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/$batch"))
        .respond_with(EchoCreates {
            org: org.server.uri(),
        })
        .expect(1)
        .mount(&org.server)
        .await;
    let mut batch = Batch::new();
    batch
        .push_change_set(vec![
            BatchRequest::create("accounts", &Record::new().with("name", "A"))
                .expect("r")
                .content_id(1),
            BatchRequest::create("contacts", &Record::new().with("lastname", "B"))
                .expect("r")
                .content_id(2),
            BatchRequest::put(
                "$1/primarycontactid/$ref",
                &serde_json::json!({"@odata.id": "$2"}),
            )
            .expect("r")
            .content_id(3),
        ])
        .expect("change set");
    batch.push(BatchRequest::get("accounts?$select=name"));
    org.client
        .execute_batch(&batch, &BatchOptions::default())
        .await
        .expect("batch");
    let sent = org.server.received_requests().await.expect("recorded");
    let body = String::from_utf8_lossy(&sent[0].body);
    let content_type = sent[0]
        .headers
        .get("content-type")
        .expect("ct")
        .to_str()
        .expect("str");
    assert!(
        content_type.starts_with("multipart/mixed; boundary=batch_"),
        "{content_type}"
    );
    assert!(
        body.contains("Content-ID: 1\r\n\r\nPOST /api/data/v9.2/accounts HTTP/1.1"),
        "{body}"
    );
    assert!(
        body.contains("PUT $1/primarycontactid/$ref HTTP/1.1"),
        "{body}"
    );
    assert!(
        body.contains("GET /api/data/v9.2/accounts?$select=name HTTP/1.1"),
        "{body}"
    );

    let mut bad = Batch::new();
    assert!(
        bad.push_change_set(vec![BatchRequest::get("accounts")])
            .is_err()
    );
    assert!(
        bad.push_change_set(vec![
            BatchRequest::delete("accounts(00000000-0000-0000-0000-000000000001)").content_id(1),
            BatchRequest::delete("accounts(00000000-0000-0000-0000-000000000002)").content_id(1),
        ])
        .is_err()
    );
}

#[tokio::test]
async fn the_documented_batch_answers_are_read() {
    let org = support::org().await;
    for (name, parts, failures) in [
        ("batch-basic.json", 4, 0),
        ("batch-changeset.json", 4, 0),
        ("batch-continue-on-error.json", 3, 1),
    ] {
        let f = support::fixture(name, &org.server.uri());
        let content_type = f["response"]["headers"]
            .as_object()
            .and_then(|h| {
                h.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            })
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| {
                let body = f["response"]["body"].as_str().expect("body");
                let boundary = body
                    .lines()
                    .next()
                    .expect("first line")
                    .trim_start_matches("--");
                format!("multipart/mixed; boundary={boundary}")
            });
        let server = wiremock::MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(f["response"]["status"].as_u64().expect("status") as u16)
                    .set_body_raw(
                        f["response"]["body"]
                            .as_str()
                            .expect("body")
                            .replace(&org.server.uri(), &server.uri()),
                        content_type.as_str(),
                    ),
            )
            .mount(&server)
            .await;
        let client = support::client_for(&server);
        let mut batch = Batch::new();
        for _ in 0..parts {
            batch.push(BatchRequest::get("accounts"));
        }
        let result = client
            .execute_batch(
                &batch,
                &BatchOptions {
                    continue_on_error: true,
                    ..Default::default()
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(result.responses.len(), parts, "{name}");
        let failed: Vec<_> = result
            .responses
            .iter()
            .filter(|r| !r.is_success())
            .collect();
        assert_eq!(failed.len(), failures, "{name}");
        for f in failed {
            let (code, message) = f.error().expect("error");
            assert!(code.is_some() && message.is_some(), "{name}");
        }
    }
}

#[tokio::test]
async fn without_continue_on_error_a_failure_stops_the_rest() {
    let org = support::org().await;
    let answer = "--batchresponse_y\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n--batchresponse_y\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"error\":{\"code\":\"0x80044331\",\"message\":\"A validation error occurred.\"}}\r\n--batchresponse_y--\r\n";
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw(answer, "multipart/mixed; boundary=batchresponse_y"),
        )
        .expect(1)
        .mount(&org.server)
        .await;
    let mut batch = Batch::new();
    for _ in 0..5 {
        batch.push(BatchRequest::delete(
            "leads(00000000-0000-0000-0000-000000000001)",
        ));
    }
    let result = org
        .client
        .execute_batch(
            &batch,
            &BatchOptions {
                max_requests_per_batch: 3,
                ..Default::default()
            },
        )
        .await
        .expect("batch ran");
    assert_eq!(result.responses.len(), 2);
    assert_eq!(result.responses[1].status, 400);
    assert_eq!(
        result.not_executed, 3,
        "one in the first request, two in the next, never sent"
    );
    assert!(!result.all_succeeded());
}
