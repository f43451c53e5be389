//! The marketplace lead path end to end against the emulator, as `examples/marketplace_leads`
//! runs it: the lead writer's application user with its role, a SQLite spool, the intake
//! router served on loopback, the writer signed in as the app; fixture leads posted over HTTP,
//! then posted again.

mod common;
// The same role setup the examples use (one definition of the role and its privileges).
#[path = "../examples/common/lead_writer_role.rs"]
mod lead_writer_role;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dynamics_emulator::{AppSeed, Emulator, SecretSeed};
use dynamics_rs::auth::{ClientSecretCredential, CredentialOptions, Uuid};
use dynamics_rs::dataverse::solutions::MIN_POLL_INTERVAL;
use dynamics_rs::dataverse::{ClientOptions, DataverseClient, Filter, Record};
use futures::TryStreamExt;
use lead_writer::service::{ServiceOptions, ServiceState, UrlSecret, router};
use lead_writer::spool::Received;
use lead_writer::{KeyOptions, Lead, Mapping, Spool, SpoolOptions, Writer, WriterOptions};
use tokio::sync::watch;

const APP_ID: Uuid = Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_0000000000c4);
const APP_SECRET: &str = "marketplace-leads-test-secret";
/// The distinct leads among the fixtures: Microsoft's HTTPS-endpoint example and its test
/// lead (the corrected copy).
const LEADS: [&str; 2] = ["https-endpoint-lead-example.json", "test-lead-example.json"];
/// The test lead exactly as published: a comma missing, so not JSON.
const MALFORMED: &str = "test-lead-as-published.malformed.txt";
/// Bound on waiting for the writer (a failure, not a timing goal).
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/reference/fixtures/marketplace"
    ))
    .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A directory removed on drop (the spool holds personal data).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Everything running: the emulator, the intake URL, the spool and the writer.
struct Running {
    emulator: Emulator,
    admin: DataverseClient,
    app: DataverseClient,
    spool: Spool,
    writer: Writer,
    state: ServiceState,
    url: String,
    http: reqwest::Client,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    dir: TempDir,
}

async fn start() -> Running {
    let emulator = common::start().await;
    let seed = emulator.defaults();
    emulator
        .seed()
        .add_app(
            seed.tenant_id,
            AppSeed {
                secrets: vec![SecretSeed::new(APP_SECRET)],
                ..AppSeed::new(APP_ID, "Marketplace Lead Writer")
            },
        )
        .expect("the lead writer app registers");
    let client = |id: Uuid, secret: String| {
        let credential = ClientSecretCredential::new(
            common::authority(&emulator),
            id,
            secret,
            CredentialOptions::default(),
        )
        .expect("a client secret credential");
        DataverseClient::new(
            seed.dataverse_url.as_str(),
            Arc::new(credential),
            ClientOptions::default(),
        )
        .expect("a Dataverse client")
    };
    let admin = client(seed.client_id, seed.client_secret.clone());
    let app = client(APP_ID, APP_SECRET.to_string());
    lead_writer_role::grant_lead_writer(&admin, APP_ID, MIN_POLL_INTERVAL)
        .await
        .expect("the app user gets the lead writer role");

    let dir = TempDir(std::env::temp_dir().join(format!("marketplace-leads-{}", Uuid::new_v4())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let spool = Spool::open_sqlite(&dir.0.join("spool.db"), SpoolOptions::default())
        .await
        .unwrap();
    let secret = UrlSecret::new(Uuid::new_v4().simple().to_string()).unwrap();
    let options = ServiceOptions::new(secret);
    let path = options.intake_path();
    let writer = Writer::start(
        app.clone(),
        spool.clone(),
        WriterOptions::new("marketplace-leads-test", Mapping::default())
            .idle_poll(Duration::from_millis(20)),
    )
    .await
    .expect("the writer starts as the app user");
    let state = ServiceState::with_writer(spool.clone(), options, writer.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    let (stop, stopped) = watch::channel(false);
    let service = router(state.clone());
    let mut stop_server = stopped.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = stop_server.changed().await;
            })
            .await
            .expect("the intake serves");
    });
    let running = writer.clone();
    let mut stop_writer = stopped;
    let writing = tokio::spawn(async move {
        running
            .run(async move {
                let _ = stop_writer.changed().await;
            })
            .await;
    });
    Running {
        emulator,
        admin,
        app,
        spool,
        writer,
        state,
        url,
        http: reqwest::Client::new(),
        stop,
        tasks: vec![server, writing],
        dir,
    }
}

impl Running {
    async fn post(&self, name: &str) -> (u16, String) {
        let answer = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(fixture(name))
            .send()
            .await
            .expect("the intake answers");
        let status = answer.status().as_u16();
        (status, answer.text().await.unwrap())
    }

    /// Short polls on the spool's status until nothing is pending or leased.
    async fn drained(&self) {
        let started = std::time::Instant::now();
        loop {
            let status = self.spool.status().await.unwrap();
            if status.queue_depth == 0 {
                assert_eq!(status.parked, 0, "{:?}", status.last_errors);
                return;
            }
            assert!(
                started.elapsed() < DRAIN_LIMIT,
                "the writer left {} queued",
                status.queue_depth
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn leads(&self) -> Vec<Record> {
        self.admin
            .table("leads")
            .query()
            .select(["leadid", "subject", "lastname", "description"])
            .filter(Filter::starts_with("subject", "Marketplace lead"))
            .records()
            .try_collect()
            .await
            .unwrap()
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.await.unwrap();
        }
        self.emulator.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixture_leads_are_written_once_and_a_replay_adds_none() {
    let run = start().await;
    for name in LEADS {
        let (status, text) = run.post(name).await;
        assert_eq!((status, text.as_str()), (200, "lead received\n"), "{name}");
    }
    run.drained().await;
    let rows = run.leads().await;
    assert_eq!(rows.len(), LEADS.len());

    // One row per fixture, each with its own id.
    let mut expected: Vec<String> = Vec::new();
    for name in LEADS {
        let lead = Lead::parse(&fixture(name)).unwrap();
        let stored = rows
            .iter()
            .find(|r| r.get_str("lastname") == lead.last_name.as_deref())
            .unwrap_or_else(|| panic!("no row for {name}"));
        let description = stored.get_str("description").unwrap_or_default();
        // Microsoft's test lead is recognised, and marked for whoever reads the lead.
        assert_eq!(lead.is_test(), name == "test-lead-example.json");
        assert_eq!(description.contains("Test lead"), lead.is_test(), "{name}");
        expected.push(stored.get_str("leadid").unwrap().to_string());
    }
    expected.sort();
    expected.dedup();
    assert_eq!(expected.len(), LEADS.len());

    for name in LEADS {
        let (status, text) = run.post(name).await;
        assert_eq!((status, text.as_str()), (200, "lead already received\n"));
    }
    run.drained().await;
    assert_eq!(
        run.leads().await.len(),
        LEADS.len(),
        "the replay wrote rows"
    );
    let intake = run.state.stats().snapshot();
    assert_eq!((intake.stored, intake.duplicates), (2, 2), "{intake:?}");
    let writer = run.writer.stats().snapshot();
    assert_eq!((writer.written, writer.parked), (2, 0), "{writer:?}");
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_body_is_400_and_a_dead_letter() {
    let run = start().await;
    let (status, text) = run.post(MALFORMED).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("not JSON"), "{text}");
    let status = run.spool.status().await.unwrap();
    assert_eq!((status.dead_letters, status.queue_depth), (1, 0));
    let letters = run.spool.dead_letters(10).await.unwrap();
    assert_eq!(letters[0].raw_body, fixture(MALFORMED));
    assert!(run.leads().await.is_empty());
    run.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivery_after_the_spool_is_lost_is_a_writer_duplicate_not_a_second_row() {
    // The intake catches a replay while its spool remembers the key; with the spool gone
    // (a new disk, a restore) the writer still writes no second row: the lead id derives
    // from the key, so the create clashes and is counted as a duplicate.
    let run = start().await;
    let body = fixture(LEADS[0]);
    let lead = Lead::parse(&body).unwrap();
    let received_at = time::OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap();
    let received = || Received {
        raw_body: body.clone(),
        lead: lead.clone(),
        key: lead.idempotency_key(received_at.unix_timestamp(), &KeyOptions::default()),
        received_at,
    };
    run.spool.enqueue(&received()).await.unwrap();
    run.drained().await;
    assert_eq!(run.leads().await.len(), 1);

    let fresh = Spool::open_sqlite(&run.dir.0.join("fresh.db"), SpoolOptions::default())
        .await
        .unwrap();
    assert!(!fresh.enqueue(&received()).await.unwrap().duplicate);
    let second = Writer::start(
        run.app.clone(),
        fresh.clone(),
        WriterOptions::new("marketplace-leads-test-2", Mapping::default()),
    )
    .await
    .unwrap();
    let report = second.run_once().await.unwrap();
    assert_eq!(
        (report.claimed, report.written, report.duplicates),
        (1, 0, 1),
        "{report:?}"
    );
    assert_eq!(second.stats().snapshot().duplicates, 1);
    assert_eq!(fresh.status().await.unwrap().queue_depth, 0);
    assert_eq!(run.leads().await.len(), 1, "a second row was written");
    run.stop().await;
}
