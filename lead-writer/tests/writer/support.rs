//! Test plumbing: an emulator, Dataverse clients signed in to it, a SQLite spool in a temp
//! directory, fixture-shaped leads, and an alert hook that remembers.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dataverse_webapi::{ClientOptions, DataverseClient};
use dynamics_auth::{Authority, ClientSecretCredential, CredentialOptions};
use dynamics_emulator::Emulator;
use dynamics_http::{PipelineOptions, RetryOptions};
use lead_writer::spool::{Backoff, Received};
use lead_writer::writer::{AlertHook, ParkedAlert};
use lead_writer::{KeyOptions, Lead, Spool, SpoolOptions, Writer};
use time::OffsetDateTime;
use uuid::Uuid;

/// 2026-01-01T00:00:00Z.
pub(crate) const START: i64 = 1_767_225_600;

pub(crate) async fn emulator() -> Emulator {
    Emulator::start()
        .await
        .expect("the emulator starts on loopback")
}

fn authority(emulator: &Emulator) -> Authority {
    Authority::with_host(
        emulator.base_url().as_str(),
        &emulator.defaults().tenant_id.to_string(),
    )
    .expect("valid authority")
}

/// Fast retries, so fault tests do not wait on real back-off delays.
fn quick_options() -> ClientOptions {
    ClientOptions {
        pipeline: PipelineOptions {
            retry: RetryOptions {
                max_retries: 2,
                initial_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
                jitter: false,
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A client signed in app-only as `app` with `secret`.
pub(crate) fn client_as(emulator: &Emulator, app: Uuid, secret: &str) -> DataverseClient {
    let credential = ClientSecretCredential::new(
        authority(emulator),
        app,
        secret.to_owned(),
        CredentialOptions::default(),
    )
    .expect("valid client secret credential");
    DataverseClient::new(
        emulator.defaults().dataverse_url.as_str(),
        Arc::new(credential),
        quick_options(),
    )
    .expect("valid Dataverse client")
}

/// A client signed in as the seeded application (an unrestricted application user).
pub(crate) fn admin_client(emulator: &Emulator) -> DataverseClient {
    let seed = emulator.defaults();
    client_as(emulator, seed.client_id, &seed.client_secret.clone())
}

/// A SQLite spool file in its own directory, removed when dropped.
pub(crate) struct TempSpool {
    pub(crate) dir: PathBuf,
}

impl TempSpool {
    pub(crate) fn new() -> TempSpool {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "lead-writer-test-{}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempSpool { dir }
    }

    pub(crate) async fn open(&self) -> Spool {
        open_spool(&self.dir.join("spool.db").display().to_string()).await
    }
}

impl Drop for TempSpool {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Opens a spool with short back-off and many attempts, so transient faults heal in a test.
pub(crate) async fn open_spool(location: &str) -> Spool {
    let options = SpoolOptions::default()
        .backoff(Backoff::new(Duration::from_millis(1), Duration::from_millis(20)).unwrap())
        .max_attempts(100);
    Spool::open(location, options)
        .await
        .unwrap_or_else(|e| panic!("open {location}: {e}"))
}

/// Lead `n`, shaped like Microsoft's HTTPS-endpoint example, received in one key bucket.
pub(crate) fn lead(n: u32) -> Received {
    let body = format!(
        r#"{{"UserDetails":{{"FirstName":"Some{n}","LastName":"One","Email":"someone{n}@contoso.com","Phone":"1617555{n:04}","Country":"USA","Company":"Contoso","Title":"Esquire"}},"LeadSource":"AzureMarketplace","ActionCode":"INS","OfferTitle":"Test Microsoft","Description":"Test run through Power Automate"}}"#
    );
    let raw_body = body.into_bytes();
    let at = START + i64::from(n);
    let lead = Lead::parse(&raw_body).expect("test leads parse");
    let key = lead.idempotency_key(at, &KeyOptions::default());
    Received {
        raw_body,
        lead,
        key,
        received_at: OffsetDateTime::from_unix_timestamp(at).unwrap(),
    }
}

/// Enqueues leads `0..count`.
pub(crate) async fn enqueue(spool: &Spool, count: u32) -> Vec<Received> {
    let leads: Vec<Received> = (0..count).map(lead).collect();
    for chunk in leads.chunks(100) {
        spool.enqueue_batch(chunk).await.expect("enqueue");
    }
    leads
}

/// Runs rounds until the spool has nothing left to write (pending or leased), waiting a little
/// while items sit out their back-off. Bounded, so a bug fails the test instead of hanging it.
pub(crate) async fn drain(writer: &Writer, spool: &Spool) {
    for _ in 0..5000 {
        let report = writer.run_once().await.expect("a round");
        if report.claimed == 0 {
            if spool.status().await.expect("status").queue_depth == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    panic!("the spool did not drain: {:?}", spool.status().await);
}

/// An alert hook that remembers what it was told.
#[derive(Debug, Clone, Default)]
pub(crate) struct Alerts(pub(crate) Arc<Mutex<Vec<ParkedAlert>>>);

impl AlertHook for Alerts {
    fn parked(&self, alert: &ParkedAlert) {
        self.0.lock().unwrap().push(alert.clone());
    }
}

impl Alerts {
    pub(crate) fn taken(&self) -> Vec<ParkedAlert> {
        self.0.lock().unwrap().clone()
    }
}
