//! The writer with duplicate detection on, against the emulator's lead rule (same email):
//! a lead the rule matches is parked with the reason, not retried; its neighbours are
//! written; a replay of a lead already written is still a plain duplicate.

use dataverse_webapi::Record;
use lead_writer::spool::ParkedFilter;
use lead_writer::{Mapping, Writer, WriterOptions};

use super::support::{Alerts, TempSpool, admin_client, drain, emulator, enqueue};

#[tokio::test]
async fn a_lead_the_rules_match_is_parked_with_the_reason_and_the_rest_are_written() {
    let emulator = emulator().await;
    let admin = admin_client(&emulator);
    // A lead someone entered by hand, with the email of test lead 0.
    admin
        .table("leads")
        .create(
            &Record::new()
                .with("subject", "Entered by hand")
                .with("lastname", "One")
                .with("emailaddress1", "SOMEONE0@contoso.com"),
        )
        .await
        .expect("the earlier lead is created");
    let before = emulator.seed().row_count("leads");

    let dir = TempSpool::new();
    let spool = dir.open().await;
    let leads = enqueue(&spool, 3).await;
    let alerts = Alerts::default();
    let options = WriterOptions::new("dd", Mapping::default())
        .duplicate_detection(true)
        .alert(alerts.clone());
    let writer = Writer::start(admin.clone(), spool.clone(), options)
        .await
        .expect("the writer starts");
    drain(&writer, &spool).await;

    assert_eq!(emulator.seed().row_count("leads"), before + 2);
    let stats = writer.stats().snapshot();
    assert_eq!(
        (stats.written, stats.parked, stats.retried),
        (2, 1, 0),
        "{stats:?}"
    );
    let alerts = alerts.taken();
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].code.as_deref(),
        Some("0x80040333"),
        "{}",
        alerts[0]
    );
    let parked = spool.parked(10).await.unwrap();
    assert_eq!(parked.len(), 1);
    assert!(
        parked[0].error.starts_with("duplicate detection:")
            && parked[0].error.contains("0x80040333"),
        "{}",
        parked[0].error
    );
    // Parked at once: one attempt, no retries.
    assert_eq!(parked[0].attempts, 1, "{:?}", parked[0]);

    // The written leads, delivered again with duplicate detection on, are duplicates of
    // themselves, not matches to hold back.
    let replay_dir = TempSpool::new();
    let replay = replay_dir.open().await;
    enqueue(&replay, 3).await;
    let again = Writer::start(
        admin.clone(),
        replay.clone(),
        WriterOptions::new("dd2", Mapping::default()).duplicate_detection(true),
    )
    .await
    .unwrap();
    drain(&again, &replay).await;
    let stats = again.stats().snapshot();
    assert_eq!((stats.duplicates, stats.parked), (2, 1), "{stats:?}");
    assert_eq!(emulator.seed().row_count("leads"), before + 2);

    // The operator's way out: put it back and write it without duplicate detection.
    assert_eq!(spool.retry_parked(&ParkedFilter::All).await.unwrap(), 1);
    let plain = Writer::start(
        admin,
        spool.clone(),
        WriterOptions::new("plain", Mapping::default()),
    )
    .await
    .unwrap();
    drain(&plain, &spool).await;
    assert_eq!(emulator.seed().row_count("leads"), before + 3);
    assert_eq!(leads.len(), 3);
}
