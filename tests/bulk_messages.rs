//! Workflow: bulk writes through bulk operation messages against the emulator: 2,000 leads
//! created with `CreateMultiple`, then written again with `UpsertMultiple` by an alternate
//! key, each row once, with one outcome per row (`bulk_messages`).

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dynamics_emulator::Emulator;
use dynamics_rs::dataverse::{
    BulkOptions, ClientOptions, DataverseClient, Record, RecordKey, RequestOptions,
};
use dynamics_rs::http::{AttemptObserver, AttemptOutcome, Method, PipelineOptions};

/// Counts the requests the client sends (each attempt).
#[derive(Debug, Default)]
struct Requests(AtomicUsize);

impl AttemptObserver for Requests {
    fn on_attempt(&self, _: &AttemptOutcome) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counted_client(emulator: &Emulator, requests: Arc<Requests>) -> DataverseClient {
    DataverseClient::new(
        emulator.defaults().dataverse_url.as_str(),
        common::app_secret(emulator),
        ClientOptions {
            pipeline: PipelineOptions {
                observer: Some(requests),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .expect("valid Dataverse client")
}

const ROWS: usize = 2000;

fn email(i: usize) -> String {
    format!("bulk.message.{i}@example.com")
}

#[tokio::test]
async fn bulk_messages_create_then_upsert_by_alternate_key() {
    let emulator = common::start().await;
    let requests = Arc::new(Requests::default());
    let client = counted_client(&emulator, Arc::clone(&requests));
    let before = emulator.seed().row_count("leads");

    // CreateMultiple, the table named by its logical name.
    let leads: Vec<Record> = (0..ROWS)
        .map(|i| {
            Record::new()
                .with("subject", format!("Created {i}"))
                .with("lastname", "BulkMessage")
                .with("emailaddress1", email(i))
        })
        .collect();
    let report = client
        .create_many("lead", &leads, &BulkOptions::default())
        .await
        .expect("bulk create");
    assert!(report.all_succeeded(), "failures: {:?}", report.failures());
    let indexes: Vec<usize> = report.outcomes.iter().map(|o| o.index).collect();
    assert_eq!(indexes, (0..ROWS).collect::<Vec<_>>(), "input order");
    let ids = report.ids();
    assert_eq!(ids.len(), ROWS);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ROWS);
    assert_eq!(emulator.seed().row_count("leads"), before + ROWS);
    let rows = emulator.seed().rows("leads");
    for (i, id) in ids.iter().enumerate().step_by(97) {
        let row = rows
            .iter()
            .find(|r| r["leadid"] == id.to_string())
            .unwrap_or_else(|| panic!("reported id {id} is a stored lead"));
        assert_eq!(row["subject"], format!("Created {i}"), "ids in input order");
    }
    // One metadata read and 20 messages of 100 rows, not 200 batches of 10.
    let sent = requests.0.load(Ordering::SeqCst);
    assert!(sent <= 1 + ROWS / 100, "{sent} requests");

    // An alternate key on the email, then UpsertMultiple by it: the 2,000 rows are updated
    // and 100 new ones created.
    let key = serde_json::json!({
        "SchemaName": "new_bulkemail",
        "DisplayName": {"LocalizedLabels": [{"Label": "Bulk email", "LanguageCode": 1033}]},
        "KeyAttributes": ["emailaddress1"],
    });
    let request = client
        .request(
            Method::Post,
            client
                .url("EntityDefinitions(LogicalName='lead')/Keys")
                .expect("url"),
            &RequestOptions::default(),
        )
        .json(&key)
        .expect("body");
    client.send(request).await.expect("the key is created");
    let upserts: Vec<(RecordKey, Record)> = (0..ROWS + 100)
        .map(|i| {
            (
                RecordKey::alternate([("emailaddress1", email(i))]),
                Record::new()
                    .with("subject", format!("Upserted {i}"))
                    .with("lastname", "BulkMessage"),
            )
        })
        .collect();
    let report = client
        .table("leads")
        .upsert_many(&upserts)
        .rows_per_message(500)
        .await
        .expect("bulk upsert");
    assert!(report.all_succeeded(), "failures: {:?}", report.failures());
    assert_eq!(report.outcomes.len(), ROWS + 100);
    assert_eq!(emulator.seed().row_count("leads"), before + ROWS + 100);
    let rows = emulator.seed().rows("leads");
    let ours: Vec<_> = rows
        .iter()
        .filter(|r| r["lastname"] == "BulkMessage")
        .collect();
    assert_eq!(ours.len(), ROWS + 100, "no row written twice");
    assert!(
        ours.iter().all(|r| r["subject"]
            .as_str()
            .is_some_and(|s| s.starts_with("Upserted"))),
        "every row carries the upserted values"
    );
    let created = ids.iter().map(ToString::to_string).collect::<HashSet<_>>();
    let kept = ours
        .iter()
        .filter(|r| r["leadid"].as_str().is_some_and(|id| created.contains(id)))
        .count();
    assert_eq!(kept, ROWS, "the created rows were updated, not replaced");
    emulator.shutdown().await;
}
