//! Bulk writes: every row gets an outcome, in input order; failures stay with their rows.

mod support;

use std::collections::HashMap;

use dataverse_webapi::{BulkOptions, Record, RecordKey};
use support::EchoCreates;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn create_many_reports_each_row_in_order() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/$batch"))
        .respond_with(EchoCreates {
            org: org.server.uri(),
        })
        .expect(3)
        .mount(&org.server)
        .await;
    let rows: Vec<Record> = (0..25)
        .map(|i| Record::new().with("subject", format!("Lead {i}")))
        .collect();
    let report = org
        .client
        .create_many(
            "leads",
            &rows,
            &BulkOptions {
                batch_size: 10,
                ..Default::default()
            },
        )
        .await
        .expect("bulk");
    assert_eq!(report.outcomes.len(), 25);
    assert_eq!(report.succeeded(), 25);
    for (i, outcome) in report.outcomes.iter().enumerate() {
        assert_eq!(outcome.index, i);
        assert!(
            outcome.result.as_ref().expect("ok").is_some(),
            "row {i} has an id"
        );
    }
}

#[tokio::test]
async fn a_failed_part_fails_only_its_row_and_a_failed_batch_only_its_rows() {
    let org = support::org().await;
    // The batch holding rows 0-1: the second part fails. The batch holding rows 2-3: refused whole.
    let mixed = "--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n\r\n--b\r\nContent-Type: application/http\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"error\":{\"code\":\"0x80044331\",\"message\":\"A validation error occurred.\"}}\r\n--b--\r\n";
    Mock::given(method("POST"))
        .and(wiremock::matchers::body_string_contains("\"row 0\""))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mixed, "multipart/mixed; boundary=b"))
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::body_string_contains("\"row 2\""))
        .respond_with(ResponseTemplate::new(413).set_body_json(
            serde_json::json!({"error": {"code": "", "message": "Request too large"}}),
        ))
        .mount(&org.server)
        .await;
    let rows: Vec<(RecordKey, Record)> = (0..4)
        .map(|i| {
            (
                RecordKey::alternate([("subject", format!("row {i}"))]),
                Record::new().with("subject", format!("row {i}")),
            )
        })
        .collect();
    let report = org
        .client
        .upsert_many(
            "leads",
            &rows,
            &BulkOptions {
                batch_size: 2,
                ..Default::default()
            },
        )
        .await
        .expect("bulk");
    let statuses: Vec<Option<u16>> = report
        .outcomes
        .iter()
        .map(|o| o.result.as_ref().err().and_then(|f| f.status))
        .collect();
    assert_eq!(statuses, [None, Some(400), Some(413), Some(413)]);
    let failure = report.outcomes[1].result.as_ref().expect_err("row 1");
    assert_eq!(failure.code.as_deref(), Some("0x80044331"));
    assert_eq!(report.failed().count(), 3);
}

#[tokio::test]
async fn a_row_that_cannot_be_serialised_fails_alone() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/leads"))
        .respond_with(ResponseTemplate::new(204).insert_header(
            "OData-EntityId",
            format!(
                "{}/api/data/v9.2/leads(00000000-0000-0000-0000-000000000001)",
                org.server.uri()
            ),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let good: HashMap<String, i32> = HashMap::from([("a".to_string(), 1)]);
    // A map with non-string keys has no JSON form.
    let bad: HashMap<(i32, i32), i32> = HashMap::from([((1, 2), 3)]);
    let rows = [serde_json::to_value(&good).expect("json")];
    let report = org
        .client
        .create_many(
            "leads",
            &rows[..1],
            &BulkOptions {
                batch_size: 1,
                ..Default::default()
            },
        )
        .await
        .expect("bulk");
    assert_eq!(report.succeeded(), 1, "batch size 1 sends a plain POST");
    let report = org
        .client
        .create_many("leads", &[bad], &BulkOptions::default())
        .await
        .expect("bulk");
    assert_eq!(report.outcomes.len(), 1);
    assert!(report.outcomes[0].result.is_err());
}
