//! The marketplace lead path end to end: the lead writer's application user, a SQLite spool,
//! the intake URL on loopback and the writer; every fixture lead posted (and posted again, to
//! show that a redelivery writes nothing new).
//!
//! ```sh
//! cargo run --example marketplace_leads
//! ```
//! Against an org, the same settings as `application_user` (the app to write leads, and an
//! administrator who grants it the "Marketplace Lead Writer" role). On an org the leads it
//! writes stay (they are the marketplace's sample leads; delete them by hand).

mod common;

use std::path::PathBuf;
use std::time::Duration;

use dynamics_emulator::Emulator;
use dynamics_rs::auth::Uuid;
use dynamics_rs::dataverse::solutions::{DEFAULT_POLL_INTERVAL, MIN_POLL_INTERVAL};
use dynamics_rs::dataverse::{DataverseClient, Filter, Record};
use futures::TryStreamExt;
use lead_writer::service::{ServiceOptions, ServiceState, UrlSecret, router};
use lead_writer::{Mapping, Spool, SpoolOptions, Writer, WriterOptions};

/// The lead writer app the emulator run registers.
const EMULATOR_APP_ID: Uuid = Uuid::from_u128(0xc0a7e5a0_0000_4000_8000_0000000000a3);
/// The leads posted: Microsoft's HTTPS-endpoint example and its test lead (the corrected
/// copy; the published one is not JSON, see `reference/fixtures/marketplace/SOURCES.md`).
const FIXTURES: [&str; 2] = ["https-endpoint-lead-example.json", "test-lead-example.json"];
/// How long to wait for the writer to empty the queue before giving up.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

fn line(label: &str, value: impl std::fmt::Display) {
    println!("{label:<26} {value}");
}

fn step(text: &str) {
    println!("\n-- {text}");
}

/// Personal data stays off the screen: the first character, then stars.
fn mask(value: Option<&str>) -> String {
    match value.and_then(|v| v.chars().next()) {
        Some(first) => format!("{first}***"),
        None => "-".to_string(),
    }
}

/// The URL secret in a printed URL: its length only (anyone who has it can post leads).
fn hidden(secret: &UrlSecret) -> String {
    format!("<secret: {} characters>", secret.expose().len())
}

/// A temporary directory for the spool, removed at the end (it holds personal data).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (admin, app, app_id, poll, emulator) = match common::TenantSettings::from_env()? {
        Some(settings) => {
            let admin = common::dataverse::org_admin(&settings)?;
            let app = common::dataverse::connect().await?.client;
            (admin, app, settings.client_id, DEFAULT_POLL_INTERVAL, None)
        }
        None => {
            let (admin, app, emulator) = connect_emulator().await?;
            (
                admin,
                app,
                EMULATOR_APP_ID,
                MIN_POLL_INTERVAL,
                Some(emulator),
            )
        }
    };

    step("Setup: the app's application user with the lead writer role (as the administrator).");
    let user = common::lead_writer_role::grant_lead_writer(&admin, app_id, poll).await?;
    line("application user", user);

    step("A SQLite spool, the intake URL on loopback and the writer, signed in as the app.");
    let dir = TempDir(std::env::temp_dir().join(format!("marketplace-leads-{}", Uuid::new_v4())));
    std::fs::create_dir_all(&dir.0)?;
    let spool = Spool::open_sqlite(&dir.0.join("spool.db"), SpoolOptions::default()).await?;
    line("spool", spool.location());
    // 32 random hex characters; the URL is the only credential the marketplace sends.
    let secret = UrlSecret::new(Uuid::new_v4().simple().to_string())?;
    let options = ServiceOptions::new(secret.clone());
    let path = options.intake_path();
    let writer_options = WriterOptions::new("marketplace-leads-example", Mapping::default())
        .idle_poll(Duration::from_millis(100));
    let writer = Writer::start(app, spool.clone(), writer_options).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let state = ServiceState::with_writer(spool.clone(), options, writer.clone());
    let app_router = router(state.clone());
    let mut stop_server = stopped.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app_router)
            .with_graceful_shutdown(async move {
                let _ = stop_server.changed().await;
            })
            .await
    });
    let mut stop_writer = stopped;
    let running = writer.clone();
    let writing = tokio::spawn(async move {
        running
            .run(async move {
                let _ = stop_writer.changed().await;
            })
            .await;
    });
    line("intake", format!("{base}/leads/{}", hidden(&secret)));

    let leads = admin.table("leads");
    let before = count_leads(&admin).await?;
    line("marketplace leads before", before);

    let http = reqwest::Client::new();
    let url = format!("{base}{path}");
    step("POST every fixture lead, as the marketplace would.");
    post_all(&http, &url).await?;
    // The test lead exactly as Microsoft's FAQ prints it lacks a comma: not JSON, so it is
    // refused with 400 and kept as a dead letter (lead-writer README, "Decisions").
    post(&http, &url, "test-lead-as-published.malformed.txt").await?;
    wait_for_empty_queue(&spool).await?;

    step("What the writer wrote (names and e-mails masked: personal data).");
    let rows: Vec<Record> = leads
        .query()
        .select([
            "subject",
            "firstname",
            "lastname",
            "emailaddress1",
            "companyname",
            "description",
        ])
        .filter(Filter::starts_with("subject", "Marketplace lead"))
        .records()
        .try_collect()
        .await?;
    for row in &rows {
        // The default mapping notes Microsoft's test lead in the description.
        let test = row
            .get_str("description")
            .is_some_and(|d| d.contains("Test lead:"));
        println!(
            "  {:<48} | {} {} <{}> | {}{}",
            row.get_str("subject").unwrap_or("-"),
            mask(row.get_str("firstname")),
            mask(row.get_str("lastname")),
            mask(row.get_str("emailaddress1")),
            mask(row.get_str("companyname")),
            if test { " | Microsoft's test lead" } else { "" },
        );
    }
    let after_first = count_leads(&admin).await?;
    line("marketplace leads now", after_first);

    step("POST them all again (a redelivery): acknowledged, nothing new written.");
    post_all(&http, &url).await?;
    wait_for_empty_queue(&spool).await?;
    let after_replay = count_leads(&admin).await?;
    line(
        "marketplace leads now",
        format!(
            "{after_replay} ({})",
            if after_replay == after_first {
                "unchanged: no duplicates"
            } else {
                "CHANGED: duplicates were written"
            }
        ),
    );
    // The replay is caught at intake (same idempotency key the same UTC day); the writer's
    // duplicate counter counts rows that already existed when it wrote (a lost answer, or a
    // redelivery on another day with the key bucket widened).
    let intake = state.stats().snapshot();
    line(
        "intake counters",
        format!(
            "stored {}, duplicates {}, rejected {}",
            intake.stored, intake.duplicates, intake.rejected
        ),
    );
    let stats = writer.stats().snapshot();
    line(
        "writer counters",
        format!(
            "written {}, duplicates {}, parked {}",
            stats.written, stats.duplicates, stats.parked
        ),
    );
    line("dead letters", spool.status().await?.dead_letters);

    // The offer's lead destination "HTTPS endpoint" takes one URL
    // (commercial-marketplace-lead-management-instructions-https.md); the menu path in
    // Partner Center is UNCONFIRMED. The marketplace posts over HTTPS: serve this behind TLS
    // (`d365 leads serve` does).
    step("Partner Center: the offer's customer leads connection, HTTPS endpoint URL.");
    line(
        "paste this URL",
        format!("https://<your-host>/leads/{}", hidden(&secret)),
    );
    line(
        "",
        "(the real secret: read it from your configuration, not from a log)",
    );

    let _ = stop.send(true);
    let _ = server.await;
    let _ = writing.await;
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    Ok(())
}

/// Posts each fixture and prints the answer.
async fn post_all(http: &reqwest::Client, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    for name in FIXTURES {
        post(http, url, name).await?;
    }
    Ok(())
}

/// Posts one fixture and prints the answer.
async fn post(
    http: &reqwest::Client,
    url: &str,
    name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let body = std::fs::read(fixture(name))?;
    let answer = http
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = answer.status();
    line(name, format!("{status} {}", answer.text().await?.trim()));
    Ok(())
}

/// Polls the spool until nothing is pending or leased, showing each wait; gives up after
/// [`DRAIN_LIMIT`] with what is still queued.
async fn wait_for_empty_queue(spool: &Spool) -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    loop {
        let status = spool.status().await?;
        if status.queue_depth == 0 {
            line(
                "queue empty",
                format!(
                    "after {} ms (done {}, parked {})",
                    started.elapsed().as_millis(),
                    status.done,
                    status.parked
                ),
            );
            return Ok(());
        }
        if started.elapsed() > DRAIN_LIMIT {
            return Err(format!(
                "the writer did not empty the queue in {DRAIN_LIMIT:?}: {} still queued",
                status.queue_depth
            )
            .into());
        }
        line(
            "waiting for the writer",
            format!("{} queued", status.queue_depth),
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Leads whose subject the default mapping wrote.
async fn count_leads(client: &DataverseClient) -> Result<usize, Box<dyn std::error::Error>> {
    let rows: Vec<Record> = client
        .table("leads")
        .query()
        .select(["leadid"])
        .filter(Filter::starts_with("subject", "Marketplace lead"))
        .records()
        .try_collect()
        .await?;
    Ok(rows.len())
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/reference/fixtures/marketplace"
    ))
    .join(name)
}

/// The emulator, with the lead writer app registered (see `common::lead_writer_emulator`).
async fn connect_emulator()
-> Result<(DataverseClient, DataverseClient, Emulator), Box<dyn std::error::Error>> {
    let started = common::lead_writer_emulator::start(EMULATOR_APP_ID).await?;
    Ok((started.admin, started.app, started.emulator))
}
