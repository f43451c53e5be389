//! Workflow: a `$batch` with an atomic change set that links rows by Content-ID, and a bulk
//! create of many rows through batched, parallel requests (`batch_and_bulk`).

mod common;

use dynamics_rs::dataverse::{Batch, BatchOptions, BatchRequest, BulkOptions, Record};

#[tokio::test]
async fn change_set_creates_and_links_rows_atomically() {
    let emulator = common::start().await;
    let client = common::dataverse_client(&emulator);
    let accounts_before = emulator.seed().row_count("accounts");
    let contacts_before = emulator.seed().row_count("contacts");

    let mut batch = Batch::new();
    batch
        .push_change_set(vec![
            BatchRequest::create("accounts", &Record::new().with("name", "Fourth Coffee"))
                .expect("account request")
                .content_id(1),
            BatchRequest::create(
                "contacts",
                &Record::new()
                    .with("firstname", "Rene")
                    .with("lastname", "Valdes"),
            )
            .expect("contact request")
            .content_id(2),
            BatchRequest::put(
                "$1/primarycontactid/$ref",
                &serde_json::json!({ "@odata.id": "$2" }),
            )
            .expect("link request")
            .content_id(3),
        ])
        .expect("change set");
    batch.push(BatchRequest::get("accounts?$select=name&$top=5"));
    let result = client
        .execute_batch(&batch, &BatchOptions::default())
        .await
        .expect("batch");

    assert!(result.all_succeeded(), "every part succeeded: {result:?}");
    assert_eq!(result.responses.len(), 4);
    assert_eq!(result.not_executed, 0);
    assert_eq!(emulator.seed().row_count("accounts"), accounts_before + 1);
    assert_eq!(emulator.seed().row_count("contacts"), contacts_before + 1);

    let accounts = emulator.seed().rows("accounts");
    let account = accounts
        .iter()
        .find(|a| a["name"] == "Fourth Coffee")
        .expect("the account exists");
    let contacts = emulator.seed().rows("contacts");
    let contact = contacts
        .iter()
        .find(|c| c["lastname"] == "Valdes")
        .expect("the contact exists");
    assert_eq!(
        account["_primarycontactid_value"], contact["contactid"],
        "the account's primary contact is the contact created in the same change set"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn bulk_create_writes_every_row_once() {
    let emulator = common::start().await;
    let client = common::dataverse_client(&emulator);
    let before = emulator.seed().row_count("leads");

    let leads: Vec<Record> = (0..200)
        .map(|i| {
            Record::new()
                .with("subject", format!("Marketplace lead {i}"))
                .with("lastname", "Bulk")
        })
        .collect();
    let report = client
        .create_many(
            "leads",
            &leads,
            &BulkOptions {
                batch_size: 50,
                ..Default::default()
            },
        )
        .await
        .expect("bulk create");

    assert!(report.all_succeeded(), "failures: {:?}", report.failures());
    assert!(report.failures().is_empty());
    assert_eq!(report.succeeded(), 200);
    let indexes: Vec<usize> = report.outcomes.iter().map(|o| o.index).collect();
    assert_eq!(
        indexes,
        (0..200).collect::<Vec<_>>(),
        "outcomes in input order"
    );
    let ids = report.ids();
    assert_eq!(ids.len(), 200, "each row's id is reported");
    let rows = emulator.seed().rows("leads");
    for (i, id) in ids.iter().enumerate() {
        let row = rows
            .iter()
            .find(|r| r["leadid"] == id.to_string())
            .unwrap_or_else(|| panic!("reported id {id} is a stored lead"));
        assert_eq!(
            row["subject"],
            format!("Marketplace lead {i}"),
            "ids() in input order"
        );
    }
    assert_eq!(emulator.seed().row_count("leads"), before + 200);
    let bulk_rows = emulator
        .seed()
        .rows("leads")
        .into_iter()
        .filter(|r| r["lastname"] == "Bulk")
        .count();
    assert_eq!(bulk_rows, 200, "no row written twice");
    emulator.shutdown().await;
}
