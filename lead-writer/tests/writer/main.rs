//! The writer against the emulator: spooled leads land in the `lead` table once, whatever
//! the replays, faults and refusals.

mod support;

use std::collections::HashMap;

use dynamics_emulator::{Emulator, FaultInjection};
use lead_writer::spool::Received;
use lead_writer::{Error, Mapping, Writer, WriterError, WriterOptions};
use serde_json::Value;

use support::{Alerts, TempSpool, admin_client, drain, emulator, enqueue};

/// The `lead` rows by `leadid`.
fn leads_by_id(emulator: &Emulator) -> HashMap<String, Value> {
    emulator
        .seed()
        .rows("leads")
        .into_iter()
        .filter_map(|row| Some((row["leadid"].as_str()?.to_owned(), row)))
        .collect()
}

fn assert_written_once(emulator: &Emulator, leads: &[Received], before: usize) {
    assert_eq!(emulator.seed().row_count("leads"), before + leads.len());
    let rows = leads_by_id(emulator);
    for received in leads {
        let id = received.key.lead_id().hyphenated().to_string();
        let row = rows
            .get(&id)
            .unwrap_or_else(|| panic!("lead {id} is in the table"));
        assert_eq!(
            row["firstname"],
            received.lead.first_name.as_deref().unwrap()
        );
        assert_eq!(
            row["emailaddress1"],
            received.lead.email.as_deref().unwrap()
        );
        assert_eq!(row["lastname"], "One");
        assert_eq!(row["companyname"], "Contoso");
        assert_eq!(
            row["subject"],
            "Marketplace lead: Test Microsoft (Get it now)"
        );
        assert_eq!(row["leadsourcecode"], 8);
    }
}

fn options(worker: &str) -> WriterOptions {
    WriterOptions::new(worker, Mapping::default()).claim_size(50)
}

#[tokio::test]
async fn three_hundred_leads_land_once_and_a_replay_is_all_duplicates() {
    let emulator = emulator().await;
    let before = emulator.seed().row_count("leads");
    let dir = TempSpool::new();
    let spool = dir.open().await;
    let leads = enqueue(&spool, 300).await;

    let writer = Writer::start(admin_client(&emulator), spool.clone(), options("w1"))
        .await
        .expect("the writer starts");
    drain(&writer, &spool).await;
    assert_written_once(&emulator, &leads, before);
    let stats = writer.stats().snapshot();
    assert_eq!((stats.written, stats.duplicates, stats.parked), (300, 0, 0));
    assert!(stats.write_calls >= 6, "{stats:?}");
    assert_eq!(spool.status().await.unwrap().done, 300);

    // The same leads again under new spool ids (a fresh spool, as after losing the first).
    let replay_dir = TempSpool::new();
    let replay = replay_dir.open().await;
    enqueue(&replay, 300).await;
    let again = Writer::start(admin_client(&emulator), replay.clone(), options("w2"))
        .await
        .expect("the writer starts");
    drain(&again, &replay).await;
    assert_written_once(&emulator, &leads, before);
    let stats = again.stats().snapshot();
    assert_eq!((stats.written, stats.duplicates, stats.parked), (0, 300, 0));
    assert_eq!(replay.status().await.unwrap().done, 300);
}

#[tokio::test]
async fn a_mapping_to_unknown_columns_is_refused_at_start() {
    let emulator = emulator().await;
    let dir = TempSpool::new();
    let mapping =
        Mapping::from_toml("[columns]\noffer = \"new_offerid\"\nidempotency_key = \"new_leadkey\"")
            .unwrap();
    let error = Writer::start(
        admin_client(&emulator),
        dir.open().await,
        WriterOptions::new("w", mapping),
    )
    .await
    .expect_err("unknown columns");
    match &error {
        WriterError::Mapping(Error::UnknownColumns { columns }) => {
            assert_eq!(columns, &["new_leadkey", "new_offerid"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("new_leadkey, new_offerid"),
        "{error}"
    );
}

#[tokio::test]
async fn leads_land_exactly_once_through_outages_and_dropped_connections() {
    let emulator = emulator().await;
    let before = emulator.seed().row_count("leads");
    let dir = TempSpool::new();
    let spool = dir.open().await;
    let leads = enqueue(&spool, 200).await;
    let writer = Writer::start(admin_client(&emulator), spool.clone(), options("w"))
        .await
        .expect("the writer starts");

    emulator.seed().set_fault_injection(FaultInjection {
        seed: 7,
        server_error_rate: 0.1,
        unavailable_rate: 0.2,
        drop_rate: 0.2,
        ..FaultInjection::default()
    });
    drain(&writer, &spool).await;
    emulator
        .seed()
        .set_fault_injection(FaultInjection::default());

    assert_written_once(&emulator, &leads, before);
    let stats = writer.stats().snapshot();
    assert_eq!(stats.written + stats.duplicates, 200, "{stats:?}");
    assert_eq!(stats.parked, 0, "{stats:?}");
    assert!(stats.retried > 0, "faults were injected: {stats:?}");
}
