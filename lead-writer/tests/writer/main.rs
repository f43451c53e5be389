//! The writer against the emulator: spooled leads land in the `lead` table once, whatever
//! the replays, faults and refusals.

mod duplicate_detection;
mod setup;
mod support;
mod validate;

use std::collections::HashMap;

use std::time::Duration;

use dynamics_emulator::{AppSeed, Emulator, FaultInjection, LatencyModel, SecretSeed};
use lead_writer::spool::Received;
use lead_writer::{Error, Mapping, Writer, WriterError, WriterOptions};
use serde_json::Value;
use uuid::Uuid;

use support::{
    Alerts, TempSpool, admin_client, client_as, drain, emulator, enqueue, lead, open_spool,
};

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

#[tokio::test]
async fn an_app_user_without_the_lead_privilege_parks_the_leads_and_alerts() {
    const APP: Uuid = Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_0000000000b2);
    const SECRET: &str = "writer-without-role";
    let emulator = emulator().await;
    let before = emulator.seed().row_count("leads");
    emulator
        .seed()
        .add_app(
            emulator.defaults().tenant_id,
            AppSeed {
                secrets: vec![SecretSeed::new(SECRET)],
                ..AppSeed::new(APP, "Marketplace Lead Writer")
            },
        )
        .expect("the app registers");
    // An application user created through the Web API, with no role: the security model
    // applies to it.
    admin_client(&emulator)
        .app_users()
        .ensure(APP)
        .await
        .expect("the application user exists");

    let dir = TempSpool::new();
    let spool = dir.open().await;
    enqueue(&spool, 3).await;
    let alerts = Alerts::default();
    let writer = Writer::start(
        client_as(&emulator, APP, SECRET),
        spool.clone(),
        options("w").alert(alerts.clone()),
    )
    .await
    .expect("the writer starts");
    let report = writer.run_once().await.expect("a round");
    assert_eq!((report.claimed, report.parked), (3, 3), "{report:?}");
    assert_eq!(emulator.seed().row_count("leads"), before);

    let alerts = alerts.taken();
    assert_eq!(alerts.len(), 3);
    for alert in &alerts {
        assert_eq!(alert.status, Some(403), "{alert}");
        assert_eq!(alert.code.as_deref(), Some("0x80042f09"), "{alert}");
        assert!(alert.error.contains("0x80042f09"), "{alert}");
    }
    let status = spool.status().await.unwrap();
    assert_eq!((status.parked, status.queue_depth), (3, 0));
    let parked = spool.parked(10).await.unwrap();
    assert!(
        parked
            .iter()
            .all(|p| p.error.contains("HTTP 403, code 0x80042f09")),
        "{parked:?}"
    );
    assert_eq!(writer.stats().snapshot().parked, 3);
}

#[tokio::test]
async fn a_lead_that_does_not_fit_the_mapping_is_parked_and_the_others_are_written() {
    let emulator = emulator().await;
    let before = emulator.seed().row_count("leads");
    let dir = TempSpool::new();
    let spool = dir.open().await;
    let mut leads: Vec<Received> = (0..4).map(lead).collect();
    let long_name = format!(
        r#"{{"UserDetails":{{"FirstName":"{}","LastName":"One"}},"OfferTitle":"Test Microsoft"}}"#,
        "A".repeat(60)
    );
    let mut bad = lead(99);
    bad.lead = lead_writer::Lead::parse(long_name.as_bytes()).unwrap();
    bad.key = bad
        .lead
        .idempotency_key(0, &lead_writer::KeyOptions::default());
    bad.raw_body = long_name.into_bytes();
    leads.insert(2, bad);
    spool.enqueue_batch(&leads).await.unwrap();

    let alerts = Alerts::default();
    let mapping = Mapping::from_toml("on_too_long = \"refuse\"").unwrap();
    let writer = Writer::start(
        admin_client(&emulator),
        spool.clone(),
        WriterOptions::new("w", mapping).alert(alerts.clone()),
    )
    .await
    .unwrap();
    let report = writer.run_once().await.unwrap();
    assert_eq!(
        (report.claimed, report.written, report.parked),
        (5, 4, 1),
        "{report:?}"
    );
    assert_eq!(emulator.seed().row_count("leads"), before + 4);
    let alerts = alerts.taken();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].code.as_deref(), Some("value_too_long"));
    assert!(alerts[0].error.contains("firstname"), "{}", alerts[0]);
    // The parked error names the column, never the value.
    assert!(!alerts[0].error.contains("AAAA"), "{}", alerts[0]);
}

#[tokio::test]
async fn run_writes_until_shutdown() {
    let emulator = emulator().await;
    let before = emulator.seed().row_count("leads");
    let dir = TempSpool::new();
    let spool = dir.open().await;
    let leads = enqueue(&spool, 20).await;
    let writer = Writer::start(
        admin_client(&emulator),
        spool.clone(),
        options("w")
            .claim_size(7)
            .idle_poll(Duration::from_millis(10)),
    )
    .await
    .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn({
        let writer = writer.clone();
        async move {
            writer
                .run(async {
                    let _ = stopped.await;
                })
                .await;
        }
    });
    for _ in 0..2000 {
        if writer.stats().snapshot().written == 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send(()).unwrap();
    running.await.unwrap();
    assert_written_once(&emulator, &leads, before);
    assert_eq!(writer.stats().snapshot().written, 20);
}

#[tokio::test]
async fn a_slow_write_keeps_its_leases() {
    let emulator = emulator().await;
    let before = emulator.seed().row_count("leads");
    let dir = TempSpool::new();
    let spool = dir.open().await;
    let leads = enqueue(&spool, 10).await;
    let start = |worker: &str| {
        Writer::start(
            admin_client(&emulator),
            spool.clone(),
            options(worker).lease(Duration::from_secs(1)),
        )
    };
    let slow = start("slow").await.unwrap();
    let other = start("other").await.unwrap();
    // Each request now takes longer than the lease: only renewals keep the items.
    emulator.seed().set_dataverse_latency(LatencyModel {
        per_request: Duration::from_millis(1600),
        per_operation: Duration::ZERO,
    });
    let writing = tokio::spawn({
        let slow = slow.clone();
        async move { slow.run_once().await }
    });
    // Wait for the slow writer's claim (before the first lease could run out).
    while spool.status().await.unwrap().leased < 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    while !writing.is_finished() {
        // Another worker polls all the while; it must never get the slow write's items.
        let report = other.run_once().await.unwrap();
        assert_eq!(report.claimed, 0, "{report:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let report = writing.await.unwrap().unwrap();
    assert_eq!(
        (report.claimed, report.written, report.lease_lost),
        (10, 10, 0)
    );
    emulator
        .seed()
        .set_dataverse_latency(LatencyModel::default());
    assert_written_once(&emulator, &leads, before);
}

/// Settling can outlast a lease too: replayed leads are confirmed as duplicates by reading
/// each row, and with every request slower than the lease only renewals during settlement
/// keep another worker from claiming (and writing) them again. Found by the reliability
/// proof (`d365/tests/lead_reliability.rs`), where lost leases fed retry storms.
#[tokio::test]
async fn a_slow_settlement_keeps_its_leases() {
    let emulator = emulator().await;
    let before = emulator.seed().row_count("leads");
    let first = TempSpool::new();
    let first_spool = first.open().await;
    let leads = enqueue(&first_spool, 4).await;
    let writer = Writer::start(admin_client(&emulator), first_spool.clone(), options("w"))
        .await
        .unwrap();
    drain(&writer, &first_spool).await;

    // The same leads in a fresh spool: every one is a duplicate to confirm.
    let dir = TempSpool::new();
    let spool = dir.open().await;
    enqueue(&spool, 4).await;
    let start = |worker: &str| {
        Writer::start(
            admin_client(&emulator),
            spool.clone(),
            options(worker).lease(Duration::from_secs(1)),
        )
    };
    let slow = start("slow").await.unwrap();
    let other = start("other").await.unwrap();
    emulator.seed().set_dataverse_latency(LatencyModel {
        per_request: Duration::from_millis(600),
        per_operation: Duration::ZERO,
    });
    let settling = tokio::spawn({
        let slow = slow.clone();
        async move { slow.run_once().await }
    });
    while spool.status().await.unwrap().leased < 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    while !settling.is_finished() {
        let report = other.run_once().await.unwrap();
        assert_eq!(report.claimed, 0, "{report:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let report = settling.await.unwrap().unwrap();
    assert_eq!(
        (report.claimed, report.duplicates, report.lease_lost),
        (4, 4, 0),
        "{report:?}"
    );
    emulator
        .seed()
        .set_dataverse_latency(LatencyModel::default());
    assert_written_once(&emulator, &leads, before);
}

/// PostgreSQL (skipped with a line where it is not installed, unless
/// DYNAMICS_REQUIRE_POSTGRES=1): two writers share one spool and write 300 leads once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_on_a_postgres_spool_write_three_hundred_leads_once() {
    let Some(location) = test_postgres::fresh_database("writer_300").await else {
        return;
    };
    let emulator = emulator().await;
    let before = emulator.seed().row_count("leads");
    let spool = open_spool(&location).await;
    let leads = enqueue(&spool, 300).await;
    let start =
        |worker: &str| Writer::start(admin_client(&emulator), spool.clone(), options(worker));
    let (a, b) = (start("a").await.unwrap(), start("b").await.unwrap());
    tokio::join!(drain(&a, &spool), drain(&b, &spool));
    assert_written_once(&emulator, &leads, before);
    let (a, b) = (a.stats().snapshot(), b.stats().snapshot());
    assert_eq!(a.written + b.written, 300, "{a:?} {b:?}");
    assert_eq!(
        a.duplicates + b.duplicates + a.parked + b.parked,
        0,
        "{a:?} {b:?}"
    );
    assert_eq!(spool.status().await.unwrap().done, 300);
}

/// A duplicate answer caused by ANOTHER row's alternate key must not complete the item:
/// the lead's own row does not exist, so it is parked and the alert hook hears of it.
#[tokio::test]
async fn a_clash_on_another_rows_alternate_key_parks_the_lead_instead_of_losing_it() {
    let emulator = emulator().await;
    let admin = admin_client(&emulator);
    admin
        .metadata()
        .add_key(
            "lead",
            &dataverse_webapi::metadata::KeyDefinition::new(
                "new_EmailKey",
                "Email",
                ["emailaddress1"],
            ),
        )
        .await
        .expect("the key is added");
    let clash = lead(7);
    let email = clash.lead.email.clone().unwrap();
    admin
        .table("leads")
        .create(&serde_json::json!({"lastname": "Other", "emailaddress1": email}))
        .send()
        .await
        .expect("another lead holds the email");
    let before = emulator.seed().row_count("leads");

    let dir = TempSpool::new();
    let spool = dir.open().await;
    spool.enqueue_batch(&[clash, lead(8)]).await.unwrap();
    let alerts = Alerts::default();
    let writer = Writer::start(admin, spool.clone(), options("w").alert(alerts.clone()))
        .await
        .unwrap();
    let report = writer.run_once().await.unwrap();
    assert_eq!(
        (
            report.claimed,
            report.written,
            report.duplicates,
            report.parked
        ),
        (2, 1, 0, 1),
        "{report:?}"
    );
    assert_eq!(emulator.seed().row_count("leads"), before + 1);
    let alerts = alerts.taken();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        alerts[0].code.as_deref(),
        Some("0x80040237"),
        "{}",
        alerts[0]
    );
    let status = spool.status().await.unwrap();
    assert_eq!((status.parked, status.queue_depth), (1, 0));
}

/// Each of `run`'s loops leases as its own worker (`w#0`, `w#1`): with one shared name, a
/// loop re-claiming an item whose lease ran out in its sibling could settle the sibling's
/// claim.
#[tokio::test]
async fn run_loops_lease_under_their_own_names() {
    let emulator = emulator().await;
    let dir = TempSpool::new();
    let spool = dir.open().await;
    enqueue(&spool, 10).await;
    let writer = Writer::start(
        admin_client(&emulator),
        spool.clone(),
        options("w")
            .claim_size(5)
            .rounds_in_flight(2)
            .idle_poll(Duration::from_millis(10)),
    )
    .await
    .unwrap();
    // Writes slow enough that both loops hold their claims at once.
    emulator.seed().set_dataverse_latency(LatencyModel {
        per_request: Duration::from_millis(500),
        per_operation: Duration::ZERO,
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn({
        let writer = writer.clone();
        async move {
            writer
                .run(async {
                    let _ = stopped.await;
                })
                .await;
        }
    });
    let db = rusqlite::Connection::open(dir.dir.join("spool.db")).unwrap();
    let mut names = Vec::new();
    for _ in 0..400 {
        let mut statement = db
            .prepare("SELECT DISTINCT leased_by FROM spool_items WHERE state = 'leased' ORDER BY 1")
            .unwrap();
        names = statement
            .query_map([], |row| row.get::<_, String>(0))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        if names.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.send(()).unwrap();
    running.await.unwrap();
    emulator
        .seed()
        .set_dataverse_latency(LatencyModel::default());
    assert_eq!(names, ["w#0", "w#1"]);
}
