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

#[tokio::test]
async fn the_table_handle_writes_many_rows_with_its_batch_settings() {
    let org = support::org().await;
    // 25 rows in batches of 5: five batches; then all 25 in one batch via `.options(..)`.
    Mock::given(method("POST"))
        .and(path("/api/data/v9.2/$batch"))
        .respond_with(EchoCreates {
            org: org.server.uri(),
        })
        .expect(6)
        .mount(&org.server)
        .await;
    let rows: Vec<Record> = (0..25)
        .map(|i| Record::new().with("subject", format!("Lead {i}")))
        .collect();
    let leads = org.client.table("leads");
    let report = leads
        .create_many(&rows)
        .batch_size(5)
        .parallelism(2)
        .await
        .expect("bulk");
    assert!(report.all_succeeded());
    assert_eq!(report.ids().len(), 25);
    let report = leads
        .create_many(&rows)
        .options(BulkOptions {
            batch_size: 25,
            ..Default::default()
        })
        .send()
        .await
        .expect("bulk");
    assert_eq!(report.outcomes.len(), 25);
    assert!(report.all_succeeded());
}

#[tokio::test]
async fn the_table_handle_upserts_updates_and_deletes_many_rows() {
    let org = support::org().await;
    let id = |n: u128| uuid::Uuid::from_u128(n);
    let row_path = |n: u128| format!("/api/data/v9.2/leads({})", id(n));
    for n in 1..=2 {
        // Upsert and update are both a PATCH on the row: two each.
        Mock::given(method("PATCH"))
            .and(path(row_path(n)))
            .respond_with(ResponseTemplate::new(204))
            .expect(2)
            .mount(&org.server)
            .await;
        Mock::given(method("DELETE"))
            .and(path(row_path(n)))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&org.server)
            .await;
    }
    let rows: Vec<(RecordKey, Record)> = (1..=2)
        .map(|n| (RecordKey::from(id(n)), Record::new().with("subject", "x")))
        .collect();
    let keys: Vec<RecordKey> = (1..=2).map(|n| RecordKey::from(id(n))).collect();
    let leads = org.client.table("leads");
    // Batch size 1 sends plain requests, so each verb is visible on its own.
    let upserted = leads.upsert_many(&rows).batch_size(1).await.expect("bulk");
    let updated = leads.update_many(&rows).batch_size(1).await.expect("bulk");
    let deleted = leads.delete_many(&keys).batch_size(1).await.expect("bulk");
    for report in [upserted, updated, deleted] {
        assert_eq!(report.outcomes.len(), 2);
        assert!(report.all_succeeded(), "{:?}", report.failures());
    }
    let sent = org.server.received_requests().await.expect("recorded");
    let conditions: Vec<Option<&str>> = sent
        .iter()
        .filter(|r| r.method == wiremock::http::Method::PATCH)
        .map(|r| r.headers.get("If-Match").and_then(|v| v.to_str().ok()))
        .collect();
    // The update never creates (`If-Match: *`); the upsert may.
    assert_eq!(conditions, [None, None, Some("*"), Some("*")]);
}

#[tokio::test]
async fn bulk_builders_debug_without_the_row_values() {
    let org = support::org().await;
    let rows = [Record::new().with("emailaddress1", "someone@example.com")];
    let keys = [RecordKey::from(uuid::Uuid::from_u128(1))];
    let leads = org.client.table("leads");
    let shown = format!(
        "{:?} {:?}",
        leads.create_many(&rows).batch_size(3),
        leads.delete_many(&keys)
    );
    assert!(!shown.contains("someone@example.com"), "{shown}");
    assert!(
        shown.contains("CreateMany") && shown.contains("batch_size: 3"),
        "{shown}"
    );
    assert!(
        shown.contains("DeleteMany") && shown.contains("rows: 1"),
        "{shown}"
    );
}
