//! Bulk writes through bulk operation messages: the wire shape of each message, the fallback
//! to `$batch` for a table that does not offer one, the isolation of failing rows, elastic
//! partial success, and a repeat after a lost answer.

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use dataverse_webapi::{BulkMessages, BulkOptions, Record, RecordKey};
use serde_json::{Value, json};
use support::EchoCreates;
use uuid::Uuid;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const API: &str = "/api/data/v9.2";

/// `EntityDefinitions` answers the lead table, of `table_type`, whichever name is asked.
async fn lead_table(server: &MockServer, table_type: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{API}/EntityDefinitions")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{
            "LogicalName": "lead",
            "EntitySetName": "leads",
            "PrimaryIdAttribute": "leadid",
            "TableType": table_type,
        }]})))
        .mount(server)
        .await;
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).expect("a JSON body")
}

fn targets(request: &Request) -> Vec<Value> {
    body(request)["Targets"]
        .as_array()
        .expect("Targets")
        .clone()
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"code": code, "message": message}}))
}

/// A standard table's `CreateMultiple`: one transaction. Rows whose subject starts with
/// "bad" fail the whole message, naming the failing target when `name_target`; rows of a
/// message that succeeds are kept in `stored` (so a row written twice shows).
#[derive(Clone)]
struct Transactional {
    stored: Arc<Mutex<Vec<Uuid>>>,
    name_target: bool,
}

impl Respond for Transactional {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let targets = targets(request);
        if let Some(bad) = targets
            .iter()
            .position(|t| t["subject"].as_str().unwrap_or("").starts_with("bad"))
        {
            let message = if self.name_target {
                format!(
                    "A validation error occurred. (Targets[{bad}], leadid {})",
                    targets[bad]["leadid"].as_str().unwrap_or("")
                )
            } else {
                "A validation error occurred.".to_string()
            };
            return error(400, "0x80044331", &message);
        }
        let ids: Vec<Uuid> = targets
            .iter()
            .map(|t| t["leadid"].as_str().expect("leadid").parse().expect("uuid"))
            .collect();
        self.stored.lock().expect("lock").extend(&ids);
        ResponseTemplate::new(200).set_body_json(json!({"Ids": ids}))
    }
}

fn leads(n: usize, bad: &[usize]) -> Vec<Record> {
    (0..n)
        .map(|i| {
            let subject = if bad.contains(&i) { "bad" } else { "good" };
            Record::new().with("subject", format!("{subject} {i}"))
        })
        .collect()
}

#[tokio::test]
async fn create_multiple_sends_typed_targets_with_ids_in_input_order() {
    let org = support::org().await;
    lead_table(&org.server, "Standard").await;
    let stored = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/leads/Microsoft.Dynamics.CRM.CreateMultiple"
        )))
        .respond_with(Transactional {
            stored: Arc::clone(&stored),
            name_target: true,
        })
        .expect(3)
        .mount(&org.server)
        .await;
    // The logical name works as well as the entity set name.
    let report = org
        .client
        .table_for("lead")
        .await
        .expect("the table")
        .create_many(&leads(25, &[]))
        .rows_per_message(10)
        .await
        .expect("bulk");
    assert!(report.all_succeeded(), "{:?}", report.failures());
    let sent = org.server.received_requests().await.expect("recorded");
    let messages: Vec<&Request> = sent
        .iter()
        .filter(|r| r.url.path().ends_with("CreateMultiple"))
        .collect();
    // 25 rows at most 10 a message: 9, 8, 8.
    let sizes: Vec<usize> = messages.iter().map(|r| targets(r).len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), 25);
    assert!(sizes.iter().all(|s| (8..=9).contains(s)), "{sizes:?}");
    let mut by_subject = Vec::new();
    for request in &messages {
        assert!(request.headers.get("prefer").is_some());
        for target in targets(request) {
            assert_eq!(target["@odata.type"], "Microsoft.Dynamics.CRM.lead");
            let id: Uuid = target["leadid"]
                .as_str()
                .expect("id")
                .parse()
                .expect("uuid");
            let n: usize = target["subject"].as_str().expect("subject")[5..]
                .parse()
                .expect("n");
            by_subject.push((n, id));
        }
    }
    by_subject.sort();
    let in_order: Vec<Uuid> = by_subject.into_iter().map(|(_, id)| id).collect();
    assert_eq!(report.ids(), in_order, "ids in input order");
    assert_eq!(stored.lock().expect("lock").len(), 25);
}

#[tokio::test]
async fn update_and_upsert_multiple_name_rows_by_id_or_alternate_key() {
    let org = support::org().await;
    lead_table(&org.server, "Standard").await;
    for action in ["UpdateMultiple", "UpsertMultiple"] {
        Mock::given(method("POST"))
            .and(path(format!("{API}/leads/Microsoft.Dynamics.CRM.{action}")))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&org.server)
            .await;
    }
    let leads = org.client.table("leads");
    let updates: Vec<(RecordKey, Record)> = (1..=3u128)
        .map(|n| {
            (
                RecordKey::from(Uuid::from_u128(n)),
                Record::new().with("subject", "u"),
            )
        })
        .collect();
    let upserts: Vec<(RecordKey, Record)> = (1..=3)
        .map(|n| {
            (
                RecordKey::alternate([("emailaddress1", format!("p{n}@example.com"))]),
                Record::new().with("subject", "v"),
            )
        })
        .collect();
    let updated = leads.update_many(&updates).await.expect("update");
    let upserted = leads.upsert_many(&upserts).await.expect("upsert");
    assert!(updated.all_succeeded() && upserted.all_succeeded());
    assert_eq!(
        updated.ids(),
        (1..=3u128).map(Uuid::from_u128).collect::<Vec<_>>()
    );
    let sent = org.server.received_requests().await.expect("recorded");
    let find = |action: &str| {
        sent.iter()
            .find(|r| r.url.path().ends_with(action))
            .map(targets)
            .expect("sent")
    };
    let update_targets = find("UpdateMultiple");
    for (n, target) in update_targets.iter().enumerate() {
        assert_eq!(target["@odata.type"], "Microsoft.Dynamics.CRM.lead");
        assert_eq!(target["leadid"], Uuid::from_u128(n as u128 + 1).to_string());
    }
    let upsert_targets = find("UpsertMultiple");
    for (n, target) in upsert_targets.iter().enumerate() {
        assert_eq!(target["@odata.type"], "Microsoft.Dynamics.CRM.lead");
        assert_eq!(
            target["@odata.id"],
            format!("leads(emailaddress1='p{}%40example.com')", n + 1)
        );
        assert!(target.get("leadid").is_none());
    }
}

#[tokio::test]
async fn a_table_without_the_message_is_written_by_batch_and_not_probed_again() {
    let org = support::org().await;
    lead_table(&org.server, "Standard").await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/leads/Microsoft.Dynamics.CRM.CreateMultiple"
        )))
        .respond_with(error(
            400,
            "0x80040800",
            "The 'CreateMultiple' method does not support entities of type 'lead'.",
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .respond_with(EchoCreates {
            org: org.server.uri(),
        })
        .expect(4)
        .mount(&org.server)
        .await;
    let rows = leads(20, &[]);
    // A clone shares what the client learnt.
    for client in [org.client.clone(), org.client.clone()] {
        let report = client
            .create_many("leads", &rows, &BulkOptions::default())
            .await
            .expect("bulk");
        assert_eq!(report.succeeded(), 20, "{:?}", report.failures());
    }
    let sent = org.server.received_requests().await.expect("recorded");
    let batches: Vec<&Request> = sent
        .iter()
        .filter(|r| r.url.path().ends_with("$batch"))
        .collect();
    // The refused rows went as $batch creates, without the id the message would have carried.
    let text = String::from_utf8_lossy(&batches[0].body);
    assert!(text.contains("POST "), "{text}");
    assert!(!text.contains("leadid"), "{text}");
    let definitions = sent
        .iter()
        .filter(|r| r.url.path().ends_with("EntityDefinitions"))
        .count();
    assert_eq!(definitions, 1, "names resolved once per client");
}

#[tokio::test]
async fn a_few_first_messages_probe_together_and_only_they_are_refused() {
    // 500 rows are five messages: four go at once to learn whether the table offers the
    // message (the start is not one message alone in flight); refused, they and the fifth
    // go by $batch.
    let org = support::org().await;
    lead_table(&org.server, "Standard").await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/leads/Microsoft.Dynamics.CRM.CreateMultiple"
        )))
        .respond_with(error(
            400,
            "0x80040800",
            "The 'CreateMultiple' method does not support entities of type 'lead'.",
        ))
        .expect(4)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .respond_with(EchoCreates {
            org: org.server.uri(),
        })
        .mount(&org.server)
        .await;
    let rows = leads(500, &[]);
    let report = org
        .client
        .create_many("leads", &rows, &BulkOptions::default())
        .await
        .expect("bulk");
    assert_eq!(report.succeeded(), 500, "{:?}", report.failures());
}

#[tokio::test]
async fn never_sends_batches_without_reading_metadata() {
    let org = support::org().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/$batch")))
        .respond_with(EchoCreates {
            org: org.server.uri(),
        })
        .expect(1)
        .mount(&org.server)
        .await;
    let report = org
        .client
        .table("leads")
        .create_many(&leads(3, &[]))
        .messages(BulkMessages::Never)
        .await
        .expect("bulk");
    assert!(report.all_succeeded());
    let sent = org.server.received_requests().await.expect("recorded");
    assert_eq!(sent.len(), 1, "only the batch");
}

async fn isolate(name_target: bool) {
    let org = support::org().await;
    lead_table(&org.server, "Standard").await;
    let stored = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/leads/Microsoft.Dynamics.CRM.CreateMultiple"
        )))
        .respond_with(Transactional {
            stored: Arc::clone(&stored),
            name_target,
        })
        .mount(&org.server)
        .await;
    let report = org
        .client
        .create_many("leads", &leads(50, &[7, 31]), &BulkOptions::default())
        .await
        .expect("bulk");
    let failed: Vec<usize> = report.failures().iter().map(|(i, _)| *i).collect();
    assert_eq!(failed, [7, 31]);
    for (_, failure) in report.failures() {
        assert_eq!(failure.status, Some(400));
        assert_eq!(failure.code.as_deref(), Some("0x80044331"));
        assert!(failure.message.contains("validation error"), "{failure}");
    }
    let ids = report.ids();
    assert_eq!(ids.len(), 48);
    let stored = stored.lock().expect("lock").clone();
    let unique: HashSet<Uuid> = stored.iter().copied().collect();
    assert_eq!(stored.len(), 48, "every good row written once");
    assert_eq!(unique, ids.iter().copied().collect::<HashSet<_>>());
    let sent = org.server.received_requests().await.expect("recorded");
    let messages = sent
        .iter()
        .filter(|r| r.url.path().ends_with("CreateMultiple"))
        .count();
    if name_target {
        // The whole message, then without row 7, then without row 31 as well.
        assert_eq!(messages, 3);
    } else {
        // Halving: bounded by two failing paths of log2(50) levels.
        assert!(messages <= 1 + 2 * 2 * 6, "{messages} messages");
    }
}

#[tokio::test]
async fn a_named_failing_target_fails_alone_and_the_rest_is_resent() {
    isolate(true).await;
}

#[tokio::test]
async fn without_a_named_target_halving_isolates_the_failing_rows() {
    isolate(false).await;
}

/// The first `CreateMultiple` is applied but its answer is lost (503); a repeat finds the
/// rows and answers a duplicate key naming the first target.
struct AppliedThenDuplicate {
    stored: Arc<Mutex<Vec<Uuid>>>,
}

impl Respond for AppliedThenDuplicate {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let targets = targets(request);
        let ids: Vec<Uuid> = targets
            .iter()
            .map(|t| t["leadid"].as_str().expect("leadid").parse().expect("uuid"))
            .collect();
        let mut stored = self.stored.lock().expect("lock");
        if stored.contains(&ids[0]) {
            return error(
                412,
                "0x80040237",
                &format!(
                    "A record with matching key values already exists. (Targets[0], leadid {})",
                    ids[0]
                ),
            );
        }
        stored.extend(&ids);
        error(503, "", "Service Unavailable")
    }
}

struct Exists {
    stored: Arc<Mutex<Vec<Uuid>>>,
}

impl Respond for Exists {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let stored = self.stored.lock().expect("lock");
        match stored.iter().find(|id| path.contains(&id.to_string())) {
            Some(id) => ResponseTemplate::new(200).set_body_json(json!({"leadid": id})),
            None => error(404, "0x80040217", "lead Does Not Exist"),
        }
    }
}

#[tokio::test]
async fn a_repeat_after_a_lost_answer_counts_the_first_attempts_rows() {
    let org = support::org().await;
    lead_table(&org.server, "Standard").await;
    let stored = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/leads/Microsoft.Dynamics.CRM.CreateMultiple"
        )))
        .respond_with(AppliedThenDuplicate {
            stored: Arc::clone(&stored),
        })
        .expect(2)
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"/leads\([0-9a-f-]+\)$"))
        .respond_with(Exists {
            stored: Arc::clone(&stored),
        })
        .expect(1)
        .mount(&org.server)
        .await;
    let report = org
        .client
        .create_many("leads", &leads(5, &[]), &BulkOptions::default())
        .await
        .expect("bulk");
    assert!(report.all_succeeded(), "{:?}", report.failures());
    let stored = stored.lock().expect("lock").clone();
    assert_eq!(stored.len(), 5, "no row written twice");
    assert_eq!(report.ids(), stored, "the ids the client chose, in order");
}

#[tokio::test]
async fn a_callers_own_duplicate_is_a_failure_not_a_repeat() {
    let org = support::org().await;
    lead_table(&org.server, "Standard").await;
    let taken = Uuid::from_u128(42);
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/leads/Microsoft.Dynamics.CRM.CreateMultiple"
        )))
        .respond_with(error(
            412,
            "0x80040237",
            &format!(
                "A record with matching key values already exists. (Targets[0], leadid {taken})"
            ),
        ))
        .expect(1)
        .mount(&org.server)
        .await;
    let rows = [Record::new().with("leadid", taken.to_string())];
    let report = org
        .client
        .create_many("leads", &rows, &BulkOptions::default())
        .await
        .expect("bulk");
    let failures = report.failures();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].1.status, Some(412));
    assert_eq!(failures[0].1.code.as_deref(), Some("0x80040237"));
}

#[tokio::test]
async fn an_elastic_table_reports_each_targets_status() {
    let org = support::org().await;
    lead_table(&org.server, "Elastic").await;
    let details = json!([
        {"RequestIndex": 0, "Id": Uuid::from_u128(1).to_string(), "StatusCode": 204},
        {"RequestIndex": 1, "Id": null, "StatusCode": 400},
        {"RequestIndex": 2, "Id": Uuid::from_u128(3).to_string(), "StatusCode": 204},
    ])
    .to_string();
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/leads/Microsoft.Dynamics.CRM.UpdateMultiple"
        )))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "code": "0x80044331",
            "message": "A validation error occurred. (Targets[1], leadid 2)",
            "@Microsoft.PowerApps.CDS.ErrorDetails.Plugin.BulkApiErrorDetails": details,
        }})))
        .expect(1)
        .mount(&org.server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/leads/Microsoft.Dynamics.CRM.DeleteMultiple"
        )))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let rows: Vec<(RecordKey, Record)> = (1..=3u128)
        .map(|n| {
            (
                RecordKey::from(Uuid::from_u128(n)),
                Record::new().with("subject", "x"),
            )
        })
        .collect();
    let leads = org.client.table("leads");
    let report = leads.update_many(&rows).await.expect("bulk");
    let failed: Vec<usize> = report.failures().iter().map(|(i, _)| *i).collect();
    assert_eq!(failed, [1], "only the failed target; the others stand");
    assert_eq!(report.failures()[0].1.code.as_deref(), Some("0x80044331"));
    assert_eq!(report.ids(), [Uuid::from_u128(1), Uuid::from_u128(3)]);
    // Elastic tables offer DeleteMultiple.
    let keys: Vec<RecordKey> = rows.into_iter().map(|(k, _)| k).collect();
    let deleted = leads.delete_many(&keys).await.expect("delete");
    assert!(deleted.all_succeeded());
}

#[tokio::test]
async fn an_elastic_target_the_answer_does_not_list_is_written_only_if_it_is_there() {
    let org = support::org().await;
    lead_table(&org.server, "Elastic").await;
    let details = json!([{"RequestIndex": 1, "Id": null, "StatusCode": 400}]).to_string();
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/leads/Microsoft.Dynamics.CRM.UpdateMultiple"
        )))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "code": "0x80044331",
            "message": "A validation error occurred.",
            "@Microsoft.PowerApps.CDS.ErrorDetails.Plugin.BulkApiErrorDetails": details,
        }})))
        .mount(&org.server)
        .await;
    // Row 1 (index 0) reads back; row 3 (index 2) does not.
    Mock::given(method("GET"))
        .and(path(format!("{API}/leads({})", Uuid::from_u128(1))))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"leadid": Uuid::from_u128(1)})),
        )
        .mount(&org.server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/leads({})", Uuid::from_u128(3))))
        .respond_with(error(404, "0x80040217", "lead With Id = 3 Does Not Exist"))
        .mount(&org.server)
        .await;
    let rows: Vec<(RecordKey, Record)> = (1..=3u128)
        .map(|n| {
            (
                RecordKey::from(Uuid::from_u128(n)),
                Record::new().with("subject", "x"),
            )
        })
        .collect();
    let report = org
        .client
        .table("leads")
        .update_many(&rows)
        .await
        .expect("bulk");
    let failed: Vec<usize> = report.failures().iter().map(|(i, _)| *i).collect();
    assert_eq!(
        failed,
        [1, 2],
        "the listed failure and the unlisted row not found"
    );
    assert!(
        report.failures()[1].1.message.contains("outcome unknown"),
        "{}",
        report.failures()[1].1
    );
    assert_eq!(report.ids(), [Uuid::from_u128(1)]);
}

#[tokio::test]
async fn a_standard_table_deletes_by_batch() {
    let org = support::org().await;
    lead_table(&org.server, "Standard").await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&org.server)
        .await;
    let report = org
        .client
        .table("leads")
        .delete_many(&[RecordKey::from(Uuid::from_u128(1))])
        .batch_size(1)
        .await
        .expect("delete");
    assert!(report.all_succeeded());
    let sent = org.server.received_requests().await.expect("recorded");
    assert!(!sent.iter().any(|r| r.url.path().contains("Multiple")));
}

#[tokio::test]
async fn table_for_resolves_either_name_and_refuses_an_unknown_table() {
    let org = support::org().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/EntityDefinitions")))
        .and(wiremock::matchers::query_param_contains(
            "$filter", "'nope'",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": []})))
        .mount(&org.server)
        .await;
    lead_table(&org.server, "Standard").await;
    for name in ["lead", "leads"] {
        let table = org.client.table_for(name).await.expect("resolved");
        assert_eq!(table.entity_set(), "leads");
    }
    let err = org.client.table_for("nope").await.expect_err("unknown");
    assert!(err.is_not_found(), "{err}");
}
